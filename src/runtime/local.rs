//! The local terminal: raw mode and the alternate screen, restored on
//! every path (normal exit, error, panic, SIGTERM, SIGHUP); key and resize
//! events from a crossterm thread; signals from a signal-hook thread.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::app::App;
use crate::input::{Input, Key};

/// Set once the terminal is back to normal, so it is restored only once.
static RESTORED: AtomicBool = AtomicBool::new(true);

/// Owns the terminal's raw mode and alternate screen while alive.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        RESTORED.store(false, Ordering::SeqCst);
        enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(e);
        }
        let terminal = Terminal::new(CrosstermBackend::new(stdout)).inspect_err(|_| restore())?;
        Ok(Self { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen and raw mode. Errors are ignored: when the
/// terminal is gone there is nothing left to restore.
pub fn restore() {
    if RESTORED.swap(true, Ordering::SeqCst) {
        return;
    }
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Runs the app on the local terminal until it quits or the terminal goes away.
pub fn run(mut app: App) -> io::Result<()> {
    let mut guard = TerminalGuard::enter()?;
    let (tx, rx) = mpsc::channel();
    spawn_events(tx.clone());
    spawn_signals(tx)?;
    let size = guard.terminal.size()?;
    app.handle(Input::Resize(size.width, size.height));
    super::run(&mut guard.terminal, &mut app, &rx)
}

/// Reads terminal events. A read error means the terminal is gone: the
/// thread says so once and ends, rather than spinning on a dead tty.
fn spawn_events(tx: Sender<Input>) {
    thread::spawn(move || {
        loop {
            let input = match event::read() {
                Ok(Event::Key(key)) => Key::from_crossterm(&key).map(Input::Key),
                Ok(Event::Resize(w, h)) => Some(Input::Resize(w, h)),
                Ok(_) => None,
                Err(_) => Some(Input::Stop),
            };
            let stop = input == Some(Input::Stop);
            if input.is_some_and(|i| tx.send(i).is_err()) || stop {
                return;
            }
        }
    });
}

fn spawn_signals(tx: Sender<Input>) -> io::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT])?;
    thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = tx.send(Input::Stop);
        }
    });
    Ok(())
}
