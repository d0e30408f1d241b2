//! The activity chart: sections per month (or week) under the current
//! filter, topic and search, one bar per active actor in its colour (or
//! one bar in the chart colour when no actor is chosen). Bars are
//! proportional to the largest count in view; the year is written at every
//! year change; long runs of empty months are one row. Reads the numbers,
//! cursor and legend `update` computed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::action::Action;
use crate::app::{App, Pane};
use crate::config::Role;
use crate::query::chart::{Row, Series};

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let chart = &app.chart;
    let ui = &app.strings.ui;
    if chart.rows.is_empty() {
        frame.render_widget(
            Paragraph::new(format!(" {}", ui.chart_empty)).style(app.style(Role::Empty)),
            area,
        );
        return;
    }
    let legend: Vec<Line<'_>> = app
        .chart_frame
        .legend
        .iter()
        .map(|l| app.text_line(l))
        .collect();
    let note: Vec<Line<'_>> = app
        .chart_frame
        .note
        .iter()
        .map(|l| app.text_line(l))
        .collect();
    let legend_height = u16::try_from(legend.len()).unwrap_or(0).min(area.height);
    let note_height = u16::try_from(note.len())
        .unwrap_or(0)
        .min(area.height - legend_height);
    frame.render_widget(
        Paragraph::new(legend),
        Rect::new(area.x, area.y, area.width, legend_height),
    );
    frame.render_widget(
        Paragraph::new(note),
        Rect::new(area.x, area.bottom() - note_height, area.width, note_height),
    );
    let bars = Rect::new(
        area.x,
        area.y + legend_height,
        area.width,
        area.height - legend_height - note_height,
    );
    frame.render_widget(Paragraph::new(bar_lines(app, bars)), bars);
}

/// The rows in view, from the chart's offset, as lines.
fn bar_lines(app: &App, area: Rect) -> Vec<Line<'static>> {
    let chart = &app.chart;
    let height = usize::from(area.height);
    let cursor = app.chart_cursor;
    // The rows that fit, whole.
    let mut shown = Vec::new();
    let mut used = 0;
    for (i, row) in chart.rows.iter().enumerate().skip(cursor.offset) {
        let h = app.chart_row_height(row);
        if used + h > height {
            break;
        }
        used += h;
        shown.push((i, row));
    }
    let largest = shown
        .iter()
        .filter_map(|(_, r)| match r {
            Row::Bucket(b) => b.counts.iter().max().copied(),
            Row::Gap(_) => None,
        })
        .max()
        .unwrap_or(0);
    let keys: Vec<String> = chart
        .series
        .iter()
        .map(|s| match *s {
            Series::All => String::new(),
            Series::Actor(a) => app
                .config()
                .keymap
                .keys(Action::ToggleActor(a))
                .first()
                .map(|k| format!(" {k}"))
                .unwrap_or_default(),
        })
        .collect();
    let key_width = keys.iter().map(|k| k.width()).max().unwrap_or(0);
    let counts = chart.buckets().flat_map(|b| b.counts.iter().copied());
    let count_width = counts.max().unwrap_or(0).to_string().len();
    let label_width = chart.buckets().map(|b| b.label.width()).max().unwrap_or(3);
    let year_width = chart
        .buckets()
        .map(|b| b.period.year().to_string().len())
        .max()
        .unwrap_or(4);
    // year, label, count with key, one column of gap, then the bar.
    let prefix = 1 + year_width + 1 + label_width + 1 + count_width + key_width + 1;
    let room = usize::from(area.width).saturating_sub(prefix + 1);
    let focused = app.focus == Pane::Timeline;
    let selection = app.style(if focused {
        Role::Selection
    } else {
        Role::SelectionInactive
    });
    let mut lines = Vec::new();
    let mut last_year = None;
    for (i, row) in shown {
        match row {
            Row::Gap(n) => {
                let n = usize::try_from(*n).unwrap_or(usize::MAX);
                let ui = &app.strings.ui;
                let text = app
                    .strings
                    .count(&ui.chart_empty_months, &ui.chart_empty_months_one, n);
                lines.push(Line::styled(
                    format!(" {:year_width$} {text}", ""),
                    app.style(Role::Muted),
                ));
            }
            Row::Bucket(bucket) => {
                let year = bucket.period.year();
                // Every year change is labelled, and the first row in view.
                let year_text = if last_year == Some(year) {
                    String::new()
                } else {
                    year.to_string()
                };
                last_year = Some(year);
                for (k, (&count, &series)) in bucket.counts.iter().zip(&chart.series).enumerate() {
                    let (year_cell, label) = if k == 0 {
                        (year_text.as_str(), bucket.label.as_str())
                    } else {
                        ("", "")
                    };
                    let cells = bar_cells(count, largest, room);
                    let mut line = Line::from(vec![
                        Span::styled(format!(" {year_cell:>year_width$} "), app.style(Role::Year)),
                        Span::styled(format!("{label:<label_width$} "), app.style(Role::Meta)),
                        Span::styled(
                            format!("{count:>count_width$}{:<key_width$} ", keys[k]),
                            app.style(Role::Base),
                        ),
                        Span::styled("█".repeat(cells), series_style(app, series)),
                    ]);
                    if i == app.chart_cursor.selected {
                        line = super::highlight(line, selection);
                    }
                    lines.push(line);
                }
            }
        }
    }
    lines
}

/// A bar's length in cells: proportional to the largest count in view,
/// which fills `room`; a count above zero shows at least one cell.
pub fn bar_cells(count: u64, largest: u64, room: usize) -> usize {
    if count == 0 || largest == 0 {
        return 0;
    }
    let room = room as u64;
    let cells = (count * room + largest / 2) / largest;
    usize::try_from(cells.clamp(1, room)).unwrap_or(0)
}

fn series_style(app: &App, series: Series) -> Style {
    match series {
        Series::All => app.style(Role::Chart),
        Series::Actor(a) => app
            .config()
            .actors
            .get(a)
            .map_or_else(|| app.style(Role::Chart), |x| Style::new().fg(x.color)),
    }
}
