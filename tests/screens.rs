//! Snapshots of whole screens after scripted key presses, at 80x24 and
//! 120x40 (and smaller sizes), so any change to what a user sees shows up
//! in review. Update with `cargo insta review`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::PathBuf;

use aiwatch_tui::config::Config;
use aiwatch_tui::content::ContentRoot;
use aiwatch_tui::input::Input;
use common::{app_with, bundled, press, render};
use insta::assert_snapshot;
use rstest::rstest;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snapshot(name: &str, lang: &str, keys: &str) {
    for (w, h) in SIZES {
        let mut app = bundled(lang, w, h);
        press(&mut app, keys);
        assert_snapshot!(format!("{name}_{w}x{h}"), render(&app).backend());
    }
}

#[rstest]
#[case::start("start", "en", "")]
#[case::start_german("start_de", "de", "")]
#[case::topic_chosen("topic_chosen", "en", "K j j j")]
#[case::filter_active("filter_deepseek", "en", "d")]
#[case::two_filters("filter_musk_openai", "en", "m o")]
#[case::help_overlay("help", "en", "?")]
#[case::help_overlay_german("help_de", "de", "?")]
#[case::language_switch("language_switch", "en", "g j j j j j enter L")]
fn screens(#[case] name: &str, #[case] lang: &str, #[case] keys: &str) {
    snapshot(name, lang, keys);
}

/// A long section of wide, combining and accented text, opened and scrolled.
#[test]
fn section_open_and_scrolled() {
    let roots = [ContentRoot::Dir(PathBuf::from(
        "tests/fixtures/content/long",
    ))];
    for (w, h) in SIZES {
        let mut app = app_with(Config::built_in().unwrap(), &roots, "en", w, h);
        press(&mut app, "enter");
        assert_snapshot!(format!("section_open_{w}x{h}"), render(&app).backend());
        press(&mut app, "j j j space");
        assert_snapshot!(format!("section_scrolled_{w}x{h}"), render(&app).backend());
    }
}

/// The account overlay (`@`): what a served reader signed in with a key
/// is told is kept, the question `ctrl-x` asks, and what is left once a
/// second `ctrl-x` erased it (the marks in memory go too, and the app asks
/// the server to erase the store's: `Effect::ForgetMe`, only then); an
/// anonymous reader is told nothing is kept; in German too.
#[test]
fn account_overlay() {
    use aiwatch_tui::app::{Effect, Keeping};
    let fingerprint = "SHA256:uF2ISBM8gRZxqoKmsnpDxBc+pzp0TCcaRr/tWbnd0Vw";
    for (w, h) in [(80, 24), (120, 40), (40, 12)] {
        let mut app = bundled("en", w, h);
        app.keeping = Keeping::Kept(fingerprint.to_owned());
        press(&mut app, "s");
        assert!(!app.snapshot().starred.is_empty(), "a star to erase");
        press(&mut app, "@");
        assert_snapshot!(format!("account_kept_{w}x{h}"), render(&app).backend());
        let asked = app.handle(Input::Key(
            aiwatch_tui::input::Key::parse("ctrl-x").unwrap(),
        ));
        assert!(!asked.contains(&Effect::ForgetMe), "asked first");
        assert_snapshot!(format!("account_confirm_{w}x{h}"), render(&app).backend());
        let erased = app.handle(Input::Key(
            aiwatch_tui::input::Key::parse("ctrl-x").unwrap(),
        ));
        assert!(erased.contains(&Effect::ForgetMe));
        assert_eq!(
            app.snapshot().starred.len(),
            0,
            "the marks in memory go too"
        );
        assert_snapshot!(format!("account_erased_{w}x{h}"), render(&app).backend());
    }
    // A key other than ctrl-x takes the question back.
    let mut app = bundled("en", 80, 24);
    app.keeping = Keeping::Kept(fingerprint.to_owned());
    press(&mut app, "@ ctrl-x j ctrl-x");
    assert!(matches!(app.keeping, Keeping::Kept(_)), "not erased");
    let mut app = bundled("en", 80, 24);
    app.keeping = Keeping::Anonymous;
    press(&mut app, "@");
    assert_snapshot!("account_anonymous_80x24", render(&app).backend());
    let mut app = bundled("de", 80, 24);
    app.keeping = Keeping::Kept(fingerprint.to_owned());
    press(&mut app, "@ ctrl-x");
    assert_snapshot!("account_confirm_de_80x24", render(&app).backend());
}

#[test]
fn empty_filter() {
    let user = "[[actors]]\nname = \"Mistral\"\nkey = \"i\"\ncolor = \"magenta\"\n";
    for (w, h) in SIZES {
        let config = Config::load(Some(("user.toml", user))).unwrap();
        let mut app = app_with(config, &[ContentRoot::Bundled], "en", w, h);
        press(&mut app, "i");
        assert_snapshot!(format!("empty_filter_{w}x{h}"), render(&app).backend());
    }
}

#[test]
fn load_warnings() {
    let fixtures = PathBuf::from("tests/fixtures/content");
    let roots = [
        ContentRoot::Bundled,
        ContentRoot::Dir(fixtures.join("invalid")),
        ContentRoot::Dir(fixtures.join("valid")),
    ];
    for (w, h) in SIZES {
        let mut app = app_with(Config::built_in().unwrap(), &roots, "en", w, h);
        assert_snapshot!(format!("warnings_status_{w}x{h}"), render(&app).backend());
        press(&mut app, "!");
        assert_snapshot!(format!("warnings_view_{w}x{h}"), render(&app).backend());
    }
}

#[rstest]
#[case::narrow_single_pane(60, 20, "")]
#[case::narrow_reader(60, 20, "enter")]
#[case::small(40, 12, "tab")]
// Every pane's tab is seen on a narrow terminal, shortened.
#[case::tabs_narrow(40, 10, "tab")]
#[case::tabs_tiny(20, 6, "")]
#[case::tiny(12, 4, "")]
#[case::one_cell(1, 1, "")]
fn small_terminals(#[case] w: u16, #[case] h: u16, #[case] keys: &str) {
    let mut app = bundled("en", 80, 24);
    app.handle(Input::Resize(w, h));
    press(&mut app, keys);
    assert_snapshot!(
        format!("small_{w}x{h}_{}", keys.replace(' ', "_")),
        render(&app).backend()
    );
}

/// Issue views in both a colour theme and `mono`, as text and as styles.
#[rstest]
#[case::search("search", "/ b i l l i o n")]
#[case::starred_list("starred", "g s j j s K g j J")]
#[case::unread_styling("unread", "g enter h j j")]
#[case::activity_chart("chart", "c m d")]
fn reading_views(#[case] name: &str, #[case] keys: &str) {
    for theme in ["dark", "mono"] {
        for (w, h) in SIZES {
            let config = Config::load(Some((
                "user.toml",
                &format!("[theme]\nname = \"{theme}\"\n"),
            )))
            .unwrap();
            let mut app = app_with(config, &[ContentRoot::Bundled], "en", w, h);
            press(&mut app, keys);
            let terminal = render(&app);
            let text = format!(
                "{}\n{}",
                terminal.backend(),
                common::style_runs(terminal.backend().buffer())
            );
            assert_snapshot!(format!("{name}_{theme}_{w}x{h}"), text);
        }
    }
}

/// Wide terminals (three columns) and narrow overlays and charts.
#[rstest]
#[case::wide_start("wide_start", "en", 200, 50, "")]
#[case::wide_start_german("wide_start_de", "de", 200, 50, "")]
#[case::wide_chart("wide_chart", "en", 200, 50, "c")]
#[case::help_narrow("help_narrow", "en", 40, 12, "?")]
#[case::chart_narrow("chart_narrow", "en", 40, 12, "c m d")]
#[case::chart_german("chart_de", "de", 80, 24, "c k")]
fn other_sizes(
    #[case] name: &str,
    #[case] lang: &str,
    #[case] w: u16,
    #[case] h: u16,
    #[case] keys: &str,
) {
    let mut app = bundled(lang, w, h);
    press(&mut app, keys);
    assert_snapshot!(format!("{name}_{w}x{h}"), render(&app).backend());
}
