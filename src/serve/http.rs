//! A tiny HTTP/1.x responder for the operator's endpoints (`/healthz`,
//! `/metrics`): one GET per connection, answered with Content-Length and
//! `Connection: close`. Bounded in everything a client controls: the
//! request head's size, the time to send it, and the connections served
//! at once. It runs as tasks on the server's runtime (no thread of its
//! own) and knows nothing of what it serves: a route gives the answer.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// The request head (request line and headers), at most.
pub const MAX_HEAD: usize = 4 * 1024;
/// How long a client has to send its whole head (and to take the answer).
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed at once, unanswered.
pub const MAX_CONNECTIONS: usize = 32;

/// An answer: status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }

    fn reason(&self) -> &'static str {
        match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            431 => "Request Header Fields Too Large",
            503 => "Service Unavailable",
            _ => "",
        }
    }

    /// The whole answer as sent (the body left out for HEAD).
    fn bytes(&self, with_body: bool) -> Vec<u8> {
        let allow = if self.status == 405 {
            "Allow: GET, HEAD\r\n"
        } else {
            ""
        };
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            self.status,
            self.reason(),
            self.content_type,
            self.body.len()
        )
        .into_bytes();
        if with_body {
            out.extend_from_slice(self.body.as_bytes());
        }
        out
    }
}

/// What answers a path (the query left off); `None`: 404.
pub type Route = Arc<dyn Fn(&str) -> Option<Response> + Send + Sync>;

/// Serves `listener` until the task is dropped with the runtime.
pub async fn serve(listener: TcpListener, route: Route) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            // Out of descriptors, say: a pause, then on.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // Over the cap: closed unanswered (a balancer retries).
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(socket);
            continue;
        };
        let route = Arc::clone(&route);
        tokio::spawn(async move {
            answer(socket, &route).await;
            drop(slot);
        });
    }
}

/// Reads one request head and writes its answer, all within the timeout.
async fn answer(mut socket: TcpStream, route: &Route) {
    let _ = tokio::time::timeout(READ_TIMEOUT, async {
        let response = match read_head(&mut socket).await {
            Head::Complete(head) => Some(respond(&head, route)),
            Head::TooLarge => Some((Response::text(431, "request head too large\n"), true)),
            Head::Closed => None,
        };
        if let Some((response, with_body)) = response {
            let _ = socket.write_all(&response.bytes(with_body)).await;
            let _ = socket.shutdown().await;
        }
    })
    .await;
}

enum Head {
    Complete(Vec<u8>),
    TooLarge,
    Closed,
}

/// Reads until the blank line that ends the head, `MAX_HEAD` at most.
async fn read_head(socket: &mut TcpStream) -> Head {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let n = match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return Head::Closed,
            Ok(n) => n,
        };
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head_end(&head) {
            head.truncate(end);
            return Head::Complete(head);
        }
        if head.len() > MAX_HEAD {
            return Head::TooLarge;
        }
    }
}

/// Where the head ends (the blank line), if it has.
fn head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = memchr::memmem::find(bytes, b"\r\n\r\n").map(|i| i + 4);
    let lf = memchr::memmem::find(bytes, b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
    .filter(|&end| end <= MAX_HEAD)
}

/// The answer to a head, and whether it carries its body (not for HEAD).
pub fn respond(head: &[u8], route: &Route) -> (Response, bool) {
    let line = head
        .split(|&b| b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim_end().to_owned())
        .unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return (Response::text(400, "bad request\n"), true);
    };
    if !version.starts_with("HTTP/1.") {
        return (Response::text(400, "bad request\n"), true);
    }
    let with_body = match method {
        "GET" => true,
        "HEAD" => false,
        _ => return (Response::text(405, "only GET\n"), true),
    };
    let path = target.split('?').next().unwrap_or_default();
    let response = route(path).unwrap_or_else(|| Response::text(404, "not found\n"));
    (response, with_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> Route {
        Arc::new(|path: &str| (path == "/healthz").then(|| Response::text(200, "ready\n")))
    }

    #[test]
    fn requests_are_answered_by_path_and_method() {
        let r = route();
        let status = |head: &str| respond(head.as_bytes(), &r).0.status;
        assert_eq!(status("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
        assert_eq!(status("GET /healthz?full=1 HTTP/1.0\r\n\r\n"), 200);
        assert_eq!(status("GET /other HTTP/1.1\r\n\r\n"), 404);
        assert_eq!(status("POST /healthz HTTP/1.1\r\n\r\n"), 405);
        assert_eq!(status("GET /healthz\r\n\r\n"), 400);
        assert_eq!(status("GET /healthz SPDY/3\r\n\r\n"), 400);
        assert_eq!(status("\u{1}\u{2}\r\n\r\n"), 400);
        let (head_answer, with_body) = respond(b"HEAD /healthz HTTP/1.1\r\n\r\n", &r);
        assert_eq!((head_answer.status, with_body), (200, false));
    }

    #[test]
    fn answers_carry_their_length_and_close() {
        let text = String::from_utf8(Response::text(503, "draining\n").bytes(true)).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{text}"
        );
        assert!(text.contains("Content-Length: 9\r\n"), "{text}");
        assert!(text.contains("Connection: close\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\ndraining\n"), "{text}");
    }

    #[test]
    fn a_head_ends_at_the_blank_line_within_the_cap() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.1\n\n"), Some(16));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
        let mut long = b"GET / HTTP/1.1\r\nX: ".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        long.extend_from_slice(b"\r\n\r\n");
        assert_eq!(head_end(&long), None, "past the cap");
    }
}
