//! Parsing and tagging a large feed: a 50,000-item RSS file (the size of
//! the fetch benchmark in issue 13) made in memory, then decoded, parsed,
//! rendered and tagged as `fetch` will. Prints the time and the items per
//! second; nothing is asserted. `cargo bench --bench feeds [-- ITEMS]`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a measuring tool fails loudly
#![allow(clippy::cast_precision_loss)] // figures for a table

use std::fmt::Write as _;
use std::time::Instant;

use aiwatch_tui::config::Config;
use aiwatch_tui::feeds::fetch::{known_topics, process};
use aiwatch_tui::feeds::tag::Tagger;

fn feed(items: usize) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Big</title><link>https://big.example/</link><description>d</description>\n",
    );
    let subjects = [
        "DeepSeek",
        "Nvidia-Aktie",
        "Musks xAI",
        "Die EU",
        "OpenAI",
        "Ein Start-up aus Köln",
    ];
    for i in 0..items {
        let who = subjects[i % subjects.len()];
        writeln!(
            xml,
            "<item><title>{who} meldet Neuigkeit Nummer {i}</title><link>https://big.example/news/{i}.html?utm_source=rss</link><guid isPermaLink=\"false\">big-{i}</guid><pubDate>Mon, 27 Jan 2025 {:02}:{:02}:00 +0100</pubDate><description><![CDATA[<p>{who} hat am Montag etwas <a href=\"/x/{i}\">angekündigt</a>. Analysten in Paris und Seoul sind geteilter Meinung.</p><ul><li>Erstens</li><li>Zweitens</li></ul>]]></description></item>",
            i % 24,
            i % 60
        )
        .unwrap();
    }
    xml.push_str("</channel></rss>\n");
    xml
}

fn main() {
    let items: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50_000);
    let xml = feed(items);
    let config = Config::load(Some((
        "bench.toml",
        "[[feeds]]\nurl = \"https://big.example/rss\"\nname = \"Big\"\n[[topics]]\nname = \"Chips\"\nkeywords = [\"GPU\", \"Chip\"]\n",
    )))
    .unwrap();
    let tagger = Tagger::from_config(&config);
    let topics = known_topics(&config);
    let start = Instant::now();
    let articles = process(
        &config.feeds[0],
        xml.as_bytes(),
        None,
        &tagger,
        &topics,
        chrono::Utc::now(),
    )
    .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(articles.len(), items);
    println!(
        "{items} items, {:.1} MiB: parsed, rendered and tagged in {:.0} ms ({:.0} items/s)",
        xml.len() as f64 / 1024.0 / 1024.0,
        elapsed.as_secs_f64() * 1000.0,
        items as f64 / elapsed.as_secs_f64()
    );
}
