//! The status line: the filter in words, how many sections are listed,
//! load problems, the latest notice and key hints (from the keymap, so
//! never stale). When the line is too narrow, space goes by priority: the
//! long problem text goes first (its short form keeps both counts), then
//! the key hints, then the filter in words; a notice that still does not
//! fit is shortened at a word, with "…".

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Action;
use crate::app::{App, TopicChoice};
use crate::config::Role;
use crate::i18n::fill;
use crate::text::shorten;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let ui = &app.strings.ui;
    let base = app.style(Role::Status);
    let filter = what_is_shown(app);
    let search = &app.search;
    // The count (or, while searching, what is typed and how many match)
    // is what the line is for: it goes first and is never dropped.
    let width = usize::from(area.width);
    let count = if search.is_active() {
        let cursor = if search.editing { "▏" } else { "" };
        let matches = app
            .strings
            .count(&ui.matches, &ui.matches_one, app.listed_count());
        format!(
            "/{}{cursor} · {matches}",
            typed_tail(&search.text, width / 3)
        )
    } else {
        listed(app)
    };
    let sync = background(app);
    let hints = hints(app, base);
    let hints_width: usize = hints.iter().map(Span::width).sum();
    let warning = base.patch(app.style(Role::Warning));
    // Space goes by priority: count, notice, problems (short, with both
    // counts), the filter in words, key hints, and the long problem text
    // last.
    let line = |with_filter: bool, long: bool, notice: Option<&str>| -> Vec<Span<'static>> {
        let mut parts: Vec<(String, Style)> = Vec::new();
        if search.is_active() {
            parts.push((count.clone(), base));
            if with_filter {
                parts.push((filter.clone(), base));
            }
        } else {
            if with_filter {
                parts.push((filter.clone(), base));
            }
            parts.push((count.clone(), base));
        }
        parts.extend(sync.iter().map(|s| (s.clone(), base)));
        if let Some(problems) = problems(app, !long) {
            parts.push((format!("⚠ {problems}"), warning));
        }
        if let Some(notice) = notice.filter(|n| !n.is_empty()) {
            parts.push((notice.to_owned(), base));
        }
        let mut spans = Vec::new();
        for (i, (text, style)) in parts.into_iter().enumerate() {
            let sep = if i == 0 { " " } else { " · " };
            spans.push(Span::styled(sep, base));
            spans.push(Span::styled(text, style));
        }
        spans
    };
    let notice = app.notice.as_deref();
    let fits = |spans: &[Span<'_>], extra: usize| {
        spans.iter().map(Span::width).sum::<usize>() + extra <= width
    };
    let mut chosen = None;
    for (with_filter, long, with_hints) in [
        (true, true, true),
        (true, false, true),
        (true, false, false),
        (false, false, false),
    ] {
        let spans = line(with_filter, long, notice);
        let extra = if with_hints { hints_width } else { 0 };
        if fits(&spans, extra) {
            chosen = Some((spans, with_hints));
            break;
        }
    }
    let (mut spans, with_hints) = chosen.unwrap_or_else(|| {
        // Still too long: shorten the notice at a word (with "…"), then,
        // if even that is not enough, the whole line.
        let essentials: usize = line(false, false, None).iter().map(Span::width).sum();
        let room = width.saturating_sub(essentials + 3);
        let short = notice.map(|n| shorten(n, room));
        let spans = line(false, false, short.as_deref().filter(|_| room >= 6));
        if fits(&spans, 0) {
            (spans, false)
        } else {
            let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
            (vec![Span::styled(shorten(&text, width), base)], false)
        }
    });
    if with_hints {
        let used: usize = spans.iter().map(Span::width).sum();
        spans.push(Span::styled(
            " ".repeat(width.saturating_sub(used + hints_width)),
            base,
        ));
        spans.extend(hints);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

/// How many sections are listed: "4,210 sections" when nothing is hidden,
/// "12/4,210 sections" when the filter, the topic or a month hides some;
/// when stories from several outlets are one row each, the rows first:
/// "20 stories · 21 sections".
fn listed(app: &App) -> String {
    let ui = &app.strings.ui;
    let total = app.edition.sections.len();
    let sections = app.listed_sections();
    let grouped = |n| crate::i18n::grouped(n, &ui.thousands);
    let template = match (sections < total, total == 1) {
        (true, true) => &ui.sections_one,
        (true, false) => &ui.sections,
        (false, true) => &ui.sections_all_one,
        (false, false) => &ui.sections_all,
    };
    let counted = fill(
        template,
        &[("visible", &grouped(sections)), ("total", &grouped(total))],
    );
    let rows = app.listed_count();
    if rows == sections {
        return counted;
    }
    let template = if rows == 1 {
        &ui.stories_one
    } else {
        &ui.stories
    };
    format!(
        "{} · {counted}",
        fill(template, &[("count", &grouped(rows))])
    )
}

/// Work going on in the background: the store's sync, a fetch of the
/// feeds ("fetching 3/12 feeds").
fn background(app: &App) -> Vec<String> {
    let sync = app.sync.map(|(done, total)| syncing(app, done, total));
    let ui = &app.strings.ui;
    let fetching = app.fetching.map(|(done, total)| {
        fill(
            &ui.fetching,
            &[("done", &done.to_string()), ("total", &total.to_string())],
        )
    });
    let storing = app.fetching.and(app.storing).map(|items| {
        fill(
            &ui.storing,
            &[("items", &crate::i18n::grouped(items, &ui.thousands))],
        )
    });
    sync.into_iter().chain(fetching).chain(storing).collect()
}

/// The background sync while it parses: "syncing 1,204 files (25%)".
fn syncing(app: &App, done: usize, total: usize) -> String {
    let ui = &app.strings.ui;
    let percent = (done.min(total) * 100).checked_div(total).unwrap_or(0);
    fill(
        &ui.syncing,
        &[
            ("files", &crate::i18n::grouped(total, &ui.thousands)),
            ("percent", &percent.to_string()),
        ],
    )
}

/// The end of a long search text (where one types), at most `max`
/// characters with a leading "…", so the count and a notice still show.
fn typed_tail(text: &str, max: usize) -> String {
    let max = max.max(10);
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let tail: String = text.chars().skip(count - (max - 1)).collect();
    format!("…{tail}")
}

/// `Showing Musk or DeepSeek · Regulation · March 2025`: the filter, the
/// topic and the month the timeline is narrowed to.
fn what_is_shown(app: &App) -> String {
    let ui = &app.strings.ui;
    let mut filter = fill(&ui.filter_showing, &[("filter", &filter_words(app))]);
    // The topic narrows the list too: say which.
    if let Some(topic) = topic_words(app) {
        filter = format!("{filter} · {topic}");
    }
    if let Some(period) = app.period {
        filter = format!("{filter} · {}", period.describe(&app.strings));
    }
    filter
}

/// The chosen topic entry in words (`Data centres`, `★ Starred`), or
/// nothing when every topic is listed.
pub fn topic_words(app: &App) -> Option<String> {
    let ui = &app.strings.ui;
    match app.topic_choice() {
        TopicChoice::All => None,
        TopicChoice::Starred => Some(format!("★ {}", ui.starred)),
        TopicChoice::Untagged => Some(ui.untagged.clone()),
        TopicChoice::Topic(t) => app.library().topics.get(t).cloned(),
        TopicChoice::Source(i) => Some(format!("» {}", super::topics::source_name(app, i))),
    }
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

/// `2 files skipped, 1 warning: press ! to see why` (or a short form),
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
    let warning_count = app
        .strings
        .count(&ui.warning_count, &ui.warning_count_one, warnings);
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
                ("warnings", &warning_count),
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
            &[("warnings", &warning_count), ("key", &key)],
        ))
    } else {
        None
    }
}
