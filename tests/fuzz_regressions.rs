//! Every input a fuzz target once failed on (fuzz/regressions/TARGET/*)
//! replayed through the same check (`aiwatch_tui::fuzzing`) under stable
//! `cargo test`, so CI keeps them fixed without nightly or libFuzzer.

#![allow(clippy::unwrap_used)] // a test fails loudly

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let data = std::fs::read(&path).unwrap_or_default();
        eprintln!("replaying {}", path.display());
        check(&data);
    }
}

/// The bundled edition's files, as seeds the checks must pass.
fn bundled_files() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("content")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                files.push(std::fs::read(path).unwrap());
            }
        }
    }
    assert!(!files.is_empty());
    files
}

#[test]
fn content_file() {
    for file in bundled_files() {
        aiwatch_tui::fuzzing::content_file(&file);
    }
    aiwatch_tui::fuzzing::content_file(
        b"title = \"a\x1b[31m\"\n[[section]]\nheading = \"\\u001b\"\n",
    );
    replay("content_file", aiwatch_tui::fuzzing::content_file);
}

#[test]
fn config_file() {
    let built_in =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml")).unwrap();
    aiwatch_tui::fuzzing::config_file(&built_in);
    aiwatch_tui::fuzzing::config_file(b"[keys]\nquit = [\"Ctrl-C\", \"shift-1\"]\nbogus = 1\n");
    replay("config_file", aiwatch_tui::fuzzing::config_file);
}

#[test]
fn key_name() {
    for name in [
        "q",
        "G",
        "ctrl-c",
        "alt-x",
        "shift-up",
        "space",
        "minus",
        "f5",
        "ctrl-shift-c",
        "s-1",
    ] {
        aiwatch_tui::fuzzing::key_name(name.as_bytes());
    }
    replay("key_name", aiwatch_tui::fuzzing::key_name);
}

#[test]
fn ssh_input() {
    for cuts in 0..=255u8 {
        let mut data = vec![cuts];
        data.extend_from_slice(
            b"j\x1b[A\x1b\x1b[200~pa\x1bste\x1b[201~\x1b[<0;3;4M\xc3\xa9\x1bq\x1b",
        );
        aiwatch_tui::fuzzing::ssh_input(&data);
    }
    replay("ssh_input", aiwatch_tui::fuzzing::ssh_input);
}

#[test]
fn reader() {
    for file in bundled_files().iter().take(3) {
        let mut data = file.clone();
        data.extend_from_slice(b"\0xjjmd/ko\xf4\xf0\x05\x03\xf0\xff\x30\xf1\xf2?\xf3\xf6\xf7\xf6!");
        aiwatch_tui::fuzzing::reader(&data);
    }
    replay("reader", aiwatch_tui::fuzzing::reader);
}

#[test]
fn store_file() {
    for data in [&b""[..], b"not a database", b"SQLite format 3\0"] {
        aiwatch_tui::fuzzing::store_file(data);
    }
    replay("store_file", aiwatch_tui::fuzzing::store_file);
}

/// The feed fixtures, each under every charset the check's first byte picks.
#[test]
fn feed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml" || e == "opml") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        for pick in 0..8u8 {
            let mut data = vec![pick];
            data.extend_from_slice(&body);
            aiwatch_tui::fuzzing::feed(&data);
        }
        seen += 1;
    }
    assert!(seen >= 5, "the feed fixtures are there");
    replay("feed", aiwatch_tui::fuzzing::feed);
}

#[test]
fn opml() {
    let fixture = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds/subscriptions.opml"),
    )
    .unwrap();
    aiwatch_tui::fuzzing::opml(&fixture);
    aiwatch_tui::fuzzing::opml(
        b"<opml><body><outline text=\"T&amp;x\"><outline xmlUrl=\"HTTP://Ex.org/a b\" category=\"/a/,b\"/></outline></body></opml>",
    );
    replay("opml", aiwatch_tui::fuzzing::opml);
}

/// The fuzzer's seeds (scripts/fuzz.sh), their every cut, and a few near misses.
#[test]
fn proxy_header() {
    let mut v2 = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0f".to_vec();
    v2.extend_from_slice(&[203, 0, 113, 7, 10, 0, 0, 1, 0xc8, 0x22, 0x08, 0xae, 4, 0, 0]);
    v2.extend_from_slice(b"SSH-2.0-x\r\n");
    let seeds: [&[u8]; 8] = [
        b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\r\nSSH-2.0-x\r\n",
        b"PROXY TCP6 2001:db8::7 2001:db8::1 443 2222\r\nSSH-2.0-x\r\n",
        b"PROXY UNKNOWN\r\nSSH-2.0-x\r\n",
        &v2,
        b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00SSH-2.0-x\r\n",
        b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\rSSH-2.0-x\r\n",
        b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x02\x01",
        b"SSH-2.0-PROXY \r\n",
    ];
    for seed in seeds {
        for cut in 0..=seed.len() {
            aiwatch_tui::fuzzing::proxy_header(&seed[..cut]);
        }
    }
    replay("proxy_header", aiwatch_tui::fuzzing::proxy_header);
}
