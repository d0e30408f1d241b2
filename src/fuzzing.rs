//! The checks the fuzz targets (`fuzz/`) run on each input, kept in the
//! library so that `tests/fuzz_regressions.rs` replays every input that
//! once failed through the very same code under stable `cargo test`.
//! A check fails the way the fuzzer sees it: by panicking.
//! Each check asserts more than "no panic": what it can say about the
//! output (terminal-safe text, positions inside the input, round trips).

#![allow(clippy::panic, clippy::missing_panics_doc)] // each check panics when it fails: that is how libFuzzer and the replay test see it

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::{App, Context, Effect};
use crate::config::Config;
use crate::content::Library;
use crate::content::parse::parse_article;
use crate::diag::{Diagnostic, SourceText};
use crate::input::{Input, Key, KeyCode};
use crate::serve::decode::Decoder;
use crate::text::is_control;

/// Every located diagnostic points inside `text` (a line that exists, a
/// column within it or just past its end).
fn assert_located_inside(diagnostics: &[Diagnostic], path: &str, text: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    for d in diagnostics.iter().filter(|d| d.path == path) {
        let Some((line, col)) = d.position else {
            continue;
        };
        let line = line as usize;
        let col = col as usize;
        assert!(
            (1..=lines.len()).contains(&line),
            "line {line} outside 1..={}: {d:?}",
            lines.len()
        );
        let width = lines[line - 1].chars().count();
        assert!(
            (1..=width + 1).contains(&col),
            "column {col} outside 1..={} on line {line}: {d:?}",
            width + 1
        );
    }
}

fn assert_terminal_safe(what: &str, text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| is_control(c) || c == '\t' || c == '\r'),
        "{what} holds a control character: {text:?}"
    );
}

/// A content file: parsed with located diagnostics, and every string that
/// reaches the screen free of control characters.
pub fn content_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_article(&SourceText::new("fuzz.toml", text), "fuzz");
    assert_located_inside(&parsed.diagnostics, "fuzz.toml", text);
    let Some(article) = parsed.article else {
        assert!(
            parsed.diagnostics.iter().any(Diagnostic::is_error),
            "a file without an article says why"
        );
        return;
    };
    for (what, s) in [
        ("title", Some(&article.title)),
        ("id", Some(&article.id)),
        ("lang", Some(&article.lang)),
        ("source", article.source.as_ref()),
        ("url", article.url.as_ref()),
    ] {
        if let Some(s) = s {
            assert_terminal_safe(what, s);
        }
    }
    for section in &article.sections {
        assert_terminal_safe("heading", &section.heading);
        for tag in section.actors.iter().chain(&section.topics) {
            assert_terminal_safe("tag", tag);
        }
        for block in &section.body {
            assert_terminal_safe("body", block.text());
        }
    }
}

/// A user's config.toml over the built-in one: an error or a config, each
/// problem located inside the file.
pub fn config_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = "fuzz/config.toml";
    match Config::load(Some((path, text))) {
        Ok(config) => assert_located_inside(&config.warnings, path, text),
        Err(diagnostics) => {
            assert!(diagnostics.iter().any(Diagnostic::is_error));
            assert_located_inside(&diagnostics, path, text);
        }
    }
}

/// A key name as written in config.toml: a name that parses is printed
/// back as one that parses to the same key.
pub fn key_name(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = Key::parse(text) {
        let name = crate::config::keymap::config_name(key);
        assert_eq!(
            Key::parse(&name).ok(),
            Some(key),
            "{text:?} printed as {name:?}"
        );
    }
}

/// Bytes from an SSH client: however they are cut into reads, the same
/// inputs come out, and no paste is longer than the cap.
pub fn ssh_input(data: &[u8]) {
    let Some((&cuts, bytes)) = data.split_first() else {
        return;
    };
    let mut whole = Decoder::default();
    let mut expected = whole.feed(bytes);
    expected.extend(whole.flush());

    // Reads of 1 to 8 bytes, their lengths taken from the first byte.
    let mut pieces = Decoder::default();
    let mut got = Vec::new();
    let mut rest = bytes;
    let mut step = usize::from(cuts);
    while !rest.is_empty() {
        let n = (step % 8 + 1).min(rest.len());
        step = step / 3 + usize::from(rest[0]);
        got.extend(pieces.feed(&rest[..n]));
        rest = &rest[n..];
    }
    got.extend(pieces.flush());
    assert_eq!(got, expected, "inputs depend on how the bytes were cut");
    for input in &got {
        if let Input::Paste(text) = input {
            assert!(text.len() <= crate::serve::decode::MAX_PASTE);
        }
    }
}

/// The whole reader on one hostile content file: keys, pastes and sizes
/// from the input, every frame drawn, and no cell holding a control
/// character.
pub fn reader(data: &[u8]) {
    // The first half (up to a NUL) is the content file, the rest drives it.
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (file, script) = data.split_at(split);
    let Ok(text) = std::str::from_utf8(file) else {
        return;
    };
    let Ok(config) = Config::built_in() else {
        return;
    };
    let parsed = parse_article(&SourceText::new("fuzz.toml", text), "fuzz");
    let library = Library::build(
        [("fuzz.toml", parsed)],
        Vec::new(),
        &config.actor_directory(),
    );
    let mut app = App::new(Context::new(library, config), "en");
    let mut size = (80u16, 24u16);
    let mut terminal =
        Terminal::new(TestBackend::new(size.0, size.1)).unwrap_or_else(|e| match e {});
    let mut timers = Vec::new();
    let mut inputs = vec![Input::Resize(size.0, size.1)];
    // At most 400 steps: a frame per step, and a longer script finds
    // nothing a shorter one does not (it only times the fuzzer out).
    let mut bytes = script.iter().skip(1).take(400).copied();
    while let Some(b) = bytes.next() {
        inputs.push(match b {
            0xf0 => {
                let w = u16::from(bytes.next().unwrap_or(0)) + 1;
                let h = u16::from(bytes.next().unwrap_or(0)) % 80 + 1;
                size = (w, h);
                Input::Resize(w, h)
            }
            0xf1 => Input::Paste(String::from_utf8_lossy(&script[..script.len().min(300)]).into()),
            0xf2 => match timers.pop() {
                Some(token) => Input::Timer(token),
                None => continue,
            },
            0xf3 => Input::Key(Key::new(KeyCode::Esc, false, false, false)),
            0xf4 => Input::Key(Key::new(KeyCode::Enter, false, false, false)),
            0xf5 => Input::Key(Key::new(KeyCode::Backspace, false, false, false)),
            0xf6 => Input::Key(Key::new(KeyCode::Down, false, false, false)),
            0xf7 => Input::Key(Key::new(KeyCode::Tab, false, false, false)),
            b => Input::Key(Key::new(KeyCode::Char(char::from(b)), false, false, false)),
        });
        for input in inputs.drain(..) {
            for effect in app.handle(input) {
                match effect {
                    Effect::Quit => return,
                    Effect::Timer { token, .. } => timers.push(token),
                    _ => {}
                }
            }
        }
        if terminal.backend().buffer().area.width != size.0
            || terminal.backend().buffer().area.height != size.1
        {
            terminal.backend_mut().resize(size.0, size.1);
        }
        let drawn = terminal.draw(|f| crate::view::draw(&app, f));
        assert!(drawn.is_ok(), "drawing into a test backend: {drawn:?}");
        for cell in terminal.backend().buffer().content() {
            assert_terminal_safe("a cell", cell.symbol());
        }
    }
}

/// Arbitrary bytes as the library store file: a file this build must not
/// touch (newer schema, another program's database) keeps every byte and
/// gains no sidecar; one that is no database is moved aside whole, a
/// damaged database moved aside as a database; otherwise the store opens
/// and works.
pub fn store_file(data: &[u8]) {
    use crate::library_store::{LibraryStore, StoreError};
    let dir = std::env::temp_dir().join(format!("aiwatch-fuzz-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let path = dir.join("library.sqlite");
    assert!(std::fs::write(&path, data).is_ok());
    let sidecars = |p: &std::path::Path| {
        ["-wal", "-shm"]
            .iter()
            .any(|s| dir.join(format!("{}{s}", p.display())).exists())
    };
    let actors = crate::content::ActorDirectory::default();
    match LibraryStore::open_synced(&path, &[], &actors) {
        Err(StoreError::NewerSchema { .. } | StoreError::Foreign { .. }) => {
            assert_eq!(std::fs::read(&path).ok().as_deref(), Some(data));
            assert!(!sidecars(std::path::Path::new("library.sqlite")));
        }
        Err(e) => panic!("garbage is moved aside and a store rebuilt, not: {e}"),
        Ok(synced) => {
            if let Some(aside) = &synced.moved_aside {
                let kept = std::fs::read(aside).ok();
                if data.len() < 100 || !data.starts_with(b"SQLite format 3\0") {
                    // Not a database: moved aside before SQLite opened it.
                    assert_eq!(kept.as_deref(), Some(data));
                } else {
                    // A database whose damage shows only when a page is
                    // read: SQLite may have written to it before (the switch
                    // to WAL, a sync checkpointed on close), so its pages
                    // are kept, not necessarily every byte.
                    assert!(kept.is_some_and(|k| k.starts_with(b"SQLite format 3\0")));
                }
            }
            assert!(synced.library.sections.is_empty());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A feed body (the first byte picks the HTTP charset, if any), parsed
/// with encoding detection, every item turned into an article as a fetch
/// does (HTML rendered to text, tagged with the built-in actors): every
/// string that reaches the screen holds no control character, and the
/// rendered text is at most a fixed multiple of the input, so no document
/// makes the renderer blow up.
pub fn feed(data: &[u8]) {
    use crate::feeds::{article, config::Feed, html, parse, tag::Tagger};
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let charset = [
        None,
        Some("utf-8"),
        Some("iso-8859-1"),
        Some("windows-1252"),
        Some("utf-16le"),
        Some("shift_jis"),
        Some("koi8-r"),
        Some("bogus"),
    ][usize::from(pick % 8)];
    let Ok(parsed) = parse::parse(bytes, charset, Some("https://example.org/feed/")) else {
        return;
    };
    assert!(parsed.items.len() <= parse::MAX_ITEMS);
    if let Some(title) = &parsed.title {
        assert_terminal_safe("feed title", title);
    }
    // Each byte may become at most a few (windows-1252 decoding triples
    // some, a control character becomes a 3-byte picture, an image tag
    // a label); a quadratic blow-up does not fit under this line.
    let bound = 32 * data.len() + 4096;
    let mut rendered = 0usize;
    for item in &parsed.items {
        assert_terminal_safe("item title", &item.title);
        for html_text in [&item.summary_html, &item.content_html]
            .into_iter()
            .flatten()
        {
            let body = html::render(html_text, None);
            for block in &body.blocks {
                assert_terminal_safe("rendered block", &block.text().replace('\n', " "));
                rendered += block.text().len();
            }
            let plain = html::plain(html_text);
            assert_terminal_safe("plain text", &plain);
            rendered += plain.len();
            assert!(
                rendered <= bound,
                "{rendered} bytes of text from {} bytes of feed",
                data.len()
            );
        }
    }
    let Ok(config) = Config::built_in() else {
        return;
    };
    let subscription = Feed {
        url: "https://example.org/feed/".to_owned(),
        name: "fuzz".to_owned(),
        lang: None,
        topics: Vec::new(),
        actors: Vec::new(),
        every: None,
        keep: None,
        actor_positions: Vec::new(),
        origin: (String::new(), (1, 1)),
    };
    let now = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let articles = article::articles(
        &subscription,
        &parsed,
        &Tagger::from_config(&config),
        &[],
        now,
    );
    let mut shown = 0usize;
    for a in &articles {
        let raw = &a.article;
        for (what, s) in [
            ("title", Some(&raw.title)),
            ("id", Some(&raw.id)),
            ("lang", Some(&raw.lang)),
            ("url", raw.url.as_ref()),
            ("summary", raw.summary.as_ref()),
        ] {
            if let Some(s) = s {
                assert_terminal_safe(what, s);
                shown += s.len();
            }
        }
        for tag in raw.topics.iter().chain(&raw.actors) {
            assert_terminal_safe("tag", tag);
        }
        for section in &raw.sections {
            for block in &section.body {
                assert_terminal_safe("body", &block.text().replace('\n', " "));
                shown += block.text().len();
            }
        }
    }
    assert!(
        shown <= bound,
        "{shown} bytes shown from {} bytes of feed",
        data.len()
    );
}

/// An OPML file, decoded as `feeds import` decodes it: no panic; every
/// outline's URL is either refused by `check_url` or comes back as one
/// that parses and checks to itself; and the subscriptions it makes,
/// exported and imported again, are the same list.
pub fn opml(data: &[u8]) {
    use crate::feeds::config::{Feed, check_url, name_from_url};
    use crate::feeds::opml;
    let text = crate::feeds::decode::decode(data, None).text;
    let Ok(opml::Opml { outlines, .. }) = opml::read(&text) else {
        return;
    };
    assert!(outlines.len() <= opml::MAX_OUTLINES);
    let feeds = |outlines: Vec<opml::Outline>| -> Vec<Feed> {
        outlines
            .into_iter()
            .filter_map(|o| {
                let url = check_url(&o.url).ok()?;
                assert!(url::Url::parse(&url).is_ok(), "{url:?} does not parse");
                assert_eq!(check_url(&url).as_ref(), Ok(&url), "checked twice");
                Some(Feed {
                    name: o.title.unwrap_or_else(|| name_from_url(&url)),
                    url,
                    lang: None,
                    topics: o.topics,
                    actors: Vec::new(),
                    every: None,
                    keep: None,
                    actor_positions: Vec::new(),
                    origin: (String::new(), (1, 1)),
                })
            })
            .collect()
    };
    let first = feeds(outlines);
    let written = opml::write(&first);
    let again = match opml::read(&written) {
        Ok(read) => {
            assert!(
                read.cut_short.is_none(),
                "an export reads as cut short\n{written}"
            );
            feeds(read.outlines)
        }
        Err(e) => panic!("an export does not import: {e}\n{written}"),
    };
    let key = |f: &Feed| (f.url.clone(), f.name.clone(), f.topics.clone());
    assert_eq!(
        first.iter().map(key).collect::<Vec<_>>(),
        again.iter().map(key).collect::<Vec<_>>(),
        "export then import changed the list:\n{written}"
    );
}

/// The first bytes of a connection from a trusted balancer: a header
/// found lies within the input (and within the bounds of its version), and
/// the answer does not depend on how many bytes had arrived: every prefix
/// shorter than a header needs more, every longer one gives the same
/// answer, so the server's read (which takes the header's bytes and not
/// one more) sees what the whole input says. The watch for headers from
/// addresses not trusted stops exactly the streams that begin with one.
pub fn proxy_header(data: &[u8]) {
    use crate::serve::proxy::{MAX_HEADER, Parsed, Sniff, V1_MAX, V2_SIGNATURE, parse};
    let whole = parse(data);
    match whole {
        Parsed::Header { len, .. } => {
            assert!(
                len <= data.len(),
                "a header of {len} in {} bytes",
                data.len()
            );
            if data[0] == b'P' {
                assert!(len <= V1_MAX, "a version 1 header of {len} bytes");
                assert_eq!(&data[len - 2..len], b"\r\n");
            } else {
                assert!(
                    (16..=MAX_HEADER).contains(&len),
                    "a version 2 header of {len}"
                );
                assert_eq!(data[..12], V2_SIGNATURE);
            }
        }
        Parsed::NeedMore => assert!(
            data.len() < MAX_HEADER,
            "more bytes wanted after {}",
            data.len()
        ),
        Parsed::Invalid(_) => {}
    }
    // Past the longest header nothing more is looked at.
    for cut in 0..=data.len().min(MAX_HEADER + 1) {
        let part = parse(&data[..cut]);
        match whole {
            Parsed::Header { len, .. } if cut < len => {
                assert_eq!(
                    part,
                    Parsed::NeedMore,
                    "cut at {cut}: {part:?}, whole: {whole:?}"
                );
            }
            Parsed::Header { .. } | Parsed::NeedMore => {
                assert_eq!(part, whole, "cut at {cut}");
            }
            Parsed::Invalid(_) => assert!(
                part == whole || part == Parsed::NeedMore,
                "cut at {cut}: {part:?}, whole: {whole:?}"
            ),
        }
    }
    // The watch, fed the bytes in reads of 1 to 4 bytes.
    let mut sniff = Sniff::default();
    let mut stopped = false;
    for (i, piece) in data.chunks(1 + data.len() % 4).enumerate() {
        if sniff.check(piece).is_err() {
            stopped = true;
            assert!(i * (1 + data.len() % 4) < 12, "stopped late");
            break;
        }
    }
    let begins = data.starts_with(b"PROXY ") || data.starts_with(&V2_SIGNATURE);
    assert_eq!(stopped, begins, "the watch on {data:?}");
}
