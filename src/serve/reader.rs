//! The reader of one served session: an `App` on a thread of its own, fed
//! through a bounded input queue, drawing through `LeanBackend` into a
//! bounded frame queue that one task sends to the channel. Whatever ends
//! it, the client gets its terminal back and a line saying why.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use russh::ChannelId;
use russh::server::Handle;
use tokio::sync::Notify;

use super::kept::Kept;
use super::metrics::Metrics;
use super::{End, Shared, log};
use crate::app::{App, Context, Effect, Keeping};
use crate::i18n::{Strings, fill};
use crate::in_flight::InFlight;
use crate::input::{FetchEvent, Input, Outcome, SyncedLibrary};
use crate::library_store::SAVE_WAIT;
use crate::library_store::feeds::PutControl;
use crate::runtime::lean::LeanBackend;
use crate::runtime::saver::{PutOff, RETRY_EVERY, SaveError};
use crate::runtime::{self, Driver};
use crate::store::SavedState;

/// Inputs queued for one reader, at most. A client that outruns it is
/// slowed (its channel is not read) and, if it keeps on, dropped.
pub const INPUT_QUEUE: usize = 1024;

/// The sending end of a reader's input queue: at most `INPUT_QUEUE`
/// inputs, counted here and by the reader's loop as it takes them
/// (`Driver::received`). Its memory comes as inputs do: a bounded std
/// channel allocates (and touches) every slot when made, 1024 slots of
/// 56 bytes (an input and its stamp), 56 KiB for every session however
/// little its reader typed.
#[derive(Clone)]
struct Inputs {
    tx: Sender<Input>,
    queued: Arc<AtomicUsize>,
}

impl Inputs {
    fn try_send(&self, input: Input) -> Result<(), TrySendError<Input>> {
        if self.queued.fetch_add(1, Ordering::SeqCst) >= INPUT_QUEUE {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(TrySendError::Full(input));
        }
        self.tx.send(input).map_err(|mpsc::SendError(input)| {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            TrySendError::Disconnected(input)
        })
    }
}

/// Leaves the alternate screen, shows the cursor, turns mouse reporting
/// and bracketed paste off and resets attributes: the client's terminal
/// as it was before the session.
pub const RESTORE: &[u8] =
    b"\x1b[0m\x1b[?1006l\x1b[?1002l\x1b[?1000l\x1b[?2004l\x1b[?25h\x1b[?1049l";

/// How long a session that ends while the feed fetcher's put writes (or
/// another process holds the store's write lock) waits for it before its
/// last save is given up (after the goodbye, so the client is not
/// kept waiting; a large feed's put takes tens of seconds). A shutdown
/// stops the put, so this is reached only by a put longer than it.
const LATE_SAVE_WAIT: Duration = Duration::from_secs(120);

/// How long each try of a late save waits for another process's lock
/// (no one waits for it: `SQLite`'s busy handler polls meanwhile).
const LATE_TRY: Duration = Duration::from_millis(500);

/// A running reader: its input queue, the end asked of it, its thread.
pub struct Reader {
    inputs: Inputs,
    stop: Arc<Mutex<Option<End>>>,
    /// Set by the debug-only fault hook (`Shared::fault_key`).
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    pub fault: Arc<AtomicBool>,
    thread: Option<JoinHandle<End>>,
    /// Notified when the last frame (the goodbye) has gone to the channel.
    pub done: Arc<Notify>,
    /// Why the reader ended, said with its goodbye: a reader still saving
    /// after it (see `LATE_SAVE_WAIT`) has ended all the same.
    pub ended: Arc<Mutex<Option<End>>>,
    /// When the earliest input not yet answered by a frame came (a
    /// `Metrics::stamp`; 0: none): the next frame takes it.
    pub arrived: Arc<AtomicU64>,
}

/// What `Reader::send` did with an input.
pub enum Sent {
    Queued,
    /// The queue is full: try again after a pause.
    Full(Input),
    /// The reader has ended.
    Gone,
}

impl Reader {
    pub fn send(&self, input: Input) -> Sent {
        match self.inputs.try_send(input) {
            Ok(()) => Sent::Queued,
            Err(TrySendError::Full(input)) => Sent::Full(input),
            Err(TrySendError::Disconnected(_)) => Sent::Gone,
        }
    }

    /// Asks the reader to end for `why` (the first reason asked wins).
    pub fn end(&self, why: End) {
        if let Ok(mut stop) = self.stop.lock() {
            stop.get_or_insert(why);
        }
        // If the queue is full the loop sees `stop` between two inputs.
        let _ = self.inputs.try_send(Input::Stop);
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Why the reader ended, once it has said goodbye.
    pub fn ended(&self) -> Option<End> {
        self.ended.lock().ok().and_then(|e| *e)
    }

    /// Waits for the thread (it has ended or is about to: call after
    /// `done`, or after `end` and a bounded wait) and says why it ended.
    pub fn join(mut self) -> End {
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or(End::Panic)
    }
}

/// Frames go to the channel through a bounded queue; a client that does
/// not read them fills it and its session ends (`overrun`) rather than
/// growing memory. Never fails a write: ratatui would print to the
/// server's stderr when it cannot show the cursor on drop.
struct ChannelWriter {
    buf: Vec<u8>,
    frames: tokio::sync::mpsc::Sender<Frame>,
    /// See `Reader::arrived`.
    arrived: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
    /// Frames handed over and not yet taken by the sender task.
    queued: Arc<AtomicUsize>,
    overflow: Arc<AtomicBool>,
}

/// One write for the channel, and the stamp of the input it answers
/// (0: none), for the key-to-frame latency.
struct Frame {
    bytes: Vec<u8>,
    answers: u64,
}

/// Writes queued for the sender task, at most. The loop holds a frame
/// while one waits (`output_busy`), but a resize or a clipboard copy
/// writes outside a frame: on a loaded server several may queue up
/// behind a slow first frame, and that must not end the session.
const FRAME_QUEUE: usize = 64;

/// Bytes of one frame, at most (a full 500x200 screen fits).
const MAX_FRAME: usize = 4 << 20;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > MAX_FRAME {
            if !self.overflow.swap(true, Ordering::SeqCst) {
                self.metrics.frame_dropped();
            }
        } else {
            self.buf.extend_from_slice(data);
        }
        Ok(data.len())
    }

    /// A flush ends a frame: hand it to the sender task.
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let frame = Frame {
            bytes: std::mem::take(&mut self.buf),
            answers: self.arrived.swap(0, Ordering::SeqCst),
        };
        // Counted before the send: the sender task may take it at once.
        self.queued.fetch_add(1, Ordering::SeqCst);
        match self.frames.try_send(frame) {
            Ok(()) => {}
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                self.queued.fetch_sub(1, Ordering::SeqCst);
                self.overflow.store(true, Ordering::SeqCst);
                self.metrics.frame_dropped();
            }
            // The sender task has ended (the client is gone, or the
            // goodbye is under way): nobody to show it to, and no overrun
            // (a killed client was logged `overrun`, not `client_gone`).
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {
                self.queued.fetch_sub(1, Ordering::SeqCst);
            }
        }
        Ok(())
    }
}

struct SessionDriver {
    stop: Arc<Mutex<Option<End>>>,
    overflow: Arc<AtomicBool>,
    /// Frames waiting for the sender task (see `ChannelWriter`).
    queued: Arc<AtomicUsize>,
    /// Read only in debug builds (the test-only fault hook).
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    fault: Arc<AtomicBool>,
    /// See `Reader::arrived`.
    arrived: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
    /// The reader's kept state, when they signed in with a key.
    kept: Option<Kept>,
    /// See `Limits::save_every`.
    save_every: Duration,
    /// The fetcher's puts (see `Shared::puts`).
    puts: Arc<PutControl>,
    /// A save was put off while a put wrote (written at the next frame
    /// once it ends) or while another process held the store's write lock
    /// (`locked`): so no key of this reader waits for the store.
    deferred: bool,
    /// Another process's lock met the last save: it is tried again when
    /// `waiting` says (by `wake`), not at every frame.
    locked: bool,
    /// When a save put off is tried again, with the latest state, and
    /// whether the reader was told (as the local reader's `Saves`).
    waiting: PutOff,
    /// Inputs in the queue (see `Inputs`).
    inputs_queued: Arc<AtomicUsize>,
}

/// At most this many frames per second reach a client.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);

type Backend = LeanBackend<ChannelWriter>;

impl Driver<Backend> for SessionDriver {
    fn frame_interval(&self) -> Option<Duration> {
        Some(FRAME_INTERVAL)
    }

    /// A frame still queued: the next one waits and shows the latest
    /// state, so a slow client holds at most the frame being sent and one
    /// queued, and the server draws no screens it would not see.
    fn output_busy(&self) -> bool {
        self.queued.load(Ordering::SeqCst) > 0
    }

    fn frame_held(&mut self) {
        self.metrics.frame_held();
    }

    fn received(&mut self) {
        self.inputs_queued.fetch_sub(1, Ordering::SeqCst);
    }

    /// Nothing to draw: the inputs taken made no frame, so none will
    /// answer them (an unbound key, say).
    fn idle(&mut self) {
        self.arrived.store(0, Ordering::SeqCst);
    }

    fn should_stop(&self) -> bool {
        // The debug-only fault hook: a panic inside the session, as a bug
        // would cause, to test that only this session ends.
        #[cfg(debug_assertions)]
        #[allow(clippy::panic)]
        {
            assert!(
                !self.fault.load(Ordering::SeqCst),
                "fault injected for a test"
            );
        }
        self.overflow.load(Ordering::SeqCst) || self.stop.lock().map_or(true, |s| s.is_some())
    }

    /// A remembered reader's state is saved now and then as they read:
    /// read marks set by reading and the open section emit no save of
    /// their own. The save is a small transaction of what changed (most
    /// often nothing, which costs no write).
    /// While a put writes, nothing is saved here (it would wait for it).
    /// While another process holds the lock, `wake` tries on its clock.
    fn after_draw(&mut self, app: &App, _terminal: &mut Terminal<Backend>) -> io::Result<()> {
        if self.puts.is_writing() || self.locked {
            return Ok(());
        }
        let Some(kept) = self.kept.as_ref() else {
            return Ok(());
        };
        if self.deferred || kept.due(self.save_every) {
            // The latest state: newer than the one put off. Nothing can be
            // said from here: a notice of it put off is not shown, so
            // its landing is not said either.
            if let Some(Input::Outcome(Outcome::SavePutOff)) = self.save_now(&app.snapshot()) {
                self.waiting.untold();
            }
        }
        Ok(())
    }

    fn wake_at(&self) -> Option<Instant> {
        self.waiting.retry_at()
    }

    /// A save put off is tried again with the latest state; what the
    /// reader is told of it comes back as an outcome.
    fn wake(&mut self, app: &App) -> Option<Input> {
        self.waiting.clear_retry();
        if self.puts.is_writing() {
            self.waiting.retry_after(Instant::now(), RETRY_EVERY);
            return None;
        }
        self.save_now(&app.snapshot())
    }

    fn resized(
        &mut self,
        terminal: &mut Terminal<Backend>,
        width: u16,
        height: u16,
    ) -> io::Result<()> {
        // The session's terminal has no buffers of its own (its viewport
        // is empty): frames are drawn frame by frame at the backend's size.
        terminal.backend_mut().resize_window(width, height)
    }

    fn perform(&mut self, effect: Effect, terminal: &mut Terminal<Backend>) -> Option<Input> {
        match effect {
            // The reader's own clipboard, through SSH: OSC 52. A browser on
            // the server would be no use to them, so links are copied too.
            Effect::Copy(text) | Effect::OpenUrl(text) => {
                runtime::copy_to_clipboard(terminal.backend_mut(), &text, false).map(Input::Outcome)
            }
            // A reader signed in with a key has their state kept; the
            // others' stays in memory.
            Effect::Save(_) if self.kept.is_some() && self.puts.is_writing() => {
                self.put_off();
                None
            }
            Effect::Save(state) => self.save_now(&state),
            Effect::ForgetMe => self
                .kept
                .as_mut()
                .and_then(|kept| kept.forget().err())
                .map(|e| Input::Outcome(crate::input::Outcome::SaveFailed(e))),
            // The shared index is built once per server and given to every
            // session, and the shared store's vocabulary is read by the
            // first search of any session. Timers are kept by the loop.
            // Feeds are the server's to fetch (the app does not ask: its
            // fetch mode says `Served`).
            Effect::Quit
            | Effect::Suspend
            | Effect::BuildSearchIndex
            | Effect::PrepareSearch
            | Effect::FetchFeeds
            | Effect::Timer { .. } => None,
        }
    }
}

impl SessionDriver {
    /// Saves `state` now, waiting at most `SAVE_WAIT` for another
    /// process's lock; locked, it is put off (said once a wait) and tried
    /// again by `wake`. What to tell the reader.
    fn save_now(&mut self, state: &SavedState) -> Option<Input> {
        let kept = self.kept.as_mut()?;
        let outcome = match kept.save(state, SAVE_WAIT) {
            Ok(()) => {
                (self.deferred, self.locked) = (false, false);
                self.waiting.landed()
            }
            Err(SaveError::Locked(_)) => {
                (self.deferred, self.locked) = (true, true);
                self.waiting.locked(Instant::now(), RETRY_EVERY)
            }
            Err(SaveError::Failed(e)) => Some(Outcome::SaveFailed(e)),
        };
        outcome.map(Input::Outcome)
    }

    /// A save waits for the store: tried again at the next frame once
    /// free, or by `wake` at the latest.
    fn put_off(&mut self) {
        self.deferred = true;
        self.waiting.retry_after(Instant::now(), RETRY_EVERY);
    }
}

/// Where the reader's state is kept (said in the account overlay) and
/// what was kept for them; a reader signed in with a key on a server with
/// a store gets a `Kept` in the driver.
fn keep(
    shared: &Shared,
    reader_key: Option<String>,
    driver: &mut SessionDriver,
) -> (Keeping, Option<crate::store::SavedState>) {
    let Some(fingerprint) = reader_key else {
        return (Keeping::Anonymous, None);
    };
    let Some(path) = &shared.remember.store else {
        return (Keeping::NotKept(fingerprint), None);
    };
    match Kept::open(path, &fingerprint, shared.remember.max) {
        Some((kept, saved)) => {
            driver.kept = Some(kept);
            (Keeping::Kept(fingerprint), saved)
        }
        None => (Keeping::NotKept(fingerprint), None),
    }
}

/// The line that says why a session ended, in the client's language
/// (`None` when they quit: they know why).
pub fn goodbye(strings: &Strings, why: End, shared: &Shared) -> Option<String> {
    let ui = &strings.ui;
    let limits = &shared.limits;
    let text = match why {
        End::Quit | End::ClientGone | End::LoginTimeout | End::Refused => return None,
        End::Idle => fill(&ui.bye_idle, &[("duration", &human(limits.idle_timeout))]),
        End::MaxDuration => fill(
            &ui.bye_max_duration,
            &[("duration", &human(limits.max_duration))],
        ),
        End::ServerShutdown => ui.bye_shutdown.clone(),
        End::Panic => ui.bye_failed.clone(),
        End::Overrun => ui.bye_overrun.clone(),
    };
    Some(text)
}

/// A duration as people say it: "15 min", "4 h", "20 s".
pub fn human(d: Duration) -> String {
    crate::text::human_seconds(d.as_secs())
}

/// How long a goodbye may wait for a client that does not read.
const BYE_WAIT: Duration = Duration::from_secs(10);

/// Where a session's frames go, and how long one may wait there.
struct Destination {
    handle: Handle,
    channel: ChannelId,
    peer: SocketAddr,
    frame_wait: Duration,
}

/// The sender task: frames to the channel in order, then the goodbye and
/// the end of the channel. A goodbye that comes while a frame is stuck
/// (the client stopped reading) goes ahead of it and of the frames still
/// queued: they are drawn in the alternate screen the goodbye leaves.
async fn send_frames(
    to: Destination,
    mut frames: tokio::sync::mpsc::Receiver<Frame>,
    queued: Arc<AtomicUsize>,
    mut bye: tokio::sync::oneshot::Receiver<Vec<u8>>,
    overflow: Arc<AtomicBool>,
    done: Arc<Notify>,
    metrics: Arc<Metrics>,
) {
    let Destination {
        handle,
        channel,
        peer,
        frame_wait,
    } = to;
    let mut connected = true;
    let goodbye = 'frames: loop {
        let frame = tokio::select! {
            biased;
            frame = frames.recv() => frame,
            bye = &mut bye => break 'frames bye.ok(),
        };
        let Some(frame) = frame else {
            // The reader has let go of its frames: its goodbye follows.
            break (&mut bye).await.ok();
        };
        queued.fetch_sub(1, Ordering::SeqCst);
        let Frame { bytes, answers } = frame;
        let length = bytes.len();
        tokio::select! {
            biased;
            sent = tokio::time::timeout(frame_wait, handle.data(channel, bytes)) => match sent {
                Ok(Ok(())) => {
                    metrics.sent(length);
                    if answers != 0 {
                        metrics.frame_written(answers);
                    }
                }
                Ok(Err(_)) => {
                    connected = false;
                    break None;
                }
                Err(_) => {
                    // Not keeping up: the reader ends (overrun) when it
                    // next wakes, and its goodbye is offered once more
                    // (for at most `BYE_WAIT`), for a client that reads
                    // again.
                    log(&format!("event=output_blocked peer={peer} seconds={}", frame_wait.as_secs_f32()));
                    overflow.store(true, Ordering::SeqCst);
                    break (&mut bye).await.ok();
                }
            },
            bye = &mut bye => break 'frames bye.ok(),
        }
    };
    drop(frames);
    if connected {
        if let Some(goodbye) = goodbye {
            let length = goodbye.len();
            if let Ok(Ok(())) = tokio::time::timeout(BYE_WAIT, handle.data(channel, goodbye)).await
            {
                metrics.sent(length);
            }
        }
        let wait = Duration::from_secs(1);
        let _ = tokio::time::timeout(wait, handle.exit_status_request(channel, 0)).await;
        let _ = tokio::time::timeout(wait, handle.eof(channel)).await;
        let _ = tokio::time::timeout(wait, handle.close(channel)).await;
    }
    done.notify_one();
}

/// How often a full input queue is tried again with a new library.
const FORWARD_RETRY: Duration = Duration::from_millis(50);

/// Hands every newer library the fetcher publishes to one reader, as an
/// input it applies through its resync path (the selection stays, the
/// new sections count as new), and the server's drain, once, as a notice
/// with the seconds left. Ends with the reader. Only the newest library
/// is held: one that comes while the queue is full replaces the one
/// waiting.
async fn forward_libraries(
    mut updates: tokio::sync::watch::Receiver<Arc<crate::content::Library>>,
    mut drain: tokio::sync::watch::Receiver<Option<Instant>>,
    inputs: Inputs,
    mut reader_gone: tokio::sync::oneshot::Receiver<()>,
) {
    // The drain notice is said once; a session that starts during a
    // drain hears of it at once.
    let mut told = false;
    loop {
        let draining = !told && drain.borrow_and_update().is_some();
        if !draining {
            tokio::select! {
                _ = &mut reader_gone => return,
                changed = updates.changed() => if changed.is_err() { return },
                changed = drain.changed(), if !told => {
                    // The server is ending anyway when it is gone.
                    told = changed.is_err();
                    continue;
                }
            }
        }
        loop {
            let input = if draining {
                let left = (*drain.borrow()).map_or(Duration::ZERO, |until| {
                    until.saturating_duration_since(Instant::now())
                });
                told = true;
                Input::Outcome(crate::input::Outcome::ServerClosing {
                    seconds: left.as_secs() + u64::from(left.subsec_nanos() > 0),
                })
            } else {
                let library = Arc::clone(&updates.borrow_and_update());
                Input::Fetch(FetchEvent::Arrived(SyncedLibrary(library)))
            };
            match inputs.try_send(input) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(_)) => {
                    tokio::select! {
                        _ = &mut reader_gone => return,
                        () = tokio::time::sleep(FORWARD_RETRY) => {}
                    }
                }
            }
        }
    }
}

/// What a new reader needs from its connection.
pub struct Start<'a> {
    pub shared: &'a Arc<Shared>,
    pub env: std::collections::HashMap<String, String>,
    pub size: (u16, u16),
    /// Said once on the status line: the window was larger than allowed.
    pub clamped: bool,
    pub handle: Handle,
    pub channel: ChannelId,
    pub peer: SocketAddr,
    /// The fingerprint of the key the reader signed in with, when their
    /// state is to be kept.
    pub reader_key: Option<String>,
}

/// Starts the reader thread and the task that sends its frames.
#[allow(clippy::too_many_lines)] // one sequence: queues, sender task, thread
pub fn start(start: Start<'_>) -> io::Result<Reader> {
    let Start {
        shared,
        env,
        size: (w, h),
        clamped,
        handle,
        channel,
        peer,
        reader_key,
    } = start;
    let (frames_tx, frames_rx) = tokio::sync::mpsc::channel::<Frame>(FRAME_QUEUE);
    // The goodbye has a slot of its own: a client that stopped reading has
    // filled the frame queue, and its terminal must still be given back.
    let (bye_tx, bye_rx) = tokio::sync::oneshot::channel::<Vec<u8>>();
    let overflow = Arc::new(AtomicBool::new(false));
    let queued = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(Notify::new());
    let to = Destination {
        handle,
        channel,
        peer,
        frame_wait: shared.limits.frame_wait,
    };
    tokio::spawn(send_frames(
        to,
        frames_rx,
        Arc::clone(&queued),
        bye_rx,
        Arc::clone(&overflow),
        Arc::clone(&done),
        Arc::clone(&shared.metrics),
    ));
    let arrived = Arc::new(AtomicU64::new(0));
    let lookup = move |name: &str| env.get(name).cloned();
    let mut config = (*shared.config).clone();
    let depth = config.color_depth(&lookup);
    config.adapt_colors(depth);
    // The client's locale (or the config's language) beats the language a
    // remembered reader was left in, as in the local reader.
    let choice = crate::setup::choose_language(None, &config, &lookup).unwrap_or_else(|_| {
        crate::setup::LanguageChoice {
            code: "en".to_owned(),
            chosen: false,
        }
    });
    // Subscribed before the library is taken: a newer one that comes in
    // between is heard of, not lost.
    let mut updates = shared.library_updates();
    let ctx = Context {
        library: Arc::clone(&updates.borrow_and_update()),
        config: Arc::new(config),
        locales: Arc::clone(&shared.locales),
    };
    let (tx, rx) = mpsc::channel();
    let inputs_queued = Arc::new(AtomicUsize::new(0));
    let tx = Inputs {
        tx,
        queued: Arc::clone(&inputs_queued),
    };
    let stop = Arc::new(Mutex::new(None));
    let fault = Arc::new(AtomicBool::new(false));
    let mut driver = SessionDriver {
        stop: Arc::clone(&stop),
        overflow: Arc::clone(&overflow),
        queued: Arc::clone(&queued),
        fault: Arc::clone(&fault),
        arrived: Arc::clone(&arrived),
        metrics: Arc::clone(&shared.metrics),
        kept: None,
        save_every: shared.limits.save_every,
        puts: Arc::clone(&shared.puts),
        deferred: false,
        locked: false,
        waiting: PutOff::default(),
        inputs_queued,
    };
    let asked = Arc::clone(&stop);
    let ended = Arc::new(Mutex::new(None));
    let said = Arc::clone(&ended);
    let index = shared.search_index();
    // Dropped when the reader's thread ends, which ends the forwarder.
    let (alive, reader_gone) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(forward_libraries(
        updates,
        shared.drain_updates(),
        tx.clone(),
        reader_gone,
    ));
    let mouse = shared.config.mouse;
    let fetches = shared.fetches;
    let shared = Arc::clone(shared);
    let arrived_by_frames = Arc::clone(&arrived);
    let thread = std::thread::Builder::new()
        .name(format!("session {peer}"))
        .spawn(move || {
            // Read here, on the reader's thread: the store may be busy.
            let (keeping, saved) = keep(&shared, reader_key, &mut driver);
            let (language, saved) = crate::setup::opening_language(&choice, saved);
            let mut running: Option<App> = None;
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> io::Result<()> {
                    // No buffers kept between frames (see `draw_frame`).
                    let options = TerminalOptions {
                        viewport: Viewport::Fixed(Rect::ZERO),
                    };
                    let writer = ChannelWriter {
                        buf: Vec::new(),
                        frames: frames_tx,
                        arrived: Arc::clone(&arrived_by_frames),
                        metrics: Arc::clone(&shared.metrics),
                        queued,
                        overflow: Arc::clone(&overflow),
                    };
                    let backend =
                        LeanBackend::with_size(writer, w, h).with_gate(Arc::clone(&shared.frames));
                    let mut terminal = Terminal::with_options(backend, options)?;
                    let out = terminal.backend_mut();
                    // Alternate screen, no cursor, bracketed paste (a pasted
                    // "q" is not a command), the mouse when the config wants it.
                    out.write_all(b"\x1b[?1049h\x1b[?25l\x1b[?2004h")?;
                    if mouse {
                        out.write_all(b"\x1b[?1000h\x1b[?1002h\x1b[?1006h")?;
                    }
                    let app = running.insert(App::restore(ctx, &language, saved.as_ref()));
                    app.set_keeping(keeping);
                    app.fetch_mode = if fetches {
                        crate::app::FetchMode::Served
                    } else {
                        crate::app::FetchMode::NoStore
                    };
                    let mut first = Vec::new();
                    if let Some(index) = index {
                        first.push(Input::SearchIndex(index));
                    }
                    first.push(Input::Resize(w, h));
                    if clamped {
                        first.push(Input::Outcome(crate::input::Outcome::WindowClamped {
                            width: w,
                            height: h,
                        }));
                    }
                    let result = runtime::run(&mut terminal, app, first, &rx, &mut driver);
                    // The goodbye goes on the same writer, after the last frame.
                    let _ = Write::flush(terminal.backend_mut());
                    result
                }));
            // Whatever ended the session (a panic too: best effort), what
            // the reader did is kept before the goodbye, so a reader who
            // comes back at once finds it; while the fetcher's put holds
            // the store or another process holds its lock, after the
            // goodbye (see `LATE_SAVE_WAIT`).
            let last_state = driver.kept.as_ref().and(running.as_ref()).and_then(|app| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.snapshot())).ok()
            });
            let mut late = driver.puts.is_writing();
            if !late && let (Some(kept), Some(state)) = (driver.kept.as_mut(), last_state.as_ref())
            {
                late = matches!(kept.save(state, SAVE_WAIT), Err(SaveError::Locked(_)));
            }
            // The goodbye in the language the reader was left in.
            let last_language = running
                .as_ref()
                .map_or(language, |app| app.edition.lang.clone());
            let strings = shared.locales.get(&last_language);
            drop(alive);
            let why = match outcome {
                Err(_) => End::Panic,
                Ok(_) if overflow.load(Ordering::SeqCst) => {
                    log(&format!("event=overrun peer={peer} what=output"));
                    End::Overrun
                }
                Ok(_) => asked.lock().ok().and_then(|s| *s).unwrap_or(End::Quit),
            };
            // Give the client its terminal back, then say why; the server
            // goes on whatever happened in the session.
            let mut bye = RESTORE.to_vec();
            if let Some(text) = goodbye(&strings, why, &shared) {
                bye.extend_from_slice(format!("\r\naiwatch-tui: {text}\r\n").as_bytes());
            }
            if let Ok(mut ended) = said.lock() {
                *ended = Some(why);
            }
            let _ = bye_tx.send(bye);
            if late && let (Some(kept), Some(state)) = (driver.kept.as_mut(), last_state) {
                // Counted, so that a stopping server waits for this save.
                let _pending = InFlight::enter(&shared.late_saves);
                let until = Instant::now() + LATE_SAVE_WAIT;
                let mut saved = false;
                while !saved && Instant::now() < until {
                    if driver.puts.is_writing() {
                        std::thread::sleep(Duration::from_millis(20));
                    } else {
                        saved = !matches!(kept.save(&state, LATE_TRY), Err(SaveError::Locked(_)));
                    }
                }
                if !saved {
                    log(&format!(
                        "event=late_save_abandoned peer={peer} reason=locked"
                    ));
                }
            }
            why
        })?;
    Ok(Reader {
        inputs: tx,
        stop,
        fault,
        thread: Some(thread),
        done,
        ended,
        arrived,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(frames: tokio::sync::mpsc::Sender<Frame>) -> ChannelWriter {
        ChannelWriter {
            buf: Vec::new(),
            frames,
            arrived: Arc::default(),
            metrics: Arc::default(),
            queued: Arc::default(),
            overflow: Arc::default(),
        }
    }

    /// A full frame queue is an overrun (the client does not read); one
    /// whose sender task has ended (the client was killed) is not: the
    /// session ends `client_gone`, as the connection's end says.
    #[test]
    fn frames_for_an_ended_sender_are_no_overrun() {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let mut w = writer(tx);
        for _ in 0..2 {
            w.write_all(b"frame").unwrap();
            w.flush().unwrap();
        }
        assert!(w.overflow.load(Ordering::SeqCst), "a full queue");
        assert_eq!(w.queued.load(Ordering::SeqCst), 1);
        let (tx, rx_gone) = tokio::sync::mpsc::channel(1);
        drop((rx, rx_gone));
        let mut w = writer(tx);
        w.write_all(b"frame").unwrap();
        w.flush().unwrap();
        assert!(!w.overflow.load(Ordering::SeqCst), "a sender gone");
        assert_eq!(w.queued.load(Ordering::SeqCst), 0);
        assert!(
            w.metrics
                .render()
                .contains("aiwatch_frames_dropped_total 0")
        );
    }

    /// The queue takes `INPUT_QUEUE` inputs and refuses the next until the
    /// reader has taken one; a reader gone refuses every input.
    #[test]
    fn the_input_queue_holds_its_bound_and_frees_a_place_per_input_taken() {
        let (tx, rx) = mpsc::channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let inputs = Inputs {
            tx,
            queued: Arc::clone(&queued),
        };
        for n in 0..INPUT_QUEUE {
            assert!(inputs.try_send(Input::Timer(n as u64)).is_ok(), "input {n}");
        }
        assert!(matches!(
            inputs.try_send(Input::Stop),
            Err(TrySendError::Full(Input::Stop))
        ));
        assert_eq!(queued.load(Ordering::SeqCst), INPUT_QUEUE);
        // The reader's loop takes one (and says so, `Driver::received`).
        assert!(matches!(rx.recv(), Ok(Input::Timer(0))));
        queued.fetch_sub(1, Ordering::SeqCst);
        assert!(inputs.clone().try_send(Input::Stop).is_ok());
        assert!(matches!(
            inputs.try_send(Input::Stop),
            Err(TrySendError::Full(_))
        ));
        drop(rx);
        queued.store(0, Ordering::SeqCst);
        assert!(matches!(
            inputs.try_send(Input::Stop),
            Err(TrySendError::Disconnected(_))
        ));
        assert_eq!(
            queued.load(Ordering::SeqCst),
            0,
            "a refused input is not counted"
        );
    }
}
