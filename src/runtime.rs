//! The loop that connects an app to a backend and an input source. It
//! sleeps until input arrives, drains what is queued (capped, so a flood
//! still draws), performs the effects the app asked for, and draws once if
//! anything changed. Generic over the backend and over a `Driver` that
//! knows the outside world, so tests, the local terminal and (later) SSH
//! sessions run the same loop.

pub mod lean;
pub mod local;
pub mod osc;

use std::io::Write;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::crossterm::{execute, queue};

use crate::app::{App, Effect};
use crate::input::Input;
use crate::view;

/// Inputs handled before a frame is drawn, at most.
const DRAIN_LIMIT: usize = 256;

/// A backend that can bracket a frame so the terminal shows it at once.
pub trait FrameSink: Backend {
    fn begin_frame(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn end_frame(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl FrameSink for TestBackend {}

impl<W: Write> FrameSink for CrosstermBackend<W> {
    fn begin_frame(&mut self) -> std::io::Result<()> {
        queue!(self, BeginSynchronizedUpdate)
    }
    fn end_frame(&mut self) -> std::io::Result<()> {
        execute!(self, EndSynchronizedUpdate)
    }
}

impl<W: Write> FrameSink for lean::LeanBackend<W> {
    fn begin_frame(&mut self) -> std::io::Result<()> {
        queue!(self, BeginSynchronizedUpdate)
    }
    fn end_frame(&mut self) -> std::io::Result<()> {
        execute!(self, EndSynchronizedUpdate)
    }
}

/// The outside world as the loop sees it: who performs effects, and what
/// is written after a frame (hyperlinks).
pub trait Driver<B: FrameSink> {
    /// Carries out one effect (quitting is handled by the loop).
    fn perform(&mut self, effect: Effect, app: &mut App, terminal: &mut Terminal<B>) {
        let _ = (effect, app, terminal);
    }

    /// The drawable area changed (fixed viewports, such as SSH sessions,
    /// resize here; a local terminal resizes itself).
    fn resized(
        &mut self,
        terminal: &mut Terminal<B>,
        width: u16,
        height: u16,
    ) -> Result<(), B::Error> {
        let _ = (terminal, width, height);
        Ok(())
    }

    /// The shortest time between two frames, if capped (SSH sessions).
    fn frame_interval(&self) -> Option<std::time::Duration> {
        None
    }

    /// Runs inside the frame, after ratatui has drawn it.
    fn after_draw(&mut self, app: &App, terminal: &mut Terminal<B>) -> Result<(), B::Error> {
        let _ = (app, terminal);
        Ok(())
    }
}

/// Sends `Input::Timer(token)` back after `after_ms` milliseconds, from a
/// thread of its own (how every driver carries out `Effect::Timer`).
pub fn spawn_timer(inputs: std::sync::mpsc::Sender<Input>, after_ms: u64, token: u64) {
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(after_ms));
        let _ = inputs.send(Input::Timer(token));
    });
}

/// Puts `text` on the user's clipboard with OSC 52 and says so in the
/// status line; `false` when nothing could be sent.
pub fn copy_to_clipboard(out: &mut impl Write, text: &str, app: &mut App) -> bool {
    let Some(sequence) = osc::copy_sequence(text) else {
        return false;
    };
    let sent = out
        .write_all(sequence.as_bytes())
        .and_then(|()| out.flush())
        .is_ok();
    if sent {
        let notice = crate::i18n::fill(
            &app.strings.ui.copied,
            &[("bytes", &text.len().to_string())],
        );
        app.notify(notice);
    }
    sent
}

/// A driver that does nothing: for tests and benchmarks.
pub struct Quiet;

impl<B: FrameSink> Driver<B> for Quiet {}

/// Runs until the app quits or the input source closes.
pub fn run<B: FrameSink>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    inputs: &Receiver<Input>,
    driver: &mut impl Driver<B>,
) -> Result<(), B::Error> {
    let mut last_frame: Option<Instant> = None;
    loop {
        if app.take_dirty() {
            // A capped frame rate waits out the interval, taking what
            // arrives meanwhile into the same frame.
            if let (Some(min), Some(last)) = (driver.frame_interval(), last_frame)
                && let Some(wait) = min.checked_sub(last.elapsed())
            {
                std::thread::sleep(wait);
                for input in inputs.try_iter().take(DRAIN_LIMIT) {
                    take(terminal, app, driver, input)?;
                    if app.should_quit() {
                        return Ok(());
                    }
                }
            }
            draw_with(terminal, app, driver)?;
            last_frame = Some(Instant::now());
        }
        let Ok(first) = inputs.recv() else {
            return Ok(());
        };
        for input in std::iter::once(first).chain(inputs.try_iter().take(DRAIN_LIMIT - 1)) {
            take(terminal, app, driver, input)?;
            if app.should_quit() {
                return Ok(());
            }
        }
    }
}

/// One input: resize the terminal if needed, update the app, perform the
/// effects it returns (quitting is the loop's business).
fn take<B: FrameSink>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    driver: &mut impl Driver<B>,
    input: Input,
) -> Result<(), B::Error> {
    if let Input::Resize(w, h) = input {
        driver.resized(terminal, w, h)?;
    }
    for effect in app.handle(input) {
        if effect != Effect::Quit {
            driver.perform(effect, app, terminal);
        }
    }
    Ok(())
}

/// Draws one frame inside a synchronized update.
pub fn draw<B: FrameSink>(terminal: &mut Terminal<B>, app: &App) -> Result<(), B::Error> {
    draw_with(terminal, app, &mut Quiet)
}

fn draw_with<B: FrameSink>(
    terminal: &mut Terminal<B>,
    app: &App,
    driver: &mut impl Driver<B>,
) -> Result<(), B::Error> {
    terminal.backend_mut().begin_frame()?;
    terminal.draw(|frame| view::draw(app, frame))?;
    driver.after_draw(app, terminal)?;
    terminal.backend_mut().end_frame()
}
