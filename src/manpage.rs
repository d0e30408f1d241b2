//! `aiwatch-tui man`: one complete manual page in roff. The synopsis and
//! options come from the clap definitions, the keys from the built-in
//! keymap, so neither can go stale; every command is described on this
//! page, so it names no sub-page that is not installed.

use std::io::{self, Write};

use crate::action::Action;
use crate::config::Config;

/// Writes the whole page.
pub fn render(cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    commands(&cmd, out)?;
    keys(out)?;
    write!(out, "{}", static_sections())?;
    man.render_version_section(out)?;
    Ok(())
}

/// Every subcommand with its usage, description and options.
fn commands(cmd: &clap::Command, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let args: Vec<&clap::Arg> = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && !a.is_global_set() && a.get_id() != "help")
            .collect();
        let mut usage = format!("aiwatch-tui {}", sub.get_name());
        if args.iter().any(|a| !a.is_positional()) {
            usage.push_str(" [OPTIONS]");
        }
        for a in args.iter().filter(|a| a.is_positional()) {
            usage.push(' ');
            usage.push_str(&arg_name(a));
        }
        writeln!(out, ".SS \"{}\"", escape(&usage))?;
        let about = sub
            .get_long_about()
            .or_else(|| sub.get_about())
            .map(ToString::to_string)
            .unwrap_or_default();
        paragraphs(&about, out)?;
        for a in args {
            let help = a
                .get_long_help()
                .or_else(|| a.get_help())
                .map(ToString::to_string)
                .unwrap_or_default();
            let values: Vec<String> = a
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect();
            let values = if values.is_empty() || a.is_positional() && a.get_id() == "shell" {
                String::new()
            } else {
                format!(" [possible values: {}]", values.join(", "))
            };
            writeln!(out, ".TP")?;
            writeln!(out, "\\fB{}\\fR", escape(&arg_name(a)))?;
            writeln!(out, "{}", escape(&format!("{help}{values}")))?;
        }
    }
    Ok(())
}

/// `--since <DATE>`, `-v, --verbose`, `[ROOT]...`, `<SHELL>`.
fn arg_name(a: &clap::Arg) -> String {
    let value = a
        .get_value_names()
        .and_then(|v| v.first())
        .map_or_else(|| a.get_id().as_str().to_uppercase(), ToString::to_string);
    if a.is_positional() {
        let many = matches!(a.get_action(), clap::ArgAction::Append);
        let dots = if many { "..." } else { "" };
        return if a.is_required_set() {
            format!("<{value}>{dots}")
        } else {
            format!("[{value}]{dots}")
        };
    }
    let short = a.get_short().map(|s| format!("-{s}, ")).unwrap_or_default();
    let long = a.get_long().map(|l| format!("--{l}")).unwrap_or_default();
    let value = if a.get_action().takes_values() {
        format!(" <{value}>")
    } else {
        String::new()
    };
    let name = format!("{short}{long}{value}");
    name
}

/// KEYS: every action with its keys in the built-in keymap, then the actors'.
fn keys(out: &mut dyn Write) -> io::Result<()> {
    let config = Config::built_in().map_err(|_| io::Error::other("the built-in config"))?;
    let strings = crate::i18n::Locales::embedded().get("en");
    writeln!(out, ".SH KEYS")?;
    paragraphs(
        "The keys of the built-in configuration; [keys] in your config changes them, and ? in the reader lists the ones in effect.",
        out,
    )?;
    for &action in Action::BINDABLE {
        let bound: Vec<String> = config
            .keymap
            .keys(action)
            .iter()
            .map(|&k| crate::config::keymap::config_name(k))
            .collect();
        writeln!(out, ".TP")?;
        writeln!(out, "\\fB{}\\fR", escape(&bound.join(", ")))?;
        writeln!(out, "{}", escape(strings.action(action)))?;
    }
    writeln!(out, ".PP")?;
    paragraphs(
        "Actor filters: the key shows only the actor's sections (again to stop); several active actors show the union. The same letter with Shift hides the actor instead.",
        out,
    )?;
    for actor in config.actors.iter().filter(|a| a.key.is_some()) {
        let key = actor.key.map(crate::config::keymap::config_name);
        writeln!(out, ".TP")?;
        writeln!(out, "\\fB{}\\fR", escape(&key.unwrap_or_default()))?;
        let also = if actor.aliases.is_empty() {
            String::new()
        } else {
            format!(" (also {})", actor.aliases.join(", "))
        };
        writeln!(out, "{}", escape(&format!("{}{also}", actor.name)))?;
    }
    Ok(())
}

/// CONFIGURATION, FILES, ENVIRONMENT, EXIT STATUS and SEE ALSO.
fn static_sections() -> String {
    let text = r#".SH CONFIGURATION
The built-in configuration is compiled in; the project's config.toml is that file, with a comment on every setting. Your own file overrides it key by key: put only what you change in it. A mistake stops the program before it touches the terminal, with exit status 2 and every problem of the file as path:line:col, in line order; unknown keys are warnings with a suggestion.
.TP
\fBlanguage\fR
"auto" (the locale, else the language of last time, else English), "en" or "de". A language given here or with --lang beats the one the reader was left in last time; that one is used only with "auto" when the locale names no language the reader has.
.TP
\fBcontent\fR, \fBbundled\fR
Content folders, read in order (relative to the config file; ~/ allowed), and whether to read the bundled edition as well (default: only when no folder is given). A folder that does not exist is an error.
.TP
\fBlibrary\fR
The library store's file (relative to the config file; ~/ allowed); --library PATH beats it, --no-store uses none.
.TP
\fBcolor\fR, \fBlinks\fR, \fBmouse\fR
Colour depth ("auto", "truecolor", "256", "16", "none"), OSC 8 hyperlinks ("auto", "always", "never"), and whether the reader takes the mouse (true) or leaves it to the terminal for selecting text (false).
.TP
\fB[theme]\fR, \fB[themes.NAME]\fR
The theme ("dark", "light", "high-contrast", "mono" or your own), per-element styles and actor colours.
.TP
\fB[[actors]]\fR
name, key, color, aliases, and labels (the name in another language: labels = { de = "Frankreich" }). An existing name changes that actor; a new name adds one. A name or alias belongs to one actor: a clash is an error.
.TP
\fB[keys]\fR
action = ["key", ...]. Key names: a character ("q", "G", "?"), space, enter, esc, tab, shift-tab, backspace, del, ins, up, down, left, right, home, end, pgup, pgdn, f1 to f24, with ctrl-, alt- or shift- in front. Anything else that is still understood ("Ctrl-C", "meta-q") is a warning naming the key it was read as. One key does one thing.
.TP
\fB[serve]\fR
Settings of aiwatch-tui serve: listen, host_key, authorized_keys, limits, and proxy_protocol (the networks of load balancers whose connections begin with a PROXY protocol header naming the client).
.SH FILES
.TP
\fB$XDG_CONFIG_HOME/aiwatch-tui/config.toml\fR
Your configuration (usually ~/.config/aiwatch-tui/config.toml); --config PATH picks another.
.TP
\fB$XDG_DATA_HOME/aiwatch-tui/library.sqlite\fR
The library store (usually ~/.local/share/aiwatch-tui/library.sqlite); --library PATH or library = "..." picks another, --no-store uses none. It holds what was parsed from the content folders, so an unchanged library is not parsed again, and the reading state: read marks, stars, sections seen and the last view. Deleting it loses only the reading state; the next start rebuilds it from the content folders. A damaged store (at the usual place, or named *.sqlite) is moved aside to library.sqlite.unreadable-N, with a notice; any other file that is not a store is left as it is and said; one written by a newer version, or another program's database, is left untouched and the content files are read directly.
.TP
\fB$XDG_STATE_HOME/aiwatch-tui/state.json\fR
The reading state with --no-store (usually ~/.local/state/aiwatch-tui/state.json); --state PATH picks another. Written atomically. A damaged state file (JSON or named *.json) is moved aside to state.json.corrupt-TIME, any other file it names is left as it is and nothing saved over it; a file written by a newer version is left untouched and nothing is saved. With a store, an existing state.json is copied into it once and renamed state.json.migrated.
.TP
\fB$XDG_DATA_HOME/aiwatch-tui/ssh_host_ed25519_key\fR
The host key of aiwatch-tui serve, made on first start.
.SH ENVIRONMENT
.TP
\fBLC_ALL\fR, \fBLC_MESSAGES\fR, \fBLANG\fR
The language when language = "auto" and no --lang is given: the first one set. A locale naming a language the reader has no words for (C, fr_FR) leaves the choice to the language the reader was left in last time, and to English when there is none.
.TP
\fBNO_COLOR\fR, \fBCOLORTERM\fR, \fBTERM\fR
Colour depth with color = "auto": NO_COLOR (any value) turns colour off, COLORTERM=truecolor gives 16 million colours, a TERM with 256 gives 256, anything else 16.
.TP
\fBBROWSER\fR, \fBDISPLAY\fR, \fBWAYLAND_DISPLAY\fR
Opening links: $BROWSER (else xdg-open or open) when there is a display; otherwise the link is copied.
.TP
\fBXDG_CONFIG_HOME\fR, \fBXDG_STATE_HOME\fR, \fBXDG_DATA_HOME\fR, \fBHOME\fR
Where the files above are.
.SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
A runtime error (the terminal failed, a file could not be written, the reader could not save its reading state), or warnings under check --strict.
.TP
\fB2\fR
Bad usage or input: a command-line error, config errors, a language the reader has no words for, a content folder that does not exist, content errors found by check, nothing readable for list, an unknown id for show, --since after --until.
.TP
\fB128+N\fR
The reader was stopped by signal N (143 for SIGTERM, 129 for a hang-up); it saved its state and restored the terminal first.
.SH "SEE ALSO"
The project's README.md, docs/cli.md (the list --format json schema), docs/content-format.md and docs/themes.md.
"#;
    text.lines()
        .map(|line| {
            if line.starts_with('.') {
                line.to_owned()
            } else {
                line.replace('-', "\\-")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Text as roff paragraphs: one per blank-line-separated block.
fn paragraphs(text: &str, out: &mut dyn Write) -> io::Result<()> {
    for (i, block) in text.split("\n\n").enumerate() {
        if i > 0 {
            writeln!(out, ".PP")?;
        }
        writeln!(out, "{}", escape(&block.replace('\n', " ")))?;
    }
    Ok(())
}

/// Escapes backslashes and hyphens, and a leading `.` or `'` that roff
/// would read as a request.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
