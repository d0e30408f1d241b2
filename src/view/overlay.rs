//! Help and load-problem overlays: a centred box over the panes showing
//! lines laid out in `update`, scrollable.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane_block;
use crate::app::{App, Overlay, OverlayKind, overlay_width};
use crate::config::Role;

pub fn draw(app: &App, frame: &mut Frame<'_>, overlay: &Overlay) {
    let area = app.layout.area;
    let widest = overlay
        .lines
        .iter()
        .map(crate::reflow::line_width)
        .max()
        .unwrap_or(0);
    let width = match overlay.kind {
        // Help is a table: as wide as its widest row, not the whole screen.
        OverlayKind::Help => u16::try_from(widest + 4).unwrap_or(u16::MAX).max(30),
        OverlayKind::Warnings | OverlayKind::Account { .. } => u16::MAX,
    }
    .min(overlay_width(&app.layout))
    .min(area.width);
    let wanted = u16::try_from(overlay.lines.len() + 2).unwrap_or(u16::MAX);
    let height = wanted
        .min(area.height.saturating_sub(2))
        .max(3)
        .min(area.height);
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let ui = &app.strings.ui;
    let title = match overlay.kind {
        OverlayKind::Help => ui.help_title.clone(),
        OverlayKind::Account { .. } => ui.account_title.clone(),
        OverlayKind::Warnings if app.messages.is_empty() => ui.warnings_title.clone(),
        // The session's messages come first, then the load problems.
        OverlayKind::Warnings => format!("{} · {}", ui.messages_title, ui.problems_title),
    };
    let block = pane_block(app, &title, true)
        .style(app.style(Role::Overlay))
        .title_bottom(
            Line::from(Span::styled(
                format!(" {} ", app.strings.ui.close_hint),
                app.style(Role::Muted),
            ))
            .alignment(Alignment::Right),
        );
    let visible = usize::from(rect.height.saturating_sub(2));
    let block = if overlay.lines.len() > visible {
        // More than fits: say where we are, like the reading pane does.
        let last = (overlay.scroll + visible).min(overlay.lines.len());
        let position = format!(" {}-{last}/{} ", overlay.scroll + 1, overlay.lines.len());
        block.title_bottom(
            Line::from(Span::styled(position, app.style(Role::Meta))).alignment(Alignment::Left),
        )
    } else {
        block
    };
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let lines: Vec<Line<'_>> = overlay
        .lines
        .iter()
        .skip(overlay.scroll)
        .take(usize::from(inner.height))
        .map(|l| app.text_line(l))
        .collect();
    let text_area = Rect::new(
        inner.x.saturating_add(1),
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    frame.render_widget(
        Paragraph::new(lines).style(app.style(Role::Overlay)),
        text_area,
    );
}
