//! Where each pane goes: a pure function of the terminal area, the focused
//! pane and the topic count. Computed in `update` on resize and focus
//! change, read by the view; page sizes and scroll bounds come from it.

use ratatui::layout::Rect;

/// The three panes of the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Topics,
    Timeline,
    Reader,
}

impl Pane {
    pub const ALL: [Self; 3] = [Self::Topics, Self::Timeline, Self::Reader];

    pub fn index(self) -> usize {
        match self {
            Self::Topics => 0,
            Self::Timeline => 1,
            Self::Reader => 2,
        }
    }
}

/// Full screen from this size up; below it, one pane at a time.
pub const FULL_WIDTH: u16 = 80;
pub const FULL_HEIGHT: u16 = 24;
/// From this width up, three columns: topics | timeline | reading.
pub const WIDE_WIDTH: u16 = 160;
/// The longest line of body text: wider is harder to read, so a wide
/// reading pane keeps its text to this measure.
pub const MEASURE: u16 = 100;
/// Below this size nothing useful fits: the screen says so instead.
pub const MIN_WIDTH: u16 = 20;
pub const MIN_HEIGHT: u16 = 6;

/// A direction on screen, for moving between panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Left,
    Right,
    Up,
    Down,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All panes side by side.
    Full,
    /// One pane at a time, with a tab bar to show which.
    Single,
    TooSmall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    pub area: Rect,
    pub mode: Option<Mode>,
    /// The actor legend (full mode) or the pane tabs (single mode).
    pub header: Rect,
    pub status: Rect,
    pub topics: Rect,
    pub timeline: Rect,
    pub reader: Rect,
}

impl Layout {
    pub fn compute(area: Rect, focus: Pane, topic_rows: usize) -> Self {
        let mut layout = Self {
            area,
            ..Self::default()
        };
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            layout.mode = Some(Mode::TooSmall);
            return layout;
        }
        layout.header = Rect::new(area.x, area.y, area.width, 1);
        layout.status = Rect::new(area.x, area.bottom() - 1, area.width, 1);
        let body = Rect::new(area.x, area.y + 1, area.width, area.height - 2);
        if area.width >= WIDE_WIDTH && area.height >= FULL_HEIGHT {
            // Three columns: the timeline gets the width the reading
            // pane's measure does not need, so headlines are not cut.
            layout.mode = Some(Mode::Full);
            let topics = (area.width / 8).clamp(22, 32);
            let rest = body.width - topics;
            let reader = (rest / 2).min(MEASURE + 4);
            layout.topics = Rect::new(body.x, body.y, topics, body.height);
            layout.timeline = Rect::new(body.x + topics, body.y, rest - reader, body.height);
            layout.reader = Rect::new(body.right() - reader, body.y, reader, body.height);
        } else if area.width >= FULL_WIDTH && area.height >= FULL_HEIGHT {
            layout.mode = Some(Mode::Full);
            let left_width = (area.width * 2 / 5).clamp(30, 50);
            let left = Rect::new(body.x, body.y, left_width, body.height);
            layout.reader = Rect::new(
                body.x + left_width,
                body.y,
                body.width - left_width,
                body.height,
            );
            let wanted = u16::try_from(topic_rows + 2).unwrap_or(u16::MAX);
            let topics_height = wanted.clamp(4, (left.height * 2 / 5).max(4));
            layout.topics = Rect::new(left.x, left.y, left.width, topics_height);
            layout.timeline = Rect::new(
                left.x,
                left.y + topics_height,
                left.width,
                left.height - topics_height,
            );
        } else {
            layout.mode = Some(Mode::Single);
            *layout.pane_mut(focus) = body;
        }
        layout
    }

    pub fn pane(&self, pane: Pane) -> Rect {
        match pane {
            Pane::Topics => self.topics,
            Pane::Timeline => self.timeline,
            Pane::Reader => self.reader,
        }
    }

    /// The pane next to `from` in `direction` as drawn: wholly on that
    /// side and overlapping it across; the nearest, then the one sharing
    /// the longest edge. `None` at the edge of the screen.
    pub fn neighbour(&self, from: Pane, direction: Direction) -> Option<Pane> {
        let a = self.pane(from);
        let overlap =
            |lo: u16, hi: u16, lo2: u16, hi2: u16| hi.min(hi2).saturating_sub(lo.max(lo2));
        Pane::ALL
            .into_iter()
            .filter(|&p| p != from && self.pane(p).area() > 0)
            .filter_map(|p| {
                let b = self.pane(p);
                let (gap, shared) = match direction {
                    Direction::Right if b.x >= a.right() => {
                        (b.x - a.right(), overlap(a.y, a.bottom(), b.y, b.bottom()))
                    }
                    Direction::Left if b.right() <= a.x => {
                        (a.x - b.right(), overlap(a.y, a.bottom(), b.y, b.bottom()))
                    }
                    Direction::Down if b.y >= a.bottom() => {
                        (b.y - a.bottom(), overlap(a.x, a.right(), b.x, b.right()))
                    }
                    Direction::Up if b.bottom() <= a.y => {
                        (a.y - b.bottom(), overlap(a.x, a.right(), b.x, b.right()))
                    }
                    _ => return None,
                };
                (shared > 0).then_some((gap, std::cmp::Reverse(shared), p.index(), p))
            })
            .min_by_key(|c| (c.0, c.1, c.2))
            .map(|c| c.3)
    }

    fn pane_mut(&mut self, pane: Pane) -> &mut Rect {
        match pane {
            Pane::Topics => &mut self.topics,
            Pane::Timeline => &mut self.timeline,
            Pane::Reader => &mut self.reader,
        }
    }

    /// Rows inside a pane's border (at least 1, so paging always moves).
    pub fn page(&self, pane: Pane) -> usize {
        usize::from(self.pane(pane).height.saturating_sub(2)).max(1)
    }

    /// Text width inside the reading pane: border, one column of margin on
    /// the left and one for the scroll bar on the right.
    pub fn reader_text_width(&self) -> u16 {
        self.reader.width.saturating_sub(4).clamp(1, MEASURE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_screens_get_three_columns_and_a_readable_measure() {
        for (w, h) in [(160, 40), (200, 50), (300, 100)] {
            let l = Layout::compute(Rect::new(0, 0, w, h), Pane::Topics, 10);
            assert_eq!(l.topics.width + l.timeline.width + l.reader.width, w);
            assert_eq!((l.topics.height, l.timeline.height), (h - 2, h - 2));
            assert_eq!(l.topics.right(), l.timeline.x);
            assert_eq!(l.timeline.right(), l.reader.x);
            assert!(l.reader_text_width() <= MEASURE);
            assert!(l.timeline.width >= 50, "{w}: {l:?}");
        }
        let l = Layout::compute(Rect::new(0, 0, 159, 40), Pane::Topics, 10);
        assert_eq!(l.topics.x, l.timeline.x, "stacked below 160");
        assert!(l.reader_text_width() <= MEASURE);
    }

    #[test]
    fn full_layout_tiles_the_screen() {
        for (w, h) in [(80, 24), (120, 40), (159, 100)] {
            let l = Layout::compute(Rect::new(0, 0, w, h), Pane::Topics, 10);
            assert_eq!(l.mode, Some(Mode::Full));
            assert_eq!(l.topics.width + l.reader.width, w);
            assert_eq!(l.topics.height + l.timeline.height, h - 2);
            assert_eq!(l.reader.height, h - 2);
        }
    }

    #[test]
    fn small_terminals_show_one_pane_or_a_notice() {
        let l = Layout::compute(Rect::new(0, 0, 79, 24), Pane::Reader, 10);
        assert_eq!(l.mode, Some(Mode::Single));
        assert_eq!(l.reader, Rect::new(0, 1, 79, 22));
        assert_eq!(l.topics, Rect::default());
        for (w, h) in [(0, 0), (1, 1), (19, 40), (200, 5)] {
            let l = Layout::compute(Rect::new(0, 0, w, h), Pane::Reader, 10);
            assert_eq!(l.mode, Some(Mode::TooSmall), "{w}x{h}");
        }
    }
}
