//! The real binary in a pseudo-terminal: bytes in, a vt100 screen and the
//! raw output back, for end-to-end tests of what a user sees. Shared by
//! the pty test crates (`#[path]`); not every crate uses every helper.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, PtyPair, PtySize, native_pty_system};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Pty {
    pair: PtyPair,
    writer: Box<dyn Write + Send>,
    pub screen: Arc<Mutex<vt100::Parser>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
}

impl Pty {
    pub fn open(cols: u16, rows: u16) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal can be opened");
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            rows.try_into().unwrap(),
            cols.try_into().unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (Arc::clone(&screen), Arc::clone(&raw));
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Self {
            pair,
            writer,
            screen,
            raw,
        }
    }

    /// The terminal's local modes as the program on it left them, by name
    /// (`ICANON`, `ECHO`, `ISIG`, ...): raw mode has none of these three.
    pub fn local_modes(&self) -> Vec<String> {
        let termios = self.pair.master.get_termios().expect("the pty's modes");
        format!("{:?}", termios.local_flags)
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Starts the binary with `home` as HOME, config and state folders, and
    /// working directory, plus `env` over a plain English environment.
    pub fn spawn(
        &self,
        args: &[&str],
        home: &Path,
        env: &[(&str, &str)],
    ) -> Box<dyn Child + Send + Sync> {
        self.spawn_with(env!("CARGO_BIN_EXE_aiwatch-tui"), args, home, env)
    }

    /// Starts any program (`stty`, the binary) the same way, without
    /// extra environment.
    pub fn spawn_program(
        &self,
        program: &str,
        args: &[&str],
        home: &Path,
    ) -> Box<dyn Child + Send + Sync> {
        self.spawn_with(program, args, home, &[])
    }

    fn spawn_with(
        &self,
        program: &str,
        args: &[&str],
        home: &Path,
        env: &[(&str, &str)],
    ) -> Box<dyn Child + Send + Sync> {
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "en_US.UTF-8");
        cmd.env_remove("LC_ALL");
        cmd.env_remove("LC_MESSAGES");
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("XDG_STATE_HOME", home.join("state"));
        cmd.env("XDG_DATA_HOME", home.join("data"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.cwd(home);
        self.pair
            .slave
            .spawn_command(cmd)
            .expect("the program starts")
    }

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    pub fn wait_for(&self, text: &str) {
        let start = Instant::now();
        while !self.contents().contains(text) {
            assert!(
                start.elapsed() < TIMEOUT,
                "timed out waiting for {text:?}; screen:\n{}",
                self.contents()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the output has been quiet for a moment: after the
    /// program exited, what it wrote last (a notice on stderr) may still
    /// be on its way through the reader thread, slowly on a loaded machine.
    #[allow(dead_code)] // not every test binary that shares this file uses it
    pub fn settle(&self) {
        let start = Instant::now();
        let mut seen = self.raw.lock().unwrap().len();
        let mut quiet_since = Instant::now();
        while quiet_since.elapsed() < Duration::from_millis(300) && start.elapsed() < TIMEOUT {
            thread::sleep(Duration::from_millis(20));
            let now = self.raw.lock().unwrap().len();
            if now != seen {
                seen = now;
                quiet_since = Instant::now();
            }
        }
    }

    /// Waits until the output says what `done` looks for: after the
    /// program exited, its last bytes may still be on their way through
    /// the reader thread, which a loaded machine can hold up for seconds.
    #[allow(dead_code)] // not every test binary that shares this file uses it
    pub fn wait_until(&self, what: &str, done: impl Fn(&vt100::Screen, &[u8]) -> bool) {
        let start = Instant::now();
        loop {
            {
                let parser = self.screen.lock().unwrap();
                let raw = self.raw.lock().unwrap();
                if done(parser.screen(), &raw) {
                    return;
                }
            }
            assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }
}

pub fn wait_exit(child: &mut Box<dyn Child + Send + Sync>) -> portable_pty::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < TIMEOUT, "the program did not exit");
        thread::sleep(Duration::from_millis(20));
    }
}
