//! The reader's own words, in every language it speaks, from one place: one
//! TOML file per language under `locales/`, compiled in. A new language is
//! a new file; keys it leaves out fall back to English.

use std::collections::HashMap;
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use serde::Deserialize;

use crate::action::Action;
use crate::content::{NewsDate, Precision};

static LOCALES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/locales");

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Strings {
    pub meta: Meta,
    pub ui: Ui,
    pub months: Months,
    pub dates: Dates,
    pub actions: HashMap<String, String>,
    /// Language names in this language, by code (`en = "Englisch"`).
    pub languages: HashMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Meta {
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Ui {
    pub topics: String,
    pub timeline: String,
    pub reader: String,
    pub all: String,
    pub untagged: String,
    pub sections: String,
    pub sections_all: String,
    pub stories: String,
    pub filter_all: String,
    pub filter_or: String,
    pub filter_showing: String,
    pub skipped: String,
    pub skipped_short: String,
    pub warnings_only: String,
    pub file: String,
    pub files: String,
    pub empty_filter: String,
    pub empty_filter_topic: String,
    pub empty_topic: String,
    pub empty_hint: String,
    pub empty_library: String,
    pub no_section: String,
    pub body_gone: String,
    pub body_unreadable: String,
    pub body_cut: String,
    pub body_cut_served: String,
    pub too_small: String,
    pub help_title: String,
    pub help_actor: String,
    pub help_exclude: String,
    pub help_actors: String,
    pub help_general: String,
    pub close_hint: String,
    pub warnings_title: String,
    pub no_warnings: String,
    pub hint_help: String,
    pub hint_quit: String,
    pub hint_clear: String,
    pub hint_language: String,
    pub section_of: String,
    pub actors: String,
    pub topics_label: String,
    pub source: String,
    pub link: String,
    pub fallback: String,
    pub language_switched: String,
    pub no_link: String,
    pub not_web_link: String,
    pub copied: String,
    pub opened: String,
    pub no_display: String,
    pub open_failed: String,
    pub tmux_clipboard: String,
    pub starred: String,
    pub search_prompt: String,
    pub matches: String,
    pub no_matches: String,
    pub starred_on: String,
    pub starred_off: String,
    /// `s` with no section selected or open.
    pub nothing_to_star: String,
    pub all_read: String,
    pub no_unread: String,
    pub filter_without: String,
    pub chart_title: String,
    pub chart_by_month: String,
    pub chart_by_week: String,
    pub chart_year_only: String,
    pub chart_empty: String,
    pub state_corrupt: String,
    pub state_unwritable: String,
    pub state_put_off: String,
    pub state_saving_busy: String,
    pub state_saved_late: String,
    pub new_since: String,
    pub search_limit: String,
    pub window_clamped: String,
    pub window_bounded: String,
    pub server_closing: String,
    pub bye_idle: String,
    pub bye_shutdown: String,
    pub bye_max_duration: String,
    pub bye_failed: String,
    pub bye_overrun: String,
    pub no_commands: String,
    pub matches_one: String,
    pub sections_one: String,
    pub sections_all_one: String,
    pub stories_one: String,
    pub all_read_one: String,
    pub warning_count: String,
    pub warning_count_one: String,
    pub no_search: String,
    pub nothing_listed: String,
    pub messages_title: String,
    pub account_title: String,
    pub account_local: String,
    pub account_anonymous: String,
    pub account_kept: String,
    pub account_erase: String,
    pub account_confirm: String,
    pub account_erased: String,
    pub account_not_kept: String,
    pub problems_title: String,
    pub chart_empty_months: String,
    pub chart_empty_months_one: String,
    pub chart_help: String,
    pub chart_narrowed: String,
    pub problem: String,
    pub problems: String,
    pub problems_only: String,
    pub state_newer: String,
    pub state_unreadable: String,
    pub more_sources: String,
    pub more_sources_one: String,
    pub sources_label: String,
    pub syncing: String,
    /// The screen a start shows while it reads the content files (no
    /// store yet, or none used), and the line under it on a first run.
    pub reading_content: String,
    pub reading_content_first: String,
    pub sync_put_off: String,
    /// Between groups of three digits in large numbers ("1,204").
    pub thousands: String,
    pub fetching: String,
    /// A large feed being stored, beside `fetching`.
    pub storing: String,
    pub fetch_done: String,
    pub fetch_done_failed: String,
    pub fetch_done_one: String,
    pub fetch_done_failed_one: String,
    pub fetch_failure: String,
    pub fetch_already: String,
    pub fetch_no_feeds: String,
    pub fetch_more_arrived: String,
    pub fetch_no_store: String,
    pub fetch_served: String,
    pub fetch_error: String,
    /// The config read again for `r` has an error: nothing fetched.
    pub fetch_config_error: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Months {
    pub long: Vec<String>,
    pub short: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Dates {
    pub day: String,
    pub month: String,
    pub day_short: String,
    pub month_short: String,
}

/// Every compiled-in language, by code (`en`, `de`).
#[derive(Debug, Clone)]
pub struct Locales {
    by_code: Vec<(String, Arc<Strings>)>,
}

/// A locale file that does not read as the reader's words. Shipped files
/// are checked by a test, so users never see a screen of empty labels.
#[derive(Debug, thiserror::Error)]
pub enum LocaleError {
    #[error("locales/{file}.toml: {message}")]
    Invalid { file: String, message: String },
    #[error("locales/{file}.toml is not UTF-8")]
    Encoding { file: String },
}

/// The languages the reader has words for (`["de", "en"]`): one per file
/// under `locales/`.
pub fn available_languages() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = LOCALES
        .files()
        .filter_map(|f| f.path().file_stem().and_then(|s| s.to_str()))
        .collect();
    codes.sort_unstable();
    codes
}

impl Locales {
    /// Loads the embedded locale files, each merged over English. A file
    /// that does not read is left out (its language falls back to English);
    /// `check_embedded` is the test that keeps that from shipping.
    pub fn embedded() -> Self {
        Self::from_files(embedded_files()).0
    }

    /// Every problem of the embedded locale files.
    pub fn check_embedded() -> Result<(), Vec<LocaleError>> {
        let (_, errors) = Self::from_files(embedded_files());
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Locales from `(code, text)` pairs; `None` text for a file that is not UTF-8.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> (Self, Vec<LocaleError>) {
        let mut errors = Vec::new();
        let mut tables: Vec<(String, toml::Table)> = Vec::new();
        for (code, text) in files {
            let Some(text) = text else {
                errors.push(LocaleError::Encoding {
                    file: code.to_owned(),
                });
                continue;
            };
            match text.parse::<toml::Table>() {
                Ok(table) => tables.push((code.to_owned(), table)),
                Err(e) => errors.push(LocaleError::Invalid {
                    file: code.to_owned(),
                    message: e.message().to_owned(),
                }),
            }
        }
        let english = tables
            .iter()
            .find(|(c, _)| c == "en")
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        let mut by_code = Vec::new();
        for (code, table) in tables {
            let mut merged = english.clone();
            merge(&mut merged, table);
            match toml::Value::Table(merged).try_into::<Strings>() {
                Ok(strings) => by_code.push((code, Arc::new(strings))),
                Err(e) => errors.push(LocaleError::Invalid {
                    file: code,
                    message: e.message().to_owned(),
                }),
            }
        }
        by_code.sort_by(|a, b| a.0.cmp(&b.0));
        (Self { by_code }, errors)
    }

    /// The strings for a language code, falling back to English.
    pub fn get(&self, code: &str) -> Arc<Strings> {
        self.find(code)
            .or_else(|| self.find("en"))
            .cloned()
            .unwrap_or_default()
    }

    pub fn has(&self, code: &str) -> bool {
        self.find(code).is_some()
    }

    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.by_code.iter().map(|(c, _)| c.as_str())
    }

    fn find(&self, code: &str) -> Option<&Arc<Strings>> {
        self.by_code.iter().find(|(c, _)| c == code).map(|(_, s)| s)
    }

    /// A language's own name (`Deutsch`), or its code when we have no locale.
    pub fn language_name(&self, code: &str) -> String {
        self.find(code)
            .map_or_else(|| code.to_owned(), |s| s.meta.name.clone())
    }
}

fn embedded_files() -> impl Iterator<Item = (&'static str, Option<&'static str>)> {
    LOCALES.files().filter_map(|file| {
        let code = file.path().file_stem().and_then(|s| s.to_str())?;
        Some((code, file.contents_utf8()))
    })
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// `n` with `separator` between groups of three digits.
pub fn grouped(n: usize, separator: &str) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * separator.len());
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(c);
    }
    out
}

/// Replaces `{name}` placeholders.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

impl Strings {
    pub fn action(&self, action: Action) -> &str {
        self.actions
            .get(action.name())
            .map_or(action.name(), String::as_str)
    }

    fn month(names: &[String], month: u8) -> &str {
        names
            .get(usize::from(month).saturating_sub(1))
            .map_or("?", String::as_str)
    }

    /// A date at its precision, in full: `27 January 2025`, `January 2025`, `2023`.
    pub fn date_long(&self, date: NewsDate) -> String {
        self.format_date(date, &self.dates.day, &self.dates.month)
    }

    /// A date at its precision without the year, for rows under a year
    /// header: `27 Jan`, `Jan`; a year-only date shows its year.
    pub fn date_short(&self, date: NewsDate) -> String {
        self.format_date(date, &self.dates.day_short, &self.dates.month_short)
    }

    fn format_date(&self, date: NewsDate, day_form: &str, month_form: &str) -> String {
        let year = date.year().to_string();
        let month = date.month().unwrap_or(1);
        let long = Self::month(&self.months.long, month);
        let short = Self::month(&self.months.short, month);
        let form = match date.precision() {
            Precision::Year => return year,
            Precision::Month => month_form,
            Precision::Day => day_form,
        };
        let day = date.day().unwrap_or(1).to_string();
        fill(
            form,
            &[
                ("day", &day),
                ("month", long),
                ("mon", short),
                ("year", &year),
            ],
        )
    }

    /// `template` (or `one` when `n` is 1) with `{count}` filled in and
    /// grouped as the language writes it: "1 match", "49,957 matches".
    pub fn count(&self, template: &str, one: &str, n: usize) -> String {
        let form = if n == 1 && !one.is_empty() {
            one
        } else {
            template
        };
        fill(form, &[("count", &grouped(n, &self.ui.thousands))])
    }

    /// A language's name in this language (`en` in German: "Englisch"),
    /// else its own name from `locales`, else its code.
    pub fn language_name(&self, code: &str, locales: &Locales) -> String {
        self.languages
            .get(code)
            .cloned()
            .unwrap_or_else(|| locales.language_name(code))
    }

    pub fn month_name(&self, month: u8) -> &str {
        Self::month(&self.months.long, month)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn large_numbers_are_grouped_by_three() {
        assert_eq!(super::grouped(0, ","), "0");
        assert_eq!(super::grouped(999, ","), "999");
        assert_eq!(super::grouped(1204, ","), "1,204");
        assert_eq!(super::grouped(1_000_000, "."), "1.000.000");
    }

    use super::*;

    #[test]
    fn one_more_source_is_singular_in_both_languages() {
        let locales = Locales::embedded();
        for (lang, one, two) in [
            ("en", "+1 source", "+2 sources"),
            ("de", "+1 Quelle", "+2 Quellen"),
        ] {
            let s = locales.get(lang);
            let count = |n| s.count(&s.ui.more_sources, &s.ui.more_sources_one, n);
            assert_eq!((count(1), count(2)), (one.to_owned(), two.to_owned()));
        }
    }

    #[test]
    fn counts_are_grouped_as_the_language_groups_them() {
        let locales = Locales::embedded();
        for (lang, said) in [("en", "49,957 matches"), ("de", "49.957 Treffer")] {
            let s = locales.get(lang);
            assert_eq!(s.count(&s.ui.matches, &s.ui.matches_one, 49_957), said);
        }
    }

    #[test]
    fn every_embedded_locale_reads() {
        assert!(
            Locales::check_embedded().is_ok(),
            "{:?}",
            Locales::check_embedded()
        );
    }

    #[test]
    fn a_broken_locale_is_an_error_not_empty_strings() {
        let english = include_str!("../locales/en.toml");
        let (locales, errors) = Locales::from_files([
            ("en", Some(english)),
            ("de", Some("[ui]\ntopics = 3\n")),
            ("fr", Some("[ui\n")),
            ("xx", None),
        ]);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].to_string().starts_with("locales/fr.toml: "));
        assert_eq!(errors[1].to_string(), "locales/xx.toml is not UTF-8");
        assert!(errors[2].to_string().starts_with("locales/de.toml: "));
        // The broken language falls back to English words, never to "".
        assert!(!locales.has("de"));
        assert_eq!(locales.get("de").ui.topics, "Topics");
    }

    #[test]
    fn every_locale_has_every_key_filled() {
        let locales = Locales::embedded();
        assert!(locales.has("en") && locales.has("de"));
        for code in locales.codes() {
            let s = locales.get(code);
            assert_eq!(s.months.long.len(), 12, "{code}");
            assert_eq!(s.months.short.len(), 12, "{code}");
            for action in Action::BINDABLE {
                assert!(s.actions.contains_key(action.name()), "{code}: {action}");
            }
        }
        // Every shipped translation is complete: no key falls back silently.
        let english: toml::Table = include_str!("../locales/en.toml").parse().unwrap();
        for file in LOCALES.files() {
            let table: toml::Table = file.contents_utf8().unwrap().parse().unwrap();
            for (section, keys) in &english {
                for key in keys.as_table().unwrap().keys() {
                    assert!(
                        table[section].get(key).is_some(),
                        "{:?} lacks {section}.{key}",
                        file.path()
                    );
                }
            }
        }
    }

    #[test]
    fn dates_show_their_precision_in_each_language() {
        let locales = Locales::embedded();
        let en = locales.get("en");
        let de = locales.get("de");
        let day = NewsDate::parse("2025-02-10").unwrap();
        let month = NewsDate::parse("2025-01").unwrap();
        let year = NewsDate::parse("2023").unwrap();
        assert_eq!(en.date_long(day), "10 February 2025");
        assert_eq!(de.date_long(day), "10. Februar 2025");
        assert_eq!(en.date_long(month), "January 2025");
        assert_eq!(de.date_short(month), "Jan.");
        assert_eq!(en.date_long(year), "2023");
        assert_eq!(en.date_short(day), "10 Feb");
    }
}
