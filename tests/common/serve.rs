//! `aiwatch-tui serve` started for a test: a private folder (host key,
//! config, log), port 0 (the port really bound is read from the log, so
//! tests never race for a port), killed when dropped. Shared by the serve
//! test crates (`#[path]`); not every crate uses every helper.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Runs `serve` on port 0 with `args` and `config` as its config.toml in
/// `dir`, for a start-up that fails: its output once it has exited.
pub fn run_to_exit(dir: &std::path::Path, args: &[&str], config: &str) -> std::process::Output {
    std::fs::create_dir_all(dir.join("aiwatch-tui")).unwrap();
    std::fs::write(dir.join("aiwatch-tui/config.toml"), config).unwrap();
    Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
        .args(["serve", "--listen", "127.0.0.1:0", "--host-key"])
        .arg(dir.join("key"))
        .args(args)
        .env("XDG_CONFIG_HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

pub struct Server {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the server with `extra` arguments, `config` as its
    /// config.toml and `env` over the environment; returns once it listens.
    pub fn start(extra: &[&str], config: &str, env: &[(&str, &str)]) -> Self {
        let mut server = Self::launch(extra, config, env);
        server.port = server.wait_port("event=listening address=");
        server
    }

    /// Starts the server like `start` but returns at once (`port` is 0
    /// until `wait_port` reads it).
    pub fn launch(extra: &[&str], config: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config_dir = dir.path().join("config").join("aiwatch-tui");
        std::fs::create_dir_all(&config_dir).unwrap();
        std::fs::write(config_dir.join("config.toml"), config).unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
            .args(["serve", "--listen", "127.0.0.1:0", "--host-key"])
            .arg(dir.path().join("host_key"))
            .args(extra)
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Self {
            child,
            port: 0,
            dir,
        }
    }

    /// Waits (20 s at most) for `event` followed by `127.0.0.1:PORT` in
    /// the log (`event=listening address=`, say); the port.
    pub fn wait_port(&self, event: &str) -> u16 {
        let start = Instant::now();
        loop {
            let log = self.log();
            if let Some(port) = log
                .split(&format!("{event}127.0.0.1:"))
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|p| p.trim().parse().ok())
            {
                return port;
            }
            assert!(start.elapsed() < TIMEOUT, "the server did not start: {log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends the server the signal `name` (`TERM`, `USR1`).
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{name} {pid}");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The server's thread count, from /proc.
    pub fn threads(&self) -> usize {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// The server's open sockets (listener and connections), from /proc.
    pub fn sockets(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter(|target| target.to_string_lossy().starts_with("socket:"))
            .count()
    }

    /// The thread count once it has settled (the index builder done).
    pub fn settled_threads(&self) -> usize {
        let mut last = self.threads();
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(100));
            let now = self.threads();
            if now == last {
                return now;
            }
            last = now;
        }
        last
    }

    /// Waits (20 s at most) until the log says `text`.
    pub fn wait_log(&self, text: &str) {
        let start = Instant::now();
        while !self.log().contains(text) {
            assert!(
                start.elapsed() < TIMEOUT,
                "no {text:?} in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
