//! The configuration: the shipped default, a user file laid over it, and
//! every kind of mistake reported with `file:line:col`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use aiwatch_tui::action::Action;
use aiwatch_tui::config::{Config, Role};
use aiwatch_tui::input::{Key, KeyCode};
use ratatui::style::{Color, Modifier};
use rstest::rstest;

fn user(text: &str) -> Result<Config, Vec<String>> {
    Config::load(Some(("user.toml", text))).map_err(|e| e.iter().map(ToString::to_string).collect())
}

#[test]
fn the_shipped_default_loads_cleanly() {
    let config = Config::built_in().unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(config.theme.name, "dark");
    assert_eq!(config.keymap.action(&Key::char('q')), Some(Action::Quit));
    assert_eq!(
        config.keymap.action(&Key::plain(KeyCode::BackTab)),
        Some(Action::FocusPrev)
    );
    // Every bindable action has a default key, so help lists them all.
    for action in Action::BINDABLE {
        assert!(
            !config.keymap.keys(*action).is_empty(),
            "{action} has no key"
        );
    }
}

#[test]
fn default_actors_have_keys_colours_and_aliases() {
    let config = Config::built_in().unwrap();
    let find = |name: &str| config.actors.iter().position(|a| a.name == name).unwrap();
    for (name, key) in [("Musk", 'm'), ("OpenAI", 'o'), ("DeepSeek", 'd')] {
        let i = find(name);
        assert_eq!(config.actors[i].key, Some(Key::char(key)));
        assert_eq!(
            config.keymap.action(&Key::char(key)),
            Some(Action::ToggleActor(i))
        );
    }
    let directory = config.actor_directory();
    assert_eq!(directory.resolve(" xai "), Some(find("Musk")));
    assert_eq!(directory.resolve("GROK"), Some(find("Musk")));
    assert_eq!(directory.resolve("Sam Altman"), Some(find("Altman")));
    assert_eq!(directory.resolve("Mistral"), None);
}

#[test]
fn a_user_file_overrides_key_by_key() {
    let config = user(
        "language = \"de\"\n\
         [theme]\nname = \"light\"\n[theme.styles]\nheading = { fg = \"#ff8800\", italic = true }\nlink = 238\n\
         [[actors]]\nname = \"musk\"\ncolor = \"red\"\n\
         [[actors]]\nname = \"Mistral\"\nkey = \"i\"\ncolor = \"magenta\"\naliases = [\"Le Chat\"]\n\
         [keys]\nquit = \"Q\"\n",
    )
    .unwrap();
    assert_eq!(config.language.as_deref(), Some("de"));
    assert_eq!(config.theme.name, "light");
    let heading = config.theme.style(Role::Heading);
    assert_eq!(heading.fg, Some(Color::Rgb(0xff, 0x88, 0)));
    assert!(
        heading
            .add_modifier
            .contains(Modifier::ITALIC | Modifier::BOLD)
    );
    assert_eq!(config.theme.style(Role::Link).fg, Some(Color::Indexed(238)));
    let musk = &config.actors[0];
    assert_eq!(
        (musk.name.as_str(), musk.color, musk.key),
        ("Musk", Color::Red, Some(Key::char('m')))
    );
    assert!(
        musk.aliases.contains(&"xAI".to_owned()),
        "unchanged fields keep their default"
    );
    let mistral = config.actors.len() - 1;
    assert_eq!(
        config.keymap.action(&Key::char('i')),
        Some(Action::ToggleActor(mistral))
    );
    assert_eq!(config.actor_directory().resolve("le chat"), Some(mistral));
    // quit now answers only to Q; other actions keep their keys.
    assert_eq!(config.keymap.action(&Key::char('Q')), Some(Action::Quit));
    assert_eq!(config.keymap.action(&Key::char('q')), None);
    assert_eq!(
        config.keymap.action(&Key::char('j')),
        Some(Action::MoveDown)
    );
}

#[test]
fn unknown_keys_warn_with_a_suggestion() {
    let config = user("langauge = \"de\"\n[theme]\nnmae = \"light\"\n[keys]\nmove_dwon = \"n\"\n[[actors]]\nname = \"X\"\nalias = [\"y\"]\n").unwrap();
    let warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "user.toml:1:1: warning: unknown key `langauge`: did you mean `language`? (ignored)",
            "user.toml:3:1: warning: [theme] unknown key `nmae`: did you mean `name`? (ignored)",
            "user.toml:5:1: warning: [keys] unknown action `move_dwon`: did you mean `move_down`? (ignored)",
            "user.toml:8:1: warning: actor 1: unknown key `alias`: did you mean `aliases`? (ignored)",
        ]
    );
}

#[rstest]
#[case::toml_syntax(
    "[keys\n",
    "user.toml:1:6: error: invalid TOML: unclosed table, expected `]`"
)]
#[case::bad_colour(
    "[theme.styles]\nheading = \"#12345\"\n",
    "user.toml:2:11: error: [theme.styles] `heading`: expected a colour as #rrggbb, found \"#12345\""
)]
#[case::bad_colour_name(
    "[[actors]]\nname = \"Musk\"\ncolor = \"chartreuse\"\n",
    "user.toml:3:9: error: actor \"Musk\": \"color\": expected a colour name (such as \"yellow\"), an index 0-255 or #rrggbb, found \"chartreuse\""
)]
#[case::colour_index_out_of_range(
    "[theme.styles]\nlink = { bg = 300 }\n",
    "user.toml:2:15: error: [theme.styles] `link` bg: expected a colour index 0-255, found 300"
)]
#[case::unknown_element(
    "[theme.styles]\nheadline = \"red\"\n",
    "user.toml:2:1: error: [theme.styles] unknown element `headline`; did you mean `heading`?"
)]
#[case::unknown_theme(
    "[theme]\nname = \"drak\"\n",
    "user.toml:2:8: error: theme \"name\": unknown theme \"drak\", expected one of \"dark\", \"light\", \"high-contrast\", \"mono\"; did you mean \"dark\"?"
)]
#[case::bad_key_name(
    "[keys]\nquit = [\"ctrl-\"]\n",
    "user.toml:2:9: error: [keys] \"quit\": unknown key name \"ctrl-\""
)]
#[case::key_bound_twice(
    "[keys]\nquit = [\"j\"]\n",
    "user.toml:2:9: error: key `j` is bound to both `move_down` and `quit`: one key does one thing (also at <built-in config.toml>)"
)]
#[case::actor_key_taken(
    "[[actors]]\nname = \"Mistral\"\nkey = \"g\"\n",
    "user.toml:3:7: error: key `g` is bound to both `top` and the actor \"Mistral\": one key does one thing (also at <built-in config.toml>)"
)]
#[case::key_conflict_caused_by_the_user(
    "[keys]\nsearch = [\"q\"]\n",
    "user.toml:2:11: error: key `q` is bound to both `search` and `quit`: one key does one thing (also at <built-in config.toml>)"
)]
#[case::actor_key_of_another_actor(
    "[[actors]]\nname = \"Mistral\"\nkey = \"m\"\n",
    "user.toml:3:7: error: key `m` is bound to both the actor \"Musk\" and the actor \"Mistral\": one key does one thing (also at <built-in config.toml>)"
)]
#[case::language_without_words(
    "language = \"xx-YY\"\n",
    "user.toml:1:12: error: \"language\": the reader has no words for \"xx-YY\"; available: \"auto\", \"de\", \"en\""
)]
#[case::language_fr(
    "language = \"fr\"\n",
    "user.toml:1:12: error: \"language\": the reader has no words for \"fr\"; available: \"auto\", \"de\", \"en\""
)]
#[case::new_actor_with_another_actors_alias(
    "[[actors]]\nname = \"Grok Fans\"\naliases = [\"Fans\", \"xAI\"]\n",
    "user.toml:3:20: error: actor \"Grok Fans\": \"xAI\" is an alias of \"Grok Fans\" and an alias of \"Musk\" (<built-in config.toml>): a name or alias belongs to one actor"
)]
#[case::actor_named_like_another_actors_alias(
    "[[actors]]\nname = \"xAI\"\n",
    "user.toml:2:8: error: actor \"xAI\": \"xAI\" is the name of \"xAI\" and an alias of \"Musk\" (<built-in config.toml>): a name or alias belongs to one actor"
)]
#[case::serve_listen(
    "[serve]\nlisten = \"localhost\"\n",
    "user.toml:2:10: error: [serve] \"listen\": expected ADDRESS:PORT such as \"127.0.0.1:2222\", found \"localhost\""
)]
#[case::serve_number(
    "[serve]\nmax_sessions = 0\n",
    "user.toml:2:16: error: [serve] \"max_sessions\": expected a positive whole number, found 0"
)]
#[case::serve_window_bound(
    "[serve]\nmax_width = 40000\n",
    "user.toml:2:13: error: [serve] \"max_width\": at most 500 (a hard bound of the server), found 40000"
)]
#[case::integer_past_64_bits(
    "[serve]\nmax_sessions = 99999999999999999999999\n",
    "user.toml:2:16: error: [serve] \"max_sessions\": the integer 99999999999999999999999 is too large for any setting"
)]
#[case::serve_window_floor(
    "[serve]\nmax_height = 3\n",
    "user.toml:2:14: error: [serve] \"max_height\": at least 6 (the smallest window the reader draws in), found 3"
)]
#[case::wrong_type(
    "bundled = \"yes\"\n",
    "user.toml:1:11: error: \"bundled\": expected true or false, found \"yes\""
)]
#[case::actor_without_name(
    "[[actors]]\nkey = \"i\"\n",
    "user.toml:1:1: error: actor 1: missing required key \"name\": expected a non-empty string"
)]
fn config_errors_are_located(#[case] text: &str, #[case] expected: &str) {
    // Places in the built-in file move when it is edited: compare without them.
    let errors: Vec<String> = user(text)
        .unwrap_err()
        .into_iter()
        .map(|e| without_built_in_positions(&e))
        .collect();
    assert!(
        errors.contains(&expected.to_owned()),
        "expected\n  {expected}\ngot\n  {}",
        errors.join("\n  ")
    );
}

/// `serve` with no flags but a host key.
fn serve_args() -> aiwatch_tui::cli::ServeArgs {
    aiwatch_tui::cli::ServeArgs {
        listen: None,
        host_key: Some("hk".into()),
        authorized_keys: None,
        max_sessions: None,
        max_per_address: None,
        idle_timeout: None,
        proxy_protocol: Vec::new(),
        health: None,
        metrics: None,
        drain_grace: None,
        remember_any_key: false,
    }
}

#[test]
fn serve_settings_come_from_the_command_line_then_the_config() {
    let config =
        user("[serve]\nlisten = \"0.0.0.0:2200\"\nmax_sessions = 50\nidle_timeout = 60\n").unwrap();
    let args = aiwatch_tui::cli::ServeArgs {
        max_sessions: Some(7),
        ..serve_args()
    };
    let options = aiwatch_tui::serve::options(&args, &config.serve).unwrap();
    assert_eq!(options.listen.to_string(), "0.0.0.0:2200");
    assert_eq!(options.limits.max_sessions, 7, "the command line wins");
    assert_eq!(options.limits.idle_timeout.as_secs(), 60);
    assert_eq!(options.limits.max_per_address, 3, "the shipped default");
    assert_eq!(
        (options.limits.max_cols, options.limits.max_rows),
        (300, 100)
    );
}

/// `[serve] proxy_protocol`: networks, each checked with its place; the
/// command line's list replaces the file's, and without either it is off.
#[test]
fn proxy_protocol_networks_come_from_the_command_line_or_the_config() {
    use aiwatch_tui::serve::proxy::Network;
    let config = user("[serve]\nproxy_protocol = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
    let mut args = serve_args();
    let shown = |networks: &[Network]| networks.iter().map(ToString::to_string).collect::<Vec<_>>();
    let options = aiwatch_tui::serve::options(&args, &config.serve).unwrap();
    assert_eq!(
        shown(&options.limits.proxy_protocol),
        ["10.0.0.0/8", "::1/128"]
    );
    args.proxy_protocol = vec![Network::parse("192.0.2.0/24").unwrap()];
    let options = aiwatch_tui::serve::options(&args, &config.serve).unwrap();
    assert_eq!(
        shown(&options.limits.proxy_protocol),
        ["192.0.2.0/24"],
        "replaced"
    );
    let none = user("").unwrap();
    args.proxy_protocol.clear();
    let options = aiwatch_tui::serve::options(&args, &none.serve).unwrap();
    assert!(options.limits.proxy_protocol.is_empty(), "off by default");
    let errors = user("[serve]\nproxy_protocol = [\"10.0.0.1/8\", 7, \"x\"]\n").unwrap_err();
    assert_eq!(
        errors,
        [
            "user.toml:2:19: error: [serve] \"proxy_protocol\": \"10.0.0.1/8\" has address bits set past its prefix: did you mean 10.0.0.0/8?",
            "user.toml:2:33: error: [serve] \"proxy_protocol\" item 2: expected a string, found the integer 7",
            "user.toml:2:36: error: [serve] \"proxy_protocol\": expected a network such as 10.0.0.0/8 or ::1/128, found \"x\"",
        ]
    );
}

#[test]
fn health_metrics_and_drain_grace_come_from_the_command_line_then_the_config() {
    let config = user(
        "[serve]\nhealth = \"127.0.0.1:9180\"\nmetrics = \"127.0.0.1:9181\"\ndrain_grace = 0\n",
    )
    .unwrap();
    let mut args = aiwatch_tui::cli::ServeArgs {
        metrics: Some("127.0.0.1:9999".into()),
        ..serve_args()
    };
    let options = aiwatch_tui::serve::options(&args, &config.serve).unwrap();
    assert_eq!(options.health.unwrap().to_string(), "127.0.0.1:9180");
    assert_eq!(
        options.metrics.unwrap().to_string(),
        "127.0.0.1:9999",
        "the command line wins"
    );
    assert_eq!(options.drain_grace.as_secs(), 0, "0 is allowed: no wait");
    args.drain_grace = Some(5);
    let options = aiwatch_tui::serve::options(&args, &config.serve).unwrap();
    assert_eq!(options.drain_grace.as_secs(), 5);
    // Neither set: no endpoints, and the shipped grace.
    let options = aiwatch_tui::serve::options(&args, &user("").unwrap().serve).unwrap();
    assert_eq!((options.health, options.metrics.is_some()), (None, true));
    args.drain_grace = None;
    let options = aiwatch_tui::serve::options(&args, &user("").unwrap().serve).unwrap();
    assert_eq!(options.drain_grace.as_secs(), 30, "the shipped default");
    // 0 is a grace, a negative one is not (and the message says 0 is one).
    assert_eq!(
        user("[serve]\ndrain_grace = -5\n").unwrap_err(),
        [
            "user.toml:2:15: error: [serve] \"drain_grace\": expected a whole number of seconds, 0 or more, found -5"
        ]
    );
    // The SSH port is not the endpoints' (found by a fresh-eyes test: the
    // health listener took it first, and the SSH listener said "Address
    // already in use" as if another program held it).
    for (health, listen) in [
        ("127.0.0.1:2222", "127.0.0.1:2222"),
        ("127.0.0.1:2222", "0.0.0.0:2222"),
    ] {
        let clash = aiwatch_tui::cli::ServeArgs {
            health: Some(health.into()),
            listen: Some(listen.into()),
            ..serve_args()
        };
        let error = aiwatch_tui::serve::options(&clash, &user("").unwrap().serve)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(format!("bad health address \"{health}\": the SSH listen address is {listen}: health needs a port of its own").as_str())
        );
    }
}

/// `[serve] remember_any_key` and `max_remembered`: off and 10000 unless
/// set; the flag turns it on over the file; a cap past the bound, or not
/// a number, is refused with its place.
#[test]
fn remembering_readers_comes_from_the_command_line_then_the_config() {
    let mut args = serve_args();
    let options = aiwatch_tui::serve::options(&args, &user("").unwrap().serve).unwrap();
    assert!(!options.remember_any_key, "off by default");
    assert_eq!(options.max_remembered, 10_000, "the shipped default");
    let config = user(
        "[serve]
remember_any_key = true
max_remembered = 50
",
    )
    .unwrap();
    let options = aiwatch_tui::serve::options(&args, &config.serve).unwrap();
    assert!(options.remember_any_key);
    assert_eq!(options.max_remembered, 50);
    args.remember_any_key = true;
    let options = aiwatch_tui::serve::options(&args, &user("").unwrap().serve).unwrap();
    assert!(options.remember_any_key, "the flag turns it on");
    let errors = user(
        "[serve]
remember_any_key = \"yes\"
max_remembered = 1000001
",
    )
    .unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("user.toml:2:20: error:"),
        "{errors:?}"
    );
    assert!(errors[0].contains("remember_any_key"), "{errors:?}");
    assert_eq!(
        errors[1],
        "user.toml:3:18: error: [serve] \"max_remembered\": at most 1000000 (a hard bound of the server), found 1000001"
    );
}

#[test]
fn every_problem_of_a_file_is_shown_in_line_order() {
    let errors =
        user("langauge = \"de\"\n[theme.styles]\nheading = \"#12\"\n[keys]\nmove_dwon = \"n\"\n")
            .unwrap_err();
    assert_eq!(
        errors,
        [
            "user.toml:1:1: warning: unknown key `langauge`: did you mean `language`? (ignored)",
            "user.toml:3:11: error: [theme.styles] `heading`: expected a colour as #rrggbb, found \"#12\"",
            "user.toml:5:1: warning: [keys] unknown action `move_dwon`: did you mean `move_down`? (ignored)",
        ]
    );
}

#[test]
fn a_theme_colour_for_an_actor_that_does_not_exist_is_a_warning() {
    let config = user("[theme.actors]\nMuks = \"red\"\nOpenAI = \"lightgreen\"\n").unwrap();
    let warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "user.toml:2:1: warning: [theme.actors] no actor named `Muks`; did you mean `Musk`? (ignored)"
        ]
    );
}

#[test]
fn key_names_are_taken_as_documented_and_anything_else_is_said() {
    let config =
        user("[keys]\nquit = [\"Ctrl-C\", \"shift-1\", \"meta-q\", \"ctrl-q\"]\n").unwrap();
    let warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "user.toml:2:9: warning: [keys] \"quit\": key `Ctrl-C` is read as `ctrl-shift-c`; write `ctrl-shift-c`, or the key you meant, as config.toml spells key names",
            "user.toml:2:19: warning: [keys] \"quit\": key `shift-1` is read as `1`; write `1`, or the key you meant, as config.toml spells key names",
            "user.toml:2:30: warning: [keys] \"quit\": key `meta-q` is read as `alt-q`; write `alt-q`, or the key you meant, as config.toml spells key names",
        ]
    );
    assert_eq!(
        config
            .keymap
            .action(&Key::new(KeyCode::Char('q'), true, false, false)),
        Some(Action::Quit)
    );
}

/// `<built-in config.toml>:12:3` -> `<built-in config.toml>`.
fn without_built_in_positions(message: &str) -> String {
    let tag = "<built-in config.toml>";
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find(tag) {
        out.push_str(&rest[..i + tag.len()]);
        rest = rest[i + tag.len()..].trim_start_matches(|c: char| c == ':' || c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

#[test]
fn actors_have_labels_per_language() {
    let config = user(
        "[[actors]]\nname = \"Mistral\"\nkey = \"i\"\nlabels = { de = \"Mistral KI\", fr = \"Mistral IA\" }\n",
    )
    .unwrap();
    let warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "user.toml:4:31: warning: actor \"Mistral\": \"labels\": the reader has no words for \"fr\"; available: \"de\", \"en\" (ignored)"
        ]
    );
    let mistral = config.actors.last().unwrap();
    assert_eq!(mistral.label("de"), "Mistral KI");
    assert_eq!(mistral.label("en"), "Mistral");
    let france = config.actors.iter().find(|a| a.name == "France").unwrap();
    assert_eq!(
        france.label("de"),
        "Frankreich",
        "the bundled actors have theirs"
    );
}

#[test]
fn the_german_reader_calls_actors_by_their_german_names() {
    let mut app = common::bundled("de", 200, 50);
    let text = common::screen(&app);
    let header = text.lines().next().unwrap();
    assert!(
        header.contains("f Frankreich") && header.contains("e Europa"),
        "{header}"
    );
    assert!(
        !text.contains("France") && !text.contains("Europe "),
        "{text}"
    );
    common::press(&mut app, "?");
    let help = common::screen(&app);
    assert!(help.contains("Frankreich zeigen / ausblenden"), "{help}");
    common::press(&mut app, "esc f");
    let status = common::screen(&app);
    let status = status.lines().last().unwrap();
    assert!(status.contains("Frankreich"), "{status}");
    common::press(&mut app, "c");
    let chart = common::screen(&app);
    assert!(chart.contains("f Frankreich"), "{chart}");
    // The English reader keeps the English names.
    let app = common::bundled("en", 200, 50);
    assert!(
        common::screen(&app)
            .lines()
            .next()
            .unwrap()
            .contains("f France")
    );
}

#[test]
fn an_actor_key_that_clashes_is_reported_once() {
    let errors = user("[[actors]]\nname = \"Mistral\"\nkey = \"m\"\n").unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("user.toml:3:7: error: key `m` is bound to both the actor \"Musk\" and the actor \"Mistral\""));
}
