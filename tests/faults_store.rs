//! Faults injected into every write of the library store and the reading
//! state: a full disk at every size (a sync building the store and
//! updating it, a fetch, a save of the reading state into the store and
//! into `state.json`, a migration), a read-only folder and file, a folder
//! where a file should be and a file where a folder should be, SIGKILL
//! during a fetch and a migration, and two writers at once. After each,
//! the next start opens the store (never moving it aside), what it lists is
//! what the files say, and every read mark, star and fetched item that had
//! been reported saved is still there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/faults.rs"]
mod faults;
#[path = "common/http.rs"]
mod http;
#[path = "common/kill.rs"]
mod kill;
#[path = "common/old_schema.rs"]
mod old_schema;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use aiwatch_tui::library_store::LibraryStore;
use aiwatch_tui::runtime::saver::StateSaver;
use aiwatch_tui::store::{SavedState, VERSION};
use faults::{CUTS, Fault, Home, SmallDisk, chmod, count, moved_aside, stderr, stdout};

/// Marks, stars and sections seen for keys `prefix-1` to `prefix-n`.
fn marks(prefix: &str, n: usize) -> SavedState {
    let keys: Vec<String> = (1..=n).map(|i| format!("{prefix}-{i:04}")).collect();
    SavedState {
        version: VERSION,
        read: keys.clone(),
        starred: keys.clone(),
        known: keys,
        view: None,
    }
}

/// Opens the store as the next start does: it must open as it is (not be
/// moved aside) and give back its reading state.
fn state_in(home: &Home) -> SavedState {
    let opened = LibraryStore::open(&home.library()).unwrap();
    assert_eq!(opened.moved_aside, None, "the store was readable");
    let mut store = opened.store;
    let state = store.load_state().unwrap().unwrap_or_default();
    drop(store);
    home.give_away();
    state
}

/// Saves `state` into the store (as a reader quitting would).
fn save_in_store(home: &Home, state: &SavedState) {
    let mut store = LibraryStore::open(&home.library()).unwrap().store;
    let before = store.load_state().unwrap().unwrap_or_default();
    store.save_state(&before, state).unwrap();
    drop(store);
    home.give_away();
}

/// What the files say now: `list` without a store.
fn listed_from_files(home: &Home) -> String {
    let o = home.list(Fault::NONE, &["--no-store"]);
    assert!(o.status.success(), "{o:?}");
    stdout(&o)
}

/// Removes the store with its sidecars.
fn remove_store(home: &Home) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = home.library().into_os_string();
        name.push(suffix);
        let _ = fs::remove_file(name);
    }
}

/// What `list` printed of the content files: fetched items (titled
/// `PREFIX story N`, see `http::rss`) come from the store, not the files.
fn of_files(listed: &str) -> String {
    listed
        .lines()
        .filter(|l| !l.contains(" story "))
        .fold(String::new(), |mut kept, l| {
            kept.push_str(l);
            kept.push('\n');
            kept
        })
}

/// A `list` under `fault` lists what the files say, and when the store
/// could not be used, says so once (naming the store); then the next
/// start, with no fault, opens the store and lists the same.
fn list_under(home: &Home, fault: Fault, expected: &str) -> bool {
    let o = home.list(fault, &[]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(of_files(&stdout(&o)), expected, "listed what the files say");
    let err = stderr(&o);
    let store = home.library().display().to_string();
    let failed = !err.is_empty();
    if failed {
        assert_eq!(count(&err, &store), 1, "said once, naming the store: {err}");
        assert!(
            err.contains("the content files were read directly"),
            "{err}"
        );
    }
    let o = home.list(Fault::NONE, &[]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        of_files(&stdout(&o)),
        expected,
        "the next start lists the same"
    );
    assert_eq!(stderr(&o), "", "and has nothing more to say");
    assert_eq!(
        faults::moved_aside(home.library().parent().unwrap()),
        Vec::<String>::new(),
        "nothing was moved aside as unreadable"
    );
    failed
}

/// A home (in `parent`, else the temporary folder) whose store is built,
/// with `n` marks saved in it; what the files list.
fn stored_home(parent: Option<&Path>, n: usize) -> (Home, String, SavedState) {
    let home = parent.map_or_else(Home::new, Home::new_in);
    let expected = listed_from_files(&home);
    list_under(&home, Fault::NONE, &expected);
    let saved = marks("kept", n);
    save_in_store(&home, &saved);
    (home, expected, saved)
}

/// Says how many of the cuts failed; at least one must have.
fn some_cuts_failed(what: &str, failed: usize) {
    eprintln!("{what}: {failed} of {} cuts failed", CUTS.len());
    assert!(failed > 0, "{what}: no cut was small enough to fail");
}

#[test]
fn a_first_build_of_the_store_on_a_full_disk_lists_the_files_and_says_why() {
    let home = Home::new();
    let expected = listed_from_files(&home);
    let mut failed = 0;
    for &cut in CUTS {
        remove_store(&home);
        if list_under(&home, Fault::disk_full_at(cut), &expected) {
            failed += 1;
        }
    }
    some_cuts_failed("first build", failed);
}

#[test]
fn an_update_of_the_store_on_a_full_disk_keeps_every_mark() {
    let (home, _, saved) = stored_home(None, 30);
    let mut failed = 0;
    for (n, &cut) in CUTS.iter().enumerate() {
        // New files and a changed one for each sync to write.
        for i in 0..10 {
            home.write_article(&format!("n{n:02}-{i}"), &format!("New {n} {i}"));
        }
        home.write_article("a000", &format!("Article 0, edition {n}"));
        let expected = listed_from_files(&home);
        if list_under(&home, Fault::disk_full_at(cut), &expected) {
            failed += 1;
        }
        assert_eq!(state_in(&home), saved, "after a cut at {cut} blocks");
    }
    some_cuts_failed("update", failed);
}

const SAVER: &str = "AIWATCH_FAULTS_SAVER";
const SAVE_INTO: &str = "AIWATCH_FAULTS_SAVE_INTO";

/// In the child: saves marks one more at a time, printing `saved N` after
/// each save that returned, until one fails (said as `failed: REASON`).
fn save_until_it_fails(saver: &mut StateSaver, base: &SavedState, how_many: usize) {
    let mut out = std::io::stdout();
    for n in 1..=how_many {
        let mut state = marks("m", n);
        state.read.extend(base.read.iter().cloned());
        state.starred.extend(base.starred.iter().cloned());
        state.known.extend(base.known.iter().cloned());
        match saver.save(&state, aiwatch_tui::library_store::SAVE_WAIT) {
            Ok(()) => writeln!(out, "saved {n}").unwrap(),
            Err(e) => {
                writeln!(out, "failed: {e}").unwrap();
                return;
            }
        }
        out.flush().unwrap();
    }
}

/// Runs this test binary's `name` as a child under `fault`, as the saver.
fn spawn_saver(name: &str, fault: Fault, target: &Path, into: &str) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    faults::command(&exe, fault)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(SAVER, target)
        .env(SAVE_INTO, into)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The child's last `saved N` and whether it said a failure.
fn saves_reported(o: &std::process::Output) -> (usize, Option<String>) {
    let out = stdout(o);
    let saved = out
        .lines()
        .filter_map(|l| l.rsplit("saved ").next()?.trim().parse().ok())
        .max()
        .unwrap_or(0);
    let failure = out
        .lines()
        .find_map(|l| l.split_once("failed: ").map(|(_, r)| r.to_owned()));
    (saved, failure)
}

/// Every mark of `marks("m", saved)` and `base` is in `state`, and at most
/// one save more (one that failed after its commit could have landed).
fn holds(state: &SavedState, saved: usize, base: &SavedState) {
    for key in marks("m", saved).read.iter().chain(&base.read) {
        assert!(state.read.contains(key), "read mark {key} lost");
        assert!(state.starred.contains(key), "star {key} lost");
    }
    assert!(
        state.read.len() <= saved + 1 + base.read.len(),
        "more marks than were saved"
    );
}

#[test]
fn saving_the_reading_state_on_a_full_disk_loses_no_mark_reported_saved() {
    let name = "saving_the_reading_state_on_a_full_disk_loses_no_mark_reported_saved";
    if let (Some(target), Ok(into)) = (std::env::var_os(SAVER), std::env::var(SAVE_INTO)) {
        let target = PathBuf::from(target);
        let base = marks("base", 20);
        let mut saver = if into == "store" {
            // A store that cannot even be opened on this disk is said as
            // the reader would say it.
            let opened = LibraryStore::open(&target).and_then(|o| {
                let mut store = o.store;
                let last = store.load_state()?.unwrap_or_default();
                Ok((store, last))
            });
            match opened {
                Ok((store, last)) => StateSaver::Store {
                    store: Box::new(store),
                    last,
                },
                Err(e) => {
                    println!("failed: {e}");
                    return;
                }
            }
        } else {
            StateSaver::File {
                path: target,
                last: None,
            }
        };
        // A save into the file is synced to disk each time: fewer of them.
        let how_many = if into == "store" { 120 } else { 30 };
        save_until_it_fails(&mut saver, &base, how_many);
        return;
    }
    for into in ["store", "file"] {
        let mut failed = 0;
        // One home; before each cut the target is put back as it was.
        let home = Home::new();
        let base = marks("base", 20);
        let target = if into == "store" {
            list_under(&home, Fault::NONE, &listed_from_files(&home));
            save_in_store(&home, &base);
            home.library()
        } else {
            fs::create_dir_all(home.state().parent().unwrap()).unwrap();
            aiwatch_tui::store::save(&home.state(), &base).unwrap();
            home.state()
        };
        let pristine = fs::read(&target).unwrap();
        for &cut in CUTS {
            remove_store(&home);
            fs::write(&target, &pristine).unwrap();
            home.give_away();
            let o = spawn_saver(name, Fault::disk_full_at(cut), &target, into);
            assert!(o.status.success(), "{o:?}");
            let (saved, failure) = saves_reported(&o);
            if let Some(reason) = &failure {
                failed += 1;
                assert!(!reason.is_empty());
            }
            let state = if into == "store" {
                state_in(&home)
            } else {
                match aiwatch_tui::store::load(&home.state()) {
                    aiwatch_tui::store::Loaded::State(s) => s,
                    other => panic!("state.json after a cut at {cut}: {other:?}"),
                }
            };
            holds(&state, saved, &base);
            let dir = target.parent().unwrap();
            let temporaries: Vec<_> = fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| faults::is_temporary(n))
                .collect();
            assert_eq!(temporaries, Vec::<String>::new(), "{into}, cut {cut}");
        }
        some_cuts_failed(into, failed);
    }
}

/// A feed of `n` items as a file, and its `file://` URL.
fn feed_file(home: &Home, prefix: &str, n: usize) -> String {
    let path = home.path().join(format!("{prefix}.rss"));
    fs::write(&path, http::rss(prefix, n)).unwrap();
    format!("file://{}", path.display())
}

/// Subscribes to `(name, url)` feeds (the whole `[[feeds]]` list).
fn subscribe(home: &Home, feeds: &[(String, String)]) {
    let mut text = String::from("language = \"en\"\n");
    for (name, url) in feeds {
        writeln!(text, "[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"").unwrap();
    }
    fs::write(home.config(), text).unwrap();
}

/// Items stored per feed name, as `feeds list` reads them (no fault).
fn items(home: &Home) -> BTreeMap<String, u64> {
    let o = home.run(Fault::NONE, &["feeds", "list", "--format", "json"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        faults::moved_aside(home.library().parent().unwrap()),
        Vec::<String>::new()
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["items"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Articles in the store whose title starts with `prefix`: what the
/// reader would list.
fn stored_articles(home: &Home, prefix: &str) -> usize {
    let o = home.run(
        Fault::NONE,
        &["list", "--format", "tsv", "--search", prefix],
    );
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stderr(&o), "", "the next start has nothing to say");
    stdout(&o)
        .lines()
        .filter(|l| l.contains(&format!("{prefix} story")))
        .count()
}

#[test]
fn a_fetch_on_a_full_disk_keeps_what_earlier_fetches_stored() {
    let home = Home::new();
    let first = feed_file(&home, "first", 30);
    let mut feeds = vec![("First".to_owned(), first)];
    subscribe(&home, &feeds);
    let o = home.run(Fault::NONE, &["fetch"]);
    assert!(o.status.success(), "{o:?}");
    let mut failed = 0;
    for &cut in CUTS {
        let name = format!("Cut{cut}");
        let prefix = format!("cut{cut}x");
        feeds.push((name.clone(), feed_file(&home, &prefix, 200)));
        subscribe(&home, &feeds);
        let o = home.run(Fault::disk_full_at(cut), &["fetch", "--feed", &name]);
        let out = stdout(&o);
        let err = stderr(&o);
        let stored = items(&home);
        assert_eq!(
            stored["First"], 30,
            "cut {cut}: the first feed's items stay"
        );
        if o.status.success() {
            assert!(out.contains("status=ok items=200 new=200"), "{out}");
            assert_eq!(stored[&name], 200, "cut {cut}");
            assert_eq!(stored_articles(&home, &prefix), 200, "cut {cut}");
        } else {
            failed += 1;
            assert!(
                err.contains(&home.library().display().to_string()) || out.contains("reason="),
                "said why, cut {cut}: {out}\n{err}"
            );
            assert_eq!(
                stored_articles(&home, &prefix),
                0,
                "one put is all or nothing"
            );
        }
        assert_eq!(stored_articles(&home, "first"), 30);
    }
    some_cuts_failed("fetch", failed);
}

#[test]
fn a_migration_on_a_full_disk_or_killed_keeps_every_mark() {
    let (home, expected, saved) = stored_home(None, 25);
    old_schema::downgrade_to_tag_rows(&home.library());
    let pristine = fs::read(home.library()).unwrap();
    let restore = |home: &Home| {
        remove_store(home);
        fs::write(home.library(), &pristine).unwrap();
        home.give_away();
    };
    let mut failed = 0;
    for &cut in CUTS {
        restore(&home);
        if list_under(&home, Fault::disk_full_at(cut), &expected) {
            failed += 1;
        }
        assert_eq!(state_in(&home), saved, "after a cut at {cut} blocks");
    }
    some_cuts_failed("migration", failed);
    let mut migrated = 0;
    for _ in 0..12 {
        restore(&home);
        let child = home
            .command(
                Fault::NONE,
                &["--content", home.content().to_str().unwrap(), "list"],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill::kill_after_a_while(child, 60);
        let version: i64 = rusqlite::Connection::open(home.library())
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        if version == aiwatch_tui::library_store::SCHEMA_VERSION {
            migrated += 1;
        }
        list_under(&home, Fault::NONE, &expected);
        assert_eq!(state_in(&home), saved);
    }
    eprintln!("{migrated} of 12 migrations finished before the kill");
}

#[test]
fn a_fetch_killed_at_any_moment_keeps_what_was_stored() {
    const ITEMS: usize = 200;
    let home = Home::new();
    let mut feeds = vec![("First".to_owned(), feed_file(&home, "first", 30))];
    subscribe(&home, &feeds);
    assert!(home.run(Fault::NONE, &["fetch"]).status.success());
    // How long a whole fetch of one such feed takes here: the kills fall
    // anywhere from its start to a bit past its end.
    feeds.push(("Whole".to_owned(), feed_file(&home, "whole", ITEMS)));
    subscribe(&home, &feeds);
    let started = std::time::Instant::now();
    assert!(
        home.run(Fault::NONE, &["fetch", "--feed", "Whole"])
            .status
            .success()
    );
    // (A put into a store holding more items takes longer: three times.)
    let whole = u64::try_from(started.elapsed().as_millis()).unwrap() * 3 + 1;
    let mut kept: BTreeMap<String, u64> =
        BTreeMap::from([("First".to_owned(), 30), ("Whole".to_owned(), ITEMS as u64)]);
    for round in 0..10 {
        let name = format!("Round{round}");
        feeds.push((
            name.clone(),
            feed_file(&home, &format!("round{round}x"), ITEMS),
        ));
        subscribe(&home, &feeds);
        home.give_away();
        let child = home
            .command(Fault::NONE, &["fetch", "--feed", &name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill::kill_after_a_while(child, whole);
        let stored = items(&home);
        for (feed, n) in &kept {
            assert_eq!(
                stored.get(feed),
                Some(n),
                "round {round}: {feed} lost items"
            );
        }
        let got = stored.get(&name).copied().unwrap_or(0);
        assert!(
            got == 0 || got == ITEMS as u64,
            "round {round}: a torn put: {got}"
        );
        assert_eq!(
            stored_articles(&home, &format!("round{round}x")) as u64,
            got,
            "round {round}"
        );
        kept.insert(name, got);
    }
    eprintln!("{kept:?} (a whole fetch: {whole} ms)");
}

#[test]
fn two_fetches_and_a_sync_at_once_lose_nothing() {
    let home = Home::new();
    let feeds = vec![
        ("One".to_owned(), feed_file(&home, "one", 150)),
        ("Two".to_owned(), feed_file(&home, "two", 150)),
    ];
    subscribe(&home, &feeds);
    let expected = listed_from_files(&home);
    home.give_away();
    let content = home.content();
    let children: Vec<_> = [
        vec!["fetch", "--feed", "One"],
        vec!["fetch", "--feed", "Two"],
        vec![
            "--content",
            content.to_str().unwrap(),
            "list",
            "--format",
            "tsv",
        ],
    ]
    .iter()
    .map(|args| {
        home.command(Fault::NONE, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    })
    .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outputs {
        assert!(o.status.success(), "{o:?}");
        assert_eq!(stderr(o), "", "nothing went wrong to say");
    }
    // The list sees every file's article, and, depending on how the three
    // ran on the machine, none, some or all of the items the fetches had
    // stored by then (seen on a loaded CI: all of one feed's).
    let listed = stdout(&outputs[2]);
    let (files, fetched): (Vec<&str>, Vec<&str>) =
        listed.lines().partition(|l| !l.starts_with("feed-"));
    assert_eq!(format!("{}\n", files.join("\n")), expected);
    assert!(
        fetched
            .iter()
            .all(|l| l.contains("\tone story ") || l.contains("\ttwo story ")),
        "{listed}"
    );
    let stored = items(&home);
    assert_eq!(stored["One"], 150);
    assert_eq!(stored["Two"], 150);
    assert_eq!(stored_articles(&home, "one"), 150);
    assert_eq!(stored_articles(&home, "two"), 150);
}

/// `list` with `path` set to `mode` (read-only), put back after: the files
/// listed, the store named once on stderr.
fn list_denied(home: &Home, path: &Path, mode: u32, expected: &str) {
    let before = fs::metadata(path).unwrap().permissions();
    home.give_away();
    chmod(path, mode);
    let o = home.list(Fault::NONE, &[]);
    fs::set_permissions(path, before).unwrap();
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o), expected, "the files as they are now");
    let store = home.library().display().to_string();
    assert_eq!(count(&stderr(&o), &store), 1, "{o:?}");
}

#[test]
fn a_store_it_may_not_write_is_said_and_nothing_is_lost() {
    let (home, _, saved) = stored_home(None, 10);
    let data = home.library().parent().unwrap().to_path_buf();

    // The store file read-only, the files changed since.
    home.write_article("b000", "Added while read-only");
    let expected = listed_from_files(&home);
    list_denied(&home, &home.library(), 0o444, &expected);
    // Writable again, it is used again: nothing left beside it (a log or
    // index made read-only like the file) keeps it read-only.
    list_under(&home, Fault::NONE, &expected);
    assert_eq!(state_in(&home), saved);

    // Its folder read-only: no log or index can be made beside it.
    home.write_article("b001", "Added in a read-only folder");
    let expected = listed_from_files(&home);
    list_denied(&home, &data, 0o555, &expected);
    list_under(&home, Fault::NONE, &expected);
    assert_eq!(state_in(&home), saved);

    // A read-only folder and no store yet.
    remove_store(&home);
    list_denied(&home, &data, 0o555, &expected);
    assert!(!home.library().exists());
}

/// A pipe or a device where the store should be: reading a pipe would
/// hang and `/dev/null` or `/dev/zero` would be moved aside (a device
/// renamed); each is refused, named once, and left as it was, and the
/// files are listed. (`state.json`: `store::tests`.)
#[test]
fn a_pipe_or_a_device_for_the_store_is_refused_untouched() {
    let home = Home::new();
    let expected = listed_from_files(&home);
    for what in ["a pipe", "a device"] {
        let make = |p: &Path| {
            if what == "a pipe" {
                assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
            } else {
                std::os::unix::fs::symlink("/dev/null", p).unwrap();
            }
        };
        fs::create_dir_all(home.library().parent().unwrap()).unwrap();
        make(&home.library());
        let o = home.list(Fault::NONE, &[]);
        assert!(o.status.success(), "{what}: {o:?}");
        assert_eq!(stdout(&o), expected, "{what}");
        let said = stderr(&o);
        assert_eq!(
            count(&said, &home.library().display().to_string()),
            1,
            "{what}: {said}"
        );
        assert!(said.contains("not a regular file"), "{what}: {said}");
        let kind = fs::symlink_metadata(home.library()).unwrap().file_type();
        assert!(!kind.is_file(), "{what} left as it was");
        fs::remove_file(home.library()).unwrap();
        assert!(
            moved_aside(home.library().parent().unwrap()).is_empty(),
            "{what}"
        );
    }
}

#[test]
fn folders_where_files_should_be_and_files_where_folders_should_be() {
    let home = Home::new();
    let expected = listed_from_files(&home);

    // The store's path is a folder.
    fs::create_dir_all(home.library().join("inside")).unwrap();
    let o = home.list(Fault::NONE, &[]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o), expected);
    assert_eq!(
        count(&stderr(&o), &home.library().display().to_string()),
        1,
        "{o:?}"
    );
    assert!(home.library().join("inside").is_dir(), "left alone");
    fs::remove_dir_all(home.library()).unwrap();

    // The store's folder is a file.
    let data = home.library().parent().unwrap().to_path_buf();
    fs::remove_dir_all(&data).unwrap();
    fs::write(&data, "a file, not a folder").unwrap();
    let o = home.list(Fault::NONE, &[]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o), expected);
    assert_eq!(count(&stderr(&o), &data.display().to_string()), 1, "{o:?}");
    assert_eq!(fs::read_to_string(&data).unwrap(), "a file, not a folder");
    fs::remove_file(&data).unwrap();

    // With a store: a content file replaced by a folder (after the store
    // held it) is gone from the list, and the next start says nothing more.
    list_under(&home, Fault::NONE, &expected);
    let saved = marks("kept", 5);
    save_in_store(&home, &saved);
    let file = home.content().join("a001.toml");
    fs::remove_file(&file).unwrap();
    fs::create_dir(&file).unwrap();
    let expected = listed_from_files(&home);
    assert!(!expected.contains("Article 1 section"), "{expected}");
    list_under(&home, Fault::NONE, &expected);
    assert_eq!(state_in(&home), saved);

    // The content folder is a file: refused before anything is written.
    let content = home.content();
    fs::remove_dir_all(&content).unwrap();
    fs::write(&content, "a file").unwrap();
    let o = home.list(Fault::NONE, &[]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(stderr(&o).contains(&content.display().to_string()), "{o:?}");
    assert_eq!(state_in(&home), saved);
}

/// A disk that really fills up (a tmpfs, when the tests run as root):
/// with 0 bytes to 1 MiB free, a sync of changed files, a fetch, `feeds
/// add` and a save of the reading state each succeed or say why, and once
/// space is freed the next start has every mark, item and subscription
/// that was reported saved.
#[test]
fn a_really_full_disk_loses_nothing_reported_saved() {
    let Some(disk) = SmallDisk::mount(8 << 20) else {
        return;
    };
    let (home, _, mut saved) = stored_home(Some(disk.path()), 20);
    let mut feeds = vec![("First".to_owned(), feed_file(&home, "first", 30))];
    subscribe(&home, &feeds);
    assert!(home.run(Fault::NONE, &["fetch"]).status.success());
    let mut kept = BTreeMap::from([("First".to_owned(), 30)]);
    let mut failures: BTreeMap<&str, usize> = BTreeMap::new();
    for (n, free) in [0u64, 4_096, 16_384, 65_536, 262_144, 1 << 20]
        .into_iter()
        .enumerate()
    {
        for i in 0..10 {
            home.write_article(&format!("full{n}-{i}"), &format!("Full {n} {i}"));
        }
        let expected = listed_from_files(&home);
        let name = format!("Full{n}");
        feeds.push((name.clone(), feed_file(&home, &format!("full{n}x"), 100)));
        subscribe(&home, &feeds);
        let store = home.library().display().to_string();
        disk.fill_leaving(free);

        let o = home.list(Fault::NONE, &[]);
        assert!(o.status.success(), "{o:?}");
        assert_eq!(of_files(&stdout(&o)), expected, "{free} bytes free");
        let err = stderr(&o);
        *failures.entry("sync").or_default() += usize::from(!err.is_empty());
        assert!(err.is_empty() || count(&err, &store) == 1, "{err}");

        let o = home.run(Fault::NONE, &["fetch", "--feed", &name]);
        let fetched = o.status.success();
        *failures.entry("fetch").or_default() += usize::from(!fetched);
        let err = stderr(&o);
        assert!(
            fetched || err.contains(&name) || count(&err, &store) == 1,
            "said: {o:?}"
        );
        kept.insert(name, if fetched { 100 } else { 0 });

        let url = format!("https://feeds.example/added{n}.xml");
        let added = format!("Added{n}");
        let o = home.run(Fault::NONE, &["feeds", "add", &url, "--name", &added]);
        if o.status.success() {
            feeds.push((added, url));
        } else {
            *failures.entry("feeds add").or_default() += 1;
            assert_eq!(count(&stderr(&o), "cannot write"), 1, "{o:?}");
        }

        let more = marks(&format!("more{n}"), 10);
        let mut wanted = saved.clone();
        for (all, new) in [
            (&mut wanted.read, &more.read),
            (&mut wanted.starred, &more.starred),
            (&mut wanted.known, &more.known),
        ] {
            all.extend(new.iter().cloned());
            all.sort();
        }
        let result = LibraryStore::open(&home.library()).and_then(|o| {
            let mut store = o.store;
            store.save_state(&saved, &wanted)
        });
        match result {
            Ok(()) => saved = wanted,
            Err(e) => {
                *failures.entry("save").or_default() += 1;
                assert!(e.to_string().contains(&store), "{e}");
            }
        }

        disk.empty();
        home.give_away();
        list_under(&home, Fault::NONE, &listed_from_files(&home));
        assert_eq!(state_in(&home), saved, "{free} bytes free");
        let stored = items(&home);
        for (feed, n) in &kept {
            assert_eq!(stored.get(feed), Some(n), "{feed}, {free} bytes free");
        }
        let names: Vec<&String> = feeds.iter().map(|(name, _)| name).collect();
        assert_eq!(stored.keys().collect::<Vec<_>>().len(), names.len());
    }
    eprintln!("failed, of 6 fill levels: {failures:?}");
    assert!(
        failures.values().all(|&n| n > 0),
        "each writer failed at some level: {failures:?}"
    );
}

/// A content file the sync may not read is skipped and said; once it may
/// (`chmod` changes neither its size nor its time), the next start reads
/// it: the store must not keep "cannot read" as that file's last word.
#[test]
fn a_content_file_it_may_not_read_is_read_again_once_it_may() {
    let home = Home::new();
    let expected = listed_from_files(&home);
    let file = home.content().join("a003.toml");
    home.give_away();
    chmod(&file, 0o000);
    let o = home.list(Fault::NONE, &[]);
    chmod(&file, 0o644);
    assert!(o.status.success(), "{o:?}");
    assert!(!stdout(&o).contains("Article 3 section"), "{o:?}");
    assert_eq!(count(&stderr(&o), "1 of 40 files skipped"), 1, "{o:?}");
    list_under(&home, Fault::NONE, &expected);
}
