//! `aiwatch-tui feeds add/list/remove/import/export`: subscriptions kept in
//! the user's config file. Writes go through `feeds::edit` (comments kept,
//! atomic); output goes to any `Write`, so tests read what users see.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::config::{Feed, check_url, name_from_url};
use super::edit::{ConfigFile, NewFeed};
use super::{discover, opml, parse};
use crate::cli::{FeedsArgs, FeedsCommand, FeedsFormat};
use crate::config::Config;

/// Exit statuses, as for the other commands.
pub const OK: u8 = 0;
pub const FAILED: u8 = 1;
pub const CONFIG_ERRORS: u8 = 2;

/// The most bytes read from an OPML file given to `import`.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// What the store knows of a feed's fetches (`feeds list`); a feed the
/// store has no record of is "never fetched".
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedStatus {
    pub last_fetch: Option<String>,
    /// One of [`STATUSES`], for scripts (`--format json`); the text line
    /// adds the redirect and the wait to it.
    pub status: &'static str,
    pub items: u64,
    pub last_error: Option<String>,
    /// A permanent redirect was followed: the URL the config should say.
    pub moved_to: Option<String>,
    /// The server asked not to be asked again before then (RFC 3339).
    pub retry_after: Option<String>,
}

/// Every `status` of `feeds list`: a fixed vocabulary, never free text.
pub const STATUSES: [&str; 4] = ["ok", "ok (not modified)", "failed", "never fetched"];

impl FeedStatus {
    /// The status as the text line says it: with a permanent redirect
    /// and a Retry-After when there are.
    fn text(&self) -> String {
        let mut status = self.status.to_owned();
        if let Some(to) = &self.moved_to {
            status = format!("{status}; moved permanently to {to}: update the config");
        }
        if let Some(at) = &self.retry_after {
            status = format!("{status}; not before {at}");
        }
        status
    }
}

/// Runs a `feeds` command: `sources` gives `--config` and the store
/// (`--library`, `--no-store`).
pub fn run(
    sources: &crate::cli::Sources,
    args: &FeedsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    let explicit = sources.config.as_deref();
    let Some(path) = target_path(explicit) else {
        writeln!(
            err,
            "aiwatch-tui: no config folder is known (set XDG_CONFIG_HOME or HOME, or pass --config)"
        )?;
        return Ok(CONFIG_ERRORS);
    };
    // add, remove and import read the file, change it and write it back:
    // another process doing the same meanwhile waits, so that neither
    // writes over the other's change.
    let _lock = matches!(
        args.command,
        FeedsCommand::Add { .. } | FeedsCommand::Remove { .. } | FeedsCommand::Import { .. }
    )
    .then(|| crate::atomic_file::lock_folder_of(&path));
    // The user's file may not exist yet: `feeds add` creates it.
    let config = if path.exists() {
        crate::setup::load_config(Some(&path))
    } else {
        Config::built_in()
    };
    let config = match config {
        Ok(c) => c,
        Err(problems) => {
            for p in &problems {
                writeln!(err, "{p}")?;
            }
            writeln!(
                err,
                "aiwatch-tui: the configuration has errors; fix them first"
            )?;
            return Ok(CONFIG_ERRORS);
        }
    };
    match &args.command {
        FeedsCommand::Add { url, name, topic } => {
            add(&path, &config, url, name.as_deref(), topic, out, err)
        }
        FeedsCommand::List { format } => {
            let store = crate::setup::library_path(sources, &config);
            let store = open_store(store.as_deref(), err)?;
            let status = |f: &Feed| {
                store
                    .as_ref()
                    .and_then(|s| s.feed_status(&f.url).ok())
                    .map(|s| stored_status(&s))
            };
            list(&config, *format, &status, out)
        }
        FeedsCommand::Remove { name } => remove(&path, &config, name, out, err),
        FeedsCommand::Import { file } => import(&path, &config, file, out, err),
        FeedsCommand::Export => {
            out.write_all(opml::write(&config.feeds).as_bytes())?;
            Ok(OK)
        }
    }
}

/// The store `feeds list` reads, when there is one: a missing file is not
/// created (nothing was fetched into it); one that cannot be opened is
/// said on `err`, and every feed is then listed without store data.
fn open_store(
    path: Option<&Path>,
    err: &mut dyn Write,
) -> io::Result<Option<crate::library_store::LibraryStore>> {
    let Some(path) = path.filter(|p| p.exists()) else {
        return Ok(None);
    };
    match crate::library_store::LibraryStore::open(path) {
        Ok(opened) => Ok(Some(opened.store)),
        Err(e) => {
            writeln!(
                err,
                "aiwatch-tui: {e}; listing the feeds without what was fetched"
            )?;
            Ok(None)
        }
    }
}

/// A feed's line of `feeds list` from the store's record.
fn stored_status(stored: &crate::library_store::feeds::FeedStatus) -> FeedStatus {
    use super::ledger::Outcome;
    let Some(last) = &stored.last else {
        return FeedStatus {
            status: STATUSES[3],
            items: stored.items as u64,
            ..FeedStatus::default()
        };
    };
    let (status, last_error) = match &last.outcome {
        Outcome::Fetched { .. } => (STATUSES[0], None),
        Outcome::NotModified => (STATUSES[1], None),
        Outcome::Failed { reason } => (STATUSES[2], Some(reason.clone())),
    };
    FeedStatus {
        last_fetch: Some(last.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        status,
        items: stored.items as u64,
        last_error,
        moved_to: last.moved_to.clone(),
        retry_after: last
            .retry_after
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    }
}

/// The file that `feeds add/remove/import` change: `--config`, else the
/// XDG one (created when missing).
pub fn target_path(explicit: Option<&Path>) -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    Some(
        etcetera::choose_base_strategy()
            .ok()?
            .config_dir()
            .join("aiwatch-tui")
            .join("config.toml"),
    )
}

fn add(
    path: &Path,
    config: &Config,
    given: &str,
    name: Option<&str>,
    topics: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    let mut url = match as_url(given) {
        Ok(u) => u,
        Err(reason) => {
            writeln!(err, "aiwatch-tui: {reason}")?;
            return Ok(CONFIG_ERRORS);
        }
    };
    let mut title = None;
    let mut checked = false;
    // Why a web address could not be read now (it is added all the same).
    let mut unreachable = None;
    let local = match read_behind(&url, err, &mut unreachable)? {
        Behind::Refused => return Ok(FAILED),
        Behind::NotRead => None,
        Behind::Bytes(bytes) => Some(bytes),
    };
    if let Some(bytes) = local {
        let text = String::from_utf8_lossy(&bytes);
        let mut bytes = bytes.clone();
        if discover::is_html(&text) {
            let page = url::Url::parse(&url).map_err(io::Error::other)?;
            let Some(found) = discover::feeds_in_page(&text, &page).into_iter().next() else {
                writeln!(
                    err,
                    "aiwatch-tui: {url} is an HTML page that announces no feed (no <link rel=\"alternate\"> of a feed type)"
                )?;
                return Ok(FAILED);
            };
            writeln!(out, "found the feed {} announced by {url}", found.url)?;
            url = found.url;
            bytes = match read_behind(&url, err, &mut unreachable)? {
                Behind::Refused => return Ok(FAILED),
                Behind::NotRead => Vec::new(),
                Behind::Bytes(b) => b,
            };
        }
        // A local file is read now, an empty one too (it is no feed); a
        // web address as far as it could be read.
        if url.starts_with("file:") || unreachable.is_none() {
            match parse::parse(&bytes, None, Some(&url)) {
                Ok(feed) => {
                    title = feed.title;
                    checked = true;
                }
                Err(e) => {
                    writeln!(err, "aiwatch-tui: {url}: {e}; not added")?;
                    return Ok(FAILED);
                }
            }
        }
    }
    if let Some(existing) = config.feeds.iter().find(|f| f.url == url) {
        writeln!(out, "already subscribed: \"{}\" <{url}>", existing.name)?;
        return Ok(OK);
    }
    // Shown on terminals and written to the config: control characters
    // made visible, as `feeds import` does with the names it reads.
    let given = name.map(|n| crate::text::screen_safe(n.trim(), false));
    let name = match given.as_deref() {
        Some(n) if config.feeds.iter().any(|f| f.name.eq_ignore_ascii_case(n)) => {
            writeln!(
                err,
                "aiwatch-tui: a feed named \"{n}\" exists already; choose another --name"
            )?;
            return Ok(CONFIG_ERRORS);
        }
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => unique_name(
            &title.unwrap_or_else(|| name_from_url(&url)),
            &config.feeds,
            &[],
        ),
    };
    let mut file = match ConfigFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            writeln!(err, "aiwatch-tui: {e}")?;
            return Ok(CONFIG_ERRORS);
        }
    };
    let result = file
        .add(&NewFeed {
            url: url.clone(),
            name: Some(name.clone()),
            topics: topics.to_vec(),
        })
        .and_then(|()| file.save(path));
    if let Err(e) = result {
        writeln!(err, "aiwatch-tui: {e}")?;
        return Ok(FAILED);
    }
    let note = match (checked, unreachable) {
        (true, _) => String::new(),
        (false, Some(reason)) => format!(
            " (not checked: {}; it is read on the first fetch)",
            crate::text::screen_safe(&reason, false)
        ),
        (false, None) => " (not checked: it is read on the first fetch)".to_owned(),
    };
    writeln!(out, "added \"{name}\" <{url}> to {}{note}", path.display())?;
    Ok(OK)
}

/// A URL, or a local path made into a file URL.
fn as_url(given: &str) -> Result<String, String> {
    let given = given.trim();
    if !given.contains("://") {
        let path = Path::new(given);
        if path.exists() {
            let absolute = std::fs::canonicalize(path).map_err(|e| format!("{given}: {e}"))?;
            return url::Url::from_file_path(&absolute)
                .map(String::from)
                .map_err(|()| format!("{given}: cannot be made a file URL"));
        }
        if given.contains('.') && !given.starts_with('/') {
            // `example.org/feed`: a site without its scheme.
            return check_url(&format!("https://{given}"));
        }
    }
    check_url(given)
}

/// What is behind a URL given to `add`, read now.
enum Behind {
    Bytes(Vec<u8>),
    /// A web address not read now (why in `unreachable`), or no body.
    NotRead,
    /// Not to be added (already said).
    Refused,
}

fn read_behind(
    url: &str,
    err: &mut dyn Write,
    unreachable: &mut Option<String>,
) -> io::Result<Behind> {
    Ok(match read_local(url, err)? {
        Local::Unreadable => Behind::Refused,
        Local::Remote => match fetch_remote(url, unreachable) {
            Ok(Some(body)) => Behind::Bytes(body),
            Ok(None) => Behind::NotRead,
            Err(reason) => {
                writeln!(err, "aiwatch-tui: {url}: {reason}; not added")?;
                Behind::Refused
            }
        },
        Local::Bytes(bytes) => Behind::Bytes(bytes),
    })
}

/// How long `feeds add` waits for a web address before adding it
/// unchecked: shorter than a fetch's, someone is waiting at the prompt.
const ADD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The body behind a web address (an http or https URL) given to `add`,
/// so a site's page can be searched for its feed and a feed named by its
/// title; `None`, with the reason in `unreachable`, when it cannot be read
/// now (offline, a server down: the feed is added unchecked).
/// `Err` when the server says there is nothing there (404, 410): a
/// mistyped address is not added.
fn fetch_remote(url: &str, unreachable: &mut Option<String>) -> Result<Option<Vec<u8>>, String> {
    let client = super::http::Client::new(super::http::Limits {
        timeout: ADD_TIMEOUT,
        connect_timeout: ADD_TIMEOUT,
        ..super::http::Limits::default()
    });
    match client.get(url, &super::ledger::Validators::default(), &mut |_| {}) {
        Ok(response) => Ok(response.body),
        Err(
            e @ super::http::HttpError::Status {
                status: 404 | 410, ..
            },
        ) => Err(e.to_string()),
        Err(e) => {
            *unreachable = Some(e.to_string());
            Ok(None)
        }
    }
}

/// What is behind a URL given to `add`, as far as it is read now.
enum Local {
    /// http or https: read on the first fetch.
    Remote,
    /// A local file's bytes, bounded.
    Bytes(Vec<u8>),
    /// A local file that could not be read: already said.
    Unreadable,
}

/// The bytes behind a file URL, bounded; says why when it cannot be read.
fn read_local(url: &str, err: &mut dyn Write) -> io::Result<Local> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(Local::Remote);
    };
    if parsed.scheme() != "file" {
        return Ok(Local::Remote);
    }
    if parsed.to_file_path().is_err() {
        let shown = crate::text::screen_safe(url, false);
        writeln!(err, "aiwatch-tui: {shown}: not a local path")?;
        return Ok(Local::Unreadable);
    }
    // Read as `fetch` reads a file feed (up to its 256 MiB), so a feed
    // that fetches can be added.
    match super::fetch::read_file_url(url) {
        Ok(bytes) => Ok(Local::Bytes(bytes)),
        Err(e) => {
            // A path may hold control characters: shown visible.
            let shown = crate::text::screen_safe(&e.to_string(), false);
            writeln!(err, "aiwatch-tui: {shown}; not added")?;
            Ok(Local::Unreadable)
        }
    }
}

fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    crate::atomic_file::refuse_special_file(path)?;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::other(format!(
            "larger than {} MiB",
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    Ok(bytes)
}

/// `name`, or `name 2`, `name 3`... when a feed has it already.
fn unique_name(name: &str, feeds: &[Feed], taken: &[String]) -> String {
    let used = |n: &str| {
        feeds.iter().any(|f| f.name.eq_ignore_ascii_case(n))
            || taken.iter().any(|t| t.eq_ignore_ascii_case(n))
    };
    let base = crate::text::sanitize(name.trim(), false).0;
    if !used(&base) {
        return base;
    }
    // At most every feed has one of these names, so one is free.
    (2..=feeds.len() + taken.len() + 2)
        .map(|i| format!("{base} {i}"))
        .find(|n| !used(n))
        .unwrap_or(base)
}

#[derive(Serialize)]
struct Listed<'a> {
    name: &'a str,
    url: &'a str,
    lang: Option<&'a str>,
    topics: &'a [String],
    actors: &'a [String],
    every_seconds: Option<u64>,
    #[serde(flatten)]
    status: FeedStatus,
}

/// `feeds list`: every subscription with what the store knows of it.
pub fn list(
    config: &Config,
    format: FeedsFormat,
    status: &dyn Fn(&Feed) -> Option<FeedStatus>,
    out: &mut dyn Write,
) -> io::Result<u8> {
    let rows: Vec<Listed<'_>> = config
        .feeds
        .iter()
        .map(|f| Listed {
            name: &f.name,
            url: &f.url,
            lang: f.lang.as_deref(),
            topics: &f.topics,
            actors: &f.actors,
            every_seconds: f.every.map(|d| d.as_secs()),
            status: status(f).unwrap_or_else(|| FeedStatus {
                status: STATUSES[3],
                ..FeedStatus::default()
            }),
        })
        .collect();
    match format {
        FeedsFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
            writeln!(out)?;
        }
        FeedsFormat::Text => {
            if rows.is_empty() {
                writeln!(out, "no feeds; add one with `aiwatch-tui feeds add URL`")?;
            }
            for r in &rows {
                writeln!(
                    out,
                    "{}\t{}\tlast fetch: {}\t{}\titems: {}{}",
                    r.name,
                    r.url,
                    r.status.last_fetch.as_deref().unwrap_or("never"),
                    r.status.text(),
                    r.status.items,
                    r.status
                        .last_error
                        .as_deref()
                        .map(|e| format!("\terror: {e}"))
                        .unwrap_or_default()
                )?;
            }
        }
    }
    Ok(OK)
}

fn remove(
    path: &Path,
    config: &Config,
    key: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    let mut file = match ConfigFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            writeln!(err, "aiwatch-tui: {e}")?;
            return Ok(CONFIG_ERRORS);
        }
    };
    let derived: Vec<(String, String)> = config
        .feeds
        .iter()
        .map(|f| (f.url.clone(), f.name.clone()))
        .collect();
    let key = key.trim();
    // The URL as the config normalises it, so `remove URL` matches too.
    let url_key = check_url(key).unwrap_or_else(|_| key.to_owned());
    let mut removed = file.remove(key, &derived);
    if removed == 0 && url_key != key {
        removed = file.remove(&url_key, &derived);
    }
    // A name typed with control characters: `feeds add` wrote it in its
    // visible form, so that is what the config holds.
    let visible = crate::text::screen_safe(key, false);
    if removed == 0 && visible != key {
        removed = file.remove(&visible, &derived);
    }
    if removed == 0 {
        let names: Vec<&str> = config.feeds.iter().map(|f| f.name.as_str()).collect();
        let known = if names.is_empty() {
            "there are none".to_owned()
        } else {
            format!("subscribed: {}", names.join(", "))
        };
        writeln!(
            err,
            "aiwatch-tui: no feed named \"{}\" in {}; {known}",
            crate::text::screen_safe(key, false),
            path.display()
        )?;
        return Ok(FAILED);
    }
    if let Err(e) = file.save(path) {
        writeln!(err, "aiwatch-tui: {e}")?;
        return Ok(FAILED);
    }
    // Named as the config names it, not as typed.
    let gone: Vec<String> = config
        .feeds
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case(key) || f.url == key || f.url == url_key)
        .map(|f| format!("\"{}\" <{}>", f.name, f.url))
        .collect();
    let what = if gone.is_empty() {
        format!("\"{}\"", crate::text::screen_safe(key, false))
    } else {
        gone.join(", ")
    };
    writeln!(
        out,
        "removed {what} from {} (its items stay in the store until they expire)",
        path.display()
    )?;
    Ok(OK)
}

fn import(
    path: &Path,
    config: &Config,
    opml_path: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    let bytes = match read_bounded(opml_path) {
        Ok(b) => b,
        Err(e) => {
            writeln!(err, "aiwatch-tui: {}: {e}", opml_path.display())?;
            return Ok(FAILED);
        }
    };
    let text = super::decode::decode(&bytes, None).text;
    let outlines = match opml::read(&text) {
        Ok(opml::Opml {
            outlines,
            cut_short: Some(cut),
        }) => {
            let ((line, col), inside) = (
                cut.position,
                if cut.inside_tag { " inside a tag," } else { "" },
            );
            writeln!(
                err,
                "{}:{line}:{col}: warning: the file ends{inside} before </opml>, so it may be cut short: the feeds before the cut are read",
                opml_path.display()
            )?;
            outlines
        }
        Ok(o) => o.outlines,
        Err(e) => {
            // `PATH:LINE:COL: reason`, or `PATH: reason` without a place.
            let gap = if e.position.is_some() { "" } else { " " };
            writeln!(err, "{}:{gap}{e}", opml_path.display())?;
            return Ok(FAILED);
        }
    };
    let mut file = match ConfigFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            writeln!(err, "aiwatch-tui: {e}")?;
            return Ok(CONFIG_ERRORS);
        }
    };
    let (mut added, mut known, mut skipped) = (Vec::new(), 0usize, 0usize);
    let mut urls: Vec<String> = config.feeds.iter().map(|f| f.url.clone()).collect();
    for o in outlines {
        let url = match check_url(&o.url) {
            Ok(u) => u,
            Err(reason) => {
                writeln!(
                    err,
                    "skipped {}: {reason}",
                    crate::toml_doc::printable(&o.url)
                )?;
                skipped += 1;
                continue;
            }
        };
        if urls.contains(&url) {
            known += 1;
            continue;
        }
        let name = unique_name(
            &o.title.clone().unwrap_or_else(|| name_from_url(&url)),
            &config.feeds,
            &added,
        );
        if let Err(e) = file.add(&NewFeed {
            url: url.clone(),
            name: Some(name.clone()),
            topics: o.topics,
        }) {
            writeln!(err, "aiwatch-tui: {e}")?;
            return Ok(CONFIG_ERRORS);
        }
        urls.push(url);
        added.push(name);
    }
    if !added.is_empty()
        && let Err(e) = file.save(path)
    {
        writeln!(err, "aiwatch-tui: {e}")?;
        return Ok(FAILED);
    }
    writeln!(
        out,
        "imported {} {} into {} ({known} already subscribed, {skipped} skipped)",
        added.len(),
        if added.len() == 1 { "feed" } else { "feeds" },
        path.display()
    )?;
    Ok(if skipped > 0 { FAILED } else { OK })
}
