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
    let text_area = Rect::new(
        inner.x.saturating_add(1),
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
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
