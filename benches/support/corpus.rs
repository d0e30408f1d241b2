//! A generator of synthetic corpora for the benchmarks: N articles of
//! five sections each, deterministic, with tags from small pools.

use std::fmt::Write as _;
use std::path::Path;

const ACTORS: &[&str] = &[
    "Musk",
    "xAI",
    "OpenAI",
    "DeepSeek",
    "Nvidia",
    "France",
    "EU",
    "Mistral",
    "Anthropic",
    "Google",
];
const TOPICS: &[&str] = &[
    "markets",
    "regulation",
    "chips",
    "models",
    "investment",
    "security",
    "politics",
    "research",
];
const WORDS: &[&str] = &[
    "the",
    "model",
    "launch",
    "market",
    "billion",
    "regulators",
    "training",
    "chips",
    "Europe",
    "announced",
    "data",
    "centre",
    "investors",
    "reported",
    "quarter",
    "safety",
    "benchmark",
    "open",
    "weights",
    "Südkorea",
];

/// A tiny deterministic generator, so every run measures the same corpus.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

/// Writes `articles` files of five sections each into `dir`.
pub fn generate(dir: &Path, articles: usize) {
    let mut rng = Lcg(42);
    for i in 0..articles {
        let folder = dir.join(format!("{:03}", i % 100));
        std::fs::create_dir_all(&folder).unwrap();
        let mut text = String::new();
        let year = 2020 + rng.next(6);
        let month = 1 + rng.next(12);
        writeln!(
            text,
            "title = \"Synthetic article {i}\"\npublished = \"{year}-{month:02}\""
        )
        .unwrap();
        writeln!(
            text,
            "source = \"Bench Daily\"\nurl = \"https://example.org/{i}\""
        )
        .unwrap();
        writeln!(text, "topics = [\"{}\"]", TOPICS[rng.next(TOPICS.len())]).unwrap();
        for s in 0..5 {
            let day = 1 + rng.next(28);
            let date = match rng.next(3) {
                0 => format!("{year}-{month:02}"),
                _ => format!("{year}-{month:02}-{day:02}"),
            };
            let body: Vec<String> = (0..3)
                .map(|_| {
                    (0..40)
                        .map(|_| WORDS[rng.next(WORDS.len())])
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            writeln!(
                text,
                "[[section]]\nheading = \"Section {s} of article {i}: {} and {}\"\ndate = \"{date}\"\nactors = [\"{}\", \"{}\"]\ntopics = [\"{}\"]\nbody = \"\"\"\n{}\n\"\"\"",
                ACTORS[rng.next(ACTORS.len())],
                ACTORS[rng.next(ACTORS.len())],
                ACTORS[rng.next(ACTORS.len())],
                ACTORS[rng.next(ACTORS.len())],
                TOPICS[rng.next(TOPICS.len())],
                body.join("\n\n"),
            )
            .unwrap();
        }
        std::fs::write(folder.join(format!("a{i}.toml")), text).unwrap();
    }
}
