//! A feed's bytes into UTF-8 text: the encoding from the byte order mark,
//! else the HTTP charset, else the XML prolog, else UTF-8 when the bytes
//! are valid UTF-8, else windows-1252 (what undeclared "Latin-1" feeds
//! really are). The prolog is rewritten to say UTF-8, so the XML parser
//! reads what we decoded. Pure: no I/O.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How the text was decoded, for reports and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Bom,
    Http,
    Prolog,
    /// Valid UTF-8 with no declaration.
    Utf8,
    /// Neither declared nor valid UTF-8: decoded as windows-1252.
    Guessed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
    pub source: Source,
    /// Bytes that could not be decoded and became U+FFFD.
    pub had_errors: bool,
}

/// Decodes a feed body. `http_charset` is the `charset` parameter of the
/// Content-Type header, when there was one.
pub fn decode(bytes: &[u8], http_charset: Option<&str>) -> Decoded {
    decode_cow(Cow::Borrowed(bytes), http_charset)
}

/// [`decode`], taking the body: valid UTF-8 (most feeds) becomes the text
/// as it is, not a copy of it (a large feed is 95 MB).
pub fn decode_owned(bytes: Vec<u8>, http_charset: Option<&str>) -> Decoded {
    decode_cow(Cow::Owned(bytes), http_charset)
}

fn decode_cow(bytes: Cow<'_, [u8]>, http_charset: Option<&str>) -> Decoded {
    let (encoding, source, bom_len) = if let Some((enc, bom_len)) = Encoding::for_bom(&bytes) {
        (enc, Source::Bom, bom_len)
    } else if let Some(enc) = http_charset.and_then(|c| Encoding::for_label(c.trim().as_bytes())) {
        (enc, Source::Http, 0)
    } else if let Some(enc) = prolog_encoding(&bytes) {
        (enc, Source::Prolog, 0)
    } else if std::str::from_utf8(&bytes).is_ok() {
        (UTF_8, Source::Utf8, 0)
    } else {
        (WINDOWS_1252, Source::Guessed, 0)
    };
    let body = &bytes[bom_len..];
    let utf8 = encoding == UTF_8 && std::str::from_utf8(body).is_ok();
    // A declared UTF-8 that is not: the bytes say more than the label.
    let (encoding, source) =
        if encoding == UTF_8 && source != Source::Bom && !utf8 && looks_single_byte(body) {
            (WINDOWS_1252, Source::Guessed)
        } else {
            (encoding, source)
        };
    let (text, had_errors) = if utf8 {
        // Valid UTF-8 decodes to itself.
        let mut bytes = bytes.into_owned();
        bytes.drain(..bom_len);
        match String::from_utf8(bytes) {
            Ok(text) => (text, false),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
        }
    } else {
        let (text, had_errors) = encoding.decode_without_bom_handling(body);
        (text.into_owned(), had_errors)
    };
    Decoded {
        text: rewrite_prolog(text),
        encoding: encoding.name(),
        source,
        had_errors,
    }
}

/// The `encoding="..."` of an `<?xml ...?>` prolog at the start.
fn prolog_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(512)];
    let head = String::from_utf8_lossy(head);
    let start = head.trim_start();
    if !start.starts_with("<?xml") {
        return None;
    }
    let prolog = &start[..start.find("?>")?];
    let at = prolog.find("encoding")?;
    let rest = prolog[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let label = rest[1..].split(quote).next()?;
    Encoding::for_label(label.trim().as_bytes())
}

/// Bytes that fail UTF-8 mostly as lone high bytes between ASCII (`M\xfcnchen`).
fn looks_single_byte(bytes: &[u8]) -> bool {
    let high = bytes.iter().filter(|b| **b >= 0x80).count();
    let valid_prefix = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) => e.valid_up_to(),
    };
    high > 0 && valid_prefix < bytes.len()
}

/// Says `encoding="UTF-8"` in the prolog, since the text now is UTF-8
/// (in the text itself: the value is replaced, leading blanks and a byte
/// order mark before a prolog dropped).
fn rewrite_prolog(mut text: String) -> String {
    let lead = text.len()
        - text
            .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
            .len();
    let trimmed = &text[lead..];
    if !trimmed.starts_with("<?xml") {
        return text;
    }
    let Some(end) = trimmed.find("?>") else {
        return text;
    };
    let prolog = &trimmed[..end];
    let value = prolog.find("encoding").and_then(|at| {
        let after = &prolog[at..];
        let q1 = after.find(['"', '\''])?;
        let quote = after[q1..].chars().next().unwrap_or('"');
        let len = after[q1 + 1..].find(quote)?;
        let start = lead + at + q1 + 1;
        Some(start..start + len)
    });
    if let Some(value) = value {
        text.replace_range(value, "UTF-8");
    }
    text.drain(..lead);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_latin1_is_decoded_and_relabelled() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><t>M\xfcnchen</t></rss>";
        let d = decode(bytes, None);
        assert_eq!(d.source, Source::Prolog);
        assert_eq!(
            d.text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><t>München</t></rss>"
        );
    }

    #[test]
    fn undeclared_windows_1252_is_guessed() {
        let d = decode(b"<rss><t>\x93KI\x94 in K\xf6ln</t></rss>", None);
        assert_eq!(d.source, Source::Guessed);
        assert_eq!(d.text, "<rss><t>“KI” in Köln</t></rss>");
        // Declared UTF-8 that is not: the bytes win.
        let d = decode(
            b"<?xml version='1.0' encoding='utf-8'?><t>Stra\xdfe</t>",
            None,
        );
        assert_eq!(d.source, Source::Guessed);
        assert!(d.text.ends_with("<t>Straße</t>"));
    }

    #[test]
    fn bom_beats_http_beats_prolog() {
        let mut utf16 = vec![0xff, 0xfe];
        for u in "<t>ä</t>".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        let d = decode(&utf16, Some("iso-8859-1"));
        assert_eq!((d.source, d.text.as_str()), (Source::Bom, "<t>ä</t>"));
        let d = decode(
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>\xe4</t>",
            Some("latin1"),
        );
        assert_eq!(d.source, Source::Http);
        assert!(d.text.ends_with("<t>ä</t>"));
        let d = decode("<t>ä</t>".as_bytes(), None);
        assert_eq!(d.source, Source::Utf8);
    }

    #[test]
    fn a_body_taken_decodes_as_one_borrowed() {
        let mut utf8_bom = vec![0xef, 0xbb, 0xbf];
        utf8_bom.extend(b"<?xml version='1.0' encoding='utf-8'?><t>\xc3\xa4</t>");
        let cases: [(&[u8], Option<&str>); 10] = [
            (
                b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><t>M\xfcnchen</t></rss>",
                None,
            ),
            (b"<rss><t>\x93KI\x94 in K\xf6ln</t></rss>", None),
            (
                b"<?xml version='1.0' encoding='utf-8'?><t>Stra\xdfe</t>",
                None,
            ),
            (
                b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>\xe4</t>",
                Some("latin1"),
            ),
            (
                b" \n<?xml version=\"1.0\" encoding=\"utf-8\"?><t>\xc3\xa4</t>",
                None,
            ),
            (b"\n<?xml version=\"1.0\"?><t/>", Some("utf-8")),
            (b"<?xml version=\"1.0\" encoding=\"UTF-8\"", None),
            (b"<?xml encoding=\"utf-8?><t/>", None),
            (&utf8_bom, None),
            (b"", None),
        ];
        for (bytes, charset) in cases {
            assert_eq!(
                decode_owned(bytes.to_vec(), charset),
                decode(bytes, charset),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
