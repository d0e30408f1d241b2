//! Whether a theme can be read: colours as a terminal shows them (xterm's
//! default palette for named and indexed colours, the theme's intended
//! background for the terminal's defaults), WCAG contrast ratios, CIEDE2000
//! colour differences, and the audit of every pair of colours a theme puts
//! on screen. Pure arithmetic; nothing here draws or reads files.

use ratatui::style::{Color, Modifier, Style};

use super::theme::{Role, Theme, indexed_rgb};

/// Red, green and blue, 0-255.
pub type Rgb = (u8, u8, u8);

/// Least contrast for text (WCAG 2 level AA for normal text).
pub const TEXT: f64 = 4.5;
/// Least contrast for muted text and labels (WCAG 2 for large text and
/// user-interface components).
pub const MUTED: f64 = 3.0;
/// Least CIEDE2000 difference between two actors with a filter key: their
/// letters stand side by side in the timeline and the header, and must be
/// told apart at a glance (a difference of 2 is just noticeable side by
/// side; 20 is about red against orange).
pub const ACTORS_APART: f64 = 20.0;

/// The background a theme is made for; the terminal's default colours are
/// taken to be these when measuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backdrop {
    /// Black background, light grey text (xterm's colour 7).
    Dark,
    /// White background, black text.
    Light,
}

impl Backdrop {
    pub fn background(self) -> Rgb {
        match self {
            Self::Dark => (0, 0, 0),
            Self::Light => (255, 255, 255),
        }
    }

    pub fn foreground(self) -> Rgb {
        match self {
            Self::Dark => (229, 229, 229),
            Self::Light => (0, 0, 0),
        }
    }
}

/// A colour's RGB value under xterm's default palette; `None` for the
/// terminal's default.
pub fn rgb(color: Color) -> Option<Rgb> {
    match color {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        c => palette_index(c).map(indexed_rgb),
    }
}

/// How a terminal draws bold text whose colour is one of the first eight
/// of its palette: as it is, or in that colour's bright twin (8-15), as
/// xterm does by default (`boldColors`) and many terminals still do.
/// A theme must read both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bold {
    AsIs,
    Bright,
}

/// The palette index of a named or indexed colour.
pub fn palette_index(color: Color) -> Option<u8> {
    Some(match color {
        Color::Reset | Color::Rgb(..) => return None,
        Color::Indexed(i) => i,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    })
}

/// The text and background colours a terminal shows for a style drawn
/// over the terminal's defaults: unset colours are the backdrop's, and
/// `reversed` swaps them.
pub fn shown(style: Style, backdrop: Backdrop) -> (Rgb, Rgb) {
    shown_with(style, backdrop, Bold::AsIs)
}

/// As `shown`, on a terminal that draws bold text as `bold` says.
pub fn shown_with(style: Style, backdrop: Backdrop, bold: Bold) -> (Rgb, Rgb) {
    let brightened = bold == Bold::Bright && style.add_modifier.contains(Modifier::BOLD);
    let fg = style
        .fg
        .map(|c| match palette_index(c) {
            Some(i @ 0..=7) if brightened => Color::Indexed(i + 8),
            _ => c,
        })
        .and_then(rgb)
        .unwrap_or_else(|| backdrop.foreground());
    let bg = style
        .bg
        .and_then(rgb)
        .unwrap_or_else(|| backdrop.background());
    if style.add_modifier.contains(Modifier::REVERSED) {
        (bg, fg)
    } else {
        (fg, bg)
    }
}

fn linear(channel: u8) -> f64 {
    let c = f64::from(channel) / 255.0;
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// WCAG relative luminance, 0 (black) to 1 (white).
pub fn luminance((r, g, b): Rgb) -> f64 {
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// WCAG contrast ratio, 1 (same) to 21 (black on white).
pub fn ratio(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// CIE L*a*b* (D65) of an sRGB colour.
#[allow(clippy::many_single_char_names)] // the colour science names
fn lab((r, g, b): Rgb) -> (f64, f64, f64) {
    let (r, g, b) = (linear(r), linear(g), linear(b));
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
    let f = |t: f64| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    (116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz))
}

/// The CIEDE2000 difference between two colours.
pub fn delta_e(a: Rgb, b: Rgb) -> f64 {
    delta_e_lab(lab(a), lab(b))
}

/// CIEDE2000 on L*a*b* values (Sharma, Wu and Dalal, 2005).
#[allow(clippy::many_single_char_names, clippy::similar_names)] // the paper's names
fn delta_e_lab((l1, a1, b1): (f64, f64, f64), (l2, a2, b2): (f64, f64, f64)) -> f64 {
    let pow7 = |v: f64| v.powi(7);
    let c_bar = f64::midpoint(a1.hypot(b1), a2.hypot(b2));
    let g = 0.5 * (1.0 - (pow7(c_bar) / (pow7(c_bar) + pow7(25.0))).sqrt());
    let (a1p, a2p) = ((1.0 + g) * a1, (1.0 + g) * a2);
    let (c1p, c2p) = (a1p.hypot(b1), a2p.hypot(b2));
    let hue = |b: f64, a: f64| {
        if b == 0.0 && a == 0.0 {
            0.0
        } else {
            b.atan2(a).to_degrees().rem_euclid(360.0)
        }
    };
    let (h1p, h2p) = (hue(b1, a1p), hue(b2, a2p));
    let dl = l2 - l1;
    let dc = c2p - c1p;
    let chroma_zero = c1p * c2p == 0.0;
    let dh = if chroma_zero {
        0.0
    } else if (h2p - h1p).abs() <= 180.0 {
        h2p - h1p
    } else if h2p <= h1p {
        h2p - h1p + 360.0
    } else {
        h2p - h1p - 360.0
    };
    let dh_big = 2.0 * (c1p * c2p).sqrt() * (dh.to_radians() / 2.0).sin();
    let l_bar = f64::midpoint(l1, l2);
    let c_bar_p = f64::midpoint(c1p, c2p);
    let h_bar = if chroma_zero {
        h1p + h2p
    } else if (h1p - h2p).abs() <= 180.0 {
        f64::midpoint(h1p, h2p)
    } else if h1p + h2p < 360.0 {
        (h1p + h2p + 360.0) / 2.0
    } else {
        (h1p + h2p - 360.0) / 2.0
    };
    let cos = |deg: f64| deg.to_radians().cos();
    let t =
        1.0 - 0.17 * cos(h_bar - 30.0) + 0.24 * cos(2.0 * h_bar) + 0.32 * cos(3.0 * h_bar + 6.0)
            - 0.20 * cos(4.0 * h_bar - 63.0);
    let d_theta = 30.0 * (-((h_bar - 275.0) / 25.0).powi(2)).exp();
    let r_c = 2.0 * (pow7(c_bar_p) / (pow7(c_bar_p) + pow7(25.0))).sqrt();
    let s_l = 1.0 + 0.015 * (l_bar - 50.0).powi(2) / (20.0 + (l_bar - 50.0).powi(2)).sqrt();
    let s_c = 1.0 + 0.045 * c_bar_p;
    let s_h = 1.0 + 0.015 * c_bar_p * t;
    let r_t = -(2.0 * d_theta).to_radians().sin() * r_c;
    let (l, c, h) = (dl / s_l, dc / s_c, dh_big / s_h);
    (l * l + c * c + h * h + r_t * c * h).sqrt()
}

/// One pair of colours, measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The pair, as the user would name it: `heading on selection`,
    /// `actor Musk on background`, `actors Musk and Altman`.
    pub pair: String,
    /// The contrast ratio, or for two actors their CIEDE2000 difference.
    pub value: f64,
    pub limit: f64,
    /// The theme elements involved (to point at the user's line).
    pub roles: Vec<Role>,
    /// The actors involved, by name.
    pub actors: Vec<String>,
    /// Whether the value is for a terminal that draws bold text bright
    /// (the lower of the two ways).
    pub bold_bright: bool,
}

impl Finding {
    /// `heading on selection: 1.4:1 (at least 4.5:1)`, or for actors
    /// `actors Musk and Altman: ΔE 8.1 (at least 20)`.
    pub fn describe(&self) -> String {
        if self.pair.starts_with("actors ") {
            format!(
                "{}: ΔE {:.1} (at least {})",
                self.pair, self.value, self.limit
            )
        } else {
            let bright = if self.bold_bright {
                " with bold drawn bright"
            } else {
                ""
            };
            format!(
                "{}{bright}: {:.1}:1 (at least {}:1)",
                self.pair, self.value, self.limit
            )
        }
    }
}

/// An actor as the audit sees it.
pub struct ActorColor<'a> {
    pub name: &'a str,
    pub color: Color,
    /// Actors with a filter key are shown as letters side by side, so
    /// they must differ from each other as well.
    pub keyed: bool,
}

/// Text roles drawn on the theme's background.
const ON_BACKGROUND: &[Role] = &[
    Role::Base,
    Role::Title,
    Role::TitleFocused,
    Role::Reading,
    Role::Heading,
    Role::Kicker,
    Role::Meta,
    Role::Label,
    Role::Topic,
    Role::Link,
    Role::Body,
    Role::Bullet,
    Role::Muted,
    Role::Count,
    Role::Year,
    Role::Month,
    Role::Date,
    Role::Key,
    Role::Warning,
    Role::Error,
    Role::Empty,
    Role::Match,
    Role::Unread,
    Role::Star,
    Role::Selection,
    Role::SelectionInactive,
    Role::Status,
    Role::Overlay,
];

/// What the timeline and topic rows draw, when a selection does not set
/// a text colour of its own and so leaves theirs.
const ON_ROWS: &[Role] = &[
    Role::Base,
    Role::Reading,
    Role::Muted,
    Role::Count,
    Role::Year,
    Role::Month,
    Role::Date,
    Role::Unread,
    Role::Star,
];

/// What the status line draws over its own style.
const ON_STATUS: &[Role] = &[Role::Key, Role::Warning];

/// What help and warning overlays draw over their own style.
const ON_OVERLAY: &[Role] = &[
    Role::TitleFocused,
    Role::Heading,
    Role::Key,
    Role::Meta,
    Role::Muted,
    Role::Warning,
    Role::Error,
];

/// What the reading pane draws over the `body` style.
const ON_BODY: &[Role] = &[
    Role::Heading,
    Role::Kicker,
    Role::Meta,
    Role::Label,
    Role::Topic,
    Role::Link,
    Role::Bullet,
    Role::Warning,
    Role::Match,
];

/// The limit for a role: muted text and labels may be fainter.
fn limit(role: Role) -> f64 {
    match role {
        Role::Muted | Role::Label => MUTED,
        _ => TEXT,
    }
}

/// Every pair of colours the theme puts on screen that is below its limit,
/// with the theme's colours as they are (bring them to a depth first with
/// `Theme::adapt` to audit what a terminal of that depth shows).
pub fn audit(theme: &Theme, actors: &[ActorColor<'_>]) -> Vec<Finding> {
    let mut out = measure(theme, actors);
    out.retain(|f| f.value < f.limit);
    out
}

/// Every pair of colours the theme puts on screen, with its contrast (or
/// for two actors, their difference) and its limit.
pub fn measure(theme: &Theme, actors: &[ActorColor<'_>]) -> Vec<Finding> {
    let mut out = Vec::new();
    if !theme.colored_actors {
        // Attributes only (`mono`): the terminal's own colours decide.
        return out;
    }
    let backdrop = theme.backdrop;
    let base = theme.style(Role::Base);
    let check = |pair: String, style: Style, limit: f64, roles: Vec<Role>, names: Vec<String>| {
        measure_pair(backdrop, pair, style, limit, roles, names)
    };
    for &role in ON_BACKGROUND {
        out.push(check(
            role.name().to_owned(),
            base.patch(theme.style(role)),
            limit(role),
            vec![role],
            Vec::new(),
        ));
    }
    for actor in actors {
        let style = base.fg(actor.color);
        out.push(check(
            format!("actor {} on background", actor.name),
            style,
            TEXT,
            Vec::new(),
            vec![actor.name.to_owned()],
        ));
        // An active filter shows the actor's chip reversed (and bold,
        // which may brighten the actor's colour under the text).
        out.push(check(
            format!("actor {} on filter_on", actor.name),
            style.patch(theme.style(Role::FilterOn)),
            TEXT,
            vec![Role::FilterOn],
            vec![actor.name.to_owned()],
        ));
    }
    for surface in [Role::Selection, Role::SelectionInactive] {
        let own = theme.style(surface);
        let row = base.patch(own);
        let plain = check(String::new(), row, TEXT, Vec::new(), Vec::new()).value;
        for &role in ON_ROWS {
            // As the view draws a selected row: the selection's colours
            // win, each span keeps its bold and underline.
            let mut style = row.patch(theme.style(role));
            style.fg = own.fg.or(style.fg);
            style.bg = own.bg.or(style.bg);
            style.add_modifier.remove(own.sub_modifier);
            let finding = check(
                format!("{} on {}", role.name(), surface.name()),
                style,
                limit(role),
                vec![role, surface],
                Vec::new(),
            );
            // Under the selection's text colour, only where bold makes it worse.
            if own.fg.is_none() || finding.value < plain - 1e-9 {
                out.push(finding);
            }
        }
        if own.fg.is_some() {
            // The selection's text colour wins over the actors': checked above.
            continue;
        }
        for actor in actors.iter().filter(|a| a.keyed) {
            out.push(check(
                format!("actor {} on {}", actor.name, surface.name()),
                row.fg(actor.color),
                TEXT,
                vec![surface],
                vec![actor.name.to_owned()],
            ));
        }
    }
    let surfaces = [
        (Role::Status, ON_STATUS),
        (Role::Overlay, ON_OVERLAY),
        (Role::Body, ON_BODY),
    ];
    for (surface, roles) in surfaces {
        if surface == Role::Body && theme.style(Role::Body).bg.is_none() {
            // The reading pane is on the background: checked above.
            continue;
        }
        let under = base.patch(theme.style(surface));
        for &role in roles {
            out.push(check(
                format!("{} on {}", role.name(), surface.name()),
                under.patch(theme.style(role)),
                limit(role),
                vec![role, surface],
                Vec::new(),
            ));
        }
    }
    out.extend(actors_apart(actors));
    out
}

/// One pair, both ways a terminal may draw bold; the lower counts.
fn measure_pair(
    backdrop: Backdrop,
    pair: String,
    style: Style,
    limit: f64,
    roles: Vec<Role>,
    actors: Vec<String>,
) -> Finding {
    let measured = |bold| {
        let (fg, bg) = shown_with(style, backdrop, bold);
        ratio(fg, bg)
    };
    let (as_is, bright) = (measured(Bold::AsIs), measured(Bold::Bright));
    Finding {
        pair,
        value: as_is.min(bright),
        limit,
        roles,
        actors,
        bold_bright: bright < as_is,
    }
}

/// How far apart each two actors with a key are.
fn actors_apart(actors: &[ActorColor<'_>]) -> Vec<Finding> {
    let mut out = Vec::new();
    let keyed: Vec<&ActorColor<'_>> = actors.iter().filter(|a| a.keyed).collect();
    for (i, a) in keyed.iter().enumerate() {
        for b in &keyed[i + 1..] {
            let (Some(ca), Some(cb)) = (rgb(a.color), rgb(b.color)) else {
                continue;
            };
            out.push(Finding {
                pair: format!("actors {} and {}", a.name, b.name),
                value: delta_e(ca, cb),
                limit: ACTORS_APART,
                roles: Vec::new(),
                actors: vec![a.name.to_owned(), b.name.to_owned()],
                bold_bright: false,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_is_wcag() {
        assert!((ratio((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((ratio((119, 119, 119), (255, 255, 255)) - 4.48).abs() < 0.01);
        assert!((ratio((255, 255, 0), (255, 255, 0)) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn ciede2000_matches_the_published_test_data() {
        // Pairs 1, 7, 17 and 25 of Sharma, Wu and Dalal's table.
        let cases = [
            ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
            ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
            ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
            (
                (60.2574, -34.0099, 36.2677),
                (60.4626, -34.1751, 39.4387),
                1.2644,
            ),
        ];
        for (a, b, expected) in cases {
            let got = delta_e_lab(a, b);
            assert!((got - expected).abs() < 1e-3, "{a:?} {b:?}: {got}");
        }
    }

    /// Bold black on cyan is grey on cyan where bold is drawn bright; an
    /// exact black (256-colour cube) stays black.
    #[test]
    fn bold_in_the_first_eight_colours_may_be_drawn_bright() {
        let bold = Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD);
        assert_eq!(
            shown_with(bold, Backdrop::Dark, Bold::Bright),
            ((127, 127, 127), (0, 205, 205))
        );
        assert_eq!(
            shown_with(bold, Backdrop::Dark, Bold::AsIs),
            ((0, 0, 0), (0, 205, 205))
        );
        let exact = bold.fg(Color::Indexed(16));
        assert_eq!(
            shown_with(exact, Backdrop::Dark, Bold::Bright),
            ((0, 0, 0), (0, 205, 205))
        );
        let plain = Style::new().fg(Color::Black).bg(Color::Cyan);
        assert_eq!(
            shown_with(plain, Backdrop::Dark, Bold::Bright),
            ((0, 0, 0), (0, 205, 205))
        );
    }

    #[test]
    fn named_colours_follow_xterm_and_defaults_the_backdrop() {
        assert_eq!(rgb(Color::Blue), Some((0, 0, 238)));
        assert_eq!(rgb(Color::Indexed(236)), Some((48, 48, 48)));
        let reversed = Style::new().fg(Color::Red).add_modifier(Modifier::REVERSED);
        assert_eq!(
            shown(reversed, Backdrop::Light),
            ((255, 255, 255), (205, 0, 0))
        );
        assert_eq!(
            shown(Style::new(), Backdrop::Dark),
            ((229, 229, 229), (0, 0, 0))
        );
    }
}
