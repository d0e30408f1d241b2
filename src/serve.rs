//! `aiwatch-tui serve`: the reader served over SSH. Our own accept loop
//! enforces connection limits before any handshake; russh runs each
//! connection; every shell gets its own `App` (same library, config and
//! themes) on its own thread, drawn through `LeanBackend` into the
//! channel. The server's own terminal is never touched.

mod decode;
mod session;

pub use decode::Decoder;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use russh::keys::{Algorithm, HashAlg, PrivateKey, PublicKey};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::content::Library;
use crate::i18n::Locales;
use session::Connection;

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
    /// Frames queued for a client before it counts as not keeping up.
    pub frame_queue: usize,
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
            frame_queue: 64,
        }
    }
}

/// What every session shares: the library, the config (not yet adapted to
/// a terminal), the locales, the limits and the search index.
pub struct Shared {
    pub library: Arc<Library>,
    pub config: Arc<Config>,
    pub locales: Arc<Locales>,
    pub limits: Limits,
    /// `None`: anyone may read; else only these keys.
    pub authorized: Option<Vec<PublicKey>>,
    index: OnceLock<Arc<Vec<String>>>,
}

impl Shared {
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
}

/// What a connection's watchdog looks at.
#[derive(Debug)]
pub struct Watch {
    pub authenticated: AtomicBool,
    pub last_input: Mutex<Instant>,
}

impl Default for Watch {
    fn default() -> Self {
        Self {
            authenticated: AtomicBool::new(false),
            last_input: Mutex::new(Instant::now()),
        }
    }
}

/// Every live session's handle, to say goodbye at shutdown.
type Sessions = Arc<Mutex<HashMap<u64, russh::server::Handle>>>;

/// Runs one connection to its end under the time limits; returns why it ended.
async fn serve_connection(
    config: Arc<russh::server::Config>,
    socket: tokio::net::TcpStream,
    handler: Connection,
    limits: &Limits,
    watch: &Watch,
    sessions: &Sessions,
) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let started = Instant::now();
    let running = match tokio::time::timeout(
        limits.auth_timeout,
        russh::server::run_stream(config, socket, handler),
    )
    .await
    {
        Ok(Ok(running)) => running,
        Ok(Err(e)) => return e.to_string(),
        Err(_) => return "handshake timed out".to_owned(),
    };
    let handle = running.handle();
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut all) = sessions.lock() {
        all.insert(id, handle.clone());
    }
    tokio::pin!(running);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let reason = loop {
        tokio::select! {
            result = &mut running => break result.map_or_else(|e| e.to_string(), |()| "closed".to_owned()),
            _ = tick.tick() => {
                let idle = watch.last_input.lock().map_or(Duration::ZERO, |t| t.elapsed());
                // Each limit tells the client why, in one line.
                let why = if !watch.authenticated.load(Ordering::Relaxed) && started.elapsed() > limits.auth_timeout {
                    Some(format!("not authenticated within {} s", limits.auth_timeout.as_secs()))
                } else if idle > limits.idle_timeout {
                    Some(format!("idle for {} s", limits.idle_timeout.as_secs()))
                } else if started.elapsed() > limits.max_duration {
                    Some(format!("session longer than {} h", limits.max_duration.as_secs() / 3600))
                } else {
                    None
                };
                if let Some(why) = why {
                    let _ = handle.disconnect(russh::Disconnect::ByApplication, format!("aiwatch-tui: {why}"), "en".into()).await;
                    break why;
                }
            }
        }
    };
    if let Ok(mut all) = sessions.lock() {
        all.remove(&id);
    }
    reason
}

/// SIGTERM or Ctrl-C: every session is told and closed, within two seconds.
async fn goodbye(sessions: &Sessions) {
    let handles: Vec<russh::server::Handle> = sessions
        .lock()
        .map(|all| all.values().cloned().collect())
        .unwrap_or_default();
    log(&format!("event=shutdown sessions={}", handles.len()));
    // Each disconnect only queues a message to its session: one after
    // another is quick, and the whole goodbye is bounded anyway.
    let all = async {
        for h in &handles {
            let reason = "aiwatch-tui: the server is shutting down, goodbye".to_owned();
            let _ = h
                .disconnect(russh::Disconnect::ByApplication, reason, "en".into())
                .await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(1500), all).await;
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

/// The server's settings: the command line first, then `[serve]`, then
/// the built-in defaults.
pub fn options(
    args: &crate::cli::ServeArgs,
    config: &crate::config::ServeConfig,
) -> Result<ServeOptions, String> {
    let defaults = Limits::default();
    let number = |key: &str| config.number(key);
    let listen = match (args.listen, &config.listen) {
        (Some(addr), _) => addr,
        (None, Some(text)) => text
            .parse()
            .map_err(|_| format!("bad [serve] listen \"{text}\""))?,
        (None, None) => SocketAddr::from(([127, 0, 0, 1], 2222)),
    };
    let host_key = args
        .host_key
        .clone()
        .or_else(|| config.host_key.clone())
        .or_else(default_host_key)
        .ok_or("no place for the host key: pass --host-key PATH")?;
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
        auth_timeout: number("auth_timeout").map_or(defaults.auth_timeout, Duration::from_secs),
        idle_timeout: args
            .idle_timeout
            .or(number("idle_timeout"))
            .map_or(defaults.idle_timeout, |s| Duration::from_secs(s.max(1))),
        max_duration: number("session_hours").map_or(defaults.max_duration, |h| {
            Duration::from_secs(h.saturating_mul(3600))
        }),
        max_cols: number("max_width").map_or(defaults.max_cols, as_u16),
        max_rows: number("max_height").map_or(defaults.max_rows, as_u16),
        input_rate: number("input_rate").map_or(defaults.input_rate, as_u32),
        input_burst: number("input_burst").map_or(defaults.input_burst, as_u32),
        ..defaults
    };
    Ok(ServeOptions {
        listen,
        host_key,
        authorized_keys: args
            .authorized_keys
            .clone()
            .or_else(|| config.authorized_keys.clone()),
        limits,
    })
}

/// One log line per event, `key=value`, to stderr.
pub fn log(line: &str) {
    let _ = writeln!(std::io::stderr(), "aiwatch-tui serve: {line}");
}

/// Loads the host key, or makes an Ed25519 one (0600) on first start.
pub fn host_key(path: &Path) -> std::io::Result<PrivateKey> {
    if path.exists() {
        return russh::keys::load_secret_key(path, None)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())));
    }
    let key =
        PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .map_err(std::io::Error::other)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())?;
    Ok(key)
}

fn read_authorized(path: &Path) -> std::io::Result<Vec<PublicKey>> {
    let text = std::fs::read_to_string(path)?;
    let keys: Vec<PublicKey> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| PublicKey::from_openssh(l).ok())
        .collect();
    if keys.is_empty() {
        return Err(std::io::Error::other(format!(
            "{}: no usable public key",
            path.display()
        )));
    }
    Ok(keys)
}

/// Runs the server until SIGTERM or Ctrl-C.
pub fn run(options: &ServeOptions, library: Library, config: Config) -> std::io::Result<()> {
    let key = host_key(&options.host_key)?;
    let authorized = options
        .authorized_keys
        .as_deref()
        .map(read_authorized)
        .transpose()?;
    log(&format!(
        "event=start listen={} host_key={} fingerprint={} access={}",
        options.listen,
        options.host_key.display(),
        key.public_key().fingerprint(HashAlg::Sha256),
        if authorized.is_some() {
            "authorized-keys"
        } else {
            "anyone"
        }
    ));
    let limits = options.limits.clone();
    let shared = Arc::new(Shared {
        library: Arc::new(library),
        config: Arc::new(config),
        locales: Arc::new(Locales::embedded()),
        limits: limits.clone(),
        authorized,
        index: OnceLock::new(),
    });
    let background = Arc::clone(&shared);
    std::thread::spawn(move || {
        let index = crate::app::search::build_index(&background.library);
        let _ = background.index.set(Arc::new(index));
    });
    let config = Arc::new(russh::server::Config {
        keys: vec![key],
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::ZERO),
        max_auth_attempts: limits.max_auth_attempts,
        // Our own watch enforces the idle limit (keepalive replies would
        // count as activity here); this is only a backstop.
        inactivity_timeout: Some(limits.idle_timeout + Duration::from_secs(60)),
        keepalive_interval: Some(limits.keepalive),
        nodelay: true,
        methods: russh::MethodSet::from(
            &[russh::MethodKind::None, russh::MethodKind::PublicKey][..],
        ),
        ..Default::default()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(accept_loop(options.listen, config, shared))
}

async fn accept_loop(
    listen: SocketAddr,
    config: Arc<russh::server::Config>,
    shared: Arc<Shared>,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    // The address really bound (port 0 asks the system for a free one).
    log(&format!(
        "event=listening address={}",
        listener.local_addr()?
    ));
    let per_address: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let sessions: Sessions = Arc::default();
    let stop = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
        Ok::<(), std::io::Error>(())
    };
    tokio::pin!(stop);
    loop {
        let (mut socket, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            result = &mut stop => {
                goodbye(&sessions).await;
                return result;
            }
        };
        // Limits checked before any handshake: say why in one line.
        let refusal = {
            let mut counts = per_address
                .lock()
                .map_err(|_| std::io::Error::other("lock"))?;
            let total: usize = counts.values().sum();
            let mine = counts.entry(peer.ip()).or_default();
            if total >= shared.limits.max_sessions {
                Some("the server is full, try again later")
            } else if *mine >= shared.limits.max_per_address {
                Some("too many connections from your address")
            } else {
                *mine += 1;
                None
            }
        };
        if let Some(reason) = refusal {
            log(&format!("event=refuse peer={peer} reason=\"{reason}\""));
            let _ = socket
                .write_all(format!("aiwatch-tui: {reason}\r\n").as_bytes())
                .await;
            continue;
        }
        log(&format!("event=connect peer={peer}"));
        let config = Arc::clone(&config);
        let shared = Arc::clone(&shared);
        let per_address = Arc::clone(&per_address);
        let sessions = Arc::clone(&sessions);
        tokio::spawn(async move {
            let watch = Arc::new(Watch::default());
            let handler = Connection::new(Arc::clone(&shared), peer, Arc::clone(&watch));
            let reason =
                serve_connection(config, socket, handler, &shared.limits, &watch, &sessions).await;
            log(&format!("event=close peer={peer} reason=\"{reason}\""));
            if let Ok(mut counts) = per_address.lock()
                && let Some(n) = counts.get_mut(&peer.ip())
            {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.remove(&peer.ip());
                }
            }
        });
    }
}
