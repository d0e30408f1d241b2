//! `aiwatch-tui serve` behind a load balancer speaking the PROXY protocol,
//! through the real server: the test plays the balancer, writing the
//! header on a TCP stream before a russh reader (or raw bytes) follows.
//! The header's address is the one admitted and logged; a connection
//! from a trusted address without a valid header in time is refused, and
//! so is a header from anyone else; the per-address table is empty after.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::io::{Read, Write};

use std::time::Duration;

use tokio::io::AsyncWriteExt;

#[path = "common/serve.rs"]
mod serve;
#[path = "common/ssh_client.rs"]
mod ssh_client;

use serve::Server;
use ssh_client::{Reader, runtime};

const SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";

/// A version 1 header naming `client` (an IPv4 address) and its port.
fn v1(client: &str, port: u16) -> Vec<u8> {
    format!("PROXY TCP4 {client} 127.0.0.1 {port} 2222\r\n").into_bytes()
}

/// A version 2 PROXY header for TCP over IPv6, with a TLV after the addresses.
fn v2_tcp6(client: std::net::Ipv6Addr, port: u16) -> Vec<u8> {
    let mut body = client.octets().to_vec();
    body.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
    body.extend_from_slice(&port.to_be_bytes());
    body.extend_from_slice(&2222u16.to_be_bytes());
    body.extend_from_slice(&[0x05, 0, 3, b'i', b'd', b'1']); // UNIQUE_ID
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&[0x21, 0x21]);
    out.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// A reader behind the balancer: the header, then the SSH session.
async fn reader_behind(port: u16, header: &[u8]) -> Reader {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream.write_all(header).await.unwrap();
    Reader::connect_over(stream).await
}

/// Writes `bytes` on a new connection and reads what the server says
/// until it closes (or 10 s pass).
fn send_and_read(port: u16, bytes: &[u8]) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got);
    String::from_utf8_lossy(&got).into_owned()
}

/// Waits until the log has `n` lines with `text`.
fn wait_count(server: &Server, text: &str, n: usize) {
    let start = std::time::Instant::now();
    while server.log().matches(text).count() < n {
        assert!(
            start.elapsed() < serve::TIMEOUT,
            "fewer than {n} {text:?} in the log:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every connection closed, the last close saying the per-address table
/// is empty.
fn assert_table_empty(server: &Server) {
    let connects = server.log().matches("event=connect").count();
    wait_count(server, "event=close ", connects);
    let log = server.log();
    let last = log.lines().rfind(|l| l.contains("event=close ")).unwrap();
    assert!(last.contains("addresses=0"), "{log}");
}

/// A v1 and a v2 header from a trusted balancer: both readers are
/// served, and every line of theirs names the header's client.
#[test]
fn a_trusted_balancer_names_its_clients() {
    let server = Server::start(&["--proxy-protocol", "127.0.0.1/32"], "", &[]);
    runtime().block_on(async {
        let mut one = reader_behind(server.port, &v1("203.0.113.7", 51234)).await;
        let client6 = "2001:db8::7".parse().unwrap();
        let mut two = reader_behind(server.port, &v2_tcp6(client6, 443)).await;
        one.send(b"d").await;
        one.wait_for("Showing DeepSeek").await;
        one.send(b"q").await;
        two.send(b"q").await;
        one.until_closed().await;
        two.until_closed().await;
    });
    assert_table_empty(&server);
    let log = server.log();
    assert!(log.contains("proxy_protocol=127.0.0.1/32"), "{log}");
    for peer in ["203.0.113.7:51234", "[2001:db8::7]:443"] {
        for event in [
            "connect",
            "auth",
            "pty",
            "session_start",
            "session_end",
            "close",
        ] {
            assert!(
                log.contains(&format!("event={event} peer={peer}")),
                "no {event} for {peer}:\n{log}"
            );
        }
    }
    assert!(
        log.contains("event=connect peer=203.0.113.7:51234 via=127.0.0.1:"),
        "{log}"
    );
    assert!(!log.contains("event=refuse"), "{log}");
}

/// The per-address limit counts the header's client, not the balancer:
/// a fourth connection naming the same client is refused and told why;
/// four naming four other clients are all admitted.
#[test]
fn per_address_limits_count_the_header_address() {
    let server = Server::start(
        &["--proxy-protocol", "127.0.0.0/8", "--max-per-address", "3"],
        "",
        &[],
    );
    let mut held = Vec::new();
    for n in 0..3u16 {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream.write_all(&v1("198.51.100.9", 40000 + n)).unwrap();
        held.push(stream);
    }
    wait_count(&server, "event=connect peer=198.51.100.9:", 3);
    let told = send_and_read(server.port, &v1("198.51.100.9", 40003));
    assert!(told.starts_with("SSH-2.0-aiwatch_tui\r\n"), "{told:?}");
    assert!(
        told.contains("too many connections from your address"),
        "{told:?}"
    );
    server.wait_log("event=refuse peer=198.51.100.9:40003 via=127.0.0.1:");
    for n in 0..4u8 {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream
            .write_all(&v1(&format!("198.51.100.{}", 20 + n), 5000))
            .unwrap();
        held.push(stream);
    }
    wait_count(&server, "event=connect peer=198.51.100.2", 4);
    assert_eq!(
        server.log().matches("event=refuse").count(),
        1,
        "{}",
        server.log()
    );
    drop(held);
    assert_table_empty(&server);
}

/// A trusted address must send a valid header in time: none (an SSH
/// client straight away), a malformed one, an oversized one, or one cut
/// short and left waiting are each refused with the reason logged, and no
/// byte of the SSH server is sent before a header is complete.
#[test]
fn a_trusted_address_without_a_valid_header_is_refused() {
    let server = Server::start(
        &["--proxy-protocol", "127.0.0.1"],
        "",
        &[("AIWATCH_TUI_TEST_PROXY_WAIT_MS", "1000")],
    );
    let mut oversized = SIGNATURE.to_vec();
    oversized.extend_from_slice(&[0x21, 0x11, 0x02, 0x01]);
    oversized.extend_from_slice(&[0; 513]);
    for (sent, reason) in [
        (&b"SSH-2.0-OpenSSH_9.9\r\n"[..], "\"no PROXY header\""),
        (
            b"PROXY TCP4 203.0.113.999 127.0.0.1 1 2\r\nSSH-2.0-OpenSSH_9.9\r\n",
            "\"a TCP4 header with an address that is not IPv4\"",
        ),
        (&oversized, "\"a version 2 header longer than 528 bytes\""),
        (
            b"PROXY TCP4 203.0.113.7 127.0.0.1",
            "\"no PROXY header within 1 s\"",
        ),
    ] {
        let told = send_and_read(server.port, sent);
        // Our refusal is the first thing said: the SSH server's own
        // version line never went out.
        assert!(told.starts_with("SSH-2.0-aiwatch_tui\r\n"), "{told:?}");
        assert!(
            told.contains("aiwatch-tui: no valid PROXY header"),
            "{told:?}"
        );
        server.wait_log(&format!("reason={reason}"));
    }
    let log = server.log();
    assert_eq!(
        log.matches("event=refuse peer=127.0.0.1:").count(),
        4,
        "{log}"
    );
    assert!(!log.contains("event=connect"), "{log}");
    // A reader with a header is still served, and the table is empty after.
    runtime().block_on(async {
        let mut reader = reader_behind(server.port, &v1("203.0.113.7", 1)).await;
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    assert_table_empty(&server);
}

/// A header from an address not in the list is refused (no spoofing), v1
/// or v2, and logged; the command line's list replaced the file's (which
/// trusted 127.0.0.1); a reader without a header is served as before.
#[test]
fn a_header_from_an_address_not_trusted_is_refused() {
    let server = Server::start(
        &[
            "--proxy-protocol",
            "10.0.0.0/8",
            "--proxy-protocol",
            "::1/128",
        ],
        "[serve]\nproxy_protocol = [\"127.0.0.1/32\"]\n",
        &[],
    );
    let mut v2 = SIGNATURE.to_vec();
    v2.extend_from_slice(&[0x20, 0x00, 0x00, 0x00]);
    for header in [v1("203.0.113.7", 1), v2] {
        let mut bytes = header.clone();
        bytes.extend_from_slice(b"SSH-2.0-OpenSSH_9.9\r\n");
        send_and_read(server.port, &bytes);
    }
    wait_count(&server, "event=close ", 2);
    let log = server.log();
    assert_eq!(
        log.matches("event=refuse peer=127.0.0.1:").count(),
        2,
        "{log}"
    );
    assert_eq!(
        log.matches("reason=\"a PROXY header from an address not trusted\"")
            .count(),
        2,
        "{log}"
    );
    assert_eq!(log.matches("reason=refused").count(), 4, "{log}"); // disconnect and close
    assert!(!log.contains("203.0.113.7"), "{log}");
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    assert!(server.log().contains("event=session_start peer=127.0.0.1:"));
    assert_table_empty(&server);
}

/// The client behind a trusted balancer cannot name another address by
/// sending a header of its own after the balancer's: refused as a header
/// from an address not trusted, logged under the client's address.
#[test]
fn a_second_header_from_the_client_is_refused() {
    let server = Server::start(&["--proxy-protocol", "127.0.0.1/32"], "", &[]);
    let mut bytes = v1("203.0.113.7", 1);
    bytes.extend_from_slice(&v1("192.0.2.1", 2));
    bytes.extend_from_slice(b"SSH-2.0-OpenSSH_9.9\r\n");
    send_and_read(server.port, &bytes);
    server.wait_log(
        "event=refuse peer=203.0.113.7:1 reason=\"a PROXY header from an address not trusted\"",
    );
    assert!(!server.log().contains("192.0.2.1"), "{}", server.log());
    assert_table_empty(&server);
}

/// Connections waiting for their header are bounded (by `max_sessions`):
/// past it, one is refused at once.
#[test]
fn connections_waiting_for_a_header_are_bounded() {
    let server = Server::start(
        &["--proxy-protocol", "127.0.0.1/32", "--max-sessions", "1"],
        "",
        &[],
    );
    // The first waits (it sends nothing); the listener takes them in order.
    let waiting = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let told = send_and_read(server.port, &v1("203.0.113.7", 1));
    assert!(told.contains("the server is full"), "{told:?}");
    server.wait_log("reason=\"too many connections waiting for their PROXY header\"");
    drop(waiting);
    server.wait_log("reason=\"the connection closed without a PROXY header\"");
}

/// A network that is not one is refused at start with its place: the
/// flag by clap, the file with its `file:line:col`; so is a list past 256.
#[test]
fn bad_networks_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], config: &str| serve::run_to_exit(dir.path(), args, config);
    let flag = run(&["--proxy-protocol", "10.0.0.1/8"], "");
    let text = String::from_utf8_lossy(&flag.stderr);
    assert_eq!(flag.status.code(), Some(2), "{text}");
    assert!(text.contains("--proxy-protocol <CIDR>"), "{text}");
    assert!(text.contains("did you mean 10.0.0.0/8?"), "{text}");
    let file = run(
        &[],
        "[serve]\nproxy_protocol = [\"::1/128\", \"10.0.0.0/33\"]\n",
    );
    let text = String::from_utf8_lossy(&file.stderr);
    assert_eq!(file.status.code(), Some(2), "{text}");
    assert!(text.contains("config.toml:2:30"), "{text}");
    assert!(text.contains("must be 0 to 32"), "{text}");
    let many: Vec<String> = (0..257)
        .map(|n| format!("\"10.0.{}.{}\"", n / 256, n % 256))
        .collect();
    let file = run(
        &[],
        &format!("[serve]\nproxy_protocol = [{}]\n", many.join(",")),
    );
    let text = String::from_utf8_lossy(&file.stderr);
    assert_eq!(file.status.code(), Some(2), "{text}");
    assert!(text.contains("at most 256 networks, found 257"), "{text}");
    let mut args = Vec::new();
    for n in 0..257 {
        args.push("--proxy-protocol".to_owned());
        args.push(format!("10.1.{}.{}", n / 256, n % 256));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let flags = run(&args, "");
    let text = String::from_utf8_lossy(&flags.stderr);
    assert_eq!(flags.status.code(), Some(2), "{text}");
    assert!(
        text.contains("--proxy-protocol: at most 256 networks, found 257"),
        "{text}"
    );
}
