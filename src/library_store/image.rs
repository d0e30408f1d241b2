//! The index image: the library exactly as `read::load_rows` builds it
//! from the rows (no bodies), encoded once and kept as one value in `meta`
//! (`index_image`), so a warm start decodes one value instead of reading
//! 60,000 rows and building the library again. It is a cache and never
//! trusted blindly: it is used only when its stamp names the rows the
//! reader sees now (every file's id, place, path and `index_hash`, and the
//! folders' problems), the same actor directory and this build's encoding,
//! its checksum holds and the decoded library passes
//! `Library::is_consistent`; otherwise the rows are read as before. It
//! writes nothing but that one value, and only from rows it has checked
//! again inside the writing transaction.

use std::sync::OnceLock;

use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::content::parse::{ParsedFile, RawArticle, RawSection};
use crate::content::{ActorDirectory, Library, NewsDate};
use crate::diag::{Diagnostic, Severity};

/// The `meta` key the image is kept under.
const META_KEY: &str = "index_image";

/// The first bytes of every image; the last one is the layout of the
/// header below (bump it when the header changes).
const MAGIC: &[u8; 8] = b"aiwtidx\x01";

/// Magic, three stamps and the checksum, before the encoded library.
const HEADER_LEN: usize = MAGIC.len() + 3 * 8 + 4;

/// What an image was built from: a stored image is used only when all
/// three equal what this process computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    /// This build's encoding (`format_stamp`).
    format: u64,
    /// The actor directory the ids were resolved with.
    actors: u64,
    /// The rows the library was read from (`rows_stamp`).
    rows: u64,
}

impl Stamp {
    pub(super) fn new(actors: &ActorDirectory, rows: u64) -> Self {
        Self {
            format: format_stamp(),
            actors: actors_stamp(actors),
            rows,
        }
    }
}

#[derive(Serialize)]
struct PayloadRef<'a> {
    library: &'a Library,
    /// Each article's `files` row, for its bodies.
    file_ids: &'a [i64],
}

#[derive(Deserialize)]
struct Payload {
    library: Library,
    file_ids: Vec<i64>,
}

/// FNV-1a, 64 bits, fed piece by piece: stable across builds.
pub(super) struct Fnv(u64);

impl Fnv {
    pub(super) fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    pub(super) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// A field that cannot run into the next one: its length first.
    fn field(&mut self, bytes: &[u8]) {
        self.write(&(bytes.len() as u64).to_le_bytes());
        self.write(bytes);
    }

    pub(super) fn finish(&self) -> u64 {
        self.0
    }
}

/// A digest of everything `read::load_rows` reads apart from what each
/// file's `index_hash` already covers: every file's id, load order, path and
/// index hash, and the folders' problems. `None` when a file has no index
/// hash (a store synced before `V_INDEX`, or a fetched item): no image can
/// be checked against such rows.
pub(super) fn rows_stamp(conn: &Connection) -> rusqlite::Result<Option<u64>> {
    let mut hash = Fnv::new();
    let mut files =
        conn.prepare_cached("SELECT id, ord, path, index_hash FROM files ORDER BY ord, id")?;
    let mut rows = files.query([])?;
    while let Some(r) = rows.next()? {
        let Some(index_hash) = r.get::<_, Option<i64>>(3)? else {
            return Ok(None);
        };
        hash.write(&r.get::<_, i64>(0)?.to_le_bytes());
        hash.write(&r.get::<_, i64>(1)?.to_le_bytes());
        hash.field(r.get_ref(2)?.as_bytes()?);
        hash.write(&index_hash.to_le_bytes());
    }
    let mut folders = conn.prepare_cached(
        "SELECT seq, path, line, col, severity, message FROM root_diagnostics ORDER BY seq",
    )?;
    let mut rows = folders.query([])?;
    hash.write(b"folders");
    while let Some(r) = rows.next()? {
        hash.write(&r.get::<_, i64>(0)?.to_le_bytes());
        hash.field(r.get_ref(1)?.as_bytes()?);
        hash.write(&r.get::<_, Option<i64>>(2)?.unwrap_or(-1).to_le_bytes());
        hash.write(&r.get::<_, Option<i64>>(3)?.unwrap_or(-1).to_le_bytes());
        hash.field(r.get_ref(4)?.as_bytes()?);
        hash.field(r.get_ref(5)?.as_bytes()?);
    }
    Ok(Some(hash.finish()))
}

/// The directory's names and every tag it resolves, in a stable order.
fn actors_stamp(actors: &ActorDirectory) -> u64 {
    let mut hash = Fnv::new();
    for name in actors.names() {
        hash.field(name.as_bytes());
    }
    hash.write(b"tags");
    for (tag, id) in actors.resolutions() {
        hash.field(tag.as_bytes());
        hash.write(&(id as u64).to_le_bytes());
    }
    hash.finish()
}

/// This build's encoding of a library: the crate version and the bytes a
/// sample library with every field set encodes to, so a build whose types
/// changed (a field added, moved or retyped) never decodes an older image.
fn format_stamp() -> u64 {
    static STAMP: OnceLock<u64> = OnceLock::new();
    *STAMP.get_or_init(|| {
        let mut hash = Fnv::new();
        hash.field(env!("CARGO_PKG_VERSION").as_bytes());
        if let Some(sample) = sample_library() {
            hash.field(&encode_payload(&sample, &[7]));
        }
        hash.finish()
    })
}

/// A small library with every field of every type set (and distinct).
fn sample_library() -> Option<Library> {
    let date = NewsDate::new(2025, Some(1), Some(27))?;
    let section = RawSection {
        heading: "h".into(),
        date: NewsDate::new(2024, Some(2), None),
        topics: vec!["t".into()],
        actors: vec!["b".into()],
        url: Some("u".into()),
        body: Vec::new(),
    };
    let article = RawArticle {
        id: "i".into(),
        lang: "en".into(),
        title: "T".into(),
        published: date,
        source: Some("s".into()),
        url: Some("v".into()),
        summary: Some("m".into()),
        topics: vec!["c".into()],
        actors: vec!["a".into()],
        sections: vec![section],
        path: "p".into(),
        id_position: Some((3, 4)),
    };
    let diagnostic = Diagnostic {
        path: "d".into(),
        position: Some((1, 2)),
        severity: Severity::Warning,
        message: "w".into(),
    };
    let file = ParsedFile {
        article: Some(article),
        diagnostics: vec![diagnostic.clone()],
    };
    let directory = ActorDirectory::new([("a", &[][..])]);
    Some(Library::build([("p", file)], vec![diagnostic], &directory))
}

fn encode_payload(library: &Library, file_ids: &[i64]) -> Vec<u8> {
    postcard::to_allocvec(&PayloadRef { library, file_ids }).unwrap_or_default()
}

/// The image of `library` (read from rows stamped `stamp`), with its
/// header.
pub(super) fn encode(library: &Library, file_ids: &[i64], stamp: Stamp) -> Vec<u8> {
    let payload = encode_payload(library, file_ids);
    let mut image = Vec::with_capacity(HEADER_LEN + payload.len());
    image.extend_from_slice(MAGIC);
    for part in [stamp.format, stamp.actors, stamp.rows] {
        image.extend_from_slice(&part.to_le_bytes());
    }
    image.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    image.extend_from_slice(&payload);
    image
}

/// The stamp an image was built with, if `bytes` has a whole header.
fn header(bytes: &[u8]) -> Option<(Stamp, u32)> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let word = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(rest.get(at..at + 8)?.try_into().ok()?))
    };
    let stamp = Stamp {
        format: word(0)?,
        actors: word(8)?,
        rows: word(16)?,
    };
    let crc = u32::from_le_bytes(rest.get(24..28)?.try_into().ok()?);
    Some((stamp, crc))
}

/// The library in `bytes` when it was built with `stamp`, is whole and
/// consistent; `None` otherwise (the caller reads the rows).
fn decode(bytes: &[u8], stamp: Stamp, configured: usize) -> Option<(Library, Vec<i64>)> {
    let (found, crc) = header(bytes)?;
    let payload = bytes.get(HEADER_LEN..)?;
    if found != stamp || crc32fast::hash(payload) != crc {
        return None;
    }
    let Payload { library, file_ids } = postcard::from_bytes(payload).ok()?;
    (file_ids.len() == library.articles.len() && library.is_consistent(configured))
        .then_some((library, file_ids))
}

/// The stored image's library, when it is one for `stamp` (see `decode`).
pub(super) fn read(
    conn: &Connection,
    stamp: Stamp,
    configured: usize,
) -> rusqlite::Result<Option<(Library, Vec<i64>)>> {
    let mut stmt = conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
    let mut rows = stmt.query([META_KEY])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    Ok(match row.get_ref(0)? {
        rusqlite::types::ValueRef::Blob(bytes) => decode(bytes, stamp, configured),
        _ => None,
    })
}

/// Whether the stored image was built with `stamp` and is whole (its
/// checksum holds); not decoded.
pub(super) fn is_current(conn: &Connection, stamp: Stamp) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
    let mut rows = stmt.query([META_KEY])?;
    let Some(row) = rows.next()? else {
        return Ok(false);
    };
    let rusqlite::types::ValueRef::Blob(bytes) = row.get_ref(0)? else {
        return Ok(false);
    };
    Ok(header(bytes).is_some_and(|(found, crc)| {
        found == stamp
            && bytes
                .get(HEADER_LEN..)
                .is_some_and(|payload| crc32fast::hash(payload) == crc)
    }))
}

/// Stores `image` (built from rows stamped `rows`) in one transaction,
/// when the rows are still those; `false` when they changed meanwhile (a
/// sync or a fetch committed) and nothing was written.
pub(super) fn write(conn: &mut Connection, image: &[u8], rows: u64) -> rusqlite::Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if rows_stamp(&tx)? != Some(rows) {
        return Ok(false);
    }
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        rusqlite::params![META_KEY, image],
    )?;
    tx.commit()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> Stamp {
        Stamp {
            format: format_stamp(),
            actors: 1,
            rows: 2,
        }
    }

    #[test]
    fn an_image_decodes_to_the_library_it_was_made_of() {
        let library = sample_library().unwrap();
        let stamp = stamp();
        let image = encode(&library, &[9], stamp);
        let (back, ids) = decode(&image, stamp, 1).unwrap();
        assert_eq!(format!("{back:?}"), format!("{library:?}"));
        assert_eq!(ids, [9]);
    }

    #[test]
    fn another_stamp_a_flipped_byte_or_a_cut_image_is_not_used() {
        let library = sample_library().unwrap();
        let stamp = stamp();
        let image = encode(&library, &[9], stamp);
        for other in [
            Stamp { rows: 3, ..stamp },
            Stamp { actors: 3, ..stamp },
            Stamp { format: 3, ..stamp },
        ] {
            assert!(decode(&image, other, 1).is_none());
        }
        for at in 0..image.len() {
            let mut flipped = image.clone();
            flipped[at] ^= 0x10;
            assert!(decode(&flipped, stamp, 1).is_none(), "byte {at}");
        }
        for len in 0..image.len() {
            assert!(decode(&image[..len], stamp, 1).is_none(), "cut at {len}");
        }
    }

    #[test]
    fn a_well_formed_image_with_ids_out_of_range_is_not_used() {
        let mut library = sample_library().unwrap();
        library.sections[0].topics.push(99);
        let stamp = stamp();
        assert!(decode(&encode(&library, &[9], stamp), stamp, 1).is_none());
        // One file id per article.
        assert!(decode(&encode(&sample_library().unwrap(), &[], stamp), stamp, 1).is_none());
    }
}
