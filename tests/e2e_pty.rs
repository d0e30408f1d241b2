//! End to end: the real binary in a real pseudo-terminal. Keys go in as
//! bytes, the screen is rebuilt by a terminal emulator (vt100), and after
//! quitting the terminal must be back to normal: main screen, cursor shown,
//! canonical mode and echo on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::thread;
use std::time::{Duration, Instant};

#[allow(dead_code)] // not every helper is used here
#[path = "common/pty.rs"]
mod pty;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use pty::{Pty, wait_exit};

#[test]
fn filter_move_open_quit_and_the_terminal_is_restored() {
    let home = tempfile::tempdir().unwrap();
    let mut pty = Pty::open(100, 30);
    let mut child = pty.spawn_program(env!("CARGO_BIN_EXE_aiwatch-tui"), &[], home.path());
    pty.wait_for("Showing all actors");
    assert!(
        pty.screen.lock().unwrap().screen().alternate_screen(),
        "the reader draws on the alternate screen"
    );

    pty.send(b"d");
    pty.wait_for("Showing DeepSeek");
    pty.wait_for("Timeline · 5");

    // Top of the timeline, one row down, open it.
    pty.send(b"gj\r");
    pty.wait_for("DeepSeek sends stock markets tumbling");
    pty.wait_for("caused a short but");

    pty.send(b"q");
    let status = wait_exit(&mut child);
    assert!(status.success(), "exit status {status:?}");
    pty.wait_until("the terminal restored", |screen, _| {
        !screen.alternate_screen() && !screen.hide_cursor()
    });
    {
        let parser = pty.screen.lock().unwrap();
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "left the alternate screen");
        assert!(!screen.hide_cursor(), "cursor shown again");
    }

    // The same terminal is back in cooked mode: canonical input and echo.
    pty.raw.lock().unwrap().clear();
    let mut stty = pty.spawn_program("stty", &["-a"], home.path());
    assert!(wait_exit(&mut stty).success());
    pty.wait_until("stty's settings", |_, raw| {
        raw.windows(b"opost".len()).any(|w| w == b"opost")
    });
    let settings = String::from_utf8_lossy(&pty.raw.lock().unwrap()).into_owned();
    let flags: Vec<&str> = settings.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            flags.contains(&flag),
            "{flag} restored; stty said:\n{settings}"
        );
    }
}

#[test]
fn a_bad_config_exits_with_status_2_before_touching_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("bad.toml");
    std::fs::write(&config, "[theme.styles]\nheading = \"#12\"\n").unwrap();
    let pty = Pty::open(100, 30);
    let mut child = pty.spawn_program(
        env!("CARGO_BIN_EXE_aiwatch-tui"),
        &["--config", config.to_str().unwrap()],
        home.path(),
    );
    let status = wait_exit(&mut child);
    assert_eq!(status.exit_code(), 2);
    pty.wait_until("the error", |_, raw| {
        raw.windows(b"expected a colour".len())
            .any(|w| w == b"expected a colour")
    });
    let raw = String::from_utf8_lossy(&pty.raw.lock().unwrap()).into_owned();
    assert!(
        raw.contains(
            "bad.toml:2:11: error: [theme.styles] `heading`: expected a colour as #rrggbb"
        ),
        "{raw}"
    );
    assert!(
        !raw.contains("\u{1b}[?1049h"),
        "the alternate screen was never entered"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let pty = Pty::open(80, 24);
    let mut child = pty.spawn_program(env!("CARGO_BIN_EXE_aiwatch-tui"), &[], home.path());
    pty.wait_for("Showing all actors");
    let pid = child.process_id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // Stopped cleanly, and the status says a signal ended it (128 + 15),
    // as a shell would report it: a script can tell it from a quit.
    assert_eq!(wait_exit(&mut child).exit_code(), 143);
    pty.wait_until("the terminal restored", |screen, _| {
        !screen.alternate_screen() && !screen.hide_cursor()
    });
    let parser = pty.screen.lock().unwrap();
    assert!(!parser.screen().alternate_screen());
    assert!(!parser.screen().hide_cursor());
}

fn write_content(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let root = dir.join("news");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join(name), text).unwrap();
    root
}

#[test]
fn y_copies_the_link_with_osc_52() {
    let home = tempfile::tempdir().unwrap();
    let url = "https://example.org/a/wide-text";
    let root = write_content(
        home.path(),
        "a.toml",
        &format!(
            "title = \"T\"\npublished = 2025-01-02\nurl = \"{url}\"\n[[section]]\nheading = \"With a link\"\nbody = \"Text.\"\n"
        ),
    );
    let mut pty = Pty::open(100, 30);
    let mut child = pty.spawn_program(
        env!("CARGO_BIN_EXE_aiwatch-tui"),
        &["--content", root.to_str().unwrap()],
        home.path(),
    );
    pty.wait_for("With a link");
    pty.send(b"y");
    pty.wait_for("Link copied (");
    let raw = String::from_utf8_lossy(&pty.raw.lock().unwrap()).into_owned();
    let expected = format!(
        "\u{1b}]52;c;{}\u{1b}\\",
        aiwatch_tui::runtime::osc::base64(url.as_bytes())
    );
    assert!(
        raw.contains(&expected),
        "no OSC 52 with the URL in the output"
    );
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
}

#[test]
fn hostile_strings_never_reach_the_terminal_as_sequences() {
    let home = tempfile::tempdir().unwrap();
    // Written as TOML escapes, as TOML requires; they decode to real ESC, BEL, C1.
    let nasty =
        r"\u001b]0;pwned\u0007\u001b[6n\u001b]52;c;SGVsbG8=\u0007\u009b2J\u0090q\u001bP+q\u001b\\";
    let root = write_content(
        home.path(),
        "a.toml",
        &format!(
            "title = \"T{nasty}\"\nsource = \"S{nasty}\"\npublished = 2025-01-02\nactors = [\"A{nasty}\"]\ntopics = [\"X{nasty}\"]\n\
             [[section]]\nheading = \"Hostile {nasty}\"\nbody = \"\"\"\nB{nasty}\n\n- I{nasty}\n\"\"\"\n"
        ),
    );
    std::fs::write(root.join("bad\u{1b}]0;pwned\u{7}.toml"), "title = ").unwrap();
    let mut pty = Pty::open(120, 40);
    let mut child = pty.spawn_program(
        env!("CARGO_BIN_EXE_aiwatch-tui"),
        &["--content", root.to_str().unwrap()],
        home.path(),
    );
    pty.wait_for("Hostile");
    pty.send(b"\r!");
    pty.wait_for("Load problems");
    // Esc alone (a following byte would make it Alt+key), then quit.
    pty.send(b"\x1b");
    thread::sleep(Duration::from_millis(300));
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    pty.wait_until("the terminal restored", |screen, _| {
        !screen.alternate_screen()
    });
    let raw = pty.raw.lock().unwrap().clone();
    let contains = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    for needle in [
        &b"\x1b]0;pwned"[..],
        b"\x1b[6n",
        b"\x1b]52;c;SGVsbG8=",
        b"\x1bP+q",
        b"\x07",
        "\u{9b}".as_bytes(),
        "\u{90}".as_bytes(),
    ] {
        assert!(
            !contains(needle),
            "{:?} reached the terminal",
            String::from_utf8_lossy(needle)
        );
    }
    // What was drawn instead: visible symbols.
    assert!(contains("Hostile \u{241b}]0;pwned\u{2407}".as_bytes()));
}

/// Closing the terminal (the master side of the pty) is a hang-up: the
/// reader must leave quickly, also when SIGHUP is ignored (crossterm
/// issue 793 makes its reader spin there), and never keep running.
#[rstest::rstest]
#[case::plain(false, 0)]
#[case::sighup_ignored(true, 0)]
// A first run over many files: the sync's progress is being drawn when
// the terminal goes, so a frame fails before the hang-up is read.
#[case::while_a_sync_draws_progress(false, 600)]
fn a_terminal_that_goes_away_ends_the_reader(#[case] ignore_hup: bool, #[case] files: usize) {
    let home = tempfile::tempdir().unwrap();
    let content = home.path().join("news");
    for i in 0..files {
        write_content(
            home.path(),
            &format!("f{i:04}.toml"),
            &format!(
                "title = \"T{i}\"\npublished = 2025-01-02\n[[section]]\nheading = \"Heading {i}\"\nbody = \"Some text for file {i}.\"\n"
            ),
        );
    }
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let binary = env!("CARGO_BIN_EXE_aiwatch-tui");
    // Its stderr goes to a file, as a reader started from a script or a
    // service would have it: what it says there on the way out is looked
    // at below.
    let stderr = home.path().join("stderr.txt");
    let trap = if ignore_hup { "trap '' HUP; " } else { "" };
    let mut cmd = CommandBuilder::new("sh");
    cmd.args([
        "-c",
        &format!("{trap}exec \"$0\" \"$@\" 2>\"$AIWATCH_TEST_STDERR\""),
        binary,
    ]);
    cmd.env("AIWATCH_TEST_STDERR", &stderr);
    if files > 0 {
        cmd.args(["--content", content.to_str().unwrap()]);
    }
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home.path());
    cmd.env("XDG_CONFIG_HOME", home.path().join("config"));
    cmd.env("XDG_STATE_HOME", home.path().join("state"));
    cmd.env("XDG_DATA_HOME", home.path().join("data"));
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    // Hang up only once it catches SIGHUP (a hang-up before that kills it
    // as it would any program, with nothing to save): on a loaded machine
    // that can take longer than any fixed pause. Then let it draw its
    // first frame (nobody reads; the pty buffer holds it).
    wait_until_catching_sighup(&mut child);
    thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "running before the hang-up"
    );
    drop(pair.master);
    drop(pair.slave);
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "still running 3 s after the terminal went away"
        );
        thread::sleep(Duration::from_millis(50));
    }
    // It saved its state on the way out (into the library store): nothing is lost.
    let state = stored_state(home.path());
    assert!(
        state.view.unwrap().section.is_some(),
        "the open section was remembered"
    );
    // Whatever it said on stderr is its own formatted lines: no stray
    // "Failed to show the cursor" from ratatui's terminal, which tried to
    // show the cursor on a terminal that was gone.
    let said = std::fs::read_to_string(&stderr).unwrap();
    assert!(
        said.lines().all(|line| line.starts_with("aiwatch-tui: ")),
        "{said}"
    );
}

/// Waits until the process has its SIGHUP handler (Linux shows caught
/// signals in /proc); elsewhere a pause long enough on a quiet machine.
fn wait_until_catching_sighup(child: &mut Box<dyn portable_pty::Child + Send + Sync>) {
    let Some(pid) = child.process_id() else {
        thread::sleep(Duration::from_millis(800));
        return;
    };
    let status = format!("/proc/{pid}/status");
    if !std::path::Path::new(&status).exists() {
        thread::sleep(Duration::from_millis(800));
        return;
    }
    let start = Instant::now();
    loop {
        let caught = std::fs::read_to_string(&status).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("SigCgt:"))
                .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        });
        // SIGHUP is signal 1: the mask's lowest bit.
        if caught.is_some_and(|mask| mask & 1 == 1) {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "ended before it was ready"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never caught SIGHUP"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// The reading state in the home's library store.
fn stored_state(home: &std::path::Path) -> aiwatch_tui::store::SavedState {
    let path = home.join("data/aiwatch-tui/library.sqlite");
    let mut store = aiwatch_tui::library_store::LibraryStore::open(&path)
        .unwrap()
        .store;
    store.load_state().unwrap().expect("a state was saved")
}

#[test]
fn links_become_osc_8_hyperlinks_when_asked_for() {
    let home = tempfile::tempdir().unwrap();
    let url = "https://example.org/a/linked";
    let root = write_content(
        home.path(),
        "a.toml",
        &format!(
            "title = \"T\"\npublished = 2025-01-02\nurl = \"{url}\"\n[[section]]\nheading = \"Linked\"\nbody = \"Text.\"\n"
        ),
    );
    let config = home.path().join("links.toml");
    std::fs::write(&config, "links = \"always\"\n").unwrap();
    let mut pty = Pty::open(100, 30);
    let args = [
        "--content",
        root.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ];
    let mut child = pty.spawn_program(env!("CARGO_BIN_EXE_aiwatch-tui"), &args, home.path());
    pty.wait_for("Linked");
    pty.wait_for(url);
    thread::sleep(Duration::from_millis(200));
    let raw = String::from_utf8_lossy(&pty.raw.lock().unwrap()).into_owned();
    assert!(
        raw.contains(&format!(";{url}\u{1b}\\{url}\u{1b}]8;;\u{1b}\\")),
        "no OSC 8 hyperlink around the URL"
    );
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
}

#[test]
fn an_unreadable_state_file_is_moved_aside_with_a_notice() {
    let home = tempfile::tempdir().unwrap();
    let state_dir = home.path().join("state/aiwatch-tui");
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::write(state_dir.join("state.json"), "{\"read\": [\"trunc").unwrap();
    let mut pty = Pty::open(160, 30);
    let mut child = pty.spawn_program(env!("CARGO_BIN_EXE_aiwatch-tui"), &[], home.path());
    pty.wait_for("could not be read");
    let moved: Vec<String> = std::fs::read_dir(&state_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("state.json.corrupt-"))
        .collect();
    assert_eq!(moved.len(), 1, "the bad file was kept aside");
    assert_eq!(
        std::fs::read_to_string(state_dir.join(&moved[0])).unwrap(),
        "{\"read\": [\"trunc"
    );
    pty.send(b"s");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    assert_eq!(
        stored_state(home.path()).starred.len(),
        1,
        "a fresh state was saved on quit"
    );
}

/// A paste in the local terminal is text, as over SSH: into the search
/// line after `/`, its `q` no command; bracketed paste is turned off again
/// on the way out.
#[test]
fn a_paste_goes_into_the_search_line() {
    let home = tempfile::tempdir().unwrap();
    let mut pty = Pty::open(100, 30);
    let mut child = pty.spawn_program(env!("CARGO_BIN_EXE_aiwatch-tui"), &[], home.path());
    pty.wait_for("Showing all actors");
    pty.send(b"/");
    pty.send(b"\x1b[200~musk q\x1b[201~");
    pty.wait_for("/musk q");
    pty.send(b"\x1b");
    thread::sleep(Duration::from_millis(200));
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    pty.wait_until("bracketed paste turned off", |_, raw| {
        raw.windows(8).any(|w| w == b"\x1b[?2004l")
    });
    let raw = pty.raw.lock().unwrap().clone();
    let has = |seq: &[u8]| raw.windows(seq.len()).any(|w| w == seq);
    assert!(has(b"\x1b[?2004h"), "bracketed paste turned on");
    assert!(has(b"\x1b[?2004l"), "bracketed paste turned off again");
}

/// The reader on the repository's English edition with its store, held
/// before its library is read until `gate` exists (see `main.rs`).
fn start_gated(pty: &Pty, home: &std::path::Path) -> Box<dyn portable_pty::Child + Send + Sync> {
    let content = concat!(env!("CARGO_MANIFEST_DIR"), "/content/en");
    let gate = home.join("gate");
    pty.spawn(
        &["--content", content],
        home,
        &[("AIWATCH_TUI_TEST_LIBRARY_GATE", gate.to_str().unwrap())],
    )
}

/// Waits until the reader is held before its library, then says whether
/// it painted a screen meanwhile (the terminal in the alternate screen
/// with text on it), and lets it go on.
fn held_then_released(pty: &Pty, home: &std::path::Path) -> Option<String> {
    let (gate, waiting) = (home.join("gate"), home.join("gate.waiting"));
    pty.wait_until("the reader held before its library", |_, _| {
        waiting.exists()
    });
    // What it wrote before it was held may still be on its way.
    pty.settle();
    let painted = {
        let parser = pty.screen.lock().unwrap();
        let screen = parser.screen();
        (screen.alternate_screen() && !screen.contents().trim().is_empty())
            .then(|| screen.contents())
    };
    std::fs::remove_file(&waiting).unwrap();
    std::fs::write(&gate, b"").unwrap();
    painted
}

/// A first run reads every content file before its first frame: it says
/// so meanwhile, instead of a blank terminal, and the reader follows.
#[test]
fn a_first_run_says_it_reads_the_content_folders_before_its_first_frame() {
    let home = tempfile::tempdir().unwrap();
    let mut pty = Pty::open(100, 30);
    let mut child = start_gated(&pty, home.path());
    let painted = held_then_released(&pty, home.path()).expect("a screen painted while reading");
    assert!(painted.contains("Reading the content folders"), "{painted}");
    assert!(painted.contains("later starts open at once"), "{painted}");
    pty.wait_for("Showing all actors");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    // The store made, the next start reads it: nothing said then.
    std::fs::remove_file(home.path().join("gate")).unwrap();
    let mut pty = Pty::open(100, 30);
    let mut child = start_gated(&pty, home.path());
    let painted = held_then_released(&pty, home.path());
    assert!(
        painted
            .as_ref()
            .is_none_or(|p| !p.contains("Reading the content folders")),
        "{painted:?}"
    );
    pty.wait_for("Showing all actors");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
}

/// The screen after the first `frames` synchronized updates of `raw`.
fn after_frames(raw: &[u8], frames: usize, cols: u16, rows: u16) -> Option<String> {
    const END: &[u8] = b"\x1b[?2026l";
    let mut parser = vt100::Parser::new(rows.try_into().unwrap(), cols.try_into().unwrap(), 0);
    let mut seen = 0;
    let mut from = 0;
    while seen < frames {
        let at = raw[from..].windows(END.len()).position(|w| w == END)? + from + END.len();
        parser.process(&raw[from..at]);
        from = at;
        seen += 1;
    }
    Some(parser.screen().contents_formatted())
}

/// A change to what decides the first frame (`the_first_screen_kept_...`).
type Change = fn(&std::path::Path);

/// A home whose store holds the English edition and whose cache holds
/// the first screen a start at 100 x 30 kept; the kept file's path.
fn home_with_a_kept_screen() -> (tempfile::TempDir, std::path::PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let (gate, kept) = (
        home.path().join("gate"),
        home.path().join(".cache/aiwatch-tui/first-screen.bin"),
    );
    // The store built whole (`list` syncs before it lists), then a start
    // whose sync writes the index image (a commit of another connection:
    // nothing kept), then one that keeps its first screen for the next
    // (its sync finds nothing to do and commits nothing).
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
        .args([
            "--content",
            concat!(env!("CARGO_MANIFEST_DIR"), "/content/en"),
            "list",
        ])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    let store = home.path().join("data/aiwatch-tui/library.sqlite");
    let has_image = || {
        rusqlite::Connection::open(&store)
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM meta WHERE key = 'index_image'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
            })
            .is_ok_and(|n| n > 0)
    };
    // (A start whose sync still runs when it quits keeps nothing either:
    // started again until one keeps, as a user would.)
    for round in 0..10 {
        if kept.exists() {
            break;
        }
        std::fs::write(&gate, b"").unwrap();
        let pty = Pty::open(100, 30);
        let mut child = start_gated(&pty, home.path());
        pty.wait_for("Showing all actors");
        // The first start's sync writes the image before it quits.
        pty.wait_until("the index image written", |_, _| has_image());
        let mut pty = pty;
        pty.send(b"jj");
        pty.send(b"q");
        assert!(wait_exit(&mut child).success());
        assert!(
            round > 0 || !kept.exists(),
            "the image written: nothing kept"
        );
    }
    assert!(kept.exists(), "a first screen kept");
    (home, kept)
}

#[test]
fn the_first_screen_kept_at_quit_is_painted_before_the_library_and_equals_the_live_one() {
    let (home, _) = home_with_a_kept_screen();
    let gate = home.path().join("gate");
    // Held before its library, the next start shows that screen, and a key
    // pressed then is answered once the library is read.
    std::fs::remove_file(&gate).unwrap();
    let mut pty = Pty::open(100, 30);
    let mut child = start_gated(&pty, home.path());
    pty.wait_until("the reader held before its library", |_, _| {
        home.path().join("gate.waiting").exists()
    });
    pty.send(b"?");
    let painted = held_then_released(&pty, home.path()).expect("the kept screen painted");
    assert!(painted.contains("Showing all actors"), "{painted}");
    pty.wait_until("the key answered (help open)", |screen, _| {
        screen.contents() != painted
    });
    pty.send(b"\x1b");
    pty.wait_until("help closed", |screen, _| screen.contents() == painted);
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    // The live first frame (the second synchronized update) changed no
    // cell of the painted one (the first).
    let raw = pty.raw();
    let painted_cells = after_frames(&raw, 1, 100, 30).unwrap();
    let live_cells = after_frames(&raw, 2, 100, 30).unwrap();
    assert_eq!(
        painted_cells, live_cells,
        "the painted screen is the live first frame"
    );
}

#[test]
fn a_kept_first_screen_is_not_painted_when_anything_that_decides_it_changed() {
    let (home, kept) = home_with_a_kept_screen();
    let gate = home.path().join("gate");
    // Anything that decides the first frame changed: nothing painted.
    let changes: [(&str, u16, Change); 5] = [
        ("nothing", 100, |_| {}),
        ("the size", 90, |_| {}),
        ("the config", 100, |home| {
            let dir = home.join("config/aiwatch-tui");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("config.toml"), "# edited\n").unwrap();
        }),
        ("the store (another process)", 100, |home| {
            let store =
                rusqlite::Connection::open(home.join("data/aiwatch-tui/library.sqlite")).unwrap();
            store
                .execute("INSERT OR IGNORE INTO stars (key) VALUES ('elsewhere')", [])
                .unwrap();
        }),
        ("a garbage file", 100, |home| {
            let kept = home.join(".cache/aiwatch-tui/first-screen.bin");
            std::fs::write(kept, b"AWFIRST\0junk").unwrap();
        }),
    ];
    for (what, cols, change) in changes {
        // Starts at 100 columns until one keeps a screen, then the change.
        let _ = std::fs::remove_file(&kept);
        let primes = std::iter::repeat_n((100, None), 10);
        for (cols, change) in primes.chain([(cols, Some(change))]) {
            if change.is_none() && kept.exists() {
                continue;
            }
            if let Some(change) = change {
                assert!(kept.exists(), "a first screen kept before: {what}");
                change(home.path());
            }
            let _ = std::fs::remove_file(&gate);
            let mut pty = Pty::open(cols, 30);
            let mut child = start_gated(&pty, home.path());
            let painted = held_then_released(&pty, home.path());
            pty.wait_for("Showing all actors");
            pty.send(b"q");
            assert!(wait_exit(&mut child).success());
            if change.is_some() {
                assert_eq!(painted.is_some(), what == "nothing", "changed: {what}");
            }
        }
    }
}

/// A terminal past the reader's bound (`runtime::local::MAX_SIZE`,
/// 1000 x 500) is drawn at the bound, said once on the status line, and
/// the reader answers keys as usual.
#[rstest::rstest]
#[case(1001, 24, "1000x24")]
#[case(300, 501, "300x500")]
fn a_terminal_past_the_bound_is_drawn_at_the_bound_and_said(
    #[case] cols: u16,
    #[case] rows: u16,
    #[case] shown: &str,
) {
    let home = tempfile::tempdir().unwrap();
    let mut pty = Pty::open(cols, rows);
    let mut child = pty.spawn_program(env!("CARGO_BIN_EXE_aiwatch-tui"), &[], home.path());
    pty.wait_for(&format!(
        "Your terminal is larger than the reader draws: shown at {shown}."
    ));
    {
        let parser = pty.screen.lock().unwrap();
        let screen = parser.screen();
        // Nothing drawn past the bound: the last column (or row) is blank.
        let (w, h) = shown.split_once('x').unwrap();
        let (w, h): (u16, u16) = (w.parse().unwrap(), h.parse().unwrap());
        if cols > w {
            let column: String = (0..rows)
                .map(|y| screen.contents_between(y, w, y, cols))
                .collect();
            assert!(column.trim().is_empty(), "{column:?}");
        }
        if rows > h {
            assert!(
                screen
                    .contents_between(h, 0, rows - 1, cols)
                    .trim()
                    .is_empty()
            );
        }
    }
    pty.send(b"d");
    pty.wait_for("Showing DeepSeek");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
}

/// Output on a terminal but input from a file or a pipe: said, status 2,
/// the terminal never touched (as for output that is no terminal).
#[rstest::rstest]
#[case::dev_null("exec \"$0\" < /dev/null")]
#[case::pipe("echo | \"$0\"")]
fn input_that_is_no_terminal_is_refused_with_status_2(#[case] script: &str) {
    let home = tempfile::tempdir().unwrap();
    let pty = Pty::open(80, 24);
    let mut child = pty.spawn_program(
        "sh",
        &["-c", script, env!("CARGO_BIN_EXE_aiwatch-tui")],
        home.path(),
    );
    assert_eq!(wait_exit(&mut child).exit_code(), 2);
    pty.wait_until("the message", |_, raw| {
        raw.windows(b"the reader needs one".len())
            .any(|w| w == b"the reader needs one")
    });
    let raw = String::from_utf8_lossy(&pty.raw.lock().unwrap()).into_owned();
    assert!(
        raw.contains("aiwatch-tui: standard input is not a terminal; the reader needs one"),
        "{raw}"
    );
    assert!(
        !raw.contains("\u{1b}[?1049h"),
        "the alternate screen was never entered"
    );
}

/// The state letter of a process (`T` when stopped), from /proc.
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

fn wait_for_state(pid: u32, wanted: char) {
    let start = Instant::now();
    while process_state(pid) != Some(wanted) {
        assert!(
            start.elapsed() < pty::TIMEOUT,
            "process never in state {wanted}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// The reader started on a pty, its first screen drawn; `None` where
/// processes cannot be watched (no /proc).
fn reader_for_job_control() -> Option<(
    tempfile::TempDir,
    Pty,
    Box<dyn portable_pty::Child + Send + Sync>,
)> {
    if !std::path::Path::new("/proc/self/stat").exists() {
        return None;
    }
    let home = tempfile::tempdir().unwrap();
    let pty = Pty::open(100, 30);
    let child = pty.spawn_program(env!("CARGO_BIN_EXE_aiwatch-tui"), &[], home.path());
    pty.wait_for("Showing all actors");
    Some((home, pty, child))
}

fn send_signal(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Ctrl-Z (a key in raw mode) and SIGTSTP suspend the reader as job
/// control does: the terminal is given back (main screen, cursor shown,
/// cooked mode) before the process stops; on SIGCONT (`fg`) it is taken
/// again, drawn whole, and keys work.
#[rstest::rstest]
#[case::ctrl_z(true)]
#[case::sigtstp(false)]
fn suspend_gives_the_terminal_back_and_fg_draws_it_again(#[case] key: bool) {
    let Some((_home, mut pty, mut child)) = reader_for_job_control() else {
        return;
    };
    let pid = child.process_id().unwrap();
    for round in 0..2 {
        if key {
            pty.send(b"\x1a");
        } else {
            send_signal(pid, "-TSTP");
        }
        wait_for_state(pid, 'T');
        // Written before it stopped (what it wrote may still be on its way).
        pty.wait_until(
            &format!("the terminal given back (round {round})"),
            |screen, _| !screen.alternate_screen() && !screen.hide_cursor(),
        );
        let modes = pty.local_modes();
        for mode in ["ICANON", "ECHO", "ISIG"] {
            assert!(modes.iter().any(|m| m == mode), "{mode} on: {modes:?}");
        }
        pty.raw.lock().unwrap().clear();
        send_signal(pid, "-CONT");
        // Taken again and drawn whole on a cleared screen.
        pty.wait_until("the reader drawn again", |screen, _| {
            screen.alternate_screen() && screen.contents().contains("Showing all actors")
        });
        assert!(
            !pty.local_modes().iter().any(|m| m == "ICANON"),
            "raw again"
        );
    }
    pty.send(b"d");
    pty.wait_for("Showing DeepSeek");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
}

/// Stopped by a signal it cannot catch (`kill -STOP`), the reader keeps
/// the terminal (nothing can run meanwhile); continued, it takes the
/// terminal again (a shell may have put it in cooked mode and written
/// over the screen) and draws it whole.
#[test]
fn continued_after_a_stop_it_did_not_make_the_reader_draws_whole_again() {
    let Some((_home, mut pty, mut child)) = reader_for_job_control() else {
        return;
    };
    let pid = child.process_id().unwrap();
    send_signal(pid, "-STOP");
    wait_for_state(pid, 'T');
    pty.raw.lock().unwrap().clear();
    send_signal(pid, "-CONT");
    // Cleared and drawn whole: the header's actor keys come again.
    pty.wait_until("the screen drawn again", |screen, raw| {
        raw.windows(4).any(|w| w == b"\x1b[2J") && screen.contents().contains("Showing all actors")
    });
    assert!(!pty.local_modes().iter().any(|m| m == "ICANON"), "raw mode");
    pty.send(b"d");
    pty.wait_for("Showing DeepSeek");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
}
