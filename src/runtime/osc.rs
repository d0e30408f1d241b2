//! Operating-system commands for the terminal: OSC 52 (copy to the
//! user's clipboard, which travels through SSH) and OSC 8 (hyperlinks).
//! Every payload is checked here, so content can never end a sequence
//! early or smuggle in one of its own.

/// Copied text is capped: terminals drop larger payloads anyway.
pub const MAX_COPY_BYTES: usize = 8 * 1024;

/// `ESC ] 52 ; c ; <base64> ESC \`: set the clipboard. Control characters
/// are dropped from the text first; `None` when nothing is left or the
/// text is too long.
pub fn copy_sequence(text: &str) -> Option<String> {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if clean.is_empty() || clean.len() > MAX_COPY_BYTES {
        return None;
    }
    Some(format!("\u{1b}]52;c;{}\u{1b}\\", base64(clean.as_bytes())))
}

/// A URL safe to put inside OSC 8: printable ASCII only (no ESC, BEL, C1
/// or spaces that could end or split the sequence), http(s), capped.
pub fn safe_url(url: &str) -> Option<&str> {
    let ok = url.len() <= 2048
        && (url.starts_with("https://") || url.starts_with("http://"))
        && url.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(url)
}

/// Opens an OSC 8 hyperlink; `id` keeps a URL wrapped over lines one link.
pub fn link_open(url: &str, id: &str) -> String {
    format!("\u{1b}]8;id={id};{url}\u{1b}\\")
}

pub const LINK_CLOSE: &str = "\u{1b}]8;;\u{1b}\\";

/// Standard base64 with padding (RFC 4648); a dozen lines do not need a crate.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn copy_strips_controls_and_caps_the_size() {
        assert_eq!(
            copy_sequence("hello").as_deref(),
            Some("\u{1b}]52;c;aGVsbG8=\u{1b}\\")
        );
        assert_eq!(copy_sequence("hel\u{1b}lo\u{7}"), copy_sequence("hello"));
        assert_eq!(copy_sequence("\u{1b}"), None);
        assert_eq!(copy_sequence(&"x".repeat(MAX_COPY_BYTES + 1)), None);
    }

    #[test]
    fn only_plain_http_urls_become_links() {
        assert_eq!(
            safe_url("https://example.org/a?b=c#d"),
            Some("https://example.org/a?b=c#d")
        );
        assert_eq!(safe_url("https://example.org/\u{1b}\\evil"), None);
        assert_eq!(safe_url("https://example.org/a b"), None);
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("https://exämple.org"), None);
    }
}
