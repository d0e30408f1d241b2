//! The command line: clap types only. Completions and the man page are
//! generated from these same definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::content::NewsDate;

/// A terminal news reader for following the AI race: who did what, when.
///
/// Without a command, opens the reader. The commands check content, list
/// sections for scripts, and print sections as text.
#[derive(Debug, Parser)]
#[command(name = "aiwatch-tui", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub sources: Sources,

    /// Print every load problem on stderr, not only a one-line summary.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where content and settings come from (for every command).
#[derive(Debug, Args, Default, Clone)]
pub struct Sources {
    /// Read articles from this folder instead of the bundled edition (repeatable).
    #[arg(long = "content", value_name = "DIR", global = true)]
    pub content: Vec<PathBuf>,

    /// Read the bundled edition as well as the --content folders.
    #[arg(long, global = true)]
    pub bundled: bool,

    /// Configuration file [default: $XDG_CONFIG_HOME/aiwatch-tui/config.toml].
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,

    /// The state file of read marks, stars and the last view: used with --no-store, else migrated into the store once [default: $XDG_STATE_HOME/aiwatch-tui/state.json].
    #[arg(long, value_name = "PATH", global = true)]
    pub state: Option<PathBuf>,

    /// The library store, one database file [default: the config's `library`, else $XDG_DATA_HOME/aiwatch-tui/library.sqlite].
    #[arg(long, value_name = "PATH", global = true)]
    pub library: Option<PathBuf>,

    /// Use no library store: parse the content files at every start and keep the reading state in the --state file.
    #[arg(long, global = true, conflicts_with = "library")]
    pub no_store: bool,

    /// Language of the reader and the edition (en, de) [default: the config's, else the locale's].
    #[arg(long, value_name = "CODE", global = true)]
    pub lang: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check content folders and the config; print every problem as path:line:col.
    ///
    /// Exit status: 0 when there are no errors, 1 with --strict when there
    /// are warnings, 2 when there are errors.
    Check(CheckArgs),
    /// List the sections the reader would show for a filter, in timeline order.
    List(ListArgs),
    /// Print one article, or one section (ID#N), as wrapped text.
    Show(ShowArgs),
    /// Serve the reader over SSH: `ssh -p 2222 host` opens it, no install needed.
    Serve(ServeArgs),
    /// Manage feed subscriptions: add, list, remove, import and export (OPML).
    ///
    /// Subscriptions are `[[feeds]]` tables in your config file; changes
    /// keep its comments and layout.
    Feeds(FeedsArgs),
    /// Fetch the subscribed feeds into the library store (for cron and systemd timers).
    ///
    /// Feeds are fetched in parallel (16 at once, 2 per host). On a
    /// terminal, progress lines; otherwise one `key=value` line per feed.
    /// Exit status: 0 when every feed was fetched (or unchanged, or asked
    /// us to wait), 1 when some failed (each named on stderr), 2 for
    /// configuration errors.
    Fetch(FetchArgs),
    /// Print a shell completion script (bash, zsh, fish).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output.
    Man,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Content folders or article files to check [default: the configured ones, or the bundled edition].
    #[arg(value_name = "ROOT")]
    pub roots: Vec<PathBuf>,

    /// Fail (exit status 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only sections about this actor, by name or alias (repeatable: any of them).
    #[arg(long, value_name = "NAME")]
    pub actor: Vec<String>,

    /// Only sections under this topic (repeatable: any of them).
    #[arg(long, value_name = "TOPIC")]
    pub topic: Vec<String>,

    /// Only sections dated on or after this date (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<NewsDate>,

    /// Only sections dated on or before this date (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub until: Option<NewsDate>,

    /// Only sections containing every word, ignoring case and accents.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; a public address must be given explicitly [default: `[serve] listen`, else 127.0.0.1:2222].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,

    /// Host key (OpenSSH format); made (Ed25519, mode 0600) on first start [default: $XDG_DATA_HOME/aiwatch-tui/ssh_host_ed25519_key].
    #[arg(long, value_name = "PATH")]
    pub host_key: Option<PathBuf>,

    /// Only these public keys may connect (an OpenSSH `authorized_keys` file); without it anyone may read.
    #[arg(long, value_name = "PATH")]
    pub authorized_keys: Option<PathBuf>,

    /// Connections at most, in all [default: `[serve] max_sessions`, else 500].
    #[arg(long, value_name = "N", value_parser = positive, allow_negative_numbers = true)]
    pub max_sessions: Option<usize>,

    /// Connections at most from one address [default: `[serve] max_per_address`, else 3].
    #[arg(long, value_name = "N", value_parser = positive, allow_negative_numbers = true)]
    pub max_per_address: Option<usize>,

    /// Seconds without input before a session is closed, at most 2592000 (30 days) [default: `[serve] idle_timeout`, else 900].
    #[arg(long, value_name = "SECS", value_parser = seconds, allow_negative_numbers = true)]
    pub idle_timeout: Option<u64>,

    /// Connections from this network (a load balancer: `10.0.0.0/8`, `127.0.0.1/32`, `::1/128`) begin with a PROXY protocol header (v1 or v2) naming the client; repeatable, replaces `[serve] proxy_protocol` [default: off].
    #[arg(long, value_name = "CIDR", value_parser = network)]
    pub proxy_protocol: Vec<crate::serve::proxy::Network>,
    /// Answer `GET /healthz` here (200 `ready`, else 503 `syncing` or `draining`), for a load balancer [default: `[serve] health`, else none].
    #[arg(long, value_name = "ADDR:PORT")]
    pub health: Option<String>,

    /// Answer `GET /metrics` here (Prometheus text format); may be the health address [default: `[serve] metrics`, else none].
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<String>,

    /// Seconds a SIGTERM or SIGUSR1 waits for sessions to leave after telling them, 0 to 3600; 0 says goodbye at once [default: `[serve] drain_grace`, else 30].
    #[arg(long, value_name = "SECS", value_parser = grace_seconds, allow_negative_numbers = true)]
    pub drain_grace: Option<u64>,

    /// Any public key signs a reader in, and their read marks, stars and last view are kept under its fingerprint (with `--authorized-keys`, only those keys); a client without a key still reads anonymously [default: `[serve] remember_any_key`, else off].
    #[arg(long)]
    pub remember_any_key: bool,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Only this feed, by name (any case) or URL (repeatable).
    #[arg(long, value_name = "NAME")]
    pub feed: Vec<String>,

    /// Seconds one feed may take, connecting and reading its whole body (1-600) [default: 20].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: Option<u64>,

    /// The largest body after decompression, in bytes or with K or M (1K-1024M) [default: 10M].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_body: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// An article id (the whole article) or ID#N (its section N, from 1), as `list` prints them.
    pub id: String,

    /// Wrap at this many columns [default: the terminal's width, or 80].
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<u16>,
}

#[derive(Debug, Args)]
pub struct FeedsArgs {
    #[command(subcommand)]
    pub command: FeedsCommand,
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Subscribe to a feed; given a web page, subscribe to the feed it announces.
    Add {
        /// The feed or page: an http, https or file URL, or a local file.
        url: String,
        /// The name to show and to pick the feed by [default: the feed's title, else its host].
        #[arg(long)]
        name: Option<String>,
        /// A topic for every item of the feed (repeatable).
        #[arg(long, value_name = "TOPIC")]
        topic: Vec<String>,
    },
    /// List the subscriptions with their last fetch, status and item count.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = FeedsFormat::Text)]
        format: FeedsFormat,
    },
    /// Unsubscribe, by name or URL (fetched items stay until they expire).
    Remove {
        /// The feed's name (any case) or URL.
        name: String,
    },
    /// Subscribe to every feed of an OPML file (folders become topics).
    Import {
        /// The OPML file, as other readers export it.
        file: PathBuf,
    },
    /// Print the subscriptions as OPML 2.0.
    Export,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeedsFormat {
    /// One line per feed, tab-separated.
    Text,
    /// One JSON array.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per section, fitted to the terminal when there is one.
    Text,
    /// One JSON document (see docs/cli.md for the schema).
    Json,
    /// Tab-separated values with a header line.
    Tsv,
}

/// The command definition, with a version line naming the bundled
/// edition's date (`aiwatch-tui 0.1.0 (bundled edition: February 2025)`).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let edition = crate::content::bundled::edition_date()
        .map_or_else(String::new, |d| format!(" (bundled edition of {d})"));
    Cli::command().version(format!("{}{edition}", env!("CARGO_PKG_VERSION")))
}

/// A `--since`/`--until` value that is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected YYYY, YYYY-MM or YYYY-MM-DD, found \"{0}\"")]
pub struct DateError(String);

/// A count of at least 1: a limit of 0 would refuse everyone, which is
/// never what an operator means (the config refuses 0 likewise).
fn positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("expected 1 or more; 0 would refuse every connection".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "expected a whole number of 1 or more, found \"{text}\""
        )),
    }
}

/// A network in CIDR notation, or one address.
fn network(text: &str) -> Result<crate::serve::proxy::Network, String> {
    crate::serve::proxy::Network::parse(text)
}

/// A duration in seconds: at least 1 (0 would close every session at
/// once) and at most 30 days, so no deadline computed from it overflows.
fn seconds(text: &str) -> Result<u64, String> {
    let bound = crate::config::MAX_DURATION_SECS;
    match text.parse::<u64>() {
        Ok(0) => Err("expected 1 or more; 0 would end every session at once".to_owned()),
        Ok(n) if n > bound => Err(format!("at most {bound} (30 days), found {n}")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "expected a whole number of seconds from 1 to {bound} (30 days), found \"{text}\""
        )),
    }
}

/// The drain grace: 0 (no wait) to one hour.
fn grace_seconds(text: &str) -> Result<u64, String> {
    let bound = crate::config::MAX_DRAIN_GRACE_SECS;
    match text.parse::<u64>() {
        Ok(n) if n > bound => Err(format!("at most {bound} (1 hour), found {n}")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "expected a whole number of seconds from 0 to {bound} (1 hour), found \"{text}\""
        )),
    }
}

/// `65536`, `64K`, `10M`: a body cap within its bounds.
fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let (digits, unit) = match trimmed.char_indices().last() {
        Some((i, 'k' | 'K')) => (&trimmed[..i], 1024),
        Some((i, 'm' | 'M')) => (&trimmed[..i], 1024 * 1024),
        _ => (trimmed, 1),
    };
    let (low, high) = crate::feeds::http::MAX_BODY_RANGE;
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|n| (low..=high).contains(n))
        .ok_or_else(|| {
            format!(
                "expected a size from 1K to 1024M (such as 65536, 64K or 10M), found \"{text}\""
            )
        })
}

fn parse_date(text: &str) -> Result<NewsDate, DateError> {
    NewsDate::parse(text).ok_or_else(|| DateError(text.to_owned()))
}
