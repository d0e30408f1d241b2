//! The loop that connects an app to a backend and an input source. It
//! sleeps until input arrives or a timer is due (timers are deadlines it
//! keeps, not threads), drains what is queued (capped, so a flood still
//! draws), performs the effects the app asked for, feeds their outcomes
//! back to the app, and draws once if anything changed; a driver's own
//! deadline (a save put off) wakes it too. Generic over the backend and over a `Driver` that
//! knows the outside world, so tests, the local terminal and (later) SSH
//! sessions run the same loop.

pub mod first_screen;
pub mod lean;
pub mod local;
pub mod osc;
pub mod refresher;
pub mod saver;
pub mod syncer;

use std::collections::VecDeque;
use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::crossterm::{execute, queue};

use crate::app::{App, Effect};
use crate::input::{Input, Outcome};
use crate::view;

/// Inputs handled before a frame is drawn, at most.
const DRAIN_LIMIT: usize = 256;

/// A backend that can bracket a frame so the terminal shows it at once.
pub trait FrameSink: Backend + Sized {
    fn begin_frame(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn end_frame(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    /// Draws one frame of `app`: by default through the terminal's two
    /// buffers, kept between frames.
    fn draw_app(terminal: &mut Terminal<Self>, app: &App) -> Result<(), Self::Error> {
        terminal.draw(|frame| view::draw(app, frame)).map(drop)
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
    /// A remote terminal's frames are drawn in buffers of their own, freed
    /// after (`draw_frame`): between frames a session keeps only the
    /// compact copy of its client's screen.
    fn draw_app(terminal: &mut Terminal<Self>, app: &App) -> std::io::Result<()> {
        let backend = terminal.backend_mut();
        if backend.frame_by_frame() {
            backend.draw_frame(|frame| view::draw(app, frame))
        } else {
            terminal.draw(|frame| view::draw(app, frame)).map(drop)
        }
    }
}

/// The outside world as the loop sees it: who performs effects, and what
/// is written after a frame (hyperlinks). Timers and quitting are the
/// loop's own business and never reach a driver.
pub trait Driver<B: FrameSink> {
    /// Carries out one effect. What became of it comes back as an input
    /// (`Input::Outcome`), which the loop hands to the app: drivers never
    /// change the app themselves.
    fn perform(&mut self, effect: Effect, terminal: &mut Terminal<B>) -> Option<Input> {
        let _ = (effect, terminal);
        None
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
    fn frame_interval(&self) -> Option<Duration> {
        None
    }

    /// Whether the loop should end now, whatever is still queued (a
    /// served session that the server ends while its queue is full).
    fn should_stop(&self) -> bool {
        false
    }

    /// Whether an earlier frame still waits to go out (a served client
    /// reading slowly). The loop then holds the next frame and draws the
    /// latest state once the output is free: a slow client costs one
    /// frame of memory and no drawing of screens it would never see.
    fn output_busy(&self) -> bool {
        false
    }

    /// A frame was due but is held while the output is busy (once per
    /// hold).
    fn frame_held(&mut self) {}

    /// The loop is about to wait with nothing left to draw.
    fn idle(&mut self) {}

    /// An input was taken from the queue (a served session counts what
    /// is queued: its queue is bounded by count, not allocated up front).
    fn received(&mut self) {}

    /// When the driver has work of its own with no input (a save put off
    /// to be tried again, a periodic save): the loop wakes for it.
    fn wake_at(&self) -> Option<Instant> {
        None
    }

    /// `wake_at` has come: the driver does its work, with the app for a
    /// fresh snapshot; what it says goes to the app.
    fn wake(&mut self, app: &App) -> Option<Input> {
        let _ = app;
        None
    }

    /// Runs inside the frame, after ratatui has drawn it.
    fn after_draw(&mut self, app: &App, terminal: &mut Terminal<B>) -> Result<(), B::Error> {
        let _ = (app, terminal);
        Ok(())
    }
}

/// Puts `text` on the user's clipboard with OSC 52; what to tell the user,
/// or `None` when nothing could be sent.
pub fn copy_to_clipboard(out: &mut impl Write, text: &str, in_tmux: bool) -> Option<Outcome> {
    let sequence = osc::copy_sequence(text)?;
    out.write_all(sequence.as_bytes())
        .and_then(|()| out.flush())
        .ok()?;
    Some(Outcome::Copied {
        bytes: text.len(),
        in_tmux,
    })
}

/// A driver that does nothing: for tests and benchmarks.
pub struct Quiet;

impl<B: FrameSink> Driver<B> for Quiet {}

/// Timers the app asked for, as deadlines the loop waits on: no thread
/// per timer. Bounded: past `MAX_TIMERS` the oldest request is dropped
/// (the app only ever waits for its latest one).
#[derive(Debug, Default)]
pub struct Deadlines {
    due: VecDeque<(Instant, u64)>,
}

/// Timers kept at once, at most.
pub const MAX_TIMERS: usize = 64;

impl Deadlines {
    pub fn add(&mut self, at: Instant, token: u64) {
        if self.due.len() >= MAX_TIMERS {
            self.due.pop_front();
        }
        self.due.push_back((at, token));
    }

    /// The soonest deadline, if any.
    pub fn next(&self) -> Option<Instant> {
        self.due.iter().map(|(at, _)| *at).min()
    }

    /// Removes and returns the tokens due at `now`, in the order asked.
    pub fn take_due(&mut self, now: Instant) -> Vec<u64> {
        let mut fired = Vec::new();
        self.due.retain(|&(at, token)| {
            let due = at <= now;
            if due {
                fired.push(token);
            }
            !due
        });
        fired
    }

    pub fn len(&self) -> usize {
        self.due.len()
    }

    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
}

/// How soon a frame held for a busy output is tried again.
const HELD_FRAME_RETRY: Duration = Duration::from_millis(10);

/// Runs `first` (the initial size, say), then until the app quits, the
/// input source closes or the driver says stop. Sleeps until an input
/// comes or the next timer is due.
pub fn run<B: FrameSink>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    first: impl IntoIterator<Item = Input>,
    inputs: &Receiver<Input>,
    driver: &mut impl Driver<B>,
) -> Result<(), B::Error> {
    let mut timers = Deadlines::default();
    let mut last_frame: Option<Instant> = None;
    let mut was_held = false;
    for input in first {
        take(terminal, app, driver, &mut timers, input)?;
    }
    loop {
        for token in timers.take_due(Instant::now()) {
            take(terminal, app, driver, &mut timers, Input::Timer(token))?;
        }
        if driver.wake_at().is_some_and(|at| at <= Instant::now())
            && let Some(input) = driver.wake(app)
        {
            take(terminal, app, driver, &mut timers, input)?;
        }
        if app.should_quit() || driver.should_stop() {
            return Ok(());
        }
        // A window with no area (an SSH client that gave no size yet)
        // gets no frames at all: they would carry nothing. A busy output
        // leaves the app dirty, for a frame of the latest state later.
        let held = driver.output_busy();
        if !held && app.take_dirty() && !app.layout.area.is_empty() {
            // A capped frame rate waits out the interval, taking what
            // arrives meanwhile into the same frame.
            if let (Some(min), Some(last)) = (driver.frame_interval(), last_frame)
                && let Some(wait) = min.checked_sub(last.elapsed())
            {
                std::thread::sleep(wait);
                for input in inputs.try_iter().take(DRAIN_LIMIT) {
                    driver.received();
                    take(terminal, app, driver, &mut timers, input)?;
                    if app.should_quit() || driver.should_stop() {
                        return Ok(());
                    }
                }
            }
            draw_with(terminal, app, driver)?;
            last_frame = Some(Instant::now());
        }
        // A held frame is tried again soon (the output tells no one when
        // it frees up); otherwise sleep until an input or a timer.
        let holding = held && app.is_dirty();
        if holding && !was_held {
            driver.frame_held();
        }
        was_held = holding;
        if !app.is_dirty() {
            driver.idle();
        }
        let retry = holding.then(|| Instant::now() + HELD_FRAME_RETRY);
        let wake = [timers.next(), retry, driver.wake_at()]
            .into_iter()
            .flatten()
            .min();
        let received = match wake {
            Some(at) => inputs.recv_timeout(at.saturating_duration_since(Instant::now())),
            None => inputs.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let first = match received {
            Ok(input) => input,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        for input in std::iter::once(first).chain(inputs.try_iter().take(DRAIN_LIMIT - 1)) {
            driver.received();
            take(terminal, app, driver, &mut timers, input)?;
            if app.should_quit() || driver.should_stop() {
                return Ok(());
            }
        }
    }
}

/// One input: resize the terminal if needed, update the app, keep the
/// timers it asks for, and hand other effects to the driver, whose
/// outcomes go back to the app (quitting is the loop's business).
fn take<B: FrameSink>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    driver: &mut impl Driver<B>,
    timers: &mut Deadlines,
    input: Input,
) -> Result<(), B::Error> {
    if let Input::Resize(w, h) = input {
        driver.resized(terminal, w, h)?;
    }
    let mut queue = VecDeque::from([input]);
    // Outcomes are few (one per effect) and make no effects of their own
    // that come back again, so this ends.
    while let Some(input) = queue.pop_front() {
        for effect in app.handle(input) {
            match effect {
                Effect::Quit => {}
                Effect::Timer { after_ms, token } => {
                    timers.add(Instant::now() + Duration::from_millis(after_ms), token);
                }
                effect => queue.extend(driver.perform(effect, terminal)),
            }
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
    B::draw_app(terminal, app)?;
    driver.after_draw(app, terminal)?;
    terminal.backend_mut().end_frame()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_fire_in_order_and_stay_bounded() {
        let now = Instant::now();
        let mut d = Deadlines::default();
        d.add(now + Duration::from_millis(20), 2);
        d.add(now + Duration::from_millis(10), 1);
        assert_eq!(d.next(), Some(now + Duration::from_millis(10)));
        assert!(d.take_due(now).is_empty());
        assert_eq!(d.take_due(now + Duration::from_millis(15)), [1]);
        assert_eq!(d.take_due(now + Duration::from_millis(30)), [2]);
        assert!(d.is_empty());
        for token in 0..1000 {
            d.add(now, token);
        }
        assert_eq!(d.len(), MAX_TIMERS);
        // The oldest requests went; the newest are kept.
        assert_eq!(d.take_due(now).last(), Some(&999));
    }
}
