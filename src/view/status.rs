//! The status line: the filter in words, how many sections are listed,
//! load problems and key hints (from the keymap, so never stale). When the
//! line is too narrow, hints go first, then the long problem text.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Action;
use crate::app::{App, TopicChoice};
use crate::config::Role;
use crate::i18n::fill;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let ui = &app.strings.ui;
    let base = app.style(Role::Status);
    let mut filter = fill(&ui.filter_showing, &[("filter", &filter_words(app))]);
    // The topic narrows the list too: say which.
    let topic = match app.topic_choice() {
        TopicChoice::All => None,
        TopicChoice::Starred => Some(format!("★ {}", ui.starred)),
        TopicChoice::Untagged => Some(ui.untagged.clone()),
        TopicChoice::Topic(t) => app.library().topics.get(t).cloned(),
    };
    if let Some(topic) = topic {
        filter = format!("{filter} · {topic}");
    }
    let counts = fill(
        &ui.sections,
        &[
            ("visible", &app.listed_count().to_string()),
            ("total", &app.edition.sections.len().to_string()),
        ],
    );
    let hints = hints(app, base);
    let width = usize::from(area.width);
    let mut chosen = Vec::new();
    let search = &app.search;
    let lead = if search.is_active() {
        // The search line: what is typed (with a cursor while typing) and
        // how many sections match.
        let cursor = if search.editing { "▏" } else { "" };
        let matches = fill(&ui.matches, &[("count", &app.listed_count().to_string())]);
        format!(" /{}{cursor} · {matches} · {filter}", search.text)
    } else {
        format!(" {filter} · {counts}")
    };
    for (short, with_hints) in [(false, true), (true, true), (true, false)] {
        let mut spans = vec![Span::styled(lead.clone(), base)];
        if let Some(problems) = problems(app, short) {
            spans.push(Span::styled(" · ", base));
            spans.push(Span::styled(
                format!("⚠ {problems}"),
                base.patch(app.style(Role::Warning)),
            ));
        }
        if let Some(notice) = &app.notice {
            spans.push(Span::styled(format!(" · {notice}"), base));
        }
        let left: usize = spans.iter().map(Span::width).sum();
        let right: usize = if with_hints {
            hints.iter().map(Span::width).sum()
        } else {
            0
        };
        chosen = spans;
        if left + right <= width {
            if with_hints {
                chosen.push(Span::styled(" ".repeat(width - left - right), base));
                chosen.extend(hints.iter().cloned());
            }
            break;
        }
    }
    frame.render_widget(Paragraph::new(Line::from(chosen)).style(base), area);
}

fn hints(app: &App, base: Style) -> Vec<Span<'static>> {
    let ui = &app.strings.ui;
    let mut spans = Vec::new();
    for (action, label) in [(Action::Help, &ui.hint_help), (Action::Quit, &ui.hint_quit)] {
        let key = app.config().keymap.hint(action);
        if !key.is_empty() {
            spans.push(Span::styled(
                format!(" {key}"),
                base.patch(app.style(Role::Key)),
            ));
            spans.push(Span::styled(format!(" {label} "), base));
        }
    }
    spans
}

/// The whole filter in words: `Musk or DeepSeek`, `all actors`,
/// `DeepSeek without Musk, Altman`.
pub fn filter_words(app: &App) -> String {
    let ui = &app.strings.ui;
    let names = |ids: &[usize]| -> Vec<&str> {
        ids.iter()
            .filter_map(|&i| {
                app.config()
                    .actors
                    .get(i)
                    .map(|a| a.label(&app.edition.lang))
            })
            .collect()
    };
    let shown = names(app.filter.active());
    let mut words = if shown.is_empty() {
        ui.filter_all.clone()
    } else {
        shown.join(&ui.filter_or)
    };
    let hidden = names(app.filter.excluded());
    if !hidden.is_empty() {
        words = format!("{words} {} {}", ui.filter_without, hidden.join(", "));
    }
    words
}

/// `2 files skipped, 1 warnings: press ! to see why` (or a short form),
/// when there is anything to say.
fn problems(app: &App, short: bool) -> Option<String> {
    let ui = &app.strings.ui;
    let lib = app.library();
    let warnings =
        lib.diagnostics.iter().filter(|d| !d.is_error()).count() + app.config().warnings.len();
    let key = app.config().keymap.hint(Action::Warnings);
    if lib.folders_unreadable > 0 {
        // A folder that could not be read is an error, not a warning: count
        // every problem, as many as the overlay lists.
        let count = lib.diagnostics.len() + app.config().warnings.len();
        let noun = if count == 1 {
            &ui.problem
        } else {
            &ui.problems
        };
        return Some(fill(
            &ui.problems_only,
            &[("problems", &format!("{count} {noun}")), ("key", &key)],
        ));
    }
    if lib.files_skipped > 0 {
        let noun = if lib.files_skipped == 1 {
            &ui.file
        } else {
            &ui.files
        };
        let files = format!("{} {noun}", lib.files_skipped);
        let template = if short {
            &ui.skipped_short
        } else {
            &ui.skipped
        };
        Some(fill(
            template,
            &[
                ("files", &files),
                ("warnings", &warnings.to_string()),
                ("key", &key),
            ],
        ))
    } else if warnings > 0
        || lib
            .diagnostics
            .iter()
            .any(crate::diag::Diagnostic::is_error)
    {
        Some(fill(
            &ui.warnings_only,
            &[("warnings", &warnings.to_string()), ("key", &key)],
        ))
    } else {
        None
    }
}
