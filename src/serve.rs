//! `aiwatch-tui serve`: the reader served over SSH. Our own accept loop
//! enforces connection limits before any handshake (and says why in a
//! form OpenSSH prints); russh runs each connection as a task, watched by
//! one more task for the login, idle and length limits and shutdown;
//! every shell gets its own `App` on one thread of its own (see `reader`).
//! Every end is logged once with its reason. SIGTERM and SIGUSR1 drain
//! first (the listener closed, every reader told, a grace); the operator's
//! `/healthz` and `/metrics` come up before the store syncs (`health`,
//! `metrics`, `http`). The server's own terminal is never touched.

pub mod decode;
mod fetcher;
mod health;
mod http;
mod kept;
mod metrics;
pub mod proxy;
mod reader;
mod session;

pub use decode::Decoder;
pub use fetcher::FeedStore;
pub use health::Readiness;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use russh::keys::{Algorithm, HashAlg, PrivateKey, PublicKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::config::Config;
use crate::content::Library;
use crate::i18n::Locales;
use crate::library_store::feeds::PutControl;
use crate::runtime::lean::FrameGate;
use session::{Connection, Control, Phase};

/// The limits every connection lives under. Defaults are safe for a
/// public server on a small machine.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_sessions: usize,
    pub max_per_address: usize,
    pub auth_timeout: Duration,
    pub max_auth_attempts: usize,
    pub idle_timeout: Duration,
    pub keepalive: Duration,
    pub max_duration: Duration,
    pub max_cols: u16,
    pub max_rows: u16,
    /// Input bytes per second and burst.
    pub input_rate: u32,
    pub input_burst: u32,
    /// How long a frame may wait for a client that does not read before
    /// its session counts as not keeping up.
    pub frame_wait: Duration,
    /// Connections from these networks (load balancers) begin with a
    /// PROXY protocol header, and its client address is the one admitted
    /// and logged; empty: the protocol is off.
    pub proxy_protocol: Vec<proxy::Network>,
    /// How long a trusted connection may take to send its header.
    pub proxy_header_wait: Duration,
    /// A remembered reader's state is saved at least this often while
    /// they read (besides stars, "all read", quit and the session's end),
    /// so a server killed outright loses little.
    pub save_every: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_sessions: 500,
            max_per_address: 3,
            auth_timeout: Duration::from_secs(20),
            max_auth_attempts: 3,
            idle_timeout: Duration::from_secs(15 * 60),
            keepalive: Duration::from_secs(30),
            max_duration: Duration::from_secs(4 * 3600),
            max_cols: 300,
            max_rows: 100,
            input_rate: 16 * 1024,
            input_burst: 64 * 1024,
            frame_wait: Duration::from_secs(30),
            proxy_protocol: Vec::new(),
            proxy_header_wait: Duration::from_secs(5),
            save_every: Duration::from_secs(60),
        }
    }
}

/// What every session shares: the library, the config (not yet adapted to
/// a terminal), the locales, the limits and the search index.
pub struct Shared {
    /// The newest library: the feed fetcher replaces it, every session
    /// hears of it (`reader`) and a new session starts on it. One copy for
    /// all; an old one is freed when the last session lets go of it.
    library: watch::Sender<Arc<Library>>,
    /// Whether the server fetches feeds (it has a store): else `r` in a
    /// session says fetched items have nowhere to go.
    pub fetches: bool,
    pub config: Arc<Config>,
    pub locales: Arc<Locales>,
    pub limits: Limits,
    /// `None`: anyone may read; else only these keys.
    pub authorized: Option<Vec<PublicKey>>,
    /// Readers signed in with a key whose state is kept.
    pub remember: Remember,
    index: OnceLock<Arc<Vec<String>>>,
    /// The server's counters (`--metrics`).
    pub metrics: Arc<metrics::Metrics>,
    /// When the drain's grace ends, once SIGTERM or SIGUSR1 came: every
    /// session hears of it (`reader`) and tells its reader.
    drain: watch::Sender<Option<Instant>>,
    /// The feed fetcher's puts: a session puts its saves off while one
    /// writes (for seconds with a large feed), and a stopping server stops
    /// them so that the sessions' last saves get the store at once.
    pub puts: Arc<PutControl>,
    /// Sessions ended while a put wrote, whose last save waits for it:
    /// a stopping server waits for them (see `wait_for_late_saves`).
    pub late_saves: AtomicUsize,
    /// How many sessions' frames are drawn at once (two per core): a
    /// frame's buffers are most of what a session allocates, and the
    /// server's peak is the frames drawn at once (`FrameGate`). One per
    /// core made the frames behind a session preempted while drawing wait
    /// (the soak's median key-to-frame went to 44.5 ms on a loaded 2-core
    /// machine, 5.6-6.9 ms with two per core; docs/performance.md).
    pub frames: Arc<FrameGate>,
    /// Debug builds only, for tests: a key that makes a session panic
    /// (`AIWATCH_TUI_TEST_PANIC_KEY`), to prove a panic ends only it.
    #[cfg(debug_assertions)]
    pub fault_key: Option<char>,
}

impl Shared {
    /// The newest library.
    pub fn library(&self) -> Arc<Library> {
        Arc::clone(&self.library.borrow())
    }

    /// Hears of every newer library.
    pub fn library_updates(&self) -> watch::Receiver<Arc<Library>> {
        self.library.subscribe()
    }

    /// Hears when the server starts draining, and until when.
    pub fn drain_updates(&self) -> watch::Receiver<Option<Instant>> {
        self.drain.subscribe()
    }

    /// The search index once it is built (in the background at start).
    pub fn search_index(&self) -> Option<Arc<Vec<String>>> {
        self.index.get().cloned()
    }
}

pub struct ServeOptions {
    pub listen: SocketAddr,
    pub host_key: PathBuf,
    pub authorized_keys: Option<PathBuf>,
    pub limits: Limits,
    /// `--health`: where `GET /healthz` is answered.
    pub health: Option<SocketAddr>,
    /// `--metrics`: where `GET /metrics` is answered (may be `health`'s).
    pub metrics: Option<SocketAddr>,
    /// How long a drain (SIGTERM, SIGUSR1) waits for sessions to leave.
    pub drain_grace: Duration,
    /// Any key signs a reader in and is remembered (`--remember-any-key`).
    pub remember_any_key: bool,
    /// Readers remembered at most (`[serve] max_remembered`).
    pub max_remembered: usize,
}

/// Readers kept by default at most: past it, those seen longest ago are
/// forgotten.
pub const DEFAULT_MAX_REMEMBERED: usize = 10_000;

/// Who is remembered, and where (`reader`).
#[derive(Debug, Clone)]
pub struct Remember {
    /// The store readers' state goes to; `None`: the server has none, and
    /// keeps nothing.
    pub store: Option<PathBuf>,
    pub max: usize,
    /// Any key signs in (and `none` is refused, so that a client offers
    /// its keys first; one without a key reads anonymously through
    /// keyboard-interactive with no question).
    pub any_key: bool,
}

impl Remember {
    fn new(options: &ServeOptions, feeds: &FeedStore) -> Self {
        Self {
            store: match feeds {
                FeedStore::Store(path) => Some(path.clone()),
                FeedStore::None(_) => None,
            },
            max: options.max_remembered.max(1),
            any_key: options.remember_any_key,
        }
    }

    /// Whose state is kept, for the start line: readers signed in with a
    /// key, when keys are asked for or any key is welcome, and the server
    /// has a store.
    fn log_field(&self, keys_asked: bool) -> &'static str {
        match (self.store.is_some(), keys_asked, self.any_key) {
            (false, true, _) | (false, _, true) => "no-store",
            (true, true, _) => "authorized-keys",
            (true, false, true) => "any-key",
            (_, false, false) => "off",
        }
    }
}

/// Why a session or connection ended: one per end, `reason=` in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The reader quit (q).
    Quit,
    /// No input for the idle timeout.
    Idle,
    /// The session lasted the longest allowed.
    MaxDuration,
    /// The client went away (closed, killed, network).
    ClientGone,
    /// SIGTERM or Ctrl-C on the server.
    ServerShutdown,
    /// The session panicked; the server goes on.
    Panic,
    /// The client sent input faster than its reader takes it, or did not
    /// read its output.
    Overrun,
    /// Not authenticated within the login timeout.
    LoginTimeout,
    /// No reader ran: what the client asked for was refused (a command,
    /// a subsystem, forwarding), or it asked for too much.
    Refused,
}

impl End {
    /// Every end, in declaration order (`End::X as usize` is its place):
    /// the metrics count them all. A new variant goes here too.
    pub const ALL: [End; 9] = [
        Self::Quit,
        Self::Idle,
        Self::MaxDuration,
        Self::ClientGone,
        Self::ServerShutdown,
        Self::Panic,
        Self::Overrun,
        Self::LoginTimeout,
        Self::Refused,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Idle => "idle",
            Self::MaxDuration => "max_duration",
            Self::ClientGone => "client_gone",
            Self::ServerShutdown => "server_shutdown",
            Self::Panic => "panic",
            Self::Overrun => "overrun",
            Self::LoginTimeout => "login_timeout",
            Self::Refused => "refused",
        }
    }

    /// The disconnect message (in English: the SSH layer does not know
    /// the client's language; the reader's own goodbye line does).
    fn disconnect_text(self, limits: &Limits) -> String {
        let text = match self {
            Self::Quit => "goodbye".to_owned(),
            Self::Idle => format!("idle for {}, goodbye", reader::human(limits.idle_timeout)),
            Self::MaxDuration => format!(
                "sessions last at most {}, goodbye",
                reader::human(limits.max_duration)
            ),
            Self::ClientGone => "connection lost".to_owned(),
            Self::ServerShutdown => "the server is shutting down, goodbye".to_owned(),
            Self::Panic => "this session failed on the server".to_owned(),
            Self::Overrun => "the connection did not keep up".to_owned(),
            Self::LoginTimeout => format!(
                "not authenticated within {}",
                reader::human(limits.auth_timeout)
            ),
            Self::Refused => "refused".to_owned(),
        };
        format!("aiwatch-tui: {text}")
    }
}

/// Start-up problems, each naming what failed. Configuration problems
/// (exit status 2) are told apart from the rest (1).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("bad {setting} address \"{text}\": {reason}")]
    Listen {
        setting: &'static str,
        text: String,
        reason: String,
    },
    #[error("no place for the host key: pass --host-key PATH")]
    NoHostKeyPath,
    #[error("host key {path}: {source}")]
    HostKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("authorized keys {path}: {source}")]
    AuthorizedKeys {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("authorized keys {path}: no usable public key")]
    NoKeys { path: PathBuf },
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("--proxy-protocol: at most {bound} networks, found {found}")]
    TooManyNetworks { bound: usize, found: usize },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ServeError {
    /// 2 for what the operator's configuration got wrong, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Io(_) => 1,
            _ => 2,
        }
    }
}

/// Connections being served, per address and in all. An address leaves
/// the table when its last connection ends, so refused and gone clients
/// leave nothing behind; admission is constant-time.
#[derive(Debug, Default)]
struct Admission {
    per_address: HashMap<IpAddr, usize>,
    total: usize,
}

impl Admission {
    /// Admits `ip` or says why not (nothing is recorded for a refusal).
    fn admit(&mut self, ip: IpAddr, limits: &Limits) -> Result<(), &'static str> {
        let mine = self.per_address.get(&ip).copied().unwrap_or(0);
        if self.total >= limits.max_sessions {
            return Err("the server is full, try again later");
        }
        if mine >= limits.max_per_address {
            return Err("too many connections from your address");
        }
        self.per_address.insert(ip, mine + 1);
        self.total += 1;
        Ok(())
    }

    fn leave(&mut self, ip: IpAddr) {
        if let Some(n) = self.per_address.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_address.remove(&ip);
            }
            self.total = self.total.saturating_sub(1);
        }
    }
}

/// One admitted connection's place in the table, given back when dropped.
struct Seat {
    admission: Arc<Mutex<Admission>>,
    ip: IpAddr,
}

impl Drop for Seat {
    fn drop(&mut self) {
        if let Ok(mut a) = self.admission.lock() {
            a.leave(self.ip);
        }
    }
}

/// Waits for a notification, or forever when there is nothing to wait on.
async fn notified(notify: Option<Arc<Notify>>) {
    match notify {
        Some(n) => n.notified().await,
        None => std::future::pending().await,
    }
}

/// How long a reader that ended by itself (quit, panic) leaves the
/// connection to the client before the server closes it.
const AFTER_SESSION: Duration = Duration::from_secs(2);

/// The connection's socket as russh gets it. russh runs the connection
/// in a task of its own that aborting ours does not end, so the socket is
/// shut down through a second handle when the log says close, and this
/// says when russh has let go of it (the seat is freed only then).
struct Tracked {
    inner: tokio::net::TcpStream,
    /// With the PROXY protocol on: refuses a stream that begins with a
    /// header of its own (from an address not trusted, or from the client
    /// behind a balancer).
    sniff: Option<proxy::Sniff>,
    _dropped: tokio::sync::oneshot::Sender<()>,
}

impl tokio::io::AsyncRead for Tracked {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        std::task::ready!(std::pin::Pin::new(&mut self.inner).poll_read(cx, buf))?;
        if let Some(sniff) = &mut self.sniff {
            sniff.check(&buf.filled()[before..])?;
        }
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for Tracked {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// How long a closing connection waits for the client to close its end
/// (having read our reason) before the socket is shut for good.
pub const CLOSING_WAIT: Duration = Duration::from_secs(10);

/// How long russh may take to let go of a socket we shut down.
const SOCKET_RELEASE: Duration = Duration::from_secs(5);

/// Runs one connection to its end under the time limits and closes its
/// socket; returns why it ended.
async fn serve_connection(
    config: Arc<russh::server::Config>,
    socket: tokio::net::TcpStream,
    handler: Connection,
    control: Arc<Control>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    peer: SocketAddr,
) -> End {
    // A second handle on the socket, to shut it down whoever holds it.
    let pair = socket
        .into_std()
        .and_then(|std| Ok((std.try_clone()?, tokio::net::TcpStream::from_std(std)?)));
    let (closer, socket) = match pair {
        Ok(pair) => pair,
        Err(e) => {
            log(&format!(
                "event=handshake_failed peer={peer} error={}",
                quote(&e.to_string())
            ));
            return End::ClientGone;
        }
    };
    let (dropped_tx, mut dropped) = tokio::sync::oneshot::channel();
    let socket = Tracked {
        inner: socket,
        sniff: (!shared.limits.proxy_protocol.is_empty()).then(proxy::Sniff::default),
        _dropped: dropped_tx,
    };
    let started = control.started;
    let stopping = shutdown.clone();
    let why = run_connection(
        config,
        socket,
        handler,
        Arc::clone(&control),
        shared,
        shutdown,
        peer,
    )
    .await;
    // Closing: russh still delivers what it was given (a disconnect held
    // back by an unfinished key exchange goes once the client goes on),
    // and the client closes. One that does not is cut off after
    // `CLOSING_WAIT` (at once when the server stops). The seat is held
    // until the socket is gone. Without a session there was no
    // `session_end`: this line says the end was decided.
    if !control.ran() {
        log(&format!(
            "event=disconnect peer={peer} reason={} duration_s={}",
            why.name(),
            started.elapsed().as_secs()
        ));
    }
    let wait = if *stopping.borrow() {
        Duration::ZERO
    } else {
        CLOSING_WAIT
    };
    if tokio::time::timeout(wait, &mut dropped).await.is_err() {
        let _ = closer.shutdown(std::net::Shutdown::Both);
        if tokio::time::timeout(SOCKET_RELEASE, dropped).await.is_err() {
            log(&format!("event=socket_stuck peer={peer}"));
        }
    }
    why
}

/// Runs one connection to its end under the time limits; returns why it
/// ended. Every path ends the reader (if one runs), lets its goodbye reach
/// the client, joins its thread and logs `session_end` once.
async fn run_connection(
    config: Arc<russh::server::Config>,
    socket: Tracked,
    handler: Connection,
    control: Arc<Control>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    peer: SocketAddr,
) -> End {
    let limits = &shared.limits;
    let running = match tokio::time::timeout(
        limits.auth_timeout,
        russh::server::run_stream(config, socket, handler),
    )
    .await
    {
        Ok(Ok(running)) => running,
        Ok(Err(e)) if proxy::is_untrusted_header(&e) => {
            shared.metrics.refused("proxy_header");
            log(&format!(
                "event=refuse peer={peer} reason={}",
                quote(proxy::UNTRUSTED)
            ));
            return End::Refused;
        }
        Ok(Err(e)) => {
            log(&format!(
                "event=handshake_failed peer={peer} error={}",
                quote(&e.to_string())
            ));
            return End::ClientGone;
        }
        Err(_) => return End::LoginTimeout,
    };
    let handle = running.handle();
    let mut session = tokio::spawn(running);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    // The reader's own end (quit, panic, overrun), once it has happened.
    let mut session_end: Option<(End, Instant)> = None;
    // The connection's task has ended (a finished task is polled no more).
    let mut gone = false;
    let why = loop {
        tokio::select! {
            // Gone: after a refusal that ran no reader, that is why.
            _ = &mut session => {
                gone = true;
                break if control.overrun() {
                    End::Overrun
                } else if control.refused() && control.phase() < Phase::Running {
                    End::Refused
                } else {
                    End::ClientGone
                };
            }
            _ = shutdown.changed() => break End::ServerShutdown,
            () = notified(control.done()) => {
                if let Some(reader) = control.close(End::Quit) {
                    let end = join_reader(reader).await;
                    log(&format!("event=session_end peer={peer} reason={} duration_s={}",
                        end.name(), control.started.elapsed().as_secs()));
                    shared.metrics.session_ended(end);
                    session_end = Some((end, Instant::now()));
                }
            }
            _ = tick.tick() => {
                if let Some((end, at)) = session_end && at.elapsed() > AFTER_SESSION {
                    break end;
                }
                let phase = control.phase();
                if phase == Phase::AwaitingAuth && control.started.elapsed() > limits.auth_timeout {
                    break End::LoginTimeout;
                }
                if phase != Phase::AwaitingAuth && control.idle() > limits.idle_timeout {
                    break End::Idle;
                }
                if control.started.elapsed() > limits.max_duration {
                    break End::MaxDuration;
                }
            }
        }
    };
    if let Some(reader) = control.close(why) {
        // Let the goodbye (terminal restored, reason) reach the client.
        let _ = tokio::time::timeout(Duration::from_millis(800), reader.done.notified()).await;
        let end = join_reader(reader).await;
        log(&format!(
            "event=session_end peer={peer} reason={} duration_s={}",
            end.name(),
            control.started.elapsed().as_secs()
        ));
        shared.metrics.session_ended(end);
        session_end = Some((end, Instant::now()));
        // The channel is closed: OpenSSH leaves by itself once it has
        // written what it got. No disconnect message follows a goodbye:
        // OpenSSH acts on one as soon as it reads it, before writing the
        // goodbye read with it (a client suspended with `~^Z` reads both
        // at once when resumed). A client that stays is closed with the
        // socket (see `serve_connection`); OpenSSH writes what it read
        // before it notices that end.
        if !gone {
            gone = tokio::time::timeout(Duration::from_millis(500), &mut session)
                .await
                .is_ok();
        }
    }
    // Without a reader the disconnect is the only way to say why.
    if !gone && !session.is_finished() && !control.ran() {
        let _ = handle
            .disconnect(
                russh::Disconnect::ByApplication,
                why.disconnect_text(limits),
                "en".into(),
            )
            .await;
        let _ = tokio::time::timeout(Duration::from_millis(200), &mut session).await;
    }
    session.abort();
    session_end.map_or(why, |(end, _)| end)
}

/// How long a stopping server waits for sessions' last saves that waited
/// for the fetcher's put (stopped by then, so they take moments).
const LATE_SAVES_GRACE: Duration = Duration::from_secs(15);

/// Waits (at most `LATE_SAVES_GRACE`) for the last saves of sessions that
/// ended while a put wrote; those still waiting then are logged.
fn wait_for_late_saves(shared: &Shared) {
    let until = Instant::now() + LATE_SAVES_GRACE;
    while shared.late_saves.load(Ordering::SeqCst) > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = shared.late_saves.load(Ordering::SeqCst);
    if left > 0 {
        log(&format!("event=late_saves_abandoned sessions={left}"));
    }
}

/// Joins a reader's thread once it has finished, without blocking the
/// runtime; one stuck past two seconds is left (and logged). A reader
/// that has said goodbye and saves late (the fetcher's put or another
/// program holds the store) has ended: it is left to finish its save,
/// which the server waits for at exit, and its end is said at once (a
/// stopping server gives its sessions two seconds at most).
async fn join_reader(reader: reader::Reader) -> End {
    for _ in 0..200 {
        if reader.is_finished() {
            return reader.join();
        }
        if let Some(end) = reader.ended() {
            return end;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    log("event=reader_stuck");
    End::Panic
}

/// A value for the log: as is when it is one plain word, else quoted.
pub fn quote(value: &str) -> String {
    let clean: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|&c| c != '"')
        .take(200)
        .collect();
    if !clean.is_empty() && !clean.contains(' ') {
        clean
    } else {
        format!("\"{clean}\"")
    }
}

/// `$XDG_DATA_HOME/aiwatch-tui/ssh_host_ed25519_key`.
pub fn default_host_key() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    Some(
        etcetera::choose_base_strategy()
            .ok()?
            .data_dir()
            .join("aiwatch-tui")
            .join("ssh_host_ed25519_key"),
    )
}

/// Widest and tallest window any server draws, whatever the config says:
/// beyond this, layout arithmetic and memory are no longer small.
pub const MAX_COLS_BOUND: u16 = crate::config::MAX_WIDTH_BOUND;
pub const MAX_ROWS_BOUND: u16 = crate::config::MAX_HEIGHT_BOUND;

/// The server's settings: the command line first, then `[serve]`, then
/// the built-in defaults.
pub fn options(
    args: &crate::cli::ServeArgs,
    config: &crate::config::ServeConfig,
) -> Result<ServeOptions, ServeError> {
    let defaults = Limits::default();
    let number = |key: &str| config.number(key);
    let listen = match (&args.listen, &config.listen) {
        (Some(text), _) | (None, Some(text)) => resolve("listen", text)?,
        (None, None) => SocketAddr::from(([127, 0, 0, 1], 2222)),
    };
    let address = |setting: &'static str, flag: &Option<String>, file: &Option<String>| {
        flag.as_ref()
            .or(file.as_ref())
            .map(|text| resolve(setting, text))
            .transpose()
    };
    let health = address("health", &args.health, &config.health)?;
    let metrics = address("metrics", &args.metrics, &config.metrics)?;
    // Said up front: else the server's own endpoint holds the port and the
    // SSH listener fails as if another program had it.
    for (setting, addr) in [("health", health), ("metrics", metrics)] {
        if let Some(addr) = addr
            && clashes(addr, listen)
        {
            return Err(ServeError::Listen {
                setting,
                text: addr.to_string(),
                reason: format!(
                    "the SSH listen address is {listen}: {setting} needs a port of its own"
                ),
            });
        }
    }
    let drain_grace = args
        .drain_grace
        .or(number("drain_grace"))
        .map_or(DEFAULT_DRAIN_GRACE, |s| {
            Duration::from_secs(s.min(MAX_DRAIN_GRACE_SECS))
        });
    let host_key = args
        .host_key
        .clone()
        .or_else(|| config.host_key.clone())
        .or_else(default_host_key)
        .ok_or(ServeError::NoHostKeyPath)?;
    let as_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let as_u16 = |v: u64| u16::try_from(v).unwrap_or(u16::MAX);
    let as_u32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    let limits = Limits {
        max_sessions: args
            .max_sessions
            .or(number("max_sessions").map(as_usize))
            .unwrap_or(defaults.max_sessions),
        max_per_address: args
            .max_per_address
            .or(number("max_per_address").map(as_usize))
            .unwrap_or(defaults.max_per_address),
        // The flag and the config refuse longer durations with their
        // place; the bound holds whatever reaches here, so no deadline
        // computed from them can overflow.
        auth_timeout: number("auth_timeout").map_or(defaults.auth_timeout, bounded_secs),
        idle_timeout: args
            .idle_timeout
            .or(number("idle_timeout"))
            .map_or(defaults.idle_timeout, |s| bounded_secs(s.max(1))),
        max_duration: number("session_hours").map_or(defaults.max_duration, |h| {
            bounded_secs(h.saturating_mul(3600))
        }),
        // The config refuses larger values with their location; this
        // bound holds whatever reaches here.
        max_cols: number("max_width")
            .map_or(defaults.max_cols, as_u16)
            .min(MAX_COLS_BOUND),
        max_rows: number("max_height")
            .map_or(defaults.max_rows, as_u16)
            .min(MAX_ROWS_BOUND),
        input_rate: number("input_rate").map_or(defaults.input_rate, as_u32),
        input_burst: number("input_burst").map_or(defaults.input_burst, as_u32),
        // A list given on the command line replaces the file's.
        proxy_protocol: if args.proxy_protocol.is_empty() {
            config.proxy_protocol.clone().unwrap_or_default()
        } else {
            args.proxy_protocol.clone()
        },
        ..defaults
    };
    if limits.proxy_protocol.len() > proxy::MAX_NETWORKS {
        return Err(ServeError::TooManyNetworks {
            bound: proxy::MAX_NETWORKS,
            found: limits.proxy_protocol.len(),
        });
    }
    Ok(ServeOptions {
        listen,
        host_key,
        authorized_keys: args
            .authorized_keys
            .clone()
            .or_else(|| config.authorized_keys.clone()),
        limits,
        health,
        metrics,
        drain_grace,
        remember_any_key: args.remember_any_key || config.remember_any_key.unwrap_or(false),
        max_remembered: number("max_remembered").map_or(DEFAULT_MAX_REMEMBERED, as_usize),
    })
}

/// How long a drain waits for sessions to leave, unless told otherwise.
pub const DEFAULT_DRAIN_GRACE: Duration = Duration::from_secs(30);

/// The longest drain grace (one hour): a stop never waits for ever.
pub const MAX_DRAIN_GRACE_SECS: u64 = crate::config::MAX_DRAIN_GRACE_SECS;

/// The longest any duration setting may be (`auth_timeout`,
/// `idle_timeout`, `session_hours`): 30 days.
pub const MAX_DURATION_SECS: u64 = crate::config::MAX_DURATION_SECS;

/// Seconds as a duration, at most `MAX_DURATION_SECS`.
fn bounded_secs(secs: u64) -> Duration {
    Duration::from_secs(secs.min(MAX_DURATION_SECS))
}

/// Whether two listeners would want the same port (port 0 asks for any).
fn clashes(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() != 0
        && a.port() == b.port()
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

/// `HOST:PORT` to one address (`localhost:2222` too); `setting` names
/// it in the error.
fn resolve(setting: &'static str, text: &str) -> Result<SocketAddr, ServeError> {
    use std::net::ToSocketAddrs;
    let bad = |reason: String| ServeError::Listen {
        setting,
        text: text.to_owned(),
        reason,
    };
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let mut found = text
        .to_socket_addrs()
        .map_err(|e| bad(format!("{e}; expected ADDRESS:PORT such as 127.0.0.1:2222")))?;
    found
        .next()
        .ok_or_else(|| bad("the name has no address".to_owned()))
}

/// One log line per event, `key=value`, to stderr.
pub fn log(line: &str) {
    let _ = writeln!(std::io::stderr(), "aiwatch-tui serve: {line}");
}

/// Loads the host key, or makes an Ed25519 one (0600) on first start.
pub fn host_key(path: &Path) -> Result<PrivateKey, ServeError> {
    let fail = |source: std::io::Error| ServeError::HostKey {
        path: path.to_owned(),
        source,
    };
    if path.exists() {
        crate::atomic_file::refuse_special_file(path).map_err(fail)?;
        return russh::keys::load_secret_key(path, None)
            .map_err(|e| fail(std::io::Error::other(e.to_string())));
    }
    let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
        .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let text = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(fail)?;
    Ok(key)
}

/// The keys of an OpenSSH `authorized_keys` file. A line that is not a
/// key is logged with its place and skipped, never silently.
fn read_authorized(path: &Path) -> Result<Vec<PublicKey>, ServeError> {
    let text = crate::atomic_file::refuse_special_file(path)
        .and_then(|()| std::fs::read_to_string(path))
        .map_err(|source| ServeError::AuthorizedKeys {
            path: path.to_owned(),
            source,
        })?;
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match PublicKey::from_openssh(trimmed) {
            Ok(key) => keys.push(key),
            // The parser's own words ("Base64 encoding error") do not
            // tell an operator what is wrong with the line.
            Err(_) => log(&format!(
                "event=authorized_keys_skip path={} line={} col={} error={}",
                quote(&path.display().to_string()),
                n + 1,
                line.len() - line.trim_start().len() + 1,
                quote("not a public key")
            )),
        }
    }
    if keys.is_empty() {
        return Err(ServeError::NoKeys {
            path: path.to_owned(),
        });
    }
    Ok(keys)
}

/// The server's tokio workers (connection tasks run there).
const WORKER_NAME: &str = "serve worker";

/// Panics in sessions and connection tasks are caught there (a task's
/// by tokio); this keeps the report one `key=value` line rather than the
/// default text.
fn install_panic_log() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        if thread
            .name()
            .is_some_and(|n| n.starts_with("session ") || n == WORKER_NAME)
        {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            log(&format!(
                "event=panic thread={} location={} message={}",
                quote(thread.name().unwrap_or_default()),
                quote(&location),
                quote(&message)
            ));
        } else {
            previous(info);
        }
    }));
}

/// The sessions' frame gate: two frames per core (see `Shared::frames`).
fn frame_gate() -> FrameGate {
    FrameGate::new(2 * std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
}

/// jemalloc (the binary's allocator, with background purging) starts a
/// purge thread for an arena the first time a thread allocates from it, up
/// to one per core: a later session touching a fresh arena would leave the
/// server one thread more for good (`tests/serve_client.rs` counts threads;
/// a start-up thread that built the folded search copy used to hide this by
/// touching the arenas first). One purge thread, started now, keeps the
/// count fixed; it purges every arena. A failure only leaves the default.
fn one_purge_thread() {
    #[cfg(not(target_env = "msvc"))]
    let _ = tikv_jemalloc_ctl::max_background_threads::write(1);
}

/// What runs before the library is read (the store may take a while to
/// sync): the server's runtime, its counters, and the health and metrics
/// endpoints, which say `syncing` meanwhile.
pub struct Prepared {
    runtime: tokio::runtime::Runtime,
    health: Arc<health::Health>,
    metrics: Arc<metrics::Metrics>,
}

impl Prepared {
    /// How the sync of the library store at start went (`None`: no store
    /// was asked for).
    pub fn store_synced(&self, ok: Option<bool>) {
        if let Some(ok) = ok {
            self.metrics.store_sync(ok);
        }
    }

    /// Debug builds only, for tests: holds the start (the store's sync)
    /// until the file `AIWATCH_TUI_TEST_SYNC_GATE` names exists, 20 s at
    /// most, so a test sees `syncing`. Undocumented on purpose.
    pub fn hold_sync_for_test(&self) {
        #[cfg(debug_assertions)]
        if let Some(gate) = std::env::var_os("AIWATCH_TUI_TEST_SYNC_GATE") {
            let until = Instant::now() + Duration::from_secs(20);
            while !Path::new(&gate).exists() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Starts the runtime and the health and metrics endpoints, before the
/// library is read; an address that cannot be bound is a start-up error.
pub fn prepare(options: &ServeOptions) -> Result<Prepared, ServeError> {
    install_panic_log();
    one_purge_thread();
    // Two workers: sessions are tasks, readers their own threads; the
    // count stays fixed whatever clients do.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(2)
        .thread_name(WORKER_NAME)
        .enable_all()
        .build()?;
    let health = Arc::new(health::Health::default());
    let metrics = Arc::new(metrics::Metrics::default());
    runtime.block_on(health::start(
        options.health,
        options.metrics,
        &health,
        &metrics,
    ))?;
    Ok(Prepared {
        runtime,
        health,
        metrics,
    })
}

/// Runs the server until SIGTERM, SIGUSR1 (both drain first) or Ctrl-C;
/// with a store and feeds, a background fetcher keeps the library fresh
/// (`fetcher`).
pub fn run(
    options: &ServeOptions,
    prepared: Prepared,
    library: Library,
    mut config: Config,
    feeds: &FeedStore,
) -> Result<(), ServeError> {
    // The config's warnings are the operator's (logged at start), not
    // something to show every anonymous reader.
    let config_warnings = std::mem::take(&mut config.warnings);
    let key = host_key(&options.host_key)?;
    let authorized = options
        .authorized_keys
        .as_deref()
        .map(read_authorized)
        .transpose()?;
    let remember = Remember::new(options, feeds).log_field(authorized.is_some());
    let start = format!(
        "event=start listen={} host_key={} fingerprint={} access={} remember={remember}{}",
        options.listen,
        quote(&options.host_key.display().to_string()),
        key.public_key().fingerprint(HashAlg::Sha256),
        if authorized.is_some() {
            "authorized-keys"
        } else {
            "anyone"
        },
        proxy::start_field(&options.limits.proxy_protocol)
    );
    #[allow(unused_mut)] // changed by test hooks in debug builds
    let mut limits = options.limits.clone();
    #[cfg(debug_assertions)]
    test_hooks(&mut limits);
    let shared = Arc::new(Shared {
        library: watch::Sender::new(Arc::new(library)),
        fetches: matches!(feeds, FeedStore::Store(_)),
        config: Arc::new(config),
        locales: Arc::new(Locales::embedded()),
        limits: limits.clone(),
        remember: Remember::new(options, feeds),
        authorized,
        index: OnceLock::new(),
        metrics: prepared.metrics,
        drain: watch::Sender::new(None),
        puts: Arc::default(),
        late_saves: AtomicUsize::new(0),
        frames: Arc::new(frame_gate()),
        #[cfg(debug_assertions)]
        fault_key: std::env::var("AIWATCH_TUI_TEST_PANIC_KEY")
            .ok()
            .and_then(|k| k.chars().next()),
    });
    // Sessions on a library read from the store search there: no folded
    // copy for them.
    if !shared.library().bodies().searches() {
        let background = Arc::clone(&shared);
        std::thread::spawn(move || {
            let index = crate::app::search::build_index(&background.library());
            let _ = background.index.set(Arc::new(index));
        });
    }
    let config = Arc::new(russh::server::Config {
        keys: vec![key],
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::ZERO),
        max_auth_attempts: limits.max_auth_attempts,
        // Our own watch enforces the idle limit (keepalive replies would
        // count as activity here); this is only a backstop.
        inactivity_timeout: Some(limits.idle_timeout.saturating_add(Duration::from_secs(60))),
        keepalive_interval: Some(limits.keepalive),
        nodelay: true,
        methods: auth_methods(options.remember_any_key),
        ..Default::default()
    });
    let listener = prepared.runtime.block_on(async {
        TcpListener::bind(options.listen)
            .await
            .map_err(|source| ServeError::Bind {
                address: options.listen,
                source,
            })
    })?;
    // Said once the address is ours: a bind failure is the only line then.
    log(&start);
    for warning in &config_warnings {
        let at = match warning.position {
            Some((line, col)) => format!("{}:{line}:{col}", warning.path),
            None => warning.path.clone(),
        };
        log(&format!(
            "event=config_warning at={} message={}",
            quote(&at),
            quote(&warning.message)
        ));
    }
    let fetcher = fetcher::start(
        feeds,
        &shared.config,
        shared.library.clone(),
        Arc::clone(&shared.metrics),
        Arc::clone(&shared.puts),
    );
    let ops = Ops {
        health: prepared.health,
        drain_grace: options.drain_grace,
    };
    let served = prepared
        .runtime
        .block_on(accept_loop(listener, config, Arc::clone(&shared), ops));
    // A fetch in flight is abandoned, never waited for to its timeout.
    if let Some(fetcher) = fetcher {
        fetcher.stop(FETCHER_GRACE);
    }
    wait_for_late_saves(&shared);
    served
}

/// The login methods offered: `none` and keys; with `remember_any_key`,
/// keys first and keyboard-interactive (with no question) for a client
/// without one (see `session`).
fn auth_methods(any_key: bool) -> russh::MethodSet {
    russh::MethodSet::from(if any_key {
        &[
            russh::MethodKind::PublicKey,
            russh::MethodKind::KeyboardInteractive,
        ][..]
    } else {
        &[russh::MethodKind::None, russh::MethodKind::PublicKey][..]
    })
}

/// Debug builds only, for tests: a short frame wait, so a client that
/// stops reading counts as not keeping up soon; a short wait for a PROXY
/// header; frequent saves of remembered readers.
#[cfg(debug_assertions)]
fn test_hooks(limits: &mut Limits) {
    let millis = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|n| n.parse::<u64>().ok())
            .map(|ms| Duration::from_millis(ms.max(1)))
    };
    if let Some(wait) = millis("AIWATCH_TUI_TEST_FRAME_WAIT_MS") {
        limits.frame_wait = wait;
    }
    if let Some(wait) = millis("AIWATCH_TUI_TEST_PROXY_WAIT_MS") {
        limits.proxy_header_wait = wait;
    }
    if let Some(every) = millis("AIWATCH_TUI_TEST_SAVE_EVERY_MS") {
        limits.save_every = every;
    }
}

/// How long a shutdown waits for the feed fetcher to finish what it is
/// doing (a store write) before leaving it to the process's exit.
const FETCHER_GRACE: Duration = Duration::from_millis(300);

/// How a refused connection is told why: our version line, then an SSH
/// disconnect message in the clear (allowed before key exchange), which
/// the stock OpenSSH client prints as "Received disconnect ...: REASON".
fn refusal_bytes(reason: &str) -> Vec<u8> {
    let mut payload = vec![1u8]; // SSH_MSG_DISCONNECT
    payload.extend_from_slice(&11u32.to_be_bytes()); // by application
    let text = format!("aiwatch-tui: {reason}");
    payload.extend_from_slice(&(text.len() as u32).to_be_bytes());
    payload.extend_from_slice(text.as_bytes());
    payload.extend_from_slice(&2u32.to_be_bytes());
    payload.extend_from_slice(b"en");
    // Padding: at least 4 bytes, the whole packet a multiple of 8.
    let mut padding = 8 - (5 + payload.len()) % 8;
    if padding < 4 {
        padding += 8;
    }
    let length = (1 + payload.len() + padding) as u32;
    let mut out = b"SSH-2.0-aiwatch_tui\r\n".to_vec();
    out.extend_from_slice(&length.to_be_bytes());
    out.push(padding as u8);
    out.extend_from_slice(&payload);
    out.extend(std::iter::repeat_n(0u8, padding));
    out
}

/// One admitted connection, served to its end; its seat is freed and
/// `close` logged once its socket is closed.
async fn serve_admitted(
    config: Arc<russh::server::Config>,
    socket: tokio::net::TcpStream,
    shared: Arc<Shared>,
    admission: Arc<Mutex<Admission>>,
    shutdown: watch::Receiver<bool>,
    peer: SocketAddr,
) {
    // Frees the seat however the task ends, a panic included.
    let seat = Seat {
        admission: Arc::clone(&admission),
        ip: peer.ip(),
    };
    let control = Arc::new(Control::default());
    let metrics = Arc::clone(&shared.metrics);
    let handler = Connection::new(Arc::clone(&shared), peer, Arc::clone(&control));
    let why = serve_connection(
        config,
        socket,
        handler,
        Arc::clone(&control),
        shared,
        shutdown,
        peer,
    )
    .await;
    drop(seat);
    metrics.connection_ended(why);
    let addresses = admission.lock().map_or(0, |a| a.per_address.len());
    log(&format!(
        "event=close peer={peer} reason={} duration_s={} addresses={addresses}",
        why.name(),
        control.started.elapsed().as_secs()
    ));
}

/// Refused connections told at once, at most; beyond, they are closed.
const MAX_REFUSING: usize = 64;

/// Refuses a connection before any handshake: logs `why` for `peer`,
/// tells the client `told` (in a form OpenSSH prints) and closes it, in a
/// task of its own; beyond `MAX_REFUSING` at once, just closes it.
fn refuse(
    mut socket: tokio::net::TcpStream,
    peer: impl std::fmt::Display,
    why: &str,
    told: &'static str,
    refusing: &Arc<std::sync::atomic::AtomicUsize>,
) {
    log(&format!("event=refuse peer={peer} reason={}", quote(why)));
    if refusing.load(Ordering::Relaxed) >= MAX_REFUSING {
        return;
    }
    refusing.fetch_add(1, Ordering::Relaxed);
    let refusing = Arc::clone(refusing);
    tokio::spawn(async move {
        let _ = socket.write_all(&refusal_bytes(told)).await;
        let _ = socket.shutdown().await;
        // Read what the client sends until it closes, so our message is
        // not lost to a reset; a second at most.
        let mut sink = [0u8; 1024];
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
        })
        .await;
        refusing.fetch_sub(1, Ordering::Relaxed);
    });
}

/// What the accept loop needs for its end: the readiness it reports and
/// how long a drain waits.
struct Ops {
    health: Arc<health::Health>,
    drain_grace: Duration,
}

/// How the accept loop was asked to end.
enum Stop {
    /// Ctrl-C: every session is told goodbye at once.
    Now,
    /// SIGTERM or SIGUSR1 (named): drain first.
    Drain(&'static str),
}

async fn accept_loop(
    listener: TcpListener,
    config: Arc<russh::server::Config>,
    shared: Arc<Shared>,
    ops: Ops,
) -> Result<(), ServeError> {
    // The address really bound (port 0 asks the system for a free one).
    log(&format!(
        "event=listening address={}",
        listener.local_addr()?
    ));
    ops.health.set(health::Readiness::Ready);
    let admission: Arc<Mutex<Admission>> = Arc::default();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let refusing = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut usr1 = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1())?;
    let mut backoff = Duration::from_millis(10);
    let stop = loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(joined) = connections.join_next() => {
                // The panic itself is logged by the hook; this says which
                // connection's task it ended.
                if let Err(e) = joined && e.is_panic() {
                    log("event=close reason=panic");
                }
                continue;
            }
            _ = tokio::signal::ctrl_c() => break Stop::Now,
            _ = term.recv() => break Stop::Drain("SIGTERM"),
            _ = usr1.recv() => break Stop::Drain("SIGUSR1"),
        };
        let (socket, peer) = match accepted {
            Ok(pair) => {
                backoff = Duration::from_millis(10);
                pair
            }
            Err(e) => {
                // Out of file descriptors (or any other accept error):
                // logged, then a pause that grows, and the server goes on.
                let fds = matches!(e.raw_os_error(), Some(23 | 24));
                log(&format!(
                    "event=accept_error error={} pause_ms={}",
                    quote(&e.to_string()),
                    backoff.as_millis()
                ));
                tokio::time::sleep(backoff).await;
                if fds {
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
                continue;
            }
        };
        // From a trusted balancer: its header first, read in the
        // connection's own task (the loop never waits for it), then the
        // limits, for the client it names.
        if proxy::trusted(&shared.limits.proxy_protocol, peer.ip()) {
            if waiting.load(Ordering::Relaxed) >= shared.limits.max_sessions {
                let why = "too many connections waiting for their PROXY header";
                shared.metrics.refused("full");
                refuse(
                    socket,
                    peer,
                    why,
                    "the server is full, try again later",
                    &refusing,
                );
                continue;
            }
            connections.spawn(proxy::serve(
                Arc::clone(&config),
                socket,
                Arc::clone(&shared),
                Arc::clone(&admission),
                shutdown_rx.clone(),
                peer,
                Arc::clone(&refusing),
                proxy::Waiting::enter(Arc::clone(&waiting)),
            ));
            continue;
        }
        // Limits checked before any handshake.
        let admitted = admission
            .lock()
            .map_err(|_| ServeError::Io(std::io::Error::other("admission lock")))?
            .admit(peer.ip(), &shared.limits);
        if let Err(reason) = admitted {
            shared.metrics.refused(refusal_label(reason));
            refuse(socket, peer, reason, reason, &refusing);
            continue;
        }
        log(&format!("event=connect peer={peer}"));
        shared.metrics.connected();
        connections.spawn(serve_admitted(
            Arc::clone(&config),
            socket,
            Arc::clone(&shared),
            Arc::clone(&admission),
            shutdown_rx.clone(),
            peer,
        ));
    };
    stop_accepting(stop, listener, &mut connections, &shared, &ops, &mut term).await;
    // Every session left is told and closed, within two seconds.
    log(&format!("event=shutdown sessions={}", connections.len()));
    let _ = shutdown_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_millis(1800), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    Ok(())
}

/// The label of a refusal before any handshake, for the metrics.
pub(crate) fn refusal_label(reason: &str) -> &'static str {
    if reason.contains("full") {
        "full"
    } else {
        "per_address"
    }
}

/// Not ready from now on, and no new connections (the listener is
/// closed): a balancer sends new readers elsewhere. Then, on SIGTERM or
/// SIGUSR1, the drain.
async fn stop_accepting(
    stop: Stop,
    listener: TcpListener,
    connections: &mut tokio::task::JoinSet<()>,
    shared: &Shared,
    ops: &Ops,
    term: &mut tokio::signal::unix::Signal,
) {
    ops.health.set(health::Readiness::Draining);
    drop(listener);
    // A put in flight is rolled back (the next start fetches it again):
    // the sessions' last saves must not wait for it.
    shared.puts.stop();
    if let Stop::Drain(signal) = stop {
        drain(signal, connections, shared, ops.drain_grace, term).await;
    }
}

/// SIGTERM or SIGUSR1: every session is told when the server closes, and
/// the server waits for them to leave, `grace` at most; a second SIGTERM
/// (or Ctrl-C) ends the wait at once. Those still there then get the
/// usual goodbye (`accept_loop`).
async fn drain(
    signal: &str,
    connections: &mut tokio::task::JoinSet<()>,
    shared: &Shared,
    grace: Duration,
    term: &mut tokio::signal::unix::Signal,
) {
    log(&format!(
        "event=drain signal={signal} grace_s={} sessions={}",
        grace.as_secs(),
        connections.len()
    ));
    let started = Instant::now();
    let until = started + grace;
    if !grace.is_zero() {
        shared.drain.send_replace(Some(until));
    }
    let reason = loop {
        if grace.is_zero() {
            break "no_grace";
        }
        tokio::select! {
            joined = connections.join_next() => match joined {
                None => break "sessions_gone",
                Some(Err(e)) if e.is_panic() => log("event=close reason=panic"),
                Some(_) => {}
            },
            () = tokio::time::sleep_until(until.into()) => break "grace_over",
            _ = term.recv() => break "second_signal",
            _ = tokio::signal::ctrl_c() => break "second_signal",
        }
    };
    log(&format!(
        "event=drain_end reason={reason} sessions={} waited_s={}",
        connections.len(),
        started.elapsed().as_secs()
    ));
}
