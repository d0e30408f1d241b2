//! aiwatch-tui: a terminal news reader for following the AI race.
//!
//! `content` and `config` load and check files; `query` selects, searches
//! and counts sections for the reader and the CLI alike; `app` holds the reader's
//! state and logic without any I/O; `view` draws that state; `runtime`
//! connects it to a terminal. Arrows point one way: `app` never sees a
//! terminal, `view` never changes state.

pub mod action;
pub mod app;
pub mod atomic_file;
pub mod cli;
pub mod commands;
pub mod config;
pub mod content;
pub mod diag;
pub mod feeds;
pub mod fuzzing;
pub mod i18n;
pub mod in_flight;
pub mod input;
pub mod library_store;
pub mod manpage;
pub mod query;
pub mod reflow;
pub mod runtime;
pub mod serve;
pub mod setup;
pub mod store;
pub mod text;
pub mod toml_doc;
pub mod view;
