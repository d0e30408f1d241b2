//! The bundled edition: the project's `content/` folder compiled into the
//! binary, so the reader runs from any folder with no files on disk.

use include_dir::{Dir, DirEntry, include_dir};

static BUNDLED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/content");

/// Display prefix for bundled files in diagnostics.
pub const PREFIX: &str = "<bundled>";

/// (display path, default id, text) of every bundled article, sorted by path.
pub fn files() -> impl Iterator<Item = (String, String, &'static str)> {
    let mut out = Vec::new();
    collect(&BUNDLED, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter()
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(String, String, &'static str)>) {
    for entry in dir.entries() {
        let path = entry.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        match entry {
            DirEntry::Dir(d) => collect(d, out),
            DirEntry::File(f) if path.extension().is_some_and(|e| e == "toml") => {
                if let Some(text) = f.contents_utf8() {
                    let rel = path.to_string_lossy().replace('\\', "/");
                    let id = rel.trim_end_matches(".toml").to_owned();
                    out.push((format!("{PREFIX}/{rel}"), id, text));
                }
            }
            DirEntry::File(_) => {}
        }
    }
}

/// The newest `published` date of the bundled articles: the edition's date.
pub fn edition_date() -> Option<super::NewsDate> {
    let library = super::load_library(
        &[super::ContentRoot::Bundled],
        &super::ActorDirectory::default(),
    );
    library.articles.iter().map(|a| a.published).max()
}
