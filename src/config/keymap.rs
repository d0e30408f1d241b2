//! Keys to actions: built from the `[keys]` table and the actors' keys,
//! with the reverse lookup that help and hints are generated from, so they
//! can never disagree with what a key does.

use std::collections::HashMap;

use crate::action::Action;
use crate::input::{Key, KeyCode};

#[derive(Debug, Clone, Default)]
pub struct Keymap {
    map: HashMap<Key, Action>,
    by_action: Vec<(Action, Vec<Key>)>,
}

impl Keymap {
    /// Binds `keys` to `action`. Returns the action a key already had, if
    /// any, and then leaves that key's binding unchanged.
    pub fn bind(&mut self, action: Action, key: Key) -> Result<(), Action> {
        if let Some(&existing) = self.map.get(&key) {
            return if existing == action {
                Ok(())
            } else {
                Err(existing)
            };
        }
        self.map.insert(key, action);
        match self.by_action.iter_mut().find(|(a, _)| *a == action) {
            Some((_, keys)) => keys.push(key),
            None => self.by_action.push((action, vec![key])),
        }
        Ok(())
    }

    pub fn action(&self, key: &Key) -> Option<Action> {
        self.map.get(key).copied()
    }

    /// The keys bound to an action, in config order.
    pub fn keys(&self, action: Action) -> &[Key] {
        self.by_action
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(&[], |(_, k)| k.as_slice())
    }

    /// The first key of an action, as text for hints (`?`), or "" if unbound.
    pub fn hint(&self, action: Action) -> String {
        self.keys(action)
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    }
}

/// A key as config.toml documents it: `q`, `G`, `ctrl-c`, `alt-x`,
/// `shift-up`, `space`, `enter`, `pgdn`, `f5`.
pub fn config_name(key: Key) -> String {
    let mut name = String::new();
    if key.ctrl {
        name.push_str("ctrl-");
    }
    if key.alt {
        name.push_str("alt-");
    }
    if key.shift {
        name.push_str("shift-");
    }
    match key.code {
        KeyCode::Up => name.push_str("up"),
        KeyCode::Down => name.push_str("down"),
        KeyCode::Left => name.push_str("left"),
        KeyCode::Right => name.push_str("right"),
        _ => name.push_str(
            &Key {
                ctrl: false,
                alt: false,
                shift: false,
                ..key
            }
            .to_string(),
        ),
    }
    name
}

/// A warning when `text` is not how config.toml spells the key it was
/// read as: `Ctrl-C` (read as `ctrl-shift-c`), `shift-1` (read as `1`),
/// `meta-q` (read as `alt-q`). Nothing is reinterpreted silently.
pub fn spelling_warning(text: &str, key: Key) -> Option<String> {
    if let Some(sent) = sent_by_terminals_as(key) {
        return Some(format!(
            "key `{}` reaches the reader as `{sent}` from most terminals (they send one byte for both); bind `{sent}`, or another key",
            crate::toml_doc::printable(text)
        ));
    }
    let name = config_name(key);
    if text == name {
        return None;
    }
    // `shift-g` is the documented long form of `G` (and `alt-shift-g` of `alt-G`).
    if let Some((mods, letter)) = text.rsplit_once("shift-")
        && letter.chars().count() == 1
        && letter.chars().all(char::is_alphabetic)
        && format!("{mods}{}", letter.to_uppercase()) == name
    {
        return None;
    }
    Some(format!(
        "key `{}` is read as `{name}`; write `{name}`, or the key you meant, as config.toml spells key names",
        crate::toml_doc::printable(text)
    ))
}

/// Control keys that terminals send as the byte of another key: a
/// binding to one of them would never be seen as itself.
fn sent_by_terminals_as(key: Key) -> Option<&'static str> {
    if !key.ctrl || key.alt || key.shift {
        return None;
    }
    match key.code {
        KeyCode::Char('i') => Some("tab"),
        KeyCode::Char('m') => Some("enter"),
        KeyCode::Char('h' | '?') => Some("backspace"),
        KeyCode::Char('[') => Some("esc"),
        KeyCode::Char('@') => Some("ctrl-space"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("q")]
    #[case("G")]
    #[case("shift-g")]
    #[case("ctrl-c")]
    #[case("ctrl-shift-c")]
    #[case("alt-x")]
    #[case("shift-up")]
    #[case("shift-tab")]
    #[case("alt-shift-g")]
    #[case("space")]
    #[case("pgdn")]
    #[case("f12")]
    #[case("!")]
    #[case("?")]
    fn documented_names_pass_silently(#[case] text: &str) {
        let key = Key::parse(text).unwrap();
        assert_eq!(spelling_warning(text, key), None, "{text}");
    }

    #[rstest]
    #[case("ctrl-i", "tab")]
    #[case("ctrl-m", "enter")]
    #[case("ctrl-h", "backspace")]
    #[case("ctrl-[", "esc")]
    #[case("ctrl-@", "ctrl-space")]
    #[case("ctrl-?", "backspace")]
    fn keys_terminals_send_as_others_are_said(#[case] text: &str, #[case] sent: &str) {
        let key = Key::parse(text).unwrap();
        let warning = spelling_warning(text, key).unwrap();
        assert!(
            warning.starts_with(&format!("key `{text}` reaches the reader as `{sent}`")),
            "{warning}"
        );
    }

    #[rstest]
    #[case("Ctrl-C", "ctrl-shift-c")]
    #[case("shift-1", "1")]
    #[case("meta-q", "alt-q")]
    #[case("Enter", "enter")]
    #[case("backtab", "shift-tab")]
    #[case("c-x", "ctrl-x")]
    fn anything_reinterpreted_is_said(#[case] text: &str, #[case] read_as: &str) {
        let key = Key::parse(text).unwrap();
        let warning = spelling_warning(text, key).unwrap();
        assert!(
            warning.starts_with(&format!("key `{text}` is read as `{read_as}`")),
            "{warning}"
        );
    }
}
