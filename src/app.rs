//! The reader's state and everything that changes it. No I/O and no
//! terminal here: input arrives as `Input`, changes happen in `update`,
//! requests for the outside world leave as `Effect`s, and the view reads
//! the state without changing it.

mod activity;
mod counts;
pub mod layout;
pub mod marks;
mod refresh;
mod resync;
mod update;

use std::collections::HashMap;
use std::sync::Arc;

use ratatui::layout::Rect;

use crate::config::Config;
use crate::content::{Edition, Library, SectionId};
use crate::i18n::{Locales, Strings};
use crate::query::chart::Period;
pub use crate::query::{ActorFilter, SearchQuery, TopicChoice};
use crate::query::{chart, filter};
use crate::reflow;
pub use crate::reflow::{Line, Paint, Span};
use crate::store::{SavedState, SavedView};
// The runtimes build the search index through this path.
pub use crate::query::search;
pub use activity::ChartFrame;
pub use layout::{Layout, Mode, Pane};
pub use marks::Marks;
pub use update::overlay_width;

/// What the app asks the outside world to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Save the reader's state (read marks, stars, view).
    Save(crate::store::SavedState),
    /// Send `Input::Timer(token)` back after this many milliseconds.
    Timer {
        after_ms: u64,
        token: u64,
    },
    /// Put this text on the user's clipboard (OSC 52, through SSH and tmux).
    Copy(String),
    /// Open this URL in a browser, where there is a display to show it.
    OpenUrl(String),
    /// Build the search index off the input path and send it back as
    /// `Input::SearchIndex`, so the first search keystroke is as quick as
    /// the others. Asked for once, with the first frame.
    BuildSearchIndex,
    /// Read what the store's search needs (its vocabulary) off the input
    /// path, so that no search keystroke waits for it. Asked for once,
    /// with the first frame, when the library searches in the store.
    PrepareSearch,
    /// Fetch every subscribed feed into the library store in the
    /// background, sending `Input::Fetch` events back.
    FetchFeeds,
    /// Erase what the server keeps for this reader (confirmed by them);
    /// the app has already let go of its marks.
    ForgetMe,
    /// Stop the process as job control does (Ctrl-Z, SIGTSTP): the
    /// terminal restored first, taken again and drawn whole on `fg`
    /// (the local reader only).
    Suspend,
}

/// Where this reader's state is kept, as the account overlay says it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Keeping {
    /// The local reader: on this computer.
    #[default]
    Local,
    /// A served reader without a key: in memory only.
    Anonymous,
    /// A served reader signed in with the key of this fingerprint
    /// (`SHA256:...`), whose state the server keeps.
    Kept(String),
    /// Signed in with a key, but the server keeps nothing (no store).
    NotKept(String),
    /// Kept until the reader erased it: nothing more is kept this session.
    Erased(String),
}

/// Whether `r` can fetch feeds here: the runtime says so at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FetchMode {
    /// No library store (`--no-store`, or it could not be opened): fetched
    /// items would have nowhere to go.
    #[default]
    NoStore,
    /// The runtime fetches when asked (`Effect::FetchFeeds`).
    OnRequest,
    /// A server fetches on its own schedule; sessions only see the result.
    Served,
}

/// Shared, read-only inputs: many app instances (SSH sessions) can share one.
#[derive(Debug, Clone)]
pub struct Context {
    pub library: Arc<Library>,
    pub config: Arc<Config>,
    pub locales: Arc<Locales>,
}

impl Context {
    /// A context with the compiled-in locales.
    pub fn new(library: Library, config: Config) -> Self {
        Self {
            library: Arc::new(library),
            config: Arc::new(config),
            locales: Arc::new(crate::i18n::Locales::embedded()),
        }
    }
}

/// A row of the timeline: group headers and sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineRow {
    Year(u16),
    Month(u16, u8),
    Section(SectionId),
}

/// A row of the topic list with its counts under the current filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicRow {
    pub choice: TopicChoice,
    pub count: usize,
    pub unread: usize,
}

/// The search: its text, whether it is being typed, and the view to go
/// back to when it is left with Esc.
#[derive(Debug, Clone, Default)]
pub struct SearchState {
    pub text: String,
    pub editing: bool,
    pub query: Option<SearchQuery>,
    /// Sections matching `query`, to narrow the next query as one types.
    hits: Option<Vec<SectionId>>,
    before: Option<(Option<SectionId>, Pane, usize, usize)>,
}

impl SearchState {
    pub fn is_active(&self) -> bool {
        self.editing || self.query.is_some()
    }
}

/// What the timeline pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimelineView {
    #[default]
    List,
    Chart,
}

/// Messages kept for the `!` overlay; older ones are dropped first.
pub const MESSAGES_KEPT: usize = 100;

/// How long a section stays open before it counts as read.
pub const READ_AFTER_MS: u64 = 1500;

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
    /// What is kept for the reader, and the way to erase it;
    /// `erase_asked`: the reader asked once, the next `ForgetMe` erases.
    Account {
        erase_asked: bool,
    },
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
    /// The section `lines` were laid out for, and the pane's height then:
    /// a new layout of the same section keeps the reader's place in it.
    pub laid_out: Option<SectionId>,
    pub page: usize,
}

pub struct App {
    pub ctx: Context,
    pub strings: Arc<Strings>,
    pub edition: Edition,
    pub filter: ActorFilter,
    /// Sections of the edition that pass the actor filter, timeline order.
    pub visible: Vec<SectionId>,
    /// Their places in the edition (`edition.sections`, `edition.bits`).
    visible_at: Vec<usize>,
    pub topics: Vec<TopicRow>,
    pub topic_cursor: ListCursor,
    pub timeline: Vec<TimelineRow>,
    /// The section rows of `timeline`, counted when it is built: the
    /// timeline's title and the status line show it on every frame.
    listed_rows: usize,
    /// The sections behind those rows (a story from several outlets is one
    /// row for all its listed sections), counted when it is built.
    listed_sections: usize,
    /// For each row that stands for a story: the story's other listed
    /// sections (the row's own section is the first listed).
    behind: HashMap<SectionId, Vec<SectionId>>,
    pub timeline_cursor: ListCursor,
    pub reader: ReaderState,
    pub marks: Marks,
    pub search: SearchState,
    /// New (since the last visit) and unread sections per configured actor.
    pub actor_new: Vec<usize>,
    pub timeline_view: TimelineView,
    /// The topic list's entries for the edition (counts change, these do not).
    topic_entries: Vec<TopicChoice>,
    /// The activity chart's numbers (built only while it is shown).
    pub chart: chart::Chart,
    /// The chart's own cursor: a row of `chart.rows` (a month or week).
    pub chart_cursor: ListCursor,
    /// The chart's legend and footnote, laid out for the pane.
    pub chart_frame: ChartFrame,
    /// The month (or week) the timeline is narrowed to from the chart.
    pub period: Option<Period>,
    pub focus: Pane,
    pub overlay: Option<Overlay>,
    pub layout: Layout,
    /// A short message for the status line (cleared by the next key).
    pub notice: Option<String>,
    /// The background sync of the library store while it parses files:
    /// (files parsed, files to parse), shown in the status line.
    pub sync: Option<(usize, usize)>,
    /// Whether `r` may fetch feeds here (set by whoever runs the app).
    pub fetch_mode: FetchMode,
    /// Feeds being fetched in the background: (feeds done, feeds), shown
    /// in the status line; `Some` from `r` until the run is over.
    pub fetching: Option<(usize, usize)>,
    /// Items of a feed stored so far while a put runs (see
    /// `FetchEvent::Storing`); cleared with the next progress.
    pub storing: Option<usize>,
    /// The window-clamp notice last said, so it can be taken back when
    /// the window fits again.
    clamp_notice: Option<String>,
    /// Every message shown this session, oldest first (bounded), so one
    /// that went by or did not fit can be read again under `!`.
    pub messages: Vec<String>,
    /// Where this reader's state is kept (set by whoever runs the app).
    pub keeping: Keeping,
    reflow_cache: HashMap<(SectionId, u16, String), Arc<Vec<Line>>>,
    /// The topic counts by actor mask and the new counts per actor, kept
    /// while the marks and the edition stay the same.
    tallies: Option<counts::Tallies>,
    /// Folded text of every section, built at the first search.
    search_index: Option<Arc<Vec<String>>>,
    /// The timer that will mark the open section read.
    read_timer: Option<(u64, SectionId)>,
    next_token: u64,
    /// Whether `Effect::BuildSearchIndex` was asked for (once, first input).
    index_asked: bool,
    /// The read timer last returned as `Effect::Timer` by `handle`.
    timer_asked: Option<u64>,
    dirty: bool,
    quit: bool,
}

impl App {
    /// A reader on the library in `language` (a code such as "en").
    pub fn new(ctx: Context, language: &str) -> Self {
        Self::restore(ctx, language, None)
    }

    /// A reader with what was saved last time: marks, stars, and the view
    /// (language, filters, open section, focus) where it still applies.
    pub fn restore(ctx: Context, language: &str, saved: Option<&SavedState>) -> Self {
        let view = saved.and_then(|s| s.view.as_ref());
        let marks = Marks::new(&ctx.library, saved);
        Self::restore_with(ctx, language, view, marks)
    }

    /// As `restore`, taking the saved state: its keys move into the marks
    /// instead of being copied (the reader's start and the first screen
    /// kept at quit, at 50,000 sections a copy of 50,000 keys less).
    pub fn restore_owned(ctx: Context, language: &str, mut saved: Option<SavedState>) -> Self {
        let view = saved.as_mut().and_then(|s| s.view.take());
        let marks = Marks::from_owned(&ctx.library, saved);
        Self::restore_with(ctx, language, view.as_ref(), marks)
    }

    fn restore_with(ctx: Context, language: &str, view: Option<&SavedView>, marks: Marks) -> Self {
        let language = view
            .as_ref()
            .map(|v| v.language.clone())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| language.to_owned());
        let strings = ctx.locales.get(&language);
        let edition = ctx.library.edition(&language);
        let mut app = Self {
            ctx,
            strings,
            edition,
            filter: ActorFilter::default(),
            visible: Vec::new(),
            visible_at: Vec::new(),
            topics: Vec::new(),
            topic_cursor: ListCursor::default(),
            timeline: Vec::new(),
            listed_rows: 0,
            listed_sections: 0,
            behind: HashMap::new(),
            timeline_cursor: ListCursor::default(),
            reader: ReaderState::default(),
            marks,
            search: SearchState::default(),
            actor_new: Vec::new(),
            timeline_view: TimelineView::List,
            topic_entries: Vec::new(),
            chart: chart::Chart::default(),
            chart_cursor: ListCursor::default(),
            chart_frame: ChartFrame::default(),
            period: None,
            focus: Pane::Timeline,
            overlay: None,
            layout: Layout::default(),
            notice: None,
            sync: None,
            fetch_mode: FetchMode::default(),
            fetching: None,
            storing: None,
            clamp_notice: None,
            messages: Vec::new(),
            keeping: Keeping::default(),
            reflow_cache: HashMap::new(),
            tallies: None,
            search_index: None,
            read_timer: None,
            next_token: 0,
            index_asked: false,
            timer_asked: None,
            dirty: true,
            quit: false,
        };
        app.topic_entries = filter::topic_entries(&app.ctx.library, &app.edition.sections);
        if let Some(view) = view {
            app.apply_view(view);
        }
        // An unreadable locale would leave every label empty: fail loudly in tests.
        debug_assert!(!app.strings.ui.topics.is_empty(), "locale files must parse");
        app.refresh();
        app.resize(80, 24);
        app
    }

    /// Filters, focus and open section from a saved view.
    fn apply_view(&mut self, view: &SavedView) {
        let find = |name: &String| {
            self.ctx
                .config
                .actors
                .iter()
                .position(|a| a.name.eq_ignore_ascii_case(name))
        };
        let shown: Vec<usize> = view.actors.iter().filter_map(find).collect();
        let hidden: Vec<usize> = view.excluded.iter().filter_map(find).collect();
        for a in shown {
            self.filter.toggle(a);
        }
        for a in hidden {
            self.filter.toggle_excluded(a);
        }
        self.focus = match view.focus.as_str() {
            "topics" => Pane::Topics,
            "reader" => Pane::Reader,
            _ => Pane::Timeline,
        };
        if let Some(key) = &view.section {
            let lib = &self.ctx.library;
            self.reader.open = self
                .edition
                .sections
                .iter()
                .copied()
                .find(|&s| lib.has_section_key(s, key));
        }
    }

    /// The state to save: marks, stars, known sections and the view.
    pub fn snapshot(&self) -> SavedState {
        let names = |ids: &[usize]| {
            ids.iter()
                .filter_map(|&i| self.config().actors.get(i).map(|a| a.name.clone()))
                .collect()
        };
        let view = SavedView {
            language: self.edition.lang.clone(),
            section: self.reader.open.map(|s| self.library().section_key(s)),
            focus: match self.focus {
                Pane::Topics => "topics",
                Pane::Timeline => "timeline",
                Pane::Reader => "reader",
            }
            .to_owned(),
            actors: names(self.filter.active()),
            excluded: names(self.filter.excluded()),
        };
        self.marks.snapshot(self.library(), view)
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

    /// Whether a frame is owed, without taking it.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn topic_choice(&self) -> TopicChoice {
        self.topics
            .get(self.topic_cursor.selected)
            .map_or(TopicChoice::All, |t| t.choice)
    }

    /// Whether a section is listed under a topic entry (stars live here).
    fn in_topic(&self, choice: TopicChoice, s: SectionId) -> bool {
        match choice {
            TopicChoice::Starred => self.marks.is_starred(s),
            other => other.matches(&self.ctx.library, s),
        }
    }

    /// The section under the timeline cursor.
    pub fn selected_section(&self) -> Option<SectionId> {
        match self.timeline.get(self.timeline_cursor.selected) {
            Some(TimelineRow::Section(s)) => Some(*s),
            _ => None,
        }
    }

    /// Rows listed in the timeline (the filter and the topic): sections,
    /// a story from several outlets counted once.
    pub fn listed_count(&self) -> usize {
        self.listed_rows
    }

    /// Sections behind the listed rows: each story's every listed section.
    pub fn listed_sections(&self) -> usize {
        self.listed_sections
    }

    /// The sections a timeline row stands for: its own, then the other
    /// listed sections of its story.
    pub fn row_sections(&self, row: SectionId) -> impl Iterator<Item = SectionId> + '_ {
        std::iter::once(row).chain(self.behind.get(&row).into_iter().flatten().copied())
    }

    /// A row is unread while any section behind it is: its story's other
    /// outlets too, so `u`, `R`, the row's `•` and the unread counts agree.
    pub fn row_unread(&self, row: SectionId) -> bool {
        self.row_sections(row).any(|s| !self.marks.is_read(s))
    }

    /// Marks every section behind a row read; how many were unread.
    fn set_row_read(&mut self, row: SectionId) -> usize {
        let sections: Vec<SectionId> = self.row_sections(row).collect();
        sections
            .into_iter()
            .filter(|&s| self.change_marks(s, |marks, lib| marks.set_read(lib, s)))
            .count()
    }

    /// The key the topic tallies are made for: the marks, the edition
    /// and the library now.
    fn tally_key(&self) -> counts::TallyKey {
        (
            self.marks.stamp(),
            self.edition.bits.stamp(),
            Arc::as_ptr(&self.ctx.library).addr(),
        )
    }

    /// Changes one section's marks through `change`, and the tallies with
    /// them when they were made for the marks before (one section's
    /// counts moved, instead of a pass over the edition at the next count).
    pub(super) fn change_marks<R>(
        &mut self,
        s: SectionId,
        change: impl FnOnce(&mut Marks, &Library) -> R,
    ) -> R {
        let lib = Arc::clone(&self.ctx.library);
        let flags = |m: &Marks| (m.is_read(s), m.is_starred(s), m.is_new(s));
        let (key, before) = (self.tally_key(), flags(&self.marks));
        let result = change(&mut self.marks, &lib);
        let now = self.tally_key();
        if let Some(tallies) = &mut self.tallies
            && tallies.key == key
            && now != key
        {
            let after = flags(&self.marks);
            tallies.follow(&lib, &self.edition, s, (before, after), now);
        }
        result
    }

    /// Shows a short message in the status line (results of effects).
    pub fn notify(&mut self, message: impl Into<String>) {
        self.say(message.into());
        self.dirty = true;
    }

    /// Puts a message in the status line and keeps it in the message log.
    fn say(&mut self, message: String) {
        // A key pressed again says the same again: logged once.
        if self.messages.last() != Some(&message) {
            if self.messages.len() >= MESSAGES_KEPT {
                self.messages.remove(0);
            }
            self.messages.push(message.clone());
        }
        self.notice = Some(message);
        self.relayout_overlay();
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

    /// Recomputes everything derived from the edition, filter, search and topic.
    fn refresh(&mut self) {
        let lib = Arc::clone(&self.ctx.library);
        // The hits as one flag per section: a lookup per section of the
        // edition, not a binary search.
        let hits = self.search.hits.as_deref().map(|hits| {
            let mut hit = vec![false; lib.sections.len()];
            for &s in hits {
                if let Some(h) = hit.get_mut(s) {
                    *h = true;
                }
            }
            hit
        });
        // One pass in edition order over its dense rows (the masks where
        // the filter's actors fit in one), into the last pass's vectors.
        let passes = self.filter.matcher(&lib);
        let masks = self.filter.masks();
        let rows = &self.edition.bits;
        let mut visible = std::mem::take(&mut self.visible);
        let mut visible_at = std::mem::take(&mut self.visible_at);
        visible.clear();
        visible_at.clear();
        for (at, &s) in self.edition.sections.iter().enumerate() {
            let shown = match masks {
                Some(m) => m.passes(rows.actors(at)),
                None => passes(s),
            };
            if shown && hits.as_ref().is_none_or(|h| h[s]) {
                visible.push(s);
                visible_at.push(at);
            }
        }
        drop(passes);
        self.visible = visible;
        self.visible_at = visible_at;
        let chosen = self.topic_choice();
        let rows: Vec<TopicRow> = self
            .topic_entries
            .iter()
            .map(|&choice| TopicRow {
                choice,
                count: 0,
                unread: 0,
            })
            .collect();
        self.topics = rows;
        self.refresh_counts();
        self.topic_cursor.selected = self
            .topics
            .iter()
            .position(|t| t.choice == chosen)
            .unwrap_or(0);
        self.rebuild_timeline();
    }

    /// `in_topic` for the visible section at `at` in the edition, on the
    /// edition's masks where they hold every topic.
    fn in_topic_at(&self, choice: TopicChoice, s: SectionId, at: usize) -> bool {
        match (choice, self.edition.bits.topics(at)) {
            (TopicChoice::All, _) => true,
            (TopicChoice::Topic(t), Some(mask)) if t < 64 => mask & 1 << t != 0,
            (TopicChoice::Untagged, Some(mask)) => mask == 0,
            _ => self.in_topic(choice, s),
        }
    }

    fn rebuild_timeline(&mut self) {
        let lib = Arc::clone(&self.ctx.library);
        let chosen = self.topic_choice();
        // Sections plus a few year and month headers, into the last
        // build's vector.
        let mut rows = std::mem::take(&mut self.timeline);
        rows.clear();
        let mut listed = 0;
        let mut last: Option<(u16, Option<u8>)> = None;
        // The chart counts the list before any narrowing to one month
        // (its own list, made only while it is shown).
        if self.timeline_view == TimelineView::Chart {
            let in_topic: Vec<SectionId> = self
                .visible
                .iter()
                .zip(&self.visible_at)
                .filter(|&(&s, &at)| self.in_topic_at(chosen, s, at))
                .map(|(&s, _)| s)
                .collect();
            self.rebuild_chart(&in_topic);
        } else {
            self.rebuild_chart(&[]);
        }
        let period = self.period;
        let edition = &self.edition.bits;
        // Where the open section stands in the edition: the reader stays
        // on it, else on the first row listed after it (timeline order is
        // edition order).
        let rank = &lib.timeline_rank;
        let open_at = self.reader.open.map(|open| {
            self.edition
                .sections
                .partition_point(|&s| rank[s] < rank[open])
        });
        let mut target: Option<(SectionId, usize)> = None;
        // One story told by several outlets is one row: its first listed
        // section, with the others behind it.
        let mut story_rows: HashMap<usize, SectionId> = HashMap::new();
        let mut behind: HashMap<SectionId, Vec<SectionId>> = HashMap::new();
        let mut sections = 0;
        for (&s, &at) in self.visible.iter().zip(&self.visible_at) {
            if !self.in_topic_at(chosen, s, at)
                || period.is_some_and(|p| !p.contains(edition.date(at)))
            {
                continue;
            }
            sections += 1;
            if let Some(story) = lib.fetched.story_id(s) {
                match story_rows.entry(story) {
                    std::collections::hash_map::Entry::Occupied(row) => {
                        behind.entry(*row.get()).or_default().push(s);
                        continue;
                    }
                    std::collections::hash_map::Entry::Vacant(row) => {
                        row.insert(s);
                    }
                }
            }
            let date = edition.date(at);
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
            if target.is_none() && open_at.is_some_and(|o| at >= o) {
                target = Some((s, rows.len()));
            }
            rows.push(TimelineRow::Section(s));
            listed += 1;
        }
        self.listed_rows = listed;
        self.listed_sections = sections;
        self.behind = behind;
        self.timeline = rows;
        self.keep_reader_visible(target);
    }

    /// The sections in the timeline, in order.
    pub fn listed(&self) -> impl Iterator<Item = SectionId> + '_ {
        self.timeline.iter().filter_map(|r| match r {
            TimelineRow::Section(s) => Some(*s),
            _ => None,
        })
    }

    /// After the list changed: keep the open section if it is still listed,
    /// else move to the nearest listed one (by timeline position).
    /// `found`: the open section if listed, else the first listed after it
    /// (by timeline rank), with its row, as the timeline's build found it.
    fn keep_reader_visible(&mut self, found: Option<(SectionId, usize)>) {
        // Else the last listed row, found from the end.
        let found = found.or_else(|| {
            self.timeline
                .iter()
                .enumerate()
                .rev()
                .find_map(|(i, r)| match r {
                    TimelineRow::Section(s) => Some((*s, i)),
                    _ => None,
                })
        });
        let target = found.map(|(s, _)| s);
        let keep_scroll = target == self.reader.open;
        self.open_section(target, keep_scroll);
        match found {
            // The row of the open section, known without a walk.
            Some((_, row)) => {
                self.timeline_cursor.selected = row;
                self.follow_cursors();
            }
            None => self.select_open_in_timeline(),
        }
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

    /// Shows a section in the reading pane. Opening alone does not count
    /// as reading: the reader opens one by itself at start and after a
    /// filter change; only the user's own opening starts the read timer.
    fn open_section(&mut self, section: Option<SectionId>, keep_scroll: bool) {
        if section != self.reader.open {
            self.read_timer = None;
        }
        self.reader.open = section;
        if !keep_scroll {
            self.reader.scroll = 0;
        }
        self.relayout_reader();
    }

    /// The user opened (or scrolled) the open section: reading it for a
    /// moment makes it read, so ask for a timer unless one already runs.
    fn start_read_timer(&mut self) {
        let running = self
            .read_timer
            .is_some_and(|(_, s)| Some(s) == self.reader.open);
        if !running && let Some(s) = self.reader.open.filter(|&s| self.row_unread(s)) {
            self.next_token += 1;
            // `handle` sees the new token and returns the timer effect.
            self.read_timer = Some((self.next_token, s));
        }
    }

    /// A timer came back: mark the section read if it is still open.
    fn timer(&mut self, token: u64) {
        if let Some((t, s)) = self.read_timer
            && t == token
        {
            self.read_timer = None;
            if self.reader.open == Some(s) && self.set_row_read(s) > 0 {
                self.refresh_counts();
                self.dirty = true;
            }
        }
    }

    /// Recounts unread and new figures without rebuilding the lists.
    /// Recounts the topic list (stars and read marks changed) without
    /// moving any cursor.
    pub(crate) fn refresh_counts(&mut self) {
        let lib = Arc::clone(&self.ctx.library);
        let key = self.tally_key();
        // Tallied again only when the marks or the edition changed.
        let tallies = match self.tallies.take() {
            Some(t) if t.key == key => t,
            _ => counts::Tallies::build(
                &lib,
                &self.edition,
                &self.marks,
                self.ctx.config.actors.len(),
                key,
                counts::MAX_CELLS,
            ),
        };
        // Without a search the listed sections are the edition's that the
        // filter lets through: summed from the tallies. Else one pass over
        // the listed sections, counting into every entry that lists each.
        let grouped = match (&self.search.hits, self.filter.masks()) {
            (None, Some(masks)) => tallies.sum(&lib, masks),
            _ => None,
        };
        let tally = grouped.unwrap_or_else(|| {
            let mut tally = counts::Tally::new(&lib);
            for (&s, &at) in self.visible.iter().zip(&self.visible_at) {
                tally.add(&lib, &self.edition.bits, &self.marks, s, at);
            }
            tally
        });
        for row in &mut self.topics {
            (row.count, row.unread) = tally.of(row.choice);
        }
        self.actor_new.clone_from(&tallies.actor_new);
        self.tallies = Some(tallies);
    }

    /// Says where this reader's state is kept (the runtime knows: local,
    /// or served). A served reader's text is laid out again: its notices
    /// do not send it to a command line it does not have.
    pub fn set_keeping(&mut self, keeping: Keeping) {
        let was_local = self.keeping == Keeping::Local;
        self.keeping = keeping;
        if was_local != (self.keeping == Keeping::Local) {
            self.reflow_cache.clear();
            self.relayout_reader();
        }
    }

    /// Lays out the open section for the reading pane's width (cached).
    fn relayout_reader(&mut self) {
        let Some(section) = self.reader.open else {
            self.reader.lines = Arc::default();
            return;
        };
        // Where the reader was in the section, to find the same place in
        // the new layout (a resize re-wraps every line).
        let before = (self.reader.laid_out == Some(section)).then(|| {
            let len = self.reader.lines.len();
            let bottom = len.saturating_sub(self.reader.page);
            (
                self.reader.scroll,
                len,
                self.reader.scroll > 0 && self.reader.scroll >= bottom,
            )
        });
        let width = self.layout.reader_text_width();
        let key = (section, width, self.edition.lang.clone());
        // Bounded by entries and by lines: each width of a long section
        // is a layout of its own.
        if self.reflow_cache.len() > 256
            || self.reflow_cache.values().map(|l| l.len()).sum::<usize>() > 30_000
        {
            self.reflow_cache.clear();
        }
        // Laid out only on a cache miss (the fallback note included).
        if !self.reflow_cache.contains_key(&key) {
            // A feed that never said its language ("und") has nothing to
            // fall back from: no note naming a language code.
            let undetermined =
                crate::content::index::primary_language(&self.library().article_of(section).lang)
                    == "und";
            let note =
                (self.is_fallback(section) && !undetermined).then(|| self.fallback_note(section));
            let lines = reflow::section_lines(
                &self.ctx.library,
                &self.strings,
                section,
                width,
                note.as_deref(),
                Some(reflow::BodyLimit {
                    bytes: reflow::READER_BODY_LIMIT,
                    has_command_line: self.keeping == Keeping::Local,
                }),
            );
            self.reflow_cache.insert(key.clone(), Arc::new(lines));
        }
        let lines = self
            .reflow_cache
            .get(&key)
            .map(Arc::clone)
            .unwrap_or_default();
        self.reader.lines = match &self.search.query {
            Some(query) => Arc::new(reflow::highlight(&lines, query)),
            None => lines,
        };
        let len = self.reader.lines.len();
        match before {
            // At the end (also when only the pane's height changed).
            Some((_, _, true)) => self.reader.scroll = usize::MAX,
            Some((scroll, old_len, false)) if old_len != len && old_len > 0 => {
                self.reader.scroll = scroll.saturating_mul(len) / old_len;
            }
            _ => {}
        }
        self.reader.laid_out = Some(section);
        self.clamp_reader_scroll();
    }

    fn fallback_note(&self, section: SectionId) -> String {
        let lang = &self.library().article_of(section).lang;
        let locales = &self.ctx.locales;
        crate::i18n::fill(
            &self.strings.ui.fallback,
            &[
                // Named in the reader's language: "auf Englisch".
                (
                    "lang",
                    &self.strings.language_name(&self.edition.lang, locales),
                ),
                (
                    "original",
                    &self
                        .strings
                        .language_name(&crate::content::index::primary_language(lang), locales),
                ),
            ],
        )
    }

    fn clamp_reader_scroll(&mut self) {
        self.reader.page = self.layout.page(Pane::Reader);
        let max = self.reader.lines.len().saturating_sub(self.reader.page);
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
        self.relayout_chart();
        self.relayout_overlay();
        self.dirty = true;
    }
}
