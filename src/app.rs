//! The reader's state and everything that changes it. No I/O and no
//! terminal here: input arrives as `Input`, changes happen in `update`,
//! requests for the outside world leave as `Effect`s, and the view reads
//! the state without changing it.

pub mod filter;
pub mod layout;
pub mod reflow;
pub mod search;
mod update;

use std::collections::HashMap;
use std::sync::Arc;

use ratatui::layout::Rect;

use crate::config::Config;
use crate::content::{Edition, Library, SectionId};
use crate::i18n::{Locales, Strings};
pub use filter::{ActorFilter, TopicChoice};
pub use layout::{Layout, Mode, Pane};
pub use reflow::{Line, Paint, Span};
pub use update::overlay_width;

/// What the app asks the outside world to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Put this text on the user's clipboard (OSC 52, through SSH and tmux).
    Copy(String),
    /// Open this URL in a browser, where there is a display to show it.
    OpenUrl(String),
}

/// Shared, read-only inputs: many app instances (SSH sessions) can share one.
#[derive(Debug, Clone)]
pub struct Context {
    pub library: Arc<Library>,
    pub config: Arc<Config>,
    pub locales: Arc<Locales>,
}

/// A row of the timeline: group headers and sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineRow {
    Year(u16),
    Month(u16, u8),
    Section(SectionId),
}

/// A scrollable list's cursor and first visible row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListCursor {
    pub selected: usize,
    pub offset: usize,
}

impl ListCursor {
    /// Moves the window so the selected row is visible in `height` rows,
    /// without leaving empty rows below the last of `len`.
    fn follow(&mut self, height: usize, len: usize) {
        let height = height.max(1);
        self.offset = self.offset.min(len.saturating_sub(height));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayKind {
    Help,
    Warnings,
}

/// A text overlay, laid out for the current size.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub kind: OverlayKind,
    pub lines: Vec<Line>,
    pub scroll: usize,
}

/// The reading pane: which section is open and how far it is scrolled.
#[derive(Debug, Clone, Default)]
pub struct ReaderState {
    pub open: Option<SectionId>,
    pub scroll: usize,
    /// The open section laid out for the pane's width.
    pub lines: Arc<Vec<Line>>,
}

pub struct App {
    pub ctx: Context,
    pub strings: Arc<Strings>,
    pub edition: Edition,
    pub filter: ActorFilter,
    /// Sections of the edition that pass the actor filter, timeline order.
    pub visible: Vec<SectionId>,
    pub topics: Vec<(TopicChoice, usize)>,
    pub topic_cursor: ListCursor,
    pub timeline: Vec<TimelineRow>,
    pub timeline_cursor: ListCursor,
    pub reader: ReaderState,
    pub focus: Pane,
    pub overlay: Option<Overlay>,
    pub layout: Layout,
    /// A short message for the status line (cleared by the next key).
    pub notice: Option<String>,
    reflow_cache: HashMap<(SectionId, u16, String), Arc<Vec<Line>>>,
    dirty: bool,
    quit: bool,
}

impl App {
    /// A reader on the library in `language` (a code such as "en").
    pub fn new(ctx: Context, language: &str) -> Self {
        let strings = ctx.locales.get(language);
        let edition = ctx.library.edition(language);
        let mut app = Self {
            ctx,
            strings,
            edition,
            filter: ActorFilter::default(),
            visible: Vec::new(),
            topics: Vec::new(),
            topic_cursor: ListCursor::default(),
            timeline: Vec::new(),
            timeline_cursor: ListCursor::default(),
            reader: ReaderState::default(),
            focus: Pane::Timeline,
            overlay: None,
            layout: Layout::default(),
            notice: None,
            reflow_cache: HashMap::new(),
            dirty: true,
            quit: false,
        };
        app.refresh();
        app.resize(80, 24);
        app
    }

    pub fn library(&self) -> &Library {
        &self.ctx.library
    }

    pub fn config(&self) -> &Config {
        &self.ctx.config
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether something changed since the last call: the runtime draws only then.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn topic_choice(&self) -> TopicChoice {
        self.topics
            .get(self.topic_cursor.selected)
            .map_or(TopicChoice::All, |t| t.0)
    }

    /// The section under the timeline cursor.
    pub fn selected_section(&self) -> Option<SectionId> {
        match self.timeline.get(self.timeline_cursor.selected) {
            Some(TimelineRow::Section(s)) => Some(*s),
            _ => None,
        }
    }

    /// Sections listed in the timeline (the filter and the topic).
    pub fn listed_count(&self) -> usize {
        self.timeline
            .iter()
            .filter(|r| matches!(r, TimelineRow::Section(_)))
            .count()
    }

    /// Shows a short message in the status line (results of effects).
    pub fn notify(&mut self, message: impl Into<String>) {
        self.notice = Some(message.into());
        self.dirty = true;
    }

    /// The link of the open section (or its article), if it has one.
    pub fn open_link(&self) -> Option<&str> {
        let s = self.reader.open?;
        let section = &self.library().sections[s];
        section
            .url
            .as_deref()
            .or(self.library().article_of(s).url.as_deref())
    }

    /// Whether an article is shown in another language than the reader's.
    pub fn is_fallback(&self, section: SectionId) -> bool {
        let lang = &self.library().article_of(section).lang;
        crate::content::index::primary_language(lang) != self.edition.lang
    }

    /// Recomputes everything derived from the edition, filter and topic.
    fn refresh(&mut self) {
        let lib = Arc::clone(&self.ctx.library);
        self.visible = self
            .edition
            .sections
            .iter()
            .copied()
            .filter(|&s| self.filter.matches(&lib, s))
            .collect();
        let chosen = self.topic_choice();
        self.topics = filter::topic_counts(&lib, &self.edition.sections, &self.visible);
        self.topic_cursor.selected = self.topics.iter().position(|t| t.0 == chosen).unwrap_or(0);
        self.rebuild_timeline();
    }

    fn rebuild_timeline(&mut self) {
        let lib = Arc::clone(&self.ctx.library);
        let chosen = self.topic_choice();
        let mut rows = Vec::new();
        let mut last: Option<(u16, Option<u8>)> = None;
        for &s in self.visible.iter().filter(|&&s| chosen.matches(&lib, s)) {
            let date = lib.sections[s].date;
            let (year, month) = (date.year(), date.month());
            if last.map(|l| l.0) != Some(year) {
                rows.push(TimelineRow::Year(year));
                last = Some((year, None));
            }
            if let Some(m) = month
                && last.and_then(|l| l.1) != Some(m)
            {
                rows.push(TimelineRow::Month(year, m));
                last = Some((year, Some(m)));
            }
            rows.push(TimelineRow::Section(s));
        }
        self.timeline = rows;
        self.keep_reader_visible();
    }

    /// After the list changed: keep the open section if it is still listed,
    /// else move to the nearest listed one (by timeline position).
    fn keep_reader_visible(&mut self) {
        let listed: Vec<SectionId> = self
            .timeline
            .iter()
            .filter_map(|r| match r {
                TimelineRow::Section(s) => Some(*s),
                _ => None,
            })
            .collect();
        let target = match self.reader.open {
            Some(open) if listed.contains(&open) => Some(open),
            Some(open) => {
                let rank = &self.ctx.library.timeline_rank;
                listed
                    .iter()
                    .copied()
                    .find(|&s| rank[s] >= rank[open])
                    .or_else(|| listed.last().copied())
            }
            None => listed.last().copied(),
        };
        let keep_scroll = target == self.reader.open;
        self.open_section(target, keep_scroll);
        self.select_open_in_timeline();
    }

    fn select_open_in_timeline(&mut self) {
        let open = self.reader.open;
        self.timeline_cursor.selected = self
            .timeline
            .iter()
            .position(|r| Some(*r) == open.map(TimelineRow::Section))
            .or_else(|| {
                self.timeline
                    .iter()
                    .position(|r| matches!(r, TimelineRow::Section(_)))
            })
            .unwrap_or(0);
        self.follow_cursors();
    }

    fn open_section(&mut self, section: Option<SectionId>, keep_scroll: bool) {
        self.reader.open = section;
        if !keep_scroll {
            self.reader.scroll = 0;
        }
        self.relayout_reader();
    }

    /// Lays out the open section for the reading pane's width (cached).
    fn relayout_reader(&mut self) {
        let Some(section) = self.reader.open else {
            self.reader.lines = Arc::default();
            return;
        };
        let width = self.layout.reader_text_width();
        let key = (section, width, self.edition.lang.clone());
        if self.reflow_cache.len() > 256 {
            self.reflow_cache.clear();
        }
        let note = self
            .is_fallback(section)
            .then(|| self.fallback_note(section));
        let lines = self
            .reflow_cache
            .entry(key)
            .or_insert_with(|| {
                Arc::new(reflow::section_lines(
                    &self.ctx.library,
                    &self.strings,
                    section,
                    width,
                    note.as_deref(),
                ))
            })
            .clone();
        self.reader.lines = lines;
        self.clamp_reader_scroll();
    }

    fn fallback_note(&self, section: SectionId) -> String {
        let lang = &self.library().article_of(section).lang;
        let locales = &self.ctx.locales;
        crate::i18n::fill(
            &self.strings.ui.fallback,
            &[
                ("lang", &locales.language_name(&self.edition.lang)),
                (
                    "original",
                    &locales.language_name(&crate::content::index::primary_language(lang)),
                ),
            ],
        )
    }

    fn clamp_reader_scroll(&mut self) {
        let max = self
            .reader
            .lines
            .len()
            .saturating_sub(self.layout.page(Pane::Reader));
        self.reader.scroll = self.reader.scroll.min(max);
    }

    fn follow_cursors(&mut self) {
        self.topic_cursor
            .follow(self.layout.page(Pane::Topics), self.topics.len());
        self.timeline_cursor
            .follow(self.layout.page(Pane::Timeline), self.timeline.len());
        // Show a section's year and month headers when there is room above it.
        let headers = self.timeline[..self.timeline_cursor.selected.min(self.timeline.len())]
            .iter()
            .rev()
            .take_while(|r| !matches!(r, TimelineRow::Section(_)))
            .count();
        let height = self.layout.page(Pane::Timeline);
        if self.timeline_cursor.selected - self.timeline_cursor.offset < headers && headers < height
        {
            self.timeline_cursor.offset = self.timeline_cursor.selected - headers;
        }
    }

    /// Re-lays out for a new terminal size.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.layout = Layout::compute(
            Rect::new(0, 0, width, height),
            self.focus,
            self.topics.len(),
        );
        self.relayout_reader();
        self.follow_cursors();
        self.relayout_overlay();
        self.dirty = true;
    }
}
