//! Changes to the user's config file for `feeds add/remove/import`: edits
//! the document with `toml_edit` so comments and layout stay as the user
//! wrote them, checks the result loads, and writes it atomically.

use std::fs;
use std::io;
use std::path::Path;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::atomic_file::write_atomically_through_link;
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
        // What ends the file (a comment after the last table, or a file of
        // comments only) stays where it was: before what is appended.
        let trailing = raw(self.doc.trailing());
        if !trailing.trim().is_empty() {
            table
                .decor_mut()
                .set_prefix(format!("{}\n\n", trailing.trim_end()));
            self.doc.set_trailing("");
        }
        self.feeds_mut()?.push(table);
        Ok(())
    }

    /// Removes the feeds whose name (any case) or URL is `key`; how many.
    /// A name is matched as written and as shown (`feeds list` shows a
    /// name with control characters, a newline say, in its visible form).
    pub fn remove(&mut self, key: &str, derived_names: &[(String, String)]) -> usize {
        let opened_blank = self.doc.to_string().starts_with(['\n', '\r']);
        let Some(list) = self
            .doc
            .get_mut("feeds")
            .and_then(Item::as_array_of_tables_mut)
        else {
            return 0;
        };
        let before = list.len();
        // Comments above a removed table that are the file's, not the
        // table's: separated from it by a blank line.
        let mut kept: Vec<(Option<isize>, String)> = Vec::new();
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
            let keep = !(name.eq_ignore_ascii_case(key)
                || super::config::clean(&name).eq_ignore_ascii_case(key)
                || url.trim() == key);
            if !keep {
                let prefix = t.decor().prefix().map(raw).unwrap_or_default();
                let (file_s, _table_s) = split_prefix(&prefix);
                if file_s.contains('#') {
                    kept.push((t.position(), file_s.to_owned()));
                }
            }
            keep
        });
        let removed = before - list.len();
        if list.is_empty() {
            self.doc.remove("feeds");
        }
        for (position, comment) in kept.into_iter().rev() {
            self.keep_comment(position, &comment);
        }
        // The first table removed, the next one does not start the file
        // with the blank line that parted them.
        if !opened_blank && self.doc.to_string().starts_with(['\n', '\r']) {
            let mut positions = Vec::new();
            table_positions(self.doc.as_table(), &mut positions);
            if let Some(first) = positions.into_iter().min()
                && let Some(table) = table_at(self.doc.as_table_mut(), first)
            {
                let prefix = table.decor().prefix().map(raw).unwrap_or_default();
                let rest = prefix
                    .trim_start_matches(['\n', '\r', ' ', '\t'])
                    .to_owned();
                table.decor_mut().set_prefix(rest);
            }
        }
        removed
    }

    /// Puts `comment` (ending in a blank line) above the table that came
    /// after `position`, or at the end of the file when none did.
    fn keep_comment(&mut self, position: Option<isize>, comment: &str) {
        let mut after = Vec::new();
        table_positions(self.doc.as_table(), &mut after);
        let next = after
            .into_iter()
            .filter(|p| position.is_none_or(|at| *p > at))
            .min();
        if let Some(next) = next
            && let Some(table) = table_at(self.doc.as_table_mut(), next)
        {
            let prefix = table.decor().prefix().map(raw).unwrap_or_default();
            // The comment's own blank line parts it from the table.
            let rest = prefix.trim_start_matches(['\n', '\r', ' ', '\t']);
            table.decor_mut().set_prefix(format!("{comment}{rest}"));
        } else {
            let trailing = raw(self.doc.trailing());
            self.doc
                .set_trailing(format!("{}\n{trailing}", comment.trim_end()));
        }
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
        write_atomically_through_link(path, text.as_bytes()).map_err(|source| EditError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

/// The text of a decor part (a parsed document's is never a span).
fn raw(s: &toml_edit::RawString) -> String {
    s.as_str().unwrap_or("").to_owned()
}

/// A table's leading lines cut after their last blank line: what belongs
/// to the file (up to and with the blank line) and what to the table (the
/// comment lines right above its header).
fn split_prefix(prefix: &str) -> (&str, &str) {
    let mut cut = 0;
    let mut start = 0;
    for line in prefix.split_inclusive('\n') {
        start += line.len();
        if line.trim().is_empty() {
            cut = start;
        }
    }
    prefix.split_at(cut)
}

/// Document positions of every table (arrays' elements too) in `table`.
fn table_positions(table: &Table, out: &mut Vec<isize>) {
    for (_, item) in table {
        match item {
            Item::Table(t) => {
                out.extend(t.position().filter(|_| !t.is_implicit()));
                table_positions(t, out);
            }
            Item::ArrayOfTables(list) => {
                for t in list {
                    out.extend(t.position());
                    table_positions(t, out);
                }
            }
            _ => {}
        }
    }
}

/// The table at document `position` in `table`.
fn table_at(table: &mut Table, position: isize) -> Option<&mut Table> {
    let is_it = |t: &Table| t.position() == Some(position) && !t.is_implicit();
    for (_, item) in table.iter_mut() {
        let found = match item {
            Item::Table(t) => {
                if is_it(t) {
                    Some(t)
                } else {
                    table_at(t, position)
                }
            }
            Item::ArrayOfTables(list) => list.iter_mut().find_map(|t| {
                if is_it(t) {
                    Some(t)
                } else {
                    table_at(t, position)
                }
            }),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
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

    fn removed(text: &str, key: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, text).unwrap();
        let mut file = ConfigFile::open(&path).unwrap();
        assert_eq!(file.remove(key, &[]), 1);
        file.save(&path).unwrap();
        fs::read_to_string(&path).unwrap()
    }

    const A: &str = "[[feeds]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n";
    const B: &str = "[[feeds]]\nname = \"B\"\nurl = \"https://b.example/feed\"\n";

    /// The first feed's table holds the lines above it: a comment the
    /// file opens with (a blank line between) is the file's and stays; one
    /// right above the header is the feed's and goes with it.
    #[test]
    fn removing_the_first_feed_keeps_the_files_comment_and_drops_its_own() {
        let file = "# aiwatch settings\n# by me\n\n";
        assert_eq!(
            removed(&format!("{file}{A}\n{B}"), "A"),
            format!("{file}{B}")
        );
        assert_eq!(
            removed(&format!("{file}# A: the best\n{A}\n# B: news\n{B}"), "A"),
            format!("{file}# B: news\n{B}")
        );
        // The only feed: the file's comment is all that is left.
        assert_eq!(
            removed(&format!("{file}# A: the best\n{A}"), "a"),
            "# aiwatch settings\n# by me\n"
        );
        // Before another table, the comment stays above it.
        assert_eq!(
            removed(&format!("{file}{A}\n[keys]\nquit = [\"q\"]\n"), "A"),
            format!("{file}[keys]\nquit = [\"q\"]\n")
        );
        // Directly above the header, with no blank line: the feed's.
        assert_eq!(
            removed(&format!("# A: the best\n{A}\n{B}"), "A"),
            B.to_owned()
        );
    }

    /// `feeds import` or `add` into a file of comments only (or with a
    /// comment after its last table): the comments stay first.
    #[test]
    fn adding_after_a_closing_comment_keeps_it_above_the_new_feed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        for (text, expected) in [
            (
                "# my config, feeds to come\n",
                format!("# my config, feeds to come\n\n{A}\n{B}"),
            ),
            (
                "[keys]\nquit = [\"q\"]\n# the end\n",
                format!("[keys]\nquit = [\"q\"]\n# the end\n\n{A}\n{B}"),
            ),
        ] {
            fs::write(&path, text).unwrap();
            let mut file = ConfigFile::open(&path).unwrap();
            for name in ["A", "B"] {
                file.add(&NewFeed {
                    url: format!("https://{}.example/feed", name.to_lowercase()),
                    name: Some(name.into()),
                    topics: vec![],
                })
                .unwrap();
            }
            file.save(&path).unwrap();
            assert_eq!(fs::read_to_string(&path).unwrap(), expected);
        }
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
