//! The activity chart as the reader shows it: its own cursor (a month or
//! week), scrolling, the legend and footnote laid out for the pane's width,
//! and Enter narrowing the timeline to the chosen month. The numbers come
//! from `query::chart`; drawing is `view::chart`.

use std::sync::Arc;

use super::{App, Line, ListCursor, Pane, Span, TimelineView};
use crate::action::Action;
use crate::config::Role;
use crate::content::SectionId;
use crate::i18n::fill;
use crate::query::chart::{self, Row, Series, Unit};
use crate::reflow::{self, Paint};
use crate::text::shorten;

/// The chart's text around the bars, laid out for the pane's width.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartFrame {
    /// What a bar counts and which actor each colour is, wrapped.
    pub legend: Vec<Line>,
    /// Sections the chart cannot place, wrapped.
    pub note: Vec<Line>,
}

impl App {
    /// Rows a chart row takes on screen: a line per series for a month,
    /// one for a run of empty months.
    pub fn chart_row_height(&self, row: &Row) -> usize {
        match row {
            Row::Bucket(_) => self.chart.series.len().max(1),
            Row::Gap(_) => 1,
        }
    }

    /// Lines for the bars: the timeline pane's inside less legend and note.
    pub fn chart_viewport(&self) -> usize {
        let inner = usize::from(self.layout.timeline.height.saturating_sub(2));
        inner
            .saturating_sub(self.chart_frame.legend.len() + self.chart_frame.note.len())
            .max(1)
    }

    /// Counts the listed sections (before any narrowing to a month) for
    /// the chart, when it is shown; otherwise nothing is built.
    pub(super) fn rebuild_chart(&mut self, sections: &[SectionId]) {
        if self.timeline_view != TimelineView::Chart {
            self.chart = chart::Chart::default();
            return;
        }
        let lib = Arc::clone(&self.ctx.library);
        let active = self.filter.active().to_vec();
        let before = self.chart_selected().map(|b| b.period);
        self.chart = chart::build(&lib, sections, &active, &self.strings);
        // Stay on the same month if it is still there, else the newest.
        let target = before
            .and_then(|p| {
                self.chart
                    .rows
                    .iter()
                    .position(|r| matches!(r, Row::Bucket(b) if b.period == p))
            })
            .or_else(|| self.last_bucket());
        self.chart_cursor = ListCursor {
            selected: target.unwrap_or(0),
            offset: self.chart_cursor.offset,
        };
        self.relayout_chart();
    }

    /// The month (or week) under the chart's cursor.
    pub fn chart_selected(&self) -> Option<&chart::Bucket> {
        match self.chart.rows.get(self.chart_cursor.selected) {
            Some(Row::Bucket(b)) => Some(b),
            _ => None,
        }
    }

    fn last_bucket(&self) -> Option<usize> {
        self.chart
            .rows
            .iter()
            .rposition(|r| matches!(r, Row::Bucket(_)))
    }

    /// Lays out legend and note for the pane's width and keeps the cursor
    /// in view.
    pub(super) fn relayout_chart(&mut self) {
        if self.timeline_view != TimelineView::Chart {
            return;
        }
        let width = self.layout.timeline.width.saturating_sub(2);
        self.chart_frame = self.chart_frame(width);
        self.chart_follow();
    }

    fn chart_frame(&self, width: u16) -> ChartFrame {
        let ui = &self.strings.ui;
        let unit = match self.chart.unit {
            Some(Unit::Week) => &ui.chart_by_week,
            _ => &ui.chart_by_month,
        };
        let mut items = vec![Span::new(unit.clone(), Role::Meta)];
        for series in &self.chart.series {
            if let Series::Actor(a) = *series {
                let key = self
                    .config()
                    .keymap
                    .keys(Action::ToggleActor(a))
                    .first()
                    .map(|k| format!("{k} "))
                    .unwrap_or_default();
                let name = self
                    .config()
                    .actors
                    .get(a)
                    .map_or("", |x| x.label(&self.edition.lang));
                items.push(Span {
                    text: format!("{key}{name}"),
                    paint: Paint::Actor(a),
                });
            }
        }
        let note = if self.chart.year_only > 0 {
            let text = fill(
                &ui.chart_year_only,
                &[("count", &self.chart.year_only.to_string())],
            );
            reflow::wrap(&text, width.saturating_sub(1), " ", " ", Role::Muted)
        } else {
            Vec::new()
        };
        ChartFrame {
            legend: legend_lines(items, usize::from(width)),
            note,
        }
    }

    /// Moves the offset so the selected row is whole on screen, without
    /// empty lines below the last row.
    pub(super) fn chart_follow(&mut self) {
        let height = self.chart_viewport();
        let rows = &self.chart.rows;
        let heights: Vec<usize> = rows.iter().map(|r| self.chart_row_height(r)).collect();
        let cursor = &mut self.chart_cursor;
        cursor.selected = cursor.selected.min(rows.len().saturating_sub(1));
        cursor.offset = cursor.offset.min(cursor.selected);
        while cursor.offset < cursor.selected
            && heights[cursor.offset..=cursor.selected]
                .iter()
                .sum::<usize>()
                > height
        {
            cursor.offset += 1;
        }
        while cursor.offset > 0 && heights[cursor.offset - 1..].iter().sum::<usize>() <= height {
            cursor.offset -= 1;
        }
    }

    /// Moves the chart's cursor by `delta` months (gaps are skipped).
    pub(super) fn chart_move(&mut self, delta: isize) {
        let buckets: Vec<usize> = self
            .chart
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Row::Bucket(_)))
            .map(|(i, _)| i)
            .collect();
        let Some(here) = buckets
            .iter()
            .position(|&i| i >= self.chart_cursor.selected)
            .or(buckets.len().checked_sub(1))
        else {
            return;
        };
        let next = here.saturating_add_signed(delta).min(buckets.len() - 1);
        self.chart_cursor.selected = buckets[next];
        self.chart_follow();
    }

    /// Enter on the chart: the timeline lists only the chosen month (or
    /// week) until the narrowing is cleared (Esc or the clear-filters key).
    pub(super) fn chart_open(&mut self) {
        let Some(period) = self.chart_selected().map(|b| b.period) else {
            return;
        };
        self.period = Some(period);
        self.timeline_view = TimelineView::List;
        self.timeline_cursor = ListCursor::default();
        self.reader.open = None;
        self.rebuild_timeline();
        self.set_focus(Pane::Timeline);
        let month = period.describe(&self.strings);
        self.say(fill(&self.strings.ui.chart_narrowed, &[("month", &month)]));
    }
}

/// The legend's items over as many lines as needed, two spaces apart;
/// an item wider than a line is shortened at a word, with "…".
fn legend_lines(items: Vec<Span>, width: usize) -> Vec<Line> {
    use unicode_width::UnicodeWidthStr;
    let width = width.max(2);
    let mut lines: Vec<Line> = vec![Vec::new()];
    let mut used = 0;
    for mut item in items {
        item.text = shorten(&item.text, width - 1);
        let w = item.text.width();
        let sep = if used == 0 { 1 } else { 2 };
        if used > 0 && used + sep + w > width {
            lines.push(Vec::new());
            used = 0;
        }
        let sep = if used == 0 { 1 } else { 2 };
        if let Some(line) = lines.last_mut() {
            line.push(Span::new(" ".repeat(sep), Role::Meta));
            line.push(item);
        }
        used += sep + w;
    }
    lines
}
