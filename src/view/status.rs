//! The status line: the filter in words, how many sections are listed,
//! load problems and key hints (from the keymap, so never stale).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Action;
use crate::app::App;
use crate::config::Role;
use crate::i18n::fill;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let ui = &app.strings.ui;
    let keymap = &app.config().keymap;
    let filter = fill(&ui.filter_showing, &[("filter", &filter_words(app))]);
    let counts = fill(
        &ui.sections,
        &[
            ("visible", &app.listed_count().to_string()),
            ("total", &app.edition.sections.len().to_string()),
        ],
    );
    let mut left = vec![
        Span::styled(format!(" {filter}"), app.style(Role::Status)),
        Span::styled(format!(" · {counts}"), app.style(Role::Status)),
    ];
    if let Some(problems) = problems(app) {
        left.push(Span::styled(" · ", app.style(Role::Status)));
        left.push(Span::styled(
            format!("⚠ {problems}"),
            app.style(Role::Status).patch(app.style(Role::Warning)),
        ));
    }
    if let Some(notice) = &app.notice {
        left.push(Span::styled(
            format!(" · {notice}"),
            app.style(Role::Status),
        ));
    }
    let mut right = Vec::new();
    for (action, label) in [(Action::Help, &ui.hint_help), (Action::Quit, &ui.hint_quit)] {
        let key = keymap.hint(action);
        if !key.is_empty() {
            right.push(Span::styled(
                format!(" {key}"),
                app.style(Role::Status).patch(app.style(Role::Key)),
            ));
            right.push(Span::styled(format!(" {label} "), app.style(Role::Status)));
        }
    }
    let left_width: usize = left.iter().map(Span::width).sum();
    let right_width: usize = right.iter().map(Span::width).sum();
    let mut spans = left;
    if left_width + right_width < usize::from(area.width) {
        let pad = usize::from(area.width) - left_width - right_width;
        spans.push(Span::styled(" ".repeat(pad), app.style(Role::Status)));
        spans.extend(right);
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(app.style(Role::Status)),
        area,
    );
}

/// `Musk or DeepSeek`, or `all actors`.
pub fn filter_words(app: &App) -> String {
    let ui = &app.strings.ui;
    if app.filter.is_empty() {
        return ui.filter_all.clone();
    }
    app.filter
        .active()
        .iter()
        .filter_map(|&i| app.config().actors.get(i).map(|a| a.name.as_str()))
        .collect::<Vec<_>>()
        .join(&ui.filter_or)
}

/// "2 files skipped, 1 warnings: press ! to see why", when there is anything to say.
fn problems(app: &App) -> Option<String> {
    let ui = &app.strings.ui;
    let lib = app.library();
    let warnings =
        lib.diagnostics.iter().filter(|d| !d.is_error()).count() + app.config().warnings.len();
    let key = app.config().keymap.hint(Action::Warnings);
    if lib.files_skipped > 0 {
        let noun = if lib.files_skipped == 1 {
            &ui.file
        } else {
            &ui.files
        };
        let files = format!("{} {noun}", lib.files_skipped);
        Some(fill(
            &ui.skipped,
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
