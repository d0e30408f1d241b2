//! A small HTTP/1.1 server on 127.0.0.1 for the fetch tests: each request
//! is answered as the test's handler says, misbehaviour included (never
//! answering, one byte at a time, an endless body). One thread per
//! connection, `Connection: close` always; requests are kept so a test can
//! read the headers the client sent.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the client sent.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How to answer.
pub enum Reply {
    /// A complete answer with a Content-Length.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Read the request, then say nothing (until the server stops).
    Hang,
    /// Headers at once, then the body one byte per `every`.
    Trickle {
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        every: Duration,
    },
    /// A 200 without a length whose body never ends.
    Endless,
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/rss+xml".into())],
            body: body.into(),
        }
    }

    pub fn status(status: u16) -> Self {
        Self::Full {
            status,
            headers: Vec::new(),
            body: format!("status {status}").into_bytes(),
        }
    }

    pub fn redirect(status: u16, to: &str) -> Self {
        Self::status(status).with_header("Location", to)
    }

    /// Adds a header to a `Full` or `Trickle` reply.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        match &mut self {
            Self::Full { headers, .. } | Self::Trickle { headers, .. } => {
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                headers.push((name.to_owned(), value.to_owned()));
            }
            Self::Hang | Self::Endless => {}
        }
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running server; stops (and frees its port) when dropped.
pub struct Server {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_on("127.0.0.1", handler)
    }

    /// On another loopback address (127.0.0.2 ...): another host to the
    /// client's per-host limit.
    pub fn start_on(ip: &str, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = Arc::clone(&handler);
                    let requests = Arc::clone(&requests);
                    let stop = Arc::clone(&stop);
                    std::thread::spawn(move || serve(stream, &*handler, &requests, &stop));
                }
            });
        }
        Self {
            addr,
            requests,
            stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(mut request) = read_request(&mut stream) else {
        return;
    };
    requests.lock().unwrap().push(request.clone());
    // As a proxy: a CONNECT is a tunnel to ourselves, and the request
    // inside it is answered like any other.
    if request.method == "CONNECT" {
        if stream
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
        let Some(inner) = read_request(&mut stream) else {
            return;
        };
        requests.lock().unwrap().push(inner.clone());
        request = inner;
    }
    match handler(&request) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let head = head(status, &headers, body.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
        Reply::Hang => {
            let until = Instant::now() + Duration::from_secs(120);
            while !stop.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Reply::Trickle {
            headers,
            body,
            every,
        } => {
            let head = head(200, &headers, body.len());
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            for byte in body {
                if stop.load(Ordering::SeqCst) || stream.write_all(&[byte]).is_err() {
                    return;
                }
                std::thread::sleep(every);
            }
        }
        Reply::Endless => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n<rss version=\"2.0\"><channel><title>endless</title>";
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = "<item><title>again</title></item>".repeat(2000);
            while !stop.load(Ordering::SeqCst) {
                if stream.write_all(chunk.as_bytes()).is_err() {
                    return;
                }
            }
        }
    }
    let _ = stream.flush();
}

fn head(status: u16, headers: &[(String, String)], length: usize) -> String {
    use std::fmt::Write as _;
    let mut head = status_line(status);
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    let _ = write!(
        head,
        "Content-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    head
}

fn status_line(status: u16) -> String {
    let reason = match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    format!("HTTP/1.1 {status} {reason}\r\n")
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 1024];
    while !bytes.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || bytes.len() > 64 * 1024 {
            return None;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Request {
        method,
        path,
        headers,
    })
}

/// A body in brotli's stored (uncompressed) meta-blocks: a valid `br`
/// stream without a brotli encoder among the dependencies.
pub fn brotli_stored(data: &[u8]) -> Vec<u8> {
    let mut w = Bits::default();
    w.put(0, 1); // WBITS = 16
    for chunk in data.chunks(65_536) {
        w.put(0, 1); // ISLAST = 0
        w.put(0, 2); // MNIBBLES = 4
        w.put((chunk.len() - 1) as u64, 16); // MLEN - 1
        w.put(1, 1); // ISUNCOMPRESSED
        w.align();
        w.bytes.extend_from_slice(chunk);
    }
    w.put(1, 1); // ISLAST
    w.put(1, 1); // ISLASTEMPTY
    w.align();
    w.bytes
}

#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    used: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        for i in 0..count {
            if self.used == 0 {
                self.bytes.push(0);
            }
            let bit = ((value >> i) & 1) as u8;
            *self.bytes.last_mut().unwrap() |= bit << self.used;
            self.used = (self.used + 1) % 8;
        }
    }

    fn align(&mut self) {
        self.used = 0;
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// An RSS feed of `n` items, `prefix` in their titles and guids.
pub fn rss(prefix: &str, n: usize) -> String {
    use std::fmt::Write as _;
    let mut items = String::new();
    for i in 0..n {
        let _ = write!(
            items,
            "<item><title>{prefix} story {i}</title><guid>{prefix}-{i}</guid><link>https://news.example/{prefix}/{i}</link><pubDate>Mon, 27 Jan 2025 10:00:00 GMT</pubDate><description>OpenAI and Nvidia, item {i}.</description></item>"
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>{prefix}</title>{items}</channel></rss>"
    )
}

/// `cmd` without the machine's proxy settings: the test server is local.
pub fn without_proxies(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(name);
    }
    cmd
}
