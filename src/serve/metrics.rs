//! The server's counters for `--metrics`, kept in atomics (no lock on any
//! path a session takes) and written out in the Prometheus text
//! exposition format (version 0.0.4). Owns the names, the label values
//! and the rendering; knows nothing of sockets, sessions or HTTP.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::End;

/// Every way a connection ends, in the order they are written out.
const ENDS: [End; End::ALL.len()] = End::ALL;

/// Refusal reasons as labels: before any handshake (`full`,
/// `per_address`, `proxy_header`: no valid PROXY header from a balancer, or
/// one from an address not trusted), then the requests the session refuses (the log's
/// `reason=`). A reason not listed counts as `other`.
pub const REFUSALS: [&str; 12] = [
    "full",
    "per_address",
    "proxy_header",
    "no_commands",
    "no_subsystems",
    "no_forwarding",
    "already_running",
    "already_granted",
    "no_terminal",
    "one_session_per_connection",
    "no_thread",
    "other",
];

/// Login methods as labels.
pub const METHODS: [&str; 4] = ["none", "publickey", "password", "keyboard-interactive"];

/// Results of a feed fetch as labels (the log's `status=`), and `error`
/// for a round the store could not take.
pub const FETCHES: [&str; 5] = ["ok", "not_modified", "failed", "waiting", "error"];

/// Upper bounds (seconds) of the key-to-frame histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Every family but the histogram and the process's: name, type, help.
const FAMILIES: [(&str, &str, &str); 14] = [
    (
        "aiwatch_sessions_current",
        "gauge",
        "Sessions with a running reader now.",
    ),
    (
        "aiwatch_sessions_total",
        "counter",
        "Sessions started (a reader ran).",
    ),
    (
        "aiwatch_session_ends_total",
        "counter",
        "Sessions ended, by reason (the log's session_end reason).",
    ),
    (
        "aiwatch_connections_total",
        "counter",
        "Connections admitted (past the address and server limits).",
    ),
    (
        "aiwatch_connection_ends_total",
        "counter",
        "Admitted connections closed, by reason (the log's close reason).",
    ),
    (
        "aiwatch_refusals_total",
        "counter",
        "Connections and requests refused, by reason.",
    ),
    (
        "aiwatch_auth_total",
        "counter",
        "Login attempts, by method and result.",
    ),
    (
        "aiwatch_sent_bytes_total",
        "counter",
        "Bytes of frames and goodbyes written to clients' channels.",
    ),
    (
        "aiwatch_input_bytes_total",
        "counter",
        "Bytes of input received from clients' channels.",
    ),
    (
        "aiwatch_frames_dropped_total",
        "counter",
        "Frames that did not fit the session's frame queue (the session ends: overrun).",
    ),
    (
        "aiwatch_frames_held_total",
        "counter",
        "Frames held back because the client had not taken the one before.",
    ),
    (
        "aiwatch_store_syncs_total",
        "counter",
        "Writes of the library store: the sync at start, then each fetch round that stored items.",
    ),
    (
        "aiwatch_feed_fetches_total",
        "counter",
        "Feeds fetched by the background fetcher, by result.",
    ),
    (
        "aiwatch_build_info",
        "gauge",
        "Always 1; the version of the running server in its label.",
    ),
];

/// Samples of one family: labels and value.
type Samples<'a> = Vec<(Vec<(&'a str, &'a str)>, u64)>;

/// A histogram of durations: one counter per bucket (not cumulative: that
/// is summed when written), the sum in microseconds and the count.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&b| secs <= b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

/// The server's counters. One per server, shared by every session.
#[derive(Debug)]
pub struct Metrics {
    /// Where latency stamps count from (`stamp`).
    epoch: Instant,
    sessions_current: AtomicI64,
    sessions_total: AtomicU64,
    session_ends: [AtomicU64; ENDS.len()],
    connections_total: AtomicU64,
    connection_ends: [AtomicU64; ENDS.len()],
    refusals: [AtomicU64; REFUSALS.len()],
    /// `[accept, reject]` per method.
    auth: [[AtomicU64; 2]; METHODS.len()],
    sent_bytes: AtomicU64,
    input_bytes: AtomicU64,
    key_to_frame: Histogram,
    frames_dropped: AtomicU64,
    frames_held: AtomicU64,
    /// `[ok, failed]`.
    store_syncs: [AtomicU64; 2],
    fetches: [AtomicU64; FETCHES.len()],
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            sessions_current: AtomicI64::new(0),
            sessions_total: AtomicU64::new(0),
            session_ends: Default::default(),
            connections_total: AtomicU64::new(0),
            connection_ends: Default::default(),
            refusals: Default::default(),
            auth: Default::default(),
            sent_bytes: AtomicU64::new(0),
            input_bytes: AtomicU64::new(0),
            key_to_frame: Histogram::default(),
            frames_dropped: AtomicU64::new(0),
            frames_held: AtomicU64::new(0),
            store_syncs: Default::default(),
            fetches: Default::default(),
        }
    }
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn end_index(end: End) -> usize {
    end as usize
}

impl Metrics {
    pub fn session_started(&self) {
        self.sessions_current.fetch_add(1, Ordering::Relaxed);
        add(&self.sessions_total, 1);
    }

    pub fn session_ended(&self, why: End) {
        self.sessions_current.fetch_sub(1, Ordering::Relaxed);
        add(&self.session_ends[end_index(why)], 1);
    }

    pub fn connected(&self) {
        add(&self.connections_total, 1);
    }

    pub fn connection_ended(&self, why: End) {
        add(&self.connection_ends[end_index(why)], 1);
    }

    /// A refusal, by the log's reason (unknown ones count as `other`).
    pub fn refused(&self, reason: &str) {
        let i = REFUSALS
            .iter()
            .position(|&r| r == reason)
            .unwrap_or(REFUSALS.len() - 1);
        add(&self.refusals[i], 1);
    }

    pub fn auth(&self, method: &str, accepted: bool) {
        if let Some(i) = METHODS.iter().position(|&m| m == method) {
            add(&self.auth[i][usize::from(!accepted)], 1);
        }
    }

    pub fn sent(&self, bytes: usize) {
        add(&self.sent_bytes, bytes as u64);
    }

    pub fn input(&self, bytes: usize) {
        add(&self.input_bytes, bytes as u64);
    }

    /// Now, as a latency stamp: nanoseconds since the server started,
    /// never 0 (0 means "no stamp").
    pub fn stamp(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// A frame answering an input stamped `since` has been written.
    pub fn frame_written(&self, since: u64) {
        let now = self.stamp();
        self.key_to_frame
            .observe(Duration::from_nanos(now.saturating_sub(since)));
    }

    pub fn frame_dropped(&self) {
        add(&self.frames_dropped, 1);
    }

    pub fn frame_held(&self) {
        add(&self.frames_held, 1);
    }

    pub fn store_sync(&self, ok: bool) {
        add(&self.store_syncs[usize::from(!ok)], 1);
    }

    /// A feed fetched, by the log's `status=` (or `error`).
    pub fn fetch(&self, result: &str) {
        if let Some(i) = FETCHES.iter().position(|&r| r == result) {
            add(&self.fetches[i], 1);
        }
    }

    /// Everything in the text exposition format, with the process's
    /// resident memory and threads read now (Linux; left out elsewhere).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let by_end = |counters: &[AtomicU64; ENDS.len()]| -> Vec<(Vec<(&str, &str)>, u64)> {
            ENDS.iter()
                .zip(counters)
                .map(|(end, c)| (vec![("reason", end.name())], load(c)))
                .collect()
        };
        let by = |label: &'static str, names: &[&'static str], counters: &[AtomicU64]| {
            names
                .iter()
                .zip(counters)
                .map(|(name, c)| (vec![(label, *name)], load(c)))
                .collect::<Vec<_>>()
        };
        let plain = |value: u64| vec![(Vec::new(), value)];
        let current = self.sessions_current.load(Ordering::Relaxed).max(0);
        let auth = METHODS
            .iter()
            .zip(&self.auth)
            .flat_map(|(method, pair)| {
                ["accept", "reject"]
                    .into_iter()
                    .zip(pair)
                    .map(|(result, c)| (vec![("method", *method), ("result", result)], load(c)))
            })
            .collect();
        let values: [Samples<'_>; 14] = [
            plain(current.unsigned_abs()),
            plain(load(&self.sessions_total)),
            by_end(&self.session_ends),
            plain(load(&self.connections_total)),
            by_end(&self.connection_ends),
            by("reason", &REFUSALS, &self.refusals),
            auth,
            plain(load(&self.sent_bytes)),
            plain(load(&self.input_bytes)),
            plain(load(&self.frames_dropped)),
            plain(load(&self.frames_held)),
            by("result", &["ok", "failed"], &self.store_syncs),
            by("result", &FETCHES, &self.fetches),
            vec![(vec![("version", env!("CARGO_PKG_VERSION"))], 1)],
        ];
        for ((name, kind, help), samples) in FAMILIES.into_iter().zip(values) {
            head(&mut out, name, kind, help);
            for (labels, value) in samples {
                sample(&mut out, name, &labels, value);
            }
        }
        self.render_latency(&mut out);
        if let Some((rss, threads)) = process_status() {
            let gauges = [
                (
                    "process_resident_memory_bytes",
                    "Resident memory of the server process.",
                    rss,
                ),
                ("process_threads", "Threads of the server process.", threads),
            ];
            for (name, help, value) in gauges {
                head(&mut out, name, "gauge", help);
                sample(&mut out, name, &[], value);
            }
        }
        out
    }

    fn render_latency(&self, out: &mut String) {
        let name = "aiwatch_key_to_frame_seconds";
        head(
            out,
            name,
            "histogram",
            "From an input's arrival in its session to the end of writing the next frame drawn after it.",
        );
        let h = &self.key_to_frame;
        let mut cumulative = 0;
        for (bound, c) in LATENCY_BUCKETS.iter().zip(&h.buckets) {
            cumulative += c.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = h.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        // Microseconds written as seconds, exactly.
        let micros = h.sum_micros.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "{name}_sum {}.{:06}",
            micros / 1_000_000,
            micros % 1_000_000
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One sample line; no braces without labels.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
        return;
    }
    let labels: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    let _ = writeln!(out, "{name}{{{}}} {value}", labels.join(","));
}

/// A label value as the format wants it: backslash, double quote and
/// line feed escaped.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: backslash and line feed escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Resident bytes and threads of this process, from /proc.
fn process_status() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some((field("VmRSS:")?.saturating_mul(1024), field("Threads:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_end_has_its_place() {
        for (i, end) in ENDS.iter().enumerate() {
            assert_eq!(end_index(*end), i, "{end:?}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label("two\nlines"), "two\\nlines");
        assert_eq!(escape_label("plain"), "plain");
    }

    #[test]
    fn the_histogram_is_cumulative_and_counts_every_observation() {
        let m = Metrics::default();
        m.key_to_frame.observe(Duration::from_micros(500));
        m.key_to_frame.observe(Duration::from_millis(7));
        m.key_to_frame.observe(Duration::from_secs(60));
        let text = m.render();
        assert!(
            text.contains("aiwatch_key_to_frame_seconds_bucket{le=\"0.001\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("aiwatch_key_to_frame_seconds_bucket{le=\"0.01\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("aiwatch_key_to_frame_seconds_bucket{le=\"5\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("aiwatch_key_to_frame_seconds_bucket{le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("aiwatch_key_to_frame_seconds_count 3\n"),
            "{text}"
        );
    }

    #[test]
    fn every_sample_has_help_and_type_and_counters_move() {
        let m = Metrics::default();
        m.session_started();
        m.session_started();
        m.session_ended(End::Quit);
        m.refused("per_address");
        m.refused("something new");
        m.auth("publickey", false);
        m.fetch("not_modified");
        let text = m.render();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line
                .split(['{', ' '])
                .next()
                .unwrap_or_default()
                .trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_count");
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "no TYPE for {line}"
            );
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "no HELP for {line}"
            );
        }
        for expected in [
            "aiwatch_sessions_current 1\n",
            "aiwatch_sessions_total 2\n",
            "aiwatch_session_ends_total{reason=\"quit\"} 1\n",
            "aiwatch_session_ends_total{reason=\"idle\"} 0\n",
            "aiwatch_refusals_total{reason=\"per_address\"} 1\n",
            "aiwatch_refusals_total{reason=\"other\"} 1\n",
            "aiwatch_auth_total{method=\"publickey\",result=\"reject\"} 1\n",
            "aiwatch_feed_fetches_total{result=\"not_modified\"} 1\n",
            "aiwatch_build_info{version=\"",
        ] {
            assert!(text.contains(expected), "no {expected:?} in\n{text}");
        }
    }
}
