//! aiwatch-tui: parse the command line, pick a mode (the reader, or one of
//! the commands), and turn the outcome into an exit status: 0 fine, 1 a
//! runtime error (or warnings under `check --strict`), 2 bad usage, config
//! or content errors (reported before the terminal is touched).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use aiwatch_tui::app::App;
use aiwatch_tui::cli::{self, Cli, Command};
use aiwatch_tui::library_store::LibraryStore;
use aiwatch_tui::runtime::first_screen;
use aiwatch_tui::runtime::saver::StateSaver;
use aiwatch_tui::store::SavedState;
use aiwatch_tui::{commands, runtime, setup, store};
use clap::FromArgMatches;

/// jemalloc rather than the system allocator: a server whose sessions each
/// ran on a thread of their own gives their memory back when they end
/// (glibc's per-thread arenas kept it; docs/performance.md has the soak).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let matches = cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let status = match &cli.command {
        None => read(&cli),
        Some(Command::Check(args)) => io_status(commands::check(
            &cli.sources,
            args,
            &mut std::io::stdout().lock(),
        )),
        Some(Command::List(args)) => with_startup(&cli, |startup| {
            let width = terminal_width().map(usize::from);
            commands::list(startup, args, width, &mut std::io::stdout().lock())
        }),
        Some(Command::Show(args)) => with_startup(&cli, |startup| {
            let width = args.width.or_else(terminal_width).unwrap_or(80).max(20);
            commands::show(startup, args, width, &mut std::io::stdout().lock())
        }),
        Some(Command::Serve(args)) => serve(&cli, args),
        Some(Command::Feeds(args)) => io_status(aiwatch_tui::feeds::command::run(
            &cli.sources,
            args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )),
        Some(Command::Fetch(args)) => io_status(aiwatch_tui::feeds::fetch_command::run(
            &cli.sources,
            args,
            &mut aiwatch_tui::feeds::fetch_command::Output {
                out: &mut std::io::stdout().lock(),
                err: &mut std::io::stderr().lock(),
                terminal_width: terminal_width(),
            },
        )),
        Some(Command::Completions { shell }) => {
            let shell = *shell;
            clap_complete::generate(
                shell,
                &mut cli::command(),
                "aiwatch-tui",
                &mut std::io::stdout(),
            );
            0
        }
        Some(Command::Man) => io_status(
            aiwatch_tui::manpage::render(cli::command(), &mut std::io::stdout().lock())
                .map(|()| commands::OK),
        ),
    };
    ExitCode::from(status)
}

/// The interactive reader on the local terminal.
fn read(cli: &Cli) -> u8 {
    // Never draw into a pipe or a file: say so and stop.
    if !std::io::stdout().is_terminal() {
        report(
            "aiwatch-tui: standard output is not a terminal; the reader needs one (for scripts: `aiwatch-tui list`)",
        );
        return 2;
    }
    // Nor read keys from a pipe or a file: the reader would draw one frame
    // and end at once (its watchdog ends it when input is no terminal).
    if !std::io::stdin().is_terminal() {
        report(
            "aiwatch-tui: standard input is not a terminal; the reader needs one (for scripts: `aiwatch-tui list`)",
        );
        return 2;
    }
    let kept = first_screen::default_path();
    // The first screen the last session kept, painted before the library
    // is read when nothing that decides it changed; what would be said on
    // stderr meanwhile waits until the terminal is back.
    let mut entered = None;
    let started = setup::start_reader_with(&cli.sources, &mut |config, library| {
        entered = paint_kept(cli, config.mouse, library, kept.as_deref())
            .or_else(|| paint_reading(cli, config, library));
        if entered.is_some() {
            hold_reports(true);
        }
        hold_library_for_test();
    });
    let Some(startup) = said_startup(started, cli.verbose) else {
        drop(entered);
        hold_reports(false);
        return 2;
    };
    let choice = setup::LanguageChoice {
        code: startup.language.clone(),
        chosen: startup.language_chosen,
    };
    let reader = open_reader(cli, startup);
    let (quiet, fetches) = (reader.quiet, reader.fetch.is_some());
    let ended = runtime::local::run(
        reader.app,
        reader.state_saver,
        reader.sync,
        reader.fetch,
        entered,
    );
    hold_reports(false);
    match ended {
        Ok(ended) => {
            let signal = ended.signal;
            if let (None, Some(path), Some(stored), true) = (signal, &kept, ended.stored, quiet) {
                keep_first_screen(cli, ended.app, &choice, stored, fetches, path);
            }
            // Stopped by a signal (its state saved all the same): the status
            // a shell gives a program the signal ended, 128 + its number. A
            // reading state that could not be saved (said on stderr) is a
            // failure a script can see.
            match (signal, ended.unsaved) {
                (Some(signal), _) => u8::try_from(128 + signal).unwrap_or(1),
                (None, true) => 1,
                (None, false) => 0,
            }
        }
        Err(e) => {
            report(&format!("aiwatch-tui: {e}"));
            1
        }
    }
}

/// Debug builds only, for tests: holds the reader's start before its
/// library is read until the file `AIWATCH_TUI_TEST_LIBRARY_GATE` names
/// exists, 20 s at most, so a test sees what is on screen meanwhile (a
/// painted first screen or nothing) and presses keys then; the file
/// `GATE.waiting` says it is held. Undocumented on purpose.
fn hold_library_for_test() {
    #[cfg(debug_assertions)]
    if let Some(gate) = std::env::var_os("AIWATCH_TUI_TEST_LIBRARY_GATE") {
        let mut waiting = gate.clone();
        waiting.push(".waiting");
        let _ = std::fs::write(&waiting, b"");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !Path::new(&gate).exists() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// The reader, ready for its first frame.
struct Reader {
    app: App,
    state_saver: StateSaver,
    sync: Option<runtime::syncer::BackgroundSync>,
    fetch: Option<runtime::refresher::FetchJob>,
    /// Whether nothing was said (on stderr or on screen) on the way.
    quiet: bool,
}

/// The app restored from the saved state, with what it saves through and
/// the sync and fetch it may run.
fn open_reader(cli: &Cli, mut startup: setup::Startup) -> Reader {
    let mut store_notices = std::mem::take(&mut startup.store_notices);
    let state_file = cli.sources.state.clone().or_else(store::default_path);
    let mut notices = Vec::new();
    let has_store = startup.store.is_some();
    let (saved, state_saver) = if let Some(library_store) = startup.store.take() {
        let (saved, state_saver, said) =
            state_in_store(library_store, state_file.as_deref(), &mut notices);
        for line in &said {
            report(&format!("aiwatch-tui: {line}"));
        }
        store_notices.extend(said);
        (saved, state_saver)
    } else {
        let file = state_in_file(state_file.clone(), &mut notices);
        if !cli.sources.no_store
            && let (Some(path), StateSaver::File { .. }) = (&state_file, &file.1)
        {
            // The store could not be used (said above): its marks are not
            // shown, and this run's go where the next start that opens the
            // store will pick them up. Named, as the line above names it:
            // this one is the last, the one the status line shows.
            let store = setup::library_path(&cli.sources, &startup.ctx.config)
                .map(|p| format!(" {}", p.display()))
                .unwrap_or_default();
            let line = format!(
                "the read marks and stars kept in the library store{store} are not shown this time; changes are saved to {} and moved into the store when it can be opened again",
                path.display()
            );
            report(&format!("aiwatch-tui: {line}"));
            store_notices.push(line);
        }
        file
    };
    // A language the user chose beats the one the last run was left in.
    let (language, saved) = setup::opening_language(
        &setup::LanguageChoice {
            code: startup.language.clone(),
            chosen: startup.language_chosen,
        },
        saved,
    );
    // The keys move into the app's marks (the saver keeps what it last
    // wrote): no third copy of every key.
    let mut app = App::restore_owned(startup.ctx, &language, saved);
    let quiet = notices.is_empty() && store_notices.is_empty();
    for (kind, reason, path) in notices {
        // Said on screen (and on stderr after exit), never silently dropped.
        let template = match kind {
            StateNotice::Corrupt => &app.strings.ui.state_corrupt,
            StateNotice::Newer => &app.strings.ui.state_newer,
            StateNotice::Unreadable => &app.strings.ui.state_unreadable,
        };
        let message = aiwatch_tui::i18n::fill(template, &[("reason", &reason), ("path", &path)]);
        report(&format!("aiwatch-tui: {message}"));
        app.notify(message);
    }
    for notice in store_notices {
        // Already on stderr (see `startup`): on screen as well.
        app.notify(notice);
    }
    let sync = startup.background_sync.take();
    // `r` fetches into the store the reader came through; without one,
    // fetched items would have nowhere to go (the app says so).
    let fetch = has_store
        .then(|| setup::library_path(&cli.sources, app.config()))
        .flatten()
        .map(|path| runtime::refresher::FetchJob {
            path,
            config: Arc::clone(&app.ctx.config),
            control: Arc::default(),
            reread: Some(cli.sources.config.clone()),
        });
    Reader {
        app,
        state_saver,
        sync,
        fetch,
        quiet,
    }
}

/// What decides the first frame besides the process's arguments, folder
/// and environment: the config file, the store, the state file, the size.
fn screen_inputs(
    cli: &Cli,
    args: &[std::ffi::OsString],
    library: &Path,
    size: (u16, u16),
) -> first_screen::Inputs {
    let config =
        setup::config_path(cli.sources.config.as_deref()).and_then(|path| std::fs::read(path).ok());
    let state_file = cli.sources.state.clone().or_else(store::default_path);
    first_screen::Inputs {
        args: args.to_vec(),
        config,
        store: first_screen::store_stamp(library),
        state_file: state_file.map_or_else(Default::default, |p| first_screen::FileStamp::of(&p)),
        size,
    }
}

/// Enters the terminal and paints the first screen kept at `kept`, when
/// one was kept under this start's key (a store in use, nothing changed).
fn paint_kept(
    cli: &Cli,
    mouse: bool,
    library: Option<&Path>,
    kept: Option<&Path>,
) -> Option<runtime::local::Entered> {
    let (library, kept) = (library?, kept?);
    let size = ratatui::crossterm::terminal::size().ok()?;
    let args: Vec<_> = std::env::args_os().collect();
    let key = first_screen::key(&screen_inputs(cli, &args, library, size));
    let screen = first_screen::load(kept, key)?;
    runtime::local::Entered::paint(mouse, &screen).ok()
}

/// Enters the terminal with "Reading the content folders…" when the
/// library is about to be read from content files (a first run, an empty
/// store, or no store used): many files would otherwise leave a blank
/// terminal for a second or more. A stored library opens at once: nothing
/// painted then, nor for the bundled edition alone.
fn paint_reading(
    cli: &Cli,
    config: &aiwatch_tui::config::Config,
    library: Option<&Path>,
) -> Option<runtime::local::Entered> {
    let roots = setup::content_roots(&cli.sources.content, cli.sources.bundled, config);
    if !roots
        .iter()
        .any(|r| matches!(r, aiwatch_tui::content::ContentRoot::Dir(_)))
    {
        return None;
    }
    // With a store, only its first run reads the files; without one
    // (`--no-store`), every start does.
    let first_run = match library {
        Some(path) if setup::is_first_run(path) => true,
        Some(_) => return None,
        None => false,
    };
    let language = setup::choose_language(cli.sources.lang.as_deref(), config, |name| {
        std::env::var(name).ok()
    })
    .ok()?;
    let strings = aiwatch_tui::i18n::Locales::embedded().get(&language.code);
    let (width, height) = ratatui::crossterm::terminal::size().ok()?;
    // Within the bound the reader draws in (a huge pty is drawn top left).
    let (max_width, max_height) = runtime::local::MAX_SIZE;
    let (width, height) = (width.min(max_width), height.min(max_height));
    let mut screen =
        ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, width, height));
    aiwatch_tui::view::reading_content(&mut screen, &strings, first_run);
    runtime::local::Entered::paint(config.mouse, &screen).ok()
}

/// A library larger than this keeps no first screen: restoring a second
/// app at quit would take a noticeable time.
const MAX_SECTIONS_KEPT: usize = 200_000;

/// Keeps at `path` the first frame the next start will draw: `app`'s
/// library (the store holds it and nothing else changed it, see
/// `Ended::stored`) restored with the state the store holds, as that start
/// restores it, drawn off screen, under the key of the store as it is once
/// this process let go of it. When it cannot be known (no size, a library
/// too large), the file is removed so no older screen is painted.
fn keep_first_screen(
    cli: &Cli,
    app: App,
    choice: &setup::LanguageChoice,
    stored: SavedState,
    fetches: bool,
    path: &Path,
) {
    let kept = (|| {
        let size = ratatui::crossterm::terminal::size().ok()?;
        // A screen too large to keep is not drawn at all (a pty of
        // 65535 x 65535 would take gigabytes to draw off screen).
        if usize::from(size.0) * usize::from(size.1) > first_screen::MAX_CELLS
            || app.ctx.library.sections.len() > MAX_SECTIONS_KEPT
        {
            return None;
        }
        let library = setup::library_path(&cli.sources, app.config())?;
        let ctx = app.ctx.clone();
        // The session's marks, cached bodies and search vocabulary go
        // before the next start's marks are made: the reader's peak memory
        // stays its start's.
        drop(app);
        ctx.library.bodies().forget();
        let (language, saved) = setup::opening_language(choice, Some(stored));
        let mut next = App::restore_owned(ctx, &language, saved);
        runtime::local::prepare_first_frame(&mut next, fetches);
        let screen = runtime::local::first_frame(&mut next, size.0, size.1)?;
        // Its library's connections closed before the store is stamped.
        drop(next);
        let args: Vec<_> = std::env::args_os().collect();
        let inputs = screen_inputs(cli, &args, &library, size);
        Some((first_screen::key(&inputs), screen))
    })();
    let result = match kept {
        Some((key, screen)) => first_screen::save(path, key, &screen),
        None => first_screen::forget(path),
    };
    // Nothing to tell the user: the next start simply draws without it.
    drop(result);
}

/// What went wrong with the saved state, for the notice.
enum StateNotice {
    Corrupt,
    Newer,
    /// Not read (or not moved aside): left as it is, nothing saved over it.
    Unreadable,
}

/// A notice about the state file: its kind, the reason, the path.
type FileNotice = (StateNotice, String, String);

/// The reading state from a `state.json` (with `--no-store`, or when the
/// store cannot be used), and where to save it.
fn state_in_file(
    state_file: Option<PathBuf>,
    notices: &mut Vec<FileNotice>,
) -> (Option<SavedState>, StateSaver) {
    let Some(path) = state_file else {
        return (None, StateSaver::Nowhere);
    };
    match store::load(&path) {
        store::Loaded::State(state) => {
            let last = Some(state.clone());
            (Some(state), StateSaver::File { path, last })
        }
        store::Loaded::Corrupt {
            reason,
            moved_to: Some(aside),
        } => {
            notices.push(corrupt_notice(reason, Some(aside)));
            (None, StateSaver::File { path, last: None })
        }
        // What the file holds is unknown (or could not be moved aside): a
        // save would write over read marks and stars the user still has.
        store::Loaded::Unreadable { reason }
        | store::Loaded::Corrupt {
            reason,
            moved_to: None,
        } => {
            notices.push((StateNotice::Unreadable, reason, path.display().to_string()));
            (None, StateSaver::Nowhere)
        }
        store::Loaded::Newer { .. } => {
            // Never overwrite what a newer version wrote: read nothing, save nothing.
            notices.push((
                StateNotice::Newer,
                String::new(),
                path.display().to_string(),
            ));
            (None, StateSaver::Nowhere)
        }
        store::Loaded::Nothing => (None, StateSaver::File { path, last: None }),
    }
}

fn corrupt_notice(reason: String, moved_to: Option<PathBuf>) -> FileNotice {
    let path = moved_to.map_or_else(|| "(not moved)".to_owned(), |p| p.display().to_string());
    (StateNotice::Corrupt, reason, path)
}

/// The reading state from the store, after migrating a `state.json` into
/// it once (the file is then renamed `state.json.migrated`). Lines to tell
/// the user are returned; a state file that cannot be migrated is said, and
/// when the store cannot take it, the file stays in use as before.
fn state_in_store(
    mut library_store: LibraryStore,
    state_file: Option<&Path>,
    notices: &mut Vec<FileNotice>,
) -> (Option<SavedState>, StateSaver, Vec<String>) {
    let mut said = Vec::new();
    if let Some(path) = state_file {
        match store::load(path) {
            store::Loaded::State(state) => match library_store.merge_state(&state) {
                Ok(()) => match store::set_aside_migrated(path) {
                    Ok(kept) => said.push(format!(
                        "the reading state in {} was moved into the library store {}; the old file is kept as {}",
                        path.display(),
                        library_store.path().display(),
                        kept.display()
                    )),
                    Err(e) => said.push(format!(
                        "the reading state in {} was copied into the library store, but the file could not be renamed ({e}); it will be copied again next time, which changes nothing",
                        path.display()
                    )),
                },
                Err(e) => {
                    said.push(format!(
                        "{e}; the reading state stays in {} this time",
                        path.display()
                    ));
                    let to_file = StateSaver::File {
                        path: path.to_path_buf(),
                        last: Some(state.clone()),
                    };
                    return (Some(state), to_file, said);
                }
            },
            store::Loaded::Corrupt { reason, moved_to } => {
                notices.push(corrupt_notice(reason, moved_to));
            }
            store::Loaded::Unreadable { reason } => said.push(format!(
                "{} could not be read ({reason}); it was not moved into the library store and is left as it is",
                path.display()
            )),
            store::Loaded::Newer { version } => said.push(format!(
                "{} is from a newer version of aiwatch-tui (state version {version}); it was not moved into the library store and is left as it is",
                path.display()
            )),
            store::Loaded::Nothing => {}
        }
    }
    match library_store.load_state() {
        Ok(saved) => {
            let last = saved.clone().unwrap_or_default();
            let into_store = StateSaver::Store {
                store: Box::new(library_store),
                last,
            };
            (saved, into_store, said)
        }
        Err(e) => {
            said.push(format!(
                "{e}; the reading state could not be read from the store, and nothing is saved this time"
            ));
            (None, StateSaver::Nowhere, said)
        }
    }
}

/// The SSH server: the same content and config as the reader.
fn serve(cli: &Cli, args: &aiwatch_tui::cli::ServeArgs) -> u8 {
    let config =
        match setup::load_config(setup::config_path(cli.sources.config.as_deref()).as_deref()) {
            Ok(c) => c,
            Err(errors) => {
                for e in &errors {
                    report(&e.to_string());
                }
                return 2;
            }
        };
    let roots = setup::content_roots(&cli.sources.content, cli.sources.bundled, &config);
    let missing = setup::missing_roots(&roots);
    if !missing.is_empty() {
        report(&format!(
            "aiwatch-tui serve: {}",
            setup::StartError::Content(missing)
        ));
        return 2;
    }
    let options = match aiwatch_tui::serve::options(args, &config.serve) {
        Ok(o) => o,
        Err(e) => {
            report(&format!("aiwatch-tui serve: {e}"));
            return 2;
        }
    };
    // The health endpoint comes up first and says `syncing` while the
    // store syncs.
    let prepared = match aiwatch_tui::serve::prepare(&options) {
        Ok(p) => p,
        Err(e) => {
            report(&format!("aiwatch-tui serve: {e}"));
            return e.exit_code();
        }
    };
    prepared.hold_sync_for_test();
    // Opened once; every session shares the library read from it.
    let store_path = setup::library_path(&cli.sources, &config);
    let source = setup::open_library(store_path.as_deref(), &roots, &config.actor_directory());
    prepared.store_synced(store_path.map(|_| source.store.is_some()));
    for notice in &source.notices {
        // A log line like every other: `key=value`, the notice quoted.
        aiwatch_tui::serve::log(&format!(
            "event=store_notice message={}",
            aiwatch_tui::serve::quote(notice)
        ));
    }
    // The feed fetcher writes into the store the library came through.
    let feeds = match (&source.store, cli.sources.no_store) {
        (Some(store), _) => aiwatch_tui::serve::FeedStore::Store(store.path().to_path_buf()),
        (None, true) => aiwatch_tui::serve::FeedStore::None(
            "--no-store: fetched items live in the library store".to_owned(),
        ),
        (None, false) => aiwatch_tui::serve::FeedStore::None(
            "no library store could be used, so fetched items have nowhere to go".to_owned(),
        ),
    };
    let library = source.library;
    for d in &library.diagnostics {
        report(&d.to_string());
    }
    match aiwatch_tui::serve::run(&options, prepared, library, config, &feeds) {
        Ok(()) => 0,
        Err(e) => {
            report(&format!("aiwatch-tui serve: {e}"));
            e.exit_code()
        }
    }
}

/// `reader`: the library as stored, its sync left for the background.
fn startup(cli: &Cli, reader: bool) -> Option<setup::Startup> {
    let started = if reader {
        setup::start_reader(&cli.sources)
    } else {
        setup::start(&cli.sources)
    };
    said_startup(started, cli.verbose)
}

/// Says what a start found (warnings, notices, content problems, or why it
/// could not start) and hands over what started.
fn said_startup(
    started: Result<setup::Startup, setup::StartError>,
    verbose: bool,
) -> Option<setup::Startup> {
    match started {
        Ok(s) => {
            // Config warnings are few and each worth reading: all of them.
            for warning in &s.ctx.config.warnings {
                report(&warning.to_string());
            }
            for notice in &s.store_notices {
                report(&format!("aiwatch-tui: {notice}"));
            }
            report_load_problems(&s.ctx.library, verbose);
            Some(s)
        }
        Err(setup::StartError::Config(errors)) => {
            for e in &errors {
                report(&e.to_string());
            }
            report("aiwatch-tui: the configuration has errors; nothing was started");
            None
        }
        Err(e) => {
            report(&format!("aiwatch-tui: {e}"));
            None
        }
    }
}

/// Content problems on stderr: one summary line, or every problem with
/// `--verbose`. Nothing when everything loaded cleanly.
fn report_load_problems(library: &aiwatch_tui::content::Library, verbose: bool) {
    if library.diagnostics.is_empty() {
        return;
    }
    if verbose {
        for d in &library.diagnostics {
            report(&d.to_string());
        }
    } else {
        report(&format!(
            "aiwatch-tui: {} (--verbose or `aiwatch-tui check` shows each)",
            commands::load_summary(library)
        ));
    }
}

fn with_startup(cli: &Cli, run: impl FnOnce(&setup::Startup) -> std::io::Result<u8>) -> u8 {
    match startup(cli, false) {
        Some(s) => io_status(run(&s)),
        None => 2,
    }
}

/// A closed pipe (`aiwatch-tui list | head`) is not an error worth a message.
fn io_status(result: std::io::Result<u8>) -> u8 {
    match result {
        Ok(status) => status,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            report(&format!("aiwatch-tui: {e}"));
            1
        }
    }
}

/// The terminal's width when standard output is one.
fn terminal_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    ratatui::crossterm::terminal::size().ok().map(|(w, _)| w)
}

/// Lines for stderr held while the terminal shows a painted first screen
/// (a line written there would be drawn over it), written once it is back.
static HELD: std::sync::Mutex<Option<Vec<String>>> = std::sync::Mutex::new(None);

/// Holds what `report` says from now on (`true`), or writes what was held
/// and stops holding (`false`).
fn hold_reports(start: bool) {
    let held = HELD
        .lock()
        .map(|mut held| {
            if start {
                held.get_or_insert_with(Vec::new);
                None
            } else {
                held.take()
            }
        })
        .ok()
        .flatten();
    for line in held.unwrap_or_default() {
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

/// Writes a line to stderr, ignoring failure (the terminal may be gone),
/// or holds it (`hold_reports`).
fn report(line: &str) {
    if let Ok(mut held) = HELD.lock()
        && let Some(held) = held.as_mut()
    {
        held.push(line.to_owned());
        return;
    }
    let _ = writeln!(std::io::stderr(), "{line}");
}
