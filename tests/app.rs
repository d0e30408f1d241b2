//! The reader's behaviour, driven by keys as a user would press them:
//! filters, navigation, topics, languages, and robustness at any size.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use aiwatch_tui::app::{Pane, TimelineRow, TopicChoice};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::ContentRoot;
use aiwatch_tui::input::{Input, Key, KeyCode};
use common::{app_with, bundled, open_heading, press, screen};

fn actor(app: &aiwatch_tui::app::App, name: &str) -> usize {
    app.config()
        .actors
        .iter()
        .position(|a| a.name == name)
        .unwrap()
}

fn listed(app: &aiwatch_tui::app::App) -> Vec<usize> {
    app.timeline
        .iter()
        .filter_map(|r| match r {
            TimelineRow::Section(s) => Some(*s),
            _ => None,
        })
        .collect()
}

#[test]
fn starts_on_the_newest_section_with_the_timeline_focused() {
    let app = bundled("en", 120, 40);
    assert_eq!(app.focus, Pane::Timeline);
    assert_eq!(app.reader.open, listed(&app).last().copied());
    assert_eq!(app.selected_section(), app.reader.open);
    assert_eq!(listed(&app).len(), app.edition.sections.len());
}

#[test]
fn an_actor_key_filters_every_pane_at_once() {
    let mut app = bundled("en", 120, 40);
    let deepseek = actor(&app, "DeepSeek");
    press(&mut app, "d");
    let shown = listed(&app);
    assert!(!shown.is_empty());
    assert!(
        shown
            .iter()
            .all(|&s| app.library().sections[s].actors.contains(&deepseek))
    );
    assert_eq!(
        (app.topics[0].choice, app.topics[0].count),
        (TopicChoice::All, shown.len())
    );
    let open = app.reader.open.unwrap();
    assert!(
        shown.contains(&open),
        "the reading pane moved to a visible section"
    );
    assert!(screen(&app).contains("Showing DeepSeek"));
}

#[test]
fn several_actors_show_the_union_and_one_key_clears() {
    let mut app = bundled("en", 120, 40);
    let (musk, deepseek) = (actor(&app, "Musk"), actor(&app, "DeepSeek"));
    press(&mut app, "m");
    let only_musk = listed(&app).len();
    press(&mut app, "d");
    let both = listed(&app);
    assert!(both.len() > only_musk);
    assert!(both.iter().all(|&s| {
        let actors = &app.library().sections[s].actors;
        actors.contains(&musk) || actors.contains(&deepseek)
    }));
    assert!(screen(&app).contains("Showing Musk or DeepSeek"));
    press(&mut app, "m");
    assert!(app.filter.active() == [deepseek]);
    press(&mut app, "x");
    assert!(app.filter.is_empty());
    assert_eq!(listed(&app).len(), app.edition.sections.len());
}

#[test]
fn a_filter_that_matches_nothing_says_so() {
    let config = Config::load(Some((
        "user.toml",
        "[[actors]]\nname = \"Mistral\"\nkey = \"i\"\n",
    )))
    .unwrap();
    let mut app = app_with(config, &[ContentRoot::Bundled], "en", 80, 24);
    press(&mut app, "i");
    assert!(app.timeline.is_empty());
    assert_eq!(app.reader.open, None);
    let text = screen(&app);
    assert!(text.contains("No sections about Mistral."), "{text}");
    assert!(text.contains("Press x to show all actors."), "{text}");
    press(&mut app, "x");
    assert!(app.reader.open.is_some());
}

#[test]
fn timeline_keys_move_between_sections_and_enter_opens() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "g");
    let all = listed(&app);
    assert_eq!(app.selected_section(), Some(all[0]));
    press(&mut app, "j j");
    assert_eq!(app.selected_section(), Some(all[2]), "headers are skipped");
    press(&mut app, "k");
    assert_eq!(app.selected_section(), Some(all[1]));
    press(&mut app, "enter");
    assert_eq!(app.reader.open, Some(all[1]));
    assert_eq!(app.focus, Pane::Reader);
    press(&mut app, "G");
    assert_eq!(
        app.reader.scroll,
        app.reader
            .lines
            .len()
            .saturating_sub(app.layout.page(Pane::Reader))
    );
    press(&mut app, "h");
    assert_eq!(app.focus, Pane::Timeline);
    press(&mut app, "G");
    assert_eq!(app.selected_section(), all.last().copied());
}

#[test]
fn focus_cycles_with_tab_and_moves_with_h_and_l() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "tab");
    assert_eq!(app.focus, Pane::Reader);
    press(&mut app, "tab");
    assert_eq!(app.focus, Pane::Topics);
    press(&mut app, "shift-tab");
    assert_eq!(app.focus, Pane::Reader);
    press(&mut app, "l");
    assert_eq!(app.focus, Pane::Reader, "l stops at the right edge");
    press(&mut app, "h h h");
    assert_eq!(
        app.focus,
        Pane::Timeline,
        "left of the reader: the timeline"
    );
    press(&mut app, "K");
    assert_eq!(app.focus, Pane::Topics, "K: the pane above");
    press(&mut app, "K h");
    assert_eq!(app.focus, Pane::Topics, "nothing above or left of it");
    // Topics is top left: the pane to its right is the reader, as drawn.
    press(&mut app, "l");
    assert_eq!(app.focus, Pane::Reader);
    press(&mut app, "h J");
    assert_eq!(app.focus, Pane::Timeline);
    press(&mut app, "J");
    assert_eq!(app.focus, Pane::Timeline, "nothing below it");
    // One pane at a time: h and l walk the tabs.
    app.handle(Input::Resize(60, 20));
    press(&mut app, "h");
    assert_eq!(app.focus, Pane::Topics);
    press(&mut app, "l l");
    assert_eq!(app.focus, Pane::Reader);
    // The help lists the new moves.
    press(&mut app, "?");
    let text = screen(&app);
    assert!(text.contains("Pane above") || text.contains("K "), "{text}");
}

#[test]
fn choosing_a_topic_narrows_the_timeline_and_the_reader_follows() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "K g j j");
    let TopicChoice::Topic(topic) = app.topic_choice() else {
        panic!("a topic is selected")
    };
    let shown = listed(&app);
    assert_eq!(shown.len(), app.topics[2].count);
    assert!(
        shown
            .iter()
            .all(|&s| app.library().sections[s].topics.contains(&topic))
    );
    assert!(shown.contains(&app.reader.open.unwrap()));
    press(&mut app, "enter");
    assert_eq!(app.focus, Pane::Timeline);
}

#[test]
fn untagged_sections_get_their_own_topic_entry() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), "title = \"t\"\npublished = 2025-01-02\n[[section]]\nheading = \"no topic\"\n[[section]]\nheading = \"tagged\"\ntopics = [\"x\"]\n").unwrap();
    let app = app_with(
        Config::built_in().unwrap(),
        &[ContentRoot::Dir(dir.path().into())],
        "en",
        80,
        24,
    );
    let last = app.topics.last().unwrap();
    assert_eq!((last.choice, last.count), (TopicChoice::Untagged, 1));
    assert!(screen(&app).contains("untagged"));
}

#[test]
fn switching_language_keeps_the_same_section_open() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "g j j j enter");
    let before = app.reader.open.unwrap();
    let (id, index) = {
        let s = &app.library().sections[before];
        (app.library().articles[s.article].id.clone(), s.index)
    };
    press(&mut app, "L");
    let after = app.reader.open.unwrap();
    let s = &app.library().sections[after];
    assert_eq!(app.library().articles[s.article].lang, "de");
    assert_eq!(
        (app.library().articles[s.article].id.as_str(), s.index),
        (id.as_str(), index)
    );
    assert!(screen(&app).contains("Zeitleiste"));
    press(&mut app, "L");
    assert_eq!(app.reader.open, Some(before));
}

#[test]
fn an_article_without_translation_is_shown_in_its_own_language() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("only-en.toml"), "title = \"English only\"\nlang = \"en\"\npublished = 2025-01-02\n[[section]]\nheading = \"Only in English\"\n").unwrap();
    let mut app = app_with(
        Config::built_in().unwrap(),
        &[ContentRoot::Bundled, ContentRoot::Dir(dir.path().into())],
        "de",
        120,
        40,
    );
    let shown = listed(&app);
    let english = shown
        .iter()
        .copied()
        .find(|&s| app.library().sections[s].heading == "Only in English");
    let english = english.expect("the untranslated article is listed");
    let row = app
        .timeline
        .iter()
        .position(|r| *r == TimelineRow::Section(english))
        .unwrap();
    press(&mut app, "g");
    while app.timeline_cursor.selected != row {
        press(&mut app, "j");
    }
    press(&mut app, "enter");
    assert_eq!(open_heading(&app), "Only in English");
    assert!(screen(&app).contains("Nicht auf Deutsch verfügbar: auf Englisch angezeigt."));
}

#[test]
fn help_and_warnings_overlays_open_and_close() {
    let mut app = bundled("en", 80, 24);
    press(&mut app, "?");
    assert!(screen(&app).contains("Down one row or line"));
    // Longer than the screen: it scrolls, and says where it is.
    assert!(!screen(&app).contains("Show Europe"));
    press(&mut app, "G");
    assert!(screen(&app).contains("Show / hide Europe"));
    press(&mut app, "q");
    assert!(
        app.overlay.is_none() && !app.should_quit(),
        "q closes the overlay first"
    );
    press(&mut app, "!");
    assert!(screen(&app).contains("Everything loaded cleanly."));
    press(&mut app, "esc q");
    assert!(app.should_quit());
}

#[test]
fn every_size_down_to_one_by_one_draws_without_panic() {
    let mut app = bundled("en", 80, 24);
    press(&mut app, "enter ?");
    for width in (0..=130).step_by(7).chain([1, 2, 19, 20, 79, 80]) {
        for height in (0..=45).step_by(5).chain([1, 5, 6, 23, 24]) {
            app.handle(Input::Resize(width, height));
            let text = screen(&app);
            if width >= 30 && (6..24).contains(&height) {
                assert!(!text.contains("too small"), "{width}x{height}");
            }
        }
    }
    app.handle(Input::Resize(10, 3));
    assert!(screen(&app).contains("Terminal"));
}

#[test]
fn after_a_key_flood_the_reader_still_answers_every_key() {
    let mut app = bundled("en", 80, 24);
    let total = app.edition.sections.len();
    let keys = [
        "j", "k", "d", "m", "tab", "pgdn", "G", "L", "?", "esc", "x", "enter", "space", "h",
    ];
    for i in 0..20_000 {
        let key = Key::parse(keys[i * 7 % keys.len()]).unwrap();
        let effects = app.handle(Input::Key(key));
        assert!(
            !effects.contains(&aiwatch_tui::app::Effect::Quit),
            "no key of the flood quits"
        );
        if i % 1000 == 0 {
            app.handle(Input::Resize(40 + (i % 100) as u16, 10 + (i % 30) as u16));
        }
    }
    app.handle(Input::Resize(80, 24));
    // The selection is a real row and on screen.
    let cursor = app.timeline_cursor;
    assert!(cursor.selected < app.timeline.len());
    assert!(cursor.offset <= cursor.selected);
    // A key bound to nothing changes nothing.
    let before = screen(&app);
    app.handle(Input::Key(Key::plain(KeyCode::F(24))));
    assert_eq!(screen(&app), before);
    // Back to everything, in English, in three keys or fewer: the state is sound.
    press(&mut app, "esc esc x");
    if app.edition.lang != "en" {
        press(&mut app, "L");
    }
    while app.focus != Pane::Topics {
        press(&mut app, "tab");
    }
    press(&mut app, "g");
    assert_eq!(app.topic_choice(), TopicChoice::All);
    assert_eq!(listed(&app).len(), total);
    let text = screen(&app);
    assert!(text.contains(&format!("{total} sections")), "{text}");
    assert!(text.starts_with(" aiwatch"), "{text}");
}

#[test]
fn hostile_bytes_in_content_and_file_names_never_reach_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    // TOML forbids raw control characters in strings, so authors (and
    // attackers) write them as escapes; file names may hold them raw.
    let nasty = "\\u001b]52;c;SGVsbG8=\\u0007\\u001b[2J\\u009b31m\\u0090q\\u007f";
    let raw = "\u{1b}]52;c;SGVsbG8=\u{7}\u{1b}[2J\u{9b}31m\u{90}q\u{7f}";
    let article = format!(
        "title = \"T{nasty}\"\nsource = \"S{nasty}\"\npublished = 2025-01-02\nactors = [\"A{nasty}\"]\ntopics = [\"X{nasty}\"]\n\
         [[section]]\nheading = \"H{nasty}\"\nbody = \"\"\"\nB{nasty}\n\n- I{nasty}\n\"\"\"\n"
    );
    std::fs::write(dir.path().join("a.toml"), article).unwrap();
    std::fs::write(
        dir.path().join(format!("bad{raw}.toml")),
        format!("title = \"{raw}"),
    )
    .unwrap();
    let mut app = app_with(
        Config::built_in().unwrap(),
        &[ContentRoot::Dir(dir.path().into())],
        "en",
        120,
        40,
    );
    for keys in ["", "enter", "!", "esc h"] {
        press(&mut app, keys);
        let text = screen(&app);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "after {keys:?}:\n{text:?}"
        );
    }
    let text = screen(&app);
    assert!(text.contains("H\u{241b}]52;c;SGVsbG8=\u{2407}"), "{text}");
}

/// Effects leave the core one way, as `handle`'s return value: the
/// search index is asked for once, a read timer when a section opens; the
/// timer's firing comes back as an input and marks the section read.
#[test]
fn effects_leave_only_through_handle_and_results_come_back_as_inputs() {
    use aiwatch_tui::app::{Effect, READ_AFTER_MS};
    let config = Config::built_in().unwrap();
    let library =
        aiwatch_tui::content::load_library(&[ContentRoot::Bundled], &config.actor_directory());
    let ctx = aiwatch_tui::app::Context::new(library, config);
    let mut app = aiwatch_tui::app::App::new(ctx, "en");
    let first = app.handle(Input::Resize(120, 40));
    assert_eq!(
        first
            .iter()
            .filter(|e| **e == Effect::BuildSearchIndex)
            .count(),
        1
    );
    assert!(
        !app.handle(Input::Resize(100, 30))
            .contains(&Effect::BuildSearchIndex)
    );
    let effects = app.handle(Input::Key(Key::parse("u").unwrap()));
    let token = effects
        .iter()
        .find_map(|e| match e {
            Effect::Timer { after_ms, token } if *after_ms == READ_AFTER_MS => Some(*token),
            _ => None,
        })
        .expect("opening an unread section asks for a read timer");
    let open = app.reader.open.unwrap();
    assert!(!app.marks.is_read(open));
    assert!(app.handle(Input::Timer(token)).is_empty());
    assert!(app.marks.is_read(open));

    // What became of an effect is an input too; the app words the notice.
    app.handle(Input::Outcome(aiwatch_tui::input::Outcome::Copied {
        bytes: 42,
        in_tmux: false,
    }));
    assert_eq!(app.notice.as_deref(), Some("Link copied (42 bytes)."));
    app.handle(Input::Outcome(aiwatch_tui::input::Outcome::WindowClamped {
        width: 300,
        height: 100,
    }));
    assert!(app.notice.as_deref().unwrap().contains("300x100"));
}

/// The search line takes 200 characters; more are refused with a notice
/// on the status line, where it can be seen past the long line, and in
/// the message log.
#[test]
fn the_search_line_is_capped_and_says_so() {
    let mut app = bundled("en", 100, 30);
    press(&mut app, "/");
    for _ in 0..5_000 {
        app.handle(Input::Key(Key::new(
            KeyCode::Char('x'),
            false,
            false,
            false,
        )));
    }
    assert_eq!(app.search.text.chars().count(), 200);
    let shown = screen(&app);
    assert!(
        shown.contains("Search text is limited to 200 characters."),
        "{shown}"
    );
    // Kept in the message log (`!`) too, once for the whole flood.
    let logged = app.messages.iter().filter(|m| m.contains("limited to 200"));
    assert_eq!(logged.count(), 1, "{:?}", app.messages);
    press(&mut app, "backspace y");
    assert_eq!(app.search.text.chars().count(), 200);
    assert!(app.search.text.ends_with('y'));
}

/// A paste into the search line is typed text (control characters
/// dropped, the same 200-character cap and notice); outside it, a paste
/// does nothing, so a pasted `q` does not quit.
#[test]
fn a_paste_goes_into_the_search_line_and_nowhere_else() {
    let mut app = bundled("en", 100, 30);
    let effects = app.handle(Input::Paste("q\nqd".into()));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, aiwatch_tui::app::Effect::Quit)),
        "{effects:?}"
    );
    assert!(!app.search.editing);
    press(&mut app, "/");
    app.handle(Input::Paste("mu\x1bsk\r".into()));
    assert_eq!(app.search.text, "musk");
    assert!(app.search.editing);
    app.handle(Input::Paste("x".repeat(1_000)));
    assert_eq!(app.search.text.chars().count(), 200);
    let shown = screen(&app);
    assert!(
        shown.contains("Search text is limited to 200 characters."),
        "{shown}"
    );
}

/// The loop keeps timers as deadlines: the read mark arrives while the
/// loop waits for input, with no thread of its own.
#[test]
fn the_loop_fires_timers_while_it_waits() {
    use aiwatch_tui::runtime::{self, Quiet};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let config = Config::built_in().unwrap();
    let library =
        aiwatch_tui::content::load_library(&[ContentRoot::Bundled], &config.actor_directory());
    let mut app = aiwatch_tui::app::App::new(aiwatch_tui::app::Context::new(library, config), "en");
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(2500));
        let _ = tx.send(Input::Stop);
    });
    let first = [Input::Resize(100, 30), Input::Key(Key::parse("u").unwrap())];
    runtime::run(&mut terminal, &mut app, first, &rx, &mut Quiet).unwrap();
    stopper.join().unwrap();
    let open = app.reader.open.unwrap();
    assert!(app.marks.is_read(open), "the read timer fired in the loop");
}

#[test]
fn switching_language_keeps_topic_filters_search_and_open_section() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "K j j j j j");
    let topic = app.topic_choice();
    let TopicChoice::Topic(t) = topic else {
        panic!("a topic is chosen")
    };
    let english_topic = app.library().topics[t].clone();
    press(&mut app, "l d");
    let open = app.reader.open.unwrap();
    press(&mut app, "L");
    let TopicChoice::Topic(de) = app.topic_choice() else {
        panic!("still a topic after L, not All: {:?}", app.topic_choice())
    };
    assert_ne!(app.library().topics[de], english_topic, "the German topic");
    assert!(!listed(&app).is_empty());
    assert!(
        app.filter.is_active(actor(&app, "DeepSeek")),
        "the filter stays"
    );
    assert!(screen(&app).contains(&app.library().topics[de]));
    press(&mut app, "L");
    assert_eq!(app.topic_choice(), topic, "back to the same topic");
    assert_eq!(app.reader.open, Some(open), "and the same section");
    // A search is kept (and run again on the other edition).
    press(&mut app, "x /");
    for c in "deepseek".chars() {
        app.handle(Input::Key(Key::char(c)));
    }
    press(&mut app, "enter L");
    assert!(app.search.query.is_some());
    assert!(screen(&app).contains("/deepseek"));
}

#[test]
fn at_80_columns_the_header_shows_every_actor_key() {
    let app = bundled("en", 80, 24);
    let header = screen(&app).lines().next().unwrap().to_owned();
    assert!(!header.contains('…'), "{header}");
    for chip in ["m Musk", "o OpenAI", "d DeepSeek", "f France", "e Europe"] {
        assert!(header.contains(chip), "{chip} in {header}");
    }
    // Narrower than that, names are shortened for all, keys stay.
    let mut app = bundled("en", 80, 24);
    app.handle(Input::Resize(80, 24));
    let user = "[[actors]]\nname = \"Mistral\"\nkey = \"i\"\ncolor = \"magenta\"\n[[actors]]\nname = \"Anthropic\"\nkey = \"t\"\ncolor = \"magenta\"\n";
    let config = Config::load(Some(("user.toml", user))).unwrap();
    let app = app_with(config, &[ContentRoot::Bundled], "en", 80, 24);
    let header = screen(&app).lines().next().unwrap().to_owned();
    for key in ["m ", "e ", "i ", "t "] {
        assert!(header.contains(key), "{key} in {header}");
    }
}

#[test]
fn wide_terminals_get_three_columns_and_a_capped_measure() {
    let mut app = bundled("en", 200, 50);
    let text = screen(&app);
    let titles = text.lines().nth(1).unwrap();
    assert!(
        titles.contains("Topics") && titles.contains("Timeline") && titles.contains("Reading"),
        "{titles}"
    );
    assert_eq!(app.layout.topics.height, app.layout.timeline.height);
    assert!(app.layout.timeline.width >= 60, "{:?}", app.layout);
    for line in app.reader.lines.iter() {
        let width: usize = line
            .iter()
            .map(|s| unicode_width::UnicodeWidthStr::width(s.text.as_str()))
            .sum();
        assert!(width <= 100, "{width}");
    }
    // h and l walk the three columns.
    press(&mut app, "h");
    assert_eq!(app.focus, Pane::Topics);
    press(&mut app, "l l");
    assert_eq!(app.focus, Pane::Reader);
}

#[test]
fn actors_are_listed_in_the_configured_order_everywhere() {
    let mut app = bundled("en", 120, 40);
    press(&mut app, "d m");
    assert!(screen(&app).contains("Showing Musk or DeepSeek"));
    assert_eq!(
        app.filter.active(),
        [actor(&app, "Musk"), actor(&app, "DeepSeek")]
    );
    // Timeline markers: keys in config order on every row.
    press(&mut app, "x");
    let order: Vec<char> = app
        .config()
        .actors
        .iter()
        .enumerate()
        .filter_map(|(i, _)| {
            app.config()
                .keymap
                .keys(aiwatch_tui::action::Action::ToggleActor(i))
                .first()
                .map(|k| k.to_string().chars().next().unwrap())
        })
        .collect();
    let text = screen(&app);
    let timeline = app.layout.timeline;
    for line in text
        .lines()
        .skip(usize::from(timeline.y) + 1)
        .take(usize::from(timeline.height) - 2)
    {
        // "│• 10 Feb moa Heading": the markers follow the date.
        let cells: Vec<char> = line.chars().collect();
        let markers: Vec<char> = cells[10..13.min(cells.len())]
            .iter()
            .copied()
            .filter(|c| order.contains(c))
            .collect();
        let mut sorted = markers.clone();
        sorted.sort_by_key(|c| order.iter().position(|o| o == c));
        assert_eq!(markers, sorted, "{line}");
    }
}

#[test]
fn the_help_overlay_at_40_columns_wraps_at_words() {
    let mut app = bundled("en", 40, 12);
    press(&mut app, "?");
    let mut seen = String::new();
    for _ in 0..100 {
        seen.push_str(&screen(&app));
        press(&mut app, "j");
    }
    let strings = app.strings.clone();
    for action in aiwatch_tui::action::Action::BINDABLE {
        for word in strings.action(*action).split_whitespace() {
            assert!(
                seen.contains(word),
                "{word:?} of {action} shown whole: {seen}"
            );
        }
    }
    for word in strings.ui.tmux_clipboard.split_whitespace() {
        assert!(seen.contains(word), "{word:?}");
    }
}

/// The help's tmux tip is something to do, not a footnote: drawn as the
/// overlay's text, not muted (muted text may be fainter than text must be).
#[test]
fn the_help_overlays_tmux_tip_is_drawn_as_text() {
    use aiwatch_tui::config::Role;
    let mut app = bundled("en", 120, 40);
    press(&mut app, "?");
    for _ in 0..100 {
        press(&mut app, "j");
    }
    let terminal = common::render(&app);
    let buffer = terminal.backend().buffer();
    let overlay = app.style(Role::Overlay).fg;
    let row = (0..40)
        .find(|&y| {
            (0..120)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains("set-clipboard")
        })
        .expect("the tip is on the help's last page");
    let line: String = (0..120).map(|x| buffer[(x, row)].symbol()).collect();
    let byte = line.find("In tmux").unwrap();
    let start = u16::try_from(line[..byte].chars().count()).unwrap();
    for x in start..start + 7 {
        assert_eq!(buffer[(x, row)].fg, overlay.unwrap(), "{line}");
    }
}

#[test]
fn an_empty_list_under_a_topic_names_the_topic_and_the_actor() {
    let mut app = bundled("en", 80, 24);
    press(&mut app, "K g j j j j");
    assert_eq!(
        app.library().topics.get(match app.topic_choice() {
            TopicChoice::Topic(t) => t,
            other => panic!("{other:?}"),
        }),
        Some(&"Data centres".to_owned())
    );
    press(&mut app, "m");
    assert!(app.timeline.is_empty());
    let text = screen(&app);
    assert!(
        text.contains("No sections about Musk under “Data centres”."),
        "{text}"
    );
    assert!(text.contains("Press x to show all actors."), "{text}");
    // The hint is right: x lists the topic's sections for every actor.
    press(&mut app, "x");
    assert!(!app.timeline.is_empty());
    assert!(matches!(app.topic_choice(), TopicChoice::Topic(_)));

    let mut app = bundled("de", 120, 40);
    press(&mut app, "K g j j j j m");
    let text = screen(&app);
    let TopicChoice::Topic(t) = app.topic_choice() else {
        panic!("{text}")
    };
    let topic = &app.library().topics[t];
    assert!(
        text.contains(&format!("Keine Abschnitte über Musk unter „{topic}“.")),
        "{text}"
    );
    assert!(text.contains("x zeigt wieder alle Akteure."), "{text}");
}

#[test]
fn below_the_minimum_size_the_screen_says_which_size_it_needs() {
    for (lang, needs) in [("en", "needs 20x6"), ("de", "braucht 20x6")] {
        let mut app = bundled(lang, 80, 24);
        for (w, h) in [(19, 6), (20, 5), (12, 4)] {
            app.handle(Input::Resize(w, h));
            let text: Vec<String> = screen(&app)
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect();
            let text = text.join(" ");
            assert!(text.contains(&format!("{w}x{h}")), "{lang} {w}x{h}: {text}");
            assert!(text.contains(needs), "{lang} {w}x{h}: {text}");
        }
    }
}

/// A driver whose output is busy until told otherwise, counting frames.
struct SlowOutput {
    busy: std::sync::Arc<std::sync::atomic::AtomicBool>,
    frames: usize,
}

impl<B: aiwatch_tui::runtime::FrameSink> aiwatch_tui::runtime::Driver<B> for SlowOutput {
    fn output_busy(&self) -> bool {
        self.busy.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn after_draw(
        &mut self,
        _app: &aiwatch_tui::app::App,
        _terminal: &mut ratatui::Terminal<B>,
    ) -> Result<(), B::Error> {
        self.frames += 1;
        Ok(())
    }
}

/// While the output is busy (a served client reading slowly) keys are
/// taken but no frame is drawn; once it is free, one frame shows the
/// state after all of them.
#[test]
fn a_busy_output_holds_frames_and_then_draws_the_latest_state_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, mpsc};

    let mut app = bundled("en", 100, 30);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    let busy = Arc::new(AtomicBool::new(true));
    let mut driver = SlowOutput {
        busy: Arc::clone(&busy),
        frames: 0,
    };
    let (tx, rx) = mpsc::channel();
    let freer = {
        let busy = Arc::clone(&busy);
        let tx = tx.clone();
        std::thread::spawn(move || {
            for _ in 0..5 {
                tx.send(Input::Key(Key::plain(KeyCode::Char('j')))).unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
            busy.store(false, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(300));
        })
    };
    let expected = {
        let mut model = bundled("en", 100, 30);
        press(&mut model, "j j j j j");
        open_heading(&model)
    };
    let stopper = std::thread::spawn(move || {
        freer.join().unwrap();
        tx.send(Input::Stop).unwrap();
    });
    aiwatch_tui::runtime::run(
        &mut terminal,
        &mut app,
        [Input::Resize(100, 30)],
        &rx,
        &mut driver,
    )
    .unwrap();
    stopper.join().unwrap();
    assert_eq!(
        driver.frames, 1,
        "one frame, drawn once the output was free"
    );
    assert_eq!(open_heading(&app), expected);
    let shown = terminal.backend().buffer().clone();
    let mut fresh = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    aiwatch_tui::runtime::draw(&mut fresh, &app).unwrap();
    assert_eq!(
        &shown,
        fresh.backend().buffer(),
        "the frame shows the latest state"
    );
}

/// The reader on one content file `ID.toml` of one section with `body`,
/// at `size`; the folder lives as long as the returned guard.
fn one_section_app(
    id: &str,
    body: &str,
    (width, height): (u16, u16),
) -> (tempfile::TempDir, aiwatch_tui::app::App) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(format!("{id}.toml")),
        format!(
            "id = \"{id}\"\ntitle = \"T\"\npublished = 2025-01-02\n\
             [[section]]\nheading = \"H\"\nbody = \"\"\"\n{body}\n\"\"\"\n"
        ),
    )
    .unwrap();
    let app = app_with(
        Config::built_in().unwrap(),
        &[ContentRoot::Dir(dir.path().into())],
        "en",
        width,
        height,
    );
    (dir, app)
}

/// A section of megabytes (a feed item may be one paragraph of 10 MB) is
/// laid out up to the reader's limit, its end says how much is left and
/// how to print it whole, and a search over it paints the same bounded
/// lines.
#[test]
fn a_section_of_megabytes_is_laid_out_up_to_a_bound_and_says_the_rest() {
    let words = "word ".repeat(400_000); // 2 MB in one paragraph
    let (_dir, mut app) =
        one_section_app("huge", &format!("{words}\n\n- an item after it"), (120, 40));
    press(&mut app, "enter");
    let lines = app.reader.lines.len();
    let width = usize::from(app.layout.reader_text_width());
    let bound = aiwatch_tui::reflow::READER_BODY_LIMIT / width * 2 + 50;
    assert!(lines < bound, "{lines} lines laid out (bound {bound})");
    press(&mut app, "G");
    let text = screen(&app);
    assert!(
        text.contains("The rest of this section (") && text.contains("aiwatch-tui show huge#1"),
        "{text}"
    );
    press(&mut app, "/ w o r d");
    assert_eq!(
        app.reader.lines.len(),
        lines,
        "the search paints the same lines"
    );
}

/// A reader served over SSH has no command line on the server: its cut
/// notice says how much is left without sending it to `aiwatch-tui show`.
#[test]
fn a_served_reader_is_not_told_to_run_a_command_for_the_rest() {
    let words = "word ".repeat(400_000);
    let (_dir, mut app) = one_section_app("huge", &words, (120, 40));
    app.set_keeping(aiwatch_tui::app::Keeping::Anonymous);
    press(&mut app, "enter");
    press(&mut app, "G");
    let text = screen(&app);
    assert!(text.contains("The rest of this section ("), "{text}");
    assert!(!text.contains("aiwatch-tui show"), "{text}");
}

/// Resizing re-wraps the open section; the reader keeps its place: at
/// the end it stays at the end, in the middle it stays about as far in.
#[test]
fn resizes_keep_the_place_in_the_open_section() {
    let paragraphs = (0..400)
        .map(|i| format!("Paragraph {i} says a few words about the race, enough to wrap."))
        .collect::<Vec<_>>()
        .join("\n\n");
    let (_dir, mut app) = one_section_app("long", &paragraphs, (100, 30));
    press(&mut app, "enter G");
    let at_end =
        |app: &aiwatch_tui::app::App| app.reader.scroll + app.reader.page >= app.reader.lines.len();
    assert!(at_end(&app));
    for (w, h) in [(60, 20), (160, 50), (30, 10), (100, 30)] {
        app.handle(Input::Resize(w, h));
        assert!(
            at_end(&app),
            "at {w}x{h}: {}/{}",
            app.reader.scroll,
            app.reader.lines.len()
        );
    }
    // Half-way through, a narrower window keeps it about half-way.
    app.reader.scroll = app.reader.lines.len() / 2;
    app.handle(Input::Resize(60, 30));
    let (scroll, len) = (app.reader.scroll, app.reader.lines.len());
    assert!(
        scroll * 10 >= len * 4 && scroll * 10 <= len * 6,
        "{scroll} of {len}"
    );
}

/// Ctrl-Z (and SIGTSTP, as `Input::Suspend`) asks the local reader's
/// runtime to suspend, its state saved first, from any overlay; a served
/// session has no job control: nothing happens, and its help does not
/// offer it.
#[test]
fn ctrl_z_suspends_the_local_reader_and_nothing_in_a_served_one() {
    use aiwatch_tui::app::{Effect, Keeping};
    let config = Config::built_in().unwrap();
    let library =
        aiwatch_tui::content::load_library(&[ContentRoot::Bundled], &config.actor_directory());
    let ctx = aiwatch_tui::app::Context::new(library, config);
    let mut app = aiwatch_tui::app::App::new(ctx, "en");
    app.handle(Input::Resize(80, 24));
    let suspends = |effects: &[Effect]| matches!(effects, [Effect::Save(_), Effect::Suspend]);
    let ctrl_z = Key::parse("ctrl-z").unwrap();
    assert!(suspends(&app.handle(Input::Key(ctrl_z))));
    assert!(suspends(&app.handle(Input::Suspend)));
    app.handle(Input::Key(Key::parse("?").unwrap()));
    assert!(app.overlay.is_some(), "the help is open");
    assert!(
        suspends(&app.handle(Input::Key(ctrl_z))),
        "from the help too"
    );
    assert!(!app.should_quit());

    app.keeping = Keeping::Anonymous;
    assert!(app.handle(Input::Key(ctrl_z)).is_empty());
    assert!(app.handle(Input::Suspend).is_empty());
    assert!(!app.should_quit());
    // Its help lists no ctrl-z (scrolled to the end, where it would be).
    app.handle(Input::Key(Key::parse("esc").unwrap()));
    app.handle(Input::Key(Key::parse("?").unwrap()));
    app.handle(Input::Key(Key::parse("G").unwrap()));
    let help = screen(&app);
    assert!(help.contains("ctrl-c"), "{help}");
    assert!(!help.contains("ctrl-z"), "{help}");
}
