//! One HTTP(S) GET of one feed, blocking: conditional (the last fetch's
//! validators), bounded in time (connect and total) and in size (the body
//! after decompression), redirects followed by hand so a permanent one can
//! be reported, 429/503 Retry-After read. TLS is rustls with ring; proxies
//! come from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`). Knows nothing of parsing or the store: `feeds::run` calls
//! it from its worker threads.

use std::io::{BufRead, BufReader, Read};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::ledger::Validators;

/// The total and connect timeout when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// The largest body, after decompression, when no cap is given.
pub const DEFAULT_MAX_BODY: u64 = 10 * 1024 * 1024;
/// The bounds a user may set the timeout and the body cap within.
pub const TIMEOUT_RANGE: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(600));
pub const MAX_BODY_RANGE: (u64, u64) = (1024, 1024 * 1024 * 1024);
/// Redirects followed at most; the next one is an error.
pub const MAX_REDIRECTS: usize = 5;
/// The longest a server may ask us to wait (Retry-After): a week, so a
/// mistaken or hostile date does not silence a feed for ever.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 86_400);
/// The wait after a 429 or 503 that gave no Retry-After.
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// Who is asking, so publishers can tell (and reach) the reader.
pub const USER_AGENT: &str = concat!(
    "aiwatch-tui/",
    env!("CARGO_PKG_VERSION"),
    " (+aiwatch-tui, a terminal news reader)"
);
/// The encodings we decode ourselves (`decode_body`).
const ACCEPT_ENCODING: &str = "gzip, deflate, br";

/// How long and how much one fetch may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From the first byte sent to the last byte read, redirects included.
    pub timeout: Duration,
    /// Connecting (and the TLS handshake) to one server.
    pub connect_timeout: Duration,
    /// The body after decompression: more is an error, never a truncation.
    pub max_body: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

/// What a successful GET brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The body, decompressed; `None` for a 304 Not Modified.
    pub body: Option<Vec<u8>>,
    /// The Content-Type's charset, for the decoder.
    pub charset: Option<String>,
    /// To send next time: the new ones, or on a 304 the ones sent (with
    /// any the 304 refreshed).
    pub validators: Validators,
    /// Where a permanent redirect (301, 308) pointed: the URL the config
    /// should say. Temporary ones (302, 303, 307) are not noted.
    pub moved_to: Option<String>,
    /// How long the server says the answer stays fresh
    /// (`Cache-Control: max-age`, else `Expires`): a refresh hint.
    pub fresh_for: Option<Duration>,
}

/// Why a GET brought no feed; each says itself in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("HTTP {status}{}", reason_suffix(.reason))]
    Status {
        status: u16,
        reason: String,
        /// Not before this moment (429/503: Retry-After, else a backoff).
        retry_after: Option<DateTime<Utc>>,
    },
    #[error("more than {MAX_REDIRECTS} redirects (the last to {0})")]
    TooManyRedirects(String),
    #[error("a redirect loop: {0} was visited before")]
    RedirectLoop(String),
    #[error("a redirect with no usable Location: {0}")]
    BadRedirect(String),
    #[error("the body is larger than {} (after decompression)", size(*.0))]
    TooLarge(u64),
    #[error("no complete answer within {} s", .0.as_secs())]
    Timeout(Duration),
    #[error("the body cannot be decoded ({0})")]
    Decode(String),
    #[error("{0}")]
    Transport(String),
}

impl HttpError {
    /// When the server asked us to come back (429 and 503 only).
    pub fn retry_after(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" {reason}")
    }
}

/// `10 MiB`, `64 KiB`, `512 bytes`.
pub fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / 1024 / 1024)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// An HTTP client for feeds: one agent (connection pool, proxy, TLS)
/// shared by every worker thread.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    limits: Limits,
}

impl Client {
    pub fn new(limits: Limits) -> Self {
        let config = ureq::Agent::config_builder()
            // Statuses are answers we read, not errors to unwrap.
            .http_status_as_error(false)
            // Redirects by hand: a permanent one must be reported, a loop
            // named, and each hop kept within the one total deadline.
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .accept_encoding(ACCEPT_ENCODING)
            .timeout_connect(Some(limits.connect_timeout))
            .build();
        Self {
            agent: config.into(),
            limits,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// GETs `url`, sending `validators`. `on_bytes` hears the count of
    /// bytes received so far (before decompression), as they arrive.
    pub fn get(
        &self,
        url: &str,
        validators: &Validators,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<Response, HttpError> {
        let deadline = Instant::now() + self.limits.timeout;
        let mut current = url.to_owned();
        let mut visited = vec![current.clone()];
        // The config should follow a redirect only while every hop so far
        // was permanent: a 301 to a 302 moves the feed to the 302's URL.
        let mut permanent = true;
        let mut moved_to = None;
        for _ in 0..=MAX_REDIRECTS {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(HttpError::Timeout(self.limits.timeout));
            }
            let mut request = self
                .agent
                .get(&current)
                .config()
                .timeout_global(Some(remaining))
                .build();
            if let Some(etag) = &validators.etag {
                request = request.header("If-None-Match", etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header("If-Modified-Since", modified);
            }
            let response = request.call().map_err(|e| self.transport_error(&e))?;
            let status = response.status().as_u16();
            match status {
                301 | 302 | 303 | 307 | 308 => {
                    let next = location(&response, &current)?;
                    if visited.contains(&next) {
                        return Err(HttpError::RedirectLoop(next));
                    }
                    permanent &= matches!(status, 301 | 308);
                    if permanent {
                        moved_to = Some(next.clone());
                    }
                    visited.push(next.clone());
                    current = next;
                }
                304 => {
                    let fresh = validators_of(&response);
                    let fresh_for = fresh_for(&response);
                    return Ok(Response {
                        body: None,
                        charset: None,
                        validators: Validators {
                            etag: fresh.etag.or_else(|| validators.etag.clone()),
                            last_modified: fresh
                                .last_modified
                                .or_else(|| validators.last_modified.clone()),
                        },
                        moved_to,
                        fresh_for,
                    });
                }
                200..=299 => {
                    let charset = charset_of(&response);
                    let fresh = validators_of(&response);
                    let fresh_for = fresh_for(&response);
                    let encoding = header(&response, "content-encoding")
                        .unwrap_or_default()
                        .trim()
                        .to_ascii_lowercase();
                    let body = self.read_body(response, &encoding, deadline, on_bytes)?;
                    return Ok(Response {
                        body: Some(body),
                        charset,
                        validators: fresh,
                        moved_to,
                        fresh_for,
                    });
                }
                _ => {
                    let reason = response
                        .status()
                        .canonical_reason()
                        .unwrap_or_default()
                        .to_owned();
                    let retry_after = matches!(status, 429 | 503).then(|| {
                        header(&response, "retry-after")
                            .and_then(|v| retry_after(&v, Utc::now()))
                            .unwrap_or_else(|| Utc::now() + DEFAULT_BACKOFF)
                    });
                    return Err(HttpError::Status {
                        status,
                        reason,
                        retry_after,
                    });
                }
            }
        }
        Err(HttpError::TooManyRedirects(current))
    }

    fn read_body(
        &self,
        response: ureq::http::Response<ureq::Body>,
        encoding: &str,
        deadline: Instant,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<Vec<u8>, HttpError> {
        let raw = response
            .into_body()
            .into_with_config()
            .limit(u64::MAX)
            .reader();
        let counted = Counted {
            inner: raw,
            total: 0,
            on_bytes,
        };
        let mut decoded = decoder(encoding, counted)?;
        let cap = self.limits.max_body;
        let mut body = Vec::new();
        let read = (&mut decoded).take(cap + 1).read_to_end(&mut body);
        if let Err(e) = read {
            if e.kind() == std::io::ErrorKind::TimedOut || Instant::now() >= deadline {
                return Err(HttpError::Timeout(self.limits.timeout));
            }
            return Err(if encoding.is_empty() || encoding == "identity" {
                HttpError::Transport(e.to_string())
            } else {
                HttpError::Decode(format!("{encoding}: {e}"))
            });
        }
        if body.len() as u64 > cap {
            return Err(HttpError::TooLarge(cap));
        }
        Ok(body)
    }

    fn transport_error(&self, e: &ureq::Error) -> HttpError {
        match e {
            ureq::Error::Timeout(_) => HttpError::Timeout(self.limits.timeout),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                HttpError::Timeout(self.limits.timeout)
            }
            ureq::Error::HostNotFound => HttpError::Transport("host not found".to_owned()),
            ureq::Error::ConnectionFailed => {
                HttpError::Transport("the connection failed".to_owned())
            }
            other => HttpError::Transport(other.to_string()),
        }
    }
}

/// Counts what comes off the wire, for progress.
struct Counted<'a, R> {
    inner: R,
    total: u64,
    on_bytes: &'a mut dyn FnMut(u64),
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.total += n as u64;
            (self.on_bytes)(self.total);
        }
        Ok(n)
    }
}

/// A reader that undoes the Content-Encoding. "deflate" is zlib by the
/// standard, but some servers send raw deflate: the zlib header tells.
fn decoder<'a, R: Read + 'a>(encoding: &str, raw: R) -> Result<Box<dyn Read + 'a>, HttpError> {
    Ok(match encoding {
        "" | "identity" => Box::new(raw),
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        "br" => Box::new(brotli_decompressor::Decompressor::new(raw, 8 * 1024)),
        "deflate" => {
            let mut buffered = BufReader::new(raw);
            let head = buffered
                .fill_buf()
                .map_err(|e| HttpError::Transport(e.to_string()))?;
            let zlib = head.len() >= 2
                && head[0] & 0x0f == 8
                && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0;
            if zlib {
                Box::new(flate2::read::ZlibDecoder::new(buffered))
            } else {
                Box::new(flate2::read::DeflateDecoder::new(buffered))
            }
        }
        other => {
            return Err(HttpError::Decode(format!(
                "the Content-Encoding \"{}\" is not supported",
                crate::toml_doc::printable(other)
            )));
        }
    })
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn validators_of(response: &ureq::http::Response<ureq::Body>) -> Validators {
    Validators {
        etag: header(response, "etag").filter(|v| !v.trim().is_empty()),
        last_modified: header(response, "last-modified").filter(|v| !v.trim().is_empty()),
    }
}

fn charset_of(response: &ureq::http::Response<ureq::Body>) -> Option<String> {
    let content_type = header(response, "content-type")?;
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|v| !v.is_empty())
    })
}

fn fresh_for(response: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    cache_hint(
        header(response, "cache-control").as_deref(),
        header(response, "expires").as_deref(),
        header(response, "date").as_deref(),
        Utc::now(),
    )
}

/// How long an answer stays fresh by its headers: `Cache-Control:
/// max-age` (seconds), else `Expires` less the server's `Date` (else our
/// clock). `None` when neither says; a date in the past is no time at
/// all (the caller bounds the hint).
pub fn cache_hint(
    cache_control: Option<&str>,
    expires: Option<&str>,
    date: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Duration> {
    let max_age = cache_control.and_then(|cc| {
        cc.split(',').find_map(|d| {
            let (key, value) = d.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("max-age")
                .then(|| value.trim().trim_matches('"').parse::<u64>().ok())?
        })
    });
    if let Some(secs) = max_age {
        return Some(Duration::from_secs(secs));
    }
    let http_date = |v: &str| {
        DateTime::parse_from_rfc2822(v.trim())
            .ok()
            .map(|d| d.with_timezone(&Utc))
    };
    let expires = http_date(expires?)?;
    let base = date.and_then(http_date).unwrap_or(now);
    Some((expires - base).to_std().unwrap_or(Duration::ZERO))
}

/// The absolute URL a redirect points to; only http(s): a server must not
/// send us to a local file.
fn location(
    response: &ureq::http::Response<ureq::Body>,
    current: &str,
) -> Result<String, HttpError> {
    let text = header(response, "location").unwrap_or_default();
    let base = url::Url::parse(current).map_err(|e| HttpError::BadRedirect(e.to_string()))?;
    let next = base
        .join(text.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|_| !text.trim().is_empty())
        .ok_or_else(|| {
            HttpError::BadRedirect(format!("\"{}\"", crate::toml_doc::printable(&text)))
        })?;
    Ok(next.into())
}

/// A Retry-After value: seconds, or an HTTP date. In the past means now;
/// more than [`MAX_RETRY_AFTER`] is cut to it.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let longest = now + MAX_RETRY_AFTER;
    let at = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        let secs = secs.min(MAX_RETRY_AFTER.as_secs());
        now + Duration::from_secs(secs)
    } else {
        DateTime::parse_from_rfc2822(value)
            .ok()?
            .with_timezone(&Utc)
    };
    Some(at.clamp(now, longest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_dates_within_bounds() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            retry_after("120", now),
            Some(now + Duration::from_secs(120))
        );
        assert_eq!(
            retry_after("Thu, 01 Jan 2026 01:00:00 GMT", now),
            Some(now + Duration::from_secs(3600))
        );
        assert_eq!(retry_after("Wed, 31 Dec 2025 01:00:00 GMT", now), Some(now));
        assert_eq!(
            retry_after("99999999999999999999999", now),
            Some(now + MAX_RETRY_AFTER)
        );
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn cache_hints_from_max_age_else_expires() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let hint = |cc, ex, date| cache_hint(cc, ex, date, now);
        assert_eq!(
            hint(Some("public, max-age=600"), None, None),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            hint(
                Some("no-cache, MAX-AGE=\"90\""),
                Some("Thu, 01 Jan 2026 05:00:00 GMT"),
                None
            ),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            hint(None, Some("Thu, 01 Jan 2026 05:00:00 GMT"), None),
            Some(Duration::from_secs(5 * 3600))
        );
        assert_eq!(
            hint(
                Some("public"),
                Some("Thu, 01 Jan 2026 05:00:00 GMT"),
                Some("Thu, 01 Jan 2026 04:30:00 GMT")
            ),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(
            hint(None, Some("Wed, 31 Dec 2025 00:00:00 GMT"), None),
            Some(Duration::ZERO)
        );
        assert_eq!(hint(None, Some("0"), None), None);
        assert_eq!(hint(Some("max-age=soon"), None, None), None);
        assert_eq!(hint(None, None, None), None);
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(10 * 1024 * 1024), "10 MiB");
        assert_eq!(size(64 * 1024), "64 KiB");
        assert_eq!(size(1000), "1000 bytes");
    }

    #[test]
    fn the_user_agent_names_program_and_version() {
        assert!(USER_AGENT.starts_with(&format!("aiwatch-tui/{}", env!("CARGO_PKG_VERSION"))));
    }
}
