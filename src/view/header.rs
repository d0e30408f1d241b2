//! The top line: the actor legend (each filter key, its actor in colour,
//! active ones highlighted) in full mode, or the pane tabs in single mode.
//! When not every chip fits, names are shortened for all of them before
//! any actor is left out.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::action::Action;
use crate::app::{App, Mode, Pane};
use crate::config::Role;
use crate::text::truncate;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect, mode: Mode) {
    let mut spans = vec![Span::styled(" aiwatch ", app.style(Role::TitleFocused))];
    let lang = format!(" {} ", app.edition.lang.to_uppercase());
    let budget = usize::from(area.width).saturating_sub(lang.width() + 1);
    let mut used = spans[0].width();
    if mode == Mode::Single {
        let titles = Pane::ALL.map(|pane| pane_title(app, pane));
        let (brand, tabs) = tabs(&titles, budget);
        if !brand {
            spans.clear();
            used = 0;
        }
        for (pane, text) in Pane::ALL.into_iter().zip(tabs) {
            let role = if pane == app.focus {
                Role::Selection
            } else {
                Role::Title
            };
            used += text.width() + 1;
            spans.push(Span::raw(" "));
            spans.push(Span::styled(text, app.style(role)));
        }
    } else {
        let chips = actor_chips(app, budget.saturating_sub(used));
        for (chip, style) in chips {
            used += chip.width();
            spans.push(Span::styled(chip, style));
        }
    }
    let pad = usize::from(area.width).saturating_sub(used + lang.width());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(lang, app.style(Role::Meta)));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The pane tabs that fit in `budget` columns (each after a space), and
/// whether the " aiwatch " title still fits before them: every pane is
/// always named, in full with room around it, else closer, else cut, else
/// by its first letter; the title goes before a name is cut.
fn tabs(titles: &[&str], budget: usize) -> (bool, Vec<String>) {
    let brand = " aiwatch ".width();
    let longest = titles.iter().map(|t| t.width()).max().unwrap_or(0);
    let full = [
        titles.iter().map(|t| format!(" {t} ")).collect::<Vec<_>>(),
        titles.iter().map(|t| (*t).to_owned()).collect(),
    ];
    let cut = (2..longest)
        .rev()
        .map(|n| titles.iter().map(|t| truncate(t, n)).collect::<Vec<_>>());
    let initials = titles
        .iter()
        .map(|t| t.chars().next().map(String::from).unwrap_or_default())
        .collect::<Vec<_>>();
    let width = |tabs: &[String]| tabs.iter().map(|t| t.width() + 1).sum::<usize>();
    let with_brand = full.iter().find(|tabs| brand + width(tabs) <= budget);
    if let Some(tabs) = with_brand {
        return (true, tabs.clone());
    }
    let without = full
        .into_iter()
        .chain(cut)
        .find(|tabs| width(tabs) <= budget)
        .unwrap_or(initials);
    (false, without)
}

/// How much of each actor chip is shown, from the most to the least.
#[derive(Clone, Copy)]
enum Fit {
    /// ` m Musk 3 `, a space on each side and between chips.
    Spaced,
    /// `m Musk 3`, one space between chips.
    Snug,
    /// Names cut to this many columns, with "…".
    Cut(usize),
    /// Keys (and new counts) only.
    Keys,
}

/// The actor chips that fit in `budget` columns: every actor in config
/// order, as much of each as fits for all of them; only when not even the
/// keys fit are the last ones left out behind "…".
fn actor_chips(app: &App, budget: usize) -> Vec<(String, Style)> {
    let keymap = &app.config().keymap;
    let actors: Vec<(usize, String, usize)> = app
        .config()
        .actors
        .iter()
        .enumerate()
        .filter_map(|(i, _)| {
            let key = keymap.keys(Action::ToggleActor(i)).first()?.to_string();
            // New since the last visit, unread: "m Musk 3".
            Some((i, key, app.actor_new.get(i).copied().unwrap_or(0)))
        })
        .collect();
    let chip = |i: usize, key: &str, new: usize, fit: Fit| {
        let name = app.config().actors[i].label(&app.edition.lang);
        let name = match fit {
            Fit::Spaced | Fit::Snug => format!(" {name}"),
            Fit::Cut(n) => format!(" {}", truncate(name, n)),
            Fit::Keys => String::new(),
        };
        let new = if new > 0 {
            format!(" {}", crate::i18n::grouped(new, &app.strings.ui.thousands))
        } else {
            String::new()
        };
        if matches!(fit, Fit::Spaced) {
            (" ", format!(" {key}{name}{new} "))
        } else {
            (" ", format!("{key}{name}{new}"))
        }
    };
    let longest = actors
        .iter()
        .map(|(i, ..)| app.config().actors[*i].label(&app.edition.lang).width())
        .max()
        .unwrap_or(0);
    let fits = [Fit::Spaced, Fit::Snug]
        .into_iter()
        .chain((2..longest).rev().map(Fit::Cut))
        .chain([Fit::Keys]);
    let width = |fit: Fit| -> usize {
        actors
            .iter()
            .map(|(i, k, n)| {
                let (gap, text) = chip(*i, k, *n, fit);
                gap.len() + text.width()
            })
            .sum()
    };
    let chosen = fits.into_iter().find(|&f| width(f) <= budget);
    let mut out = Vec::new();
    let mut used = 0;
    for (i, key, new) in &actors {
        let (gap, text) = chip(*i, key, *new, chosen.unwrap_or(Fit::Keys));
        if chosen.is_none() && used + gap.len() + text.width() + 2 > budget {
            out.push((" …".to_owned(), app.style(Role::Muted)));
            break;
        }
        used += gap.len() + text.width();
        let actor = &app.config().actors[*i];
        let mut style = Style::new().fg(actor.color);
        if app.filter.is_active(*i) {
            style = style.patch(app.style(Role::FilterOn));
        } else if app.filter.is_excluded(*i) {
            // Muted (dim in `mono`) rather than faint: faint text in a
            // colour can fall below any contrast the theme promises.
            style = style
                .patch(app.style(Role::Muted))
                .add_modifier(Modifier::CROSSED_OUT);
        } else {
            style = style.patch(app.style(Role::FilterOff));
        }
        if !gap.is_empty() {
            out.push((gap.to_owned(), Style::new()));
        }
        out.push((text, style));
    }
    out
}

pub fn pane_title(app: &App, pane: Pane) -> &str {
    let ui = &app.strings.ui;
    match pane {
        Pane::Topics => &ui.topics,
        Pane::Timeline => &ui.timeline,
        Pane::Reader => &ui.reader,
    }
}
