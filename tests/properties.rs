//! Property tests of the whole reader: random libraries (any dates and
//! precisions, tags, languages, wide, right-to-left and combining text,
//! empty bodies), random valid configs, and random keys, pastes, resizes
//! (0x0 to 300x100) and mouse events through `App`, every step drawn into a
//! test backend and checked against a brute-force model of what the
//! screen should say. `PROPTEST_CASES=2000 cargo test --test properties`
//! runs more cases than the default ten (each a few dozen steps, every one drawn).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::collections::HashSet;
use std::fmt::Write as _;

use aiwatch_tui::app::{App, Context, Effect, TimelineRow, TimelineView, TopicChoice};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::Library;
use aiwatch_tui::content::parse::parse_article;
use aiwatch_tui::diag::SourceText;
use aiwatch_tui::input::{Input, Key, KeyCode, Mouse, MouseKind};
use aiwatch_tui::text::is_control;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunConfig, TestRunner};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

/// Pieces of text that are hard to lay out: wide, right-to-left,
/// combining, zero-width, emoji sequences, control characters.
const PIECES: &[&str] = &[
    "Musk",
    "OpenAI kauft",
    "news ",
    " ",
    "北京の新しいモデル",
    "ｗｉｄｅ",
    "שלום עולם",
    "مرحبا بالعالم",
    "e\u{301}e\u{308}\u{20dd}",
    "\u{200b}\u{200d}",
    "👩\u{200d}👩\u{200d}👧",
    "🇩🇪",
    "\u{1b}[31mred",
    "tab\there",
    "a\u{7}b\u{9b}",
    "x",
    "ǅ",
    "\u{feff}",
];

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..max).prop_map(|p| p.concat())
}

/// A date at any precision, now and then one the loader must refuse.
fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (1990u16..2031, 0u8..3, 1u8..13, 1u8..29).prop_map(|(y, p, m, d)| match p {
            0 => format!("{y}"),
            1 => format!("{y}-{m:02}"),
            _ => format!("{y}-{m:02}-{d:02}"),
        }),
        1 => (1u16..=9999).prop_map(|y| format!("{y:04}")),
        1 => prop::sample::select(&["2025-02-30", "2025-13", "0000", "", "1970-01-01"][..])
            .prop_map(str::to_owned),
    ]
}

const ACTOR_TAGS: &[&str] = &[
    "Musk",
    "xAI",
    "OpenAI",
    "DeepSeek",
    "Nvidia",
    "Frankreich",
    "EU",
    "Nobody",
    "北京",
    "Zoë",
];
const TOPICS: &[&str] = &["KI", "Börse", "政治", "סייבר", "Chips", "chips"];
const LANGS: &[&str] = &["en", "de", "fr", "ja", "ar", "en-GB", "und"];

#[derive(Debug, Clone)]
struct Section {
    heading: String,
    date: Option<String>,
    actors: Vec<&'static str>,
    topics: Vec<&'static str>,
    body: Option<String>,
}

#[derive(Debug, Clone)]
struct Article {
    id: usize,
    lang: &'static str,
    title: String,
    published: String,
    sections: Vec<Section>,
}

fn section() -> impl Strategy<Value = Section> {
    (
        text(5),
        prop::option::of(date()),
        prop::sample::subsequence(ACTOR_TAGS, 0..3),
        prop::sample::subsequence(TOPICS, 0..3),
        prop::option::of(text(12)),
    )
        .prop_map(|(heading, date, actors, topics, body)| Section {
            heading,
            date,
            actors,
            topics,
            body,
        })
}

fn article() -> impl Strategy<Value = Article> {
    (
        0usize..6,
        prop::sample::select(LANGS),
        text(4),
        date(),
        prop::collection::vec(section(), 0..4),
    )
        .prop_map(|(id, lang, title, published, sections)| Article {
            id,
            lang,
            title,
            published,
            sections,
        })
}

/// A TOML basic string holding exactly `s`.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", quoted.join(", "))
}

fn content_file(a: &Article) -> String {
    let mut out = format!(
        "id = \"a{}\"\nlang = {}\ntitle = {}\npublished = {}\n",
        a.id,
        quoted(a.lang),
        quoted(&a.title),
        quoted(&a.published)
    );
    for s in &a.sections {
        let _ = writeln!(
            out,
            "\n[[section]]\nheading = {}\nactors = {}\ntopics = {}",
            quoted(&s.heading),
            list(&s.actors),
            list(&s.topics)
        );
        if let Some(d) = &s.date {
            let _ = writeln!(out, "date = {}", quoted(d));
        }
        if let Some(b) = &s.body {
            let _ = writeln!(out, "body = {}", quoted(b));
        }
    }
    out
}

/// A user's config over the built-in one, valid by construction: a theme,
/// mouse on or off, new actors with keys, and some keys bound again.
#[derive(Debug, Clone)]
struct UserConfig {
    theme: &'static str,
    mouse: bool,
    actors: Vec<&'static str>,
    keys: Vec<(&'static str, &'static str)>,
}

fn user_config() -> impl Strategy<Value = UserConfig> {
    (
        prop::sample::select(&["dark", "light", "high-contrast", "mono"][..]),
        any::<bool>(),
        prop::sample::subsequence(&["Zoë", "北京", "עברית", "Mistral"][..], 0..4),
        prop::sample::subsequence(
            &[
                ("toggle_chart", "z"),
                ("help", "f2"),
                ("search", "ctrl-f"),
                ("next_unread", "w"),
            ][..],
            0..4,
        ),
    )
        .prop_map(|(theme, mouse, actors, keys)| UserConfig {
            theme,
            mouse,
            actors,
            keys,
        })
}

fn config_text(c: &UserConfig) -> String {
    let mut out = format!("mouse = {}\n[theme]\nname = \"{}\"\n", c.mouse, c.theme);
    if !c.keys.is_empty() {
        out.push_str("[keys]\n");
        for (action, key) in &c.keys {
            let _ = writeln!(out, "{action} = [\"{key}\"]");
        }
    }
    for (i, name) in c.actors.iter().enumerate() {
        let _ = writeln!(
            out,
            "[[actors]]\nname = {}\nkey = \"{}\"\ncolor = \"yellow\"\naliases = []",
            quoted(name),
            i + 1
        );
    }
    out
}

/// One thing that happens to the reader.
#[derive(Debug, Clone)]
enum Step {
    Key(Key),
    Resize(u16, u16),
    Mouse(MouseKind, u16, u16),
    Paste(String),
    /// The newest timer the app asked for runs out.
    Timer,
}

const KEY_NAMES: &[&str] = &[
    "j",
    "k",
    "down",
    "up",
    "pgdn",
    "pgup",
    "space",
    "g",
    "G",
    "home",
    "end",
    "enter",
    "tab",
    "shift-tab",
    "h",
    "l",
    "left",
    "right",
    "K",
    "J",
    "x",
    "backspace",
    "L",
    "n",
    "N",
    "u",
    "R",
    "s",
    "c",
    "!",
    "?",
    "esc",
    "/",
    "m",
    "o",
    "d",
    "a",
    "v",
    "f",
    "e",
    "M",
    "O",
    "D",
    "1",
    "2",
    "3",
    "4",
    "z",
    "w",
    "ctrl-f",
    "f2",
    "ctrl-d",
    "ctrl-u",
    "delete",
    "b",
    "y",
    "r",
];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => prop::sample::select(KEY_NAMES).prop_map(|n| Step::Key(Key::parse(n).unwrap())),
        2 => prop::sample::select(&['é', '北', 'ש', ' ', 'q', '\u{301}'][..])
            .prop_map(|c| Step::Key(Key::new(KeyCode::Char(c), false, false, false))),
        2 => (0u16..=300, 0u16..=100).prop_map(|(w, h)| Step::Resize(w, h)),
        1 => prop::sample::select(&[(80u16, 24u16), (120, 40), (40, 12), (0, 0), (1, 1)][..])
            .prop_map(|(w, h)| Step::Resize(w, h)),
        3 => (0u8..3, 0u16..310, 0u16..110).prop_map(|(k, x, y)| {
            let kind = [MouseKind::Click, MouseKind::ScrollUp, MouseKind::ScrollDown][usize::from(k)];
            Step::Mouse(kind, x, y)
        }),
        1 => text(4).prop_map(Step::Paste),
        1 => Just(Step::Timer),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    articles: Vec<Article>,
    config: UserConfig,
    lang: &'static str,
    size: (u16, u16),
    steps: Vec<Step>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(article(), 0..8),
        user_config(),
        prop::sample::select(&["en", "de", "fr", "ja"][..]),
        (0u16..=300, 0u16..=100),
        prop::collection::vec(step(), 0..40),
    )
        .prop_map(|(articles, config, lang, size, steps)| Case {
            articles,
            config,
            lang,
            size,
            steps,
        })
}

fn build(case: &Case) -> App {
    let text = config_text(&case.config);
    let config = Config::load(Some(("props/config.toml", &text)))
        .unwrap_or_else(|d| panic!("a valid config was refused: {d:?}\n{text}"));
    let files: Vec<(String, String)> = case
        .articles
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("props/{i}.toml"), content_file(a)))
        .collect();
    let parsed: Vec<_> = files
        .iter()
        .map(|(path, text)| {
            let stem = path.trim_end_matches(".toml");
            (
                path.as_str(),
                parse_article(&SourceText::new(path, text), stem),
            )
        })
        .collect();
    let library = Library::build(parsed, Vec::new(), &config.actor_directory());
    App::new(Context::new(library, config), case.lang)
}

/// The timeline as the brute-force model has it: the edition's sections
/// through the actor filter (walking each section's actors), the chosen
/// topic and the chosen period, in timeline order.
fn model_visible(app: &App) -> Vec<usize> {
    let lib = app.library();
    let active = app.filter.active();
    let excluded = app.filter.excluded();
    app.edition
        .sections
        .iter()
        .copied()
        .filter(|&s| {
            let actors = &lib.sections[s].actors;
            (active.is_empty() || actors.iter().any(|a| active.contains(a)))
                && !actors.iter().any(|a| excluded.contains(a))
        })
        .collect()
}

fn in_choice(app: &App, choice: TopicChoice, s: usize) -> bool {
    let lib = app.library();
    match choice {
        TopicChoice::All => true,
        TopicChoice::Starred => app.marks.is_starred(s),
        TopicChoice::Untagged => lib.sections[s].topics.is_empty(),
        TopicChoice::Topic(t) => lib.sections[s].topics.contains(&t),
        TopicChoice::Source(i) => lib.fetched.source(s) == Some(i),
    }
}

/// Every invariant of one state and its frame.
fn check(app: &App, size: (u16, u16)) {
    check_selections_and_counts(app);
    check_timeline(app);
    check_frame(app, size);
}

fn check_selections_and_counts(app: &App) {
    let lib = app.library();

    // The selections are inside their lists.
    let rows = app.timeline.len();
    assert!(
        app.timeline_cursor.selected < rows.max(1),
        "timeline selection {} of {rows} rows",
        app.timeline_cursor.selected
    );
    assert!(
        app.topic_cursor.selected < app.topics.len().max(1),
        "topic selection {} of {}",
        app.topic_cursor.selected,
        app.topics.len()
    );
    // The chart's cursor matters while it is shown (it is set again each
    // time the chart is built).
    assert!(
        app.timeline_view != TimelineView::Chart
            || app.chart_cursor.selected < app.chart.rows.len().max(1),
        "chart selection {} of {}",
        app.chart_cursor.selected,
        app.chart.rows.len()
    );

    // The filter: what is visible equals the naive model (a search only
    // narrows it further).
    let model = model_visible(app);
    if app.search.is_active() {
        let all: HashSet<usize> = model.iter().copied().collect();
        assert!(app.visible.iter().all(|s| all.contains(s)));
    } else {
        assert_eq!(app.visible, model, "visible sections differ from the model");
    }

    // Counts: every topic row equals a brute-force count over the visible
    // sections; every actor's new count over the edition.
    for row in &app.topics {
        let listed: Vec<usize> = app
            .visible
            .iter()
            .copied()
            .filter(|&s| in_choice(app, row.choice, s))
            .collect();
        let unread = listed.iter().filter(|&&s| !app.marks.is_read(s)).count();
        assert_eq!(
            (row.count, row.unread),
            (listed.len(), unread),
            "counts of {:?}",
            row.choice
        );
    }
    for (actor, &count) in app.actor_new.iter().enumerate() {
        let brute = app
            .edition
            .sections
            .iter()
            .filter(|&&s| app.marks.is_new(s) && lib.sections[s].actors.contains(&actor))
            .count();
        assert_eq!(count, brute, "new count of actor {actor}");
    }
}

fn check_timeline(app: &App) {
    let lib = app.library();
    // The timeline: the visible sections of the chosen topic (and month),
    // in timeline order, under the right year and month headers.
    let choice = app.topic_choice();
    let expected: Vec<usize> = app
        .visible
        .iter()
        .copied()
        .filter(|&s| in_choice(app, choice, s))
        .filter(|&s| app.period.is_none_or(|p| p.contains(lib.sections[s].date)))
        .collect();
    let listed: Vec<usize> = app.listed().collect();
    assert_eq!(listed, expected, "the timeline lists other sections");
    for pair in listed.windows(2) {
        assert!(
            lib.timeline_rank[pair[0]] < lib.timeline_rank[pair[1]],
            "timeline out of order"
        );
        assert!(lib.sections[pair[0]].date <= lib.sections[pair[1]].date);
    }
    let mut header = (None, None);
    for row in &app.timeline {
        match *row {
            TimelineRow::Year(y) => header = (Some(y), None),
            TimelineRow::Month(y, m) => {
                assert_eq!(header.0, Some(y), "a month under another year");
                header.1 = Some(m);
            }
            TimelineRow::Section(s) => {
                let date = lib.sections[s].date;
                assert_eq!(header.0, Some(date.year()), "a section under another year");
                if let Some(m) = date.month() {
                    assert_eq!(header.1, Some(m), "a section under another month");
                }
            }
        }
    }
    if let Some(open) = app.reader.open {
        assert!(open < lib.sections.len());
    }
}

/// Drawn into a backend larger than the app's area, nothing may be written
/// outside that area, and every cell is printable.
fn check_frame(app: &App, size: (u16, u16)) {
    let area = app.layout.area;
    assert_eq!(area, Rect::new(0, 0, size.0, size.1));
    let (w, h) = (size.0 + 2, size.1 + 2);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| aiwatch_tui::view::draw(app, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let drawn_panes = matches!(
        app.layout.mode,
        Some(aiwatch_tui::app::layout::Mode::Full | aiwatch_tui::app::layout::Mode::Single)
    );
    for y in 0..h {
        for x in 0..w {
            let symbol = buffer[(x, y)].symbol();
            assert!(
                !symbol
                    .chars()
                    .any(|c| is_control(c) || c == '\t' || c == '\n' || c == '\r'),
                "cell {x},{y} holds {symbol:?}"
            );
            if drawn_panes && (x >= size.0 || y >= size.1) {
                assert_eq!(symbol, " ", "cell {x},{y} written outside {size:?}");
            }
        }
    }
}

/// Runs one case; returns whether its edition had sections (so a
/// generator that stopped making any is noticed).
fn run(case: &Case) -> bool {
    let mut app = build(case);
    let had_sections = !app.edition.sections.is_empty();
    let mut size = case.size;
    let mut timers = Vec::new();
    let apply = |app: &mut App, input: Input, timers: &mut Vec<u64>| -> bool {
        for effect in app.handle(input) {
            match effect {
                Effect::Quit => return false,
                Effect::Timer { token, .. } => timers.push(token),
                _ => {}
            }
        }
        true
    };
    apply(&mut app, Input::Resize(size.0, size.1), &mut timers);
    check(&app, size);
    for step in &case.steps {
        let input = match step {
            Step::Key(k) => Input::Key(*k),
            Step::Resize(w, h) => {
                size = (*w, *h);
                Input::Resize(*w, *h)
            }
            Step::Mouse(kind, x, y) => Input::Mouse(Mouse {
                kind: *kind,
                x: *x,
                y: *y,
            }),
            Step::Paste(t) => Input::Paste(t.clone()),
            Step::Timer => match timers.pop() {
                Some(token) => Input::Timer(token),
                None => continue,
            },
        };
        let going = apply(&mut app, input, &mut timers);
        check(&app, size);
        if !going {
            break;
        }
    }
    had_sections
}

/// Cases to run: `PROPTEST_CASES`, else few enough for a quick `cargo test`.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10)
}

#[test]
fn the_whole_reader_keeps_its_invariants() {
    let mut runner = TestRunner::new(RunConfig {
        cases: cases(),
        failure_persistence: None,
        ..RunConfig::default()
    });
    let with_sections = std::cell::Cell::new(0u32);
    let result = runner.run(&case(), |case| {
        if run(&case) {
            with_sections.set(with_sections.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        with_sections.get() >= cases() / 4,
        "only {} of {} cases had sections to show",
        with_sections.get(),
        cases()
    );
}
