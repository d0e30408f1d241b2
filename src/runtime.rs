//! The loop that connects an app to a backend and an input source. It
//! sleeps until input arrives, drains what is queued (capped, so a flood
//! still draws), and draws once if anything changed. Generic over the
//! backend, so tests, the local terminal and (later) SSH run the same loop.

pub mod local;

use std::io::Write;
use std::sync::mpsc::Receiver;

use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::crossterm::{execute, queue};

use crate::app::App;
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

/// Runs until the app quits or the input source closes.
pub fn run<B: FrameSink>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    inputs: &Receiver<Input>,
) -> Result<(), B::Error> {
    loop {
        if app.take_dirty() {
            draw(terminal, app)?;
        }
        let Ok(first) = inputs.recv() else {
            return Ok(());
        };
        app.handle(first);
        for input in inputs.try_iter().take(DRAIN_LIMIT - 1) {
            if app.should_quit() {
                break;
            }
            app.handle(input);
        }
        if app.should_quit() {
            return Ok(());
        }
    }
}

/// Draws one frame inside a synchronized update.
pub fn draw<B: FrameSink>(terminal: &mut Terminal<B>, app: &App) -> Result<(), B::Error> {
    terminal.backend_mut().begin_frame()?;
    terminal.draw(|frame| view::draw(app, frame))?;
    terminal.backend_mut().end_frame()
}
