//! The topic list: "All", every topic and "untagged", then the feeds
//! fetched sections came from (a failing one marked), each with its count
//! under the current filter.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{header::pane_title, highlight, pane_block};
use crate::app::{App, Pane, TopicChoice};
use crate::config::Role;
use crate::text::truncate;

/// A feed's name as the configuration gives it now, else as stored.
pub fn source_name(app: &App, source: usize) -> String {
    let Some(s) = app.library().fetched.sources.get(source) else {
        return String::new();
    };
    app.config()
        .feeds
        .iter()
        .find(|f| f.url == s.url)
        .map_or_else(|| s.name.clone(), |f| f.name.clone())
}

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let focused = app.focus == Pane::Topics;
    let block = pane_block(app, pane_title(app, Pane::Topics), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let cursor = app.topic_cursor;
    let lines: Vec<Line<'_>> = app
        .topics
        .iter()
        .enumerate()
        .skip(cursor.offset)
        .take(usize::from(inner.height))
        .map(|(i, row)| {
            let name = match row.choice {
                TopicChoice::All => app.strings.ui.all.clone(),
                TopicChoice::Starred => format!("★ {}", app.strings.ui.starred),
                TopicChoice::Topic(t) => app.library().topics[t].clone(),
                TopicChoice::Untagged => app.strings.ui.untagged.clone(),
                // Feeds: "» name", a failing one marked "!".
                TopicChoice::Source(i) => match app.library().fetched.sources.get(i) {
                    Some(s) if s.failing.is_some() => format!("» {} !", source_name(app, i)),
                    Some(_) => format!("» {}", source_name(app, i)),
                    None => String::new(),
                },
            };
            // "●1 4": one of four unread; all unread shows the count in bold.
            let (unread, count_text) = counts(row.unread, row.count, &name, width, |n| {
                crate::i18n::grouped(n, &app.strings.ui.thousands)
            });
            let name = truncate(
                &name,
                width.saturating_sub(count_text.width() + unread.width() + 3),
            );
            let pad = width.saturating_sub(name.width() + unread.width() + count_text.width() + 2);
            let (name_role, count_role) = if row.count == 0 {
                (Role::Muted, Role::Muted)
            } else if row.unread == row.count {
                (Role::Base, Role::Unread)
            } else {
                (Role::Base, Role::Count)
            };
            let mut line = Line::from(vec![
                Span::styled(format!(" {name}"), app.style(name_role)),
                Span::raw(" ".repeat(pad)),
                Span::styled(unread, app.style(Role::Unread)),
                Span::styled(format!("{count_text} "), app.style(count_role)),
            ]);
            if i == cursor.selected {
                line = highlight(
                    line,
                    app.style(if focused {
                        Role::Selection
                    } else {
                        Role::SelectionInactive
                    }),
                );
            }
            line
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A row's unread mark and count, grouped in the user's style ("1,234")
/// when the name keeps as many columns as [`NAME_ROOM`] (or all it needs)
/// beside them, else in plain digits.
fn counts(
    unread: usize,
    count: usize,
    name: &str,
    width: usize,
    grouped: impl Fn(usize) -> String,
) -> (String, String) {
    let shown = |form: &dyn Fn(usize) -> String| {
        let mark = if unread > 0 && unread < count {
            format!("●{} ", form(unread))
        } else {
            String::new()
        };
        (mark, form(count))
    };
    let (mark, count_text) = shown(&grouped);
    let room = width.saturating_sub(count_text.width() + mark.width() + 3);
    if room >= name.width().min(NAME_ROOM) {
        (mark, count_text)
    } else {
        shown(&|n: usize| n.to_string())
    }
}

/// The columns a topic's name keeps before its counts lose their grouping.
const NAME_ROOM: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_where_the_name_keeps_room() {
        let grouped = |n| crate::i18n::grouped(n, ",");
        assert_eq!(
            counts(1234, 12345, "Chips", 30, grouped),
            ("●1,234 ".to_owned(), "12,345".to_owned())
        );
        // All unread: the count alone, in bold.
        assert_eq!(
            counts(1234, 1234, "Chips", 30, grouped),
            (String::new(), "1,234".to_owned())
        );
        // Too narrow for the separators: the name keeps its columns.
        assert_eq!(
            counts(1234, 12345, "Regulation", 22, grouped),
            ("●1234 ".to_owned(), "12345".to_owned())
        );
    }
}
