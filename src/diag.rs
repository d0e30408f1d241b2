//! Located diagnostics (`path:line:col: severity: message`) shared by the
//! content loader and the configuration. Knows nothing of terminals.

use std::fmt;
use std::ops::Range;

/// How bad a problem is: an error skips the file, a warning only informs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// One problem found in a file, with its position when it has one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based line and column (in characters); `None` for whole-file problems.
    pub position: Option<(u32, u32)>,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Paths come from the file system and may hold any byte: they are made
/// terminal-safe here, since diagnostics end up on screens and stderr.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (path, _) = crate::text::sanitize(&self.path, false);
        let (message, _) = crate::text::sanitize(&self.message, false);
        match self.position {
            Some((line, col)) => write!(f, "{path}:{line}:{col}: {}: {message}", self.severity),
            None => write!(f, "{path}: {}: {message}", self.severity),
        }
    }
}

/// A file's text with a line index, turning byte offsets into line:col.
pub struct SourceText<'a> {
    pub path: &'a str,
    pub text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> SourceText<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and character column of a byte offset.
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let mut start = self.line_starts[line];
        // A byte order mark is no column an editor shows.
        if line == 0 && self.text.starts_with('\u{feff}') && offset >= 3 {
            start = 3;
        }
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (
            u32::try_from(line + 1).unwrap_or(u32::MAX),
            u32::try_from(col + 1).unwrap_or(u32::MAX),
        )
    }

    pub fn diagnostic(
        &self,
        span: Option<Range<usize>>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            path: self.path.to_owned(),
            position: span.map(|s| self.position(s.start)),
            severity,
            message: message.into(),
        }
    }
}

/// The closest candidate to a misspelt name, if one is close enough to be a
/// plausible typo (edit distance at most 2, or one is a prefix of the other).
pub fn suggest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let name = name.to_lowercase();
    candidates
        .iter()
        .map(|&c| (edit_distance(&name, c), c))
        .filter(|&(d, c)| {
            d <= 2 || (name.len() >= 3 && (c.starts_with(&name) || name.starts_with(c)))
        })
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_no_column() {
        let text = "\u{feff}id = 5\nx = 1\n";
        let source = SourceText::new("a.toml", text);
        assert_eq!(source.position(text.find('5').unwrap()), (1, 6));
        assert_eq!(source.position(text.find('x').unwrap()), (2, 1));
        assert_eq!(source.position(0), (1, 1));
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let src = SourceText::new("a.toml", "x = 1\nü = \"é\"\n");
        assert_eq!(src.position(0), (1, 1));
        assert_eq!(src.position(6), (2, 1));
        // "ü = " is 5 bytes but 4 characters: the quote is column 5.
        assert_eq!(src.position(11), (2, 5));
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let keys = ["actors", "topics", "heading", "section"];
        assert_eq!(suggest("actor", &keys), Some("actors"));
        assert_eq!(suggest("Topcis", &keys), Some("topics"));
        assert_eq!(suggest("sections", &keys), Some("section"));
        assert_eq!(suggest("colour", &keys), None);
    }

    #[test]
    fn display_is_the_editor_format() {
        let d = Diagnostic {
            path: "content/a.toml".into(),
            position: Some((14, 8)),
            severity: Severity::Error,
            message: "no".into(),
        };
        assert_eq!(d.to_string(), "content/a.toml:14:8: error: no");
    }
}
