//! Faults injected while `feeds add/remove/import` rewrite config.toml: a
//! full disk at every size, a read-only folder and file, a folder where
//! the file should be (and a file where its folder should be), SIGKILL at
//! random moments, and several processes adding at once. After each, the
//! file loads, holds every subscription that was reported added (and none
//! reported removed), and a failure was said once, naming the file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/faults.rs"]
mod faults;
#[path = "common/kill.rs"]
mod kill;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;

use faults::{CUTS, Fault, Home, chmod, count, stderr, stdout};

/// The feeds config.toml holds now, by name, as `feeds list` (no fault)
/// reads them: the file must load.
fn feeds(home: &Home) -> BTreeSet<String> {
    let o = home.run(Fault::NONE, &["feeds", "list", "--format", "json"]);
    assert!(
        o.status.success(),
        "config.toml no longer loads: {}\n{}",
        stderr(&o),
        fs::read_to_string(home.config()).unwrap_or_default()
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A config long enough (about 24 KiB) that a cut falls inside it.
fn long_config() -> String {
    let mut text = String::from("# my settings\nlanguage = \"en\"\n");
    for i in 0..400 {
        writeln!(
            text,
            "# a comment line kept as the user wrote it, number {i}"
        )
        .unwrap();
    }
    text
}

/// Temporary files left beside config.toml.
fn leftovers(home: &Home) -> Vec<String> {
    fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| faults::is_temporary(n))
        .collect()
}

fn add(home: &Home, fault: Fault, name: &str) -> std::process::Output {
    let url = format!("https://feeds.example/{name}.xml");
    home.run(fault, &["feeds", "add", &url, "--name", name])
}

#[test]
fn adding_a_feed_on_a_full_disk_writes_the_whole_file_or_nothing() {
    let home = Home::new();
    fs::write(home.config(), long_config()).unwrap();
    let mut added = BTreeSet::new();
    let mut failed = 0;
    for &cut in CUTS {
        let name = format!("Feed{cut}");
        let before = fs::read_to_string(home.config()).unwrap();
        let o = add(&home, Fault::disk_full_at(cut), &name);
        if o.status.success() {
            assert!(stdout(&o).contains(&format!("added \"{name}\"")), "{o:?}");
            added.insert(name);
        } else {
            failed += 1;
            let err = stderr(&o);
            let shown = home.config().display().to_string();
            assert_eq!(count(&err, "cannot write"), 1, "said once: {err}");
            assert!(err.contains(&shown), "names the file: {err}");
            assert_eq!(
                fs::read_to_string(home.config()).unwrap(),
                before,
                "a failed write left the file as it was"
            );
        }
        assert_eq!(feeds(&home), added, "after a cut at {cut} blocks");
        assert_eq!(
            leftovers(&home),
            Vec::<String>::new(),
            "no temporary file left"
        );
    }
    eprintln!("{failed} of {} cuts failed", CUTS.len());
    assert!(failed > 0, "no cut was small enough to fail");
    assert!(!added.is_empty(), "no cut was large enough to succeed");
    assert!(
        fs::read_to_string(home.config())
            .unwrap()
            .contains("number 399"),
        "the user's lines are kept"
    );
}

/// A change refused for want of permission: said once, naming the file,
/// which still holds `before`.
fn refused(home: &Home, o: &std::process::Output, before: &str) {
    assert!(!o.status.success(), "{o:?}");
    let err = stderr(o);
    assert_eq!(count(&err, "cannot write"), 1, "{err}");
    let shown = home.config().display().to_string();
    assert!(
        err.contains(&shown) && err.contains("ermission denied"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(home.config()).unwrap(), before);
}

#[test]
fn a_read_only_folder_or_file_is_said_and_left_as_it_is() {
    let home = Home::new();
    assert!(add(&home, Fault::NONE, "Kept").status.success());
    let before = fs::read_to_string(home.config()).unwrap();

    // The folder: no temporary file can be made beside the config.
    home.give_away();
    chmod(home.path(), 0o555);
    let o = add(&home, Fault::NONE, "Denied");
    chmod(home.path(), 0o755);
    refused(&home, &o, &before);

    // The file itself: read-only means not to be changed, even though the
    // folder would let a new file be renamed over it.
    home.give_away();
    chmod(&home.config(), 0o444);
    for args in [
        vec![
            "feeds",
            "add",
            "https://feeds.example/x.xml",
            "--name",
            "Denied",
        ],
        vec!["feeds", "remove", "Kept"],
    ] {
        refused(&home, &home.run(Fault::NONE, &args), &before);
    }
    assert!(
        fs::metadata(home.config())
            .unwrap()
            .permissions()
            .readonly(),
        "its mode is kept"
    );
    chmod(&home.config(), 0o644);
    assert_eq!(feeds(&home), BTreeSet::from(["Kept".to_owned()]));
    assert_eq!(leftovers(&home), Vec::<String>::new());
}

#[test]
fn a_folder_for_the_config_file_or_a_file_for_its_folder_is_said() {
    let home = Home::new();
    fs::remove_file(home.config()).unwrap();
    fs::create_dir(home.config()).unwrap();
    fs::write(home.config().join("inside.txt"), "mine").unwrap();
    let o = add(&home, Fault::NONE, "Nowhere");
    assert!(!o.status.success(), "{o:?}");
    let err = stderr(&o);
    assert!(err.contains(&home.config().display().to_string()), "{err}");
    assert!(err.contains("s a directory"), "{err}");
    assert_eq!(
        fs::read_to_string(home.config().join("inside.txt")).unwrap(),
        "mine",
        "the folder is left alone"
    );

    // A file where the config's folder should be.
    let blocker = home.path().join("settings");
    fs::write(&blocker, "a file, not a folder").unwrap();
    let config = blocker.join("config.toml");
    home.give_away();
    let o = faults::command(std::path::Path::new(faults::BIN), Fault::NONE)
        .arg("--config")
        .arg(&config)
        .args(["feeds", "add", "https://feeds.example/y.xml"])
        .env("LANG", "en_US.UTF-8")
        .output()
        .unwrap();
    assert!(!o.status.success(), "{o:?}");
    let err = stderr(&o);
    assert_eq!(count(&err, "aiwatch-tui:"), 1, "said once: {err}");
    assert!(err.contains(&config.display().to_string()), "{err}");
    assert_eq!(
        fs::read_to_string(&blocker).unwrap(),
        "a file, not a folder"
    );
}

/// An OPML file of `n` feeds named `prefix-i`.
fn opml(prefix: &str, n: usize) -> String {
    let mut body = String::new();
    for i in 0..n {
        writeln!(
            body,
            "<outline type=\"rss\" text=\"{prefix}-{i}\" xmlUrl=\"https://feeds.example/{prefix}/{i}.xml\"/>"
        )
        .unwrap();
    }
    format!("<?xml version=\"1.0\"?><opml version=\"2.0\"><head/><body>{body}</body></opml>")
}

#[test]
fn rewriting_the_config_survives_sigkill_at_any_moment() {
    let home = Home::new();
    fs::write(home.config(), long_config()).unwrap();
    let mut now = feeds(&home);
    let mut changed = 0;
    for round in 0..30 {
        let before = now.clone();
        // An import of 40 feeds, an add, a remove of what an earlier round
        // imported: each all or nothing.
        let (args, after): (Vec<String>, BTreeSet<String>) = match round % 3 {
            0 => {
                let file = home.path().join(format!("r{round}.opml"));
                fs::write(&file, opml(&format!("r{round}"), 40)).unwrap();
                let mut after = before.clone();
                after.extend((0..40).map(|i| format!("r{round}-{i}")));
                let args = vec!["feeds".into(), "import".into(), file.display().to_string()];
                (args, after)
            }
            1 => {
                let name = format!("added{round}");
                let mut after = before.clone();
                after.insert(name.clone());
                let url = format!("https://feeds.example/{name}.xml");
                let args = vec!["feeds".into(), "add".into(), url, "--name".into(), name];
                (args, after)
            }
            _ => {
                let Some(victim) = before.iter().next().cloned() else {
                    continue;
                };
                let mut after = before.clone();
                after.remove(&victim);
                (vec!["feeds".into(), "remove".into(), victim], after)
            }
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        home.give_away();
        let child = home
            .command(Fault::NONE, &args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        kill::kill_after_a_while(child, 120);
        now = feeds(&home);
        assert!(
            now == before || now == after,
            "round {round}: a torn rewrite: {now:?}"
        );
        if now == after {
            changed += 1;
        }
        assert!(
            fs::read_to_string(home.config())
                .unwrap()
                .contains("number 399"),
            "the user's lines are kept"
        );
    }
    // Temporary files of killed writers: once old, the next write clears
    // them away (a fresh one may be another process's write in flight).
    let left = leftovers(&home);
    eprintln!(
        "{changed} of 30 rewrites finished before the kill; {} temporary files left",
        left.len()
    );
    for name in &left {
        fs::File::options()
            .write(true)
            .open(home.path().join(name))
            .unwrap()
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
            .unwrap();
    }
    assert!(add(&home, Fault::NONE, "Last").status.success());
    assert_eq!(leftovers(&home), Vec::<String>::new());
}

#[test]
fn several_processes_adding_at_once_lose_no_subscription() {
    let home = Home::new();
    home.give_away();
    let names: Vec<String> = (0..8).map(|i| format!("Together{i}")).collect();
    let children: Vec<_> = names
        .iter()
        .map(|name| {
            let url = format!("https://feeds.example/{name}.xml");
            home.command(Fault::NONE, &["feeds", "add", &url, "--name", name])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut added = BTreeSet::new();
    for (child, name) in children.into_iter().zip(&names) {
        let o = child.wait_with_output().unwrap();
        if o.status.success() {
            added.insert(name.clone());
        } else {
            // A refusal is allowed only when said.
            assert!(!stderr(&o).is_empty(), "{o:?}");
        }
    }
    assert_eq!(added.len(), names.len(), "every add succeeded");
    assert_eq!(feeds(&home), added, "no subscription lost");
    assert_eq!(leftovers(&home), Vec::<String>::new());
}
