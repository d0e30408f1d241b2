//! Shared helpers: build an app on the bundled edition (or any roots),
//! press keys by their config names, and draw into a test backend.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // shared by several test crates; failing loudly is the point

use aiwatch_tui::app::{App, Context};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::{ContentRoot, load_library};
use aiwatch_tui::input::{Input, Key};
use aiwatch_tui::view;
use std::fmt::Write as _;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

pub fn app_with(config: Config, roots: &[ContentRoot], lang: &str, width: u16, height: u16) -> App {
    let library = load_library(roots, &config.actor_directory());
    let ctx = Context::new(library, config);
    let mut app = App::new(ctx, lang);
    app.handle(Input::Resize(width, height));
    app
}

pub fn bundled(lang: &str, width: u16, height: u16) -> App {
    app_with(
        Config::built_in().unwrap(),
        &[ContentRoot::Bundled],
        lang,
        width,
        height,
    )
}

/// Presses keys given by their config names, separated by spaces: `"d j enter"`.
pub fn press(app: &mut App, keys: &str) {
    for name in keys.split_whitespace() {
        let key = Key::parse(name).unwrap_or_else(|e| panic!("{e}"));
        app.handle(Input::Key(key));
    }
}

pub fn render(app: &App) -> Terminal<TestBackend> {
    let area = app.layout.area;
    let mut terminal = Terminal::new(TestBackend::new(area.width, area.height)).unwrap();
    terminal.draw(|f| view::draw(app, f)).unwrap();
    terminal
}

/// The screen as plain text lines.
pub fn screen(app: &App) -> String {
    let terminal = render(app);
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut skip = 0;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            out.push_str(symbol);
        }
        out.push('\n');
    }
    out
}

pub fn open_heading(app: &App) -> String {
    app.reader
        .open
        .map(|s| app.library().sections[s].heading.clone())
        .unwrap_or_default()
}

/// Each row's runs of one style: `row 3: 0-29 fg=Cyan bg=- BOLD`.
pub fn style_runs(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut x = 0;
        let mut runs = Vec::new();
        while x < buffer.area.width {
            let cell = &buffer[(x, y)];
            let key = (cell.fg, cell.bg, cell.modifier);
            let start = x;
            while x < buffer.area.width && {
                let c = &buffer[(x, y)];
                (c.fg, c.bg, c.modifier) == key
            } {
                x += 1;
            }
            let show = |c: Color| {
                if c == Color::Reset {
                    "-".to_owned()
                } else {
                    format!("{c}")
                }
            };
            runs.push(format!(
                "{start}-{} fg={} bg={} {:?}",
                x - 1,
                show(key.0),
                show(key.1),
                key.2
            ));
        }
        writeln!(out, "row {y:2}: {}", runs.join(" | ")).unwrap();
    }
    out
}

/// Whether a program is on the PATH (for tests that need outside tools).
pub fn have(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A private tmux server for end-to-end tests: its own socket and config,
/// killed when dropped. Screens are read with `capture-pane`.
pub struct Tmux {
    socket: String,
    config: std::path::PathBuf,
}

impl Tmux {
    pub fn new(socket: String, config: &std::path::Path) -> Self {
        Self {
            socket,
            config: config.to_path_buf(),
        }
    }

    /// Runs a tmux command on this server; its standard output.
    pub fn run(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "-f"])
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self, session: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", session])
    }

    /// Waits (20 s at most) until the session's screen shows `text`;
    /// `context` adds what helps on failure (a server log).
    pub fn wait_for(&self, session: &str, text: &str, context: impl Fn() -> String) {
        let start = std::time::Instant::now();
        while !self.screen(session).contains(text) {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(20),
                "timed out waiting for {text:?}; screen:\n{}\n{}",
                self.screen(session),
                context()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Types keys (tmux key names), one at a time as a person would.
    pub fn keys(&self, session: &str, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", session, key]);
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// A writer whose bytes stay readable after the backend that wrote them
/// took it: what a terminal was sent, for replaying into an emulator.
#[derive(Clone, Default)]
pub struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    /// The bytes written so far, leaving it empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}
