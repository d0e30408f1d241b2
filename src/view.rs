//! Drawing: a pure function of `&App` onto a ratatui frame. Reads state,
//! never changes it; every style comes from the theme by role.

mod chart;
mod header;
mod overlay;
mod reader;
mod status;
mod timeline;
mod topics;

pub use reader::{LinkSpan, link_spans};

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line as TextLine, Span as TextSpan};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use crate::app::layout::{MIN_HEIGHT, MIN_WIDTH};
use crate::app::{App, Mode, Paint, Pane, Span};
use crate::config::Role;

/// Draws the whole screen.
pub fn draw(app: &App, frame: &mut Frame<'_>) {
    let area = frame.area();
    frame.buffer_mut().set_style(area, app.style(Role::Base));
    match app.layout.mode {
        Some(Mode::TooSmall) | None => too_small(app, frame, area),
        Some(mode) => {
            header::draw(app, frame, app.layout.header, mode);
            for pane in Pane::ALL {
                let rect = app.layout.pane(pane);
                if rect.area() == 0 {
                    continue;
                }
                match pane {
                    Pane::Topics => topics::draw(app, frame, rect),
                    Pane::Timeline => timeline::draw(app, frame, rect),
                    Pane::Reader => reader::draw(app, frame, rect),
                }
            }
            status::draw(app, frame, app.layout.status);
            if let Some(o) = &app.overlay {
                overlay::draw(app, frame, o);
            }
        }
    }
}

/// Below the minimum size: says so, with the size now and the size needed.
fn too_small(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let text = crate::i18n::fill(
        &app.strings.ui.too_small,
        &[
            ("size", &format!("{}x{}", area.width, area.height)),
            ("min", &format!("{MIN_WIDTH}x{MIN_HEIGHT}")),
        ],
    );
    let height = area.height.min(4);
    let y = area.y + area.height.saturating_sub(height) / 2;
    let rect = Rect::new(area.x, y, area.width, height);
    frame.render_widget(
        Paragraph::new(text)
            .style(app.style(Role::Warning))
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

/// The screen a start paints while it reads the content files (a first
/// run, or no store): one line in the middle, and on a first run the
/// reason it takes a while. Plain terminal colours: the theme is not yet
/// adapted to the terminal's depth then, and the first frame replaces it.
pub fn reading_content(
    buffer: &mut ratatui::buffer::Buffer,
    strings: &crate::i18n::Strings,
    first_run: bool,
) {
    let area = buffer.area;
    let mut lines = vec![TextLine::from(strings.ui.reading_content.as_str())];
    if first_run {
        lines.push(TextLine::from(""));
        lines.push(TextLine::from(strings.ui.reading_content_first.as_str()));
    }
    let height = area
        .height
        .min(u16::try_from(lines.len()).unwrap_or(u16::MAX) + 2);
    let y = area.y + area.height.saturating_sub(height) / 2;
    let rect = Rect::new(area.x, y, area.width, height);
    ratatui::widgets::Widget::render(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
        buffer,
    );
}

impl App {
    /// The theme's style for a role.
    pub fn style(&self, role: Role) -> Style {
        self.config().theme.style(role)
    }

    fn paint(&self, paint: Paint) -> Style {
        match paint {
            Paint::Role(role) => self.style(role),
            Paint::Actor(i) => self
                .config()
                .actors
                .get(i)
                .map_or_else(|| self.style(Role::Meta), |a| Style::new().fg(a.color)),
        }
    }

    fn text_line(&self, line: &[Span]) -> TextLine<'static> {
        TextLine::from(
            line.iter()
                .map(|s| TextSpan::styled(s.text.clone(), self.paint(s.paint)))
                .collect::<Vec<_>>(),
        )
    }
}

/// A selected row: the row's colours win over its spans' (which keep
/// their bold and underline unless the row removes them), so the text
/// drawn on a selection is the selection's own pair, the one the theme's
/// contrast was checked for.
fn highlight(line: TextLine<'_>, row: Style) -> TextLine<'_> {
    let mut line = line.style(row);
    for span in &mut line.spans {
        span.style.fg = row.fg.or(span.style.fg);
        span.style.bg = row.bg.or(span.style.bg);
        span.style.add_modifier.remove(row.sub_modifier);
    }
    line
}

/// A pane's frame: rounded border, title, focus shown by colour.
fn pane_block<'a>(app: &App, title: &'a str, focused: bool) -> Block<'a> {
    let (border, title_role) = if focused {
        (Role::BorderFocused, Role::TitleFocused)
    } else {
        (Role::Border, Role::Title)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(app.style(border))
        .title(TextSpan::styled(
            format!(" {title} "),
            title_style(app, border, title_role),
        ))
}

/// A title's style: its role's, without the border's modifiers, which the
/// title would otherwise take from the border drawn under it (a dim title
/// in `mono`, whose titles have no modifiers of their own).
fn title_style(app: &App, border: Role, title: Role) -> Style {
    let own = app.style(title);
    own.remove_modifier(app.style(border).add_modifier - own.add_modifier)
}

/// Draws an empty-state message centred in `area`.
fn empty_state(app: &App, frame: &mut Frame<'_>, area: Rect, lines: &[String]) {
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .min(area.height);
    let y = area.y + area.height.saturating_sub(height) / 3;
    let text: Vec<TextLine<'_>> = lines.iter().map(|l| TextLine::from(l.as_str())).collect();
    frame.render_widget(
        Paragraph::new(text)
            .style(app.style(Role::Empty))
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        Rect::new(area.x, y, area.width, area.height - (y - area.y)),
    );
}
