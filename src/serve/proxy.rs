//! The PROXY protocol (haproxy's proxy-protocol.txt, versions 1 and 2): the
//! header a load balancer puts before a connection's first byte to say whose
//! connection it relays. A pure parser on bytes, the bounded read of one
//! header off a socket (not one byte past it: the SSH stream follows), the
//! accept path of a trusted connection (header, then admission as the client
//! it names), the networks trusted to send a header, and the watch that
//! refuses a header from anyone else. Sessions are `serve`'s.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::{Admission, Shared, log, refuse, serve_admitted};

/// The longest version 1 header, its CRLF included.
pub const V1_MAX: usize = 107;

/// The version 2 signature, the header's first 12 bytes.
pub const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// The most address and TLV bytes a version 2 header may carry here. An IPv6
/// address block is 36 bytes, a UNIX one 216; the TLVs a balancer adds (an
/// ALPN, an authority, a unique id of at most 128 bytes) fit in the rest.
pub const V2_MAX_BODY: usize = 512;

/// The longest header of either version.
pub const MAX_HEADER: usize = 16 + V2_MAX_BODY;

const V1_PREFIX: &[u8] = b"PROXY ";

/// What the first bytes of a connection say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// Not enough bytes yet: the header is longer than what was given.
    NeedMore,
    /// A complete header of `len` bytes. `client` is the address it gives;
    /// `None` means the connection's own address (version 1 `UNKNOWN`,
    /// version 2 `LOCAL`, or a family without an IP address).
    Header {
        len: usize,
        client: Option<SocketAddr>,
    },
    /// Not a valid header, and no more bytes can make it one.
    Invalid(&'static str),
}

/// Parses a header at the start of `bytes`. Only the header's own bytes are
/// looked at: what follows it never changes the answer, and a prefix of the
/// input gives either `NeedMore` or the same answer as the whole.
pub fn parse(bytes: &[u8]) -> Parsed {
    match bytes.first() {
        None => Parsed::NeedMore,
        Some(b'P') => parse_v1(bytes),
        Some(b'\r') => parse_v2(bytes),
        Some(_) => Parsed::Invalid("no PROXY header"),
    }
}

/// `PROXY TCP4|TCP6 SRC DST SRCPORT DSTPORT\r\n` or `PROXY UNKNOWN ...\r\n`.
fn parse_v1(bytes: &[u8]) -> Parsed {
    let prefix = bytes.len().min(V1_PREFIX.len());
    if bytes[..prefix] != V1_PREFIX[..prefix] {
        return Parsed::Invalid("no PROXY header");
    }
    // The line ends at the first CRLF; every byte before it is printable
    // ASCII (a lone CR or LF is refused, as the specification asks).
    let mut end = None;
    for (i, &b) in bytes.iter().enumerate().take(V1_MAX) {
        match b {
            // Its LF would be byte 108.
            b'\r' if i + 1 >= V1_MAX => {
                return Parsed::Invalid("a version 1 header longer than 107 bytes");
            }
            b'\r' => match bytes.get(i + 1) {
                Some(b'\n') => {
                    end = Some(i);
                    break;
                }
                Some(_) => return Parsed::Invalid("a carriage return without a line feed"),
                None => return Parsed::NeedMore,
            },
            b' '..=b'~' => {}
            b'\n' => return Parsed::Invalid("a line feed without a carriage return"),
            _ => return Parsed::Invalid("a version 1 header holds a byte that is not text"),
        }
    }
    let Some(end) = end else {
        return if bytes.len() >= V1_MAX {
            Parsed::Invalid("a version 1 header longer than 107 bytes")
        } else {
            Parsed::NeedMore
        };
    };
    let len = end + 2;
    // Printable ASCII, checked above.
    let line = String::from_utf8_lossy(&bytes[V1_PREFIX.len()..end]);
    let fields: Vec<&str> = line.split(' ').collect();
    match fields[0] {
        // Anything may follow UNKNOWN; the receiver ignores it.
        "UNKNOWN" => Parsed::Header { len, client: None },
        "TCP4" | "TCP6" => {
            let [_, src, dst, src_port, dst_port] = fields[..] else {
                return Parsed::Invalid(
                    "a version 1 header needs exactly two addresses and two ports",
                );
            };
            let src = if fields[0] == "TCP4" {
                match (src.parse::<Ipv4Addr>(), dst.parse::<Ipv4Addr>()) {
                    (Ok(s), Ok(_)) => IpAddr::V4(s),
                    _ => return Parsed::Invalid("a TCP4 header with an address that is not IPv4"),
                }
            } else {
                match (src.parse::<Ipv6Addr>(), dst.parse::<Ipv6Addr>()) {
                    (Ok(s), Ok(_)) => IpAddr::V6(s),
                    _ => return Parsed::Invalid("a TCP6 header with an address that is not IPv6"),
                }
            };
            match (port(src_port), port(dst_port)) {
                (Some(p), Some(_)) => Parsed::Header {
                    len,
                    client: Some(SocketAddr::new(src.to_canonical(), p)),
                },
                _ => Parsed::Invalid(
                    "a version 1 header with a port that is not 0 to 65535 without leading zeros",
                ),
            }
        }
        _ => Parsed::Invalid("a version 1 header for a protocol other than TCP4, TCP6 or UNKNOWN"),
    }
}

/// A decimal port without a sign or leading zeros, 0 to 65535.
fn port(text: &str) -> Option<u16> {
    let digits = !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
    if !digits || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

/// The binary header: signature, version and command, family and
/// protocol, the length of what follows, addresses, then TLVs.
fn parse_v2(bytes: &[u8]) -> Parsed {
    let prefix = bytes.len().min(V2_SIGNATURE.len());
    if bytes[..prefix] != V2_SIGNATURE[..prefix] {
        return Parsed::Invalid("no PROXY header");
    }
    let Some(&version_command) = bytes.get(12) else {
        return Parsed::NeedMore;
    };
    if version_command >> 4 != 2 {
        return Parsed::Invalid("a binary header of a version other than 2");
    }
    let local = match version_command & 0x0f {
        0 => true,
        1 => false,
        _ => return Parsed::Invalid("a version 2 header with a command other than LOCAL or PROXY"),
    };
    let Some(&family) = bytes.get(13) else {
        return Parsed::NeedMore;
    };
    // The address block's size by family and protocol; LOCAL ignores it.
    let addresses = match family {
        0x00 => 0,
        0x11 | 0x12 => 12,
        0x21 | 0x22 => 36,
        0x31 | 0x32 => 216,
        _ if local => 0,
        _ => return Parsed::Invalid("a version 2 header with an unknown address family"),
    };
    let (Some(&hi), Some(&lo)) = (bytes.get(14), bytes.get(15)) else {
        return Parsed::NeedMore;
    };
    let body = usize::from(u16::from_be_bytes([hi, lo]));
    if body > V2_MAX_BODY {
        return Parsed::Invalid("a version 2 header longer than 528 bytes");
    }
    if !local && body < addresses {
        return Parsed::Invalid("a version 2 header too short for its addresses");
    }
    let len = 16 + body;
    if bytes.len() < len {
        return Parsed::NeedMore;
    }
    // LOCAL (a balancer's own connection, a health check) and UNSPEC: the
    // connection's own address, the block skipped whatever it holds.
    if local || family == 0x00 {
        return Parsed::Header { len, client: None };
    }
    if !tlvs_fit(&bytes[16 + addresses..len]) {
        return Parsed::Invalid("a version 2 header whose TLVs do not fit its length");
    }
    let block = &bytes[16..16 + addresses];
    let client = match family {
        0x11 => {
            let ip = Ipv4Addr::new(block[0], block[1], block[2], block[3]);
            Some(SocketAddr::new(
                IpAddr::V4(ip),
                u16::from_be_bytes([block[8], block[9]]),
            ))
        }
        0x21 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&block[..16]);
            Some(SocketAddr::new(
                IpAddr::V6(Ipv6Addr::from(octets)).to_canonical(),
                u16::from_be_bytes([block[32], block[33]]),
            ))
        }
        // UDP and UNIX sockets: not what an SSH connection came over; the
        // specification lets a receiver fall back to the connection's own
        // address, which is what happens.
        _ => None,
    };
    Parsed::Header { len, client }
}

/// TLVs (a type byte, a 16-bit length, the value), each wholly inside.
fn tlvs_fit(mut rest: &[u8]) -> bool {
    while !rest.is_empty() {
        let [_, hi, lo, ..] = *rest else {
            return false;
        };
        let next = 3 + usize::from(u16::from_be_bytes([hi, lo]));
        if next > rest.len() {
            return false;
        }
        rest = &rest[next..];
    }
    true
}

/// Reads one header off `stream`, not one byte past it (what follows is
/// the client's SSH stream): bytes are looked at without being taken
/// (`peek`), and only the header's own are taken. At most `MAX_HEADER`
/// bytes; the caller bounds the time. The client's address, `None` for the
/// connection's own, or why there is no valid header.
pub async fn read_header(stream: &mut TcpStream) -> Result<Option<SocketAddr>, &'static str> {
    let mut header: Vec<u8> = Vec::with_capacity(MAX_HEADER);
    let mut peeked = [0u8; MAX_HEADER];
    loop {
        let taken = header.len();
        // `NeedMore` never comes with `MAX_HEADER` bytes or more.
        let room = MAX_HEADER.saturating_sub(taken);
        let n = stream
            .peek(&mut peeked[..room])
            .await
            .map_err(|_| "the connection failed before its PROXY header")?;
        if n == 0 {
            return Err(if taken == 0 {
                "the connection closed without a PROXY header"
            } else {
                "the connection closed within its PROXY header"
            });
        }
        header.extend_from_slice(&peeked[..n]);
        let parsed = parse(&header);
        // Every byte peeked belongs to the header while more are needed.
        let keep = match parsed {
            Parsed::NeedMore => header.len(),
            Parsed::Header { len, .. } => len,
            Parsed::Invalid(why) => return Err(why),
        };
        header.truncate(keep);
        stream
            .read_exact(&mut header[taken..keep])
            .await
            .map_err(|_| "the connection failed before its PROXY header")?;
        if let Parsed::Header { client, .. } = parsed {
            return Ok(client);
        }
    }
}

// The accept path of a connection from a trusted balancer.

/// One connection waiting for its PROXY header, counted while it waits.
pub(super) type Waiting = crate::in_flight::InFlight<Arc<AtomicUsize>>;

/// A connection from a trusted balancer: its PROXY header is read (at most
/// `MAX_HEADER` bytes, within `proxy_header_wait`) before any byte
/// is sent, then the client it names is admitted and served; `via` is the
/// balancer. No valid header in time: refused, and the reason logged.
#[allow(clippy::too_many_arguments)]
pub(super) async fn serve(
    config: Arc<russh::server::Config>,
    mut socket: TcpStream,
    shared: Arc<Shared>,
    admission: Arc<Mutex<Admission>>,
    shutdown: watch::Receiver<bool>,
    via: SocketAddr,
    refusing: Arc<AtomicUsize>,
    waiting: Waiting,
) {
    let wait = shared.limits.proxy_header_wait;
    let header = tokio::time::timeout(wait, read_header(&mut socket)).await;
    drop(waiting);
    let why = match header {
        Ok(Ok(client)) => Ok(client.unwrap_or(via)),
        Ok(Err(why)) => Err(why.to_owned()),
        Err(_) if wait < Duration::from_secs(1) => {
            Err(format!("no PROXY header within {} ms", wait.as_millis()))
        }
        Err(_) => Err(format!(
            "no PROXY header within {}",
            super::reader::human(wait)
        )),
    };
    let client = match why {
        Ok(client) => client,
        Err(why) => {
            shared.metrics.refused("proxy_header");
            refuse(socket, via, &why, "no valid PROXY header", &refusing);
            return;
        }
    };
    let admitted = admission.lock().map_or(Err("admission lock"), |mut a| {
        a.admit(client.ip(), &shared.limits)
    });
    if let Err(reason) = admitted {
        let peer = format!("{client} via={via}");
        shared.metrics.refused(super::refusal_label(reason));
        refuse(socket, peer, reason, reason, &refusing);
        return;
    }
    log(&format!("event=connect peer={client} via={via}"));
    shared.metrics.connected();
    serve_admitted(config, socket, shared, admission, shutdown, client).await;
}

/// The most networks `proxy_protocol` may list (each connection is checked
/// against them all).
pub const MAX_NETWORKS: usize = 256;

/// A network in CIDR notation (`10.0.0.0/8`, `::1/128`), or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// `ADDRESS/PREFIX` or `ADDRESS` (all of its bits). An address with bits
    /// set past the prefix is refused with the network it may have meant.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shown = crate::toml_doc::printable(text);
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().map_err(|_| {
            format!("expected a network such as 10.0.0.0/8 or ::1/128, found \"{shown}\"")
        })?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= bits && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => {
                    return Err(format!(
                        "the prefix length of \"{shown}\" must be 0 to {bits}"
                    ));
                }
            },
        };
        let network = Self { address, prefix };
        let masked = Self {
            address: network.first(),
            prefix,
        };
        if masked != network {
            return Err(format!(
                "\"{shown}\" has address bits set past its prefix: did you mean {masked}?"
            ));
        }
        Ok(network)
    }

    /// Whether `ip` is in the network (an IPv4-mapped IPv6 address counts
    /// as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// The network's first address (its address with the host bits cleared).
    fn first(&self) -> IpAddr {
        match self.address {
            IpAddr::V4(a) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        }
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// ` proxy_protocol=NET,NET` for the start line when the protocol is on.
pub fn start_field(networks: &[Network]) -> String {
    if networks.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = networks.iter().map(ToString::to_string).collect();
    format!(" proxy_protocol={}", shown.join(","))
}

/// Whether a connection from `ip` must begin with a header.
pub fn trusted(networks: &[Network], ip: IpAddr) -> bool {
    networks.iter().any(|n| n.contains(ip))
}

/// What a connection's SSH stream may not begin with once the PROXY
/// protocol is on: a header of its own (sent by a client not trusted, or
/// by the client behind the balancer). Fed the bytes the SSH layer reads.
#[derive(Debug, Default)]
pub struct Sniff {
    seen: Vec<u8>,
    done: bool,
}

/// The error the SSH layer gets from a stream that began with a header.
#[derive(Debug)]
pub struct UntrustedHeader;

impl std::fmt::Display for UntrustedHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(UNTRUSTED)
    }
}

impl std::error::Error for UntrustedHeader {}

/// The reason logged for a header from an address not trusted.
pub const UNTRUSTED: &str = "a PROXY header from an address not trusted";

impl Sniff {
    /// Takes the next bytes read; an error once they begin a header.
    pub fn check(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.done || bytes.is_empty() {
            return Ok(());
        }
        let want = V2_SIGNATURE.len() - self.seen.len();
        self.seen.extend_from_slice(&bytes[..bytes.len().min(want)]);
        let seen = &self.seen[..];
        let v1 = seen.starts_with(V1_PREFIX);
        let v2 = seen == V2_SIGNATURE;
        let maybe = V1_PREFIX.starts_with(seen) || V2_SIGNATURE.starts_with(seen);
        if v1 || v2 {
            self.done = true;
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                UntrustedHeader,
            ));
        }
        if !maybe {
            self.done = true;
            self.seen = Vec::new();
        }
        Ok(())
    }
}

/// Whether the SSH layer stopped on a header from an address not trusted.
pub fn is_untrusted_header(error: &russh::Error) -> bool {
    let russh::Error::IO(e) = error else {
        return false;
    };
    e.get_ref()
        .is_some_and(<dyn std::error::Error + Send + Sync>::is::<UntrustedHeader>)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: usize, client: Option<&str>) -> Parsed {
        Parsed::Header {
            len,
            client: client.map(|c| c.parse().unwrap()),
        }
    }

    /// Every cut of `bytes` short of the header's end needs more; every
    /// cut past it gives the same answer as the whole.
    fn same_at_every_cut(bytes: &[u8]) -> Parsed {
        let whole = parse(bytes);
        for cut in 0..bytes.len() {
            let part = parse(&bytes[..cut]);
            match whole {
                Parsed::Header { len, .. } if cut < len => {
                    assert_eq!(part, Parsed::NeedMore, "cut at {cut} of {bytes:?}");
                }
                _ => assert!(
                    part == Parsed::NeedMore || part == whole,
                    "cut at {cut}: {part:?}, whole: {whole:?}"
                ),
            }
        }
        whole
    }

    fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
        let mut out = V2_SIGNATURE.to_vec();
        out.push(command);
        out.push(family);
        out.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn v4_body() -> Vec<u8> {
        let mut body = vec![203, 0, 113, 7, 10, 0, 0, 1];
        body.extend_from_slice(&51234u16.to_be_bytes());
        body.extend_from_slice(&2222u16.to_be_bytes());
        body
    }

    fn v6_body() -> Vec<u8> {
        let src: Ipv6Addr = "2001:db8::7".parse().unwrap();
        let dst: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let mut body = src.octets().to_vec();
        body.extend_from_slice(&dst.octets());
        body.extend_from_slice(&443u16.to_be_bytes());
        body.extend_from_slice(&2222u16.to_be_bytes());
        body
    }

    #[test]
    fn v1_tcp4_gives_the_source_address_and_stops_at_the_crlf() {
        let line = b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\r\n";
        let mut bytes = line.to_vec();
        bytes.extend_from_slice(b"SSH-2.0-OpenSSH_9.9\r\n");
        assert_eq!(
            same_at_every_cut(&bytes),
            header(line.len(), Some("203.0.113.7:51234"))
        );
    }

    #[test]
    fn v1_tcp6_gives_the_source_address() {
        let line = b"PROXY TCP6 2001:db8::7 2001:db8::1 443 2222\r\n";
        assert_eq!(
            same_at_every_cut(line),
            header(line.len(), Some("[2001:db8::7]:443"))
        );
        // An IPv4 client seen by a balancer listening on IPv6.
        let mapped = b"PROXY TCP6 ::ffff:203.0.113.7 ::1 5 2222\r\n";
        assert_eq!(parse(mapped), header(mapped.len(), Some("203.0.113.7:5")));
    }

    #[test]
    fn v1_unknown_means_the_connections_own_address() {
        assert_eq!(same_at_every_cut(b"PROXY UNKNOWN\r\n"), header(15, None));
        let long = b"PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        assert_eq!(long.len(), V1_MAX);
        assert_eq!(same_at_every_cut(long), header(V1_MAX, None));
    }

    #[test]
    fn v1_bad_addresses_and_ports_are_refused() {
        for line in [
            &b"PROXY TCP4 203.0.113.256 10.0.0.1 1 2\r\n"[..],
            b"PROXY TCP4 2001:db8::7 10.0.0.1 1 2\r\n",
            b"PROXY TCP6 203.0.113.7 2001:db8::1 1 2\r\n",
            b"PROXY TCP4 203.0.113.07 10.0.0.1 1 2\r\n",
            b"PROXY TCP4 203.0.113.7 10.0.0.1 65536 2\r\n",
            b"PROXY TCP4 203.0.113.7 10.0.0.1 080 2\r\n",
            b"PROXY TCP4 203.0.113.7 10.0.0.1 +80 2\r\n",
            b"PROXY TCP4 203.0.113.7 10.0.0.1 80\r\n",
            b"PROXY TCP4 203.0.113.7 10.0.0.1  80 2\r\n",
            b"PROXY TCP4 203.0.113.7 10.0.0.1 80 2 \r\n",
            b"PROXY UDP4 203.0.113.7 10.0.0.1 80 2\r\n",
            b"PROXY tcp4 203.0.113.7 10.0.0.1 80 2\r\n",
            b"PROXY  TCP4 203.0.113.7 10.0.0.1 80 2\r\n",
            b"PROXY\r\n",
            b"PROXY \r\n",
        ] {
            let parsed = same_at_every_cut(line);
            assert!(
                matches!(parsed, Parsed::Invalid(_)),
                "{:?}: {parsed:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn v1_needs_its_crlf_within_107_bytes() {
        let line = b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222";
        assert_eq!(parse(line), Parsed::NeedMore);
        assert_eq!(
            parse(b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\r"),
            Parsed::NeedMore
        );
        assert!(matches!(
            parse(b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\n"),
            Parsed::Invalid(_)
        ));
        assert!(matches!(
            parse(b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\rSSH"),
            Parsed::Invalid(_)
        ));
        let mut long = b"PROXY UNKNOWN ".to_vec();
        long.resize(106, b'x');
        assert_eq!(parse(&long), Parsed::NeedMore);
        long.push(b'x');
        assert_eq!(
            parse(&long),
            Parsed::Invalid("a version 1 header longer than 107 bytes")
        );
        // A CRLF at 107 and 108 is one byte too far.
        long.truncate(106);
        long.extend_from_slice(b"\r\n");
        assert_eq!(long.len(), 108);
        assert!(matches!(same_at_every_cut(&long), Parsed::Invalid(_)));
        // Control bytes and non-ASCII inside the line.
        assert!(matches!(
            same_at_every_cut(b"PROXY UNKNOWN \x00\r\n"),
            Parsed::Invalid(_)
        ));
        assert!(matches!(
            same_at_every_cut("PROXY UNKNOWN é\r\n".as_bytes()),
            Parsed::Invalid(_)
        ));
    }

    #[test]
    fn not_a_header_is_refused_at_its_first_wrong_byte() {
        assert_eq!(
            parse(b"SSH-2.0-OpenSSH_9.9\r\n"),
            Parsed::Invalid("no PROXY header")
        );
        assert_eq!(parse(b"PROX"), Parsed::NeedMore);
        assert_eq!(parse(b"PROXI"), Parsed::Invalid("no PROXY header"));
        assert_eq!(parse(b"\r\n\r\n\0\r\nQUIT"), Parsed::NeedMore);
        assert_eq!(parse(b"\r\n\r\n\x01"), Parsed::Invalid("no PROXY header"));
        assert_eq!(parse(b""), Parsed::NeedMore);
    }

    #[test]
    fn v2_tcp4_and_tcp6_give_the_source_address() {
        let mut bytes = v2(0x21, 0x11, &v4_body());
        let len = bytes.len();
        bytes.extend_from_slice(b"SSH-2.0-x\r\n");
        assert_eq!(
            same_at_every_cut(&bytes),
            header(len, Some("203.0.113.7:51234"))
        );
        let bytes = v2(0x21, 0x21, &v6_body());
        assert_eq!(
            same_at_every_cut(&bytes),
            header(16 + 36, Some("[2001:db8::7]:443"))
        );
    }

    #[test]
    fn v2_local_and_unspec_mean_the_connections_own_address() {
        // LOCAL: the family is ignored, the block skipped.
        assert_eq!(same_at_every_cut(&v2(0x20, 0x00, &[])), header(16, None));
        assert_eq!(
            same_at_every_cut(&v2(0x20, 0x11, &v4_body())),
            header(28, None)
        );
        assert_eq!(
            same_at_every_cut(&v2(0x20, 0x99, &[1, 2, 3])),
            header(19, None)
        );
        // PROXY with UNSPEC: whatever the block holds.
        assert_eq!(
            same_at_every_cut(&v2(0x21, 0x00, &[7; 9])),
            header(25, None)
        );
        // UDP and UNIX: the connection's own address too.
        assert_eq!(
            same_at_every_cut(&v2(0x21, 0x12, &v4_body())),
            header(28, None)
        );
        assert_eq!(
            same_at_every_cut(&v2(0x21, 0x31, &[0; 216])),
            header(232, None)
        );
    }

    #[test]
    fn v2_tlvs_are_skipped_and_must_fit() {
        let mut body = v4_body();
        body.extend_from_slice(&[0x05, 0, 4, 1, 2, 3, 4]); // UNIQUE_ID
        body.extend_from_slice(&[0x04, 0, 0]); // NOOP, empty
        let bytes = v2(0x21, 0x11, &body);
        assert_eq!(
            same_at_every_cut(&bytes),
            header(bytes.len(), Some("203.0.113.7:51234"))
        );
        for bad in [&[0x05, 0, 5, 1, 2, 3, 4][..], &[0x04, 0], &[0x04]] {
            let mut body = v4_body();
            body.extend_from_slice(bad);
            assert_eq!(
                same_at_every_cut(&v2(0x21, 0x11, &body)),
                Parsed::Invalid("a version 2 header whose TLVs do not fit its length")
            );
        }
    }

    #[test]
    fn v2_truncated_at_every_length_needs_more() {
        let mut body = v6_body();
        body.extend_from_slice(&[0x02, 0, 3, b'a', b'b', b'c']);
        let bytes = v2(0x21, 0x21, &body);
        for cut in 0..bytes.len() {
            assert_eq!(parse(&bytes[..cut]), Parsed::NeedMore, "cut at {cut}");
        }
        assert!(matches!(parse(&bytes), Parsed::Header { .. }));
    }

    #[test]
    fn v2_oversized_and_wrong_headers_are_refused_from_their_first_bytes() {
        // The length alone refuses: nothing past byte 16 is awaited.
        let mut big = V2_SIGNATURE.to_vec();
        big.extend_from_slice(&[0x21, 0x11]);
        big.extend_from_slice(&513u16.to_be_bytes());
        assert_eq!(
            parse(&big),
            Parsed::Invalid("a version 2 header longer than 528 bytes")
        );
        let mut most = v4_body();
        most.resize(V2_MAX_BODY, 0);
        most[12..15].copy_from_slice(&[0x04, 0x01, 0xf1]); // one NOOP over the rest
        assert!(matches!(
            same_at_every_cut(&v2(0x21, 0x11, &most)),
            Parsed::Header {
                len: MAX_HEADER,
                ..
            }
        ));
        for (command, family, body, why) in [
            (
                0x11,
                0x11,
                v4_body(),
                "a binary header of a version other than 2",
            ),
            (
                0x31,
                0x11,
                v4_body(),
                "a binary header of a version other than 2",
            ),
            (
                0x22,
                0x11,
                v4_body(),
                "a version 2 header with a command other than LOCAL or PROXY",
            ),
            (
                0x21,
                0x13,
                v4_body(),
                "a version 2 header with an unknown address family",
            ),
            (
                0x21,
                0x41,
                v4_body(),
                "a version 2 header with an unknown address family",
            ),
            (
                0x21,
                0x21,
                v4_body(),
                "a version 2 header too short for its addresses",
            ),
            (
                0x21,
                0x11,
                v4_body()[..11].to_vec(),
                "a version 2 header too short for its addresses",
            ),
        ] {
            assert_eq!(
                same_at_every_cut(&v2(command, family, &body)),
                Parsed::Invalid(why)
            );
        }
    }

    #[test]
    fn networks_parse_and_contain() {
        let net = Network::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.200.3.4".parse().unwrap()));
        assert!(net.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let one = Network::parse("127.0.0.1").unwrap();
        assert_eq!(one.to_string(), "127.0.0.1/32");
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let v6 = Network::parse("::1/128").unwrap();
        assert!(v6.contains("::1".parse().unwrap()));
        assert!(!v6.contains("127.0.0.1".parse().unwrap()));
        let all = Network::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("203.0.113.7".parse().unwrap()));
        assert!(
            Network::parse("::/0")
                .unwrap()
                .contains("2001:db8::1".parse().unwrap())
        );
        assert!(
            Network::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8:ffff::1".parse().unwrap())
        );
        assert_eq!(
            Network::parse("10.0.0.1/8").unwrap_err(),
            "\"10.0.0.1/8\" has address bits set past its prefix: did you mean 10.0.0.0/8?"
        );
        for bad in [
            "10.0.0.0/33",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "ten",
            "10.0.0/8",
            "",
        ] {
            assert!(Network::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_sniff_stops_a_header_and_passes_ssh() {
        let mut ssh = Sniff::default();
        assert!(ssh.check(b"S").is_ok());
        assert!(ssh.check(b"SH-2.0-PROXY \r\n").is_ok());
        let mut v1 = Sniff::default();
        assert!(v1.check(b"PRO").is_ok());
        assert!(v1.check(b"XY TCP4").is_err());
        let mut v2 = Sniff::default();
        for b in V2_SIGNATURE.iter().take(11) {
            assert!(v2.check(&[*b]).is_ok());
        }
        assert!(v2.check(b"\n\x21").is_err());
        let mut near = Sniff::default();
        assert!(near.check(b"PROXYZ").is_ok());
        assert!(near.check(b"PROXY ").is_ok());
    }

    proptest::proptest! {
        /// A version 2 header built from any address, port and TLVs gives
        /// that address back, whatever follows it; the fuzz check holds.
        #[test]
        fn any_v2_header_gives_its_address_back(
            v6 in proptest::bool::ANY,
            octets in proptest::array::uniform16(0u8..),
            port in 0u16..,
            tlvs in proptest::collection::vec(
                (0u8.., proptest::collection::vec(0u8.., 0..60)),
                0..6,
            ),
            after in proptest::collection::vec(0u8.., 0..24),
        ) {
            let (family, ip, mut body) = if v6 {
                let ip = Ipv6Addr::from(octets);
                let mut body = ip.octets().to_vec();
                body.extend_from_slice(&[0; 16]);
                (0x21, IpAddr::V6(ip).to_canonical(), body)
            } else {
                let ip = Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]);
                (0x11, IpAddr::V4(ip), ip.octets().iter().chain(&[0; 4]).copied().collect())
            };
            body.extend_from_slice(&port.to_be_bytes());
            body.extend_from_slice(&2222u16.to_be_bytes());
            for (kind, value) in &tlvs {
                body.push(*kind);
                body.extend_from_slice(&u16::try_from(value.len()).unwrap().to_be_bytes());
                body.extend_from_slice(value);
            }
            proptest::prop_assume!(body.len() <= V2_MAX_BODY);
            let mut bytes = v2(0x21, family, &body);
            let len = bytes.len();
            bytes.extend_from_slice(&after);
            proptest::prop_assert_eq!(
                parse(&bytes),
                Parsed::Header { len, client: Some(SocketAddr::new(ip, port)) }
            );
            crate::fuzzing::proxy_header(&bytes);
        }

        /// A version 1 line for any address and port gives it back.
        #[test]
        fn any_v1_line_gives_its_address_back(
            v6 in proptest::bool::ANY,
            octets in proptest::array::uniform16(0u8..),
            port in 0u16..,
            after in proptest::collection::vec(0u8.., 0..24),
        ) {
            let (protocol, ip, shown) = if v6 {
                let ip = Ipv6Addr::from(octets);
                ("TCP6", IpAddr::V6(ip).to_canonical(), ip.to_string())
            } else {
                let ip = Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]);
                ("TCP4", IpAddr::V4(ip), ip.to_string())
            };
            let line = format!("PROXY {protocol} {shown} {shown} {port} 65535\r\n");
            let mut bytes = line.clone().into_bytes();
            bytes.extend_from_slice(&after);
            proptest::prop_assert_eq!(
                parse(&bytes),
                Parsed::Header { len: line.len(), client: Some(SocketAddr::new(ip, port)) }
            );
            crate::fuzzing::proxy_header(&bytes);
        }

        /// Valid headers with a few bytes changed, cut anywhere: the fuzz
        /// check's promises hold (a header within the input, the same
        /// answer at every cut).
        #[test]
        fn changed_headers_keep_the_promises(
            which in 0usize..4,
            changes in proptest::collection::vec((0usize..200, 0u8..), 0..4),
            cut in 0usize..300,
        ) {
            let mut tlv = v4_body();
            tlv.extend_from_slice(&[0x05, 0, 2, 7, 7]);
            let mut bytes = match which {
                0 => b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\r\n".to_vec(),
                1 => b"PROXY TCP6 2001:db8::7 2001:db8::1 443 2222\r\n".to_vec(),
                2 => v2(0x21, 0x11, &tlv),
                _ => v2(0x21, 0x21, &v6_body()),
            };
            bytes.extend_from_slice(b"SSH-2.0-x\r\n");
            for (at, byte) in changes {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
            bytes.truncate(cut);
            crate::fuzzing::proxy_header(&bytes);
        }
    }

    /// The reader takes the header and leaves the SSH stream behind it,
    /// whether the two came in one write or the header byte by byte.
    #[tokio::test]
    async fn read_header_takes_no_byte_past_the_header() {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut body = v4_body();
        body.extend_from_slice(&[0x04, 0, 1, 0]);
        let header_v2 = v2(0x21, 0x11, &body);
        let cases: Vec<(Vec<u8>, bool)> = vec![
            (
                b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\r\n".to_vec(),
                false,
            ),
            (
                b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\r\n".to_vec(),
                true,
            ),
            (header_v2.clone(), false),
            (header_v2, true),
        ];
        for (header, bytewise) in cases {
            let mut client = TcpStream::connect(address).await.unwrap();
            client.set_nodelay(true).unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            let writer = tokio::spawn(async move {
                if bytewise {
                    for b in &header {
                        client.write_all(&[*b]).await.unwrap();
                        tokio::task::yield_now().await;
                    }
                    client.write_all(b"SSH-2.0-x\r\n").await.unwrap();
                } else {
                    let mut all = header.clone();
                    all.extend_from_slice(b"SSH-2.0-x\r\n");
                    client.write_all(&all).await.unwrap();
                }
                client
            });
            let got = read_header(&mut server).await;
            assert_eq!(got, Ok(Some("203.0.113.7:51234".parse().unwrap())));
            let mut rest = [0u8; 11];
            server.read_exact(&mut rest).await.unwrap();
            assert_eq!(&rest, b"SSH-2.0-x\r\n");
            drop(writer.await.unwrap());
        }
    }

    #[tokio::test]
    async fn read_header_says_why_it_found_none() {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        for (sent, why) in [
            (&b""[..], "the connection closed without a PROXY header"),
            (
                b"PROXY TCP4 1.2.3.4",
                "the connection closed within its PROXY header",
            ),
            (b"SSH-2.0-x\r\n", "no PROXY header"),
        ] {
            let mut client = TcpStream::connect(address).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            client.write_all(sent).await.unwrap();
            client.shutdown().await.unwrap();
            assert_eq!(read_header(&mut server).await, Err(why));
        }
    }
}
