//! Keys to actions: built from the `[keys]` table and the actors' keys,
//! with the reverse lookup that help and hints are generated from, so they
//! can never disagree with what a key does.

use std::collections::HashMap;

use crate::action::Action;
use crate::input::Key;

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
