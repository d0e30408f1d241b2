//! Themes by meaning: widgets ask for a role (`heading`, `selection`, ...),
//! never for a colour. Built-in themes, per-role overrides from the config,
//! and colour parsing live here and nowhere else.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

pub use super::contrast::Backdrop;

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
    Match => "match": "Search matches in the reading pane",
    Unread => "unread": "Sections not read yet, in lists and the timeline",
    Star => "star": "The star of a starred section",
    Chart => "chart": "Bars of the activity chart when no actor is chosen",
}

impl Role {
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|r| r.name()).collect()
    }
}

/// A resolved theme: one style per role, and the actors' colours.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: Vec<Style>,
    /// The built-in theme this one starts from: its palette is asked again
    /// for each colour depth, since the nearest colour is not always a
    /// readable one.
    base: &'static str,
    /// The user's changes to the base, laid over it at every depth.
    patches: Vec<(Role, Style)>,
    /// Colours this theme gives actors (by lowercased name), over the
    /// colours in `[[actors]]`.
    pub actor_colors: Vec<(String, Color)>,
    /// Whether actors are shown in colour at all (`mono` says no).
    pub colored_actors: bool,
    /// The background the theme is made for (its contrast is measured
    /// against it).
    pub backdrop: Backdrop,
}

pub const BUILT_IN: &[&str] = &["dark", "light", "high-contrast", "mono"];

type Palette = fn(Role, ColorDepth) -> Style;

fn palette(name: &str) -> Option<(&'static str, Palette)> {
    Some(match name {
        "dark" => ("dark", dark),
        "light" => ("light", light),
        "high-contrast" => ("high-contrast", high_contrast),
        "mono" => ("mono", mono),
        _ => return None,
    })
}

impl Theme {
    pub fn built_in(name: &str) -> Option<Self> {
        palette(name).map(|(base, palette)| Self::from_base(base, palette))
    }

    fn from_base(base: &'static str, palette: Palette) -> Self {
        Self {
            name: base.to_owned(),
            styles: Role::ALL
                .iter()
                .map(|&r| palette(r, ColorDepth::TrueColor))
                .collect(),
            base,
            patches: Vec::new(),
            actor_colors: Vec::new(),
            colored_actors: base != "mono",
            backdrop: if base == "light" {
                Backdrop::Light
            } else {
                Backdrop::Dark
            },
        }
    }

    /// The default theme.
    pub fn dark() -> Self {
        Self::from_base("dark", dark)
    }

    /// The colour this theme gives an actor, if it overrides the config's.
    pub fn actor_color(&self, name: &str) -> Option<Color> {
        let key = name.to_lowercase();
        self.actor_colors
            .iter()
            .find(|(n, _)| *n == key)
            .map(|(_, c)| *c)
    }

    /// The colour the built-in base gives a bundled actor at `depth`, for
    /// actors whose colour the user did not choose.
    pub fn base_actor_color(&self, name: &str, depth: ColorDepth) -> Option<Color> {
        base_actor_colors(self.base, depth)
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, c)| *c)
    }

    /// Converts every colour to what a terminal of `depth` can show: the
    /// base palette's choice for that depth, the user's changes over it,
    /// each brought to the nearest colour the terminal has. With no colour
    /// at all, emphasis moves to modifiers so the selection, the focused
    /// pane and the section being read stay visible.
    pub fn adapt(&mut self, depth: ColorDepth) {
        if let Some((_, palette)) = palette(self.base) {
            for (slot, &role) in self.styles.iter_mut().zip(Role::ALL) {
                *slot = palette(role, depth);
            }
            for (role, patch) in &self.patches {
                let slot = &mut self.styles[*role as usize];
                *slot = slot.patch(*patch);
            }
        }
        for style in &mut self.styles {
            *style = adapt_style(*style, depth);
        }
        for (_, c) in &mut self.actor_colors {
            *c = adapt_color(*c, depth);
        }
        if depth == ColorDepth::None {
            for (role, modifier) in NO_COLOR_EMPHASIS {
                let slot = &mut self.styles[*role as usize];
                *slot = slot.add_modifier(*modifier);
            }
        }
    }

    pub fn style(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    /// Patches one role: set fields replace, unset ones stay.
    pub fn patch(&mut self, role: Role, patch: Style) {
        let slot = &mut self.styles[role as usize];
        *slot = slot.patch(patch);
        self.patches.push((role, patch));
    }
}

/// Where colour carried meaning, the modifier that carries it without colour.
const NO_COLOR_EMPHASIS: &[(Role, Modifier)] = &[
    (Role::Selection, Modifier::REVERSED),
    (Role::SelectionInactive, Modifier::UNDERLINED),
    (Role::BorderFocused, Modifier::BOLD),
    (Role::TitleFocused, Modifier::BOLD),
    (Role::Reading, Modifier::BOLD),
    (Role::Status, Modifier::REVERSED),
    (Role::FilterOn, Modifier::REVERSED),
    (Role::Link, Modifier::UNDERLINED),
    (Role::Year, Modifier::BOLD),
    (Role::Warning, Modifier::BOLD),
    (Role::Error, Modifier::BOLD),
    (Role::Match, Modifier::REVERSED),
    (Role::Unread, Modifier::BOLD),
];

fn fg(c: Color) -> Style {
    Style::new().fg(c)
}

/// Black that stays black in bold: many terminals (xterm by default) draw
/// bold text in the first eight colours in their bright twins, and bold
/// black becomes grey. Colour 16 of the 256-colour cube is exact; at 16
/// colours there is only the palette's.
fn black(depth: ColorDepth) -> Color {
    if depth <= ColorDepth::Ansi16 {
        Color::Black
    } else {
        Color::Indexed(16)
    }
}

/// A selected row with dark text on a light surface: at 16 colours, where
/// black can only be the palette's, no span on it is bold (the view takes
/// the row's removed modifiers from its spans), so that the text stays
/// black on terminals that brighten bold. Unread and read rows still
/// differ by their mark.
fn dark_text_row(style: Style, depth: ColorDepth) -> Style {
    if depth == ColorDepth::Ansi16 {
        style.remove_modifier(Modifier::BOLD)
    } else {
        style
    }
}

// The palettes. Each meets its contrast (docs/themes.md) at every depth
// against the background it is made for, with xterm's default palette for
// named colours; `tests/contrast.rs` checks the screens as drawn. Where the
// nearest of 16 colours would not be readable, a palette says what to use.

/// For dark backgrounds: named colours, so it follows the terminal's
/// palette, and a few greys of the 256-colour ramp for surfaces.
#[allow(clippy::match_same_arms)] // a palette reads best as one arm per role
fn dark(role: Role, depth: ColorDepth) -> Style {
    let bold = Modifier::BOLD;
    let ansi16 = depth <= ColorDepth::Ansi16;
    match role {
        Role::Base | Role::Body => Style::new(),
        Role::Border => fg(Color::DarkGray),
        Role::BorderFocused => fg(Color::Cyan),
        Role::Title => fg(Color::Gray),
        Role::TitleFocused => fg(Color::Cyan).add_modifier(bold),
        Role::Selection => dark_text_row(Style::new().fg(black(depth)).bg(Color::Cyan), depth),
        // Grey 237 would become black at 16 colours: the row would vanish.
        Role::SelectionInactive if ansi16 => {
            dark_text_row(Style::new().fg(Color::Black).bg(Color::DarkGray), depth)
        }
        Role::SelectionInactive => Style::new().fg(Color::White).bg(Color::Indexed(237)),
        Role::Reading => fg(Color::Yellow).add_modifier(bold),
        Role::Heading => fg(Color::White).add_modifier(bold),
        Role::Kicker => fg(Color::Cyan),
        Role::Meta | Role::Date => fg(Color::Gray),
        Role::Label | Role::Muted => fg(Color::DarkGray),
        Role::Topic => fg(Color::LightMagenta),
        Role::Link => fg(Color::LightCyan).add_modifier(Modifier::UNDERLINED),
        Role::Bullet => fg(Color::Cyan),
        Role::Count => fg(Color::Gray),
        Role::Year => fg(Color::Yellow).add_modifier(bold),
        Role::Month => fg(Color::Cyan),
        Role::Status => Style::new().fg(Color::Gray).bg(Color::Indexed(236)),
        Role::Key => fg(Color::Cyan).add_modifier(bold),
        Role::Warning => fg(Color::Yellow).add_modifier(bold),
        Role::Error if ansi16 => fg(Color::LightRed).add_modifier(bold),
        // Red of xterm's palette is too dark on black, LightRed on the
        // overlay's grey: a lighter red.
        Role::Error => fg(Color::Indexed(203)).add_modifier(bold),
        Role::Overlay => Style::new().fg(Color::White).bg(Color::Indexed(235)),
        Role::FilterOn => Style::new().add_modifier(Modifier::REVERSED | bold),
        Role::FilterOff => Style::new(),
        Role::Empty => fg(Color::Gray).add_modifier(Modifier::ITALIC),
        Role::Scrollbar => fg(Color::Cyan),
        Role::Match => Style::new().fg(Color::Black).bg(Color::Yellow),
        Role::Unread => Style::new().add_modifier(bold),
        Role::Star => fg(Color::Yellow),
        Role::Chart => fg(Color::Cyan),
    }
}

/// For light backgrounds: exact colours of the 256-colour palette (the
/// named ones that read on white are too few), and at 16 colours the
/// named colours that read on white in xterm's palette.
#[allow(clippy::match_same_arms)] // a palette reads best as one arm per role
fn light(role: Role, depth: ColorDepth) -> Style {
    let ansi16 = depth <= ColorDepth::Ansi16;
    let pick = |exact: u8, named: Color| {
        if ansi16 { named } else { Color::Indexed(exact) }
    };
    let blue = pick(25, Color::Blue);
    let grey = pick(240, Color::Black);
    let faint = pick(244, Color::DarkGray);
    let magenta = pick(127, Color::Magenta);
    let red = pick(124, Color::Red);
    let style = light_colors(role, depth, [blue, grey, faint, magenta, red]);
    if depth != ColorDepth::Ansi16 || style.fg.is_some_and(|c| !is_dark_palette(c)) {
        return style;
    }
    // At 16 colours every colour that reads on white is one of the first
    // eight, drawn bright (and too pale) in bold by many terminals: no
    // bold, and headings and years underlined instead.
    let style = style.remove_modifier(Modifier::BOLD);
    match role {
        Role::Heading | Role::Year => style.add_modifier(Modifier::UNDERLINED),
        _ => style,
    }
}

/// One of the first eight colours of the palette.
fn is_dark_palette(color: Color) -> bool {
    super::contrast::palette_index(color).is_some_and(|i| i < 8)
}

#[allow(clippy::match_same_arms)] // a palette reads best as one arm per role
fn light_colors(role: Role, depth: ColorDepth, colors: [Color; 5]) -> Style {
    let bold = Modifier::BOLD;
    let ansi16 = depth <= ColorDepth::Ansi16;
    let pick = |exact: u8, named: Color| {
        if ansi16 { named } else { Color::Indexed(exact) }
    };
    let [blue, grey, faint, magenta, red] = colors;
    let black = black(depth);
    match role {
        Role::Base | Role::Body => fg(black),
        Role::Border => fg(pick(248, Color::DarkGray)),
        Role::BorderFocused => fg(blue),
        Role::Title => fg(grey),
        Role::TitleFocused => fg(blue).add_modifier(bold),
        Role::Selection => Style::new().fg(Color::White).bg(blue),
        Role::SelectionInactive => Style::new().fg(black).bg(pick(252, Color::Gray)),
        Role::Reading => fg(magenta).add_modifier(bold),
        Role::Heading => fg(black).add_modifier(bold),
        Role::Kicker => fg(blue),
        Role::Meta | Role::Date | Role::Count => fg(grey),
        Role::Label | Role::Muted => fg(faint),
        Role::Topic => fg(magenta),
        Role::Link => fg(blue).add_modifier(Modifier::UNDERLINED),
        Role::Bullet => fg(blue),
        Role::Year => fg(red).add_modifier(bold),
        Role::Month => fg(blue),
        Role::Status => Style::new().fg(black).bg(pick(252, Color::Gray)),
        // Darker than `blue`, to read on the status line's grey too.
        Role::Key => fg(pick(19, Color::Blue)).add_modifier(bold),
        Role::Warning => fg(red).add_modifier(bold),
        Role::Error => fg(red).add_modifier(bold | Modifier::UNDERLINED),
        Role::Overlay => Style::new().fg(black).bg(pick(255, Color::Gray)),
        Role::FilterOn => Style::new().add_modifier(Modifier::REVERSED | bold),
        Role::FilterOff => Style::new(),
        Role::Empty => fg(grey).add_modifier(Modifier::ITALIC),
        Role::Scrollbar => fg(blue),
        Role::Match => Style::new().fg(black).bg(pick(229, Color::LightYellow)),
        Role::Unread => Style::new().add_modifier(bold),
        Role::Star => fg(magenta),
        Role::Chart => fg(blue),
    }
}

/// For low vision and bright rooms: named colours at their brightest on
/// black, strong surfaces, nothing below 4.5:1 (most pairs above 7:1).
#[allow(clippy::match_same_arms)] // a palette reads best as one arm per role
fn high_contrast(role: Role, depth: ColorDepth) -> Style {
    let bold = Modifier::BOLD;
    let black = black(depth);
    match role {
        Role::Base | Role::Body => fg(Color::White),
        Role::Border => fg(Color::White),
        Role::BorderFocused => fg(Color::LightYellow).add_modifier(bold),
        Role::Title => fg(Color::White).add_modifier(bold),
        Role::TitleFocused => fg(Color::LightYellow).add_modifier(bold),
        Role::Selection => dark_text_row(
            Style::new()
                .fg(black)
                .bg(Color::LightYellow)
                .add_modifier(bold),
            depth,
        ),
        Role::SelectionInactive => dark_text_row(Style::new().fg(black).bg(Color::White), depth),
        Role::Reading => fg(Color::LightYellow).add_modifier(bold | Modifier::UNDERLINED),
        Role::Heading => fg(Color::LightYellow).add_modifier(bold),
        Role::Kicker => fg(Color::LightCyan).add_modifier(bold),
        Role::Meta | Role::Date | Role::Count => fg(Color::White),
        Role::Label | Role::Muted => fg(Color::Gray),
        Role::Topic => fg(Color::LightMagenta),
        Role::Link => fg(Color::LightCyan).add_modifier(Modifier::UNDERLINED),
        Role::Bullet => fg(Color::LightYellow),
        Role::Year => fg(Color::LightYellow).add_modifier(bold | Modifier::UNDERLINED),
        Role::Month => fg(Color::LightCyan).add_modifier(bold),
        // Blue, so that keys and warnings in bright colours read on it as
        // they do on black.
        Role::Status => Style::new().fg(Color::White).bg(Color::Blue),
        Role::Key => fg(Color::LightCyan).add_modifier(bold),
        Role::Warning => fg(Color::LightYellow).add_modifier(bold),
        Role::Error => fg(Color::LightRed).add_modifier(bold | Modifier::REVERSED),
        Role::Overlay => Style::new().fg(Color::White).bg(Color::Black),
        Role::FilterOn => Style::new().add_modifier(Modifier::REVERSED | bold),
        Role::FilterOff => Style::new(),
        Role::Empty => fg(Color::White).add_modifier(Modifier::ITALIC),
        Role::Scrollbar => fg(Color::LightYellow),
        // Bold black only where black is exact (see `black`).
        Role::Match if depth == ColorDepth::Ansi16 => {
            Style::new().fg(Color::Black).bg(Color::LightCyan)
        }
        Role::Match => Style::new()
            .fg(black)
            .bg(Color::LightCyan)
            .add_modifier(bold),
        Role::Unread => fg(Color::White).add_modifier(bold),
        Role::Star => fg(Color::LightYellow).add_modifier(bold),
        Role::Chart => fg(Color::LightYellow),
    }
}

/// No colour at all: everything by bold, dim, reverse and underline.
#[allow(clippy::match_same_arms)] // a palette reads best as one arm per role
fn mono(role: Role, _depth: ColorDepth) -> Style {
    let s = Style::new();
    match role {
        Role::Base | Role::Body | Role::Meta | Role::Date | Role::Count | Role::Topic => s,
        Role::Kicker
        | Role::Bullet
        | Role::Month
        | Role::FilterOff
        | Role::Scrollbar
        | Role::Overlay => s,
        Role::Border | Role::Label | Role::Muted => s.add_modifier(Modifier::DIM),
        Role::Title => s,
        Role::BorderFocused | Role::TitleFocused | Role::Heading | Role::Key => {
            s.add_modifier(Modifier::BOLD)
        }
        Role::Selection | Role::Status => s.add_modifier(Modifier::REVERSED),
        Role::SelectionInactive => s.add_modifier(Modifier::UNDERLINED),
        Role::Reading => s.add_modifier(Modifier::BOLD),
        Role::Link => s.add_modifier(Modifier::UNDERLINED),
        Role::Year => s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        Role::Warning | Role::Error => s.add_modifier(Modifier::BOLD),
        Role::FilterOn => s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
        Role::Empty => s.add_modifier(Modifier::ITALIC),
        Role::Match => s.add_modifier(Modifier::REVERSED | Modifier::UNDERLINED),
        Role::Unread | Role::Star => s.add_modifier(Modifier::BOLD),
        Role::Chart => s,
    }
}

/// Colours a built-in theme gives the bundled actors (the colours in the
/// built-in `config.toml` are made for dark backgrounds). Actors with a
/// key differ by at least `contrast::ACTORS_APART`; at 16 colours on white
/// only five colours read, so some share one (docs/themes.md says which).
fn base_actor_colors(base: &str, depth: ColorDepth) -> &'static [(&'static str, Color)] {
    const LIGHT: &[(&str, Color)] = &[
        ("Musk", Color::Indexed(160)),
        ("OpenAI", Color::Indexed(28)),
        ("DeepSeek", Color::Indexed(27)),
        ("Altman", Color::Indexed(240)),
        ("Nvidia", Color::Indexed(94)),
        ("France", Color::Indexed(127)),
        ("Europe", Color::Indexed(18)),
        ("Germany", Color::Indexed(94)),
        ("Italy", Color::Indexed(162)),
        ("South Korea", Color::Indexed(90)),
        ("USA", Color::Indexed(24)),
        ("Investors", Color::Indexed(240)),
        ("Bret Taylor", Color::Indexed(22)),
    ];
    const LIGHT_16: &[(&str, Color)] = &[
        ("Musk", Color::Red),
        ("OpenAI", Color::Black),
        ("DeepSeek", Color::Blue),
        ("Altman", Color::Black),
        ("Nvidia", Color::Red),
        ("France", Color::Magenta),
        ("Europe", Color::LightBlue),
        ("Germany", Color::Red),
        ("Italy", Color::Magenta),
        ("South Korea", Color::Magenta),
        ("USA", Color::Blue),
        ("Investors", Color::Black),
        ("Bret Taylor", Color::Black),
    ];
    match (base, depth) {
        ("light", ColorDepth::None | ColorDepth::Ansi16) => LIGHT_16,
        ("light", _) => LIGHT,
        _ => &[],
    }
}

/// How many colours a terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    None,
    Ansi16,
    Ansi256,
    TrueColor,
}

impl ColorDepth {
    /// The config's `color` setting: `auto` (None here) or a fixed depth.
    pub fn from_setting(text: &str) -> Result<Option<Self>, UnknownDepth> {
        match text {
            "auto" => Ok(None),
            "truecolor" | "24bit" => Ok(Some(Self::TrueColor)),
            "256" => Ok(Some(Self::Ansi256)),
            "16" => Ok(Some(Self::Ansi16)),
            "none" => Ok(Some(Self::None)),
            _ => Err(UnknownDepth(text.to_owned())),
        }
    }

    /// What the environment says: `NO_COLOR` (any non-empty value, as
    /// no-color.org asks) means none, then
    /// `COLORTERM`, then `TERM`. `env` is a lookup so that a remote
    /// session can pass its own variables.
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> Self {
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Self::None;
        }
        let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return Self::TrueColor;
        }
        let term = env("TERM").unwrap_or_default().to_ascii_lowercase();
        let truecolor_terms = [
            "-direct",
            "kitty",
            "ghostty",
            "wezterm",
            "alacritty",
            "foot",
            "iterm",
        ];
        if truecolor_terms.iter().any(|t| term.contains(t)) {
            Self::TrueColor
        } else if term.contains("256") {
            Self::Ansi256
        } else if term == "dumb" {
            Self::None
        } else if term.is_empty() {
            Self::Ansi16
        } else {
            // xterm, screen, linux, vt220...: assume the 16 ANSI colours.
            Self::Ansi16
        }
    }
}

/// The 16 ANSI colours as xterm shows them, for nearest-colour matching.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// The RGB value of a 256-palette index (xterm's defaults).
pub fn indexed_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI16[usize::from(i)].1,
        16..=231 => {
            let n = i - 16;
            (
                CUBE[usize::from(n / 36)],
                CUBE[usize::from(n / 6 % 6)],
                CUBE[usize::from(n % 6)],
            )
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
    }
}

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    // Weighted for how the eye sees green and red more than blue.
    3 * d(a.0, b.0).pow(2) + 4 * d(a.1, b.1).pow(2) + 2 * d(a.2, b.2).pow(2)
}

/// The nearest 256-palette index to an RGB colour (cube or grey ramp).
pub fn nearest_256(rgb: (u8, u8, u8)) -> u8 {
    let step = |v: u8| {
        CUBE.iter()
            .enumerate()
            .min_by_key(|(_, c)| (i32::from(**c) - i32::from(v)).abs())
            .map_or(0, |(i, _)| i as u8)
    };
    let cube = 16 + 36 * step(rgb.0) + 6 * step(rgb.1) + step(rgb.2);
    let grey_level = (u16::from(rgb.0) + u16::from(rgb.1) + u16::from(rgb.2)) / 3;
    let grey = 232 + (grey_level.saturating_sub(8) / 10).min(23) as u8;
    [cube, grey]
        .into_iter()
        .min_by_key(|&i| distance(indexed_rgb(i), rgb))
        .unwrap_or(cube)
}

/// The nearest of the 16 ANSI colours.
pub fn nearest_16(rgb: (u8, u8, u8)) -> Color {
    ANSI16
        .iter()
        .min_by_key(|(_, c)| distance(*c, rgb))
        .map_or(Color::White, |(c, _)| *c)
}

/// A colour as a terminal of `depth` can show it.
pub fn adapt_color(color: Color, depth: ColorDepth) -> Color {
    match (depth, color) {
        (ColorDepth::None, _) => Color::Reset,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_256((r, g, b))),
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => nearest_16((r, g, b)),
        (ColorDepth::Ansi16, Color::Indexed(i)) if i >= 16 => nearest_16(indexed_rgb(i)),
        (ColorDepth::Ansi16, Color::Indexed(i)) => ANSI16[usize::from(i)].0,
        (_, c) => c,
    }
}

fn adapt_style(style: Style, depth: ColorDepth) -> Style {
    let mut out = style;
    out.fg = style
        .fg
        .map(|c| adapt_color(c, depth))
        .filter(|c| *c != Color::Reset || depth != ColorDepth::None);
    out.bg = style
        .bg
        .map(|c| adapt_color(c, depth))
        .filter(|c| *c != Color::Reset || depth != ColorDepth::None);
    if depth == ColorDepth::None {
        out.underline_color = None;
    }
    out
}

/// A `color` setting that is not a depth.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected \"auto\", \"truecolor\", \"256\", \"16\" or \"none\", found \"{}\"", crate::toml_doc::printable(.0))]
pub struct UnknownDepth(pub String);

/// A colour value that is none of the three forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColorError {
    #[error("expected a colour as #rrggbb, found \"{}\"", crate::toml_doc::printable(.0))]
    Hex(String),
    #[error("expected a colour index 0-255, found {0}")]
    Index(String),
    #[error("expected a colour name (such as \"yellow\"), an index 0-255 or #rrggbb, found \"{}\"", crate::toml_doc::printable(.0))]
    Name(String),
}

/// Parses a colour: a name (`yellow`, `darkgray`), an index (`238`) or hex (`#ff8800`).
pub fn parse_color(text: &str) -> Result<Color, ColorError> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ColorError::Hex(t.to_owned()));
        }
    } else if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
        return t
            .parse::<u8>()
            .map(Color::Indexed)
            .map_err(|_| ColorError::Index(t.to_owned()));
    }
    Color::from_str(t).map_err(|_| ColorError::Name(t.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of colours each built-in theme draws meets its limit at
    /// every depth, and actors with a key differ enough, except where 16
    /// colours on white leave too few (listed in docs/themes.md).
    #[test]
    fn every_built_in_theme_passes_its_audit_at_every_depth() {
        use crate::config::Config;
        use crate::config::contrast::audit;
        let mut all = Vec::new();
        for name in ["dark", "light", "high-contrast"] {
            for depth in [
                ColorDepth::TrueColor,
                ColorDepth::Ansi256,
                ColorDepth::Ansi16,
            ] {
                let text = format!("[theme]\nname = \"{name}\"\n");
                let mut config = Config::load(Some(("user.toml", &text))).unwrap();
                config.adapt_colors(depth);
                let findings: Vec<String> = audit(&config.theme, &config.actor_colors())
                    .iter()
                    .filter(|f| {
                        !(name == "light"
                            && depth == ColorDepth::Ansi16
                            && f.pair.starts_with("actors "))
                    })
                    .map(super::super::contrast::Finding::describe)
                    .collect();
                all.extend(findings.iter().map(|f| format!("{name} at {depth:?}: {f}")));
            }
        }
        assert!(all.is_empty(), "{}", all.join("\n"));
    }

    /// The palettes are asked again per depth, and the user's changes
    /// survive it: a patched role keeps the user's colour at 16 colours.
    #[test]
    fn a_users_change_outlives_the_depth_fall_back() {
        let mut theme = Theme::built_in("light").unwrap();
        theme.patch(Role::Heading, Style::new().fg(Color::Rgb(0x80, 0, 0)));
        theme.adapt(ColorDepth::Ansi16);
        assert_eq!(theme.style(Role::Heading).fg, Some(Color::Red));
        // And a role the user left alone takes the palette's 16-colour choice.
        assert_eq!(theme.style(Role::Meta).fg, Some(Color::Black));
        // The palette's modifiers stay: at 16 colours on white, headings
        // are underlined rather than bold (bold black may be drawn grey).
        assert_eq!(
            theme.style(Role::Heading).add_modifier,
            Modifier::UNDERLINED
        );
    }

    #[test]
    fn colours_come_down_to_the_terminal_depth() {
        let orange = Color::Rgb(0xff, 0x88, 0x00);
        assert_eq!(adapt_color(orange, ColorDepth::TrueColor), orange);
        assert_eq!(
            adapt_color(orange, ColorDepth::Ansi256),
            Color::Indexed(208)
        );
        assert_eq!(adapt_color(orange, ColorDepth::Ansi16), Color::Yellow);
        assert_eq!(
            adapt_color(Color::Rgb(30, 30, 30), ColorDepth::Ansi256),
            Color::Indexed(234)
        );
        assert_eq!(
            adapt_color(Color::Indexed(236), ColorDepth::Ansi16),
            Color::Black
        );
        assert_eq!(
            adapt_color(Color::Indexed(196), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(adapt_color(Color::Yellow, ColorDepth::None), Color::Reset);
    }

    #[test]
    fn depth_follows_no_color_colorterm_and_term() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            ColorDepth::detect(env(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")])),
            ColorDepth::None
        );
        assert_eq!(
            ColorDepth::detect(env(&[("COLORTERM", "truecolor"), ("TERM", "xterm")])),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "xterm-256color")])),
            ColorDepth::Ansi256
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "tmux-256color")])),
            ColorDepth::Ansi256
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "xterm-kitty")])),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "xterm")])),
            ColorDepth::Ansi16
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "screen")])),
            ColorDepth::Ansi16
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "dumb")])),
            ColorDepth::None
        );
    }

    #[test]
    fn without_colour_the_selection_is_still_visible() {
        let mut theme = Theme::built_in("dark").unwrap();
        theme.adapt(ColorDepth::None);
        for role in Role::ALL {
            let s = theme.style(*role);
            assert!(s.fg.is_none() && s.bg.is_none(), "{role:?}");
        }
        assert!(
            theme
                .style(Role::Selection)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
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
