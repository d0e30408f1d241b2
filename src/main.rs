//! aiwatch-tui: parse the command line, pick a mode (the reader, or one of
//! the commands), and turn the outcome into an exit status: 0 fine, 1 a
//! runtime error (or warnings under `check --strict`), 2 bad usage, config
//! or content errors (reported before the terminal is touched).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use aiwatch_tui::app::App;
use aiwatch_tui::cli::{self, Cli, Command};
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
            cli.sources.config.as_deref(),
            args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
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
    let Some(startup) = startup(cli) else {
        return 2;
    };
    let mut state_path = cli.sources.state.clone().or_else(store::default_path);
    let mut notices = Vec::new();
    let saved = match state_path.as_deref().map(store::load) {
        Some(store::Loaded::State(state)) => Some(state),
        Some(store::Loaded::Corrupt { reason, moved_to }) => {
            let path =
                moved_to.map_or_else(|| "(not moved)".to_owned(), |p| p.display().to_string());
            notices.push((StateNotice::Corrupt, reason, path));
            None
        }
        Some(store::Loaded::Newer { .. }) => {
            // Never overwrite what a newer version wrote: read nothing, save nothing.
            let path = state_path
                .take()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            notices.push((StateNotice::Newer, String::new(), path));
            None
        }
        Some(store::Loaded::Nothing) | None => None,
    };
    // A language the user chose beats the one the last run was left in.
    let remembered = saved
        .as_ref()
        .and_then(|s| s.view.as_ref())
        .map(|v| v.language.as_str())
        .filter(|l| !l.is_empty());
    let language = setup::starting_language(
        &setup::LanguageChoice {
            code: startup.language.clone(),
            chosen: startup.language_chosen,
        },
        remembered,
    );
    let saved = saved.map(|mut s| {
        if let Some(view) = s.view.as_mut() {
            view.language.clone_from(&language);
        }
        s
    });
    let mut app = App::restore(startup.ctx, &language, saved.as_ref());
    for (kind, reason, path) in notices {
        // Said on screen (and on stderr after exit), never silently dropped.
        let template = match kind {
            StateNotice::Corrupt => &app.strings.ui.state_corrupt,
            StateNotice::Newer => &app.strings.ui.state_newer,
        };
        let message = aiwatch_tui::i18n::fill(template, &[("reason", &reason), ("path", &path)]);
        report(&format!("aiwatch-tui: {message}"));
        app.notify(message);
    }
    match runtime::local::run(app, state_path) {
        Ok(()) => 0,
        Err(e) => {
            report(&format!("aiwatch-tui: {e}"));
            1
        }
    }
}

/// What went wrong with the saved state, for the notice.
enum StateNotice {
    Corrupt,
    Newer,
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
    let library = aiwatch_tui::content::load_library(&roots, &config.actor_directory());
    for d in &library.diagnostics {
        report(&d.to_string());
    }
    let options = match aiwatch_tui::serve::options(args, &config.serve) {
        Ok(o) => o,
        Err(e) => {
            report(&format!("aiwatch-tui serve: {e}"));
            return 2;
        }
    };
    match aiwatch_tui::serve::run(&options, library, config) {
        Ok(()) => 0,
        Err(e) => {
            report(&format!("aiwatch-tui serve: {e}"));
            e.exit_code()
        }
    }
}

fn startup(cli: &Cli) -> Option<setup::Startup> {
    match setup::start(&cli.sources) {
        Ok(s) => {
            // Config warnings are few and each worth reading: all of them.
            for warning in &s.ctx.config.warnings {
                report(&warning.to_string());
            }
            report_load_problems(&s.ctx.library, cli.verbose);
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
    match startup(cli) {
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

/// Writes a line to stderr, ignoring failure (the terminal may be gone).
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
