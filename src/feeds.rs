//! Feeds: subscriptions in the config (`config`, `edit`, `opml`,
//! `discover`), reading what a feed serves (`decode`, `parse`), turning
//! items into tagged articles (`html`, `identity`, `tag`, `group`,
//! `article`) and the `feeds` command. Knows nothing of the reader's state
//! or its screen; `fetch::process` makes a fetched body into articles, which
//! go to the store through `article::ItemSink`; what was fetched when is
//! recorded through `ledger::FeedLedger`.

pub mod article;
pub mod command;
pub mod config;
pub mod decode;
pub mod discover;
pub mod edit;
pub mod fetch;
pub mod fetch_command;
pub mod group;
pub mod html;
pub mod http;
pub mod identity;
pub mod ledger;
pub mod opml;
pub mod parse;
pub mod refresh;
pub mod run;
pub mod schedule;
pub mod tag;
