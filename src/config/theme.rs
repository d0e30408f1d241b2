//! Themes by meaning: widgets ask for a role (`heading`, `selection`, ...),
//! never for a colour. Built-in themes, per-role overrides from the config,
//! and colour parsing live here and nowhere else.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

macro_rules! roles {
    ($($variant:ident => $name:literal: $doc:literal,)*) => {
        /// A thing the reader draws, styled by the theme.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Role {
            $(#[doc = $doc] $variant,)*
        }

        impl Role {
            pub const ALL: &[Self] = &[$(Self::$variant,)*];

            /// The element's name under `[theme.styles]`.
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            pub fn describe(self) -> &'static str {
                match self { $(Self::$variant => $doc,)* }
            }
        }
    };
}

roles! {
    Base => "base": "Background and default text of every pane",
    Border => "border": "Pane borders",
    BorderFocused => "border_focused": "The border of the pane with focus",
    Title => "title": "Pane titles",
    TitleFocused => "title_focused": "The title of the pane with focus",
    Selection => "selection": "The selected row in the pane with focus",
    SelectionInactive => "selection_inactive": "The selected row in other panes",
    Reading => "reading": "The timeline row of the section being read",
    Heading => "heading": "Section headings in the reading pane",
    Kicker => "kicker": "The article title above a heading",
    Meta => "meta": "Dates, sources and other metadata",
    Label => "label": "Labels such as \"Topics:\"",
    Topic => "topic": "Topic names in the reading pane",
    Link => "link": "URLs",
    Body => "body": "Body text",
    Bullet => "bullet": "List bullets",
    Muted => "muted": "Less important text, such as topics with no sections",
    Count => "count": "Section counts in the topic list",
    Year => "year": "Year headers in the timeline",
    Month => "month": "Month headers in the timeline",
    Date => "date": "Dates in the timeline",
    Status => "status": "The status line",
    Key => "key": "Key names in hints and help",
    Warning => "warning": "Warnings and skipped-file notices",
    Error => "error": "Errors",
    Overlay => "overlay": "Help and warning overlays",
    FilterOn => "filter_on": "An actor filter that is active",
    FilterOff => "filter_off": "An actor filter that is not active",
    Empty => "empty": "Empty states (\"nothing matches\")",
    Scrollbar => "scrollbar": "The reading pane's scroll position",
}

impl Role {
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|r| r.name()).collect()
    }
}

/// A resolved theme: one style per role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: Vec<Style>,
}

pub const BUILT_IN: &[&str] = &["dark", "light"];

impl Theme {
    pub fn built_in(name: &str) -> Option<Self> {
        let palette: fn(Role) -> Style = match name {
            "dark" => dark,
            "light" => light,
            _ => return None,
        };
        Some(Self::from_palette(name, palette))
    }

    /// The default theme.
    pub fn dark() -> Self {
        Self::from_palette("dark", dark)
    }

    fn from_palette(name: &str, palette: fn(Role) -> Style) -> Self {
        Self {
            name: name.to_owned(),
            styles: Role::ALL.iter().map(|&r| palette(r)).collect(),
        }
    }

    pub fn style(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    /// Patches one role: set fields replace, unset ones stay.
    pub fn patch(&mut self, role: Role, patch: Style) {
        let slot = &mut self.styles[role as usize];
        *slot = slot.patch(patch);
    }
}

fn fg(c: Color) -> Style {
    Style::new().fg(c)
}

#[allow(clippy::match_same_arms)] // a palette reads best as one arm per role
fn dark(role: Role) -> Style {
    let bold = Modifier::BOLD;
    match role {
        Role::Base | Role::Body => Style::new(),
        Role::Border => fg(Color::DarkGray),
        Role::BorderFocused => fg(Color::Cyan),
        Role::Title => fg(Color::Gray),
        Role::TitleFocused => fg(Color::Cyan).add_modifier(bold),
        Role::Selection => Style::new().fg(Color::Black).bg(Color::Cyan),
        Role::SelectionInactive => Style::new().bg(Color::Indexed(237)),
        Role::Reading => fg(Color::Yellow).add_modifier(bold),
        Role::Heading => fg(Color::White).add_modifier(bold),
        Role::Kicker => fg(Color::Cyan),
        Role::Meta | Role::Date => fg(Color::Gray),
        Role::Label | Role::Muted => fg(Color::DarkGray),
        Role::Topic => fg(Color::Magenta),
        Role::Link => fg(Color::Blue).add_modifier(Modifier::UNDERLINED),
        Role::Bullet => fg(Color::Cyan),
        Role::Count => fg(Color::Gray),
        Role::Year => fg(Color::Yellow).add_modifier(bold),
        Role::Month => fg(Color::Cyan),
        Role::Status => Style::new().fg(Color::Gray).bg(Color::Indexed(236)),
        Role::Key => fg(Color::Cyan).add_modifier(bold),
        Role::Warning => fg(Color::Yellow).add_modifier(bold),
        Role::Error => fg(Color::Red).add_modifier(bold),
        Role::Overlay => Style::new().fg(Color::White).bg(Color::Indexed(235)),
        Role::FilterOn => Style::new().add_modifier(Modifier::REVERSED | bold),
        Role::FilterOff => Style::new(),
        Role::Empty => fg(Color::Gray).add_modifier(Modifier::ITALIC),
        Role::Scrollbar => fg(Color::Cyan),
    }
}

#[allow(clippy::match_same_arms)] // a palette reads best as one arm per role
fn light(role: Role) -> Style {
    let bold = Modifier::BOLD;
    match role {
        Role::Base | Role::Body => Style::new().fg(Color::Black),
        Role::Border => fg(Color::Gray),
        Role::BorderFocused => fg(Color::Blue),
        Role::Title => fg(Color::DarkGray),
        Role::TitleFocused => fg(Color::Blue).add_modifier(bold),
        Role::Selection => Style::new().fg(Color::White).bg(Color::Blue),
        Role::SelectionInactive => Style::new().bg(Color::Indexed(254)),
        Role::Reading => fg(Color::Magenta).add_modifier(bold),
        Role::Heading => fg(Color::Black).add_modifier(bold),
        Role::Kicker => fg(Color::Blue),
        Role::Meta | Role::Date | Role::Count => fg(Color::DarkGray),
        Role::Label | Role::Muted => fg(Color::Gray),
        Role::Topic => fg(Color::Magenta),
        Role::Link => fg(Color::Blue).add_modifier(Modifier::UNDERLINED),
        Role::Bullet => fg(Color::Blue),
        Role::Year => fg(Color::Red).add_modifier(bold),
        Role::Month => fg(Color::Blue),
        Role::Status => Style::new().fg(Color::Black).bg(Color::Indexed(252)),
        Role::Key => fg(Color::Blue).add_modifier(bold),
        Role::Warning => fg(Color::Indexed(130)).add_modifier(bold),
        Role::Error => fg(Color::Red).add_modifier(bold),
        Role::Overlay => Style::new().fg(Color::Black).bg(Color::Indexed(255)),
        Role::FilterOn => Style::new().add_modifier(Modifier::REVERSED | bold),
        Role::FilterOff => Style::new(),
        Role::Empty => fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
        Role::Scrollbar => fg(Color::Blue),
    }
}

/// Parses a colour: a name (`yellow`, `darkgray`), an index (`238`) or hex (`#ff8800`).
pub fn parse_color(text: &str) -> Result<Color, String> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("expected a colour as #rrggbb, found \"{t}\""));
        }
    } else if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
        return t
            .parse::<u8>()
            .map(Color::Indexed)
            .map_err(|_| format!("expected a colour index 0-255, found {t}"));
    }
    Color::from_str(t).map_err(|_| {
        format!(
            "expected a colour name (such as \"yellow\"), an index 0-255 or #rrggbb, found \"{}\"",
            crate::toml_doc::printable(t)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_styles_every_role() {
        for name in BUILT_IN {
            let theme = Theme::built_in(name).unwrap();
            assert_eq!(theme.styles.len(), Role::ALL.len());
        }
    }

    #[test]
    fn colours_parse_in_three_forms() {
        assert_eq!(parse_color("yellow"), Ok(Color::Yellow));
        assert_eq!(parse_color("238"), Ok(Color::Indexed(238)));
        assert_eq!(parse_color("#ff8800"), Ok(Color::Rgb(255, 136, 0)));
        assert!(parse_color("#ff88").is_err());
        assert!(parse_color("256").is_err());
        assert!(parse_color("chartreuse-ish").is_err());
    }
}
