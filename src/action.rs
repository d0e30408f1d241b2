//! Everything a user can ask the reader to do. Keys map to these through
//! the keymap; the help overlay lists them with their keys, described in
//! the user's language (see `locales/`).

use std::fmt;

/// A bindable action. Names in the config are the `snake_case` forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Leave the reader (or close the open overlay).
    Quit,
    /// Suspend the reader to the shell, as Ctrl-Z does other programs
    /// (`fg` brings it back). The local reader only: a served session has
    /// no job control.
    Suspend,
    /// Show every key binding.
    Help,
    /// Show the files that were skipped and why, and other warnings.
    Warnings,
    /// Show what this server keeps for you (signed in with a key), and
    /// erase it.
    Account,
    /// Erase what this server keeps for you (asks first).
    ForgetMe,
    /// Close the overlay or go back one step.
    Back,
    /// Move focus to the next pane, wrapping around.
    FocusNext,
    /// Move focus to the previous pane, wrapping around.
    FocusPrev,
    /// Move focus one pane to the left.
    FocusLeft,
    /// Move focus one pane to the right.
    FocusRight,
    /// Move focus to the pane above, where panes are stacked.
    FocusUp,
    /// Move focus to the pane below, where panes are stacked.
    FocusDown,
    /// Move down one row (or scroll one line).
    MoveDown,
    /// Move up one row (or scroll one line).
    MoveUp,
    /// Move or scroll down one page.
    PageDown,
    /// Move or scroll up one page.
    PageUp,
    /// Jump to the top.
    Top,
    /// Jump to the bottom.
    Bottom,
    /// Open the selected entry.
    Open,
    /// Show every actor again.
    ClearFilters,
    /// Switch to the next language of the edition.
    SwitchLanguage,
    /// Copy the open section's link to the clipboard.
    CopyLink,
    /// Open the open section's link in a browser.
    OpenLink,
    /// Search headings, bodies, actors and topics.
    Search,
    /// Go to the next section that matches the search.
    SearchNext,
    /// Go to the previous section that matches the search.
    SearchPrev,
    /// Go to the next unread section.
    NextUnread,
    /// Mark every listed section read.
    MarkAllRead,
    /// Star or unstar the open section.
    ToggleStar,
    /// Switch the timeline between the list and the activity chart.
    ToggleChart,
    /// Fetch every subscribed feed in the background.
    FetchFeeds,
    /// Hide (or show again) sections about this configured actor.
    ExcludeActor(usize),
    /// Show only (or also) sections about this configured actor.
    ToggleActor(usize),
}

impl Action {
    /// Every action bindable under `[keys]`, in help order.
    pub const BINDABLE: &[Self] = &[
        Self::MoveDown,
        Self::MoveUp,
        Self::PageDown,
        Self::PageUp,
        Self::Top,
        Self::Bottom,
        Self::Open,
        Self::FocusNext,
        Self::FocusPrev,
        Self::FocusLeft,
        Self::FocusRight,
        Self::FocusUp,
        Self::FocusDown,
        Self::ClearFilters,
        Self::SwitchLanguage,
        Self::Search,
        Self::SearchNext,
        Self::SearchPrev,
        Self::NextUnread,
        Self::MarkAllRead,
        Self::ToggleStar,
        Self::ToggleChart,
        Self::FetchFeeds,
        Self::CopyLink,
        Self::OpenLink,
        Self::Warnings,
        Self::Account,
        Self::ForgetMe,
        Self::Help,
        Self::Back,
        Self::Suspend,
        Self::Quit,
    ];

    /// The config name (`move_down`); actor toggles are bound in `[[actors]]`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Suspend => "suspend",
            Self::Help => "help",
            Self::Warnings => "warnings",
            Self::Account => "account",
            Self::ForgetMe => "forget_me",
            Self::Back => "back",
            Self::FocusNext => "focus_next",
            Self::FocusPrev => "focus_prev",
            Self::FocusLeft => "focus_left",
            Self::FocusRight => "focus_right",
            Self::FocusUp => "focus_up",
            Self::FocusDown => "focus_down",
            Self::MoveDown => "move_down",
            Self::MoveUp => "move_up",
            Self::PageDown => "page_down",
            Self::PageUp => "page_up",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::Open => "open",
            Self::ClearFilters => "clear_filters",
            Self::SwitchLanguage => "switch_language",
            Self::CopyLink => "copy_link",
            Self::OpenLink => "open_link",
            Self::Search => "search",
            Self::SearchNext => "search_next",
            Self::SearchPrev => "search_prev",
            Self::NextUnread => "next_unread",
            Self::MarkAllRead => "mark_all_read",
            Self::ToggleStar => "toggle_star",
            Self::ToggleChart => "toggle_chart",
            Self::FetchFeeds => "fetch_feeds",
            Self::ExcludeActor(_) => "exclude_actor",
            Self::ToggleActor(_) => "toggle_actor",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::BINDABLE.iter().copied().find(|a| a.name() == name)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
