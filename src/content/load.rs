//! Finds and reads content files under one or more roots (folders on disk
//! or the bundled edition), parses them in parallel and builds the library.
//! A bad file is reported and skipped; nothing here is ever fatal.

use std::fs;
use std::path::{Path, PathBuf};

use super::parse::{ParsedFile, parse_article};
use super::{ActorDirectory, Library, bundled};
use crate::diag::{Diagnostic, Severity, SourceText};

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Where articles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentRoot {
    /// The edition compiled into the binary.
    Bundled,
    Dir(PathBuf),
}

/// One file to parse: its display path, default id and where its text is.
pub struct PendingFile {
    path: String,
    default_id: String,
    source: FileSource,
    /// What the listing learnt of the file when asked to (`discover_stat`):
    /// the sync's stamp, without a second lookup of the path.
    stat: Option<FileStat>,
}

/// A file's size and modification time, as a listing read them: all a
/// sync compares (kept small: a whole `Metadata` per file of 10,000 made
/// the listing's vectors grow through megabytes of fresh pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub len: u64,
    /// `None` when the system gives no modification time.
    pub modified: Option<std::time::SystemTime>,
}

impl FileStat {
    pub fn of(metadata: &fs::Metadata) -> Self {
        Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

enum FileSource {
    Bundled(&'static str),
    /// Read by the parsing thread, so reading is spread over the cores
    /// and each text is dropped as soon as it is parsed.
    Disk(PathBuf),
}

impl PendingFile {
    /// The path as diagnostics show it (`content/x.toml`, `<bundled>/x.toml`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file on disk, or `None` for a bundled file.
    pub fn disk_path(&self) -> Option<&Path> {
        match &self.source {
            FileSource::Disk(p) => Some(p),
            FileSource::Bundled(_) => None,
        }
    }

    /// The file's size and time as the listing found them
    /// (`discover_stat`), links followed; `None` when they were not asked
    /// for or could not be read.
    pub fn stat(&self) -> Option<FileStat> {
        self.stat
    }

    /// The text of a bundled file, or `None` for a file on disk.
    pub fn bundled_text(&self) -> Option<&'static str> {
        match self.source {
            FileSource::Bundled(text) => Some(text),
            FileSource::Disk(_) => None,
        }
    }
}

/// Every content file below the roots, in load order, without reading
/// them; problems with the roots themselves go in `diagnostics`.
pub struct Discovered {
    pub files: Vec<PendingFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads every root, in order. Problems end up in `Library::diagnostics`.
/// A folder given twice (by any spelling) is read once.
pub fn load_library(roots: &[ContentRoot], actors: &ActorDirectory) -> Library {
    let Discovered {
        files: pending,
        diagnostics,
    } = discover(roots);
    let parsed = parse_files(&pending);
    Library::build(
        pending.iter().map(|p| p.path.as_str()).zip(parsed),
        diagnostics,
        actors,
    )
}

/// Lists the files of every root, in the order `load_library` reads them.
/// A folder given twice (by any spelling) is listed once.
pub fn discover(roots: &[ContentRoot]) -> Discovered {
    discover_with(roots, false)
}

/// `discover`, with each disk file's size and time (`PendingFile::stat`),
/// read through its folder's open handle as it is listed (`fstatat`), not
/// by its whole path again.
pub fn discover_stat(roots: &[ContentRoot]) -> Discovered {
    discover_with(roots, true)
}

fn discover_with(roots: &[ContentRoot], stat: bool) -> Discovered {
    let mut diagnostics = Vec::new();
    let mut pending = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut bundled_read = false;
    for root in roots {
        match root {
            ContentRoot::Bundled if !bundled_read => {
                bundled_read = true;
                pending.extend(bundled::files().map(|(path, id, text)| PendingFile {
                    path,
                    default_id: id,
                    source: FileSource::Bundled(text),
                    stat: None,
                }));
            }
            ContentRoot::Bundled => {}
            ContentRoot::Dir(dir) => {
                let canonical = fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
                if seen.contains(&canonical) {
                    continue;
                }
                seen.push(canonical);
                collect_dir(&tidy_path(dir), stat, &mut pending, &mut diagnostics);
            }
        }
    }
    Discovered {
        files: pending,
        diagnostics,
    }
}

/// Reads and parses files on all cores; one result per file, in order.
pub fn parse_files(files: &[PendingFile]) -> Vec<ParsedFile> {
    parse_all(files, parse_one)
}

/// A root as messages should show it: as given, unless it climbs with
/// `..` or `.`; then relative to the working directory when it lies
/// below it, else absolute.
pub fn tidy_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let untidy = path
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::CurDir));
    if !untidy {
        return path.to_path_buf();
    }
    let Ok(absolute) = fs::canonicalize(path) else {
        return path.to_path_buf();
    };
    let below_cwd = std::env::current_dir()
        .and_then(fs::canonicalize)
        .ok()
        .and_then(|cwd| absolute.strip_prefix(cwd).ok().map(Path::to_path_buf));
    match below_cwd {
        Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Some(rel) => rel,
        None => absolute,
    }
}

/// Parses files on all cores; results keep the input order, one per file,
/// even when parsing a file panics (that file gets an error instead).
fn parse_all(
    files: &[PendingFile],
    parse: impl Fn(&PendingFile) -> ParsedFile + Sync,
) -> Vec<ParsedFile> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = files.len().div_ceil(threads).max(32);
    let parse = &parse;
    let guarded = move |file: &PendingFile| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(file))).unwrap_or_else(
            |_| ParsedFile {
                article: None,
                diagnostics: vec![whole_file_error(
                    &file.path,
                    "internal error while reading this file (file skipped); please report it",
                )],
            },
        )
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                (
                    part,
                    scope.spawn(move || part.iter().map(guarded).collect()),
                )
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(part, h)| {
                // A thread can only fail outside `guarded` (out of memory):
                // its files are still accounted for, each with an error.
                h.join()
                    .unwrap_or_else(|_| part.iter().map(guarded).collect::<Vec<_>>())
            })
            .collect()
    })
}

fn parse_one(file: &PendingFile) -> ParsedFile {
    let text = match &file.source {
        FileSource::Bundled(text) => Ok(std::borrow::Cow::Borrowed(*text)),
        FileSource::Disk(path) => read_text(path, &file.path).map(std::borrow::Cow::Owned),
    };
    match text {
        Ok(text) => parse_article(&SourceText::new(&file.path, &text), &file.default_id),
        Err(d) => ParsedFile {
            article: None,
            diagnostics: vec![d],
        },
    }
}

fn collect_dir(
    root: &Path,
    stat: bool,
    pending: &mut Vec<PendingFile>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let display_root = root.display().to_string();
    match fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        // One article file given as a root (`check news/paris.toml`): that
        // file alone, its id made from its name.
        Ok(m) if m.is_file() && root.extension().is_some_and(|e| e == "toml") => {
            let default_id = root
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            pending.push(PendingFile {
                path: display_root,
                default_id,
                source: FileSource::Disk(root.to_path_buf()),
                stat: stat.then(|| FileStat::of(&m)),
            });
            return;
        }
        Ok(_) => {
            diagnostics.push(whole_file_error(&display_root, ROOT_NOT_A_FOLDER));
            return;
        }
        Err(e) => {
            diagnostics.push(whole_file_error(
                &display_root,
                format!("{ROOT_UNREADABLE}: {e}"),
            ));
            return;
        }
    }
    let mut files = Vec::new();
    walk(root, stat, &mut files, diagnostics);
    pending.reserve(files.len());
    for (path, stat) in files {
        let display = path.display().to_string();
        let rel = path.strip_prefix(root).unwrap_or(&path).with_extension("");
        let default_id = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        pending.push(PendingFile {
            path: display,
            default_id,
            source: FileSource::Disk(path),
            stat,
        });
    }
}

/// Every `*.toml` below `dir`, skipping hidden entries, in path order
/// (each folder's entries sorted by name, a subfolder's files where its
/// name falls: the order of sorting the whole paths, without comparing
/// them component by component). Symbolic links to folders are not
/// followed, so a link loop cannot hang the loader. `stat`: each file's
/// metadata too, through the folder's handle.
fn walk(
    dir: &Path,
    stat: bool,
    files: &mut Vec<(PathBuf, Option<FileStat>)>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diagnostics.push(whole_file_error(
                &dir.display().to_string(),
                format!("{FOLDER_UNREADABLE}: {e}"),
            ));
            return;
        }
    };
    // Each name asked for once: `DirEntry::file_name` makes a new string.
    let mut entries: Vec<(std::ffi::OsString, fs::DirEntry)> = entries
        .flatten()
        .map(|e| (e.file_name(), e))
        .filter(|(name, _)| !name.as_encoded_bytes().starts_with(b"."))
        .collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, entry) in entries {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&path, stat, files, diagnostics);
        } else if path.extension().is_some_and(|e| e == "toml") {
            if kind.is_file() {
                // Not a link: the entry's own metadata is the file's.
                let listed = if stat {
                    entry.metadata().ok().map(|m| FileStat::of(&m))
                } else {
                    None
                };
                files.push((path, listed));
                continue;
            }
            // A link is followed to a file; a pipe, socket or device (which
            // would hang or never end a read) or a broken link is said as
            // skipped, never dropped without a word.
            match fs::metadata(&path) {
                Ok(m) if m.is_file() => files.push((path, stat.then(|| FileStat::of(&m)))),
                Ok(m) if m.is_dir() => {}
                Ok(_) => diagnostics.push(whole_file_error(
                    &path.display().to_string(),
                    "not a regular file (a pipe, socket or device): skipped",
                )),
                Err(e) => diagnostics.push(whole_file_error(
                    &path.display().to_string(),
                    format!("cannot read file: {e}"),
                )),
            }
        }
    }
}

fn read_text(path: &Path, display: &str) -> Result<String, Diagnostic> {
    let bytes = match fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return Err(whole_file_error(
                display,
                format!("file is larger than {} MiB", MAX_FILE_BYTES >> 20),
            ));
        }
        Ok(_) => fs::read(path)
            .map_err(|e| whole_file_error(display, format!("cannot read file: {e}")))?,
        Err(e) => return Err(whole_file_error(display, format!("cannot read file: {e}"))),
    };
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let position = SourceText::new(display, &prefix).position(valid);
        Diagnostic {
            path: display.to_owned(),
            position: Some(position),
            severity: Severity::Error,
            message: "invalid UTF-8: content files must be UTF-8 text".to_owned(),
        }
    })
}

/// What the walk says of a root or folder it cannot read; everything else
/// it says is about one file (a pipe, a broken link), skipped as a file.
const ROOT_NOT_A_FOLDER: &str = "content root is not a folder";
const ROOT_UNREADABLE: &str = "cannot read content root";
const FOLDER_UNREADABLE: &str = "cannot read folder";

/// Whether a problem the walk found is a folder's (counted as a folder
/// unreadable) rather than a file's (counted as a file skipped).
pub fn is_folder_problem(diagnostic: &Diagnostic) -> bool {
    [ROOT_NOT_A_FOLDER, ROOT_UNREADABLE, FOLDER_UNREADABLE]
        .iter()
        .any(|p| diagnostic.message.starts_with(p))
}

fn whole_file_error(path: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        path: path.to_owned(),
        position: None,
        severity: Severity::Error,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(n: usize) -> Vec<PendingFile> {
        (0..n)
            .map(|i| PendingFile {
                path: format!("f{i}.toml"),
                default_id: format!("f{i}"),
                source: FileSource::Bundled(""),
                stat: None,
            })
            .collect()
    }

    #[test]
    fn a_parser_that_panics_keeps_every_result_on_its_own_path() {
        let files = pending(100);
        let results = parse_all(&files, |file| {
            assert_ne!(file.path, "f7.toml", "a bug in the parser");
            ParsedFile {
                article: None,
                diagnostics: vec![whole_file_error(&file.path, "parsed")],
            }
        });
        assert_eq!(results.len(), files.len());
        for (file, result) in files.iter().zip(&results) {
            assert_eq!(result.diagnostics[0].path, file.path);
        }
        assert!(results[7].diagnostics[0].message.contains("internal error"));
        assert_eq!(results[8].diagnostics[0].message, "parsed");
    }

    #[test]
    fn paths_that_climb_are_tidied() {
        let here = std::env::current_dir().unwrap();
        let name = here.file_name().unwrap();
        let climbing = Path::new("..").join(name).join("src");
        assert_eq!(tidy_path(&climbing), Path::new("src"));
        assert_eq!(tidy_path(Path::new("src")), Path::new("src"));
        let outside = Path::new("..");
        assert!(tidy_path(outside).is_absolute());
    }
}
