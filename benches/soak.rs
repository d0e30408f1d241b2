//! Soak of `aiwatch-tui serve`: N sessions for S seconds on loopback, each
//! pressing random keys (moves, filters, `/` with long lines, Esc),
//! resizing (absurd sizes too) and now and then killed abruptly (the
//! connection dropped, no `q`) and replaced. Reports the server's threads
//! and resident memory before, at peak and after the sessions end, the
//! time from a key to its frame, and any panic in the server's log.
//! Bounded (1000 sessions, 1 hour); stops its server. Run through
//! `scripts/soak.sh N SECONDS`. Nothing is asserted; figures go to
//! docs/performance.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a load tool fails loudly
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation
)] // figures for a table

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use russh::ChannelMsg;
use russh::keys::PublicKeyOrCertificate;

const MAX_SESSIONS: usize = 1000;
const MAX_SECONDS: u64 = 3600;

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

fn proc_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU seconds (user + system) a process has used, from /proc; "self"
/// for the generator. Tells whose cycles a slow key-to-frame went to.
fn cpu_seconds(pid: &str) -> f64 {
    let (user, system) = cpu_split(pid);
    user + system
}

/// CPU seconds a process has used in user space and in the kernel (page
/// faults, sockets, ...), from /proc.
fn cpu_split(pid: &str) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 here.
    (ticks(11) as f64 / 100.0, ticks(12) as f64 / 100.0)
}

/// A small random source per session (no shared state, no crate API).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Default)]
struct Counts {
    opened: AtomicUsize,
    killed: AtomicUsize,
    searches: AtomicUsize,
    resizes: AtomicUsize,
    failed: AtomicUsize,
}

/// One session until `until`: random actions; `Some(times)` when it was
/// killed early (the caller opens another), `None` after a clean quit.
async fn session(
    port: u16,
    until: Instant,
    rng: &mut Rng,
    counts: &Counts,
) -> (Vec<Duration>, bool) {
    let mut times = Vec::new();
    let config = Arc::new(russh::client::Config::default());
    let Ok(mut handle) = russh::client::connect(config, ("127.0.0.1", port), Client).await else {
        counts.failed.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(500)).await;
        return (times, true);
    };
    if handle.authenticate_none("soak").await.is_err() {
        counts.failed.fetch_add(1, Ordering::Relaxed);
        return (times, true);
    }
    let Ok(mut channel) = handle.channel_open_session().await else {
        counts.failed.fetch_add(1, Ordering::Relaxed);
        return (times, true);
    };
    counts.opened.fetch_add(1, Ordering::Relaxed);
    let _ = channel
        .request_pty(false, "xterm-256color", 100, 30, 0, 0, &[])
        .await;
    let _ = channel.request_shell(false).await;
    while let Some(msg) = channel.wait().await {
        if matches!(msg, ChannelMsg::Data { .. }) {
            break;
        }
    }
    let drain = async |channel: &mut russh::Channel<russh::client::Msg>, ms: u64| {
        while let Ok(Some(_)) =
            tokio::time::timeout(Duration::from_millis(ms), channel.wait()).await
        {}
    };
    while Instant::now() < until {
        let roll = rng.below(100);
        if roll < 60 {
            drain(&mut channel, 40).await;
            let key: &[u8] = if rng.below(2) == 0 { b"j" } else { b"k" };
            let start = Instant::now();
            if channel.data_bytes(key.to_vec()).await.is_err() {
                return (times, true);
            }
            loop {
                match tokio::time::timeout(Duration::from_secs(10), channel.wait()).await {
                    Ok(Some(ChannelMsg::Data { .. })) => {
                        times.push(start.elapsed());
                        break;
                    }
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => return (times, true),
                }
            }
        } else if roll < 72 {
            let keys: [&[u8]; 12] = [
                b"u", b"d", b"m", b"o", b"\t", b"g", b"G", b"\r", b"\x1b", b"?", b"a", b"x",
            ];
            let key = keys[rng.below(keys.len() as u64) as usize];
            let _ = channel.data_bytes(key.to_vec()).await;
            drain(&mut channel, 40).await;
        } else if roll < 77 {
            // A long search line, typed in packets, then Esc.
            counts.searches.fetch_add(1, Ordering::Relaxed);
            let len = 100 + rng.below(3000) as usize;
            let line: Vec<u8> = (0..len).map(|_| b'a' + rng.below(26) as u8).collect();
            let _ = channel.data_bytes(b"/".to_vec()).await;
            for chunk in line.chunks(500) {
                let _ = channel.data_bytes(chunk.to_vec()).await;
                drain(&mut channel, 10).await;
            }
            let _ = channel.data_bytes(b"\x1b".to_vec()).await;
            drain(&mut channel, 60).await;
        } else if roll < 87 {
            counts.resizes.fetch_add(1, Ordering::Relaxed);
            let w = 20 + rng.below(600) as u32;
            let h = 5 + rng.below(200) as u32;
            let _ = channel.window_change(w, h, 0, 0).await;
            drain(&mut channel, 40).await;
        } else if roll < 89 {
            // Killed: the connection dropped without a word.
            counts.killed.fetch_add(1, Ordering::Relaxed);
            drop(channel);
            drop(handle);
            return (times, true);
        }
        tokio::time::sleep(Duration::from_millis(100 + rng.below(300))).await;
    }
    let _ = channel.data_bytes(b"q".to_vec()).await;
    drain(&mut channel, 500).await;
    (times, false)
}

/// One round: `n` sessions for `seconds`, then the wait for the server's
/// threads to come back; gives the key times and (threads, RSS) after.
fn round(
    pid: u32,
    n: usize,
    seconds: u64,
    port: u16,
    threads_before: u64,
    counts: &Arc<Counts>,
    peak: &Arc<std::sync::Mutex<(u64, u64)>>,
) -> (Vec<Duration>, (u64, u64)) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(seconds);
    let times = runtime.block_on(async {
        let sampler = {
            let peak = Arc::clone(peak);
            tokio::spawn(async move {
                while Instant::now() < until {
                    if let Ok(mut p) = peak.lock() {
                        p.0 = p.0.max(proc_field(pid, "Threads:"));
                        p.1 = p.1.max(proc_field(pid, "VmRSS:"));
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            })
        };
        let mut tasks = Vec::new();
        for i in 0..n {
            let counts = Arc::clone(counts);
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((i as u64 + 1) * 0x1000_0001));
                let mut times = Vec::new();
                while Instant::now() < until {
                    let (t, again) = session(port, until, &mut rng, &counts).await;
                    times.extend(t);
                    if !again {
                        break;
                    }
                }
                times
            }));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut times = Vec::new();
        for task in tasks {
            times.extend(task.await.unwrap_or_default());
        }
        sampler.abort();
        times
    });
    drop(runtime);
    // The sessions are over: threads and memory should come back.
    let settle = Instant::now();
    while proc_field(pid, "Threads:") > threads_before && settle.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let (threads_after, rss_after) = (proc_field(pid, "Threads:"), proc_field(pid, "VmRSS:"));
    (times, (threads_after, rss_after))
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().unwrap())
}

#[allow(clippy::too_many_lines)] // one run, start to table
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--sessions", 200) as usize;
    let seconds = arg(&args, "--seconds", 600);
    // Rounds against the same server: resident memory that grows from one
    // round's end to the next is a leak; a level it keeps is the allocator.
    let rounds = arg(&args, "--rounds", 1);
    assert!(
        (1..=MAX_SESSIONS).contains(&n),
        "--sessions 1..={MAX_SESSIONS}"
    );
    assert!(
        (1..=MAX_SECONDS).contains(&seconds),
        "--seconds 1..={MAX_SECONDS}"
    );
    assert!((1..=10).contains(&rounds), "--rounds 1..=10");
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // `--server PATH`: another build of the binary (a copy of the one
    // before a change, say), to compare two builds in the same minutes.
    let binary = args
        .iter()
        .position(|a| a == "--server")
        .and_then(|i| args.get(i + 1))
        .map_or(env!("CARGO_BIN_EXE_aiwatch-tui"), String::as_str);
    let mut server = Command::new(binary)
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
        .arg(dir.path().join("host_key"))
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .stderr(std::fs::File::create(&log_path).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2)); // the search index is built
    let pid = server.id();
    let cold = (
        proc_field(pid, "VmRSS:"),
        proc_field(pid, "RssAnon:"),
        proc_field(pid, "RssFile:"),
    );
    // A short warm-up round first: the code a session runs (SSH, crypto,
    // drawing) is paged in from the binary on first use and stays resident
    // as file pages; the baseline the sessions must come back to is the
    // server after its first sessions, as an operator sees it. The cold
    // figures are printed too.
    let warmup = arg(&args, "--warmup", 10) as usize;
    if warmup > 0 {
        let scratch = Arc::new(Counts::default());
        let ignored = Arc::new(std::sync::Mutex::new((0u64, 0u64)));
        let threads_cold = proc_field(pid, "Threads:");
        let _ = round(pid, warmup, 5, port, threads_cold, &scratch, &ignored);
    }
    let (threads_before, rss_before) = (proc_field(pid, "Threads:"), proc_field(pid, "VmRSS:"));
    let warm = (
        rss_before,
        proc_field(pid, "RssAnon:"),
        proc_field(pid, "RssFile:"),
    );
    // `--smaps PREFIX`: the server's mappings, warm and after the run
    // (PREFIX-warm.smaps, PREFIX-after.smaps), to tell which of them a
    // growth is in (thread stacks, the allocator's extents, ...).
    let smaps = args
        .iter()
        .position(|a| a == "--smaps")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let snapshot = |when: &str| {
        if let Some(prefix) = &smaps {
            // Read, not `fs::copy`: a /proc file says its length is 0.
            let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
            let _ = std::fs::write(format!("{prefix}-{when}.smaps"), text);
        }
    };
    snapshot("warm");
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let (server_cpu_before, own_cpu_before) = (cpu_seconds(&pid.to_string()), cpu_seconds("self"));
    let server_split_before = cpu_split(&pid.to_string());
    let peak = Arc::new(std::sync::Mutex::new((0u64, 0u64)));
    let mut times = Vec::new();
    let mut after = Vec::new();
    for _ in 0..rounds {
        let (t, a) = round(pid, n, seconds, port, threads_before, &counts, &peak);
        times.extend(t);
        after.push(a);
    }
    let (threads_after, rss_after) = after.last().copied().unwrap_or_default();
    let server_cpu = cpu_seconds(&pid.to_string()) - server_cpu_before;
    let own_cpu = cpu_seconds("self") - own_cpu_before;
    let server_split = cpu_split(&pid.to_string());
    let server_split = (
        server_split.0 - server_split_before.0,
        server_split.1 - server_split_before.1,
    );
    let wall = started.elapsed().as_secs_f64();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let panics = log.matches("event=panic").count();
    let reasons: Vec<String> = ["quit", "client_gone", "overrun", "panic", "idle"]
        .iter()
        .map(|r| {
            format!(
                "{r} {}",
                log.lines()
                    .filter(
                        |l| l.contains("event=session_end") && l.contains(&format!("reason={r}"))
                    )
                    .count()
            )
        })
        .collect();
    snapshot("after");
    let end = (
        proc_field(pid, "VmRSS:"),
        proc_field(pid, "RssAnon:"),
        proc_field(pid, "RssFile:"),
    );
    // Shut down as an operator would (SIGTERM), then make sure it is gone.
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let stop = Instant::now();
    while server.try_wait().ok().flatten().is_none() && stop.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
    if let Some(keep) = args
        .iter()
        .position(|a| a == "--keep-log")
        .and_then(|i| args.get(i + 1))
    {
        let _ = std::fs::copy(&log_path, keep);
    }
    let mib = |(total, anon, file): (u64, u64, u64)| {
        format!(
            "{:.1} MiB (anonymous {:.1}, file {:.1})",
            total as f64 / 1024.0,
            anon as f64 / 1024.0,
            file as f64 / 1024.0
        )
    };
    println!(
        "resident memory: cold start {}; after a {warmup}-session warm-up {}; after the run {}",
        mib(cold),
        mib(warm),
        mib(end)
    );
    times.sort();
    let pick = |q: f64| {
        times
            .get(((times.len() as f64 - 1.0) * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let (peak_threads, peak_rss) = *peak.lock().unwrap();
    println!(
        "sessions {n}, {seconds} s: opened {}, killed {}, searches {}, resizes {}, failed connects {}; session ends: {}",
        counts.opened.load(Ordering::Relaxed),
        counts.killed.load(Ordering::Relaxed),
        counts.searches.load(Ordering::Relaxed),
        counts.resizes.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed),
        reasons.join(", ")
    );
    println!(
        "cpu over {wall:.0} s: server {server_cpu:.1} s ({:.0}% of one core), generator {own_cpu:.1} s ({:.0}%); load average at the end: {}",
        100.0 * server_cpu / wall,
        100.0 * own_cpu / wall,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "server cpu per timed key: {:.2} ms (user {:.1} s, system {:.1} s)",
        server_cpu * 1000.0 / times.len().max(1) as f64,
        server_split.0,
        server_split.1
    );
    if rounds > 1 {
        let list: Vec<String> = after
            .iter()
            .map(|(t, r)| format!("{t} threads, {:.1} MiB", *r as f64 / 1024.0))
            .collect();
        println!("after each of {rounds} rounds: {}", list.join("; "));
    }
    println!(
        "| sessions | seconds | threads before / peak / after | RSS before / peak / after | key-to-frame p50 | p90 | p99 | keys timed | panics |"
    );
    println!("|---:|---:|---|---|---:|---:|---:|---:|---:|");
    println!(
        "| {n} | {seconds} | {threads_before} / {peak_threads} / {threads_after} | {:.1} / {:.1} / {:.1} MiB | {:.1} ms | {:.1} ms | {:.1} ms | {} | {panics} |",
        rss_before as f64 / 1024.0,
        peak_rss as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        pick(0.5),
        pick(0.9),
        pick(0.99),
        times.len()
    );
}
