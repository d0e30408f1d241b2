//! Generated documentation stays true: docs/themes.md lists every element
//! of every built-in theme as the code defines it (regenerate with
//! `UPDATE_DOCS=1 cargo test --test docs`), and docs/deploy.md shows the
//! files of deploy/ as they are.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::fmt::Write as _;

use aiwatch_tui::config::contrast::{self, ACTORS_APART, MUTED, TEXT};
use aiwatch_tui::config::theme::BUILT_IN;
use aiwatch_tui::config::{ColorDepth, Config, Role, Theme};
use ratatui::style::{Color, Style};

fn describe(style: Style) -> String {
    let color = |c: Option<Color>| c.map_or_else(|| "·".to_owned(), |c| format!("`{c}`"));
    let modifiers = format!("{:?}", style.add_modifier)
        .to_lowercase()
        .replace(" | ", ", ");
    let modifiers = if modifiers == "none" {
        "·".to_owned()
    } else {
        modifiers
    };
    format!("{} | {} | {}", color(style.fg), color(style.bg), modifiers)
}

fn themes_page() -> String {
    let mut out = String::from(
        "# Built-in themes\n\n\
         Generated from the code by `UPDATE_DOCS=1 cargo test --test docs`; a test keeps it true.\n\n\
         Choose one with `[theme] name = \"...\"` in `config.toml`. Any element can be changed under\n\
         `[theme.styles]`, and whole themes can be defined under `[themes.NAME]` on one of these as\n\
         `base`. `·` means \"the terminal's default\". Colours are brought down to what the terminal\n\
         shows (`color` setting); without colour (`NO_COLOR`, `color = \"none\"`) the selection is\n\
         reversed, the other panes' selection underlined, focus and the section being read bold.\n\n\
         - **dark**: for dark terminal backgrounds; the default.\n\
         - **light**: for light backgrounds.\n\
         - **high-contrast**: bright colours and strong selection, for low vision or bright rooms.\n\
         - **mono**: no colour at all, emphasis by bold, dim, underline and reverse; actors shown by\n  their key letter only.\n",
    );
    out.push_str(&contrast_section());
    for name in BUILT_IN {
        let theme = Theme::built_in(name).unwrap();
        writeln!(out, "\n## {name}\n\n| element | meaning | foreground | background | modifiers |\n|---|---|---|---|---|").unwrap();
        for role in Role::ALL {
            writeln!(
                out,
                "| `{}` | {} | {} |",
                role.name(),
                role.describe(),
                describe(theme.style(*role))
            )
            .unwrap();
        }
    }
    out
}

/// What each colour theme guarantees, measured from the code.
fn contrast_section() -> String {
    let mut out = format!(
        "\n## Contrast\n\n\
         Every colour theme meets, against the background it is made for, a WCAG contrast of at\n\
         least {TEXT}:1 for text and {MUTED}:1 for muted text and labels (`muted`, `label`), at truecolor,\n\
         256 and 16 colours. Actors with a filter key differ from each other by a CIEDE2000 colour\n\
         difference of at least {ACTORS_APART} (about red against orange), so their letters side by side are\n\
         told apart at a glance; the one exception is below. `tests/contrast.rs` draws the reader's\n\
         screens (start, filters, search with matches, help, warnings, the chart, every pane focused, a\n\
         selected row of each kind) through the real output, replays them into a terminal emulator\n\
         and measures every letter and digit.\n\n\
         Colours are measured as xterm's default palette shows them; the terminal's own default colours\n\
         are taken as light grey (229) on black for **dark** and **high-contrast**, black on white for\n\
         **light**. On a selected row every letter takes the selection's text colour (keeping its bold\n\
         or underline), so the selection's own pair is the one that counts.\n\n\
         Each pair is measured twice: as written, and as a terminal shows it that draws bold text in\n\
         one of the first eight colours in its bright twin (xterm does by default, `boldColors`): bold\n\
         black becomes grey. The lower of the two counts. So where a theme needs bold dark text, it\n\
         uses an exact colour at truecolor and 256 colours (colour 16 of the 256-colour cube for\n\
         black), and at 16 colours, where black can only be the palette's, no bold on it: a selected\n\
         row with dark text drops the bold of its letters (unread rows keep their mark), and **light**\n\
         has no bold at 16 colours, with headings and years underlined instead.\n\n\
         - **dark** and **high-contrast** use named colours, so they follow your terminal's palette\n\
         \x20 (the figures hold for xterm's; a palette with a darker blue or red may differ), and a few\n\
         \x20 fixed colours of the 256-colour palette for surfaces (`status`, `overlay`,\n\
         \x20 `selection_inactive`) and `error`.\n\
         - **light** uses exact colours of the 256-colour palette at truecolor and 256 colours (too few\n\
         \x20 named colours read on white) and named colours at 16, chosen for 16 colours rather than the\n\
         \x20 nearest, which would not always read.\n\
         - **mono** has no colours: the terminal's own pair, with bold, dim, underline and reverse.\n\n\
         The lowest contrast of any pair each theme draws, and the closest two actors with a key:\n\n\
         | theme | colours | text (at least {TEXT}:1) | muted (at least {MUTED}:1) | actors (ΔE at least {ACTORS_APART}) |\n\
         |---|---|---|---|---|\n"
    );
    let mut shared = Vec::new();
    for name in ["dark", "light", "high-contrast"] {
        for (depth, label) in [
            (ColorDepth::TrueColor, "truecolor"),
            (ColorDepth::Ansi256, "256"),
            (ColorDepth::Ansi16, "16"),
        ] {
            let mut config = Config::load(Some((
                "user.toml",
                &format!("[theme]\nname = \"{name}\"\n"),
            )))
            .unwrap();
            config.adapt_colors(depth);
            let pairs = contrast::measure(&config.theme, &config.actor_colors());
            let lowest = |keep: &dyn Fn(&contrast::Finding) -> bool| {
                pairs
                    .iter()
                    .filter(|f| keep(f))
                    .min_by(|a, b| a.value.total_cmp(&b.value))
                    .map_or_else(
                        || "·".to_owned(),
                        |f| format!("{:.1} ({})", f.value, f.pair),
                    )
            };
            let is_actors = |f: &contrast::Finding| f.pair.starts_with("actors ");
            writeln!(
                out,
                "| {name} | {label} | {} | {} | {} |",
                lowest(&|f| !is_actors(f) && f.limit == TEXT),
                lowest(&|f| f.limit == MUTED),
                lowest(&is_actors),
            )
            .unwrap();
            shared.extend(
                pairs
                    .iter()
                    .filter(|f| is_actors(f) && f.value < f.limit)
                    .map(|f| format!("{name} at {label} colours: {}", f.describe())),
            );
        }
    }
    out.push_str(
        "\nThe exception: on white, only five of xterm's 16 colours read as text (black, blue, red,\n\
         magenta, light blue), so **light** at 16 colours gives some actors the same colour; their\n\
         letters still tell them apart.\n\n",
    );
    for line in shared {
        writeln!(out, "- {line}").unwrap();
    }
    out.push_str(
        "\n### Your own themes\n\n\
         A theme you change under `[theme.styles]`, `[theme.actors]` or `[themes.NAME]` is checked\n\
         the same way when the configuration is read, with the colours as written (named colours as\n\
         xterm shows them), and if `color` fixes a depth of 256 or 16 colours, also as brought down to\n\
         it (`selection at 16 colours: 3.2:1`). Every pair your entries bring below its limit is a\n\
         warning at your line (once, the depth named if only it falls short),\n\
         naming the pair and its ratio, and the theme is used as you wrote it (you may know your\n\
         terminal's palette better):\n\n\
         ```text\n\
         config.toml:8:13: warning: [theme.styles] selection: 1.1:1 (at least 4.5:1)\n\
         config.toml:11:1: warning: [theme.actors] actors Musk and OpenAI: ΔE 1.8 (at least 20)\n\
         ```\n\n\
         `aiwatch-tui check` lists them; in the reader they are counted on the status line and shown\n\
         with `!`. A pair is named as the element, then what it is drawn on: `heading on selection`,\n\
         `key on status`, `actor Musk on background`.\n",
    );
    out
}

#[test]
fn themes_page_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/themes.md");
    let page = themes_page();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &page).unwrap();
    }
    let written = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        written == page,
        "docs/themes.md is out of date: run UPDATE_DOCS=1 cargo test --test docs"
    );
}

/// The text of every fenced block of `page` whose info string is `info`.
fn fenced(page: &str, info: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut open: Option<String> = None;
    for line in page.lines() {
        match &mut open {
            Some(block) if line == "```" => {
                blocks.push(std::mem::take(block));
                open = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None if line == format!("```{info}") => open = Some(String::new()),
            None => {}
        }
    }
    blocks
}

/// docs/deploy.md shows the shipped HAProxy config (the one tests/fleet.rs
/// runs) and systemd unit as they are, byte for byte.
#[test]
fn deploy_page_shows_the_shipped_files() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).unwrap();
    let page = read("docs/deploy.md");
    for (info, path) in [
        ("haproxy", "deploy/haproxy.cfg"),
        ("ini", "deploy/aiwatch-tui-serve@.service"),
    ] {
        assert_eq!(
            fenced(&page, info),
            [read(path)],
            "docs/deploy.md's ```{info} block is not {path}"
        );
    }
}
