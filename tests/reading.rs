//! Finding, remembering and seeing: search, read marks, stars, hiding
//! actors, the activity chart, the mouse, and state that survives a restart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

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
fn a_section_read_for_a_moment_becomes_read() {
    let (mut app, first) = fresh();
    let open = app.reader.open.unwrap();
    assert!(!app.marks.is_read(open));
    let all_unread = app.topics[0].unread;
    dwell(&mut app, &first);
    assert!(app.marks.is_read(open));
    assert_eq!(app.topics[0].unread, all_unread - 1);
    // Moving on before the timer runs out leaves a section unread.
    press(&mut app, "g");
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
    press(&mut app, "h g j");
    assert_eq!(app.topic_choice(), TopicChoice::Starred);
    assert_eq!(listed(&app), vec![first, third]);
    press(&mut app, "l g s");
    assert_eq!(
        listed(&app),
        vec![third],
        "unstarring removes it from Starred"
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

#[test]
fn state_survives_a_restart() {
    let (mut app, effects) = fresh();
    dwell(&mut app, &effects);
    press(&mut app, "g j s d l");
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
    let total: u64 = app.chart.buckets.iter().map(|b| b.counts[0]).sum();
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
    let index = aiwatch_tui::app::search::build_index(app.library());
    app.handle(Input::SearchIndex(std::sync::Arc::new(index)));
    press(&mut app, "/");
    type_text(&mut app, "stargate");
    assert_eq!(listed(&app).len(), 2);
}
