//! A library that arrives while the reader runs (the store's background
//! sync found changes): the reader takes it without moving the user's
//! place. The open section, the selected row's place on screen, the topic,
//! the filters, the search and the marks are carried over by section key
//! and topic name, since ids change when files are added or removed. No
//! I/O here: the runtime syncs and sends the result as `Input::Sync`.

use std::sync::Arc;

use super::{App, TopicChoice, TopicRow};
use crate::content::{Library, SectionId};
use crate::input::SyncEvent;
use crate::query::filter;

/// A section as the user knows it: article id, language, heading, and
/// its place in the article.
struct SectionKey {
    id: String,
    lang: String,
    heading: String,
    index: usize,
}

impl SectionKey {
    fn of(library: &Library, s: SectionId) -> Self {
        let article = library.article_of(s);
        Self {
            id: article.id.clone(),
            lang: article.lang.clone(),
            heading: library.sections[s].heading.clone(),
            index: library.sections[s].index,
        }
    }

    /// The section with this key in `library`, among `candidates`; else
    /// the one in its place under another heading (a feed item whose title
    /// was corrected: the same section renamed).
    fn find(&self, library: &Library, candidates: &[SectionId]) -> Option<SectionId> {
        let same_article = |s: SectionId| {
            let a = library.article_of(s);
            a.id == self.id && a.lang == self.lang
        };
        // The heading first: it differs for nearly every other section.
        candidates
            .iter()
            .copied()
            .find(|&s| library.sections[s].heading == self.heading && same_article(s))
            .or_else(|| {
                candidates
                    .iter()
                    .copied()
                    .find(|&s| library.sections[s].index == self.index && same_article(s))
            })
    }
}

impl App {
    /// What the background sync says: progress for the status line, or
    /// the library it read back.
    pub(super) fn sync_event(&mut self, event: SyncEvent) {
        self.dirty = true;
        match event {
            SyncEvent::Progress { done, total } => self.sync = Some((done, total)),
            SyncEvent::Done(library) => {
                self.sync = None;
                if let Some(library) = library
                    && !self.is_older(&library.0)
                {
                    self.replace_library(library.0);
                }
            }
            SyncEvent::TextChanged => {
                self.sync = None;
                self.text_changed();
            }
            SyncEvent::Failed(error) => {
                self.sync = None;
                self.notify(error);
            }
            SyncEvent::Busy => {
                self.sync = None;
                let said = self.strings.ui.sync_put_off.clone();
                self.notify(said);
            }
        }
    }

    /// The text of some sections changed in the store, nothing else: the
    /// library stays, its bodies are read again (the open one at once,
    /// from where it was scrolled) and a search is run again.
    fn text_changed(&mut self) {
        let lib = Arc::clone(&self.ctx.library);
        lib.bodies().forget();
        self.reflow_cache.clear();
        self.search_index = None;
        if let Some(query) = self.search.query.clone() {
            let row_on_screen = self
                .timeline_cursor
                .selected
                .saturating_sub(self.timeline_cursor.offset);
            let mut sorted = self.edition.sections.clone();
            sorted.sort_unstable();
            self.search.hits = Some(self.find_hits(&query, sorted));
            self.refresh();
            self.timeline_cursor.offset =
                self.timeline_cursor.selected.saturating_sub(row_on_screen);
        }
        let area = self.layout.area;
        self.resize(area.width, area.height);
    }

    /// Whether `library` was read from the store before the one shown: a
    /// sync's library read back while `r` fetched misses what the fetch
    /// stored, and must not take its items away again.
    pub(super) fn is_older(&self, library: &Library) -> bool {
        matches!(
            (library.read_at.0, self.ctx.library.read_at.0),
            (Some(new), Some(shown)) if new < shown
        )
    }

    /// Shows `library` instead of the current one, keeping the reader's
    /// place: the same section open and scrolled, its row at the same
    /// height in the timeline, the same topic, filters and search.
    pub fn replace_library(&mut self, library: Arc<Library>) {
        let old = Arc::clone(&self.ctx.library);
        let open = self.reader.open.map(|s| SectionKey::of(&old, s));
        let before = self
            .search
            .before
            .as_ref()
            .and_then(|b| b.0)
            .map(|s| SectionKey::of(&old, s));
        let timer = self
            .read_timer
            .map(|(token, s)| (token, SectionKey::of(&old, s)));
        let topic = match self.topic_choice() {
            TopicChoice::Topic(t) => Err(old.topics.get(t).cloned()),
            other => Ok(other),
        };
        let row_on_screen = self
            .timeline_cursor
            .selected
            .saturating_sub(self.timeline_cursor.offset);

        self.marks = self.marks.rebind(&library);
        self.ctx.library = library;
        let lib = Arc::clone(&self.ctx.library);
        self.edition = lib.edition(&self.edition.lang);
        self.topic_entries = filter::topic_entries(&lib, &self.edition.sections);
        self.reflow_cache.clear();
        // An in-memory search index was of the old library: the next
        // search builds one for this library (a library from the store,
        // the only kind a sync sends, searches in the store and has none).
        self.search_index = None;

        let mut sorted = self.edition.sections.clone();
        sorted.sort_unstable();
        let find = |key: Option<SectionKey>| key.and_then(|k| k.find(&lib, &self.edition.sections));
        let new_open = find(open);
        if let Some(b) = self.search.before.as_mut() {
            b.0 = find(before);
        }
        self.read_timer =
            timer.and_then(|(token, k)| k.find(&lib, &self.edition.sections).map(|s| (token, s)));
        if let Some(query) = self.search.query.clone() {
            self.search.hits = Some(self.find_hits(&query, sorted));
        }

        // The topic by name (topic ids are renumbered alphabetically);
        // `refresh` keeps the choice of the one row it finds.
        let choice = match topic {
            Ok(choice) => choice,
            Err(name) => name
                .and_then(|n| lib.topics.iter().position(|t| *t == n))
                .map_or(TopicChoice::All, TopicChoice::Topic),
        };
        self.topics = vec![TopicRow {
            choice,
            count: 0,
            unread: 0,
        }];
        self.topic_cursor.selected = 0;
        self.reader.open = new_open;
        self.refresh();
        // The selected row stays where it was on screen.
        self.timeline_cursor.offset = self.timeline_cursor.selected.saturating_sub(row_on_screen);
        let area = self.layout.area;
        self.resize(area.width, area.height);
    }
}
