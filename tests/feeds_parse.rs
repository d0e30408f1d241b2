//! Feed parsing on fixtures of every format and several encodings, on
//! malformed feeds, and on item identity across fetches; then items into
//! tagged articles with their bodies rendered for the terminal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::path::Path;

use aiwatch_tui::config::Config;
use aiwatch_tui::content::Block;
use aiwatch_tui::feeds::article::{FetchedArticle, articles};
use aiwatch_tui::feeds::config::Feed;
use aiwatch_tui::feeds::decode::Source;
use aiwatch_tui::feeds::identity::Identity;
use aiwatch_tui::feeds::parse::{ParsedFeed, parse};
use aiwatch_tui::feeds::tag::Tagger;
use chrono::{DateTime, Utc};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/feeds")
            .join(name),
    )
    .unwrap()
}

fn url_of(name: &str) -> String {
    format!("https://feeds.example/{name}")
}

fn parsed(name: &str) -> ParsedFeed {
    parse(&fixture(name), None, Some(&url_of(name))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn date(item: &aiwatch_tui::feeds::parse::FeedItem) -> String {
    item.date.unwrap().format("%Y-%m-%d %H:%M").to_string()
}

#[test]
fn rss2_german_with_cdata_escaped_html_and_relative_links() {
    let feed = parsed("heise-de.rss");
    assert_eq!(feed.format, "RSS 2.0");
    assert_eq!(feed.lang.as_deref(), Some("de-de"));
    assert_eq!(feed.ttl, Some(std::time::Duration::from_secs(1800)));
    assert_eq!(
        feed.title.as_deref(),
        Some("KI-Ticker – Nachrichten über künstliche Intelligenz")
    );
    let [a, b, c] = feed.items.as_slice() else {
        panic!("{:?}", feed.items)
    };
    assert_eq!(a.title, "Südkorea sperrt DeepSeek-App für Behörden");
    assert_eq!(a.guid.as_deref(), Some("ki-ticker-10234"));
    assert_eq!(date(a), "2025-02-06 08:15");
    assert_eq!(a.categories, ["Datenschutz", "Politik"]);
    assert!(a.content_html.as_deref().unwrap().contains("<ul><li>Grund"));
    assert_eq!(
        b.title,
        "Musks xAI stellt Grok 3 vor – „das klügste KI-Modell der Welt“"
    );
    assert_eq!(date(b), "2025-02-18 06:02");
    assert!(
        b.summary_html
            .as_deref()
            .unwrap()
            .starts_with("<p>Elon Musk")
    );
    // No guid, no date; a relative link resolved against the feed's URL.
    assert_eq!(c.guid, None);
    assert_eq!(c.date, None);
    assert_eq!(
        c.link.as_deref(),
        Some("https://feeds.example/news/teuken-rlp-10377.html")
    );
}

#[test]
fn atom_with_xml_base_html_titles_and_xhtml_content() {
    let feed = parsed("techwire.atom");
    assert_eq!(feed.format, "Atom 1.0");
    let [a, b] = feed.items.as_slice() else {
        panic!()
    };
    assert_eq!(a.title, "DeepSeek sends Nvidia shares tumbling");
    assert_eq!(
        a.link.as_deref(),
        Some("https://techwire.example.com/2025/01/27/deepseek-nvidia/")
    );
    // Published wins over updated; the zone is applied.
    assert_eq!(date(a), "2025-01-28 02:40");
    assert_eq!(a.authors, ["Dana Reyes"]);
    assert_eq!(a.categories, ["Markets"]);
    assert_eq!(date(b), "2025-01-21 23:10");
    assert!(b.content_html.as_deref().unwrap().contains("White House"));
}

#[test]
fn json_feed_1_1_and_1_0() {
    let feed = parsed("openbrief.json");
    assert_eq!(feed.format, "JSON Feed");
    assert_eq!(feed.lang.as_deref(), Some("en"));
    let [a, b] = feed.items.as_slice() else {
        panic!()
    };
    assert_eq!(a.title, "Macron opens the Paris AI Action Summit");
    assert_eq!(date(a), "2025-02-10 09:00");
    assert_eq!(
        b.title,
        "Vance warns Europe against \"excessive regulation\""
    );
    assert_eq!(date(b), "2025-02-11 15:30");
    let old = parsed("newsline-1.0.json");
    assert_eq!(old.items[0].title, "Nvidia unveils H100 successor");
    assert_eq!(
        old.items[0].link.as_deref(),
        Some("https://feeds.example/story/a1")
    );
}

#[test]
fn rss_1_0_and_0_91() {
    let rdf = parsed("slashdot-like.rdf");
    assert_eq!(rdf.format, "RSS 1.0");
    assert_eq!(
        rdf.items[0].title,
        "OpenAI Says DeepSeek May Have Used Its Models"
    );
    assert_eq!(date(&rdf.items[0]), "2025-01-29 14:20");
    let old = parsed("old-portal.rss");
    assert_eq!(old.format, "RSS 0.9x");
    assert_eq!(old.items[0].title, "Altman returns as OpenAI chief");
    assert_eq!(old.items[0].date, None);
}

#[test]
fn declared_latin1_and_undeclared_windows_1252() {
    let latin = parsed("wirtschaft-latin1.rss");
    assert_eq!(latin.encoding_source, Source::Prolog);
    assert_eq!(
        latin.items[0].title,
        "Größter KI-Fonds Europas startet in München"
    );
    assert_eq!(date(&latin.items[0]), "2025-03-12 07:30");
    assert!(
        latin.items[0]
            .summary_html
            .as_deref()
            .unwrap()
            .contains("20 Mrd. €")
    );
    let cp = parsed("zeitung-cp1252.rss");
    assert_eq!(cp.encoding_source, Source::Guessed);
    assert_eq!(cp.encoding, "windows-1252");
    assert_eq!(
        cp.items[0].title,
        "„Stargate“: OpenAI baut in Texas – Köln schaut zu"
    );
}

#[test]
fn malformed_feeds_say_why_and_where() {
    let e = parse(&fixture("broken.rss"), None, None).unwrap_err();
    assert_eq!(e.position.map(|p| p.0), Some(8), "{e}");
    assert!(e.reason.starts_with("malformed XML"), "{e}");
    let e = parse(&fixture("broken.json"), None, None).unwrap_err();
    assert_eq!(e.position, Some((2, 21)), "{e}");
    let e = parse(&fixture("plain.html"), None, None).unwrap_err();
    assert!(e.reason.contains("an HTML page, not a feed"), "{e}");
    let e = parse(b"", None, None).unwrap_err();
    assert!(!e.reason.is_empty());
    let e = parse(b"\x00\x01garbage\xff", None, None).unwrap_err();
    assert!(!e.reason.is_empty());
}

fn feed(name: &str) -> Feed {
    let text = format!(
        "[[feeds]]\nurl = \"{}\"\nname = \"Test\"\ntopics = [\"AI\"]\n",
        url_of(name)
    );
    Config::load(Some(("c.toml", &text)))
        .unwrap()
        .feeds
        .remove(0)
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-03-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

fn fetch(name: &str, bytes: &[u8]) -> Vec<FetchedArticle> {
    let config = Config::built_in().unwrap();
    let tagger = Tagger::from_config(&config);
    let parsed = parse(bytes, None, Some(&url_of(name))).unwrap();
    articles(
        &feed(name),
        &parsed,
        &tagger,
        &["Markets".to_owned()],
        now(),
    )
}

#[test]
fn items_become_tagged_one_section_articles() {
    let items = fetch("heise-de.rss", &fixture("heise-de.rss"));
    let a = &items[0].article;
    assert_eq!(a.lang, "de-de");
    assert_eq!(a.source.as_deref(), Some("Test"));
    assert_eq!(a.sections.len(), 1);
    assert_eq!(
        a.sections[0].heading,
        "Südkorea sperrt DeepSeek-App für Behörden"
    );
    // In configuration order.
    assert_eq!(a.actors, ["DeepSeek", "Italy", "South Korea"]);
    assert_eq!(a.topics, ["AI"]);
    let why: Vec<String> = items[0].why.iter().map(ToString::to_string).collect();
    assert_eq!(
        why,
        [
            "DeepSeek: 'DeepSeek' in the title",
            "Italy: 'Italien' in the summary",
            "South Korea: 'Südkorea' in the title"
        ]
    );
    assert_eq!(
        a.sections[0].body,
        [
            Block::Paragraph("Mehrere Ministerien in Seoul haben den Zugriff auf den Chatbot des chinesischen Start-ups DeepSeek [1] gesperrt.".into()),
            Block::Item("Grund: unklare Datenflüsse nach China".into()),
            Block::Item("Betroffen: Dienstrechner".into()),
            Block::Item("[1] https://ki-ticker.example.de/thema/deepseek".into()),
        ]
    );
    let grok = &items[1];
    assert_eq!(grok.article.actors, ["Musk"]);
    assert_eq!(grok.why[0].to_string(), "Musk: 'Musks' in the title");
    // No date in the feed: dated when first seen, and marked so.
    assert!(items[2].first_seen);
    assert_eq!(items[2].at, now());
    assert_eq!(items[2].article.actors, ["Europe", "Germany"]);
}

#[test]
fn fetching_the_same_feed_twice_finds_the_same_items() {
    let first: Vec<Identity> = fetch("heise-de.rss", &fixture("heise-de.rss"))
        .into_iter()
        .map(|a| a.identity)
        .collect();
    let second: Vec<Identity> = fetch("heise-de.rss", &fixture("heise-de.rss"))
        .into_iter()
        .map(|a| a.identity)
        .collect();
    assert_eq!(first, second);
    // A changed title keeps the identity (the item is updated in place).
    let text = String::from_utf8(fixture("heise-de.rss")).unwrap();
    let changed = text.replace(
        "Südkorea sperrt DeepSeek-App",
        "Südkorea sperrt DeepSeek-App (Update)",
    );
    let again = fetch("heise-de.rss", changed.as_bytes());
    assert_eq!(again[0].identity, first[0]);
    assert!(again[0].article.title.contains("(Update)"));
    // New guids, same links: the same items, not duplicates.
    let regid = text.replace("ki-ticker-10234", "https://ki-ticker.example.de/?p=10234");
    let moved = fetch("heise-de.rss", regid.as_bytes());
    assert_ne!(moved[0].identity.key, first[0].key);
    assert!(moved[0].identity.same_item(&first[0]));
    assert!(!moved[0].identity.same_item(&first[1]));
}

/// A date the reader cannot hold (year 0, year 10000) is treated as no
/// date: the item is kept, dated when first seen and marked so, not lost
/// in silence.
#[test]
fn an_item_dated_outside_years_1_to_9999_is_kept_as_first_seen() {
    let json = br#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [
        {"id": "a", "title": "Year zero", "content_text": "x", "date_published": "0000-01-01T00:00:00Z"},
        {"id": "b", "title": "Fine", "content_text": "y", "date_published": "2025-01-02T10:00:00Z"}
    ]}"#;
    let items = fetch("dates.json", json);
    assert_eq!(items.len(), 2, "both items kept");
    let zero = items
        .iter()
        .find(|i| i.article.title == "Year zero")
        .unwrap();
    assert!(zero.first_seen);
    assert_eq!(zero.at, now());
    assert!(
        !items
            .iter()
            .find(|i| i.article.title == "Fine")
            .unwrap()
            .first_seen
    );
}

/// A JSON Feed's `content_text` is plain text: its blank lines stay
/// paragraph breaks (HTML would fold them into one line), and `<` in it is
/// text, not a tag.
#[test]
fn plain_text_content_keeps_its_paragraphs() {
    let json = br#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [
        {"id": "a", "title": "Plain", "date_published": "2025-01-02T10:00:00Z",
         "content_text": "First paragraph here.\n\nSecond <b>paragraph</b> here."}
    ]}"#;
    let items = fetch("plain.json", json);
    let body = &items[0].article.sections[0].body;
    assert_eq!(
        body[..2],
        [
            Block::Paragraph("First paragraph here.".into()),
            Block::Paragraph("Second <b>paragraph</b> here.".into()),
        ],
        "{body:?}"
    );
}

/// An item without a title is never a blank row: its heading is the start
/// of its summary or text, else its link, else "Untitled item".
#[test]
fn an_item_without_a_title_is_named_by_its_text_or_link() {
    let rss = "<rss version=\"2.0\"><channel><title>T</title>\
        <item><guid>1</guid><title>  </title><description>OpenAI opens an office in Paris today.</description></item>\
        <item><guid>2</guid><link>https://news.example/a/2</link></item>\
        <item><guid>3</guid></item>\
        </channel></rss>";
    let headings: Vec<String> = fetch("untitled.rss", rss.as_bytes())
        .iter()
        .map(|i| i.article.sections[0].heading.clone())
        .collect();
    assert_eq!(
        headings,
        [
            "OpenAI opens an office in Paris today.",
            "https://news.example/a/2",
            "Untitled item"
        ]
    );
    let json = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T",
        "items": [{"id": "1", "content_text": "Nvidia reports its results."}]}"#;
    let items = fetch("untitled.json", json.as_bytes());
    assert_eq!(
        items[0].article.sections[0].heading,
        "Nvidia reports its results."
    );
}

#[test]
fn a_title_past_the_cap_is_cut_where_it_is_kept_as_a_heading() {
    let long = "word ".repeat(20_000);
    let rss = format!(
        "<rss version=\"2.0\"><channel><title>T</title>\
        <item><guid>1</guid><title>{long}</title><description>text</description></item>\
        </channel></rss>"
    );
    let items = fetch("long.rss", rss.as_bytes());
    let heading = &items[0].article.sections[0].heading;
    assert!(
        heading.chars().count() <= aiwatch_tui::feeds::article::MAX_TITLE_COLUMNS,
        "{} characters",
        heading.chars().count()
    );
    assert!(heading.starts_with("word word") && heading.ends_with('…'));
}

#[test]
fn a_json_feed_with_numeric_ids_is_read_with_the_ids_as_text() {
    let body = br#"{"version":"https://jsonfeed.org/version/1.1","title":"Numbers","items":[
        {"id":12345,"title":"First","content_text":"one","date_published":"2025-02-10T09:00:00Z"},
        {"id":"a-2","title":"Second","content_text":"two"}]}"#;
    let feed = parse(body, None, Some("https://feeds.example/n.json")).unwrap();
    assert_eq!(feed.items.len(), 2);
    assert_eq!(feed.items[0].guid.as_deref(), Some("12345"));
    assert_eq!(feed.items[1].guid.as_deref(), Some("a-2"));
    // An id of another kind: that item has none, the others are read.
    let body = br#"{"version":"https://jsonfeed.org/version/1.1","title":"Odd","items":[
        {"id":true,"title":"Flag","url":"https://feeds.example/flag","content_text":"x"},
        {"id":{"a":1},"title":"Object","content_text":"y"},
        {"id":"ok","title":"Fine","content_text":"z"}]}"#;
    let feed = parse(body, None, Some("https://feeds.example/o.json")).unwrap();
    let guids: Vec<Option<&str>> = feed.items.iter().map(|i| i.guid.as_deref()).collect();
    assert_eq!(guids, [None, None, Some("ok")]);
}

#[test]
fn a_broken_json_feed_gives_its_place_once() {
    let body =
        br#"{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{"id":"1","title":5}]}"#;
    let e = parse(body, None, None).unwrap_err();
    let said = e.to_string();
    assert!(said.contains("invalid JSON Feed"), "{said}");
    assert!(
        !said.contains(" at line "),
        "the place is given once: {said}"
    );
    assert!(e.position.is_some(), "{said}");
}
