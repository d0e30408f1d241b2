//! Load on `aiwatch-tui serve`: N concurrent SSH sessions on loopback,
//! each pressing keys, with the server's memory per session and the time
//! from a key to the frame it causes. Bounded in count and time; stops by
//! itself. Run through `scripts/load.sh N` (or `cargo bench --bench load
//! -- --sessions N`); `--connect HOST:PORT` aims it at a server already
//! running (a load balancer, as `scripts/fleet-load.sh` does) instead of
//! its own, and leaves out the server's memory. Nothing is asserted;
//! figures go to docs/performance.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a load tool fails loudly
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation
)] // figures for a table

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::ChannelMsg;
use russh::keys::PublicKeyOrCertificate;

/// The most sessions this tool will open, and the longest it runs.
const MAX_SESSIONS: usize = 1000;
const DEADLINE: Duration = Duration::from_secs(180);
const KEYS_PER_SESSION: usize = 10;

struct Client;

impl russh::client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        // Our own server on loopback, with a key made for this run.
        Ok(true)
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One session: connect, pty 100x30, shell, first frame; then, after the
/// go signal, press keys about four times a second (a quick reader) and
/// time each until output comes back.
async fn session(
    address: std::net::SocketAddr,
    ready: tokio::sync::mpsc::Sender<()>,
    go: tokio::sync::watch::Receiver<bool>,
) -> Vec<Duration> {
    let config = Arc::new(russh::client::Config::default());
    let mut handle = russh::client::connect(config, address, Client)
        .await
        .unwrap();
    handle.authenticate_none("load").await.unwrap();
    let mut channel = handle.channel_open_session().await.unwrap();
    channel
        .request_pty(false, "xterm-256color", 100, 30, 0, 0, &[])
        .await
        .unwrap();
    channel.request_shell(false).await.unwrap();
    // The first frame.
    while let Some(msg) = channel.wait().await {
        if matches!(msg, ChannelMsg::Data { .. }) {
            break;
        }
    }
    let _ = ready.send(()).await;
    let mut go = go;
    while !*go.borrow() {
        go.changed().await.unwrap();
    }
    let mut times = Vec::new();
    for i in 0..KEYS_PER_SESSION {
        // Whatever is still arriving (the rest of a large frame, a redraw
        // after a read mark) is not an answer to the next key.
        while let Ok(Some(_)) =
            tokio::time::timeout(Duration::from_millis(60), channel.wait()).await
        {}
        let key: &[u8] = if i % 2 == 0 { b"j" } else { b"k" };
        let start = Instant::now();
        channel.data_bytes(key.to_vec()).await.unwrap();
        loop {
            match channel.wait().await {
                Some(ChannelMsg::Data { .. }) => break,
                Some(_) => {}
                None => return times,
            }
        }
        times.push(start.elapsed());
        // A quick reader: about four keys a second.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Hold the session until everyone is done (so memory is measured full).
    let _ = go.changed().await;
    let _ = channel.data_bytes(b"q".to_vec()).await;
    times
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--sessions")
        .and_then(|i| args.get(i + 1))
        .map_or(10, |v| v.parse().unwrap());
    assert!(
        (1..=MAX_SESSIONS).contains(&n),
        "--sessions 1..={MAX_SESSIONS}"
    );
    let connect: Option<std::net::SocketAddr> = args
        .iter()
        .position(|a| a == "--connect")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("--connect HOST:PORT"));
    let dir = tempfile::tempdir().unwrap();
    let (address, server) = if let Some(address) = connect {
        (address, None)
    } else {
        let (address, server) = own_server(dir.path());
        (address, Some(server))
    };
    let rss = |server: &Option<std::process::Child>| server.as_ref().map_or(0, |s| rss_kib(s.id()));
    let baseline = rss(&server);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (held, per_session, mut times) = runtime.block_on(async {
        tokio::time::timeout(DEADLINE, async {
            let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(n);
            let (go_tx, go_rx) = tokio::sync::watch::channel(false);
            let mut tasks = Vec::new();
            for _ in 0..n {
                tasks.push(tokio::spawn(session(
                    address,
                    ready_tx.clone(),
                    go_rx.clone(),
                )));
                // Not all at once: the accept loop is real, so is its queue.
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let mut held = 0;
            while held < n && ready_rx.recv().await.is_some() {
                held += 1;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            let full = rss(&server);
            go_tx.send(true).unwrap();
            let mut times = Vec::new();
            let mut pending = Vec::new();
            for task in tasks {
                pending.push(task);
            }
            // Everyone pressed their keys: release them to quit.
            tokio::time::sleep(Duration::from_millis(400 * KEYS_PER_SESSION as u64)).await;
            let _ = go_tx.send(false);
            for task in pending {
                times.extend(task.await.unwrap_or_default());
            }
            let per_session = (full.saturating_sub(baseline)) as f64 / held.max(1) as f64;
            (held, per_session, times)
        })
        .await
        .expect("the load run took too long")
    });
    if let Some(mut server) = server {
        let _ = server.kill();
        let _ = server.wait();
    }
    times.sort();
    let pick = |q: f64| {
        times
            .get(((times.len() as f64 - 1.0) * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let (idle, per) = if connect.is_some() {
        ("-".to_owned(), "-".to_owned())
    } else {
        (
            format!("{:.1} MiB", baseline as f64 / 1024.0),
            format!("{per_session:.0} KiB"),
        )
    };
    println!(
        "| sessions held | server RSS idle | memory per session | key-to-frame p50 | p90 | p99 | keys timed |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {held} of {n} | {idle} | {per} | {:.1} ms | {:.1} ms | {:.1} ms | {} |",
        pick(0.5),
        pick(0.9),
        pick(0.99),
        times.len()
    );
}

/// Starts a server of our own on a free loopback port; waits until it
/// listens and has built its search index.
fn own_server(dir: &std::path::Path) -> (std::net::SocketAddr, std::process::Child) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--max-per-address",
            "1000",
            "--max-sessions",
            "1000",
            "--host-key",
        ])
        .arg(dir.join("host_key"))
        .env("XDG_CONFIG_HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1)); // the search index is built
    (std::net::SocketAddr::from(([127, 0, 0, 1], port)), server)
}
