//! Start-up decisions shared by every mode: which config file, which
//! content roots, which language. Reads files and the environment; knows
//! nothing of terminals.

use std::path::{Path, PathBuf};
use std::time::Duration;

use etcetera::BaseStrategy;

use crate::app::Context;
use crate::cli::Sources;
use crate::config::Config;
use crate::content::{ActorDirectory, ContentRoot, Library, load_library};
use crate::diag::{Diagnostic, Severity};
use crate::library_store::{BUSY_TIMEOUT, COMMAND_SYNC_WAIT, LibraryStore, SyncReport};
use crate::runtime::syncer::{BackgroundSync, SyncJob};

/// The user's config file: `--config`, else the XDG one when it exists.
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let path = etcetera::choose_base_strategy()
        .ok()?
        .config_dir()
        .join("aiwatch-tui")
        .join("config.toml");
    path.is_file().then_some(path)
}

/// Loads the built-in config with the user's file over it.
pub fn load_config(path: Option<&Path>) -> Result<Config, Vec<Diagnostic>> {
    let Some(path) = path else {
        return Config::built_in();
    };
    let shown = crate::content::load::tidy_path(path).display().to_string();
    let bytes = crate::atomic_file::refuse_special_file(path)
        .and_then(|()| std::fs::read(path))
        .map_err(|e| {
            vec![Diagnostic {
                path: shown.clone(),
                position: None,
                severity: Severity::Error,
                message: format!("cannot read config file: {e}"),
            }]
        })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        // Where the first bad byte is, as for content files.
        let valid = e.utf8_error().valid_up_to();
        let before = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        vec![Diagnostic {
            path: shown.clone(),
            position: Some(crate::diag::SourceText::new(&shown, &before).position(valid)),
            severity: Severity::Error,
            message: "config file is not valid UTF-8".to_owned(),
        }]
    })?;
    Config::load(Some((&shown, &text)))
}

/// Content roots: `--content` replaces the config's list; the bundled
/// edition is read when asked for (`--bundled`, `bundled = true`) or when
/// no roots are given at all.
pub fn content_roots(
    cli_content: &[PathBuf],
    cli_bundled: bool,
    config: &Config,
) -> Vec<ContentRoot> {
    let dirs: &[PathBuf] = if cli_content.is_empty() {
        &config.content
    } else {
        cli_content
    };
    let bundled = cli_bundled || config.bundled.unwrap_or(dirs.is_empty());
    let mut roots: Vec<ContentRoot> = Vec::new();
    if bundled {
        roots.push(ContentRoot::Bundled);
    }
    roots.extend(dirs.iter().cloned().map(ContentRoot::Dir));
    roots
}

/// The language the reader starts in, and whether the user chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageChoice {
    pub code: String,
    /// Set by `--lang`, the config's `language`, or a locale naming a
    /// language the reader speaks: then it beats the language remembered
    /// from the last run. Otherwise the remembered one fills in.
    pub chosen: bool,
}

/// `--lang` named a language the reader has no words for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--lang \"{given}\": no such language; available: {}", available.join(", "))]
pub struct UnknownLanguage {
    pub given: String,
    pub available: Vec<String>,
}

/// The language: `--lang`, the config's `language`, the locale when it
/// names a language we have, else English (not chosen: a remembered
/// language may replace it).
pub fn choose_language(
    cli: Option<&str>,
    config: &Config,
    env: impl Fn(&str) -> Option<String>,
) -> Result<LanguageChoice, UnknownLanguage> {
    let available = crate::i18n::available_languages();
    if let Some(flag) = cli {
        let code = crate::content::index::primary_language(flag.trim());
        if !available.iter().any(|a| *a == code) {
            return Err(UnknownLanguage {
                given: flag.to_owned(),
                available: available.iter().map(|&a| a.to_owned()).collect(),
            });
        }
        return Ok(LanguageChoice { code, chosen: true });
    }
    // The config's value was checked against the same list when it was read.
    if let Some(code) = &config.language {
        return Ok(LanguageChoice {
            code: code.clone(),
            chosen: true,
        });
    }
    Ok(language_from_locale(&env)
        .filter(|code| available.iter().any(|a| a == code))
        .map_or_else(
            || LanguageChoice {
                code: "en".to_owned(),
                chosen: false,
            },
            |code| LanguageChoice { code, chosen: true },
        ))
}

/// The language as a code, for callers without a flag (SSH sessions): an
/// unknown locale falls back to English.
pub fn language(
    cli: Option<&str>,
    config: &Config,
    env: impl Fn(&str) -> Option<String>,
) -> String {
    choose_language(cli, config, env).map_or_else(|_| "en".to_owned(), |c| c.code)
}

/// The language the reader opens in: the chosen one when there is one,
/// else the one the last run was left in (when we still speak it).
pub fn starting_language(choice: &LanguageChoice, remembered: Option<&str>) -> String {
    let available = crate::i18n::available_languages();
    match remembered {
        Some(code) if !choice.chosen && available.contains(&code) => code.to_owned(),
        _ => choice.code.clone(),
    }
}

/// The language a reader opens in ([`starting_language`]) with the saved
/// state told, so its view does not undo the choice. The local reader and
/// every served session (a remembered reader's state) open this way.
pub fn opening_language(
    choice: &crate::setup::LanguageChoice,
    saved: Option<crate::store::SavedState>,
) -> (String, Option<crate::store::SavedState>) {
    let remembered = saved
        .as_ref()
        .and_then(|s| s.view.as_ref())
        .map(|v| v.language.as_str())
        .filter(|l| !l.is_empty());
    let language = starting_language(choice, remembered);
    let saved = saved.map(|mut s| {
        if let Some(view) = s.view.as_mut() {
            view.language.clone_from(&language);
        }
        s
    });
    (language, saved)
}

/// `de_DE.UTF-8` -> `de`, from `LC_ALL`, `LC_MESSAGES` or `LANG` (first one set).
pub fn language_from_locale(env: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| env(name))
        .find(|v| !v.is_empty())?;
    let code: String = value
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let code = code.to_ascii_lowercase();
    ((2..=3).contains(&code.len()) && code != "c").then_some(code)
}

/// Where the library store is: `--library`, the config's `library`, else
/// the data folder; `None` with `--no-store` (the files are read directly).
pub fn library_path(sources: &Sources, config: &Config) -> Option<PathBuf> {
    if sources.no_store {
        return None;
    }
    sources
        .library
        .clone()
        .or_else(|| config.library.clone())
        .or_else(crate::library_store::default_path)
}

/// The library, and the store it came through when one could be used.
pub struct LibrarySource {
    pub library: Library,
    /// The open store; `None` with `--no-store` or when it could not be used.
    pub store: Option<LibraryStore>,
    /// What the sync did (how many files it parsed), when there was one.
    pub report: Option<SyncReport>,
    /// What the user must be told about the store: a store that could not
    /// be used, or one moved aside. Each caller says them where its user
    /// reads (stderr, the status line, the server's log).
    pub notices: Vec<String>,
}

/// Reads the library through the store at `path` (synced with `roots`
/// first), or from the files when there is no path or the store cannot be
/// used: then a notice says why, so a fallback is never silent.
pub fn open_library(
    path: Option<&Path>,
    roots: &[ContentRoot],
    actors: &ActorDirectory,
) -> LibrarySource {
    open_library_within(path, roots, actors, BUSY_TIMEOUT)
}

/// `open_library`, waiting at most `wait` for another program's write
/// lock when files changed; past it, the library as stored, with a notice
/// (it lacks those changes). Nothing changed: no lock, no wait.
pub fn open_library_within(
    path: Option<&Path>,
    roots: &[ContentRoot],
    actors: &ActorDirectory,
    wait: Duration,
) -> LibrarySource {
    let from_files = |notices| LibrarySource {
        library: load_library(roots, actors),
        store: None,
        report: None,
        notices,
    };
    let Some(path) = path else {
        return from_files(Vec::new());
    };
    match LibraryStore::open_synced_within(path, roots, actors, wait) {
        Ok(synced) => {
            let mut notices = Vec::new();
            if let Some(aside) = &synced.moved_aside {
                notices.push(moved_aside_notice(aside));
            }
            notices.extend(synced.store.recreated_notices());
            LibrarySource {
                library: synced.library,
                report: Some(synced.report),
                store: Some(synced.store),
                notices,
            }
        }
        Err(e) if e.is_locked() => match LibraryStore::open_stored(path, actors) {
            Ok(stored) if stored.synced_before => LibrarySource {
                library: stored.library,
                notices: vec![stored_while_busy(path, wait)],
                store: Some(stored.store),
                report: None,
            },
            _ => from_files(vec![read_directly(&e)]),
        },
        Err(e) => from_files(vec![read_directly(&e)]),
    }
}

/// Files changed, but another program held the store's write lock: what
/// is shown is the library as stored, without those changes.
fn stored_while_busy(path: &Path, wait: Duration) -> String {
    format!(
        "{}: the library store is being written by another program (its lock was held for more than {} ms): shown as stored, without the content files changed since; they are brought in at the next start once it is free",
        path.display(),
        wait.as_millis()
    )
}

/// Whether the store at `path` is still to be made (a missing or empty
/// file): the library is then read from the content files.
pub fn is_first_run(path: &Path) -> bool {
    !std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
}

/// The reader's way in: the library as stored, shown at once, and the sync
/// to run after the first frame (`runtime::syncer`). A new store (first run) has
/// nothing to show yet: the files are read directly, as without a store,
/// and the store is built in the background after the first frame. A
/// store that cannot be read this way falls back to `open_library`, which
/// says why.
pub fn open_library_stored(
    path: Option<&Path>,
    roots: &[ContentRoot],
    actors: &ActorDirectory,
) -> (LibrarySource, Option<BackgroundSync>) {
    let Some(path) = path else {
        return (open_library(None, roots, actors), None);
    };
    let job = SyncJob {
        path: path.to_path_buf(),
        roots: roots.to_vec(),
        actors: actors.clone(),
    };
    // A first run's loader needs both cores: the files are read at once,
    // and the new store is made meanwhile (its schema and the waits for
    // the disk, little of a core).
    let (opened, loaded) = if is_first_run(path) {
        std::thread::scope(|scope| {
            let opening = scope.spawn(|| LibraryStore::open_stored(path, actors));
            let library = load_library(roots, actors);
            (opening.join().ok(), Some(library))
        })
    } else {
        (Some(LibraryStore::open_stored(path, actors)), None)
    };
    let (stored, loaded) = match (opened, loaded) {
        (Some(Ok(stored)), loaded) => (stored, loaded),
        // A new store that could not be made: the files read meanwhile
        // are the library, and the notice says why.
        (Some(Err(e)), Some(library)) => {
            let source = LibrarySource {
                library,
                store: None,
                report: None,
                notices: vec![read_directly(&e)],
            };
            return (source, None);
        }
        _ => {
            let source = open_library(Some(path), roots, actors);
            return (source, None);
        }
    };
    let notices = stored
        .moved_aside
        .as_deref()
        .map(moved_aside_notice)
        .into_iter()
        .chain(stored.store.recreated_notices())
        .collect();
    let (library, sync) = if stored.synced_before {
        // After the first frame, as a first run's: started earlier
        // (`syncer::start_early`, beside the index read or after it), its
        // walk took the core the start needed on a loaded machine and made
        // the warm first screen later for a changed file's text only a
        // little sooner (docs/performance.md, "The first run and an edited
        // file at start").
        (stored.library, BackgroundSync::AfterFirstFrame(job))
    } else {
        let library = loaded.unwrap_or_else(|| load_library(roots, actors));
        (library, BackgroundSync::AfterFirstFrame(job))
    };
    let source = LibrarySource {
        library,
        store: Some(stored.store),
        report: None,
        notices,
    };
    (source, Some(sync))
}

/// Why the store was not used, when the files were read instead.
fn read_directly(e: &crate::library_store::StoreError) -> String {
    format!("{e}; the content files were read directly")
}

/// A store that could not be read was replaced: where it went, and that
/// the reading state it held is not carried over.
fn moved_aside_notice(aside: &Path) -> String {
    format!(
        "the library store could not be read: it was moved to {} and a new one was built from the content folders; the read marks, stars and last view it held are lost",
        aside.display()
    )
}

/// Everything the reader needs to start: config, library, language.
pub struct Startup {
    pub ctx: Context,
    /// The store the library came through (the reader keeps its state in
    /// it); `None` with `--no-store` or when it could not be used.
    pub store: Option<LibraryStore>,
    /// What the last sync did, when the library came through a store
    /// and was synced before it was read.
    pub sync: Option<SyncReport>,
    /// The sync running or still to run, in the background (the reader's start).
    pub background_sync: Option<BackgroundSync>,
    /// Store problems to tell the user (see `LibrarySource::notices`).
    pub store_notices: Vec<String>,
    pub language: String,
    /// Whether the user chose the language (flag, config, locale), so it
    /// beats the one remembered from the last run.
    pub language_chosen: bool,
}

/// Why nothing could start; every variant is a usage or input error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Config errors, each located; warnings of the same file among them, in line order.
    #[error("the configuration has errors")]
    Config(Vec<Diagnostic>),
    #[error(transparent)]
    Language(#[from] UnknownLanguage),
    /// A content folder that was asked for is missing or not a folder.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Content(Vec<Diagnostic>),
}

/// Loads the config (errors stop here) and the content it names, synced
/// into the store before it is read (`list`, `show`).
pub fn start(sources: &Sources) -> Result<Startup, StartError> {
    let config = load_config(config_path(sources.config.as_deref()).as_deref())
        .map_err(StartError::Config)?;
    let roots = content_roots(&sources.content, sources.bundled, &config);
    start_with(sources, config, &roots)
}

/// As `start`, for the reader: the library as stored, with the sync left
/// for the background (`Startup::background_sync`).
pub fn start_reader(sources: &Sources) -> Result<Startup, StartError> {
    start_reader_with(sources, &mut |_, _| {})
}

/// Called by the reader's start once the config is read, before the
/// library is: with the config and the store's path (`start_reader_with`).
pub type BeforeLibrary<'a> = dyn FnMut(&Config, Option<&Path>) + 'a;

/// As `start_reader`; `before_library` is
/// called once the config is read and the content folders are found,
/// before the library is read (with the config and the store's path).
pub fn start_reader_with(
    sources: &Sources,
    before_library: &mut BeforeLibrary<'_>,
) -> Result<Startup, StartError> {
    let config = load_config(config_path(sources.config.as_deref()).as_deref())
        .map_err(StartError::Config)?;
    let roots = content_roots(&sources.content, sources.bundled, &config);
    start_from(sources, config, &roots, Some(before_library))
}

/// Loads `roots` under an already loaded config.
pub fn start_with(
    sources: &Sources,
    config: Config,
    roots: &[ContentRoot],
) -> Result<Startup, StartError> {
    start_from(sources, config, roots, None)
}

/// `reader`: the reader's start (`start_reader_with`), with what to call
/// before it reads the library.
fn start_from(
    sources: &Sources,
    mut config: Config,
    roots: &[ContentRoot],
    reader: Option<&mut BeforeLibrary<'_>>,
) -> Result<Startup, StartError> {
    let choice = choose_language(sources.lang.as_deref(), &config, |name| {
        std::env::var(name).ok()
    })?;
    let missing = missing_roots(roots);
    if !missing.is_empty() {
        return Err(StartError::Content(missing));
    }
    let path = library_path(sources, &config);
    let (source, background_sync) = if let Some(before_library) = reader {
        before_library(&config, path.as_deref());
        open_library_stored(path.as_deref(), roots, &config.actor_directory())
    } else {
        let source = open_library_within(
            path.as_deref(),
            roots,
            &config.actor_directory(),
            COMMAND_SYNC_WAIT,
        );
        (source, None)
    };
    let depth = config.color_depth(|name| std::env::var(name).ok());
    config.adapt_colors(depth);
    Ok(Startup {
        ctx: Context::new(source.library, config),
        store: source.store,
        sync: source.report,
        background_sync,
        store_notices: source.notices,
        language: choice.code,
        language_chosen: choice.chosen,
    })
}

/// Content folders that do not exist or are not folders: asking for them
/// is a mistake to stop on, not a library to show empty.
pub fn missing_roots(roots: &[ContentRoot]) -> Vec<Diagnostic> {
    roots
        .iter()
        .filter_map(|root| match root {
            ContentRoot::Dir(dir) => {
                let message = match std::fs::metadata(dir) {
                    Ok(m) if m.is_dir() => return None,
                    Ok(_) => "content folder is not a folder".to_owned(),
                    Err(e) => format!("content folder cannot be read: {e}"),
                };
                Some(Diagnostic {
                    path: crate::content::load::tidy_path(dir).display().to_string(),
                    position: None,
                    severity: Severity::Error,
                    message,
                })
            }
            ContentRoot::Bundled => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn a_config_that_is_not_utf8_is_said_with_the_place_of_its_first_bad_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, b"theme = \"dark\"\n# caf\xe9\n").unwrap();
        let said = load_config(Some(&path)).unwrap_err();
        assert_eq!(said[0].position, Some((2, 6)), "{:?}", said[0]);
        assert!(said[0].message.contains("not valid UTF-8"));
    }

    #[test]
    fn language_follows_the_locale_then_english() {
        let config = Config::built_in().unwrap();
        assert_eq!(
            language(None, &config, env(&[("LANG", "de_DE.UTF-8")])),
            "de"
        );
        assert_eq!(
            language(
                None,
                &config,
                env(&[("LC_ALL", "en_GB.UTF-8"), ("LANG", "de_DE")])
            ),
            "en"
        );
        assert_eq!(language(None, &config, env(&[("LANG", "C.UTF-8")])), "en");
        assert_eq!(language(None, &config, env(&[])), "en");
        assert_eq!(
            language(Some("DE"), &config, env(&[("LANG", "en_US")])),
            "de"
        );
    }

    #[test]
    fn content_flags_replace_the_bundled_edition_unless_asked_for() {
        let config = Config::built_in().unwrap();
        assert_eq!(content_roots(&[], false, &config), [ContentRoot::Bundled]);
        let dir = PathBuf::from("news");
        assert_eq!(
            content_roots(std::slice::from_ref(&dir), false, &config),
            [ContentRoot::Dir(dir.clone())]
        );
        assert_eq!(
            content_roots(std::slice::from_ref(&dir), true, &config),
            [ContentRoot::Bundled, ContentRoot::Dir(dir)]
        );
    }
}
