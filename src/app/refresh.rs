//! `r`: fetching every feed in the background. The app only asks
//! (`Effect::FetchFeeds`) and listens (`Input::Fetch`): the runtime runs
//! the fetch on its own thread and store connection. New items arrive as
//! a library read back from the store, taken without moving the reader's
//! place (`replace_library`), so the per-actor "new" counts grow.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::{App, Effect, FetchMode};
use crate::action::Action;
use crate::content::Library;
use crate::i18n::fill;
use crate::input::FetchEvent;

impl App {
    /// `r` pressed: fetch, or say why not.
    pub(super) fn fetch_feeds(&mut self) -> Vec<Effect> {
        let ui = &self.strings.ui;
        // Whether there are feeds is the runtime's to say (`NoFeeds`): it
        // reads the config again, so a feed added with `feeds add` while
        // the reader runs is fetched too.
        let refused = if self.fetching.is_some() {
            Some(ui.fetch_already.clone())
        } else {
            match self.fetch_mode {
                FetchMode::NoStore => Some(ui.fetch_no_store.clone()),
                FetchMode::Served => Some(ui.fetch_served.clone()),
                FetchMode::OnRequest => None,
            }
        };
        if let Some(message) = refused {
            self.say(message);
            return Vec::new();
        }
        self.fetching = Some((0, self.ctx.config.feeds.len()));
        self.dirty = true;
        vec![Effect::FetchFeeds]
    }

    /// Shows a library with fetched items in it, keeping the reader's
    /// place; the sections that were not there before count as new. An
    /// item updated in place keeps its article id (the store's update), so
    /// a section of the same article, language and place under another
    /// heading is that section renamed, not a new one: what was seen,
    /// read or starred of it follows it, but for the read mark of a text
    /// the store found rewritten (`Fetched::rewritten`).
    /// Returns how many sections arrived (were not shown before).
    fn take_fetched(&mut self, library: Arc<Library>) -> usize {
        if self.is_older(&library) {
            return 0;
        }
        let old = &self.ctx.library;
        let mut before: BTreeSet<String> = (0..old.sections.len())
            .map(|s| old.section_key(s))
            .collect();
        let place = |lib: &Library, s: usize| {
            let section = &lib.sections[s];
            let article = &lib.articles[section.article];
            (article.id.clone(), article.lang.clone(), section.index)
        };
        let old_at: HashMap<_, String> = (0..old.sections.len())
            .map(|s| (place(old, s), old.section_key(s)))
            .collect();
        let now: BTreeSet<String> = (0..library.sections.len())
            .map(|s| library.section_key(s))
            .collect();
        let renamed: Vec<(String, String)> = (0..library.sections.len())
            .filter_map(|s| {
                let key = library.section_key(s);
                let was = old_at.get(&place(&library, s))?;
                (!before.contains(&key) && !now.contains(was)).then(|| (was.clone(), key))
            })
            .collect();
        before.extend(renamed.iter().map(|(_, new)| new.clone()));
        let arrived = now.difference(&before).count();
        self.marks.rename(&renamed, &library.fetched.rewritten);
        self.replace_library(library);
        let lib = Arc::clone(&self.ctx.library);
        self.marks.mark_arrived(&lib, &before);
        self.refresh_counts();
        arrived
    }

    /// What the background fetch says: progress, or how it ended.
    pub(super) fn fetch_event(&mut self, event: FetchEvent) {
        self.dirty = true;
        match event {
            FetchEvent::Progress { done, total } => {
                self.fetching = Some((done, total));
                self.storing = None;
            }
            FetchEvent::Storing { items } => {
                if self.fetching.is_some() {
                    self.storing = Some(items);
                }
            }
            FetchEvent::Failed(reason) => {
                self.fetching = None;
                self.storing = None;
                let message = fill(&self.strings.ui.fetch_error, &[("reason", &reason)]);
                self.say(message);
            }
            FetchEvent::ConfigBroken(reason) => {
                self.fetching = None;
                self.storing = None;
                let message = fill(&self.strings.ui.fetch_config_error, &[("reason", &reason)]);
                self.say(message);
            }
            FetchEvent::NoFeeds => {
                self.fetching = None;
                self.storing = None;
                self.say(self.strings.ui.fetch_no_feeds.clone());
            }
            FetchEvent::Arrived(library) => {
                self.take_fetched(library.0);
            }
            FetchEvent::Done(summary) => {
                self.fetching = None;
                self.storing = None;
                let arrived = summary
                    .library
                    .map_or(0, |library| self.take_fetched(library.0));
                // Sections beyond this fetch's own came with the library
                // read back: stored meanwhile by another program (`fetch`
                // from cron, another reader), said so that "0 new" beside
                // thousands of new rows is not a riddle.
                let elsewhere = arrived.saturating_sub(summary.new);
                // Each failure readable under `!` (the message log), the
                // summary last so it is the one on the status line.
                for (name, reason) in &summary.failures {
                    let line = fill(
                        &self.strings.ui.fetch_failure,
                        &[("name", name), ("reason", reason)],
                    );
                    self.say(line);
                }
                let ui = &self.strings.ui;
                let feeds = crate::i18n::grouped(summary.feeds, &ui.thousands);
                let new = crate::i18n::grouped(summary.new, &ui.thousands);
                let one = summary.feeds == 1;
                let message = if summary.failures.is_empty() {
                    let template = if one {
                        &ui.fetch_done_one
                    } else {
                        &ui.fetch_done
                    };
                    fill(template, &[("feeds", &feeds), ("new", &new)])
                } else {
                    let key = self.config().keymap.hint(Action::Warnings);
                    let template = if one {
                        &ui.fetch_done_failed_one
                    } else {
                        &ui.fetch_done_failed
                    };
                    fill(
                        template,
                        &[
                            ("feeds", &feeds),
                            ("new", &new),
                            ("failed", &summary.failures.len().to_string()),
                            ("key", &key),
                        ],
                    )
                };
                let message = if elsewhere > 0 {
                    let count = crate::i18n::grouped(elsewhere, &ui.thousands);
                    format!(
                        "{message} · {}",
                        fill(&ui.fetch_more_arrived, &[("count", &count)])
                    )
                } else {
                    message
                };
                self.say(message);
            }
        }
    }
}
