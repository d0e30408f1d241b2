//! Themes and colour depth: the same screen in every built-in theme, and
//! at every colour depth with no colour beyond what the terminal can show.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use aiwatch_tui::config::{ColorDepth, Config};
use aiwatch_tui::content::ContentRoot;
use common::{app_with, press, render, style_runs};
use insta::assert_snapshot;
use ratatui::style::Color;
use rstest::rstest;

fn config(user: &str) -> Config {
    Config::load(Some(("user.toml", user))).unwrap()
}

#[rstest]
#[case("dark")]
#[case("light")]
#[case("high-contrast")]
#[case("mono")]
fn every_built_in_theme(#[case] name: &str) {
    let config = config(&format!("[theme]\nname = \"{name}\"\n"));
    let mut app = app_with(config, &[ContentRoot::Bundled], "en", 80, 24);
    press(&mut app, "d");
    let terminal = render(&app);
    assert_snapshot!(
        format!("theme_{name}"),
        style_runs(terminal.backend().buffer())
    );
}

/// A theme in hex colours, to see each depth bring it down.
const HEX_THEME: &str = "[theme]\nname = \"sea\"\n[themes.sea]\nbase = \"dark\"\n\
    [themes.sea.styles]\nbase = { fg = \"#c0d0e0\", bg = \"#102030\" }\nheading = { fg = \"#ff8800\", bold = true }\n\
    selection = { fg = \"#102030\", bg = \"#40c0a0\" }\nborder_focused = \"#40c0a0\"\nstatus = { fg = \"#000000\", bg = \"#a0a0a0\" }\n\
    [themes.sea.actors]\nDeepSeek = \"#3366ff\"\n";

#[rstest]
#[case::truecolor(ColorDepth::TrueColor, "truecolor")]
#[case::ansi256(ColorDepth::Ansi256, "256")]
#[case::ansi16(ColorDepth::Ansi16, "16")]
#[case::none(ColorDepth::None, "none")]
fn every_colour_depth_stays_within_the_terminal(#[case] depth: ColorDepth, #[case] name: &str) {
    let mut config = config(HEX_THEME);
    config.adapt_colors(depth);
    let mut app = app_with(config, &[ContentRoot::Bundled], "en", 80, 24);
    press(&mut app, "d enter");
    let terminal = render(&app);
    let buffer = terminal.backend().buffer();
    for cell in &buffer.content {
        for color in [cell.fg, cell.bg] {
            let allowed = color == Color::Reset
                || match depth {
                    ColorDepth::TrueColor => true,
                    ColorDepth::Ansi256 => !matches!(color, Color::Rgb(..)),
                    ColorDepth::Ansi16 => !matches!(color, Color::Rgb(..) | Color::Indexed(_)),
                    ColorDepth::None => false,
                };
            assert!(allowed, "{color:?} at depth {depth:?}");
        }
    }
    assert_snapshot!(format!("depth_{name}"), style_runs(buffer));
}

#[test]
fn a_user_theme_builds_on_a_base_and_recolours_actors() {
    let config = config(HEX_THEME);
    assert_eq!(config.theme.name, "sea");
    let deepseek = config.actors.iter().find(|a| a.name == "DeepSeek").unwrap();
    assert_eq!(deepseek.color, Color::Rgb(0x33, 0x66, 0xff));
    let mono = self::config("[theme]\nname = \"mono\"\n");
    assert!(mono.actors.iter().all(|a| a.color == Color::Reset));
}

#[rstest]
#[case::bad_colour_in_user_theme(
    "[themes.x.styles]\nheading = \"#12\"\n",
    "user.toml:2:11: error: [themes.x.styles] `heading`: expected a colour as #rrggbb, found \"#12\""
)]
#[case::unknown_element_in_user_theme(
    "[themes.x.styles]\nheadng = \"red\"\n",
    "user.toml:2:1: error: [themes.x.styles] unknown element `headng`; did you mean `heading`?"
)]
#[case::bad_actor_colour(
    "[theme.actors]\nMusk = \"reddish\"\n",
    "user.toml:2:8: error: [theme.actors] `Musk`: expected a colour name (such as \"yellow\"), an index 0-255 or #rrggbb, found \"reddish\""
)]
#[case::bad_base(
    "[themes.x]\nbase = \"darker\"\n",
    "user.toml:2:8: error: [themes.x] \"base\": expected a built-in theme (\"dark\", \"light\", \"high-contrast\", \"mono\"), found \"darker\""
)]
#[case::negative_index(
    "[theme.styles]\nheading = -5\n",
    "user.toml:2:11: error: [theme.styles] `heading`: expected a colour index 0-255, found -5"
)]
#[case::bad_depth(
    "color = \"millions\"\n",
    "user.toml:1:9: error: \"color\": expected \"auto\", \"truecolor\", \"256\", \"16\" or \"none\", found \"millions\""
)]
#[case::bad_links(
    "links = \"yes\"\n",
    "user.toml:1:9: error: \"links\": expected \"auto\", \"always\" or \"never\", found \"yes\""
)]
fn theme_errors_are_located(#[case] text: &str, #[case] expected: &str) {
    let errors: Vec<String> = Config::load(Some(("user.toml", text)))
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        errors.contains(&expected.to_owned()),
        "expected\n  {expected}\ngot\n  {}",
        errors.join("\n  ")
    );
}

/// A user theme below the contrast limits is used as written, with a
/// warning at the user's line naming the pair and its ratio.
#[test]
fn an_unreadable_user_theme_is_used_with_located_warnings() {
    let text = "[theme]\nname = \"sea\"\n\
        [themes.sea]\nbase = \"light\"\n[themes.sea.styles]\nmeta = \"yellow\"\n\
        [theme.styles]\nselection = { fg = \"white\", bg = \"lightyellow\" }\n\
        [theme.actors]\nMusk = \"blue\"\nOpenAI = \"#0000e0\"\n";
    let config = config(text);
    assert_eq!(
        config.theme.style(aiwatch_tui::config::Role::Selection).bg,
        Some(Color::LightYellow)
    );
    let warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    for expected in [
        "user.toml:6:8: warning: [themes.sea.styles] meta: 1.7:1 (at least 4.5:1)",
        "user.toml:6:8: warning: [themes.sea.styles] meta on overlay: 1.5:1 (at least 4.5:1)",
        "user.toml:8:13: warning: [theme.styles] selection: 1.1:1 (at least 4.5:1)",
        "user.toml:11:1: warning: [theme.actors] actors Musk and OpenAI: ΔE 1.8 (at least 20)",
    ] {
        assert!(
            warnings.contains(&expected.to_owned()),
            "expected\n  {expected}\ngot\n  {}",
            warnings.join("\n  ")
        );
    }
    // Blue reads on white: no warning for the actor itself.
    assert!(!warnings.iter().any(|w| w.contains("actor Musk on")));
    // The built-in themes give no warning at all.
    for name in ["dark", "light", "high-contrast", "mono"] {
        let built_in = self::config(&format!("[theme]\nname = \"{name}\"\n"));
        assert!(
            built_in.warnings.is_empty(),
            "{name}: {:?}",
            built_in.warnings
        );
    }
}

/// The light theme gives the bundled actors colours that read on white,
/// chosen per depth; an actor colour the user set in `[[actors]]` wins.
#[test]
fn a_built_in_themes_actor_colours_yield_to_the_users() {
    let user = "[theme]\nname = \"light\"\n[[actors]]\nname = \"Musk\"\ncolor = \"#1010c0\"\n";
    let mut config = config(user);
    let color = |c: &Config, name: &str| c.actors.iter().find(|a| a.name == name).unwrap().color;
    assert_eq!(color(&config, "Musk"), Color::Rgb(0x10, 0x10, 0xc0));
    assert_eq!(color(&config, "OpenAI"), Color::Indexed(28));
    config.adapt_colors(ColorDepth::Ansi16);
    assert_eq!(color(&config, "Musk"), Color::Blue);
    assert_eq!(color(&config, "OpenAI"), Color::Black);
    assert_eq!(color(&config, "Nvidia"), Color::Red);
}

/// The selected row that is also the one being read (issue: yellow on
/// cyan in dark, white on white in high-contrast) is drawn in the
/// selection's own colours in every colour theme, actor letters included.
/// (Black is colour 16 of the cube, which stays black in bold.)
#[rstest]
#[case("dark", Color::Indexed(16), Color::Cyan)]
#[case("light", Color::White, Color::Indexed(25))]
#[case("high-contrast", Color::Indexed(16), Color::LightYellow)]
fn the_selected_row_being_read_takes_the_selections_colours(
    #[case] name: &str,
    #[case] fg: Color,
    #[case] bg: Color,
) {
    let config = config(&format!("[theme]\nname = \"{name}\"\n"));
    let mut app = app_with(config, &[ContentRoot::Bundled], "en", 120, 40);
    press(&mut app, "enter shift-tab");
    assert_eq!(app.focus, aiwatch_tui::app::Pane::Timeline);
    let open = app.reader.open.expect("a section is open");
    let terminal = render(&app);
    let buffer = terminal.backend().buffer();
    let area = app.layout.pane(aiwatch_tui::app::Pane::Timeline);
    let row = (area.y..area.bottom())
        .find(|&y| buffer[(area.x + 1, y)].symbol() == "▸")
        .expect("the row being read is on screen");
    let heading = &app.library().sections[open].heading;
    let text: String = (area.x + 1..area.right() - 1)
        .map(|x| buffer[(x, row)].symbol().to_owned())
        .collect();
    let start: String = heading.chars().take(10).collect();
    assert!(text.contains(&start), "{text}");
    for x in area.x + 1..area.right() - 1 {
        let cell = &buffer[(x, row)];
        assert_eq!(
            (cell.fg, cell.bg),
            (fg, bg),
            "{name}: column {x} of {text:?}"
        );
    }
}

/// A background for the reading pane alone is checked against what the
/// pane draws on it.
#[test]
fn a_reading_pane_background_is_checked_against_its_text() {
    let config = config("[theme.styles]\nbody = { fg = \"black\", bg = \"blue\" }\n");
    let warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "user.toml:2:8: warning: [theme.styles] body: 2.2:1 (at least 4.5:1)",
            "user.toml:2:8: warning: [theme.styles] label on body: 2.3:1 (at least 3:1)",
            "user.toml:2:8: warning: [theme.styles] topic on body: 3.0:1 (at least 4.5:1)",
        ]
    );
}

/// In mono a title has no modifiers of its own: an unfocused pane's title
/// is not drawn dim like its border.
#[test]
fn mono_titles_are_not_dimmed_by_their_border() {
    use ratatui::style::Modifier;
    let config = config("[theme]\nname = \"mono\"\n");
    let app = app_with(config, &[ContentRoot::Bundled], "en", 120, 40);
    let terminal = render(&app);
    let buffer = terminal.backend().buffer();
    let mut titles = 0;
    for pane in aiwatch_tui::app::Pane::ALL {
        if pane == app.focus {
            continue;
        }
        let area = app.layout.pane(pane);
        // The title starts two cells in: corner, space.
        let cell = &buffer[(area.x + 2, area.y)];
        assert!(!cell.symbol().trim().is_empty(), "{pane:?} has a title");
        assert!(
            !cell.modifier.contains(Modifier::DIM),
            "{pane:?} title {:?} is dim",
            cell.symbol()
        );
        titles += 1;
    }
    assert_eq!(titles, 2);
}

/// A user theme is checked at the depth `color` fixes as well: a pair
/// that reads as written may not once brought down to 16 colours.
#[test]
fn a_user_theme_is_checked_at_the_configured_depth() {
    let selection = "[theme.styles]\nselection = { fg = \"#e0e0e0\", bg = \"#5f5f00\" }\n";
    let as_written = config(selection);
    assert!(as_written.warnings.is_empty(), "{:?}", as_written.warnings);
    let at_16 = config(&format!("color = \"16\"\n{selection}"));
    let warnings: Vec<String> = at_16.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings.contains(
            &"user.toml:3:13: warning: [theme.styles] selection at 16 colours: 3.2:1 (at least 4.5:1)"
                .to_owned()
        ),
        "{warnings:#?}"
    );
    // Once per pair: the same pair is not warned about twice.
    let both =
        config("color = \"16\"\n[theme.styles]\nselection = { fg = \"white\", bg = \"white\" }\n");
    let selection: Vec<String> = both
        .warnings
        .iter()
        .map(ToString::to_string)
        .filter(|w| w.contains("] selection"))
        .collect();
    assert_eq!(selection.len(), 1, "{selection:#?}");
}
