//! Finding, remembering and seeing: search, read marks, stars, hiding
//! actors, the activity chart, the mouse, and state that survives a restart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::fmt::Write as _;
use std::path::PathBuf;

use aiwatch_tui::app::{App, Effect, Pane, TimelineRow, TimelineView, TopicChoice};
use aiwatch_tui::config::{Config, Role};
use aiwatch_tui::content::ContentRoot;
use aiwatch_tui::input::{Input, Mouse, MouseKind};
use common::{app_with, bundled, open_heading, press, render, screen};

fn listed(app: &App) -> Vec<usize> {
    app.listed().collect()
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle(Input::Key(aiwatch_tui::input::Key::char(c)));
    }
}

/// The bundled edition, with the effects of the first frame (the read
/// timer of the section opened at start).
fn fresh() -> (App, Vec<Effect>) {
    let config = Config::built_in().unwrap();
    let library =
        aiwatch_tui::content::load_library(&[ContentRoot::Bundled], &config.actor_directory());
    let ctx = aiwatch_tui::app::Context::new(library, config);
    let mut app = App::new(ctx, "en");
    let effects = app.handle(Input::Resize(120, 40));
    (app, effects)
}

fn with_wide(lang: &str) -> App {
    let roots = [
        ContentRoot::Bundled,
        ContentRoot::Dir(PathBuf::from("tests/fixtures/content/long")),
    ];
    app_with(Config::built_in().unwrap(), &roots, lang, 120, 40)
}

/// Lets the read timer of the open section run out.
fn dwell(app: &mut App, effects: &[Effect]) {
    for e in effects {
        if let Effect::Timer { token, .. } = e {
            app.handle(Input::Timer(*token));
        }
    }
}

#[test]
fn search_ignores_case_and_diacritics() {
    let mut app = bundled("de", 120, 40);
    press(&mut app, "/");
    type_text(&mut app, "SUDKOREA");
    assert_eq!(listed(&app).len(), 1);
    assert_eq!(
        open_heading(&app),
        "Südkorea zieht nach und bemängelt den Datenschutz"
    );
    assert!(screen(&app).contains("/SUDKOREA▏ · 1 Treffer"));
    let mut app = with_wide("en");
    press(&mut app, "/");
    type_text(&mut app, "muller strasse");
    assert_eq!(
        open_heading(&app),
        "Wide, combining and accented text wraps by display width"
    );
}

#[test]
fn search_combines_with_the_actor_filter_and_esc_restores_the_view() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "g j j enter");
    let before = (app.reader.open, app.focus);
    press(&mut app, "d /");
    type_text(&mut app, "data");
    let deepseek = app
        .config()
        .actors
        .iter()
        .position(|a| a.name == "DeepSeek")
        .unwrap();
    let hits = listed(&app);
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|&s| app.library().sections[s].actors.contains(&deepseek))
    );
    assert!(screen(&app).contains(&format!("{} matches", hits.len())));
    press(&mut app, "enter");
    assert!(
        !app.search.editing && app.search.query.is_some(),
        "Enter keeps the search"
    );
    press(&mut app, "esc");
    assert!(!app.search.is_active());
    assert_eq!(
        (app.reader.open, app.focus),
        before,
        "Esc restores the view from before the search"
    );
    assert!(app.filter.is_active(deepseek), "the actor filter stays");
}

#[test]
fn n_and_shift_n_walk_the_matches_in_timeline_order() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "/");
    type_text(&mut app, "billion");
    press(&mut app, "enter");
    let hits = listed(&app);
    assert!(hits.len() >= 3);
    let start = hits
        .iter()
        .position(|&s| Some(s) == app.reader.open)
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..hits.len() {
        press(&mut app, "n");
        seen.push(app.reader.open.unwrap());
    }
    let expected: Vec<usize> = (1..=hits.len())
        .map(|k| hits[(start + k) % hits.len()])
        .collect();
    assert_eq!(seen, expected, "n goes forward and wraps");
    press(&mut app, "N");
    assert_eq!(app.reader.open, Some(expected[expected.len() - 2]));
}

#[test]
fn matches_are_highlighted_on_the_right_cells_in_wrapped_wide_text() {
    let mut app = with_wide("en");
    press(&mut app, "/");
    type_text(&mut app, "漢字");
    let terminal = render(&app);
    let buffer = terminal.backend().buffer();
    let highlight = app.style(Role::Match);
    let mut cells = Vec::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            if cell.bg == highlight.bg.unwrap() && x > app.layout.reader.x {
                cells.push((x, y, cell.symbol().to_owned()));
            }
        }
    }
    // Two wide characters, each two columns: highlighted at x and x+2.
    let symbols: Vec<&str> = cells.iter().map(|c| c.2.as_str()).collect();
    assert_eq!(symbols, ["漢", "字"], "{cells:?}");
    let (x0, y0, _) = &cells[0];
    assert!(cells.iter().all(|(_, y, _)| y == y0));
    assert_eq!(cells.iter().map(|c| c.0).collect::<Vec<_>>(), [*x0, x0 + 2]);
    // The same text unhighlighted would stand at the same place.
    let line = app
        .reader
        .lines
        .iter()
        .find(|l| l.iter().any(|s| s.text.contains("漢字")))
        .unwrap();
    let before: String = line.iter().map(|s| s.text.as_str()).collect::<String>();
    let prefix = before.split("漢字").next().unwrap();
    let offset = unicode_width::UnicodeWidthStr::width(prefix) as u16;
    assert_eq!(*x0, app.layout.reader.x + 2 + offset);
}

#[test]
fn only_a_section_the_user_opened_becomes_read() {
    let (mut app, first) = fresh();
    let open = app.reader.open.unwrap();
    // Opened by the reader itself at start: not read, however long it stays.
    assert!(!first.iter().any(|e| matches!(e, Effect::Timer { .. })));
    dwell(&mut app, &first);
    assert!(!app.marks.is_read(open));
    // A filter change opens another section by itself: not read either.
    let effects = app.handle(Input::Key(aiwatch_tui::input::Key::char('d')));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Timer { .. })));
    press(&mut app, "x");
    let open = app.reader.open.unwrap();
    assert!(!app.marks.is_read(open));
    // Enter on it is the user's opening: read after a moment.
    let all_unread = app.topics[0].unread;
    let effects = app.handle(Input::Key(aiwatch_tui::input::Key::parse("enter").unwrap()));
    dwell(&mut app, &effects);
    assert!(app.marks.is_read(open));
    assert_eq!(app.topics[0].unread, all_unread - 1);
    // Moving on before the timer runs out leaves a section unread.
    press(&mut app, "h g");
    let effects = app.handle(Input::Key(aiwatch_tui::input::Key::parse("enter").unwrap()));
    let passed = app.reader.open.unwrap();
    assert!(effects.iter().any(|e| matches!(e, Effect::Timer { .. })));
    press(&mut app, "h j enter");
    assert_ne!(app.reader.open, Some(passed));
    dwell(&mut app, &effects);
    assert!(
        !app.marks.is_read(passed),
        "its timer no longer matches the open section"
    );
}

#[test]
fn scrolling_in_the_reading_pane_is_reading() {
    let roots = [ContentRoot::Dir(PathBuf::from(
        "tests/fixtures/content/long",
    ))];
    let mut app = app_with(Config::built_in().unwrap(), &roots, "en", 120, 40);
    let open = app.reader.open.unwrap();
    assert_eq!(
        open_heading(&app),
        "Wide, combining and accented text wraps by display width"
    );
    press(&mut app, "tab");
    assert_eq!(app.focus, Pane::Reader);
    let effects = app.handle(Input::Key(aiwatch_tui::input::Key::char('j')));
    assert!(effects.iter().any(|e| matches!(e, Effect::Timer { .. })));
    dwell(&mut app, &effects);
    assert!(app.marks.is_read(open));
}

#[test]
fn next_unread_and_mark_all_read() {
    let mut app = bundled("en", 120, 40);
    let start = app.reader.open.unwrap();
    press(&mut app, "u");
    let next = app.reader.open.unwrap();
    assert_ne!(next, start);
    assert!(!app.marks.is_read(next));
    press(&mut app, "d");
    let effects = app.handle(Input::Key(aiwatch_tui::input::Key::char('R')));
    assert!(matches!(effects.first(), Some(Effect::Save(_))));
    assert!(listed(&app).iter().all(|&s| app.marks.is_read(s)));
    press(&mut app, "u");
    assert!(screen(&app).contains("Nothing unread here."));
    press(&mut app, "R");
    assert!(screen(&app).contains("Marked 0 sections read."));
    press(&mut app, "x");
    assert!(
        app.topics[0].unread > 0,
        "other actors' sections are still unread"
    );
}

#[test]
fn stars_gather_under_starred() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "g");
    let first = app.selected_section().unwrap();
    press(&mut app, "s j j s");
    let third = app.selected_section().unwrap();
    assert!(app.marks.is_starred(first) && app.marks.is_starred(third));
    let starred = app
        .topics
        .iter()
        .find(|t| t.choice == TopicChoice::Starred)
        .unwrap();
    assert_eq!(starred.count, 2);
    press(&mut app, "K g j");
    assert_eq!(app.topic_choice(), TopicChoice::Starred);
    assert_eq!(listed(&app), vec![first, third]);
    press(&mut app, "J g s");
    assert_eq!(
        listed(&app),
        vec![third],
        "unstarring removes it from Starred"
    );
}

/// `s` on an empty list (Starred before any star) says there is nothing
/// to star, as `R` and `u` say their nothing; no star is given.
#[test]
fn s_with_nothing_listed_says_so() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "K g j");
    assert_eq!(app.topic_choice(), TopicChoice::Starred);
    press(&mut app, "J");
    assert!(app.selected_section().is_none());
    press(&mut app, "s");
    assert!(screen(&app).contains("No section to star here."));
    assert_eq!(
        app.topics
            .iter()
            .find(|t| t.choice == TopicChoice::Starred)
            .unwrap()
            .count,
        0
    );
}

#[test]
fn shift_and_an_actor_key_hides_that_actor() {
    let mut app = bundled("en", 120, 40);
    let (musk, deepseek) = {
        let find = |n: &str| {
            app.config()
                .actors
                .iter()
                .position(|a| a.name == n)
                .unwrap()
        };
        (find("Musk"), find("DeepSeek"))
    };
    press(&mut app, "M");
    assert!(
        listed(&app)
            .iter()
            .all(|&s| !app.library().sections[s].actors.contains(&musk))
    );
    assert!(screen(&app).contains("Showing all actors without Musk"));
    press(&mut app, "d");
    let shown = listed(&app);
    assert!(shown.iter().all(|&s| {
        let a = &app.library().sections[s].actors;
        a.contains(&deepseek) && !a.contains(&musk)
    }));
    assert!(screen(&app).contains("Showing DeepSeek without Musk"));
    press(&mut app, "M");
    assert!(!app.filter.is_excluded(musk), "Shift again shows it again");
}

/// A session that opened a section long enough to mark it read, went
/// back, moved, starred one and filtered by an actor (`d`).
fn a_session_with_marks() -> App {
    let (mut app, _) = fresh();
    let effects = app.handle(Input::Key(aiwatch_tui::input::Key::parse("enter").unwrap()));
    dwell(&mut app, &effects);
    press(&mut app, "h g j s d l");
    app
}

#[test]
fn state_survives_a_restart() {
    let app = a_session_with_marks();
    let saved = app.snapshot();
    assert!(!saved.read.is_empty() && saved.starred.len() == 1);
    let ctx = app.ctx.clone();
    let mut again = App::restore(ctx, "en", Some(&saved));
    again.handle(Input::Resize(120, 40));
    assert_eq!(again.reader.open, app.reader.open);
    assert_eq!(again.focus, Pane::Reader);
    assert_eq!(again.filter.active(), app.filter.active());
    for s in 0..app.library().sections.len() {
        assert_eq!(again.marks.is_read(s), app.marks.is_read(s));
        assert_eq!(again.marks.is_starred(s), app.marks.is_starred(s));
    }
}

/// The reader's start restores from a state it owns (its keys moved, not
/// copied): the same screen, marks and "new" counts as from a borrowed one.
#[test]
fn a_restart_from_an_owned_state_is_the_same_as_from_a_borrowed_one() {
    let app = a_session_with_marks();
    let mut saved = app.snapshot();
    saved.known.truncate(saved.known.len() / 2);
    let mut borrowed = App::restore(app.ctx.clone(), "en", Some(&saved));
    let mut owned = App::restore_owned(app.ctx.clone(), "en", Some(saved));
    for restored in [&mut borrowed, &mut owned] {
        restored.handle(Input::Resize(120, 40));
    }
    assert_eq!(screen(&owned), screen(&borrowed));
    assert_eq!(owned.actor_new, borrowed.actor_new);
    assert_eq!(owned.snapshot(), borrowed.snapshot());
}

#[test]
fn new_sections_since_the_last_visit_are_counted_per_actor() {
    let mut app = bundled("en", 120, 40);
    let mut saved = app.snapshot();
    // Pretend the last visit knew every section but the OpenAI ones.
    let openai = app
        .config()
        .actors
        .iter()
        .position(|a| a.name == "OpenAI")
        .unwrap();
    let lib = app.library();
    let openai_keys: Vec<String> = (0..lib.sections.len())
        .filter(|&s| lib.sections[s].actors.contains(&openai))
        .map(|s| lib.section_key(s))
        .collect();
    saved.known.retain(|k| !openai_keys.contains(k));
    saved.view = None;
    app = App::restore(app.ctx.clone(), "en", Some(&saved));
    app.handle(Input::Resize(120, 40));
    let expected = app
        .edition
        .sections
        .iter()
        .filter(|&&s| app.library().sections[s].actors.contains(&openai))
        .count();
    assert_eq!(app.actor_new[openai], expected);
    assert!(screen(&app).contains(&format!("o OpenAI {expected}")));
}

#[test]
fn the_activity_chart_follows_the_filter() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "c");
    assert_eq!(app.timeline_view, TimelineView::Chart);
    let total: u64 = app.chart.buckets().map(|b| b.counts[0]).sum();
    assert_eq!(total as usize + app.chart.year_only, listed(&app).len());
    press(&mut app, "m d");
    assert_eq!(app.chart.series.len(), 2);
    let text = screen(&app);
    assert!(text.contains("Activity") && text.contains("Feb"), "{text}");
}

#[test]
fn clicks_focus_and_open_and_the_wheel_scrolls_under_the_pointer() {
    let mut app = with_wide("en");
    app.handle(Input::Resize(100, 30));
    let offset = app.timeline_cursor.offset;
    let row = (offset..app.timeline.len())
        .find(|&r| {
            matches!(app.timeline[r], TimelineRow::Section(_))
                && Some(r) != Some(app.timeline_cursor.selected)
        })
        .unwrap();
    let TimelineRow::Section(target) = app.timeline[row] else {
        panic!("a section row")
    };
    let timeline = app.layout.timeline;
    let y = timeline.y + 1 + (row - offset) as u16;
    app.handle(Input::Mouse(Mouse {
        kind: MouseKind::Click,
        x: timeline.x + 5,
        y,
    }));
    assert_eq!(app.reader.open, Some(target));
    assert_eq!(app.focus, Pane::Timeline);
    // Open the long section, then wheel over the reading pane.
    press(&mut app, "G enter h");
    let reader = app.layout.reader;
    app.handle(Input::Mouse(Mouse {
        kind: MouseKind::ScrollDown,
        x: reader.x + 3,
        y: reader.y + 3,
    }));
    assert_eq!(app.reader.scroll, 3);
    assert_eq!(app.focus, Pane::Timeline, "the wheel does not move focus");
    app.handle(Input::Mouse(Mouse {
        kind: MouseKind::Click,
        x: reader.x + 3,
        y: reader.y + 3,
    }));
    assert_eq!(app.focus, Pane::Reader);
}

#[test]
fn the_search_index_is_asked_for_with_the_first_frame_and_used_when_it_comes() {
    let (mut app, effects) = fresh();
    assert!(effects.contains(&Effect::BuildSearchIndex));
    let index = aiwatch_tui::query::search::build_index(app.library());
    app.handle(Input::SearchIndex(std::sync::Arc::new(index)));
    press(&mut app, "/");
    type_text(&mut app, "stargate");
    assert_eq!(listed(&app).len(), 2);
}

#[test]
fn search_folds_letters_that_do_not_decompose() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.toml"),
        "title = \"t\"\npublished = 2025-01-02\n\
         [[section]]\nheading = \"Łódź an der Straße\"\n\
         [[section]]\nheading = \"Øresund, Æble og Đorđević\"\n\
         [[section]]\nheading = \"Ο λόγος\"\n\
         [[section]]\nheading = \"nothing here\"\n",
    )
    .unwrap();
    let roots = [ContentRoot::Dir(dir.path().into())];
    for (query, heading) in [
        ("lodz", "Łódź an der Straße"),
        ("strasse", "Łódź an der Straße"),
        ("oresund", "Øresund, Æble og Đorđević"),
        ("aeble", "Øresund, Æble og Đorđević"),
        ("dordevic", "Øresund, Æble og Đorđević"),
        ("λογοσ", "Ο λόγος"),
        ("ΛΌΓΟΣ", "Ο λόγος"),
    ] {
        let mut app = app_with(Config::built_in().unwrap(), &roots, "en", 120, 40);
        press(&mut app, "/");
        type_text(&mut app, query);
        assert_eq!(listed(&app).len(), 1, "{query}");
        assert_eq!(open_heading(&app), heading, "{query}");
        assert!(
            screen(&app).contains(&format!("/{query}▏ · 1 match ")),
            "{query}"
        );
    }
}

#[test]
fn ctrl_c_in_the_search_prompt_cancels_the_input() {
    let mut app = bundled("en", 120, 40);
    let before = app.reader.open;
    press(&mut app, "/");
    type_text(&mut app, "data");
    assert!(app.search.is_active());
    press(&mut app, "ctrl-c");
    assert!(!app.should_quit(), "Ctrl-C in the prompt does not quit");
    assert!(!app.search.is_active());
    assert_eq!(app.reader.open, before);
    press(&mut app, "ctrl-c");
    assert!(app.should_quit(), "outside the prompt it quits");
}

#[test]
fn keys_with_nothing_to_do_say_so() {
    let mut app = bundled("en", 120, 40);
    let open = app.reader.open;
    press(&mut app, "n");
    assert!(screen(&app).contains("No search yet: press / to search."));
    press(&mut app, "N");
    assert!(screen(&app).contains("No search yet"));
    assert_eq!(app.reader.open, open);
    press(&mut app, "R");
    press(&mut app, "u");
    assert!(screen(&app).contains("Nothing unread here."));
    // An empty list: a filter no section passes.
    let user = "[[actors]]\nname = \"Mistral\"\nkey = \"i\"\ncolor = \"magenta\"\n";
    let config = Config::load(Some(("user.toml", user))).unwrap();
    let mut app = app_with(config, &[ContentRoot::Bundled], "en", 120, 40);
    press(&mut app, "i R");
    assert!(screen(&app).contains("Nothing listed to mark read."));
}

#[test]
fn every_notice_is_kept_under_the_warnings_key() {
    let mut app = bundled("en", 80, 24);
    let long = "The saved state could not be read (EOF while parsing a value at line 1 column 0); it was moved to /tmp/state.json.bad. Starting afresh.";
    app.notify(long);
    // The status line cannot show it whole: it is shortened at a word, with "…".
    let status = screen(&app).lines().nth(23).unwrap().to_owned();
    assert!(status.contains("The saved state"), "{status}");
    assert!(status.trim_end().ends_with('…'), "{status}");
    press(&mut app, "s");
    press(&mut app, "!");
    let text = screen(&app);
    assert!(text.contains("Messages · Load problems"), "{text}");
    assert!(text.contains("Starting afresh."), "{text}");
    assert!(text.contains("Starred."), "{text}");
    assert!(text.contains("Everything loaded cleanly."), "{text}");
}

#[test]
fn the_status_line_keeps_count_and_notice_before_key_hints() {
    let mut app = bundled("en", 80, 24);
    press(&mut app, "s");
    let status = screen(&app).lines().nth(23).unwrap().to_owned();
    assert!(status.contains("sections"), "{status}");
    assert!(status.contains("Starred."), "{status}");
    // A long notice pushes the hints and the filter words out, not the count.
    app.notify("Link copied (1234 bytes). In tmux, copying needs: set -g set-clipboard on");
    let status = screen(&app).lines().nth(23).unwrap().to_owned();
    assert!(status.contains("18 sections"), "{status}");
    assert!(!status.contains("? help"), "{status}");
    assert!(status.contains("Link copied"), "{status}");
    // Every word shown is whole, or ends in "…".
    let words: Vec<&str> = status.split_whitespace().collect();
    let last = words.last().unwrap();
    assert!(
        last.ends_with('…')
            || long_text_has_word(
                "Link copied (1234 bytes). In tmux, copying needs: set -g set-clipboard on",
                last
            ),
        "{status}"
    );
}

fn long_text_has_word(text: &str, word: &str) -> bool {
    text.split_whitespace().any(|w| w == word)
}

/// A folder with one article whose sections fall in the given months
/// (`("2024-02", 6)`: six sections dated February 2024).
fn months_fixture(months: &[(&str, usize)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("title = \"Months\"\npublished = 2023-01-01\n");
    for (month, count) in months {
        for i in 0..*count {
            writeln!(
                text,
                "[[section]]\nheading = \"{month} number {i}\"\ndate = \"{month}-1{i}\""
            )
            .unwrap();
        }
    }
    std::fs::write(dir.path().join("months.toml"), text).unwrap();
    dir
}

fn chart_app(dir: &tempfile::TempDir, w: u16, h: u16) -> App {
    let roots = [ContentRoot::Dir(dir.path().into())];
    let mut app = app_with(Config::built_in().unwrap(), &roots, "en", w, h);
    press(&mut app, "c");
    app
}

/// The chart's bar rows as (text before the bar, bar cells).
fn bars(app: &App) -> Vec<(String, usize)> {
    let text = screen(app);
    let pane = app.layout.timeline;
    text.lines()
        .skip(usize::from(pane.y) + 1)
        .take(usize::from(pane.height.saturating_sub(2)))
        .map(|l| {
            let inner: String = l
                .chars()
                .skip(usize::from(pane.x) + 1)
                .take(usize::from(pane.width) - 2)
                .collect();
            let cells = inner.chars().filter(|&c| c == '█').count();
            (inner.replace('█', "").trim_end().to_owned(), cells)
        })
        .collect()
}

#[test]
fn chart_bars_are_proportional_to_the_largest_count_in_view() {
    let dir = months_fixture(&[
        ("2023-11", 1),
        ("2023-12", 2),
        ("2024-01", 3),
        ("2024-02", 6),
    ]);
    let app = chart_app(&dir, 120, 40);
    let rows = bars(&app);
    let find = |label: &str| {
        rows.iter()
            .find(|(t, _)| t.contains(label))
            .unwrap_or_else(|| panic!("{label} in {rows:?}"))
            .clone()
    };
    // Pane 48 wide: 46 inside; " 2023 Nov 1 " takes 12, one column spare:
    // the largest bar is 33 cells, the others in proportion (rounded).
    assert_eq!(find("Feb").1, 33, "{rows:?}");
    assert_eq!(find("Jan").1, 17, "3 of 6: 16.5");
    assert_eq!(find("Dec").1, 11, "2 of 6: 11");
    assert_eq!(find("Nov").1, 6, "1 of 6: 5.5");
    // A gap between the count and its bar, and every year labelled.
    assert!(find("Nov").0.ends_with("2023 Nov 1"), "{rows:?}");
    assert!(find("Jan").0.ends_with("2024 Jan 3"), "{rows:?}");
    assert!(screen(&app).contains("6 ███"));
}

#[test]
fn chart_collapses_long_empty_runs_and_labels_years_after_them() {
    let dir = months_fixture(&[
        ("2024-01", 2),
        ("2024-02", 1),
        ("2025-02", 1),
        ("2025-04", 1),
    ]);
    let app = chart_app(&dir, 120, 40);
    let text = screen(&app);
    assert!(text.contains("… 11 empty months"), "{text}");
    assert!(text.contains("2025 Feb 1"), "the year after a gap: {text}");
    // A short run stays month by month (March 2025, empty).
    assert!(text.contains("     Mar 0"), "{text}");
    assert_eq!(app.chart.rows.len(), 6);
}

#[test]
fn a_chart_over_ten_thousand_years_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ages.toml"),
        "title = \"Ages\"\npublished = 0001-01-01\n[[section]]\nheading = \"first\"\n\
         [[section]]\nheading = \"last\"\ndate = \"9999-12-31\"\n",
    )
    .unwrap();
    let app = chart_app(&dir, 80, 24);
    assert_eq!(app.chart.rows.len(), 3, "two months and one gap");
    let text = screen(&app);
    assert!(text.contains("… 119,986 empty months"), "{text}");
    assert!(
        text.contains("   1 Jan 1") && text.contains("9999 Dec 1"),
        "{text}"
    );
}

#[test]
fn the_chart_scrolls_with_its_own_cursor_and_enter_narrows_the_timeline() {
    let months: Vec<String> = (0..30)
        .map(|i| format!("{}-{:02}", 2022 + i / 12, i % 12 + 1))
        .collect();
    let spec: Vec<(&str, usize)> = months
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), 1 + i % 2))
        .collect();
    let dir = months_fixture(&spec);
    let mut app = chart_app(&dir, 80, 24);
    let selection = (app.timeline_cursor, app.reader.open);
    let text = screen(&app);
    assert!(
        text.contains("Jun 2") && !text.contains("2022 Jan"),
        "newest in view: {text}"
    );
    press(&mut app, "g");
    let text = screen(&app);
    assert!(
        text.contains("2022 Jan"),
        "the first month is reachable: {text}"
    );
    press(&mut app, "j j G k");
    assert_eq!(
        (app.timeline_cursor, app.reader.open),
        selection,
        "no invisible timeline moves"
    );
    assert_eq!(app.chart_selected().unwrap().label, "May");
    press(&mut app, "enter");
    assert_eq!(app.timeline_view, TimelineView::List);
    let dates: Vec<String> = listed(&app)
        .iter()
        .map(|&s| app.library().sections[s].date.to_string())
        .collect();
    assert!(
        !dates.is_empty() && dates.iter().all(|d| d.starts_with("2024-05")),
        "{dates:?}"
    );
    assert!(screen(&app).contains("May 2024"));
    press(&mut app, "esc");
    assert_eq!(listed(&app).len(), spec.iter().map(|s| s.1).sum::<usize>());
}

#[test]
fn chart_legend_and_footnote_fit_without_cutting_words() {
    let mut app = bundled("en", 80, 24);
    app.handle(Input::Resize(40, 12));
    press(&mut app, "c m d o");
    let text = screen(&app);
    assert!(text.contains("known only to the"), "{text}");
    for line in text.lines() {
        for cut in ["Dee ", "OpenA ", "know ", "yea "] {
            assert!(!line.contains(cut), "{line}");
        }
    }
}

#[test]
fn plurals_are_right_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.toml"),
        "title = \"t\"\npublished = 2025-01-02\nsumary = \"typo\"\n[[section]]\nheading = \"only one\"\n",
    )
    .unwrap();
    let roots = [ContentRoot::Dir(dir.path().into())];
    let app = app_with(Config::built_in().unwrap(), &roots, "en", 120, 40);
    let text = screen(&app);
    assert!(text.contains("1 section ·"), "{text}");
    assert!(text.contains("⚠ 1 warning: press !"), "{text}");
    let mut app = app_with(Config::built_in().unwrap(), &roots, "de", 120, 40);
    let text = screen(&app);
    assert!(text.contains("1 Abschnitt ·"), "{text}");
    assert!(text.contains("⚠ 1 Warnung: ! drücken"), "{text}");
    press(&mut app, "/");
    type_text(&mut app, "only");
    assert!(screen(&app).contains("1 Treffer"));
    press(&mut app, "esc R");
    assert!(screen(&app).contains("1 Abschnitt als gelesen markiert."));
}

#[test]
fn the_message_log_is_bounded() {
    let mut app = bundled("en", 80, 24);
    press(&mut app, "n n n");
    assert_eq!(app.messages.len(), 1, "a repeat is logged once");
    for _ in 0..500 {
        press(&mut app, "n s");
    }
    assert_eq!(app.messages.len(), aiwatch_tui::app::MESSAGES_KEPT);
}

/// Skipped files and warnings, with the bundled edition: 15 files skipped
/// and 3 warnings, as the `!` overlay lists them.
fn with_problems(lang: &str, width: u16) -> App {
    let fixtures = PathBuf::from("tests/fixtures/content");
    let roots = [
        ContentRoot::Bundled,
        ContentRoot::Dir(fixtures.join("invalid")),
        ContentRoot::Dir(fixtures.join("valid")),
    ];
    app_with(Config::built_in().unwrap(), &roots, lang, width, 24)
}

#[test]
fn the_status_line_keeps_both_problem_counts_before_key_hints() {
    // Wherever the count and the problems fit, both numbers show, at every
    // width: the key hints are dropped first.
    for width in 52..=200 {
        let app = with_problems("en", width);
        let status = screen(&app).lines().nth(23).unwrap().to_owned();
        assert!(status.contains("19 sections"), "{width}: {status}");
        assert!(
            status.contains("⚠ 15 files skipped, 3 warnings: "),
            "{width}: {status}"
        );
    }
    let app = with_problems("en", 80);
    let status = screen(&app).lines().nth(23).unwrap().to_owned();
    assert_eq!(
        status.trim_end(),
        " Showing all actors · 19 sections · ⚠ 15 files skipped, 3 warnings: !"
    );
    let app = with_problems("de", 80);
    let status = screen(&app).lines().nth(23).unwrap().to_owned();
    assert!(
        status.contains("⚠ 15 Dateien übersprungen, 3 Warnungen: !"),
        "{status}"
    );
}

/// What the README says about the topic list's counts: a bold count alone
/// when every section is unread, `●17 18` once one is read.
#[test]
fn topic_counts_mark_unread_as_the_readme_says() {
    let (mut app, _) = fresh();
    let count_cell = |app: &App| {
        let terminal = render(app);
        let buffer = terminal.backend().buffer().clone();
        // The "All" row of the topic list: the last digit before the border.
        let y = (0..buffer.area.height)
            .find(|&y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect::<String>()
                    .contains(" All ")
            })
            .unwrap();
        let row: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        let x = (0..buffer.area.width)
            .filter(|&x| buffer[(x, y)].symbol().chars().all(|c| c.is_ascii_digit()))
            .filter(|&x| !buffer[(x, y)].symbol().is_empty())
            .find(|&x| x > 2)
            .unwrap();
        (row, buffer[(x, y)].style())
    };
    let total = app.edition.sections.len();
    let (row, style) = count_cell(&app);
    assert!(row.contains(&format!(" {total} ")), "{row}");
    assert!(!row.contains('●'), "{row}");
    assert!(
        style.add_modifier.contains(ratatui::style::Modifier::BOLD),
        "{row}: {style:?}"
    );
    let effects = app.handle(Input::Key(aiwatch_tui::input::Key::parse("enter").unwrap()));
    dwell(&mut app, &effects);
    let (row, _) = count_cell(&app);
    assert!(row.contains(&format!("●{} {total} ", total - 1)), "{row}");
}
