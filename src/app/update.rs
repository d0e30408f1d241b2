//! `update`: the only place the reader's state changes. Takes an input,
//! maps keys to actions through the keymap, and returns effects.

use std::sync::Arc;

use super::layout::Direction;
use super::{
    App, Effect, Layout, Overlay, OverlayKind, Pane, SearchState, TimelineRow, TimelineView,
};
use crate::action::Action;
use crate::config::Role;
use crate::content::SectionId;
use crate::i18n::fill;
use crate::input::{Input, Key, KeyCode, Mouse, MouseKind, Outcome};
use crate::query::search::{self, SearchQuery};
use crate::reflow::{self, Span};

/// The longest search text, in characters. Longer queries find nothing a
/// shorter one would not, and each keystroke folds the whole text.
pub const MAX_SEARCH_CHARS: usize = 200;

impl App {
    /// Handles one input; returns what the outside world should do.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut effects = match input {
            Input::Key(key) if self.search.editing && self.search_key(key) => Vec::new(),
            // An unbound key changes nothing, so it draws nothing either.
            Input::Key(key) => match self.ctx.config.keymap.action(&key) {
                Some(action) => {
                    self.notice = None;
                    self.update(action)
                }
                None => Vec::new(),
            },
            Input::Resize(w, h) => {
                self.resize(w, h);
                Vec::new()
            }
            Input::Timer(token) => {
                self.timer(token);
                Vec::new()
            }
            Input::Mouse(mouse) => {
                self.mouse(mouse);
                Vec::new()
            }
            Input::Paste(text) => {
                self.paste(&text);
                Vec::new()
            }
            Input::SearchIndex(index) => {
                if index.len() == self.ctx.library.sections.len() {
                    self.search_index.get_or_insert(index);
                }
                Vec::new()
            }
            Input::Outcome(outcome) => {
                self.outcome(outcome);
                Vec::new()
            }
            Input::Sync(event) => {
                self.sync_event(event);
                Vec::new()
            }
            Input::Fetch(event) => {
                self.fetch_event(event);
                Vec::new()
            }
            // In order, stopping at a quit: what follows it is not for us.
            Input::Batch(inputs) => {
                let mut effects = Vec::new();
                for input in inputs {
                    effects.extend(self.handle(input));
                    if self.quit {
                        break;
                    }
                }
                effects
            }
            Input::Suspend => self.update(Action::Suspend),
            // The terminal went away or a signal came: save, then go.
            Input::Stop => {
                self.quit = true;
                vec![Effect::Save(self.snapshot()), Effect::Quit]
            }
        };
        // Effects that follow from the new state leave here too, so
        // `handle` is the one way out of the core.
        if let Some((token, _)) = self.read_timer
            && self.timer_asked != Some(token)
        {
            self.timer_asked = Some(token);
            effects.push(Effect::Timer {
                after_ms: super::READ_AFTER_MS,
                token,
            });
        }
        if !self.index_asked {
            self.index_asked = true;
            if self.ctx.library.bodies().searches() {
                effects.push(Effect::PrepareSearch);
            } else if self.search_index.is_none() {
                effects.push(Effect::BuildSearchIndex);
            }
        }
        effects
    }

    /// What became of an effect, said in the status line.
    fn outcome(&mut self, outcome: Outcome) {
        let ui = &self.strings.ui;
        // A served window is clamped by its server; the local terminal by
        // the reader's own bound.
        let served_clamp = matches!(outcome, Outcome::WindowClamped { .. });
        let notice = match outcome {
            Outcome::Copied { bytes, in_tmux } => {
                let copied = fill(&ui.copied, &[("bytes", &bytes.to_string())]);
                if in_tmux {
                    format!("{copied} {}", ui.tmux_clipboard)
                } else {
                    copied
                }
            }
            Outcome::Opened => ui.opened.clone(),
            Outcome::NoDisplay => ui.no_display.clone(),
            Outcome::OpenFailed(error) => fill(&ui.open_failed, &[("error", &error)]),
            Outcome::SaveFailed(error) => fill(&ui.state_unwritable, &[("error", &error)]),
            Outcome::SavePutOff => ui.state_put_off.clone(),
            Outcome::SaveLanded => ui.state_saved_late.clone(),
            Outcome::WindowClamped { width, height } | Outcome::WindowBounded { width, height } => {
                let template = if served_clamp {
                    &ui.window_clamped
                } else {
                    &ui.window_bounded
                };
                let notice = fill(
                    template,
                    &[
                        ("width", &width.to_string()),
                        ("height", &height.to_string()),
                    ],
                );
                self.clamp_notice = Some(notice.clone());
                notice
            }
            Outcome::ServerClosing { seconds } => fill(
                &ui.server_closing,
                &[("duration", &crate::text::human_seconds(seconds))],
            ),
            Outcome::WindowFits => {
                if let Some(said) = self.clamp_notice.take()
                    && self.notice.as_ref() == Some(&said)
                {
                    self.notice = None;
                    self.dirty = true;
                }
                return;
            }
        };
        self.notify(notice);
    }

    /// Typing into the search line; `false` for keys it does not take,
    /// which then work as usual (arrows move while typing).
    fn search_key(&mut self, key: Key) -> bool {
        // Ctrl-C in the input line cancels the input, as Esc does; it
        // quits only outside it.
        if key.ctrl && !key.alt && key.code == KeyCode::Char('c') {
            self.dirty = true;
            self.leave_search();
            return true;
        }
        if key.alt || (key.ctrl && key.code != KeyCode::Char('u')) {
            return false;
        }
        self.dirty = true;
        match key.code {
            KeyCode::Char('u') if key.ctrl => self.search.text.clear(),
            KeyCode::Char(_) if self.search.text.chars().count() >= MAX_SEARCH_CHARS => {
                // A bound on what a client can make us fold and match on
                // every keystroke; said once, the text stays as it is.
                // In the message log (`!`) too, once however often.
                let notice = fill(
                    &self.strings.ui.search_limit,
                    &[("max", &MAX_SEARCH_CHARS.to_string())],
                );
                self.say(notice);
                return true;
            }
            KeyCode::Char(c) => self.search.text.push(c),
            KeyCode::Backspace => {
                self.search.text.pop();
            }
            KeyCode::Enter => {
                self.search.editing = false;
                if self.search.query.is_none() {
                    self.leave_search();
                }
                return true;
            }
            KeyCode::Esc => {
                self.leave_search();
                return true;
            }
            _ => return false,
        }
        self.apply_search();
        true
    }

    /// A paste goes into the search line as typed text (control
    /// characters dropped, up to the same cap); outside it, it is ignored.
    fn paste(&mut self, text: &str) {
        if !self.search.editing {
            return;
        }
        self.dirty = true;
        let room = MAX_SEARCH_CHARS.saturating_sub(self.search.text.chars().count());
        let mut chars = text.chars().filter(|c| !c.is_control());
        self.search.text.extend(chars.by_ref().take(room));
        if chars.next().is_some() {
            let notice = fill(
                &self.strings.ui.search_limit,
                &[("max", &MAX_SEARCH_CHARS.to_string())],
            );
            self.say(notice);
        }
        self.apply_search();
    }

    fn start_search(&mut self) {
        if self.search.before.is_none() {
            self.search.before = Some((
                self.reader.open,
                self.focus,
                self.topic_cursor.selected,
                self.reader.scroll,
            ));
        }
        self.search.editing = true;
        self.apply_search();
    }

    /// Runs the search for the current text. While one types on, only the
    /// previous hits can still match, so only they are searched again.
    fn apply_search(&mut self) {
        let query = SearchQuery::new(&self.search.text);
        let hits = query.as_ref().map(|q| {
            let narrowing = self.search.query.as_ref().is_some_and(|old| q.narrows(old));
            let candidates: Vec<SectionId> =
                if let (Some(old), true) = (&self.search.hits, narrowing) {
                    old.clone()
                } else {
                    // The edition's ids ascending, by flags rather than a
                    // sort (at 1,000,000 sections a sort was tens of ms a
                    // keystroke).
                    let mut in_edition = vec![false; self.ctx.library.sections.len()];
                    for &s in &self.edition.sections {
                        in_edition[s] = true;
                    }
                    (0..in_edition.len()).filter(|&s| in_edition[s]).collect()
                };
            self.find_hits(q, candidates)
        });
        self.search.query = query;
        self.search.hits = hits;
        // Refreshing re-opens (and so re-highlights) the section read.
        self.refresh();
        self.scroll_to_first_match();
    }

    /// The sections among `candidates` (sorted) that `q` finds. A search
    /// that failed is said, not hidden behind an empty result.
    pub(super) fn find_hits(
        &mut self,
        q: &SearchQuery,
        candidates: Vec<SectionId>,
    ) -> Vec<SectionId> {
        if self.ctx.library.bodies().searches() {
            // The store searches; no folded copy of the bodies here.
            return q
                .select(&self.ctx.library, &candidates)
                .unwrap_or_else(|e| {
                    self.notify(e.to_string());
                    Vec::new()
                });
        }
        let index = Arc::clone(
            self.search_index
                .get_or_insert_with(|| Arc::new(search::build_index(&self.ctx.library))),
        );
        candidates
            .into_iter()
            .filter(|&s| q.matches_folded(&index[s]))
            .collect()
    }

    /// Esc: the search goes, and the view from before it comes back.
    fn leave_search(&mut self) {
        let before = self.search.before.take();
        self.search = SearchState::default();
        if let Some((_, _, topic, _)) = before {
            // The topic entries do not change with a search: refresh keeps this one.
            self.topic_cursor.selected = topic.min(self.topics.len().saturating_sub(1));
        }
        self.refresh();
        if let Some((open, focus, _, scroll)) = before {
            if open.is_some_and(|s| self.listed().any(|l| l == s)) {
                self.open_section(open, false);
                self.reader.scroll = scroll;
                self.clamp_reader_scroll();
                self.select_open_in_timeline();
            }
            self.set_focus(focus);
        }
    }

    fn scroll_to_first_match(&mut self) {
        if self.search.query.is_none() {
            return;
        }
        let first = self
            .reader
            .lines
            .iter()
            .position(|l| l.iter().any(|s| s.paint == super::Paint::Role(Role::Match)));
        if let Some(line) = first {
            let page = self.layout.page(Pane::Reader);
            if line >= self.reader.scroll + page || line < self.reader.scroll {
                self.reader.scroll = line.saturating_sub(2);
                self.clamp_reader_scroll();
            }
        }
    }

    /// Opens the next (or previous) listed section after the open one that
    /// passes `wanted`, wrapping around; `false` when there is none.
    fn open_next(&mut self, forward: bool, wanted: impl Fn(&Self, SectionId) -> bool) -> bool {
        let listed: Vec<SectionId> = self.listed().collect();
        if listed.is_empty() {
            return false;
        }
        let here = self
            .reader
            .open
            .and_then(|o| listed.iter().position(|&s| s == o));
        let n = listed.len();
        for step in 1..=n {
            let i = match (here, forward) {
                (Some(h), true) => (h + step) % n,
                (Some(h), false) => (h + n - step % n) % n,
                (None, true) => step - 1,
                (None, false) => n - step,
            };
            if wanted(self, listed[i]) {
                self.open_section(Some(listed[i]), false);
                self.start_read_timer();
                self.select_open_in_timeline();
                return true;
            }
        }
        false
    }

    /// Job control's stop, saved first as a quit would be (a suspended
    /// reader may be killed, or its terminal closed). A served session
    /// has no job control: nothing happens.
    fn suspend(&mut self) -> Vec<Effect> {
        if self.keeping == super::Keeping::Local {
            vec![Effect::Save(self.snapshot()), Effect::Suspend]
        } else {
            Vec::new()
        }
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        // Whatever is open: the shell's Ctrl-Z works everywhere.
        if action == Action::Suspend {
            return self.suspend();
        }
        if self.overlay.is_some() {
            return self.update_overlay(action);
        }
        if self.timeline_view == TimelineView::Chart
            && self.focus == Pane::Timeline
            && self.update_chart(action)
        {
            return Vec::new();
        }
        match action {
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Save(self.snapshot()), Effect::Quit];
            }
            Action::Suspend => return self.suspend(),
            Action::Search
            | Action::SearchNext
            | Action::SearchPrev
            | Action::NextUnread
            | Action::MarkAllRead
            | Action::ToggleStar
            | Action::ToggleChart
            | Action::ExcludeActor(_) => return self.update_reading(action),
            Action::FetchFeeds => return self.fetch_feeds(),
            Action::Help => self.open_overlay(OverlayKind::Help),
            Action::Warnings => self.open_overlay(OverlayKind::Warnings),
            Action::Account | Action::ForgetMe => {
                self.open_overlay(OverlayKind::Account { erase_asked: false });
            }
            Action::Back if self.search.is_active() => self.leave_search(),
            Action::Back if self.period.is_some() && self.focus != Pane::Reader => {
                self.period = None;
                self.rebuild_timeline();
            }
            Action::Back => match self.focus {
                Pane::Reader => self.set_focus(Pane::Timeline),
                Pane::Timeline => self.set_focus(Pane::Topics),
                Pane::Topics => {}
            },
            Action::FocusNext => self.set_focus(Pane::ALL[(self.focus.index() + 1) % 3]),
            Action::FocusPrev => self.set_focus(Pane::ALL[(self.focus.index() + 2) % 3]),
            Action::FocusLeft => self.focus_toward(Direction::Left),
            Action::FocusRight => self.focus_toward(Direction::Right),
            Action::FocusUp => self.focus_toward(Direction::Up),
            Action::FocusDown => self.focus_toward(Direction::Down),
            Action::MoveDown => self.move_by(1),
            Action::MoveUp => self.move_by(-1),
            Action::PageDown => self.move_by(page(&self.layout, self.focus)),
            Action::PageUp => self.move_by(-page(&self.layout, self.focus)),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Open => match self.focus {
                Pane::Topics => self.set_focus(Pane::Timeline),
                Pane::Timeline => {
                    if let Some(section) = self.selected_section() {
                        self.open_section(
                            Some(section),
                            section == self.reader.open.unwrap_or(usize::MAX),
                        );
                        self.start_read_timer();
                        self.set_focus(Pane::Reader);
                    }
                }
                Pane::Reader => {}
            },
            Action::ToggleActor(i) => {
                if i < self.ctx.config.actors.len() {
                    self.filter.toggle(i);
                    self.refresh();
                }
            }
            Action::ClearFilters => {
                self.filter.clear();
                self.period = None;
                self.refresh();
            }
            Action::SwitchLanguage => self.switch_language(),
            Action::CopyLink | Action::OpenLink => return self.link_effect(action),
        }
        Vec::new()
    }

    /// `y` copies the open section's link; `b` opens it in a browser when
    /// it is a web address. A feed decides its items' links: a
    /// `javascript:` or `file:` one is never handed to a browser.
    fn link_effect(&mut self, action: Action) -> Vec<Effect> {
        let Some(url) = self.open_link().map(str::to_owned) else {
            self.say(self.strings.ui.no_link.clone());
            return Vec::new();
        };
        if action == Action::CopyLink {
            return vec![Effect::Copy(url)];
        }
        match url::Url::parse(&url) {
            Ok(parsed) if crate::feeds::html::is_web_link(&parsed) => vec![Effect::OpenUrl(url)],
            other => {
                let scheme =
                    other.map_or_else(|_| "relative".to_owned(), |u| u.scheme().to_owned());
                self.say(fill(&self.strings.ui.not_web_link, &[("scheme", &scheme)]));
                Vec::new()
            }
        }
    }

    /// Search, read marks, stars, the chart and hiding actors.
    fn update_reading(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Search => self.start_search(),
            Action::SearchNext | Action::SearchPrev if self.search.query.is_none() => {
                let key = self.ctx.config.keymap.hint(Action::Search);
                self.say(fill(&self.strings.ui.no_search, &[("key", &key)]));
            }
            Action::SearchNext | Action::SearchPrev => {
                if self.open_next(action == Action::SearchNext, |_, _| true) {
                    self.scroll_to_first_match();
                } else {
                    let text = self.search.text.trim().to_owned();
                    self.say(fill(&self.strings.ui.no_matches, &[("query", &text)]));
                }
            }
            Action::NextUnread if !self.open_next(true, Self::row_unread) => {
                self.say(self.strings.ui.no_unread.clone());
            }
            Action::MarkAllRead if self.listed_count() == 0 => {
                self.say(self.strings.ui.nothing_listed.clone());
            }
            Action::MarkAllRead => {
                // Every section behind the listed rows: a story's other
                // outlets too.
                let listed: Vec<SectionId> = self.listed().collect();
                // Tallied again once, rather than followed section by
                // section (each a search of the edition).
                self.tallies = None;
                let count: usize = listed.into_iter().map(|s| self.set_row_read(s)).sum();
                self.refresh_counts();
                self.say(self.strings.count(
                    &self.strings.ui.all_read,
                    &self.strings.ui.all_read_one,
                    count,
                ));
                return vec![Effect::Save(self.snapshot())];
            }
            Action::ToggleStar => {
                let target = if self.focus == Pane::Timeline {
                    self.selected_section()
                } else {
                    self.reader.open
                };
                if let Some(s) = target {
                    let on = self.change_marks(s, |marks, lib| marks.toggle_star(lib, s));
                    self.refresh_counts();
                    // Only the Starred list itself changes with a star.
                    if self.topic_choice() == super::TopicChoice::Starred {
                        let cursor = self.timeline_cursor.selected;
                        self.rebuild_timeline();
                        self.timeline_cursor.selected =
                            cursor.min(self.timeline.len().saturating_sub(1));
                        self.follow_cursors();
                    }
                    self.say(if on {
                        self.strings.ui.starred_on.clone()
                    } else {
                        self.strings.ui.starred_off.clone()
                    });
                    return vec![Effect::Save(self.snapshot())];
                }
                // Nothing selected or open (an empty list): said, as `R`
                // and `u` say it, never a key that seems ignored.
                self.say(self.strings.ui.nothing_to_star.clone());
            }
            Action::ToggleChart => {
                self.timeline_view = match self.timeline_view {
                    TimelineView::List => TimelineView::Chart,
                    TimelineView::Chart => TimelineView::List,
                };
                // Built only while shown; it starts on the month being read.
                let open = self.reader.open;
                self.rebuild_timeline();
                if let Some(date) = open.map(|s| self.ctx.library.sections[s].date) {
                    let row = self.chart.rows.iter().position(|r| {
                        matches!(r, crate::query::chart::Row::Bucket(b) if b.period.contains(date))
                    });
                    if let Some(row) = row {
                        self.chart_cursor.selected = row;
                        self.chart_follow();
                    }
                }
            }
            Action::ExcludeActor(i) if i < self.ctx.config.actors.len() => {
                self.filter.toggle_excluded(i);
                self.refresh();
            }
            _ => {}
        }
        Vec::new()
    }

    /// Keys on the chart, while it has the focus: it has a cursor of its
    /// own (a month), and Enter narrows the timeline to that month. The
    /// hidden timeline selection never moves. `false` for other keys.
    fn update_chart(&mut self, action: Action) -> bool {
        let page = isize::try_from(self.chart_viewport() / self.chart.series.len().max(1))
            .unwrap_or(1)
            .max(1);
        match action {
            Action::MoveDown => self.chart_move(1),
            Action::MoveUp => self.chart_move(-1),
            Action::PageDown => self.chart_move(page),
            Action::PageUp => self.chart_move(-page),
            Action::Top => self.chart_move(isize::MIN / 2),
            Action::Bottom => self.chart_move(isize::MAX / 2),
            Action::Open => self.chart_open(),
            _ => return false,
        }
        true
    }

    fn update_overlay(&mut self, action: Action) -> Vec<Effect> {
        let Some(overlay) = &mut self.overlay else {
            return Vec::new();
        };
        if matches!(overlay.kind, OverlayKind::Account { .. }) {
            return self.update_account(action);
        }
        let page = usize::from(self.layout.area.height.saturating_sub(4)).max(1);
        let max = overlay.lines.len().saturating_sub(page);
        match action {
            Action::MoveDown => overlay.scroll = (overlay.scroll + 1).min(max),
            Action::MoveUp => overlay.scroll = overlay.scroll.saturating_sub(1),
            Action::PageDown => overlay.scroll = (overlay.scroll + page).min(max),
            Action::PageUp => overlay.scroll = overlay.scroll.saturating_sub(page),
            Action::Top => overlay.scroll = 0,
            Action::Bottom => overlay.scroll = max,
            Action::Help if overlay.kind == OverlayKind::Warnings => {
                self.open_overlay(OverlayKind::Help);
            }
            Action::Warnings if overlay.kind == OverlayKind::Help => {
                self.open_overlay(OverlayKind::Warnings);
            }
            Action::Help | Action::Warnings | Action::Back | Action::Quit | Action::Open => {
                self.overlay = None;
            }
            _ => {}
        }
        Vec::new()
    }

    /// The account overlay: `ForgetMe` asks, a second one erases; any
    /// other key takes the question back, and those that close an
    /// overlay close it.
    fn update_account(&mut self, action: Action) -> Vec<Effect> {
        let asked = self.erase_asked();
        let mut effects = Vec::new();
        let mut ask = false;
        match action {
            Action::ForgetMe => {
                if let super::Keeping::Kept(fingerprint) = &self.keeping {
                    if asked {
                        self.keeping = super::Keeping::Erased(fingerprint.clone());
                        // The marks in memory go too: what the reader
                        // sees is what is kept, nothing.
                        self.marks = super::marks::Marks::new(&self.ctx.library, None);
                        self.refresh();
                        effects.push(Effect::ForgetMe);
                    } else {
                        ask = true;
                    }
                }
            }
            Action::Account | Action::Back | Action::Quit | Action::Open => {
                self.overlay = None;
                return effects;
            }
            Action::Help => {
                self.open_overlay(OverlayKind::Help);
                return effects;
            }
            _ => {}
        }
        if let Some(overlay) = &mut self.overlay {
            overlay.kind = OverlayKind::Account { erase_asked: ask };
            // The question is last: shown whole on a small screen.
            if ask {
                overlay.scroll = usize::MAX;
            }
        }
        self.relayout_overlay();
        effects
    }

    /// Whether the account overlay is asking to erase.
    fn erase_asked(&self) -> bool {
        matches!(
            self.overlay.as_ref().map(|o| o.kind),
            Some(OverlayKind::Account { erase_asked: true })
        )
    }

    /// What is kept for this reader and where; the way to erase it.
    fn account_lines(&self, width: u16) -> Vec<reflow::Line> {
        let ui = &self.strings.ui;
        let key = self.ctx.config.keymap.hint(Action::ForgetMe);
        let with_fingerprint =
            |template: &str, fingerprint: &str| fill(template, &[("fingerprint", fingerprint)]);
        let mut paragraphs = Vec::new();
        match &self.keeping {
            super::Keeping::Local => paragraphs.push(ui.account_local.clone()),
            super::Keeping::Anonymous => paragraphs.push(ui.account_anonymous.clone()),
            super::Keeping::NotKept(fingerprint) => {
                paragraphs.push(with_fingerprint(&ui.account_not_kept, fingerprint));
            }
            super::Keeping::Erased(fingerprint) => {
                paragraphs.push(with_fingerprint(&ui.account_erased, fingerprint));
            }
            super::Keeping::Kept(fingerprint) => {
                paragraphs.push(with_fingerprint(&ui.account_kept, fingerprint));
                let ask = if self.erase_asked() {
                    &ui.account_confirm
                } else {
                    &ui.account_erase
                };
                paragraphs.push(fill(ask, &[("key", &key)]));
            }
        }
        let mut lines = Vec::new();
        for (i, paragraph) in paragraphs.iter().enumerate() {
            if i > 0 {
                lines.push(Vec::new());
            }
            let role = if i > 0 && self.erase_asked() {
                Role::Heading
            } else {
                Role::Overlay
            };
            lines.extend(reflow::wrap(paragraph, width, "", "", role));
        }
        lines
    }

    /// Moves the focus to the pane next to this one on screen; where only
    /// one pane shows, left and right walk the tabs.
    fn focus_toward(&mut self, direction: Direction) {
        let target = if self.layout.mode == Some(super::Mode::Full) {
            self.layout.neighbour(self.focus, direction)
        } else {
            let i = self.focus.index();
            match direction {
                Direction::Left => i.checked_sub(1),
                Direction::Right => Some(i + 1).filter(|&i| i < Pane::ALL.len()),
                Direction::Up | Direction::Down => None,
            }
            .map(|i| Pane::ALL[i])
        };
        if let Some(pane) = target {
            self.set_focus(pane);
        }
    }

    pub(super) fn set_focus(&mut self, pane: Pane) {
        if pane != self.focus {
            self.focus = pane;
            let area = self.layout.area;
            self.layout = Layout::compute(area, pane, self.topics.len());
            self.relayout_reader();
            self.follow_cursors();
            self.relayout_chart();
        }
    }

    /// Moves the focused pane's cursor (or scroll) by `delta` rows, clamped.
    fn move_by(&mut self, delta: isize) {
        match self.focus {
            Pane::Topics => {
                let last = self.topics.len().saturating_sub(1);
                let next = self
                    .topic_cursor
                    .selected
                    .saturating_add_signed(delta)
                    .min(last);
                if next != self.topic_cursor.selected {
                    self.topic_cursor.selected = next;
                    self.timeline_cursor = super::ListCursor::default();
                    self.rebuild_timeline();
                }
            }
            Pane::Timeline => {
                // From the first section row at or after the cursor, `delta`
                // section rows on (as far as there are): only the rows
                // passed are looked at, not the whole timeline.
                let rows = &self.timeline;
                let is_section = |i: usize| matches!(rows[i], TimelineRow::Section(_));
                if let Some(current) =
                    (self.timeline_cursor.selected..rows.len()).find(|&i| is_section(i))
                {
                    let mut at = current;
                    let mut left = delta.unsigned_abs();
                    if delta > 0 {
                        let mut i = at + 1;
                        while left > 0 && i < rows.len() {
                            if is_section(i) {
                                at = i;
                                left -= 1;
                            }
                            i += 1;
                        }
                    } else {
                        let mut i = at;
                        while left > 0 && i > 0 {
                            i -= 1;
                            if is_section(i) {
                                at = i;
                                left -= 1;
                            }
                        }
                    }
                    self.timeline_cursor.selected = at;
                }
            }
            Pane::Reader => {
                let before = self.reader.scroll;
                self.reader.scroll = self.reader.scroll.saturating_add_signed(delta);
                self.clamp_reader_scroll();
                // Scrolling through a section is reading it.
                if self.reader.scroll != before {
                    self.start_read_timer();
                }
            }
        }
        self.follow_cursors();
    }

    /// The topic entry in `edition` that matches the chosen one: the same
    /// name, or else the topic its sections' translations carry at the
    /// same place most often ("Regulation" becomes "Regulierung").
    fn topic_counterpart(&self, edition: &crate::content::Edition) -> super::TopicChoice {
        use super::TopicChoice;
        let lib = &self.ctx.library;
        let TopicChoice::Topic(topic) = self.topic_choice() else {
            return self.topic_choice();
        };
        let present = |t: usize| {
            edition
                .sections
                .iter()
                .any(|&s| lib.sections[s].topics.contains(&t))
        };
        if present(topic) {
            return TopicChoice::Topic(topic);
        }
        let mut votes: Vec<(usize, usize)> = Vec::new();
        // A few translated sections decide; looking up each is a scan.
        let tagged = self
            .edition
            .sections
            .iter()
            .filter(|&&s| lib.sections[s].topics.contains(&topic))
            .take(16);
        for &s in tagged {
            let Some(place) = lib.sections[s].topics.iter().position(|&t| t == topic) else {
                continue;
            };
            let Some(other) = lib.counterpart(s, edition) else {
                continue;
            };
            if let Some(&t) = lib.sections[other].topics.get(place) {
                match votes.iter_mut().find(|v| v.0 == t) {
                    Some(v) => v.1 += 1,
                    None => votes.push((t, 1)),
                }
            }
        }
        votes
            .iter()
            .max_by_key(|v| v.1)
            .map_or(TopicChoice::All, |v| TopicChoice::Topic(v.0))
    }

    /// The next language: of the content and of the reader's own words
    /// (English and Deutsch), so `L` switches the words too where every
    /// article has one language.
    fn switch_language(&mut self) {
        let mut languages: Vec<String> = self.ctx.library.languages().to_vec();
        languages.extend(
            crate::i18n::available_languages()
                .iter()
                .map(|l| (*l).to_owned()),
        );
        languages.sort();
        languages.dedup();
        if languages.len() < 2 {
            return;
        }
        let next = languages
            .iter()
            .position(|l| *l == self.edition.lang)
            .map_or(0, |i| (i + 1) % languages.len());
        self.set_language(&languages[next].clone());
    }

    /// Shows the edition (and the reader's words) in `lang`, staying on the
    /// same section in the other language.
    pub fn set_language(&mut self, lang: &str) {
        let edition = self.ctx.library.edition(lang);
        let open = self
            .reader
            .open
            .and_then(|s| self.ctx.library.counterpart(s, &edition));
        let selected = self
            .selected_section()
            .and_then(|s| self.ctx.library.counterpart(s, &edition));
        let topic = self.topic_counterpart(&edition);
        self.edition = edition;
        self.topic_entries =
            crate::query::filter::topic_entries(&self.ctx.library, &self.edition.sections);
        self.strings = self.ctx.locales.get(lang);
        self.reader.open = open;
        // The same topic in the other language (refresh keeps the entry
        // under the cursor).
        self.topics = vec![super::TopicRow {
            choice: topic,
            count: 0,
            unread: 0,
        }];
        self.topic_cursor.selected = 0;
        if self.search.query.is_some() {
            // Other sections now: search them afresh.
            self.search.hits = None;
            let text = self.search.text.clone();
            self.search.query = None;
            self.search.text = text;
            self.apply_search();
        }
        self.refresh();
        if let Some(row) = selected.and_then(|s| {
            self.timeline
                .iter()
                .position(|r| *r == TimelineRow::Section(s))
        }) {
            self.timeline_cursor.selected = row;
            self.follow_cursors();
        }
        self.relayout_overlay();
        self.say(fill(
            &self.strings.ui.language_switched,
            &[("lang", &self.strings.language_name(lang, &self.ctx.locales))],
        ));
    }

    fn open_overlay(&mut self, kind: OverlayKind) {
        self.overlay = Some(Overlay {
            kind,
            lines: Vec::new(),
            scroll: 0,
        });
        self.relayout_overlay();
    }

    /// Lays out the overlay's text for the current size.
    pub(super) fn relayout_overlay(&mut self) {
        let Some(kind) = self.overlay.as_ref().map(|o| o.kind) else {
            return;
        };
        let width = overlay_width(&self.layout).saturating_sub(4);
        let lines = match kind {
            OverlayKind::Help => self.help_lines(width),
            OverlayKind::Warnings => self.warning_lines(width),
            OverlayKind::Account { .. } => self.account_lines(width),
        };
        if let Some(overlay) = &mut self.overlay {
            overlay.lines = lines;
            let page = usize::from(self.layout.area.height.saturating_sub(4)).max(1);
            overlay.scroll = overlay.scroll.min(overlay.lines.len().saturating_sub(page));
        }
    }

    /// Every binding, from the keymap itself: action descriptions in the
    /// reader's language, then the actor keys. Descriptions wrap at words
    /// beside their keys (below them, when the keys leave no room).
    fn help_lines(&self, width: u16) -> Vec<reflow::Line> {
        let keymap = &self.ctx.config.keymap;
        let mut rows: Vec<(String, String)> = Action::BINDABLE
            .iter()
            .filter(|a| !keymap.keys(**a).is_empty())
            // A served session has no job control to suspend to.
            .filter(|a| **a != Action::Suspend || self.keeping == super::Keeping::Local)
            .map(|&a| {
                let keys: Vec<String> = keymap.keys(a).iter().map(ToString::to_string).collect();
                (keys.join(" "), self.strings.action(a).to_owned())
            })
            .collect();
        let general = rows.len();
        for (i, actor) in self.ctx.config.actors.iter().enumerate() {
            if let Some(key) = keymap.keys(Action::ToggleActor(i)).first() {
                let hide = keymap
                    .keys(Action::ExcludeActor(i))
                    .first()
                    .map(|k| format!(" / {k}"))
                    .unwrap_or_default();
                let template = if hide.is_empty() {
                    &self.strings.ui.help_actor
                } else {
                    &self.strings.ui.help_exclude
                };
                let what = fill(template, &[("actor", actor.label(&self.edition.lang))]);
                rows.push((format!("{key}{hide}"), what));
            }
        }
        // In a narrow overlay, long key lists get a line of their own
        // rather than pushing every description into a thin column.
        let widest = usize::from(width / 3).max(6);
        let key_width = rows
            .iter()
            .map(|r| unicode_width::UnicodeWidthStr::width(r.0.as_str()))
            .filter(|&w| w <= widest || width >= 60)
            .max()
            .unwrap_or(0);
        let mut lines = vec![vec![Span::new(
            self.strings.ui.help_general.clone(),
            Role::Heading,
        )]];
        for (i, (keys, what)) in rows.into_iter().enumerate() {
            if i == general {
                lines.push(Vec::new());
                lines.push(vec![Span::new(
                    self.strings.ui.help_actors.clone(),
                    Role::Heading,
                )]);
            }
            let row_keys_width = unicode_width::UnicodeWidthStr::width(keys.as_str());
            let pad = key_width.saturating_sub(row_keys_width);
            let room = usize::from(width).saturating_sub(key_width + 2);
            if row_keys_width <= key_width
                && (room >= 12 || room >= unicode_width::UnicodeWidthStr::width(what.as_str()))
            {
                let indent = " ".repeat(key_width + 2);
                let wrapped = reflow::wrap(&what, width, &indent, &indent, Role::Overlay);
                for (i, mut line) in wrapped.into_iter().enumerate() {
                    if let Some(first) = line.first_mut() {
                        first.text = first.text.trim_start().to_owned();
                    }
                    let lead = if i == 0 {
                        Span::new(format!("{keys}{}  ", " ".repeat(pad)), Role::Key)
                    } else {
                        Span::new(indent.clone(), Role::Overlay)
                    };
                    line.insert(0, lead);
                    lines.push(line);
                }
            } else {
                lines.push(vec![Span::new(keys, Role::Key)]);
                lines.extend(reflow::wrap(&what, width, "  ", "  ", Role::Overlay));
            }
        }
        lines.push(Vec::new());
        // Something to do, not a footnote: drawn as text, which must read
        // at 4.5:1 where muted text need only reach 3:1.
        lines.extend(reflow::wrap(
            &self.strings.ui.tmux_clipboard,
            width,
            "",
            "",
            Role::Overlay,
        ));
        lines
    }

    /// Every load and config problem, one after another, wrapped; above
    /// them, the messages of this session (a notice that went by is here).
    fn warning_lines(&self, width: u16) -> Vec<reflow::Line> {
        let mut lines = Vec::new();
        if !self.messages.is_empty() {
            let ui = &self.strings.ui;
            lines.push(vec![Span::new(ui.messages_title.clone(), Role::Heading)]);
            for message in &self.messages {
                lines.extend(reflow::wrap(message, width, "", "  ", Role::Overlay));
            }
            lines.push(Vec::new());
            lines.push(vec![Span::new(ui.problems_title.clone(), Role::Heading)]);
        }
        lines.extend(self.problem_lines(width));
        lines
    }

    fn problem_lines(&self, width: u16) -> Vec<reflow::Line> {
        let diagnostics: Vec<_> = self
            .ctx
            .config
            .warnings
            .iter()
            .chain(&self.ctx.library.diagnostics)
            .collect();
        if diagnostics.is_empty() {
            return reflow::wrap(&self.strings.ui.no_warnings, width, "", "", Role::Overlay);
        }
        let mut lines = Vec::new();
        for d in diagnostics {
            let role = if d.is_error() {
                Role::Error
            } else {
                Role::Warning
            };
            lines.extend(reflow::wrap(&d.to_string(), width, "", "  ", role));
        }
        lines
    }
}

impl App {
    /// A click focuses the pane under it and picks the row; a click on a
    /// timeline row opens it. The wheel scrolls the pane under the pointer.
    fn mouse(&mut self, mouse: Mouse) {
        if self.overlay.is_some() {
            return;
        }
        let Some(pane) = Pane::ALL.into_iter().find(|&p| {
            self.layout
                .pane(p)
                .contains(ratatui::layout::Position::new(mouse.x, mouse.y))
        }) else {
            return;
        };
        self.dirty = true;
        let rect = self.layout.pane(pane);
        match mouse.kind {
            MouseKind::ScrollUp | MouseKind::ScrollDown
                if pane == Pane::Timeline && self.timeline_view == TimelineView::Chart =>
            {
                self.chart_move(if mouse.kind == MouseKind::ScrollUp {
                    -1
                } else {
                    1
                });
            }
            MouseKind::ScrollUp | MouseKind::ScrollDown => {
                let focus = self.focus;
                self.focus = pane;
                self.move_by(if mouse.kind == MouseKind::ScrollUp {
                    -3
                } else {
                    3
                });
                self.focus = focus;
            }
            MouseKind::Click => {
                self.set_focus(pane);
                let inside = mouse.y > rect.y && mouse.y < rect.bottom().saturating_sub(1);
                let row = usize::from(mouse.y.saturating_sub(rect.y + 1));
                match pane {
                    Pane::Topics if inside => {
                        let target = self.topic_cursor.offset + row;
                        if target < self.topics.len() && target != self.topic_cursor.selected {
                            self.topic_cursor.selected = target;
                            self.timeline_cursor = super::ListCursor::default();
                            self.rebuild_timeline();
                        }
                    }
                    Pane::Timeline if inside && self.timeline_view == TimelineView::List => {
                        let target = self.timeline_cursor.offset + row;
                        if let Some(TimelineRow::Section(s)) = self.timeline.get(target).copied() {
                            self.timeline_cursor.selected = target;
                            self.open_section(Some(s), Some(s) == self.reader.open);
                            self.start_read_timer();
                        }
                    }
                    _ => {}
                }
                self.follow_cursors();
            }
        }
    }
}

fn page(layout: &Layout, pane: Pane) -> isize {
    isize::try_from(layout.page(pane)).unwrap_or(1)
}

/// The overlay's outer width for a layout (shared with the view).
pub fn overlay_width(layout: &Layout) -> u16 {
    layout.area.width.saturating_sub(4).min(100)
}
