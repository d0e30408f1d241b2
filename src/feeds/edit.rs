//! Changes to the user's config file for `feeds add/remove/import`: edits
//! the document with `toml_edit` so comments and layout stay as the user
//! wrote them, checks the result loads, and writes it atomically.

use std::fs;
use std::io;
use std::path::Path;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::atomic_file::write_atomically;
use crate::config::Config;

/// A subscription to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewFeed {
    pub url: String,
    pub name: Option<String>,
    pub topics: Vec<String>,
}

/// Why the config file was not changed.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("{path} is not valid TOML, so it was not changed: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}: \"feeds\" is not an array of tables ([[feeds]]), so it was not changed")]
    NotFeeds { path: String },
    #[error("the change would make the config invalid, so it was not written:\n{0}")]
    Invalid(String),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: io::Error },
}

/// The user's config document, ready to change.
pub struct ConfigFile {
    path: String,
    doc: DocumentMut,
}

impl ConfigFile {
    /// Reads the file; a file that does not exist yet is an empty document.
    pub fn open(path: &Path) -> Result<Self, EditError> {
        let shown = path.display().to_string();
        let text = match crate::atomic_file::refuse_special_file(path)
            .and_then(|()| fs::read_to_string(path))
        {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(EditError::Read {
                    path: shown,
                    source,
                });
            }
        };
        let doc = text.parse::<DocumentMut>().map_err(|e| EditError::Syntax {
            path: shown.clone(),
            message: e.message().trim().to_owned(),
        })?;
        Ok(Self { path: shown, doc })
    }

    /// The subscriptions as written: (name, url) of each `[[feeds]]` table.
    pub fn feeds(&self) -> Vec<(Option<String>, String)> {
        self.doc
            .get("feeds")
            .and_then(Item::as_array_of_tables)
            .map(|list| {
                list.iter()
                    .map(|t| {
                        (
                            t.get("name").and_then(Item::as_str).map(str::to_owned),
                            t.get("url").and_then(Item::as_str).unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn feeds_mut(&mut self) -> Result<&mut ArrayOfTables, EditError> {
        let item = self
            .doc
            .entry("feeds")
            .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
        item.as_array_of_tables_mut().ok_or(EditError::NotFeeds {
            path: self.path.clone(),
        })
    }

    /// Appends a `[[feeds]]` table after the others.
    pub fn add(&mut self, feed: &NewFeed) -> Result<(), EditError> {
        let mut table = Table::new();
        if let Some(name) = &feed.name {
            table.insert("name", value(name.as_str()));
        }
        table.insert("url", value(feed.url.as_str()));
        if !feed.topics.is_empty() {
            let mut topics = toml_edit::Array::new();
            for t in &feed.topics {
                topics.push(t.as_str());
            }
            table.insert("topics", value(topics));
        }
        self.feeds_mut()?.push(table);
        Ok(())
    }

    /// Removes the feeds whose name (any case) or URL is `key`; how many.
    /// A name is matched as written and as shown (`feeds list` shows a
    /// name with control characters, a newline say, in its visible form).
    pub fn remove(&mut self, key: &str, derived_names: &[(String, String)]) -> usize {
        let Some(list) = self
            .doc
            .get_mut("feeds")
            .and_then(Item::as_array_of_tables_mut)
        else {
            return 0;
        };
        let before = list.len();
        list.retain(|t| {
            let url = t.get("url").and_then(Item::as_str).unwrap_or("");
            let name = t.get("name").and_then(Item::as_str).map_or_else(
                || {
                    // A feed without a name is known by the one made from its URL.
                    derived_names
                        .iter()
                        .find(|(u, _)| u == url.trim())
                        .map_or(String::new(), |(_, n)| n.clone())
                },
                str::to_owned,
            );
            !(name.eq_ignore_ascii_case(key)
                || super::config::clean(&name).eq_ignore_ascii_case(key)
                || url.trim() == key)
        });
        let removed = before - list.len();
        if list.is_empty() {
            self.doc.remove("feeds");
        }
        removed
    }

    /// The document as it would be written.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// Checks the changed file loads as a config, then writes it atomically.
    pub fn save(&self, path: &Path) -> Result<(), EditError> {
        let text = self.text();
        if let Err(problems) = Config::load(Some((&self.path, &text))) {
            let list: Vec<String> = problems
                .iter()
                .filter(|d| d.is_error())
                .map(ToString::to_string)
                .collect();
            return Err(EditError::Invalid(list.join("\n")));
        }
        write_atomically(path, text.as_bytes()).map_err(|source| EditError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITTEN: &str = "# my settings\nlanguage = \"de\" # German, please\n\n# news\n[[feeds]]\nname = \"heise\" # the best\nurl = \"https://www.heise.de/rss/heise-atom.xml\"\n\n[keys]\nquit = [\"q\"]\n";

    #[test]
    fn adding_keeps_comments_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, WRITTEN).unwrap();
        let mut file = ConfigFile::open(&path).unwrap();
        file.add(&NewFeed {
            url: "https://example.org/feed.xml".into(),
            name: Some("Example".into()),
            topics: vec![],
        })
        .unwrap();
        file.save(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(
                WRITTEN
                    .trim_end_matches("\n[keys]\nquit = [\"q\"]\n")
                    .trim_end()
            ),
            "{text}"
        );
        assert!(text.contains("name = \"heise\" # the best"));
        assert!(
            text.contains("[[feeds]]\nname = \"Example\"\nurl = \"https://example.org/feed.xml\""),
            "{text}"
        );
    }

    #[test]
    fn removing_leaves_the_rest_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, WRITTEN).unwrap();
        let mut file = ConfigFile::open(&path).unwrap();
        assert_eq!(file.remove("HEISE", &[]), 1);
        file.save(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "# my settings\nlanguage = \"de\" # German, please\n\n[keys]\nquit = [\"q\"]\n"
        );
    }

    #[test]
    fn an_invalid_result_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, WRITTEN).unwrap();
        let mut file = ConfigFile::open(&path).unwrap();
        file.add(&NewFeed {
            url: "gopher://x".into(),
            ..NewFeed::default()
        })
        .unwrap();
        assert!(matches!(file.save(&path), Err(EditError::Invalid(_))));
        assert_eq!(fs::read_to_string(&path).unwrap(), WRITTEN);
    }
}
