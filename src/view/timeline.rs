//! The timeline: visible sections in date order under year and month
//! headers; each row a date at its precision, actor markers and the
//! headline. The section being read is marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{empty_state, header::pane_title, highlight, pane_block};
use crate::action::Action;
use crate::app::{App, Pane, TimelineRow, TimelineView};
use crate::config::Role;
use crate::content::NewsDate;
use crate::i18n::fill;
use crate::text::truncate;

/// Actor markers shown per row at most.
const MARKERS: usize = 3;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let focused = app.focus == Pane::Timeline;
    // Grouped as the status line and the topic list group it: 50,000.
    let count = crate::i18n::grouped(app.listed_count(), &app.strings.ui.thousands);
    let title = match (app.timeline_view, app.period) {
        (TimelineView::List, None) => format!("{} · {count}", pane_title(app, Pane::Timeline)),
        // Narrowed from the chart: say to what.
        (TimelineView::List, Some(period)) => format!(
            "{} · {} · {count}",
            pane_title(app, Pane::Timeline),
            period.describe(&app.strings)
        ),
        (TimelineView::Chart, _) => app.strings.ui.chart_title.clone(),
    };
    let mut block = pane_block(app, &title, focused);
    if app.timeline_view == TimelineView::Chart && focused && !app.chart.rows.is_empty() {
        let key = app.config().keymap.hint(Action::Open);
        let hint = fill(&app.strings.ui.chart_help, &[("key", &key)]);
        let hint = crate::text::shorten(&hint, usize::from(area.width.saturating_sub(4)));
        block = block.title_bottom(
            Line::from(Span::styled(format!(" {hint} "), app.style(Role::Muted)))
                .alignment(ratatui::layout::Alignment::Right),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.timeline_view == TimelineView::Chart {
        super::chart::draw(app, frame, inner);
        return;
    }
    if app.timeline.is_empty() {
        empty_state(app, frame, inner, &empty_message(app));
        return;
    }
    let date_width = date_column(app);
    let width = usize::from(inner.width);
    let cursor = app.timeline_cursor;
    let lines: Vec<Line<'_>> = app
        .timeline
        .iter()
        .enumerate()
        .skip(cursor.offset)
        .take(usize::from(inner.height))
        .map(|(i, row)| {
            let line = match *row {
                TimelineRow::Year(y) => Line::styled(format!(" {y}"), app.style(Role::Year)),
                TimelineRow::Month(_, m) => Line::styled(
                    format!("  {}", app.strings.month_name(m)),
                    app.style(Role::Month),
                ),
                TimelineRow::Section(s) => section_row(app, s, date_width, width),
            };
            if i == cursor.selected {
                highlight(
                    line,
                    app.style(if focused {
                        Role::Selection
                    } else {
                        Role::SelectionInactive
                    }),
                )
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn section_row(app: &App, section: usize, date_width: usize, width: usize) -> Line<'static> {
    let lib = app.library();
    let s = &lib.sections[section];
    let reading = app.reader.open == Some(section);
    // A story's row is unread while any of its listed sections is.
    let unread = app.row_unread(section);
    // ▸ the section being read, • one not read yet.
    let (mark, mark_role) = match (reading, unread) {
        (true, _) => ("▸", Role::Reading),
        (false, true) => ("•", Role::Unread),
        (false, false) => (" ", Role::Base),
    };
    let date = app.strings.date_short(s.date);
    let mut spans = vec![
        Span::styled(format!("{mark} "), app.style(mark_role)),
        Span::styled(format!("{date:<date_width$} "), app.style(Role::Date)),
    ];
    let mut markers = 0;
    // In configured order, the same on every row (and in the header).
    let mut configured: Vec<usize> = s
        .actors
        .iter()
        .filter_map(|&a| lib.actors[a].configured)
        .collect();
    configured.sort_unstable();
    configured.dedup();
    for configured in configured {
        let Some(key) = app
            .config()
            .keymap
            .keys(Action::ToggleActor(configured))
            .first()
        else {
            continue;
        };
        if markers == MARKERS {
            break;
        }
        markers += 1;
        let color = app.config().actors[configured].color;
        spans.push(Span::styled(key.to_string(), Style::new().fg(color)));
    }
    spans.push(Span::raw(" ".repeat(MARKERS - markers + 1)));
    let mut used = 2 + date_width + 1 + MARKERS + 1;
    if app.marks.is_starred(section) {
        spans.push(Span::styled("★ ", app.style(Role::Star)));
        used += 2;
    }
    // A story from several outlets: "+2 sources" after the heading, counting
    // outlets (feeds), not items.
    let more = lib
        .fetched
        .story(section)
        .map(|story| {
            let mut outlets: Vec<usize> = story
                .iter()
                .filter_map(|&s| lib.fetched.source(s))
                .collect();
            outlets.sort_unstable();
            outlets.dedup();
            outlets.len().saturating_sub(1)
        })
        .filter(|&others| others > 0)
        .map(|others| {
            format!(
                " {}",
                app.strings.count(
                    &app.strings.ui.more_sources,
                    &app.strings.ui.more_sources_one,
                    others
                )
            )
        });
    let more_width = more.as_deref().map_or(0, UnicodeWidthStr::width);
    let heading = truncate(&s.heading, width.saturating_sub(used + more_width));
    let role = match (reading, unread) {
        (true, _) => Role::Reading,
        (false, true) => Role::Unread,
        (false, false) => Role::Base,
    };
    spans.push(Span::styled(heading, app.style(role)));
    if let Some(more) = more {
        spans.push(Span::styled(more, app.style(Role::Meta)));
    }
    Line::from(spans)
}

/// The widest short date the reader's language can produce.
fn date_column(app: &App) -> usize {
    (1..=12)
        .filter_map(|m| NewsDate::new(2000, Some(m), Some(28)))
        .map(|d| app.strings.date_short(d).width())
        .max()
        .unwrap_or(6)
}

/// What an empty timeline says: what the filter and the topic are (both,
/// when both narrow the list, so the actor is not blamed for the topic)
/// and how to undo it.
pub fn empty_message(app: &App) -> Vec<String> {
    let ui = &app.strings.ui;
    if app.edition.sections.is_empty() {
        return vec![ui.empty_library.clone()];
    }
    if let Some(query) = app.search.query.as_ref().map(|_| app.search.text.trim()) {
        return vec![fill(&ui.no_matches, &[("query", query)])];
    }
    let filter = super::status::filter_words(app);
    let topic = super::status::topic_words(app);
    let first = match (app.filter.is_empty(), topic) {
        (false, Some(topic)) => fill(
            &ui.empty_filter_topic,
            &[("filter", &filter), ("topic", &topic)],
        ),
        (true, Some(topic)) => fill(&ui.empty_topic, &[("topic", &topic)]),
        (_, None) => fill(&ui.empty_filter, &[("filter", &filter)]),
    };
    let mut lines = vec![first];
    if !app.filter.is_empty() {
        let key = app.config().keymap.hint(Action::ClearFilters);
        lines.push(fill(&ui.empty_hint, &[("key", &key)]));
    }
    lines
}
