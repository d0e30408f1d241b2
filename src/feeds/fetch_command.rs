//! `aiwatch-tui fetch [--feed NAME]...`: the subscribed feeds into the
//! library store. Picks the feeds and the store, runs `feeds::run`, and
//! says what happened: live progress lines on a terminal, one `key=value`
//! line per feed otherwise (for cron and systemd's journal), each failure
//! as one readable line on stderr, and the exit status (0 all fetched,
//! 1 some failed, 2 configuration errors).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;
use std::io::{self, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::article::{FetchedArticle, ItemSink};
use super::config::Feed;
use super::fetch::known_topics;
use super::http::Limits;
use super::ledger::{FeedLedger, FetchRecord, MemoryLedger, Validators};
use super::run::{self, Context, Options, Progress, Report, Status};
use super::tag::Tagger;
use crate::cli::{FetchArgs, Sources};
use crate::library_store::LibraryStore;
use crate::library_store::feeds::FeedSink;

pub const OK: u8 = 0;
pub const FAILED: u8 = 1;
pub const CONFIG_ERRORS: u8 = 2;

/// Where the command writes, and whether it may draw progress (the
/// terminal's width when standard output is one).
pub struct Output<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub terminal_width: Option<u16>,
}

/// Opens the store to fetch into, saying on stderr what the user must
/// know of it (moved aside, a reading-state table made again); a log left
/// large by a writer killed in a large put is cut back before this run
/// writes (never waiting for a reader). `Err`: the exit status.
fn open_store(path: &Path, io: &mut Output<'_>) -> io::Result<Result<LibraryStore, u8>> {
    let mut store = match LibraryStore::open(path) {
        Ok(opened) => {
            if let Some(aside) = opened.moved_aside {
                writeln!(
                    io.err,
                    "aiwatch-tui: the library store could not be read: it was moved to {} and a new one made",
                    aside.display()
                )?;
            }
            for notice in opened.store.recreated_notices() {
                writeln!(io.err, "aiwatch-tui: {notice}")?;
            }
            opened.store
        }
        Err(e) => {
            writeln!(io.err, "aiwatch-tui: {e}; nothing was fetched")?;
            return Ok(Err(if e.is_unusable_path() {
                CONFIG_ERRORS
            } else {
                FAILED
            }));
        }
    };
    if let Err(e) = store.trim_log() {
        writeln!(io.err, "aiwatch-tui: {e}; its log was not cut back")?;
    }
    Ok(Ok(store))
}

/// Runs `fetch`.
pub fn run(sources: &Sources, args: &FetchArgs, io: &mut Output<'_>) -> io::Result<u8> {
    let config_path = crate::setup::config_path(sources.config.as_deref());
    let config = match crate::setup::load_config(config_path.as_deref()) {
        Ok(c) => c,
        Err(problems) => {
            for p in &problems {
                writeln!(io.err, "{p}")?;
            }
            writeln!(
                io.err,
                "aiwatch-tui: the configuration has errors; nothing was fetched"
            )?;
            return Ok(CONFIG_ERRORS);
        }
    };
    for warning in &config.warnings {
        writeln!(io.err, "{warning}")?;
    }
    let feeds = match pick(&config.feeds, &args.feed) {
        Ok(f) => f,
        Err(message) => {
            writeln!(io.err, "aiwatch-tui: {message}")?;
            return Ok(CONFIG_ERRORS);
        }
    };
    let limits = Limits {
        timeout: args
            .timeout
            .map_or(super::http::DEFAULT_TIMEOUT, Duration::from_secs),
        connect_timeout: args
            .timeout
            .map_or(super::http::DEFAULT_TIMEOUT, Duration::from_secs),
        max_body: args.max_body.unwrap_or(super::http::DEFAULT_MAX_BODY),
    };
    let options = Options {
        limits,
        ..Options::default()
    };
    let tagger = Tagger::from_config(&config);
    let topics = known_topics(&config);
    let ctx = Context {
        tagger: &tagger,
        known_topics: &topics,
    };
    let shown_config = config_path.map_or_else(
        || "your config file".to_owned(),
        |p| p.display().to_string(),
    );
    let Some(store_path) = crate::setup::library_path(sources, &config) else {
        writeln!(
            io.err,
            "aiwatch-tui: --no-store: the feeds are fetched and checked, but nothing is kept"
        )?;
        let mut tally = Tally::new(MemoryLedger::default());
        let (reports, took) = fetch_into(&feeds, &mut tally, &ctx, &options, io)?;
        let put = Puts {
            added: &tally.added.borrow(),
            duplicates: &tally.duplicates.borrow(),
        };
        return finish(&reports, &put, &shown_config, took, io);
    };
    let mut store = match open_store(&store_path, io)? {
        Ok(store) => store,
        Err(status) => return Ok(status),
    };
    let mut tally = Tally::new(store.feed_sink(super::refresh::feed_options(&config)));
    let (reports, took) = fetch_into(&feeds, &mut tally, &ctx, &options, io)?;
    let added = tally.added.borrow().clone();
    let duplicates = tally.duplicates.borrow().clone();
    drop(tally);
    // For `serve`'s schedule: each feed's own refresh hint.
    if let Err(e) = store.keep_refresh_hints(&reports) {
        writeln!(
            io.err,
            "aiwatch-tui: {e}; the feeds' refresh hints were not kept"
        )?;
    }
    let put = Puts {
        added: &added,
        duplicates: &duplicates,
    };
    finish(&reports, &put, &shown_config, took, io)
}

/// What the puts of a run did, per feed URL.
struct Puts<'a> {
    added: &'a HashMap<String, usize>,
    duplicates: &'a HashMap<String, usize>,
}

/// The feeds `--feed` names (by name in any case, or URL), or all; an
/// unknown name is an error naming it and the subscribed ones.
fn pick(all: &[Feed], wanted: &[String]) -> Result<Vec<Feed>, String> {
    if all.is_empty() {
        return Err("no feeds are subscribed; add one with `aiwatch-tui feeds add URL`".to_owned());
    }
    if wanted.is_empty() {
        return Ok(all.to_vec());
    }
    let mut picked: Vec<Feed> = Vec::new();
    for name in wanted {
        let found = all
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name.trim()) || f.url == name.trim());
        match found {
            Some(f) if picked.iter().any(|p| p.url == f.url) => {}
            Some(f) => picked.push(f.clone()),
            None => {
                let names: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
                return Err(format!(
                    "no feed named \"{}\"; subscribed: {}",
                    crate::toml_doc::printable(name),
                    names.join(", ")
                ));
            }
        }
    }
    Ok(picked)
}

fn fetch_into<S>(
    feeds: &[Feed],
    store: &mut Tally<S>,
    ctx: &Context<'_>,
    options: &Options,
    io: &mut Output<'_>,
) -> io::Result<(Vec<Report>, Duration)>
where
    S: FeedLedger + ItemSink + Added,
    <S as FeedLedger>::Error: Display,
    <S as ItemSink>::Error: Display,
{
    let added = Rc::clone(&store.added);
    let duplicates = Rc::clone(&store.duplicates);
    let started = Instant::now();
    let mut live = io
        .terminal_width
        .map(|w| Live::new(feeds.len(), usize::from(w.max(20))));
    let mut failure = None;
    let reports = run::run(feeds, store, ctx, options, &mut |progress| {
        let written = match live.as_mut() {
            Some(live) => live.event(progress, feeds, io.out),
            None => match progress {
                Progress::Done { report, .. } => {
                    let new = added.borrow().get(&report.url).copied();
                    let fields = key_values(report, new);
                    match duplicates.borrow().get(&report.url) {
                        Some(n) => writeln!(io.out, "{fields} duplicates={n}"),
                        None => writeln!(io.out, "{fields}"),
                    }
                }
                _ => Ok(()),
            },
        };
        if let Err(e) = written {
            failure.get_or_insert(e);
        }
    });
    if let Some(live) = live.as_mut() {
        live.close(io.out)?;
    }
    // A closed pipe stops the printing, never the fetching.
    if let Some(e) = failure {
        return Err(e);
    }
    Ok((reports, started.elapsed()))
}

/// Says what happened after the run: each failure, each moved feed, a
/// summary; returns the exit status.
fn finish(
    reports: &[Report],
    put: &Puts<'_>,
    config: &str,
    took: Duration,
    io: &mut Output<'_>,
) -> io::Result<u8> {
    let mut failed = 0;
    for report in reports {
        let name = clean(&report.name);
        match &report.status {
            Status::Failed(reason) => {
                failed += 1;
                writeln!(
                    io.err,
                    "aiwatch-tui: {name} ({}) failed: {}",
                    clean(&report.url),
                    clean(reason)
                )?;
            }
            Status::Waiting(until) => writeln!(
                io.err,
                "aiwatch-tui: {name} skipped: its server asked us to wait until {}",
                until.format("%Y-%m-%d %H:%M UTC")
            )?,
            Status::Fetched | Status::NotModified => {}
        }
        if let Some(n) = put.duplicates.get(&report.url) {
            writeln!(
                io.err,
                "aiwatch-tui: {name}: {n} {} the guid (or, without one, the link) of an item before {} in the feed; the first of each was kept",
                if *n == 1 {
                    "item repeats"
                } else {
                    "items repeat"
                },
                if *n == 1 { "it" } else { "them" },
            )?;
        }
        if let Some(to) = &report.moved_to {
            writeln!(
                io.err,
                "aiwatch-tui: {name} has moved permanently to {}; change its url in {config} (the old one may stop working)",
                clean(to)
            )?;
        }
    }
    if io.terminal_width.is_some() {
        let new: usize = reports.iter().filter_map(|r| put.added.get(&r.url)).sum();
        writeln!(
            io.out,
            "{} of {} {} fetched, {}{} ({:.1} s)",
            reports.len() - failed,
            reports.len(),
            if reports.len() == 1 { "feed" } else { "feeds" },
            items(new, "new "),
            if failed > 0 {
                format!(", {failed} failed (above)")
            } else {
                String::new()
            },
            took.as_secs_f64()
        )?;
    }
    Ok(if failed > 0 { FAILED } else { OK })
}

/// One line per feed for logs: `feed=heise url=... status=ok items=20
/// new=3 ms=412`, values with spaces or quotes quoted.
pub fn key_values(report: &Report, new: Option<usize>) -> String {
    use std::fmt::Write as _;
    let status = match &report.status {
        Status::Fetched => "ok",
        Status::NotModified => "not-modified",
        Status::Waiting(_) => "waiting",
        Status::Failed(_) => "failed",
    };
    let mut line = format!(
        "feed={} url={} status={status} items={}",
        value(&report.name),
        value(&report.url),
        report.items
    );
    if let Some(n) = new {
        let _ = write!(line, " new={n}");
    }
    let _ = write!(line, " ms={}", report.elapsed.as_millis());
    match &report.status {
        Status::Failed(reason) => {
            let _ = write!(line, " reason={}", value(reason));
        }
        Status::Waiting(until) => {
            let _ = write!(line, " until={}", until.to_rfc3339());
        }
        _ => {}
    }
    if let Some(to) = &report.moved_to {
        let _ = write!(line, " moved_to={}", value(to));
    }
    line
}

/// A value as is when it is one plain word, else quoted with `\"` and `\\`.
fn value(text: &str) -> String {
    let text = clean(text);
    let plain = !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | '='));
    if plain {
        return text;
    }
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Terminal-safe: a reason may carry what a server sent.
fn clean(text: &str) -> String {
    crate::text::screen_safe(text, false)
}

/// Live progress on a terminal: finished feeds scroll up as lines; below
/// them one line per feed in flight and a total, redrawn in place.
struct Live {
    total: usize,
    done: usize,
    width: usize,
    in_flight: Vec<(usize, u64)>,
    drawn: usize,
    last_draw: Option<Instant>,
}

impl Live {
    fn new(total: usize, width: usize) -> Self {
        Self {
            total,
            done: 0,
            width,
            in_flight: Vec::new(),
            drawn: 0,
            last_draw: None,
        }
    }

    fn event(
        &mut self,
        progress: &Progress,
        feeds: &[Feed],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut finished = None;
        match progress {
            Progress::Started { index } => self.in_flight.push((*index, 0)),
            Progress::Bytes { index, bytes } => {
                if let Some(f) = self.in_flight.iter_mut().find(|f| f.0 == *index) {
                    f.1 = *bytes;
                }
                // Bytes come often: at most ten redraws a second.
                if self
                    .last_draw
                    .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
                {
                    return Ok(());
                }
            }
            Progress::Done { index, report } => {
                self.in_flight.retain(|f| f.0 != *index);
                self.done += 1;
                finished = Some(report);
            }
        }
        self.clear(out)?;
        if let Some(report) = finished {
            let line = done_line(report);
            writeln!(out, "{}", crate::text::truncate(&line, self.width))?;
        }
        let mut lines: Vec<String> = self
            .in_flight
            .iter()
            .map(|(i, bytes)| {
                let name = feeds.get(*i).map_or("", |f| f.name.as_str());
                format!("  fetching {}  {}", clean(name), kib(*bytes))
            })
            .collect();
        lines.push(format!("[{}/{}] feeds", self.done, self.total));
        for line in &lines {
            writeln!(
                out,
                "{}",
                crate::text::truncate(line, self.width.saturating_sub(1))
            )?;
        }
        self.drawn = lines.len();
        self.last_draw = Some(Instant::now());
        out.flush()
    }

    /// Moves up over the live lines and clears them.
    fn clear(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.drawn > 0 {
            write!(out, "\x1b[{}A\r\x1b[J", self.drawn)?;
        }
        self.drawn = 0;
        Ok(())
    }

    fn close(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.clear(out)?;
        out.flush()
    }
}

/// "1 item", "2 new items": a count the way it is read.
fn items(n: usize, kind: &str) -> String {
    format!("{n} {kind}{}", if n == 1 { "item" } else { "items" })
}

fn done_line(report: &Report) -> String {
    let name = clean(&report.name);
    let ms = report.elapsed.as_millis();
    match &report.status {
        Status::Fetched => format!("  ok       {name}: {}, {ms} ms", items(report.items, "")),
        Status::NotModified => format!("  ok       {name}: unchanged, {ms} ms"),
        Status::Waiting(_) => format!("  waiting  {name}: its server asked us to wait"),
        Status::Failed(reason) => format!("  FAILED   {name}: {}", clean(reason)),
    }
}

fn kib(bytes: u64) -> String {
    if bytes == 0 {
        String::new()
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

/// How many items a put added, where the sink can say.
pub trait Added {
    fn last_added(&self) -> Option<usize>;

    /// Items the last put left out as repeats of one before them in the
    /// same feed document (the same guid, or link without one).
    fn last_duplicates(&self) -> usize {
        0
    }
}

impl Added for FeedSink<'_> {
    fn last_added(&self) -> Option<usize> {
        Some(self.last_put().added)
    }

    fn last_duplicates(&self) -> usize {
        self.last_put().duplicates
    }
}

impl Added for MemoryLedger {
    fn last_added(&self) -> Option<usize> {
        None
    }
}

/// A store that also counts the new items of each feed (shared, so the
/// progress lines can read it while the run holds the store).
struct Tally<S> {
    inner: S,
    added: Rc<RefCell<HashMap<String, usize>>>,
    /// Per feed URL, the items left out as repeats (only when some were).
    duplicates: Rc<RefCell<HashMap<String, usize>>>,
}

impl<S> Tally<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            added: Rc::default(),
            duplicates: Rc::default(),
        }
    }
}

impl<S: Added> Added for Tally<S> {
    fn last_added(&self) -> Option<usize> {
        self.inner.last_added()
    }
}

impl<S: ItemSink + Added> ItemSink for Tally<S> {
    type Error = S::Error;

    fn put(&mut self, feed: &Feed, items: Vec<FetchedArticle>) -> Result<(), Self::Error> {
        self.put_stream(feed, &mut items.into_iter())
    }

    fn put_stream(
        &mut self,
        feed: &Feed,
        items: &mut dyn Iterator<Item = FetchedArticle>,
    ) -> Result<(), Self::Error> {
        self.inner.put_stream(feed, items)?;
        if let Some(n) = self.inner.last_added() {
            self.added.borrow_mut().insert(feed.url.clone(), n);
        }
        match self.inner.last_duplicates() {
            0 => self.duplicates.borrow_mut().remove(&feed.url),
            n => self.duplicates.borrow_mut().insert(feed.url.clone(), n),
        };
        Ok(())
    }

    fn prepare(items: &mut [FetchedArticle]) {
        S::prepare(items);
    }
}

impl<S: FeedLedger> FeedLedger for Tally<S> {
    type Error = S::Error;

    fn validators(&self, feed_url: &str) -> Result<Validators, Self::Error> {
        self.inner.validators(feed_url)
    }

    fn last(&self, feed_url: &str) -> Result<Option<FetchRecord>, Self::Error> {
        self.inner.last(feed_url)
    }

    fn record(&mut self, feed_url: &str, record: &FetchRecord) -> Result<(), Self::Error> {
        self.inner.record(feed_url, record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(feeds: &str) -> (tempfile::TempDir, Sources) {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("local.rss");
        std::fs::write(
            &feed,
            "<rss version=\"2.0\"><channel><title>L</title><item><title>OpenAI news</title><guid>1</guid></item><item><title>Nvidia news</title><guid>2</guid></item></channel></rss>",
        )
        .unwrap();
        let url = url::Url::from_file_path(&feed).unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, feeds.replace("LOCAL", url.as_str())).unwrap();
        let sources = Sources {
            config: Some(config),
            library: Some(dir.path().join("library.sqlite")),
            ..Sources::default()
        };
        (dir, sources)
    }

    fn fetch(sources: &Sources, width: Option<u16>) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let args = FetchArgs {
            feed: Vec::new(),
            timeout: Some(2),
            max_body: None,
        };
        let status = run(
            sources,
            &args,
            &mut Output {
                out: &mut out,
                err: &mut err,
                terminal_width: width,
            },
        )
        .unwrap();
        (
            status,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn on_a_terminal_progress_is_drawn_in_place_then_a_summary() {
        let (_dir, sources) = home(
            "[[feeds]]\nname = \"Local\"\nurl = \"LOCAL\"\n[[feeds]]\nname = \"Missing\"\nurl = \"LOCAL.gone\"\n",
        );
        let (status, out, err) = fetch(&sources, Some(80));
        assert_eq!(status, FAILED);
        assert!(out.contains("  ok       Local: 2 items, "), "{out:?}");
        assert!(out.contains("  FAILED   Missing: cannot read "), "{out:?}");
        assert!(out.contains("[2/2] feeds"), "{out:?}");
        // The live lines are cleared (cursor up, clear below) before each redraw.
        assert!(out.contains("\x1b[J"), "{out:?}");
        let summary = out.lines().last().unwrap();
        assert!(
            summary.contains("\x1b[J1 of 2 feeds fetched, 2 new items, 1 failed (above) (")
                && summary.ends_with(" s)"),
            "{out:?}"
        );
        assert!(err.contains("aiwatch-tui: Missing ("), "{err}");
        // Again: nothing new.
        let (status, out, _) = fetch(&sources, Some(80));
        assert_eq!(status, FAILED);
        assert!(out.contains("1 of 2 feeds fetched, 0 new items"), "{out:?}");
    }

    #[test]
    fn one_item_and_one_feed_are_said_in_the_singular() {
        assert_eq!(super::items(1, ""), "1 item");
        assert_eq!(super::items(1, "new "), "1 new item");
        assert_eq!(super::items(0, "new "), "0 new items");
        let (_dir, sources) = home("[[feeds]]\nname = \"Local\"\nurl = \"LOCAL\"\n");
        let (_, out, _) = fetch(&sources, Some(80));
        let summary = out.lines().last().unwrap();
        assert!(
            summary.contains("1 of 1 feed fetched, 2 new items ("),
            "{out:?}"
        );
    }

    #[test]
    fn items_repeating_a_guid_are_kept_once_and_said() {
        let (dir, sources) = home("[[feeds]]\nname = \"Local\"\nurl = \"LOCAL\"\n");
        std::fs::write(
            dir.path().join("local.rss"),
            "<rss version=\"2.0\"><channel><title>L</title><item><title>OpenAI news</title><guid>1</guid></item><item><title>Nvidia news</title><guid>1</guid></item><item><title>Meta news</title><guid>1</guid></item></channel></rss>",
        )
        .unwrap();
        let (status, out, err) = fetch(&sources, None);
        assert_eq!(status, OK);
        assert!(
            out.contains(" new=1 ") && out.ends_with(" duplicates=2\n"),
            "{out:?}"
        );
        assert_eq!(
            err,
            "aiwatch-tui: Local: 2 items repeat the guid (or, without one, the link) of an item before them in the feed; the first of each was kept\n"
        );
    }

    #[test]
    fn key_value_lines_quote_what_needs_it() {
        let report = Report {
            name: "My \"best\" feed".to_owned(),
            url: "https://x.org/f?a=b".to_owned(),
            status: Status::Failed("HTTP 500 Internal Server Error".to_owned()),
            items: 0,
            elapsed: Duration::from_millis(12),
            moved_to: None,
            hint: None,
        };
        assert_eq!(
            key_values(&report, None),
            "feed=\"My \\\"best\\\" feed\" url=\"https://x.org/f?a=b\" status=failed items=0 ms=12 reason=\"HTTP 500 Internal Server Error\""
        );
    }
}
