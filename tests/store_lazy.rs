//! A library read from the store holds its index only: bodies are read on
//! demand and searches run in the store. Same results as the library loaded
//! from the files (bundled edition, accents and case), a body read after
//! its file changed, a body that cannot be read, many threads at once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aiwatch_tui::app::{App, Context, Effect};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::{ActorDirectory, BodyError, ContentRoot, Library, load_library};
use aiwatch_tui::input::{Input, Key};
use aiwatch_tui::library_store::LibraryStore;
use aiwatch_tui::query::SearchQuery;
use aiwatch_tui::text::fold;
use common::{open_heading, press, screen};

fn write_old(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    let file = fs::File::options().write(true).open(path).unwrap();
    // Older than the store's "too recent to trust" window.
    file.set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
}

fn from_store(path: &Path, roots: &[ContentRoot], actors: &ActorDirectory) -> Library {
    LibraryStore::open_synced(path, roots, actors)
        .unwrap()
        .library
}

/// A reader in German on `roots`, read through a store built in `dir`.
fn german_reader_from_store(dir: &Path, config: &Config, roots: &[ContentRoot]) -> App {
    let library = from_store(
        &dir.join("library.sqlite"),
        roots,
        &config.actor_directory(),
    );
    App::new(Context::new(library, config.clone()), "de")
}

fn all(library: &Library) -> Vec<usize> {
    (0..library.sections.len()).collect()
}

fn hits(library: &Library, query: &str) -> Vec<usize> {
    let q = SearchQuery::new(query).unwrap();
    q.select(library, &all(library)).unwrap()
}

/// Queries worth trying on a library: fixed ones (accents, case, short
/// words, actor names and aliases, topics, several words) and pieces of
/// every heading.
fn queries(library: &Library) -> Vec<String> {
    let mut queries: Vec<String> = [
        "sudkorea",
        "SÜDKOREA",
        "Südkorea",
        "muller strasse",
        "openai",
        "deepseek",
        "chips",
        "a",
        "é",
        "ki",
        "x",
        "zz",
        "e a",
        "grok h100",
        "stargate",
        "\"",
        "o\"p",
        "ß",
        "and the",
        "nothingmatchesthis",
    ]
    .map(str::to_owned)
    .to_vec();
    for s in &library.sections {
        let words: Vec<&str> = s.heading.split_whitespace().collect();
        if let Some(w) = words.first() {
            queries.push((*w).to_owned());
        }
        if let Some(w) = words.last() {
            let folded = fold(w);
            let part: String = folded.chars().skip(1).take(4).collect();
            queries.push(part);
        }
        if words.len() > 2 {
            queries.push(format!("{} {}", words[2], words[0]));
        }
    }
    for a in &library.actors {
        queries.push(a.name.to_uppercase());
    }
    for t in &library.topics {
        queries.push(t.chars().take(3).collect());
    }
    queries.retain(|q| !q.trim().is_empty());
    queries.sort();
    queries.dedup();
    queries
}

fn bundled_roots() -> Vec<ContentRoot> {
    vec![
        ContentRoot::Bundled,
        ContentRoot::Dir(PathBuf::from("tests/fixtures/content/long")),
    ]
}

#[test]
fn searching_the_store_finds_what_searching_the_files_finds() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::built_in().unwrap();
    let actors = config.actor_directory();
    let roots = bundled_roots();
    let stored = from_store(&dir.path().join("library.sqlite"), &roots, &actors);
    let files = load_library(&roots, &actors);
    assert!(stored.bodies().searches() && !files.bodies().searches());
    let queries = queries(&files);
    assert!(queries.len() > 50, "{}", queries.len());
    let mut found = 0;
    for q in &queries {
        let expected = hits(&files, q);
        found += usize::from(!expected.is_empty());
        assert_eq!(hits(&stored, q), expected, "query {q:?}");
    }
    assert!(found > queries.len() / 2, "most queries find something");
    // Combined with the other filters, through the same query `list` runs.
    let query = aiwatch_tui::query::filter::SectionQuery {
        search: SearchQuery::new("the"),
        since: aiwatch_tui::content::NewsDate::parse("2025-02"),
        ..Default::default()
    };
    let edition = files.edition("en");
    let expected = query.select(&files, &edition.sections).unwrap();
    assert!(!expected.is_empty());
    assert_eq!(query.select(&stored, &edition.sections).unwrap(), expected);
}

#[test]
fn the_store_folds_case_accents_and_letters_that_do_not_decompose() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    fs::create_dir_all(&content).unwrap();
    write_old(
        &content.join("a.toml"),
        "title = \"t\"\npublished = 2025-01-02\nactors = [\"Müller AG\"]\n\
         [[section]]\nheading = \"Łódź an der Straße\"\nbody = \"Südkorea und SEOUL\"\n\
         [[section]]\nheading = \"Øresund, Æble og Đorđević\"\ntopics = [\"Ökonomie\"]\n\
         [[section]]\nheading = \"Ο λόγος\"\n\
         [[section]]\nheading = \"nothing here\"\n",
    );
    let roots = [ContentRoot::Dir(content)];
    let stored = from_store(
        &dir.path().join("library.sqlite"),
        &roots,
        &ActorDirectory::default(),
    );
    for (query, expected) in [
        ("lodz", vec![0]),
        ("STRASSE", vec![0]),
        ("sudkorea seoul", vec![0]),
        ("SÜDKOREA", vec![0]),
        ("oresund", vec![1]),
        ("aeble", vec![1]),
        ("dordevic", vec![1]),
        ("okonomie", vec![1]),
        ("λογοσ", vec![2]),
        ("ΛΌΓΟΣ", vec![2]),
        ("muller", vec![0, 1, 2, 3]),
        ("ag here", vec![3]),
        ("ø", vec![0, 1, 3]),
        ("O", vec![0, 1, 3]),
        ("sudkorea oresund", vec![]),
    ] {
        assert_eq!(hits(&stored, query), expected, "query {query:?}");
    }
}

#[test]
fn the_reader_searches_the_store_with_highlights_and_next_match() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::built_in().unwrap();
    let roots = bundled_roots();
    let mut app = german_reader_from_store(dir.path(), &config, &roots);
    let effects = app.handle(Input::Resize(120, 40));
    assert!(
        !effects.contains(&Effect::BuildSearchIndex),
        "a library in the store builds no folded copy"
    );
    let mut files = common::app_with(config, &roots, "de", 120, 40);
    for app in [&mut app, &mut files] {
        press(app, "/");
        for c in "SUDKOREA".chars() {
            app.handle(Input::Key(Key::char(c)));
        }
        press(app, "enter");
    }
    assert!(app.search.query.is_some());
    assert_eq!(open_heading(&app), open_heading(&files));
    assert_eq!(app.listed().count(), files.listed().count());
    assert!(app.listed().count() >= 2);
    assert_eq!(screen(&app), screen(&files));
    assert_eq!(app.reader.lines, files.reader.lines, "the same highlights");
    press(&mut app, "n");
    press(&mut files, "n");
    assert_eq!(app.reader.open, files.reader.open);
    assert_eq!(app.reader.scroll, files.reader.scroll);
}

#[test]
fn a_body_is_read_from_the_store_as_it_is_now_or_said_to_be_gone() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    fs::create_dir_all(&content).unwrap();
    let file = content.join("a.toml");
    let article = |heading: &str, body: &str| {
        format!(
            "title = \"t\"\npublished = 2025-01-02\n[[section]]\nheading = \"{heading}\"\nbody = \"{body}\"\n"
        )
    };
    write_old(&file, &article("Kept", "Old text."));
    let roots = [ContentRoot::Dir(content)];
    let path = dir.path().join("library.sqlite");
    let actors = ActorDirectory::default();
    let library = from_store(&path, &roots, &actors);

    // The file changes and another process syncs before the body is read.
    write_old(&file, &article("Kept", "New text."));
    assert_eq!(
        LibraryStore::open_synced(&path, &roots, &actors)
            .unwrap()
            .report
            .changed,
        1
    );
    assert_eq!(library.body(0).unwrap()[0].text(), "New text.");

    // Now the section itself is renamed: the library's section is gone.
    let library = from_store(&path, &roots, &actors);
    write_old(&file, &article("Renamed", "Other text."));
    LibraryStore::open_synced(&path, &roots, &actors).unwrap();
    assert_eq!(library.body(0), Err(BodyError::Gone));
    let config = Config::built_in().unwrap();
    let mut app = App::new(Context::new(library, config), "en");
    app.handle(Input::Resize(80, 24));
    press(&mut app, "enter");
    assert!(
        screen(&app).contains("This section changed on disk"),
        "{}",
        screen(&app)
    );
}

#[test]
fn a_body_that_cannot_be_read_is_a_note_in_the_pane_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let config = Config::built_in().unwrap();
    let synced =
        LibraryStore::open_synced(&path, &[ContentRoot::Bundled], &config.actor_directory())
            .unwrap();
    let library = synced.library;
    drop(synced.store);
    // The store goes away under the running reader.
    for name in ["library.sqlite", "library.sqlite-wal", "library.sqlite-shm"] {
        let _ = fs::remove_file(dir.path().join(name));
    }
    assert!(matches!(library.body(0), Err(BodyError::Read(_))));
    assert!(
        SearchQuery::new("openai")
            .unwrap()
            .select(&library, &all(&library))
            .is_err()
    );
    let mut app = App::new(Context::new(library, config), "en");
    app.handle(Input::Resize(120, 40));
    press(&mut app, "enter");
    let shown = screen(&app);
    assert!(shown.contains("could not be read"), "{shown}");
    // A search that cannot run says so instead of showing no hits.
    press(&mut app, "/");
    app.handle(Input::Key(Key::char('x')));
    app.handle(Input::Key(Key::char('y')));
    app.handle(Input::Key(Key::char('z')));
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("library.sqlite"))
    );
    assert!(!path.exists(), "reading never creates a store");
}

#[test]
fn many_threads_read_bodies_at_once() {
    fn shared<T: Send + Sync>(_: &T) {}
    let dir = tempfile::tempdir().unwrap();
    let config = Config::built_in().unwrap();
    let actors = config.actor_directory();
    let stored = from_store(
        &dir.path().join("library.sqlite"),
        &[ContentRoot::Bundled],
        &actors,
    );
    shared(&stored);
    let files = load_library(&[ContentRoot::Bundled], &actors);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (stored, files) = (&stored, &files);
            scope.spawn(move || {
                for round in 0..3 {
                    for s in (0..stored.sections.len()).rev().skip((t + round) % 3) {
                        assert_eq!(stored.body(s), files.body(s));
                    }
                    assert_eq!(hits(stored, "openai"), hits(files, "openai"));
                }
            });
        }
    });
}

/// A small deterministic corpus unlike the bundled edition: words with
/// punctuation, accents and digits, repeated words, and tokens longer than
/// the store's vocabulary keeps (URLs, a run of letters).
fn generate(dir: &Path, articles: usize) {
    const WORDS: &[&str] = &[
        "the",
        "model,",
        "(regulators)",
        "Südkorea",
        "STRASSE",
        "straße",
        "h100",
        "a",
        "é",
        "x-ray",
        "data-centre",
        "\\\"quoted\\\"",
        "Ørsted",
        "über",
        "naïve",
    ];
    let mut seed: u64 = 7;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(seed >> 33).unwrap() % n
    };
    fs::create_dir_all(dir).unwrap();
    for i in 0..articles {
        let mut text = format!("title = \"Article {i}\"\npublished = 2025-01-02\n");
        for s in 0..3 {
            let mut body: Vec<String> = (0..4 + next(12))
                .map(|_| WORDS[next(WORDS.len())].to_owned())
                .collect();
            body.push(format!("n{}", i * 3 + s));
            if next(5) == 0 {
                body.push(format!(
                    "https://example.org/{}/very-long-path-{i}-with-many-parts-and-more-parts-{s}",
                    "ä".repeat(next(3))
                ));
            }
            let heading = WORDS[next(WORDS.len())];
            writeln!(
                text,
                "[[section]]\nheading = \"{heading} {i}\"\nbody = \"{}\"",
                body.join(" ")
            )
            .unwrap();
        }
        write_old(&dir.join(format!("a{i:03}.toml")), &text);
    }
}

#[test]
fn the_store_finds_what_the_files_find_on_a_generated_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    generate(&content, 60);
    let roots = [ContentRoot::Dir(content)];
    let actors = ActorDirectory::default();
    let stored = from_store(&dir.path().join("library.sqlite"), &roots, &actors);
    let files = load_library(&roots, &actors);
    assert_eq!(files.diagnostics.len(), 0, "{:?}", files.diagnostics);
    assert_eq!(stored.sections.len(), 180);
    // Every one- and two-character piece, and pieces of three to twelve
    // characters from every place of a few sections' text (long tokens
    // included), alone and in pairs.
    let mut queries: Vec<String> = Vec::new();
    for s in (0..files.sections.len()).step_by(40) {
        let text = aiwatch_tui::query::search::searchable_text(&files, s).unwrap();
        let chars: Vec<char> = text.chars().collect();
        for at in 0..chars.len() {
            for len in [1, 2, 3, 6, 12, 70] {
                if at + len <= chars.len() {
                    queries.push(chars[at..at + len].iter().collect());
                }
            }
        }
    }
    queries.extend(
        [
            "regulators model",
            "sud strasse",
            "x-r",
            "-",
            "\"",
            "n1",
            "nope",
        ]
        .map(str::to_owned),
    );
    queries.retain(|q| !q.trim().is_empty());
    queries.sort();
    queries.dedup();
    let pairs: Vec<String> = queries
        .iter()
        .step_by(7)
        .zip(queries.iter().rev().step_by(5))
        .map(|(a, b)| format!("{a} {b}"))
        .collect();
    queries.extend(pairs);
    assert!(queries.len() > 500, "{}", queries.len());
    // The files' side through the folded copy the reader builds (same
    // hits as `select`, without folding every section for every query).
    let folded = aiwatch_tui::query::search::build_index(&files);
    let mut found = 0;
    for q in &queries {
        let query = SearchQuery::new(q).unwrap();
        let expected: Vec<usize> = (0..folded.len())
            .filter(|&s| query.matches_folded(&folded[s]))
            .collect();
        found += usize::from(expected.len() > 1);
        assert_eq!(hits(&stored, q), expected, "query {q:?}");
    }
    assert!(found > queries.len() / 4, "{found} of {}", queries.len());
}

#[test]
fn typing_on_and_backspacing_lists_what_the_files_list() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    generate(&content, 40);
    let roots = [ContentRoot::Dir(content)];
    let config = Config::built_in().unwrap();
    let stored = from_store(
        &dir.path().join("library.sqlite"),
        &roots,
        &config.actor_directory(),
    );
    let mut app = App::new(Context::new(stored, config.clone()), "en");
    app.handle(Input::Resize(120, 40));
    let mut files = common::app_with(config, &roots, "en", 120, 40);
    let listed = |app: &App| app.listed().collect::<Vec<_>>();
    for text in [
        "regulators model",
        "sudkorea x-ray",
        "very-long-path-1",
        "zz",
    ] {
        press(&mut app, "/");
        press(&mut files, "/");
        let mut counts = Vec::new();
        for c in text.chars() {
            for app in [&mut app, &mut files] {
                app.handle(Input::Key(Key::char(c)));
            }
            assert_eq!(listed(&app), listed(&files), "typed {c:?} of {text:?}");
            counts.push(listed(&app).len());
        }
        for _ in 0..text.chars().count() {
            press(&mut app, "backspace");
            press(&mut files, "backspace");
            assert_eq!(listed(&app), listed(&files), "backspace in {text:?}");
            counts.push(listed(&app).len());
        }
        assert!(
            counts.iter().any(|&n| n > 0) || text == "zz",
            "{text}: {counts:?}"
        );
        press(&mut app, "esc");
        press(&mut files, "esc");
    }
}

#[test]
fn a_changed_or_deleted_file_is_searched_as_it_is_now() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    fs::create_dir_all(&content).unwrap();
    let article = |body: &str| {
        format!(
            "title = \"t\"\npublished = 2025-01-02\n[[section]]\nheading = \"h\"\nbody = \"{body}\"\n"
        )
    };
    write_old(&content.join("a.toml"), &article("alpha beta"));
    write_old(&content.join("b.toml"), &article("gamma alphabet"));
    let roots = [ContentRoot::Dir(content.clone())];
    let path = dir.path().join("library.sqlite");
    let actors = ActorDirectory::default();
    let library = from_store(&path, &roots, &actors);
    assert_eq!(hits(&library, "alpha").len(), 2);
    write_old(&content.join("a.toml"), &article("delta"));
    fs::remove_file(content.join("b.toml")).unwrap();
    let library = from_store(&path, &roots, &actors);
    assert_eq!(library.sections.len(), 1);
    for gone in ["alpha", "al", "gamma", "beta", "bet"] {
        assert_eq!(hits(&library, gone), Vec::<usize>::new(), "{gone}");
    }
    assert_eq!(hits(&library, "elt"), vec![0]);
    assert_eq!(hits(&library, "d"), vec![0]);
}

/// A library in the store asks, once and with the first frame, for its
/// search to be prepared off the input path; what was prepared is what a
/// search then finds. A library of files asks for the folded index instead.
#[test]
fn a_store_library_prepares_its_search_once_with_the_first_frame() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::built_in().unwrap();
    let roots = bundled_roots();
    let mut app = german_reader_from_store(dir.path(), &config, &roots);
    let first = app.handle(Input::Resize(120, 40));
    assert_eq!(
        first
            .iter()
            .filter(|e| **e == Effect::PrepareSearch)
            .count(),
        1,
        "{first:?}"
    );
    assert!(!first.contains(&Effect::BuildSearchIndex), "{first:?}");
    let later = app.handle(Input::Resize(80, 24));
    assert!(!later.contains(&Effect::PrepareSearch), "{later:?}");
    // As the runtime does it, then a search of a word of three characters
    // and more (the ones that read the vocabulary).
    app.library().bodies().prepare_search().unwrap();
    let mut files = common::app_with(config, &roots, "de", 120, 40);
    for app in [&mut app, &mut files] {
        press(app, "/");
        for c in "korea".chars() {
            app.handle(Input::Key(Key::char(c)));
        }
    }
    assert!(app.listed_count() > 0);
    assert_eq!(app.listed_count(), files.listed_count());

    let config = Config::built_in().unwrap();
    let library = load_library(&roots, &config.actor_directory());
    let mut files = App::new(Context::new(library, config), "de");
    let effects = files.handle(Input::Resize(120, 40));
    assert!(effects.contains(&Effect::BuildSearchIndex), "{effects:?}");
    assert!(!effects.contains(&Effect::PrepareSearch), "{effects:?}");
}
