//! Generated documentation stays true: docs/themes.md lists every element
//! of every built-in theme as the code defines it. Regenerate with
//! `UPDATE_DOCS=1 cargo test --test docs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::fmt::Write as _;

use aiwatch_tui::config::theme::BUILT_IN;
use aiwatch_tui::config::{Role, Theme};
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
