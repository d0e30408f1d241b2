//! The reading pane: the open section's laid-out lines (computed in
//! `update`), the visible slice only, with a scroll bar and position.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};

use super::{empty_state, header::pane_title, pane_block};
use crate::app::{App, Pane};
use crate::config::Role;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let focused = app.focus == Pane::Reader;
    let lines = &app.reader.lines;
    let height = usize::from(area.height.saturating_sub(2));
    let mut block = pane_block(app, pane_title(app, Pane::Reader), focused);
    let overflow = lines.len() > height;
    if overflow {
        let last = (app.reader.scroll + height).min(lines.len());
        let percent = last * 100 / lines.len().max(1);
        let position = format!(
            " {}-{last}/{} {percent}% ",
            app.reader.scroll + 1,
            lines.len()
        );
        block = block.title_bottom(
            Line::from(Span::styled(position, app.style(Role::Meta))).alignment(Alignment::Right),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.reader.open.is_none() {
        let message = if app.timeline.is_empty() {
            super::timeline::empty_message(app)
        } else {
            vec![app.strings.ui.no_section.clone()]
        };
        empty_state(app, frame, inner, &message);
        return;
    }
    let text_area = text_area(inner);
    let visible: Vec<Line<'_>> = lines
        .iter()
        .skip(app.reader.scroll)
        .take(height)
        .map(|l| app.text_line(l))
        .collect();
    frame.render_widget(
        Paragraph::new(visible).style(app.style(Role::Body)),
        text_area,
    );
    if overflow {
        let mut state = ScrollbarState::new(lines.len().saturating_sub(height))
            .position(app.reader.scroll)
            .viewport_content_length(height);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None)
                .style(app.style(Role::Scrollbar)),
            area.inner(ratatui::layout::Margin::new(0, 1)),
            &mut state,
        );
    }
}

/// Where the text goes inside the pane's border: one column of margin on
/// the left, one for the scroll bar on the right.
fn text_area(inner: Rect) -> Rect {
    Rect::new(
        inner.x.saturating_add(1),
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    )
}

/// A piece of a URL as drawn on screen, to be marked as a hyperlink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpan {
    pub x: u16,
    pub y: u16,
    pub text: String,
}

/// Where the open section's link is on screen (none under an overlay or
/// when the reading pane is hidden), from the same layout as `draw`.
pub fn link_spans(app: &App) -> Vec<LinkSpan> {
    let area = app.layout.reader;
    if app.overlay.is_some() || area.area() == 0 || app.reader.open.is_none() {
        return Vec::new();
    }
    let inner = area.inner(ratatui::layout::Margin::new(1, 1));
    let text = text_area(inner);
    let mut spans = Vec::new();
    let rows = app
        .reader
        .lines
        .iter()
        .skip(app.reader.scroll)
        .take(usize::from(text.height));
    for (row, line) in rows.enumerate() {
        let mut x = text.x;
        for span in line {
            let width = unicode_width::UnicodeWidthStr::width(span.text.as_str());
            if span.paint == crate::app::Paint::Role(Role::Link) {
                let fits = usize::from(text.right().saturating_sub(x));
                spans.push(LinkSpan {
                    x,
                    y: text.y + row as u16,
                    text: crate::text::truncate(&span.text, fits),
                });
            }
            x = x.saturating_add(width as u16);
        }
    }
    spans
}
