//! The library store as the program uses it: `list`, `show`, the reader
//! and `serve` read the library through it; `--library`, the config's
//! `library` and `--no-store` choose it; a warm start parses nothing and
//! still reports every problem; a store that cannot be used is said
//! plainly and the files are read instead; `check` never opens one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use aiwatch_tui::config::Config;
use aiwatch_tui::content::ContentRoot;
use aiwatch_tui::library_store::{LibraryStore, SCHEMA_VERSION};
use aiwatch_tui::setup;

/// A home of its own: config, data and state folders, and a content folder.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        let home = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        write_old(
            &home.content().join("a.toml"),
            &article("alpha", "Alpha heading"),
        );
        write_old(
            &home.content().join("b.toml"),
            &article("beta", "Beta heading"),
        );
        // Broken: skipped with an error, which a warm start must still report.
        write_old(&home.content().join("broken.toml"), "title = \n");
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn content(&self) -> PathBuf {
        self.path().join("content")
    }

    fn default_store(&self) -> PathBuf {
        self.path().join("data/aiwatch-tui/library.sqlite")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("LANG", "en_US.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .output()
            .unwrap()
    }

    /// `list` over the content folder, with `extra` arguments first.
    fn list(&self, extra: &[&str]) -> Output {
        let content = self.content();
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["--content", content.to_str().unwrap(), "list"]);
        self.run(&args)
    }
}

fn article(id: &str, heading: &str) -> String {
    format!(
        "id = \"{id}\"\ntitle = \"T\"\npublished = 2025-01-10\n\n[[section]]\nheading = \"{heading}\"\nbody = \"Text.\"\n"
    )
}

/// Writes a file dated a minute ago, as files edited before a start are
/// (the store does not trust a time within the last moments).
fn write_old(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn a_warm_start_parses_nothing_and_keeps_every_problem() {
    let home = Home::new();
    let config = Config::built_in().unwrap();
    let roots = [ContentRoot::Bundled, ContentRoot::Dir(home.content())];
    let store = home.default_store();
    let cold = setup::open_library(Some(&store), &roots, &config.actor_directory());
    assert!(cold.store.is_some(), "{:?}", cold.notices);
    assert!(cold.notices.is_empty(), "{:?}", cold.notices);
    assert!(cold.report.unwrap().parsed > 3, "the first start parses");
    drop(cold);
    let warm = setup::open_library(Some(&store), &roots, &config.actor_directory());
    let report = warm.report.unwrap();
    assert_eq!(report.parsed, 0, "{report:?}");
    let files = setup::open_library(None, &roots, &config.actor_directory());
    assert!(files.store.is_none() && files.report.is_none());
    // The same library as loading the files, problems included.
    assert_eq!(warm.library.diagnostics, files.library.diagnostics);
    assert_eq!(warm.library.files_skipped, 1);
    assert_eq!(warm.library.files_loaded, files.library.files_loaded);
    assert_eq!(warm.library.sections.len(), files.library.sections.len());
}

#[test]
fn list_reads_through_the_default_store_and_says_the_same_as_the_files() {
    let home = Home::new();
    let through_store = home.list(&[]);
    assert!(through_store.status.success(), "{}", stderr(&through_store));
    assert!(home.default_store().is_file(), "the store was made");
    let warm = home.list(&[]);
    let files = home.list(&["--no-store"]);
    assert_eq!(stdout(&through_store), stdout(&files));
    assert_eq!(stdout(&warm), stdout(&files));
    assert!(stdout(&warm).contains("Beta heading"));
    // The skipped file is reported on a warm start as on a cold one.
    assert_eq!(stderr(&warm), stderr(&files));
    assert!(
        stderr(&warm).contains("1 of 3 files skipped"),
        "{}",
        stderr(&warm)
    );
}

#[test]
fn no_store_writes_no_store() {
    let home = Home::new();
    let out = home.list(&["--no-store"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!home.path().join("data").exists());
    // Nor does `check`, with or without a store configured.
    let content = home.content();
    let out = home.run(&["check", content.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "the broken file is an error");
    let out = home.run(&["--library", "x.sqlite", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!home.path().join("data").exists());
    assert!(!home.path().join("x.sqlite").exists());
}

#[test]
fn the_library_flag_beats_the_config_which_is_relative_to_its_folder() {
    let home = Home::new();
    let config = home.path().join("settings/config.toml");
    fs::create_dir_all(config.parent().unwrap()).unwrap();
    fs::write(&config, "library = \"stores/mine.sqlite\"\n").unwrap();
    let out = home.list(&["--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(home.path().join("settings/stores/mine.sqlite").is_file());
    let out = home.list(&[
        "--config",
        config.to_str().unwrap(),
        "--library",
        "flag.sqlite",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(home.path().join("flag.sqlite").is_file());
    assert!(!home.default_store().exists());
}

#[test]
fn show_reads_through_the_store() {
    let home = Home::new();
    let content = home.content();
    let args = ["--content", content.to_str().unwrap(), "show", "beta"];
    let cold = home.run(&args);
    let warm = home.run(&args);
    assert!(warm.status.success(), "{}", stderr(&warm));
    assert!(stdout(&warm).contains("Beta heading"));
    assert_eq!(stdout(&cold), stdout(&warm));
    assert!(home.default_store().is_file());
}

/// A store this version must not touch: `list` says so and reads the files.
#[test]
fn a_store_from_a_newer_version_is_said_and_the_files_are_read() {
    let home = Home::new();
    let store = home.default_store();
    drop(LibraryStore::open(&store).unwrap());
    let conn = rusqlite::Connection::open(&store).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(conn);
    let before = fs::read(&store).unwrap();
    let out = home.list(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Alpha heading"));
    let err = stderr(&out);
    assert!(err.contains("newer aiwatch-tui"), "{err}");
    assert!(err.contains("content files were read directly"), "{err}");
    assert!(err.contains(store.to_str().unwrap()), "{err}");
    assert_eq!(fs::read(&store).unwrap(), before, "left untouched");
}

/// A path that cannot be a store (a folder): said, and the files are read.
#[test]
fn a_store_that_cannot_be_opened_is_said_and_the_files_are_read() {
    let home = Home::new();
    fs::create_dir_all(home.path().join("a-folder")).unwrap();
    let out = home.list(&["--library", "a-folder"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Alpha heading"));
    let err = stderr(&out);
    assert!(err.contains("a-folder"), "{err}");
    assert!(err.contains("content files were read directly"), "{err}");
}

/// A path given by mistake (notes, the config file itself, /etc/passwd)
/// names a file that is not a store: it is left exactly as it was, the
/// reason is said with the path, and the files are read directly. (It was
/// once renamed `.unreadable-1` and a database written in its place.)
#[test]
fn a_file_that_is_not_a_store_is_left_as_it_is_and_said() {
    let home = Home::new();
    for name in ["notes.txt", "config.toml", "passwd"] {
        let path = home.path().join(name);
        let before = format!("{name}: my own words, not a database\n");
        fs::write(&path, &before).unwrap();
        let out = home.list(&["--library", name]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("Alpha heading"));
        let err = stderr(&out);
        assert!(err.contains(name), "{err}");
        assert!(err.contains("not a library store"), "{err}");
        assert!(err.contains("left as it is"), "{err}");
        assert!(err.contains("content files were read directly"), "{err}");
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            before,
            "{name} untouched"
        );
        let names: Vec<String> = fs::read_dir(home.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(name) && n != name)
            .collect();
        assert!(names.is_empty(), "nothing made beside {name}: {names:?}");
    }
}

/// A link named as a store (`link.sqlite -> notes.txt`): the link is the
/// user's own arrangement, neither renamed nor followed into a rebuild.
#[test]
fn a_link_named_as_a_store_to_a_file_that_is_none_is_left_as_it_is() {
    let home = Home::new();
    fs::write(home.path().join("notes.txt"), "my notes\n").unwrap();
    std::os::unix::fs::symlink("notes.txt", home.path().join("link.sqlite")).unwrap();
    let out = home.list(&["--library", "link.sqlite"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("link.sqlite"), "{err}");
    assert!(err.contains("left as it is"), "{err}");
    let link = fs::symlink_metadata(home.path().join("link.sqlite")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays");
    assert_eq!(
        fs::read_to_string(home.path().join("notes.txt")).unwrap(),
        "my notes\n"
    );
    assert!(!home.path().join("link.sqlite.unreadable-1").exists());
}

/// A file named as a store (`*.sqlite`) that is not one is taken for a
/// damaged store: moved aside with its new name said, and a store built.
#[test]
fn a_damaged_file_named_as_a_store_is_moved_aside_with_its_new_name() {
    let home = Home::new();
    let path = home.path().join("news.sqlite");
    fs::write(&path, "garbage where a store was\n").unwrap();
    let out = home.list(&["--library", "news.sqlite"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Alpha heading"));
    let aside = home.path().join("news.sqlite.unreadable-1");
    let err = stderr(&out);
    assert!(err.contains("moved to news.sqlite.unreadable-1"), "{err}");
    assert!(err.contains("are lost"), "the loss is said: {err}");
    assert_eq!(
        fs::read_to_string(&aside).unwrap(),
        "garbage where a store was\n"
    );
}

/// `serve` opens the store once at start; one it cannot use is said in
/// its log, and it serves the files.
#[test]
fn serve_reads_through_the_store_and_logs_what_it_cannot_use() {
    let home = Home::new();
    let serve = |library: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
            .args(["--library", library, "serve", "--listen", "127.0.0.1:0"])
            .arg("--host-key")
            .arg(home.path().join("host_key"))
            .current_dir(home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut log = String::new();
        let started = std::time::Instant::now();
        while !log.contains("event=listening") {
            assert!(started.elapsed() < Duration::from_secs(20), "{log}");
            let mut line = String::new();
            if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() == 0 {
                break;
            }
            log.push_str(&line);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        log
    };
    let log = serve("served.sqlite");
    assert!(log.contains("event=listening"), "{log}");
    assert!(home.path().join("served.sqlite").is_file());
    fs::create_dir_all(home.path().join("a-folder")).unwrap();
    let log = serve("a-folder");
    assert!(log.contains("event=listening"), "it still serves: {log}");
    assert!(
        log.contains("a-folder") && log.contains("content files were read directly"),
        "{log}"
    );
    // A log line like every other: `key=value`.
    assert!(
        log.lines().any(
            |l| l.starts_with("aiwatch-tui serve: event=store_notice message=\"")
                && l.contains("a-folder")
        ),
        "{log}"
    );
}

#[test]
fn the_library_key_is_a_path_beside_the_config_file() {
    let config =
        Config::load(Some(("settings/config.toml", "library = \"lib.sqlite\"\n"))).unwrap();
    assert_eq!(
        config.library.as_deref(),
        Some(Path::new("settings/lib.sqlite"))
    );
    let absolute = Config::load(Some(("c.toml", "library = \"/data/l.sqlite\"\n"))).unwrap();
    assert_eq!(
        absolute.library.as_deref(),
        Some(Path::new("/data/l.sqlite"))
    );
    let errors = Config::load(Some(("c.toml", "library = \"\"\n"))).unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "c.toml:1:11: error: \"library\": expected the path of the library store, found \"\""
    );
    assert!(Config::built_in().unwrap().library.is_none());
}

/// Another program holds the store's write lock (the sqlite3 shell in a
/// transaction, a `fetch` from cron). With no file changed, `list` and
/// `show` take no lock and answer from the store without a word (they
/// waited 10 s, then read every file again with an error on stderr). With
/// a file changed, they print the library as stored, its old text, and
/// say on stderr why it lacks the change.
#[test]
fn list_and_show_under_another_programs_write_lock_print_from_the_store() {
    let home = Home::new();
    let content = home.content();
    let first = home.list(&[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let show = ["--content", content.to_str().unwrap(), "show", "beta"];

    let writer = rusqlite::Connection::open(home.default_store()).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let unchanged = home.list(&[]);
    assert!(unchanged.status.success(), "{}", stderr(&unchanged));
    assert_eq!(stdout(&unchanged), stdout(&first));
    assert_eq!(stderr(&unchanged), stderr(&first), "no notice, no error");
    let shown = home.run(&show);
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(
        stdout(&shown).contains("Beta heading"),
        "{}",
        stdout(&shown)
    );
    assert!(
        !stderr(&shown).contains("library store"),
        "{}",
        stderr(&shown)
    );

    write_old(&content.join("b.toml"), &article("beta", "Beta renamed"));
    for out in [home.list(&[]), home.run(&show)] {
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("Beta heading"), "{}", stdout(&out));
        assert!(!stdout(&out).contains("Beta renamed"), "{}", stdout(&out));
        let said = stderr(&out);
        assert!(
            said.contains("being written by another program")
                && said.contains("shown as stored, without the content files changed since"),
            "{said}"
        );
        assert!(!said.contains("read directly"), "{said}");
    }
    writer.execute_batch("ROLLBACK").unwrap();

    // The lock is free: the change is brought in, and nothing is said.
    let out = home.list(&[]);
    assert!(stdout(&out).contains("Beta renamed"), "{}", stdout(&out));
    assert!(!stderr(&out).contains("library store"), "{}", stderr(&out));
}
