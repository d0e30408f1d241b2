//! aiwatch-tui: parse the command line, check the config and content, and
//! run the reader on the local terminal. Exit codes: 0 fine, 1 runtime
//! error, 2 bad usage or config (reported before the terminal is touched).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use aiwatch_tui::app::App;
use aiwatch_tui::cli::Cli;
use aiwatch_tui::{runtime, setup};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Never draw into a pipe or a file: say so and stop.
    if !std::io::stdout().is_terminal() {
        report(
            "aiwatch-tui: standard output is not a terminal; run it in a terminal (for scripts, later versions offer `list` and `check`)",
        );
        return ExitCode::from(2);
    }
    let startup = match setup::start(&cli) {
        Ok(s) => s,
        Err(errors) => {
            for e in &errors {
                report(&e.to_string());
            }
            report("aiwatch-tui: the configuration has errors; nothing was started");
            return ExitCode::from(2);
        }
    };
    for warning in &startup.ctx.config.warnings {
        report(&warning.to_string());
    }
    let app = App::new(startup.ctx, &startup.language);
    match runtime::local::run(app) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&format!("aiwatch-tui: {e}"));
            ExitCode::from(1)
        }
    }
}

/// Writes a line to stderr, ignoring failure (the terminal may be gone).
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
