//! The top line: the actor legend (each filter key, its actor in colour,
//! active ones highlighted) in full mode, or the pane tabs in single mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::action::Action;
use crate::app::{App, Mode, Pane};
use crate::config::Role;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect, mode: Mode) {
    let mut spans = vec![Span::styled(" aiwatch ", app.style(Role::TitleFocused))];
    let lang = format!(" {} ", app.edition.lang.to_uppercase());
    let budget = usize::from(area.width).saturating_sub(lang.width() + 1);
    let mut used = spans[0].width();
    if mode == Mode::Single {
        for pane in Pane::ALL {
            let title = pane_title(app, pane);
            let role = if pane == app.focus {
                Role::Selection
            } else {
                Role::Title
            };
            let text = format!(" {title} ");
            used += text.width() + 1;
            spans.push(Span::raw(" "));
            spans.push(Span::styled(text, app.style(role)));
        }
    } else {
        let keymap = &app.config().keymap;
        for (i, actor) in app.config().actors.iter().enumerate() {
            let Some(key) = keymap.keys(Action::ToggleActor(i)).first() else {
                continue;
            };
            // New since the last visit, unread: "m Musk 3".
            let new = app.actor_new.get(i).copied().unwrap_or(0);
            let chip = if new > 0 {
                format!(" {key} {} {new} ", actor.label(&app.edition.lang))
            } else {
                format!(" {key} {} ", actor.label(&app.edition.lang))
            };
            if used + chip.width() + 1 + 2 > budget {
                spans.push(Span::styled(" …", app.style(Role::Muted)));
                used += 2;
                break;
            }
            used += chip.width() + 1;
            let mut style = ratatui::style::Style::new().fg(actor.color);
            if app.filter.is_active(i) {
                style = style.patch(app.style(Role::FilterOn));
            } else if app.filter.is_excluded(i) {
                // Muted (dim in `mono`) rather than faint: faint text in a
                // colour can fall below any contrast the theme promises.
                style = style
                    .patch(app.style(Role::Muted))
                    .add_modifier(ratatui::style::Modifier::CROSSED_OUT);
            } else {
                style = style.patch(app.style(Role::FilterOff));
            }
            spans.push(Span::raw(" "));
            spans.push(Span::styled(chip, style));
        }
    }
    let pad = usize::from(area.width).saturating_sub(used + lang.width());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(lang, app.style(Role::Meta)));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn pane_title(app: &App, pane: Pane) -> &str {
    let ui = &app.strings.ui;
    match pane {
        Pane::Topics => &ui.topics,
        Pane::Timeline => &ui.timeline,
        Pane::Reader => &ui.reader,
    }
}
