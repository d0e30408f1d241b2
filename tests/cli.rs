//! The command line, run as a user or a script would run it: the built
//! binary, its output and its exit status.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use aiwatch_tui::app::TimelineRow;

fn run_in(dir: &Path, args: &[&str]) -> Output {
    // A library store of its own per run, never the user's.
    let data = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .env("XDG_DATA_HOME", data.path())
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap()
}

fn run(args: &[&str]) -> Output {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn version_names_the_bundled_edition() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!(
            "aiwatch-tui {} (bundled edition of 2025-02)",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn every_command_has_help() {
    for command in ["check", "list", "show", "completions", "man"] {
        let out = run(&[command, "--help"]);
        assert!(out.status.success(), "{command}");
        assert!(stdout(&out).contains("Usage: aiwatch-tui"), "{command}");
    }
}

#[test]
fn check_passes_the_bundled_edition() {
    let out = run(&["check"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "checked 14 files: 14 loaded, 0 skipped; 0 errors, 0 warnings\n"
    );
}

#[test]
fn check_reports_each_error_class_in_the_editor_format_and_exits_2() {
    let out = run(&["check", "tests/fixtures/content/invalid"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let (summary, problems) = lines.split_last().unwrap();
    assert_eq!(
        *summary,
        "checked 15 files: 0 loaded, 15 skipped; 15 errors, 0 warnings"
    );
    assert_eq!(problems.len(), 15);
    for line in problems {
        // path:line:col: error: message
        let mut parts = line.splitn(5, ':');
        let path = parts.next().unwrap();
        let line_no: u32 = parts.next().unwrap().parse().unwrap();
        let col: u32 = parts.next().unwrap().parse().unwrap();
        assert!(
            path.starts_with("tests/fixtures/content/invalid/")
                && Path::new(path).extension().is_some_and(|e| e == "toml"),
            "{line}"
        );
        assert!(line_no >= 1 && col >= 1, "{line}");
        assert_eq!(parts.next(), Some(" error"), "{line}");
    }
    for expected in [
        "tests/fixtures/content/invalid/bad-date.toml:9:11: error: section 2: \"date\": expected YYYY, YYYY-MM or YYYY-MM-DD, found \"Feb 2025\"",
        "tests/fixtures/content/invalid/syntax.toml:1:16: error: invalid TOML: invalid basic string, expected `\"`",
        "tests/fixtures/content/invalid/no-section.toml:1:1: error: missing [[section]]: expected at least one section with a \"heading\"",
        "tests/fixtures/content/invalid/wrong-type.toml:3:10: error: \"topics\": expected an array of strings, found \"markets\"",
        "tests/fixtures/content/invalid/not-utf8.toml:4:15: error: invalid UTF-8: content files must be UTF-8 text",
    ] {
        assert!(lines.contains(&expected), "missing: {expected}");
    }
}

/// One file given to `check` is checked alone (it said "content root is
/// not a folder").
#[test]
fn check_of_one_file_checks_that_file() {
    let out = run(&["check", "tests/fixtures/content/invalid/bad-date.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains(
            "tests/fixtures/content/invalid/bad-date.toml:9:11: error: section 2: \"date\""
        ),
        "{text}"
    );
    assert!(
        text.ends_with("checked 1 file: 0 loaded, 1 skipped; 1 error, 0 warnings\n"),
        "{text}"
    );
    let out = run(&["check", "tests/fixtures/content/valid/warnings.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("checked 1 file: 1 loaded"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_warnings_fail_only_when_strict() {
    let out = run(&["check", "tests/fixtures/content/valid"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains(
        "warnings.toml:3:1: warning: unknown key `actor`: did you mean `actors`? (ignored)"
    ));
    let strict = run(&["check", "--strict", "tests/fixtures/content/valid"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn check_reports_a_hundred_broken_files_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..100 {
        std::fs::write(
            dir.path().join(format!("b{i:03}.toml")),
            "title = \"x\"\npublished = \"soon\"\n[[section]]\nheading = \"x\"\n",
        )
        .unwrap();
    }
    let out = run_in(dir.path(), &["check", "."]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(": error: \"published\": expected YYYY"))
            .count(),
        100
    );
    assert!(text.ends_with("checked 100 files: 0 loaded, 100 skipped; 100 errors, 0 warnings\n"));
}

#[test]
fn check_also_checks_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[theme]\nname = \"drak\"\n").unwrap();
    let out = run_in(dir.path(), &["check", "--config", "config.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).starts_with("config.toml:2:8: error: theme \"name\": unknown theme \"drak\""),
        "{}",
        stdout(&out)
    );
}

#[test]
fn list_json_carries_every_field_and_parses_back() {
    let out = run(&["list", "--format", "json", "--actor", "DeepSeek"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["format"], "aiwatch-tui/list");
    assert_eq!(doc["version"], 1);
    let sections = doc["sections"].as_array().unwrap();
    assert_eq!(doc["count"].as_u64().unwrap() as usize, sections.len());
    assert!(sections.len() >= 5);
    let first = &sections[0];
    for field in [
        "key",
        "article",
        "section",
        "lang",
        "date",
        "precision",
        "heading",
        "article_title",
        "summary",
        "source",
        "url",
        "actors",
        "tags",
        "topics",
        "body",
        "path",
    ] {
        assert!(first.get(field).is_some(), "missing {field}");
    }
    assert_eq!(first["date"], "2025-01");
    assert_eq!(first["precision"], "month");
    assert!(sections.iter().all(|s| {
        s["actors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "DeepSeek")
    }));
    let dates: Vec<&str> = sections
        .iter()
        .map(|s| s["date"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_unstable();
    assert_eq!(dates, sorted, "timeline order");
}

#[test]
fn list_filters_equal_the_readers() {
    let config = aiwatch_tui::config::Config::built_in().unwrap();
    for (i, actor) in config.actors.iter().enumerate() {
        let Some(key) = actor.key else { continue };
        let mut app = common::bundled("en", 120, 40);
        common::press(&mut app, &key.to_string());
        let lib = app.library();
        let reader: BTreeSet<String> = app
            .timeline
            .iter()
            .filter_map(|r| match r {
                TimelineRow::Section(s) => Some(format!(
                    "{}#{}",
                    lib.article_of(*s).id,
                    lib.sections[*s].index + 1
                )),
                _ => None,
            })
            .collect();
        let out = run(&["list", "--format", "json", "--actor", &actor.name]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let listed: BTreeSet<String> = doc["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["key"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(reader, listed, "actor {i}: {}", actor.name);
    }
}

#[test]
fn list_filters_by_topic_date_language_and_search() {
    let keys = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--format", "tsv"];
        all.extend_from_slice(args);
        let out = run(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .skip(1)
            .map(|l| l.split('\t').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        keys(&["--search", "sudkorea", "--lang", "de"]),
        ["deepseek-bans#2"]
    );
    assert_eq!(keys(&["--search", "SEOUL data"]), ["deepseek-bans#2"]);
    assert_eq!(
        keys(&["--until", "2024"]),
        ["xai-grok#1", "musk-vs-openai#1"]
    );
    assert_eq!(
        keys(&["--since", "2025-02", "--actor", "nvidia"]),
        ["xai-grok#3"]
    );
    assert_eq!(keys(&["--topic", "markets"]), ["market-turmoil#1"]);
    assert!(
        keys(&["--actor", "Grok", "--actor", "Altman"]).len() > keys(&["--actor", "Grok"]).len()
    );
    let unknown = run(&["list", "--actor", "Nobody"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no actor or tag \"Nobody\""));
    let bad_date = run(&["list", "--since", "Feb 2025"]);
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(stderr(&bad_date).contains("expected YYYY, YYYY-MM or YYYY-MM-DD"));
}

#[test]
fn list_text_is_plain_when_piped() {
    let out = run(&["list"]);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 18);
    assert!(text.lines().any(|l| l.contains(
        "Grok 3 trained on 100,000 H100 chips; xAI aims for 200,000 GPUs  [Musk, Nvidia, Investors]"
    )));
}

#[test]
fn show_prints_a_section_or_an_article_wrapped() {
    let out = run(&["show", "paris-summit#4", "--width", "40"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("The surprise: 150 billion euros for"));
    assert!(
        text.lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 40),
        "{text}"
    );
    let article = run(&["show", "paris-summit", "--lang", "de"]);
    let text = stdout(&article);
    assert_eq!(
        text.matches("Gipfel in Paris: Regeln und viel Geld")
            .count(),
        4
    );
    for bad in ["nope", "paris-summit#9", "paris-summit#0"] {
        let out = run(&["show", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

/// A section of megabytes (one paragraph and one list item, as a feed
/// item can be) is printed whole by `show`, every word of it, within the
/// width, laid out piece by piece rather than held whole as lines.
#[test]
fn show_prints_a_section_of_megabytes_whole() {
    let dir = tempfile::tempdir().unwrap();
    let words = |w: &str, n: usize| format!("{w} ").repeat(n);
    std::fs::write(
        dir.path().join("huge.toml"),
        format!(
            "id = \"huge\"\ntitle = \"T\"\npublished = 2025-01-02\n\
             [[section]]\nheading = \"H\"\nbody = \"\"\"\n{}\n\n- {}\n\"\"\"\n",
            words("word", 500_000),
            words("item", 200_000)
        ),
    )
    .unwrap();
    let root = dir.path().display().to_string();
    let out = run(&[
        "--no-store",
        "--content",
        &root,
        "show",
        "huge#1",
        "--width",
        "60",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.matches("word").count(), 500_000);
    assert_eq!(text.matches("item").count(), 200_000);
    assert!(text.lines().all(|l| l.chars().count() <= 60));
    assert_eq!(text.matches("• ").count(), 1, "one item, one bullet");
    assert!(!text.contains("The rest of this section"));
}

#[test]
fn completions_and_man_page_come_from_the_same_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(
            text.contains("aiwatch-tui") && text.contains("--content") && text.contains("check"),
            "{shell}"
        );
    }
    let man = run(&["man"]);
    let text = stdout(&man);
    assert!(
        text.starts_with(".ie \\n(.g .ds Aq") || text.contains(".TH aiwatch-tui"),
        "{text}"
    );
    assert!(text.contains("bundled edition of 2025"));
}

#[test]
fn the_reader_refuses_to_draw_into_a_pipe() {
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("standard output is not a terminal"));
    assert!(out.stdout.is_empty());
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn article(id: &str, heading: &str) -> String {
    format!(
        "id = \"{id}\"\ntitle = \"T\"\npublished = 2025-01-10\n\n[[section]]\nheading = \"{heading}\"\nbody = \"Text.\"\n"
    )
}

#[test]
fn a_language_without_words_is_refused_with_the_available_ones() {
    let out = run(&["--lang", "fr", "list", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert_eq!(
        stderr(&out),
        "aiwatch-tui: --lang \"fr\": no such language; available: de, en\n"
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c.toml", "language = \"xx-YY\"\n");
    let out = run_in(dir.path(), &["--config", "c.toml", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("c.toml:1:12: error: \"language\": the reader has no words for \"xx-YY\"; available: \"auto\", \"de\", \"en\"\n"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unknown_locale_falls_back_to_english() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
        .args(["list", "--format", "json"])
        .env("XDG_CONFIG_HOME", "/nonexistent-config")
        .env("XDG_DATA_HOME", data.path())
        .env("LANG", "fr_FR.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["lang"], "en");
}

#[test]
fn a_content_folder_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for command in [&["list"][..], &["show", "x"], &["list", "--format", "json"]] {
        let mut args = vec!["--content", "does-not-exist"];
        args.extend_from_slice(command);
        let out = run_in(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{command:?}");
        assert!(stdout(&out).is_empty());
        assert!(
            stderr(&out)
                .starts_with("aiwatch-tui: does-not-exist: error: content folder cannot be read: "),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn list_says_what_it_could_not_read() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..24 {
        let text = if i % 2 == 0 {
            article(&format!("a{i}"), "Fine")
        } else {
            "title = \n".to_owned()
        };
        write(dir.path(), &format!("news/a{i:02}.toml"), &text);
    }
    let out = run_in(dir.path(), &["--content", "news", "list"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).lines().count(), 12);
    assert_eq!(
        stderr(&out),
        "aiwatch-tui: content: 12 of 24 files skipped (--verbose or `aiwatch-tui check` shows each)\n"
    );
    let out = run_in(dir.path(), &["--content", "news", "--verbose", "list"]);
    assert_eq!(stderr(&out).lines().count(), 12);
    assert!(
        stderr(&out).starts_with("news/a01.toml:1:9: error: "),
        "{}",
        stderr(&out)
    );
    // Nothing readable at all: not an empty success.
    let broken = dir.path().join("broken");
    write(&broken, "x.toml", "title = \n");
    let out = run_in(dir.path(), &["--content", "broken", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("no content could be read"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_folder_given_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "news/a.toml", &article("a", "One"));
    let out = run_in(
        dir.path(),
        &["--content", "news", "--content", "./news/", "list"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).lines().count(), 1);
    assert_eq!(stderr(&out), "");
}

#[test]
fn paths_in_messages_are_tidied() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c3/x.toml", "title = \n");
    std::fs::create_dir_all(dir.path().join("a/b/c")).unwrap();
    let out = run_in(&dir.path().join("a/b/c"), &["check", "../../../c3"]);
    assert_eq!(out.status.code(), Some(2));
    let canonical = std::fs::canonicalize(dir.path()).unwrap();
    assert!(
        stdout(&out).starts_with(&format!("{}/c3/x.toml:1:9: error: ", canonical.display())),
        "{}",
        stdout(&out)
    );
    let out = run_in(dir.path(), &["check", "./c3"]);
    assert!(
        stdout(&out).starts_with("c3/x.toml:1:9: error: "),
        "{}",
        stdout(&out)
    );
    // The config's path too.
    write(dir.path(), "c.toml", "colour = 1\n");
    let out = run_in(
        &dir.path().join("a/b/c"),
        &["--config", "../../../c.toml", "list", "--format", "tsv"],
    );
    assert!(
        stderr(&out).starts_with(&format!("{}/c.toml:1:1: warning: ", canonical.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn since_after_until_is_an_error() {
    let out = run(&["list", "--since", "2025-02", "--until", "2025-01"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert_eq!(
        stderr(&out),
        "aiwatch-tui: --since 2025-02 is after --until 2025-01: no date can be both\n"
    );
    let out = run(&["list", "--since", "2025", "--until", "2025-01"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_man_page_is_one_complete_page() {
    let out = run(&["man"]);
    assert!(out.status.success());
    let page = stdout(&out);
    for section in [
        ".SH OPTIONS",
        ".SH COMMANDS",
        ".SH KEYS",
        ".SH CONFIGURATION",
        ".SH FILES",
        ".SH ENVIRONMENT",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(page.contains(section), "{section} missing");
    }
    for command in ["check", "list", "show", "serve", "completions", "man"] {
        assert!(
            page.contains(&format!(".SS \"aiwatch\\-tui {command}")),
            "{command} is not described"
        );
    }
    // No sub-page that is not installed is named.
    assert!(!page.contains("tui-check"), "refers to a sub-page");
    assert!(!page.contains("\\-check(1)"), "refers to a sub-page");
    // Keys come from the keymap, options from the definitions.
    assert!(page.contains("\\fBq, ctrl\\-c\\fR"));
    assert!(page.contains("\\fB\\-\\-since <DATE>\\fR"));
    // ENVIRONMENT says what the program does with a locale it has no words
    // for: the remembered language, and English only without one.
    let environment = section(&page, ".SH ENVIRONMENT");
    assert!(
        !environment.contains("no words for means English"),
        "{environment}"
    );
    assert!(
        environment.contains("the language the reader was left in last time"),
        "{environment}"
    );
    // EXIT STATUS 2 lists every usage error docs/cli.md lists.
    let exit = section(&page, ".SH \"EXIT STATUS\"");
    assert!(exit.contains("\\-\\-since after \\-\\-until"), "{exit}");
}

/// The text of one `.SH` section of a man page, up to the next one.
fn section<'a>(page: &'a str, heading: &str) -> &'a str {
    let start = page.find(heading).unwrap() + heading.len();
    let rest = &page[start..];
    &rest[..rest.find("\n.SH ").unwrap_or(rest.len())]
}

#[test]
fn list_says_what_the_config_warns_about() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c.toml", "langauge = \"de\"\n");
    let out = run_in(
        dir.path(),
        &["--config", "c.toml", "list", "--format", "tsv"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        "c.toml:1:1: warning: unknown key `langauge`: did you mean `language`? (ignored)\n"
    );
}

/// Negative and malformed numbers for serve's flags say what is expected,
/// not "unexpected argument '-1'", and exit 2 without starting anything.
#[test]
fn serve_flags_with_bad_numbers_say_what_is_expected() {
    for (flag, value, expected) in [
        ("--idle-timeout", "-1", "whole number of seconds from 1 to"),
        ("--idle-timeout", "1e9", "whole number of seconds from 1 to"),
        ("--max-sessions", "-1", "whole number of 1 or more"),
        ("--max-per-address", "-5", "whole number of 1 or more"),
    ] {
        let out = run(&["serve", flag, value]);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {text}");
        assert!(text.contains(flag) && text.contains(expected), "{text}");
    }
}

/// `--library` naming what can never hold a store says what is wrong with
/// it, naming it once ("could not be moved aside: No such file or
/// directory" for `/proc/version`, "Is a directory" for `/`), and the
/// files are listed all the same.
#[test]
fn a_library_path_that_cannot_hold_a_store_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().display().to_string();
    for (path, said) in [
        (
            "/proc/version",
            "/proc/version: a file of the system (/proc), not a library store; give the path of a file of your own",
        ),
        (
            "/",
            "/: a folder, not a library store; give the path of a file (library.sqlite in it, say)",
        ),
        (
            folder.as_str(),
            "a folder, not a library store; give the path of a file (library.sqlite in it, say)",
        ),
    ] {
        let o = run(&["--library", path, "list"]);
        assert!(o.status.success(), "{path}: {o:?}");
        assert!(stdout(&o).contains("Elon Musk founds xAI"), "{path}: {o:?}");
        let err = stderr(&o);
        assert!(err.contains(said), "{path}: {err}");
        if path != "/" {
            assert_eq!(err.matches(path).count(), 1, "{path}: {err}");
        }
    }
}
