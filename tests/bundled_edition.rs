//! The bundled edition is the project's own proof that format, tags,
//! dates and filters work: it loads cleanly, has the same articles in
//! German and English, and carries each fact of the story in both
//! languages, tagged with the right actors and dated at the right precision.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::collections::BTreeSet;

use aiwatch_tui::config::Config;
use aiwatch_tui::content::{ContentRoot, Library, SectionId, load_library};

fn edition() -> Library {
    let config = Config::built_in().unwrap();
    load_library(&[ContentRoot::Bundled], &config.actor_directory())
}

fn text(lib: &Library, s: SectionId) -> String {
    let section = &lib.sections[s];
    let blocks = lib.body(s).unwrap();
    let body: Vec<&str> = blocks
        .iter()
        .map(aiwatch_tui::content::Block::text)
        .collect();
    format!("{} {}", section.heading, body.join(" "))
}

fn actors(lib: &Library, s: SectionId) -> BTreeSet<&str> {
    lib.sections[s]
        .actors
        .iter()
        .map(|&a| lib.actors[a].name.as_str())
        .collect()
}

/// One fact: words that find it in each language, the actors it must be
/// filed under, and its date at the precision the facts give.
struct Fact {
    number: u8,
    english: &'static [&'static str],
    german: &'static [&'static str],
    actors: &'static [&'static str],
    date: &'static str,
}

const FACTS: &[Fact] = &[
    Fact {
        number: 1,
        english: &["IIoT", "AIoT", "manufacturers"],
        german: &["IIoT", "AIoT", "Industriebetriebe"],
        actors: &[],
        date: "2025-02",
    },
    Fact {
        number: 2,
        english: &["DeepSeek", "stock exchanges", "end of January"],
        german: &["DeepSeek", "Aktienmärkten", "Ende Januar"],
        actors: &["DeepSeek"],
        date: "2025-01",
    },
    Fact {
        number: 3,
        english: &["buy OpenAI", "unrest"],
        german: &["OpenAI kaufen", "Unruhe"],
        actors: &["Musk", "OpenAI"],
        date: "2025-02",
    },
    Fact {
        number: 4,
        english: &["Italy", "barred"],
        german: &["Italien", "nicht mehr genutzt"],
        actors: &["DeepSeek", "Italy"],
        date: "2025-01",
    },
    Fact {
        number: 4,
        english: &[
            "South Korea",
            "Seoul",
            "heise online",
            "personal data",
            "promised",
        ],
        german: &["Südkorea", "Seoul", "heise", "Daten", "zugesagt"],
        actors: &["DeepSeek", "South Korea"],
        date: "2025-02",
    },
    Fact {
        number: 5,
        english: &[
            "Rhineland-Palatinate",
            "BSI",
            "keystrokes",
            "security-critical",
        ],
        german: &["Rheinland-Pfalz", "BSI", "tippen", "sicherheitskritische"],
        actors: &["DeepSeek", "Germany"],
        date: "2025-02",
    },
    Fact {
        number: 6,
        english: &["AI summit", "Paris", "orderly", "AI rules"],
        german: &["KI-Gipfel", "Paris", "geordneten", "KI-Regeln"],
        actors: &["France", "USA"],
        date: "2025-02",
    },
    Fact {
        number: 7,
        english: &[
            "150 billion euros",
            "data centres",
            "Stargate",
            "500-billion-dollar",
        ],
        german: &[
            "150 Milliarden Euro",
            "Rechenzentren",
            "Stargate",
            "500 Milliarden Dollar",
        ],
        actors: &["France", "Europe", "OpenAI"],
        date: "2025-02",
    },
    Fact {
        number: 8,
        english: &["founds xAI", "2023"],
        german: &["xAI", "2023"],
        actors: &["Musk"],
        date: "2023",
    },
    Fact {
        number: 8,
        english: &["smartest AI in the world", "Grok 3"],
        german: &["klügste KI der Welt", "Grok 3"],
        actors: &["Musk"],
        date: "2025-02",
    },
    Fact {
        number: 8,
        english: &[
            "100,000",
            "H100",
            "Gigafactory",
            "200,000 GPUs",
            "AMD",
            "BlackRock",
        ],
        german: &[
            "100.000",
            "H100",
            "Gigafactory",
            "200.000 GPUs",
            "AMD",
            "BlackRock",
        ],
        actors: &["Musk", "Nvidia", "Investors"],
        date: "2025-02",
    },
    Fact {
        number: 9,
        english: &["helped found", "Sam Altman", "profit"],
        german: &["mit aufgebaut", "Sam Altman", "Profit"],
        actors: &["Musk", "OpenAI", "Altman"],
        date: "2025-02",
    },
    Fact {
        number: 10,
        english: &["November 2023", "Altman", "removed"],
        german: &["November 2023", "Altman", "Posten"],
        actors: &["OpenAI", "Altman"],
        date: "2023-11",
    },
    Fact {
        number: 11,
        english: &["97.4 billion dollars", "non-profit", "turned him down"],
        german: &["97,4 Milliarden Dollar", "gemeinnützigen", "zurück"],
        actors: &["Musk", "OpenAI", "Altman"],
        date: "2025-02",
    },
    Fact {
        number: 12,
        english: &["Bret Taylor", "xAI", "dismantle OpenAI"],
        german: &["Bret Taylor", "xAI", "zerschlagen"],
        actors: &["Bret Taylor", "OpenAI", "Musk", "Altman"],
        date: "2025-02",
    },
    Fact {
        number: 13,
        english: &["Europe", "DeepSeek", "Paris", "Teuken-7B"],
        german: &["Europa", "DeepSeek", "Pariser", "Teuken-7B"],
        actors: &["Europe", "DeepSeek", "France"],
        date: "2025-02",
    },
];

#[test]
fn loads_without_any_warning_or_error() {
    let lib = edition();
    assert!(lib.diagnostics.is_empty(), "{:#?}", lib.diagnostics);
    assert_eq!(lib.files_skipped, 0);
}

#[test]
fn both_languages_have_the_same_articles_and_enough_sections() {
    let lib = edition();
    let ids = |lang: &str| -> BTreeSet<&str> {
        lib.articles
            .iter()
            .filter(|a| a.lang == lang)
            .map(|a| a.id.as_str())
            .collect()
    };
    assert_eq!(ids("en"), ids("de"));
    assert_eq!(lib.languages(), ["de", "en"]);
    for lang in ["en", "de"] {
        let edition = lib.edition(lang);
        assert!(
            edition.sections.len() >= 12,
            "{lang}: {}",
            edition.sections.len()
        );
        assert!(
            edition
                .sections
                .iter()
                .all(|&s| lib.article_of(s).lang == lang)
        );
        for &s in &edition.sections {
            assert_eq!(lib.article_of(s).source.as_deref(), Some("Digital Chiefs"));
        }
    }
    // Translations match section by section: same count, dates and actors.
    for en in lib.articles.iter().filter(|a| a.lang == "en") {
        let de = lib
            .articles
            .iter()
            .find(|a| a.lang == "de" && a.id == en.id)
            .unwrap();
        assert_eq!(en.sections.len(), de.sections.len(), "{}", en.id);
        for (e, d) in en.sections.clone().zip(de.sections.clone()) {
            assert_eq!(
                lib.sections[e].date, lib.sections[d].date,
                "{} section {}",
                en.id, lib.sections[e].index
            );
            assert_eq!(
                actors(&lib, e),
                actors(&lib, d),
                "{} section {}",
                en.id,
                lib.sections[e].index
            );
            assert_eq!(lib.sections[e].topics.len(), lib.sections[d].topics.len());
        }
    }
}

#[test]
fn every_fact_is_told_in_both_languages_tagged_and_dated() {
    let lib = edition();
    for fact in FACTS {
        for (lang, words) in [("en", fact.english), ("de", fact.german)] {
            let edition = lib.edition(lang);
            let found: Vec<SectionId> = edition
                .sections
                .iter()
                .copied()
                .filter(|&s| words.iter().all(|w| text(&lib, s).contains(w)))
                .collect();
            assert_eq!(
                found.len(),
                1,
                "fact {} ({lang}): sections matching {words:?}: {found:?}",
                fact.number
            );
            let s = found[0];
            let tagged = actors(&lib, s);
            for actor in fact.actors {
                assert!(
                    tagged.contains(actor),
                    "fact {} ({lang}) lacks actor {actor}: {tagged:?}",
                    fact.number
                );
            }
            assert_eq!(
                lib.sections[s].date.to_string(),
                fact.date,
                "fact {} ({lang})",
                fact.number
            );
        }
    }
}

#[test]
fn the_timeline_runs_from_2023_to_february_2025() {
    let lib = edition();
    for lang in ["en", "de"] {
        let dates: Vec<String> = lib
            .edition(lang)
            .sections
            .iter()
            .map(|&s| lib.sections[s].date.to_string())
            .collect();
        assert_eq!(dates.first().map(String::as_str), Some("2023"));
        assert_eq!(dates.last().map(String::as_str), Some("2025-02"));
        let mut sorted = dates.clone();
        sorted.sort();
        assert_eq!(dates, sorted, "{lang}");
        assert!(dates.contains(&"2023-11".to_owned()) && dates.contains(&"2025-01".to_owned()));
    }
}

#[test]
fn no_section_claims_a_day_the_story_does_not_give() {
    let lib = edition();
    for s in &lib.sections {
        assert_ne!(
            s.date.precision(),
            aiwatch_tui::content::Precision::Day,
            "{}",
            s.heading
        );
    }
}
