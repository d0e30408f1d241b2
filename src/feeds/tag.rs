//! Tags for a fetched item: actors found by their names and aliases in the
//! title, summary and body (whole words, ignoring case and accents; an
//! alias listed under `exact`, or a short all-capital acronym such as
//! `US`, only with its exact case), topics from the feed, from keyword
//! rules and from the item's categories that name a configured topic. Each
//! actor comes with the reason it was given, to show in the reading pane.
//!
//! Every term is looked for in one pass per field (an Aho-Corasick
//! automaton of all folded terms and one of the exact ones), not one scan
//! per term: a 50,000-item feed against a few dozen aliases otherwise
//! scans its text that many times. [`Tagger::tag_by_scan`] keeps the
//! per-term scan as the reference the tests compare the automaton with.

use aho_corasick::AhoCorasick;

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
    /// Its number in the automaton of its kind (folded or exact).
    id: usize,
}

struct ActorTerms {
    name: String,
    terms: Vec<Term>,
}

/// The configured actors and topic rules, prepared once for many items.
pub struct Tagger {
    actors: Vec<ActorTerms>,
    /// Each rule's name and its keywords (folded) with their numbers in
    /// the folded automaton.
    rules: Vec<(String, Vec<(String, usize)>)>,
    /// The distinct folded terms and keywords, and the exact terms.
    folded: Patterns,
    exact: Patterns,
    /// A hash of all of the above (see [`Tagger::fingerprint`]).
    fingerprint: u64,
}

/// Distinct non-empty patterns and one automaton finding them all.
struct Patterns {
    list: Vec<String>,
    automaton: Option<AhoCorasick>,
}

impl Patterns {
    fn new() -> Self {
        Self {
            list: Vec::new(),
            automaton: None,
        }
    }

    /// The number of `pattern`, added if new.
    fn id(&mut self, pattern: &str) -> usize {
        if let Some(i) = self.list.iter().position(|p| p == pattern) {
            return i;
        }
        self.list.push(pattern.to_owned());
        self.list.len() - 1
    }

    fn build(&mut self) {
        let patterns: Vec<&str> = self.list.iter().map(String::as_str).collect();
        // Without an automaton (no patterns, or a build refused) every
        // term is looked for by `find_word` instead: slower, the same.
        self.automaton = if patterns.iter().any(|p| !p.is_empty()) {
            AhoCorasick::new(&patterns).ok()
        } else {
            None
        };
    }

    /// Where each pattern is first found in `hay` as a whole word, exactly
    /// as [`find_word`] finds it: without and with the genitive `s`.
    fn find_all(&self, hay: &str) -> Vec<Found> {
        let mut found = vec![Found::default(); self.list.len()];
        let Some(automaton) = &self.automaton else {
            for (p, f) in self.list.iter().zip(&mut found) {
                f.plain = find_word(hay, p, false);
                f.genitive = find_word(hay, p, true);
            }
            return found;
        };
        // `find_word` walks one pattern's occurrences left to right, each
        // search starting after the last occurrence: an occurrence that
        // overlaps the one before it is not seen, so it is skipped here too.
        let mut next = vec![0usize; self.list.len()];
        for m in automaton.find_overlapping_iter(hay) {
            let p = m.pattern().as_usize();
            let (at, len) = (m.start(), m.len());
            if len == 0 || at < next[p] {
                continue;
            }
            next[p] = at + len;
            let f = &mut found[p];
            if f.plain.is_some() {
                // Both are set by then: a plain match is a genitive one.
                continue;
            }
            let (plain, genitive) = word_at(hay, at, len, &self.list[p]);
            if plain {
                f.plain = Some((at, len));
                f.genitive.get_or_insert((at, len));
            } else if genitive {
                f.genitive.get_or_insert((at, len + 1));
            }
        }
        found
    }
}

/// Where a term is first found in a field (by the field's index): byte
/// offset and length of the word.
type TermAt<'a> = dyn Fn(usize, &Term) -> Option<(usize, usize)> + 'a;

/// A pattern's first whole-word match in a field.
#[derive(Debug, Clone, Copy, Default)]
struct Found {
    plain: Option<(usize, usize)>,
    genitive: Option<(usize, usize)>,
}

impl Found {
    fn get(self, genitive: bool) -> Option<(usize, usize)> {
        if genitive { self.genitive } else { self.plain }
    }
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
        let mut folded = Patterns::new();
        let mut exact = Patterns::new();
        let actors: Vec<ActorTerms> = actors
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
                                id: exact.id(t),
                            }
                        } else {
                            let pattern = fold(t);
                            Term {
                                id: folded.id(&pattern),
                                pattern,
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
                            id: exact.id(t.trim()),
                        }),
                );
                ActorTerms {
                    name: a.name.clone(),
                    terms,
                }
            })
            .collect();
        let rules: Vec<(String, Vec<(String, usize)>)> = rules
            .iter()
            .map(|r| {
                let keywords = r
                    .keywords
                    .iter()
                    .map(|k| {
                        let k = fold(k);
                        let id = folded.id(&k);
                        (k, id)
                    })
                    .collect();
                (r.name.clone(), keywords)
            })
            .collect();
        folded.build();
        exact.build();
        let mut text = String::new();
        for a in &actors {
            text.push_str(&a.name);
            for t in &a.terms {
                text.push_str(if t.exact { "\u{1}=" } else { "\u{1}~" });
                text.push_str(&t.pattern);
            }
            text.push('\u{2}');
        }
        for (name, keywords) in &rules {
            text.push_str(name);
            for (k, _) in keywords {
                text.push('\u{1}');
                text.push_str(k);
            }
            text.push('\u{3}');
        }
        Self {
            actors,
            rules,
            folded,
            exact,
            fingerprint: crate::feeds::identity::fnv1a(text.as_bytes()),
        }
    }

    /// A hash of the actors, their terms and the topic rules: what tagging
    /// depends on. A file feed is read again when it changes.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
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
        let fields = fields(text);
        // Per field: each folded pattern's first match, each exact one's.
        let found: Vec<(Vec<Found>, Vec<Found>)> = fields
            .iter()
            .map(|(_, raw, folded)| (self.folded.find_all(folded), self.exact.find_all(raw)))
            .collect();
        self.tag_with(
            text,
            &fields,
            &|field, term| {
                let (folded, exact) = &found[field];
                if term.exact {
                    exact[term.id].get(false)
                } else {
                    folded[term.id].get(true)
                }
            },
            &|field, _, id| found[field].0[id].plain.is_some(),
            feed_actors,
            feed_topics,
            known_topics,
        )
    }

    /// [`tag`](Self::tag) by scanning the text once per term: the
    /// reference the automaton is tested against (same tags, same reasons).
    #[doc(hidden)]
    pub fn tag_by_scan(
        &self,
        text: &ItemText<'_>,
        feed_actors: &[String],
        feed_topics: &[String],
        known_topics: &[String],
    ) -> Tags {
        let fields = fields(text);
        self.tag_with(
            text,
            &fields,
            &|field, term| {
                let (_, raw, folded) = &fields[field];
                let hay = if term.exact { *raw } else { folded.as_str() };
                find_word(hay, &term.pattern, !term.exact)
            },
            &|field, keyword, _| find_word(&fields[field].2, keyword, false).is_some(),
            feed_actors,
            feed_topics,
            known_topics,
        )
    }

    /// The tags, given where a term is first found in a field (by the
    /// field's index) and whether a keyword is.
    #[allow(clippy::too_many_arguments)] // the item, its feed, and the two look-ups
    fn tag_with(
        &self,
        text: &ItemText<'_>,
        fields: &[(Field, &str, String); 3],
        term_at: &TermAt<'_>,
        keyword_in: &dyn Fn(usize, &str, usize) -> bool,
        feed_actors: &[String],
        feed_topics: &[String],
        known_topics: &[String],
    ) -> Tags {
        let mut tags = Tags::default();
        for actor in &self.actors {
            let from_feed = feed_actors.iter().find(|f| {
                f.eq_ignore_ascii_case(&actor.name)
                    || actor.terms.iter().any(|t| fold(f) == fold(&t.pattern))
            });
            let found = fields.iter().enumerate().find_map(|(i, (field, raw, _))| {
                actor.terms.iter().find_map(|t| {
                    term_at(i, t).map(|(at, len)| Why {
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
            let hit = keywords
                .iter()
                .any(|(k, id)| (0..fields.len()).any(|i| keyword_in(i, k, *id)));
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

/// An item's fields: each as written and folded.
fn fields<'t>(text: &ItemText<'t>) -> [(Field, &'t str, String); 3] {
    [
        (Field::Title, text.title, fold(text.title)),
        (Field::Summary, text.summary, fold(text.summary)),
        (Field::Body, text.body, fold(text.body)),
    ]
}

/// Whether the occurrence of `needle` at `at` in `hay` is a whole word,
/// and whether it is one with a genitive `s` (the rules of [`find_word`]).
fn word_at(hay: &str, at: usize, len: usize, needle: &str) -> (bool, bool) {
    let before = hay[..at].chars().next_back();
    let mut after = hay[at + len..].chars();
    let next = after.next();
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    if !boundary(before) {
        return (false, false);
    }
    if boundary(next) {
        return (true, false);
    }
    let genitive =
        needle.chars().count() >= 4 && matches!(next, Some('s')) && boundary(after.next());
    (false, genitive)
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
