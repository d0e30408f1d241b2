//! The content loader against fixture files and generated folders: every
//! way of breaking the format is reported with its exact position, and a
//! bad file never stops the others from loading.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use aiwatch_tui::config::Config;
use aiwatch_tui::content::{Block, ContentRoot, Library, Precision, load_library};
use rstest::rstest;

fn fixtures(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/content")
        .join(kind)
}

fn load_roots(roots: &[ContentRoot]) -> Library {
    let config = Config::built_in().unwrap();
    load_library(roots, &config.actor_directory())
}

fn load_dir(dir: &Path) -> Library {
    load_roots(&[ContentRoot::Dir(dir.to_path_buf())])
}

/// Diagnostics with the machine-specific folder cut off.
fn messages(lib: &Library, root: &Path) -> Vec<String> {
    let prefix = format!("{}/", root.display());
    lib.diagnostics
        .iter()
        .map(|d| d.to_string().replace(&prefix, ""))
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[rstest]
#[case::toml_syntax(
    "syntax.toml",
    "1:16: error: invalid TOML: invalid basic string, expected `\"`"
)]
#[case::missing_title(
    "missing-title.toml",
    "1:1: error: missing required key \"title\": expected a non-empty string"
)]
#[case::empty_title(
    "empty-title.toml",
    "1:9: error: \"title\": expected a non-empty string, found \"   \""
)]
#[case::missing_published(
    "missing-published.toml",
    "1:1: error: missing required key \"published\": expected YYYY, YYYY-MM or YYYY-MM-DD"
)]
#[case::bad_date_string(
    "bad-date.toml",
    "9:11: error: section 2: \"date\": expected YYYY, YYYY-MM or YYYY-MM-DD, found \"Feb 2025\""
)]
#[case::bad_toml_date(
    "bad-toml-date.toml",
    "2:13: error: invalid TOML: invalid date, expected month between 01 and 12"
)]
#[case::date_with_time(
    "datetime.toml",
    "2:13: error: \"published\": expected YYYY, YYYY-MM or YYYY-MM-DD, found the date-time 2025-02-10T10:00:00Z"
)]
#[case::wrong_type(
    "wrong-type.toml",
    "3:10: error: \"topics\": expected an array of strings, found \"markets\""
)]
#[case::wrong_item_type(
    "wrong-item-type.toml",
    "3:19: error: \"actors\" item 2: expected a string, found the integer 42"
)]
#[case::empty_heading(
    "empty-heading.toml",
    "5:11: error: section 1: \"heading\": expected a non-empty string, found \"\""
)]
#[case::missing_heading(
    "missing-heading.toml",
    "4:1: error: section 1: missing required key \"heading\": expected a non-empty string"
)]
#[case::no_section(
    "no-section.toml",
    "1:1: error: missing [[section]]: expected at least one section with a \"heading\""
)]
#[case::bad_url(
    "bad-url.toml",
    "3:7: error: \"url\": expected an http:// or https:// address, found \"ftp://example.org/x\""
)]
#[case::bad_lang(
    "bad-lang.toml",
    "3:8: error: \"lang\": expected a language tag such as \"en\", \"de\" or \"de-AT\", found \"english!\""
)]
#[case::not_utf8(
    "not-utf8.toml",
    "4:15: error: invalid UTF-8: content files must be UTF-8 text"
)]
fn each_error_class_is_located(#[case] file: &str, #[case] expected: &str) {
    let root = fixtures("invalid");
    let lib = load_dir(&root);
    let all = messages(&lib, &root);
    let expected = format!("{file}:{expected}");
    assert!(
        all.contains(&expected),
        "expected\n  {expected}\namong\n  {}",
        all.join("\n  ")
    );
}

#[test]
fn every_invalid_fixture_is_skipped_and_counted() {
    let lib = load_dir(&fixtures("invalid"));
    let files = fs::read_dir(fixtures("invalid")).unwrap().count();
    assert_eq!(lib.files_skipped, files);
    assert_eq!(lib.files_loaded, 0);
    assert!(lib.articles.is_empty());
}

#[test]
fn unknown_keys_and_control_characters_warn_but_load() {
    let root = fixtures("valid");
    let lib = load_dir(&root);
    assert_eq!(lib.files_loaded, 1);
    assert_eq!(
        messages(&lib, &root),
        [
            "warnings.toml:3:1: warning: unknown key `actor`: did you mean `actors`? (ignored)",
            "warnings.toml:6:11: warning: control characters replaced by visible symbols",
            "warnings.toml:7:1: warning: section 1: unknown key `topic`: did you mean `topics`? (ignored)",
        ]
    );
    let heading = &lib.sections[0].heading;
    assert_eq!(heading, "Escape \u{241b}[2J here");
    assert!(!heading.chars().any(char::is_control));
}

#[test]
fn one_bad_file_never_stops_the_others() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "good.toml",
        "title = \"Good\"\npublished = 2025-02-10\n[[section]]\nheading = \"Fine\"\n",
    );
    write(dir.path(), "bad.toml", "title = \n");
    let lib = load_dir(dir.path());
    assert_eq!((lib.files_loaded, lib.files_skipped), (1, 1));
    assert_eq!(lib.sections[0].heading, "Fine");
}

#[test]
fn a_hundred_broken_files_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..100 {
        write(
            dir.path(),
            &format!("broken-{i:03}.toml"),
            "title = \"x\"\npublished = \"someday\"\n[[section]]\nheading = \"x\"\n",
        );
    }
    let lib = load_dir(dir.path());
    assert_eq!(lib.files_skipped, 100);
    assert_eq!(lib.diagnostics.iter().filter(|d| d.is_error()).count(), 100);
}

#[test]
fn roots_are_read_recursively_and_hidden_entries_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let article = |t: &str| {
        format!("title = \"{t}\"\npublished = 2025-01-01\n[[section]]\nheading = \"{t}\"\n")
    };
    write(dir.path(), "a.toml", &article("top"));
    write(dir.path(), "deep/er/b.toml", &article("deep"));
    write(dir.path(), ".hidden.toml", &article("hidden file"));
    write(dir.path(), ".git/c.toml", &article("hidden folder"));
    write(dir.path(), "notes.md", "not an article");
    let lib = load_dir(dir.path());
    let mut ids: Vec<&str> = lib.articles.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["a", "deep/er/b"]);
    assert!(lib.diagnostics.is_empty());
}

/// A pipe named like a content file (a read would wait for a writer
/// forever) and a link pointing nowhere are skipped and said, never
/// dropped without a word; a link to a real file is read.
#[cfg(unix)]
#[test]
fn pipes_and_broken_links_in_a_folder_are_skipped_and_said() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "real.toml",
        "title = \"r\"\npublished = 2025-01-01\n[[section]]\nheading = \"r\"\n",
    );
    let fifo = dir.path().join("pipe.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(dir.path().join("gone.toml"), dir.path().join("broken.toml"))
        .unwrap();
    std::os::unix::fs::symlink(dir.path().join("real.toml"), dir.path().join("linked.toml"))
        .unwrap();
    let lib = load_dir(dir.path());
    let mut ids: Vec<&str> = lib.articles.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["linked", "real"]);
    let said = messages(&lib, dir.path());
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said.iter()
            .any(|m| m.starts_with("pipe.toml:") && m.contains("not a regular file")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|m| m.starts_with("broken.toml:") && m.contains("cannot read file")),
        "{said:?}"
    );
    // Counted as the files they are: skipped, not folders unreadable.
    assert_eq!((lib.files_loaded, lib.files_skipped), (2, 2));
    assert_eq!(lib.folders_unreadable, 0);
    let checked = std::process::Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
        .arg("check")
        .arg(dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("no-config"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(
        out.contains("checked 4 files: 2 loaded, 2 skipped; 2 errors"),
        "{out}"
    );
}

#[test]
fn several_roots_combine_and_id_lang_clashes_name_both_files() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let article = |lang: &str| {
        format!(
            "id = \"same\"\nlang = \"{lang}\"\ntitle = \"t\"\npublished = 2025-01-01\n[[section]]\nheading = \"h\"\n"
        )
    };
    write(one.path(), "x.toml", &article("en"));
    write(two.path(), "y.toml", &article("de"));
    write(two.path(), "z.toml", &article("en"));
    let lib = load_roots(&[
        ContentRoot::Dir(one.path().into()),
        ContentRoot::Dir(two.path().into()),
    ]);
    assert_eq!((lib.files_loaded, lib.files_skipped), (2, 1));
    let clash = lib.diagnostics[0].to_string();
    let first = one.path().join("x.toml").display().to_string();
    let second = two.path().join("z.toml").display().to_string();
    assert_eq!(
        clash,
        format!(
            "{second}:1:6: error: duplicate article: id \"same\" with lang \"en\" is already defined in {first} (file skipped)"
        )
    );
}

#[test]
fn sections_inherit_tags_and_dates_from_their_article() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.toml",
        "title = \"t\"\npublished = \"2025-02\"\nactors = [\"xAI\"]\ntopics = [\"Chips\"]\n\
         [[section]]\nheading = \"inherits\"\n\
         [[section]]\nheading = \"adds\"\ndate = 2025-02-03\nactors = [\"OpenAI\", \"Grok\"]\ntopics = [\"chips \", \"Money\"]\n\
         body = \"\"\"\nOne\nparagraph.\n\n- item one\n- item\n  two\n\"\"\"\n",
    );
    let lib = load_dir(dir.path());
    assert!(lib.diagnostics.is_empty(), "{:?}", lib.diagnostics);
    let name = |a: usize| lib.actors[a].name.as_str();
    let [first, second] = [&lib.sections[0], &lib.sections[1]];
    assert_eq!(first.date.to_string(), "2025-02");
    assert_eq!(first.date.precision(), Precision::Month);
    assert_eq!(
        first.actors.iter().map(|&a| name(a)).collect::<Vec<_>>(),
        ["Musk"]
    );
    // xAI and Grok are both Musk: counted once; topics compare without case.
    assert_eq!(
        second.actors.iter().map(|&a| name(a)).collect::<Vec<_>>(),
        ["Musk", "OpenAI"]
    );
    assert_eq!(
        second
            .topics
            .iter()
            .map(|&t| lib.topics[t].as_str())
            .collect::<Vec<_>>(),
        ["Chips", "Money"]
    );
    assert_eq!(second.date.precision(), Precision::Day);
    assert_eq!(
        *lib.body(1).unwrap(),
        [
            Block::Paragraph("One paragraph.".into()),
            Block::Item("item one".into()),
            Block::Item("item two".into())
        ]
    );
}

#[test]
fn timeline_orders_by_date_with_coarse_dates_first() {
    let dir = tempfile::tempdir().unwrap();
    let article = |id: &str, date: &str| {
        format!("title = \"{id}\"\npublished = \"{date}\"\n[[section]]\nheading = \"{id}\"\n")
    };
    write(dir.path(), "a.toml", &article("day", "2025-02-10"));
    write(dir.path(), "b.toml", &article("month", "2025-02"));
    write(dir.path(), "c.toml", &article("year", "2025"));
    write(dir.path(), "d.toml", &article("older", "2023-11"));
    let lib = load_dir(dir.path());
    let order: Vec<&str> = lib
        .timeline
        .iter()
        .map(|&s| lib.sections[s].heading.as_str())
        .collect();
    assert_eq!(order, ["older", "year", "month", "day"]);
}

#[test]
fn unconfigured_tags_are_kept_as_their_own_actors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.toml",
        "title = \"t\"\npublished = \"2025\"\nactors = [\"Mistral\", \"mistral \"]\n[[section]]\nheading = \"h\"\n",
    );
    let lib = load_dir(dir.path());
    let actors = &lib.sections[0].actors;
    assert_eq!(actors.len(), 1);
    assert_eq!(lib.actors[actors[0]].name, "Mistral");
    assert_eq!(lib.actors[actors[0]].configured, None);
}

#[test]
fn a_hash_in_an_id_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.toml",
        "id = \"a#1\"\ntitle = \"T\"\npublished = 2025-02-10\n[[section]]\nheading = \"H\"\n",
    );
    write(
        dir.path(),
        "b#2.toml",
        "title = \"T\"\npublished = 2025-02-10\n[[section]]\nheading = \"H\"\n",
    );
    let lib = load_dir(dir.path());
    assert_eq!((lib.files_loaded, lib.files_skipped), (0, 2));
    assert_eq!(
        messages(&lib, dir.path()),
        [
            "a.toml:1:6: error: \"id\": \"#\" separates an id from a section number (`show ID#N`), so an id cannot hold it; found \"a#1\"",
            "b#2.toml:1:1: error: the file name makes the id \"b#2\", and \"#\" separates an id from a section number (`show ID#N`): rename the file or give an \"id\"",
        ]
    );
}

#[test]
fn right_to_left_overrides_are_dropped_without_a_trace() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.toml",
        "title = \"\\u202eT\"\npublished = 2025-02-10\n[[section]]\nheading = \"\\u202e evil \\u2066heading\\u2069\"\nbody = \"\\u202eText.\"\n",
    );
    let lib = load_dir(dir.path());
    assert_eq!(lib.files_loaded, 1);
    assert_eq!(lib.sections[0].heading, "evil heading");
    assert_eq!(lib.articles[0].title, "T");
    assert_eq!(lib.body(0).unwrap()[0].text(), "Text.");
    assert_eq!(
        messages(&lib, dir.path())[0],
        "a.toml:1:9: warning: right-to-left override and isolate characters removed"
    );
}

#[test]
fn a_removed_override_leaves_no_double_space() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.toml",
        "title = \"Two  spaces \\u202e kept\"\npublished = 2025-02-10\n[[section]]\nheading = \"\\u202EReversed \\u202C heading\"\nbody = \"One \\u2066\\u2069 two\\nthree \\u202c\\nfour\"\n",
    );
    let lib = load_dir(dir.path());
    assert_eq!(lib.sections[0].heading, "Reversed heading");
    // A double space that was there before is the author's: kept.
    assert_eq!(lib.articles[0].title, "Two  spaces kept");
    assert_eq!(lib.body(0).unwrap()[0].text(), "One two three four");
}

#[test]
fn a_folder_given_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "news/a.toml",
        "title = \"T\"\npublished = 2025-02-10\n[[section]]\nheading = \"H\"\n",
    );
    let news = dir.path().join("news");
    let lib = load_roots(&[
        ContentRoot::Dir(news.clone()),
        ContentRoot::Dir(news.join("../news/")),
        ContentRoot::Bundled,
        ContentRoot::Bundled,
    ]);
    assert!(lib.diagnostics.is_empty(), "{:?}", lib.diagnostics);
    assert_eq!(
        lib.files_loaded, 15,
        "one article and the bundled edition, once each"
    );
}

#[test]
fn an_unreadable_folder_is_counted_on_the_status_line_as_the_overlay_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone");
    let mut app = common::app_with(
        Config::built_in().unwrap(),
        &[ContentRoot::Dir(missing)],
        "en",
        120,
        40,
    );
    let text = common::screen(&app);
    assert!(text.contains("⚠ 1 problem: press ! to see them"), "{text}");
    common::press(&mut app, "!");
    let text = common::screen(&app);
    assert!(
        text.contains("gone: error: cannot read content root"),
        "{text}"
    );
}
