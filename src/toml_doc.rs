//! Typed reads from a parsed TOML document that report every problem with
//! its line and column. Used by the content loader and the configuration;
//! knows nothing of either.

use std::fmt::Write as _;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::{Diagnostic, Severity, SourceText, suggest};

pub type Table<'i> = DeTable<'i>;
pub type Value<'i> = Spanned<DeValue<'i>>;

/// Walks one document, collecting diagnostics as it goes. Readers return
/// `None` both for a missing key and for a bad value; a bad value has then
/// been reported, so callers check [`DocReader::has_errors`] before trusting
/// the result.
pub struct DocReader<'s> {
    pub source: &'s SourceText<'s>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'s> DocReader<'s> {
    pub fn new(source: &'s SourceText<'s>) -> Self {
        Self {
            source,
            diagnostics: Vec::new(),
        }
    }

    /// Parses the whole document; a syntax error is returned located.
    pub fn parse(&self) -> Result<Spanned<Table<'s>>, Diagnostic> {
        DeTable::parse(self.source.text).map_err(|e| {
            let message = e.message().trim_end().replace('\n', "; ");
            self.source.diagnostic(
                e.span(),
                Severity::Error,
                format!("invalid TOML: {message}"),
            )
        })
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let d = self.source.diagnostic(Some(span), Severity::Error, message);
        self.diagnostics.push(d);
    }

    pub fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        let d = self
            .source
            .diagnostic(Some(span), Severity::Warning, message);
        self.diagnostics.push(d);
    }

    /// Warns about every key of `table` not in `known`, suggesting a close one.
    pub fn check_keys(&mut self, table: &Table<'_>, known: &[&str], context: &str) {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if known.contains(&name) {
                continue;
            }
            let hint = suggest(name, known)
                .map(|s| format!(": did you mean `{s}`?"))
                .unwrap_or_default();
            self.warn(
                key.span(),
                format!("{context}unknown key `{}`{hint} (ignored)", printable(name)),
            );
        }
    }

    pub fn string(
        &mut self,
        table: &Table<'_>,
        key: &str,
        context: &str,
    ) -> Option<Spanned<String>> {
        let value = get(table, key)?;
        if let Some(s) = value.get_ref().as_str() {
            Some(Spanned::new(value.span(), s.to_owned()))
        } else {
            self.mismatch(value, key, "a string", context);
            None
        }
    }

    /// A string that must be present and, after trimming, non-empty. A
    /// missing key is reported at `table_span`, where the table starts.
    pub fn required_string(
        &mut self,
        table: &Table<'_>,
        table_span: Range<usize>,
        key: &str,
        context: &str,
    ) -> Option<Spanned<String>> {
        let Some(value) = self.string(table, key, context) else {
            if get(table, key).is_none() {
                self.error(
                    table_span,
                    format!("{context}missing required key \"{key}\": expected a non-empty string"),
                );
            }
            return None;
        };
        if value.get_ref().trim().is_empty() {
            let found = describe(&DeValue::String(value.get_ref().clone().into()));
            self.error(
                value.span(),
                format!("{context}\"{key}\": expected a non-empty string, found {found}"),
            );
            return None;
        }
        Some(value)
    }

    pub fn bool(&mut self, table: &Table<'_>, key: &str, context: &str) -> Option<Spanned<bool>> {
        let value = get(table, key)?;
        if let Some(b) = value.get_ref().as_bool() {
            Some(Spanned::new(value.span(), b))
        } else {
            self.mismatch(value, key, "true or false", context);
            None
        }
    }

    pub fn integer(&mut self, table: &Table<'_>, key: &str, context: &str) -> Option<Spanned<i64>> {
        let value = get(table, key)?;
        let parsed = value
            .get_ref()
            .as_integer()
            .and_then(|i| i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok());
        if let Some(n) = parsed {
            Some(Spanned::new(value.span(), n))
        } else if value.get_ref().as_integer().is_some() {
            // An integer TOML accepts but 64 bits do not hold.
            self.error(
                value.span(),
                format!(
                    "{context}\"{key}\": {} is too large for any setting",
                    describe(value.get_ref())
                ),
            );
            None
        } else {
            self.mismatch(value, key, "an integer", context);
            None
        }
    }

    /// An array of strings; a single string is accepted as a list of one when
    /// `lenient` is set (config conveniences such as `quit = "q"`).
    pub fn string_list(
        &mut self,
        table: &Table<'_>,
        key: &str,
        context: &str,
        lenient: bool,
    ) -> Option<Vec<Spanned<String>>> {
        let value = get(table, key)?;
        match value.get_ref() {
            DeValue::String(s) if lenient => Some(vec![Spanned::new(value.span(), s.to_string())]),
            DeValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(s) = item.get_ref().as_str() {
                        out.push(Spanned::new(item.span(), s.to_owned()));
                    } else {
                        let found = describe(item.get_ref());
                        self.error(
                            item.span(),
                            format!(
                                "{context}\"{key}\" item {}: expected a string, found {found}",
                                i + 1
                            ),
                        );
                    }
                }
                Some(out)
            }
            _ => {
                self.mismatch(value, key, "an array of strings", context);
                None
            }
        }
    }

    pub fn mismatch(&mut self, value: &Value<'_>, key: &str, expected: &str, context: &str) {
        let found = describe(value.get_ref());
        self.error(
            value.span(),
            format!("{context}\"{key}\": expected {expected}, found {found}"),
        );
    }
}

/// The value stored under `key`, if any.
pub fn get<'t, 'i>(table: &'t Table<'i>, key: &str) -> Option<&'t Value<'i>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

/// A short description of a value for "found ..." messages.
pub fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("\"{}\"", printable(&truncate(s, 40))),
        DeValue::Integer(i) => format!("the integer {}", i.as_str()),
        DeValue::Float(f) => format!("the number {}", f.as_str()),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(d) => format!("the date-time {d}"),
        DeValue::Array(_) => "an array".to_owned(),
        DeValue::Table(_) => "a table".to_owned(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// How much of a quoted value a message shows: a 100,000-character
/// colour typed by mistake is named, not echoed whole.
const QUOTED_CHARS: usize = 120;

/// Escapes control characters so a message quoting user text is safe to
/// print to a terminal; a long text is cut, saying how long it was.
pub fn printable(s: &str) -> String {
    let total = s.chars().count();
    let mut shown = s
        .chars()
        .take(QUOTED_CHARS)
        .flat_map(char::escape_debug)
        .collect::<String>()
        .replace("\\\"", "\"")
        .replace("\\'", "'");
    if total > QUOTED_CHARS {
        let _ = write!(shown, "… ({} characters)", crate::i18n::grouped(total, ","));
    }
    shown
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_value_is_quoted_in_part_with_its_length() {
        let long = "#".repeat(100_000);
        let shown = super::printable(&long);
        assert!(shown.ends_with("… (100,000 characters)"), "{shown}");
        assert!(shown.chars().count() < 200);
        assert_eq!(super::printable("a\u{1b}b"), "a\\u{1b}b");
    }
}
