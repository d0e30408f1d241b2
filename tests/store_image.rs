//! The index image (`library_store/image.rs`): a warm start decodes it
//! instead of reading the rows, and it must never give another library
//! than the rows would: not when it is damaged, not after a file was
//! deleted, changed or added, not under another actor configuration, and
//! not after a process was killed while writing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/aged.rs"]
mod aged;
#[path = "common/kill.rs"]
mod kill;

use std::fs;
use std::path::{Path, PathBuf};

use aged::write;
use aiwatch_tui::content::{ActorDirectory, ContentRoot, Library, load_library};
use aiwatch_tui::library_store::LibraryStore;

fn article(id: &str, heading: &str, body: &str) -> String {
    format!(
        "id = \"{id}\"\ntitle = \"Title {id}\"\npublished = \"2025-02\"\nactors = [\"OpenAI\", \"Mistral\"]\n\n\
         [[section]]\nheading = \"{heading}\"\ndate = \"2025-01-27\"\ntopics = [\"Chips\"]\n\
         body = \"\"\"\n{body}\n\"\"\"\n\n[[section]]\nheading = \"Second of {id}\"\n\
         actors = [\"Nvidia\"]\nbody = \"\"\"\nMore.\n\"\"\"\n"
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    content: PathBuf,
    store: PathBuf,
}

impl Fixture {
    fn new(files: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        for i in 0..files {
            write(
                &content.join(format!("a{i:03}.toml")),
                &article(&format!("a{i:03}"), &format!("Heading {i}"), "Body text."),
                600,
            );
        }
        // A broken file: its diagnostics are part of the index.
        write(&content.join("broken.toml"), "title = \"B\"\n", 600);
        let store = dir.path().join("library.sqlite");
        Self {
            _dir: dir,
            content,
            store,
        }
    }

    fn roots(&self) -> Vec<ContentRoot> {
        vec![ContentRoot::Dir(self.content.clone()), ContentRoot::Bundled]
    }

    fn sync(&self, actors: &ActorDirectory) -> Library {
        LibraryStore::open_synced(&self.store, &self.roots(), actors)
            .unwrap()
            .library
    }

    /// The library as a warm start reads it, and whether the image gave it.
    fn warm(&self, actors: &ActorDirectory) -> (Library, bool) {
        let mut store = LibraryStore::open(&self.store).unwrap().store;
        let library = store.load_library(actors).unwrap();
        (library, store.read_from_image())
    }

    fn refresh(&self, actors: &ActorDirectory) -> bool {
        let mut store = LibraryStore::open(&self.store).unwrap().store;
        store.refresh_image(actors).unwrap()
    }

    /// Sets the value under `key` (the image's header, `index_image`, or
    /// one of its chunks, `index_image.000000`, ...).
    fn set_image(&self, key: &str, value: &rusqlite::types::Value) {
        let conn = rusqlite::Connection::open(&self.store).unwrap();
        let changed = conn
            .execute(
                "UPDATE meta SET value = ?1 WHERE key = ?2",
                rusqlite::params![value, key],
            )
            .unwrap();
        assert_eq!(changed, 1, "there was an image to damage");
    }

    fn image(&self, key: &str) -> Vec<u8> {
        let conn = rusqlite::Connection::open(&self.store).unwrap();
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .unwrap()
    }
}

fn actors() -> ActorDirectory {
    let config = aiwatch_tui::config::Config::built_in().unwrap();
    config.actor_directory()
}

/// Everything the reader can see of a library, and every body.
fn same(a: &Library, b: &Library) {
    assert_eq!(format!("{a:#?}"), format!("{b:#?}"));
    for s in 0..a.sections.len() {
        assert_eq!(a.body(s), b.body(s), "body of section {s}");
    }
}

#[test]
fn a_warm_start_decodes_the_image_and_gets_the_library_of_the_rows() {
    let f = Fixture::new(30);
    let actors = actors();
    let rows = f.sync(&actors);
    let (again, from_image) = f.warm(&actors);
    assert!(!from_image, "no image before one was written");
    same(&again, &rows);

    assert!(f.refresh(&actors), "an image is written");
    assert!(!f.refresh(&actors), "a current image is not written again");
    let (warm, from_image) = f.warm(&actors);
    assert!(from_image);
    same(&warm, &rows);
    same(&warm, &load_library(&f.roots(), &actors));
    // The reader's way in takes it too.
    let stored = LibraryStore::open_stored(&f.store, &actors).unwrap();
    assert!(stored.store.read_from_image());
    same(&stored.library, &rows);
}

#[test]
fn a_damaged_image_is_not_used_and_the_rows_give_the_library() {
    use rusqlite::types::Value;
    let f = Fixture::new(10);
    let actors = actors();
    let rows = f.sync(&actors);
    assert!(f.refresh(&actors));
    let (head, chunk) = ("index_image", "index_image.000000");
    let header = f.image(head);
    let image = f.image(chunk);
    let mut flipped = image.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let mut header_flipped = header.clone();
    header_flipped[20] ^= 0x80;
    let mut length_flipped = header.clone();
    length_flipped[header.len() - 8] ^= 0x01;
    let damaged = [
        (chunk, Value::Blob(flipped)),
        (head, Value::Blob(header_flipped)),
        (head, Value::Blob(length_flipped)),
        (chunk, Value::Blob(image[..image.len() - 1].to_vec())),
        (chunk, Value::Blob(image[..10].to_vec())),
        (head, Value::Blob(header[..10].to_vec())),
        (chunk, Value::Blob(Vec::new())),
        (head, Value::Blob(Vec::new())),
        (chunk, Value::Blob(b"not an image at all".to_vec())),
        (head, Value::Blob(b"not an image at all".to_vec())),
        (chunk, Value::Text("index".into())),
        (head, Value::Text("index".into())),
        (chunk, Value::Integer(7)),
        (head, Value::Integer(7)),
    ];
    for (key, value) in &damaged {
        f.set_image(key, value);
        let (warm, from_image) = f.warm(&actors);
        assert!(!from_image, "{key}: {value:?}");
        same(&warm, &rows);
        // The next background sync writes a good one again.
        assert!(f.refresh(&actors));
        assert!(f.warm(&actors).1);
    }
}

#[test]
fn an_image_never_shows_a_deleted_changed_or_missing_file() {
    let f = Fixture::new(10);
    let actors = actors();
    f.sync(&actors);
    assert!(f.refresh(&actors));

    // Deleted: its article is gone, the image is not used.
    fs::remove_file(f.content.join("a003.toml")).unwrap();
    let synced = f.sync(&actors);
    let (warm, from_image) = f.warm(&actors);
    assert!(!from_image);
    assert!(warm.articles.iter().all(|a| a.id != "a003"));
    same(&warm, &synced);
    assert!(f.refresh(&actors));
    let (warm, from_image) = f.warm(&actors);
    assert!(from_image);
    assert!(warm.articles.iter().all(|a| a.id != "a003"));

    // A heading changed.
    write(
        &f.content.join("a004.toml"),
        &article("a004", "A new heading", "Body text."),
        300,
    );
    let synced = f.sync(&actors);
    let (warm, from_image) = f.warm(&actors);
    assert!(!from_image);
    assert!(warm.sections.iter().any(|s| s.heading == "A new heading"));
    same(&warm, &synced);
    assert!(f.refresh(&actors));

    // Added, and a folder's problem.
    write(
        &f.content.join("new.toml"),
        &article("new", "Newcomer", "x"),
        300,
    );
    let synced = f.sync(&actors);
    let (warm, from_image) = f.warm(&actors);
    assert!(!from_image);
    same(&warm, &synced);
}

#[test]
fn an_edit_of_text_only_keeps_the_image_and_shows_the_new_text() {
    let f = Fixture::new(10);
    let actors = actors();
    f.sync(&actors);
    assert!(f.refresh(&actors));
    write(
        &f.content.join("a005.toml"),
        &article("a005", "Heading 5", "An edited body, longer than before."),
        300,
    );
    let synced = f.sync(&actors);
    let (warm, from_image) = f.warm(&actors);
    assert!(from_image, "the index did not change");
    same(&warm, &synced);
    let section = warm
        .sections
        .iter()
        .position(|s| s.heading == "Heading 5")
        .unwrap();
    let body = warm.body(section).unwrap();
    assert_eq!(body[0].text(), "An edited body, longer than before.");
}

#[test]
fn another_actor_configuration_reads_the_rows() {
    let f = Fixture::new(10);
    let configured = actors();
    f.sync(&configured);
    assert!(f.refresh(&configured));
    let none = ActorDirectory::default();
    let (warm, from_image) = f.warm(&none);
    assert!(!from_image);
    same(&warm, &load_library(&f.roots(), &none));
    let (warm, from_image) = f.warm(&configured);
    assert!(from_image);
    same(&warm, &load_library(&f.roots(), &configured));
}

const WRITER: &str = "AIWATCH_STORE_IMAGE_DIR";

#[test]
fn a_process_killed_while_writing_the_image_leaves_a_store_that_reads_whole() {
    if let Some(dir) = std::env::var_os(WRITER) {
        // The child: writes the image for one configuration, then the
        // other, and so on, until killed.
        let store = Path::new(&dir).join("library.sqlite");
        let mut opened = LibraryStore::open(&store).unwrap().store;
        let directories = [actors(), ActorDirectory::default()];
        for actors in directories.iter().cycle() {
            opened.refresh_image(actors).unwrap();
        }
        return;
    }
    let f = Fixture::new(150);
    let directories = [actors(), ActorDirectory::default()];
    let expected: Vec<String> = directories
        .iter()
        .map(|a| format!("{:#?}", f.sync(a)))
        .collect();
    let dir = f.store.parent().unwrap().as_os_str().to_owned();
    let mut from_image = 0;
    for _ in 0..20 {
        let child = kill::spawn_test(
            "a_process_killed_while_writing_the_image_leaves_a_store_that_reads_whole",
            &[(WRITER, &dir)],
        );
        kill::kill_after_a_while(child, 400);
        let opened = LibraryStore::open(&f.store).unwrap();
        assert_eq!(opened.moved_aside, None, "the store stayed readable");
        let mut store = opened.store;
        for (actors, expected) in directories.iter().zip(&expected) {
            let library = store.load_library(actors).unwrap();
            from_image += usize::from(store.read_from_image());
            assert_eq!(&format!("{library:#?}"), expected);
        }
    }
    eprintln!("after 20 kills: {from_image} of 40 reads took the image");
}
