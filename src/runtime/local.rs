//! The local terminal: raw mode and the alternate screen, restored on
//! every path (normal exit, error, panic, SIGTERM, SIGHUP), and given back
//! for a suspend (Ctrl-Z, SIGTSTP) and taken again on `fg`; key and resize
//! events from a crossterm thread; signals from a signal-hook thread; a
//! watchdog that notices a terminal that went away. Effects (clipboard,
//! browser) and hyperlinks are carried out here.

use std::io::{self, IsTerminal, Stdout, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::IntoCrossterm;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event};
use ratatui::crossterm::style::{Attribute, Print, ResetColor, SetAttribute, SetForegroundColor};
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute, queue};
use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
use signal_hook::iterator::Signals;

use super::lean::LeanBackend;
use super::refresher::{self, FetchJob};
use super::saver::{QUIT_WAIT, Saves, StateSaver};
use super::syncer::{self, BackgroundSync, FirstFrame, SyncJob, Syncing};
use super::{Driver, FrameSink, osc};
use crate::app::{App, Effect};
use crate::config::{LinkMode, Role};
use crate::content::Library;
use crate::input::{Input, Key, Mouse, Outcome, SyncEvent};
use crate::store::SavedState;
use crate::view::{LinkSpan, link_spans};

/// Set once the terminal is back to normal, so it is restored only once.
static RESTORED: AtomicBool = AtomicBool::new(true);
/// Whether mouse reporting was turned on (and must be turned off).
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Buttons, drags and wheel in SGR encoding; not 1003 (every motion),
/// which would send an event for each mouse move.
const MOUSE_ON: &str = "\u{1b}[?1000h\u{1b}[?1002h\u{1b}[?1006h";
const MOUSE_OFF: &str = "\u{1b}[?1006l\u{1b}[?1002l\u{1b}[?1000l";

/// Fewer bytes per frame than stock output (see `lean`).
type Backend = LeanBackend<Stdout>;

/// The largest area the reader draws on its own terminal, columns and
/// rows: a larger terminal is drawn at this size, top left, and told so
/// once on the status line (as `serve` does for its own, smaller bound).
/// Generous for any screen a person reads (a 4K screen with a small font
/// is about 480 x 135), and a bound on the frame buffers and the time a
/// frame takes: a pty of 65535 x 65535 took gigabytes, unbounded.
pub const MAX_SIZE: (u16, u16) = (1000, 500);

/// A terminal's size within `MAX_SIZE`, and whether it was cut.
pub fn bounded_size(width: u16, height: u16) -> ((u16, u16), bool) {
    let (max_w, max_h) = MAX_SIZE;
    (
        (width.min(max_w), height.min(max_h)),
        width > max_w || height > max_h,
    )
}

/// What to tell the app when the terminal's size went from (or into)
/// past the bound: said once per size, taken back when it fits again.
fn bound_notice(said: &mut Option<(u16, u16)>, size: (u16, u16), cut: bool) -> Option<Input> {
    let now = cut.then_some(size);
    if now == *said {
        return None;
    }
    *said = now;
    Some(Input::Outcome(if cut {
        Outcome::WindowBounded {
            width: size.0,
            height: size.1,
        }
    } else {
        Outcome::WindowFits
    }))
}

/// Owns the terminal's raw mode and alternate screen while alive.
pub struct TerminalGuard {
    pub terminal: Terminal<Backend>,
}

impl TerminalGuard {
    pub fn enter(mouse: bool) -> io::Result<Self> {
        install_panic_hook();
        enter_modes(mouse)?;
        let terminal = new_terminal().inspect_err(|_| restore())?;
        Ok(Self { terminal })
    }
}

/// A terminal on standard output, drawn within `MAX_SIZE`.
fn new_terminal() -> io::Result<Terminal<Backend>> {
    let (max_w, max_h) = MAX_SIZE;
    Terminal::new(LeanBackend::new(io::stdout()).bounded(max_w, max_h))
}

/// Raw mode, the alternate screen, the cursor hidden, bracketed paste and
/// (when asked) mouse reporting: at start, and again after a suspend.
/// Restored (`restore`) when any step fails.
fn enter_modes(mouse: bool) -> io::Result<()> {
    RESTORED.store(false, Ordering::SeqCst);
    enable_raw_mode()?;
    let mut stdout = io::stdout();
    // Bracketed paste, as over SSH: a pasted "q" is text, not a command.
    if let Err(e) = execute!(
        stdout,
        EnterAlternateScreen,
        cursor::Hide,
        EnableBracketedPaste
    ) {
        restore();
        return Err(e);
    }
    if mouse {
        MOUSE.store(true, Ordering::SeqCst);
        if let Err(e) = stdout
            .write_all(MOUSE_ON.as_bytes())
            .and_then(|()| stdout.flush())
        {
            restore();
            return Err(e);
        }
    }
    Ok(())
}

/// Job control's stop (Ctrl-Z, SIGTSTP), done as well-behaved programs
/// do: the terminal given back to the shell as it was (main screen,
/// cursor shown, mouse and paste off, cooked mode), the process stopped,
/// and on `fg` (SIGCONT) the terminal taken again and drawn whole. The
/// size it has then comes back, so the app lays out anew.
fn suspend(terminal: &mut Terminal<Backend>) -> io::Result<Input> {
    // Mouse reporting, if it was on, is turned on again.
    let mouse = MOUSE.load(Ordering::SeqCst);
    restore();
    // Stops here until continued: SIGTSTP is caught, so its default
    // (stop) is done by hand, with SIGSTOP. The SIGCONT that continues
    // it is this stop's: the terminal is taken again here, not twice.
    SELF_STOPPED.store(true, Ordering::SeqCst);
    signal_hook::low_level::emulate_default_handler(SIGTSTP)?;
    retake(terminal, mouse)?;
    let size = terminal.size()?;
    Ok(Input::Resize(size.width, size.height))
}

/// Set just before the reader stops itself (`suspend`), taken back by
/// the SIGCONT that continues it.
static SELF_STOPPED: AtomicBool = AtomicBool::new(false);

/// Set when a SIGCONT continued the reader after a stop it did not ask
/// for (`kill -STOP`): the shell may have put the terminal in cooked mode
/// and written over the screen meanwhile, so the next resize (sent with
/// it) takes the terminal again (`LocalDriver::resized`).
static CONTINUED: AtomicBool = AtomicBool::new(false);

/// Raw mode, the alternate screen and the rest taken again, whatever the
/// terminal's modes are now, and the next frame drawn whole: on a blank
/// screen, with a new terminal (ratatui's `clear` would ask the terminal
/// where its cursor is, and the answer would go to the events thread).
fn retake(terminal: &mut Terminal<Backend>, mouse: bool) -> io::Result<()> {
    // Raw mode is entered again even when crossterm thinks it is on: a
    // shell that stopped us may have put the terminal back in cooked mode.
    let _ = disable_raw_mode();
    enter_modes(mouse)?;
    execute!(io::stdout(), Clear(ClearType::All))?;
    *terminal = new_terminal()?;
    Ok(())
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
        // `restore` showed the cursor; ratatui's own show when the
        // terminal is dropped would be a second write to a terminal that
        // may be gone, and its failure an unformatted line on stderr.
        self.terminal.backend_mut().release();
        let _ = self.terminal.show_cursor();
    }
}

/// Leaves the alternate screen and raw mode. Errors are ignored: when the
/// terminal is gone there is nothing left to restore.
pub fn restore() {
    if RESTORED.swap(true, Ordering::SeqCst) {
        return;
    }
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = io::stdout().write_all(MOUSE_OFF.as_bytes());
    }
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
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

/// The terminal entered before the library is read, with the first
/// screen kept by the last session painted on it (`first_screen`): keys
/// pressed meanwhile wait in the terminal's input, read once `run` runs.
pub struct Entered {
    guard: TerminalGuard,
    tx: Sender<Input>,
    rx: Receiver<Input>,
    ended_by: Arc<AtomicI32>,
}

impl Entered {
    /// Catches signals and enters the terminal, as `run` does, and paints
    /// `screen` there at once.
    pub fn paint(mouse: bool, screen: &Buffer) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let ended_by = Arc::new(AtomicI32::new(0));
        spawn_signals(tx.clone(), Arc::clone(&ended_by))?;
        let mut guard = TerminalGuard::enter(mouse)?;
        let terminal = &mut guard.terminal;
        terminal.backend_mut().begin_frame()?;
        terminal.draw(|frame| {
            let area = frame.area();
            let buffer = frame.buffer_mut();
            for y in area.top()..area.bottom().min(screen.area.bottom()) {
                for x in area.left()..area.right().min(screen.area.right()) {
                    if let (Some(to), Some(from)) = (buffer.cell_mut((x, y)), screen.cell((x, y))) {
                        *to = from.clone();
                    }
                }
            }
        })?;
        terminal.backend_mut().end_frame()?;
        Ok(Self {
            guard,
            tx,
            rx,
            ended_by,
        })
    }
}

/// Runs the app on the local terminal until it quits or the terminal goes
/// away, saving its state through `saver`.
/// `sync`, when given, runs in the background (see `BackgroundSync`);
/// `fetch`, when given, is what `r` fetches into (see `runtime::refresher`);
/// `entered`, when given, is the terminal already entered and painted
/// (`Entered::paint`): its first frame then writes only what differs.
pub fn run(
    mut app: App,
    saver: StateSaver,
    sync: Option<BackgroundSync>,
    fetch: Option<FetchJob>,
    entered: Option<Entered>,
) -> io::Result<Ended> {
    let env = |name: &str| std::env::var(name).ok();
    prepare_first_frame(&mut app, fetch.is_some());
    let mouse = app.config().mouse;
    // Signals are caught before the terminal changes: a SIGTERM or hang-up
    // from then on is a Stop the loop handles first, never a death that
    // leaves the terminal in the alternate screen.
    let (mut guard, tx, rx, ended_by) = if let Some(e) = entered {
        (e.guard, e.tx, e.rx, e.ended_by)
    } else {
        let (tx, rx) = mpsc::channel();
        let ended_by = Arc::new(AtomicI32::new(0));
        spawn_signals(tx.clone(), Arc::clone(&ended_by))?;
        (TerminalGuard::enter(mouse)?, tx, rx, ended_by)
    };
    // The size the terminal has, within the bound: said when cut.
    let raw = ratatui::crossterm::terminal::size().ok();
    let size = guard.terminal.size()?;
    let (_, cut) = raw.map_or(((0, 0), false), |(w, h)| bounded_size(w, h));
    let mut said = None;
    let mut first = vec![Input::Resize(size.width, size.height)];
    first.extend(bound_notice(&mut said, (size.width, size.height), cut));
    // Keys pressed on a painted screen wait in the terminal's input (raw
    // mode is on) and are read from here on, in order.
    spawn_events(tx.clone(), said);
    spawn_watchdog(tx.clone());
    let (mut pending_sync, mut syncing, mut first_frame) = (None, None, None);
    match sync {
        Some(BackgroundSync::AfterFirstFrame(job)) => pending_sync = Some(job),
        Some(BackgroundSync::Started(early)) => {
            let (handle, frame, events) = early.split();
            let tx = tx.clone();
            // Its events join the loop's input, in order.
            thread::spawn(move || {
                for event in events {
                    if tx.send(Input::Sync(event)).is_err() {
                        return;
                    }
                }
            });
            (syncing, first_frame) = (Some(handle), Some(frame));
        }
        None => {}
    }
    let mut driver = LocalDriver {
        saves: Saves::new(saver, Instant::now()),
        pending_sync,
        drawn: false,
        pending_search: None,
        syncing,
        long_sync: Arc::new(AtomicBool::new(false)),
        first_frame,
        fetch,
        last_state: None,
        inputs: tx,
        library: Arc::clone(&app.ctx.library),
        links: links_supported(app.config().links, env),
        in_tmux: env("TMUX").is_some(),
        last_links: Vec::new(),
    };
    let result = super::run(&mut guard.terminal, &mut app, first, &rx, &mut driver);
    if result.is_err() {
        // A frame failed (the terminal went away while a sync's progress
        // was being drawn, say) before any Stop reached the app: the state
        // is saved all the same.
        driver.last_state = Some(app.snapshot());
    }
    // A sync stopped now ends (and lets go of the store) after the reader
    // has gone: the store's stamp would move after it was taken.
    let sync_ran = driver.sync_running();
    let unsaved = driver.finish(|| {
        // The quit waits for another program's lock: said on the screen
        // the reader still shows, not a silent pause (a terminal that is
        // gone takes no frame, which changes nothing).
        let seconds = QUIT_WAIT.as_secs().to_string();
        let message =
            crate::i18n::fill(&app.strings.ui.state_saving_busy, &[("seconds", &seconds)]);
        app.notify(message);
        let _ = super::draw(&mut guard.terminal, &app);
    });
    // A state the last save could not write is said where the user reads
    // after quitting, once the terminal is back: a notice in the status
    // line would never be drawn.
    drop(guard);
    let stored = if let Some(error) = &unsaved {
        let message = crate::i18n::fill(&app.strings.ui.state_unwritable, &[("error", error)]);
        let _ = writeln!(io::stderr(), "aiwatch-tui: {message}");
        None
    } else if sync_ran {
        None
    } else {
        driver.saves.take_store_as_read()
    };
    drop(driver);
    result.map(|()| Ended {
        signal: Some(ended_by.load(Ordering::Relaxed)).filter(|s| *s != 0),
        app,
        stored,
        unsaved: unsaved.is_some(),
    })
}

/// How the reader ended.
pub struct Ended {
    /// The signal that stopped it, if one did.
    pub signal: Option<i32>,
    pub app: App,
    /// The reading state the store holds when the store is exactly what
    /// the reader read at start plus its own saves, the last of which
    /// succeeded, and no sync was still running at quit
    /// (`StateSaver::into_store_as_read`): the next start will show
    /// this app's library with this state.
    pub stored: Option<SavedState>,
    /// The last reading state could not be saved (said on stderr): the
    /// exit status is not 0.
    pub unsaved: bool,
}

/// What the reader sets on its app before the first frame (`run`), so the
/// first screen kept for the next start is drawn from the same app.
pub fn prepare_first_frame(app: &mut App, fetches: bool) {
    if fetches {
        app.fetch_mode = crate::app::FetchMode::OnRequest;
    }
}

/// The first frame `app` draws on a terminal of `width` x `height`, as
/// `run` draws it (the first screen kept for the next start).
pub fn first_frame(app: &mut App, width: u16, height: u16) -> Option<Buffer> {
    use super::Quiet;
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut terminal = Terminal::new(backend).ok()?;
    // No input comes after the size: the loop draws its first frame and ends.
    let (tx, rx) = mpsc::channel();
    drop(tx);
    super::run(
        &mut terminal,
        app,
        [Input::Resize(width, height)],
        &rx,
        &mut Quiet,
    )
    .ok()?;
    Some(terminal.backend().buffer().clone())
}

/// Whether to send OSC 8 hyperlinks: as configured, or (auto) for
/// terminals known to show them, never inside tmux or screen, which drop
/// or mangle them in common versions.
pub fn links_supported(mode: LinkMode, env: impl Fn(&str) -> Option<String>) -> bool {
    match mode {
        LinkMode::Always => true,
        LinkMode::Never => false,
        LinkMode::Auto => {
            let term = env("TERM").unwrap_or_default();
            if env("TMUX").is_some() || term.starts_with("screen") || term.starts_with("tmux") {
                return false;
            }
            let program = env("TERM_PROGRAM").unwrap_or_default();
            let vte = env("VTE_VERSION")
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0);
            ["iTerm.app", "WezTerm", "vscode", "ghostty", "Hyper"].contains(&program.as_str())
                || vte >= 5000
                || ["kitty", "wezterm", "foot", "ghostty", "alacritty"]
                    .iter()
                    .any(|t| term.contains(t))
        }
    }
}

struct LocalDriver {
    /// Where the reading state is saved, and when (see `Saves`).
    saves: Saves,
    /// The store's sync, started after the first frame (a first run).
    pending_sync: Option<SyncJob>,
    /// Whether a frame was drawn: before the first one, the search's
    /// preparation waits (`pending_search`) so it does not take a core
    /// from the first screen.
    drawn: bool,
    /// The search preparation asked for before the first frame.
    pending_search: Option<Effect>,
    syncing: Option<Syncing>,
    /// Set when the sync found more than `SEARCH_WAITS_FOR` files to parse
    /// (a build): the search's vocabulary does not wait for it.
    long_sync: Arc<AtomicBool>,
    /// Held until the first frame is out (a sync started with the reader).
    first_frame: Option<FirstFrame>,
    /// Where `r` fetches feeds to (none without a library store).
    fetch: Option<FetchJob>,
    /// The state to save at the end when the loop failed before the
    /// app's own last save.
    last_state: Option<SavedState>,
    /// Sends the search index back into the loop when it is built.
    inputs: Sender<Input>,
    library: Arc<Library>,
    links: bool,
    in_tmux: bool,
    /// Links written with the last frame, so unchanged ones are not resent.
    last_links: Vec<LinkSpan>,
}

impl Driver<Backend> for LocalDriver {
    fn perform(&mut self, effect: Effect, terminal: &mut Terminal<Backend>) -> Option<Input> {
        let outcome = match effect {
            // The local reader keeps nothing on a server (`Keeping::Local`
            // never asks).
            Effect::Quit | Effect::Timer { .. } | Effect::ForgetMe => None,
            Effect::Suspend => {
                return match suspend(terminal) {
                    Ok(resized) => Some(resized),
                    // The terminal could not be taken again: nothing can
                    // be drawn, so the reader ends as when it went away.
                    Err(_) => Some(Input::Stop),
                };
            }
            // Tried at once with a short wait, else put off (see `Saves`);
            // the last one put off is written by `finish`.
            Effect::Save(state) => {
                let busy = self.store_busy();
                self.saves.save(state, busy, Instant::now())
            }
            Effect::FetchFeeds => {
                let tx = self.inputs.clone();
                match self.fetch.clone() {
                    Some(job) => {
                        refresher::spawn(job, move |event| tx.send(Input::Fetch(event)).is_ok());
                        None
                    }
                    // The app only asks when told it may: said, not ignored.
                    None => {
                        return Some(Input::Fetch(crate::input::FetchEvent::Failed(
                            "no library store".to_owned(),
                        )));
                    }
                }
            }
            Effect::BuildSearchIndex | Effect::PrepareSearch if !self.drawn => {
                self.pending_search = Some(effect);
                None
            }
            // The store's vocabulary is read once the sync is over (performed
            // from `after_draw` once its last event was handled): read beside
            // it, it takes the second core from the sync of an edited file,
            // and that file's text change forgets it again.
            Effect::PrepareSearch if self.search_waits() => {
                self.pending_search = Some(effect);
                None
            }
            Effect::BuildSearchIndex => {
                let library = Arc::clone(&self.library);
                let tx = self.inputs.clone();
                thread::spawn(move || {
                    let index = crate::app::search::build_index(&library);
                    let _ = tx.send(Input::SearchIndex(Arc::new(index)));
                });
                None
            }
            Effect::PrepareSearch => {
                self.pending_search = None;
                let library = Arc::clone(&self.library);
                thread::spawn(move || {
                    // A failure here is met again, and said, by the search.
                    let _ = library.bodies().prepare_search();
                });
                None
            }
            Effect::Copy(text) => {
                super::copy_to_clipboard(terminal.backend_mut(), &text, self.in_tmux)
            }
            Effect::OpenUrl(url) => {
                let env = |name: &str| std::env::var(name).ok();
                if has_display(env) {
                    match open_in_browser(&url, env) {
                        Ok(()) => Some(Outcome::Opened),
                        Err(e) => {
                            super::copy_to_clipboard(terminal.backend_mut(), &url, self.in_tmux);
                            Some(Outcome::OpenFailed(e.to_string()))
                        }
                    }
                } else {
                    super::copy_to_clipboard(terminal.backend_mut(), &url, self.in_tmux);
                    Some(Outcome::NoDisplay)
                }
            }
        };
        outcome.map(Input::Outcome)
    }

    /// A resize sent with a SIGCONT the reader did not expect takes the
    /// terminal again first (see `CONTINUED`).
    fn resized(&mut self, terminal: &mut Terminal<Backend>, _: u16, _: u16) -> io::Result<()> {
        if CONTINUED.swap(false, Ordering::SeqCst) {
            retake(terminal, MOUSE.load(Ordering::SeqCst))?;
        }
        Ok(())
    }

    fn wake_at(&self) -> Option<Instant> {
        self.saves.wake_at()
    }

    /// A save put off is tried again; every minute, the state is saved if
    /// it changed, so a reader killed outright loses at most that.
    fn wake(&mut self, app: &App) -> Option<Input> {
        let busy = self.store_busy();
        self.saves
            .wake(|| app.snapshot(), busy, Instant::now())
            .map(Input::Outcome)
    }

    /// Marks the link on screen as an OSC 8 hyperlink, by writing the same
    /// text again inside the sequence. Only when it changed: the terminal
    /// keeps the link until the cells are overwritten.
    fn after_draw(&mut self, app: &App, terminal: &mut Terminal<Backend>) -> io::Result<()> {
        if let Some(frame) = self.first_frame.take() {
            frame.out();
        }
        if let Some(job) = self.pending_sync.take() {
            // The first frame is out: now the sync may use the cores.
            let tx = self.inputs.clone();
            let long = Arc::clone(&self.long_sync);
            self.syncing = Some(syncer::spawn(job, move |event| {
                if matches!(event, SyncEvent::Progress { total, .. } if total > SEARCH_WAITS_FOR) {
                    long.store(true, Ordering::SeqCst);
                }
                tx.send(Input::Sync(event)).is_ok()
            }));
        }
        self.drawn = true;
        if let Some(effect) = self.pending_search.take() {
            // Nothing comes back from these two but an input later; put
            // off again while the sync runs.
            let _ = self.perform(effect, terminal);
        }
        self.saves.touched();
        if !self.links {
            return Ok(());
        }
        let spans = link_spans(app);
        if spans == self.last_links {
            return Ok(());
        }
        let url = app.open_link().and_then(osc::safe_url).unwrap_or_default();
        let id = app.reader.open.unwrap_or_default().to_string();
        let color = app.style(Role::Link).fg;
        let out = terminal.backend_mut();
        if !url.is_empty() {
            for span in &spans {
                queue!(out, cursor::MoveTo(span.x, span.y))?;
                if let Some(c) = color {
                    queue!(out, SetForegroundColor(c.into_crossterm()))?;
                }
                queue!(
                    out,
                    SetAttribute(Attribute::Underlined),
                    Print(osc::link_open(url, &id)),
                    Print(&span.text),
                    Print(osc::LINK_CLOSE),
                    SetAttribute(Attribute::Reset),
                    ResetColor
                )?;
            }
        }
        self.last_links = spans;
        Ok(())
    }
}

impl LocalDriver {
    fn sync_running(&self) -> bool {
        self.syncing.as_ref().is_some_and(Syncing::is_running)
    }

    /// Whether the search's vocabulary waits for the sync: one still to
    /// start, or running with a few files to parse (not a build, whose
    /// seconds a search typed meanwhile would wait for).
    fn search_waits(&self) -> bool {
        self.pending_sync.is_some()
            || (self.sync_running() && !self.long_sync.load(Ordering::SeqCst))
    }

    /// Whether a sync or a fetch's put holds the store's write lock (for
    /// seconds): a save now would keep the keys waiting for it.
    fn store_busy(&self) -> bool {
        self.sync_running() || self.fetch.as_ref().is_some_and(|f| f.control.is_writing())
    }

    /// The reader is leaving: a sync or a fetch's put still running is
    /// stopped (it rolls back and frees the store), and the last state
    /// (or one put off) is written, waiting for another program's lock
    /// at most `QUIT_WAIT`; `waiting` is called when that wait begins.
    /// Why it could not be saved, said on stderr once the terminal is
    /// back: never silently.
    fn finish(&mut self, waiting: impl FnOnce()) -> Option<String> {
        if let Some(syncing) = &self.syncing {
            syncing.stop();
        }
        if let Some(fetch) = &self.fetch {
            fetch.control.stop();
            // The put ends at its next item and records that it was
            // stopped, so `feeds list` tells the truth: ended by the
            // program's exit instead, the feed stayed "never fetched".
            fetch.control.wait_idle(STOPPED_PUT_WAIT);
        }
        self.saves
            .finish(self.last_state.take(), QUIT_WAIT, waiting)
    }
}

/// Files a sync may parse and still have the search's vocabulary read
/// after it (see `LocalDriver::search_waits`).
const SEARCH_WAITS_FOR: usize = 64;

/// How long a quitting reader waits for a stopped put to end (it ends at
/// its next item, in milliseconds; a store busy with another program's
/// writer is not waited out).
const STOPPED_PUT_WAIT: Duration = Duration::from_secs(3);

/// Whether a browser could show anything: a graphical session here.
pub fn has_display(env: impl Fn(&str) -> Option<String>) -> bool {
    cfg!(target_os = "macos")
        || ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| env(v).is_some_and(|s| !s.is_empty()))
}

/// `$BROWSER`, else the platform's opener, detached from our terminal.
fn open_in_browser(url: &str, env: impl Fn(&str) -> Option<String>) -> io::Result<()> {
    let program = env("BROWSER")
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| {
            if cfg!(target_os = "macos") {
                "open".into()
            } else {
                "xdg-open".into()
            }
        });
    let mut child = Command::new(program.trim())
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Reap it without blocking the reader.
    thread::spawn(move || child.wait());
    Ok(())
}

/// Reads terminal events. A read error means the terminal is gone: the
/// thread says so once and ends, rather than spinning on a dead tty.
/// A size past `MAX_SIZE` comes as the bound, said once (`said`: the cut
/// size told already, if any).
fn spawn_events(tx: Sender<Input>, mut said: Option<(u16, u16)>) {
    thread::spawn(move || {
        loop {
            let input = match event::read() {
                Ok(Event::Key(key)) => Key::from_crossterm(&key).map(Input::Key),
                Ok(Event::Resize(w, h)) => {
                    let (size, cut) = bounded_size(w, h);
                    let notice = bound_notice(&mut said, size, cut);
                    if notice.is_some_and(|n| tx.send(n).is_err()) {
                        return;
                    }
                    Some(Input::Resize(size.0, size.1))
                }
                Ok(Event::Mouse(m)) => Mouse::from_crossterm(&m).map(Input::Mouse),
                // Bracketed paste: text for the search line, never keys.
                Ok(Event::Paste(text)) => Some(Input::Paste(crate::input::cap_paste(text))),
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

/// Checks once a second that the terminal is still there. After a hang-up
/// with SIGHUP ignored, crossterm's reader can spin without ever returning
/// an error (crossterm issue 793); this makes the reader leave within a
/// second anyway.
fn spawn_watchdog(tx: Sender<Input>) {
    thread::spawn(move || {
        // Four looks a second (an ioctl each): with the exit's save, the
        // reader is gone within a second of its terminal (README).
        while io::stdin().is_terminal() && io::stdout().is_terminal() {
            thread::sleep(Duration::from_millis(250));
        }
        let _ = tx.send(Input::Stop);
    });
}

/// A signal stops the reader as `q` would (state saved, terminal
/// restored); which one is kept, so the exit status says it (128 + N).
/// SIGTSTP (`kill -TSTP`, a shell's suspend) suspends it as Ctrl-Z does:
/// the loop restores the terminal before the process stops.
fn spawn_signals(tx: Sender<Input>, ended_by: Arc<AtomicI32>) -> io::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGCONT])?;
    thread::spawn(move || {
        for signal in signals.forever() {
            let input = match signal {
                SIGTSTP => Some(Input::Suspend),
                // Continued after a stop it did not make itself: the
                // terminal is taken again and drawn whole.
                SIGCONT if !SELF_STOPPED.swap(false, Ordering::SeqCst) => {
                    CONTINUED.store(true, Ordering::SeqCst);
                    let (w, h) = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
                    let ((w, h), _) = bounded_size(w, h);
                    Some(Input::Resize(w, h))
                }
                SIGCONT => None,
                _ => {
                    ended_by.store(signal, Ordering::Relaxed);
                    let _ = tx.send(Input::Stop);
                    return;
                }
            };
            if input.is_some_and(|i| tx.send(i).is_err()) {
                return;
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn hyperlinks_only_where_the_terminal_shows_them() {
        assert!(links_supported(
            LinkMode::Auto,
            env(&[("TERM", "xterm-kitty")])
        ));
        assert!(links_supported(
            LinkMode::Auto,
            env(&[("TERM", "xterm-256color"), ("VTE_VERSION", "7200")])
        ));
        assert!(!links_supported(
            LinkMode::Auto,
            env(&[("TERM", "xterm-256color")])
        ));
        assert!(!links_supported(
            LinkMode::Auto,
            env(&[("TERM", "xterm-kitty"), ("TMUX", "/tmp/x")])
        ));
        assert!(!links_supported(
            LinkMode::Never,
            env(&[("TERM", "xterm-kitty")])
        ));
        assert!(links_supported(
            LinkMode::Always,
            env(&[("TERM", "screen")])
        ));
    }

    #[test]
    fn a_terminal_past_the_bound_is_cut_to_it_and_said_once() {
        let (max_w, max_h) = MAX_SIZE;
        assert_eq!(bounded_size(80, 24), ((80, 24), false));
        assert_eq!(bounded_size(max_w, max_h), ((max_w, max_h), false));
        assert_eq!(bounded_size(u16::MAX, u16::MAX), ((max_w, max_h), true));
        assert_eq!(bounded_size(max_w + 1, 10), ((max_w, 10), true));
        let mut said = None;
        let bounded =
            |width, height| Some(Input::Outcome(Outcome::WindowBounded { width, height }));
        assert_eq!(bound_notice(&mut said, (80, 24), false), None);
        assert_eq!(
            bound_notice(&mut said, (max_w, 30), true),
            bounded(max_w, 30)
        );
        // The same cut size again (the terminal grew further): not again.
        assert_eq!(bound_notice(&mut said, (max_w, 30), true), None);
        assert_eq!(
            bound_notice(&mut said, (max_w, 40), true),
            bounded(max_w, 40)
        );
        // Fits again: the notice is taken back, once.
        assert_eq!(
            bound_notice(&mut said, (90, 40), false),
            Some(Input::Outcome(Outcome::WindowFits))
        );
        assert_eq!(bound_notice(&mut said, (91, 40), false), None);
    }

    #[test]
    fn a_browser_needs_a_display() {
        if cfg!(target_os = "macos") {
            return;
        }
        assert!(!has_display(env(&[])));
        assert!(has_display(env(&[("DISPLAY", ":0")])));
        assert!(has_display(env(&[("WAYLAND_DISPLAY", "wayland-0")])));
    }
}
