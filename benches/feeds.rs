//! Parsing, tagging and storing a large feed: a 50,000-item RSS file (the
//! size of the fetch benchmark in issue 13) made in memory, then decoded,
//! parsed, rendered and tagged as `fetch` does (`fetch::process`), then
//! put into a new library store (one transaction), then put again
//! unchanged (as a second fetch of the same feed), and the library read
//! back. Prints the times, the items per second and the peak memory;
//! nothing is asserted. `cargo bench --bench feeds [-- ITEMS]`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a measuring tool fails loudly
#![allow(clippy::cast_precision_loss)] // figures for a table

use std::fmt::Write as _;
use std::time::Instant;

use aiwatch_tui::config::Config;
use aiwatch_tui::feeds::article::ItemSink;
use aiwatch_tui::feeds::fetch::{known_topics, process};
use aiwatch_tui::feeds::tag::Tagger;
use aiwatch_tui::library_store::LibraryStore;

#[path = "support/measure.rs"]
mod measure;

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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let mut store = LibraryStore::open(&path).unwrap().store;
    let again = articles.clone();
    let start = Instant::now();
    store.put(&config.feeds[0], articles).unwrap();
    let first = start.elapsed();
    let start = Instant::now();
    store.put(&config.feeds[0], again).unwrap();
    let second = start.elapsed();
    let start = Instant::now();
    let library = store.load_library(&config.actor_directory()).unwrap();
    let read = start.elapsed();
    assert_eq!(library.sections.len(), items);
    let size = std::fs::metadata(&path).map_or(0, |m| m.len())
        + std::fs::metadata(dir.path().join("library.sqlite-wal")).map_or(0, |m| m.len());
    println!(
        "stored (first put, new store) in {:.0} ms ({:.0} items/s); put again unchanged in {:.0} ms; read back in {:.0} ms; store {:.1} MiB; peak memory {} MiB",
        measure::ms(first),
        items as f64 / first.as_secs_f64(),
        measure::ms(second),
        measure::ms(read),
        size as f64 / 1024.0 / 1024.0,
        measure::peak_memory_kib() / 1024
    );
}
