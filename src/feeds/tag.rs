//! Tags for a fetched item: actors found by their names and aliases in the
//! title, summary and body (whole words, ignoring case and accents; an
//! alias listed under `exact`, or a short all-capital acronym such as
//! `US`, only with its exact case), topics from the feed, from keyword
//! rules and from the item's categories that name a configured topic. Each
//! actor comes with the reason it was given, to show in the reading pane.

use crate::config::{Actor, Config};
use crate::feeds::config::TopicRule;
use crate::text::fold;

/// Where a term was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Summary,
    Body,
    /// The feed's `actors` setting, not the text.
    FeedSettings,
}

/// Why an item carries an actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    pub actor: String,
    /// The word as written in the item (or the setting).
    pub term: String,
    pub field: Field,
}

impl std::fmt::Display for Why {
    /// `Musk: 'xAI' in the title`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = match self.field {
            Field::Title => "in the title",
            Field::Summary => "in the summary",
            Field::Body => "in the text",
            Field::FeedSettings => "from the feed's settings",
        };
        write!(f, "{}: '{}' {place}", self.actor, self.term)
    }
}

/// The tags of one item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// Actor names, in configuration order.
    pub actors: Vec<String>,
    pub why: Vec<Why>,
    pub topics: Vec<String>,
}

struct Term {
    /// Folded (case- and accent-insensitive) or as written (exact case).
    pattern: String,
    exact: bool,
}

struct ActorTerms {
    name: String,
    terms: Vec<Term>,
}

/// The configured actors and topic rules, prepared once for many items.
pub struct Tagger {
    actors: Vec<ActorTerms>,
    rules: Vec<(String, Vec<String>)>,
}

/// The text of an item, each part as plain text.
pub struct ItemText<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub categories: &'a [String],
}

impl Tagger {
    pub fn new(actors: &[Actor], rules: &[TopicRule]) -> Self {
        let actors = actors
            .iter()
            .map(|a| {
                let mut terms: Vec<Term> = std::iter::once(&a.name)
                    .chain(&a.aliases)
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| {
                        let t = t.trim();
                        if is_acronym(t) {
                            Term {
                                pattern: t.to_owned(),
                                exact: true,
                            }
                        } else {
                            Term {
                                pattern: fold(t),
                                exact: false,
                            }
                        }
                    })
                    .collect();
                terms.extend(
                    a.exact
                        .iter()
                        .filter(|t| !t.trim().is_empty())
                        .map(|t| Term {
                            pattern: t.trim().to_owned(),
                            exact: true,
                        }),
                );
                ActorTerms {
                    name: a.name.clone(),
                    terms,
                }
            })
            .collect();
        let rules = rules
            .iter()
            .map(|r| (r.name.clone(), r.keywords.iter().map(|k| fold(k)).collect()))
            .collect();
        Self { actors, rules }
    }

    pub fn from_config(config: &Config) -> Self {
        Self::new(&config.actors, &config.topic_rules)
    }

    /// Tags an item. `feed_actors` and `feed_topics` come from its feed's
    /// settings; `known_topics` are the topic names configured anywhere.
    pub fn tag(
        &self,
        text: &ItemText<'_>,
        feed_actors: &[String],
        feed_topics: &[String],
        known_topics: &[String],
    ) -> Tags {
        let fields = [
            (Field::Title, text.title, fold(text.title)),
            (Field::Summary, text.summary, fold(text.summary)),
            (Field::Body, text.body, fold(text.body)),
        ];
        let mut tags = Tags::default();
        for actor in &self.actors {
            let from_feed = feed_actors.iter().find(|f| {
                f.eq_ignore_ascii_case(&actor.name)
                    || actor.terms.iter().any(|t| fold(f) == fold(&t.pattern))
            });
            let found = fields.iter().find_map(|(field, raw, folded)| {
                actor.terms.iter().find_map(|t| {
                    let hay = if t.exact { *raw } else { folded.as_str() };
                    find_word(hay, &t.pattern, !t.exact).map(|(at, len)| Why {
                        actor: actor.name.clone(),
                        term: original(raw, at, len, t.exact),
                        field: *field,
                    })
                })
            });
            let why = found.or_else(|| {
                from_feed.map(|f| Why {
                    actor: actor.name.clone(),
                    term: f.clone(),
                    field: Field::FeedSettings,
                })
            });
            if let Some(why) = why {
                tags.actors.push(actor.name.clone());
                tags.why.push(why);
            }
        }
        // Feed actors that name no configured actor are still tags.
        for f in feed_actors {
            if !tags.actors.iter().any(|a| a.eq_ignore_ascii_case(f))
                && !self.actors.iter().any(|a| {
                    a.name.eq_ignore_ascii_case(f)
                        || a.terms.iter().any(|t| fold(f) == fold(&t.pattern))
                })
            {
                tags.actors.push(f.clone());
            }
        }
        let mut add_topic = |t: &str| {
            if !tags.topics.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                tags.topics.push(t.to_owned());
            }
        };
        for t in feed_topics {
            add_topic(t);
        }
        for (name, keywords) in &self.rules {
            let hit = keywords.iter().any(|k| {
                fields
                    .iter()
                    .any(|(_, _, folded)| find_word(folded, k, false).is_some())
            });
            if hit {
                add_topic(name);
            }
        }
        for c in text.categories {
            if let Some(t) = known_topics.iter().find(|t| fold(t) == fold(c)) {
                add_topic(t);
            }
        }
        tags
    }
}

/// `US`, `EU`, `AMD`: short all-capital words that are also common words
/// in lower case (`us`), so they only count in capitals.
fn is_acronym(term: &str) -> bool {
    term.chars().count() <= 3 && term.chars().all(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// Byte offset and length of `needle` in `hay` as a whole word: no letter or digit
/// right before or after. With `genitive`, a trailing `s` is allowed for
/// terms of four letters or more (`Musks`, `OpenAIs`, `Europas`).
fn find_word(hay: &str, needle: &str, genitive: bool) -> Option<(usize, usize)> {
    if needle.is_empty() {
        return None;
    }
    for (at, _) in hay.match_indices(needle) {
        let before = hay[..at].chars().next_back();
        let rest = &hay[at + needle.len()..];
        let mut after = rest.chars();
        let next = after.next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if !boundary(before) {
            continue;
        }
        if boundary(next) {
            return Some((at, needle.len()));
        }
        if genitive
            && needle.chars().count() >= 4
            && matches!(next, Some('s'))
            && boundary(after.next())
        {
            return Some((at, needle.len() + 1));
        }
    }
    None
}

/// The matched word as written in the original text.
fn original(raw: &str, at: usize, len: usize, exact: bool) -> String {
    if exact {
        return raw.get(at..at + len).unwrap_or_default().to_owned();
    }
    // Folding works per character: walk the original, counting folded bytes.
    let mut out = String::new();
    let mut pos = 0;
    let mut buf = String::new();
    for c in raw.chars() {
        buf.clear();
        crate::text::fold::fold_char(c, &mut buf);
        let end = pos + buf.len();
        if pos >= at && end <= at + len {
            out.push(c);
        }
        pos = end;
        if pos >= at + len {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagger() -> Tagger {
        let config = Config::built_in().unwrap();
        let mut actors = config.actors.clone();
        actors.push(Actor {
            name: "Meta".into(),
            key: None,
            color: ratatui::style::Color::Reset,
            aliases: vec!["Zuckerberg".into()],
            exact: vec!["Llama".into()],
            labels: vec![],
        });
        Tagger::new(
            &actors,
            &[TopicRule {
                name: "Chips".into(),
                keywords: vec!["GPU".into(), "Halbleiter".into()],
            }],
        )
    }

    fn tag(title: &str, body: &str) -> Tags {
        tagger().tag(
            &ItemText {
                title,
                summary: "",
                body,
                categories: &[],
            },
            &[],
            &[],
            &[],
        )
    }

    #[test]
    fn whole_words_ignoring_case_and_accents() {
        let t = tag("XAI stellt Grok 3 vor", "Elon Musks Firma");
        assert_eq!(t.actors, ["Musk"]);
        assert_eq!(t.why[0].to_string(), "Musk: 'XAI' in the title");
        assert_eq!(tag("Südkoreas Datenschützer", "").actors, ["South Korea"]);
        assert_eq!(tag("SUDKOREA blockiert", "").actors, ["South Korea"]);
        // Not inside other words.
        assert!(tag("Muskeln und Parisienne", "").actors.is_empty());
        assert_eq!(tag("DeepSeek-R1 schlägt o1", "").actors, ["DeepSeek"]);
    }

    #[test]
    fn acronyms_and_exact_aliases_need_their_case() {
        assert!(tag("Let us talk about the eu-phoria", "").actors.is_empty());
        assert_eq!(tag("US and EU disagree", "").actors, ["Europe", "USA"]);
        assert!(tag("A llama at the zoo", "").actors.is_empty());
        let t = tag("Meta-Modell", "Llama 3 ist offen");
        assert_eq!(t.why[0].to_string(), "Meta: 'Meta' in the title");
    }

    #[test]
    fn topics_from_feed_rules_and_categories() {
        let t = tagger().tag(
            &ItemText {
                title: "Neue GPUs",
                summary: "Halbleiter knapp",
                body: "",
                categories: &["markets".into(), "Sport".into()],
            },
            &["OpenAI".into(), "Apple".into()],
            &["Tech".into()],
            &["Markets".into(), "Tech".into()],
        );
        assert_eq!(t.topics, ["Tech", "Chips", "Markets"]);
        assert_eq!(t.actors, ["OpenAI", "Apple"]);
        assert_eq!(
            t.why[0].to_string(),
            "OpenAI: 'OpenAI' from the feed's settings"
        );
    }
}
