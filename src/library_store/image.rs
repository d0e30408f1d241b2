//! The index image: the library exactly as `read::load_rows` builds it
//! from the rows (no bodies), encoded once and kept in `meta` (a header
//! under `index_image`, the bytes in chunks of 1 MiB), so a warm start
//! decodes it as it reads it, a chunk at a time, instead of reading 60,000
//! rows and building the library again. It is a cache and never
//! trusted blindly: it is used only when its stamp names the rows the
//! reader sees now (every file's id, place, path and `index_hash`, and the
//! folders' problems), the same actor directory and this build's encoding,
//! its checksum holds and the decoded library passes
//! `Library::is_consistent`; otherwise the rows are read as before. It
//! writes nothing but those values, and only from rows it has checked
//! again inside the writing transaction.

use std::sync::OnceLock;

use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::content::parse::{ParsedFile, RawArticle, RawSection};
use crate::content::{ActorDirectory, Library, NewsDate};
use crate::diag::{Diagnostic, Severity};

/// The `meta` key the image's header is kept under; the encoded library
/// follows in chunks under `index_image.000000`, `index_image.000001`, ...
/// (`chunk_key`), so that no start ever holds the whole image in memory:
/// it is decoded as it is read, one chunk at a time.
const META_KEY: &str = "index_image";

/// The first bytes of every image header; the last one is the layout of
/// the image (bump it when it changes: 1 was one value holding the whole
/// image, 2 the header and chunks). An image of another layout is not
/// used, and the next background sync writes a new one.
const MAGIC: &[u8; 8] = b"aiwtidx\x02";

/// Magic, three stamps, the checksum, the payload's length and the number
/// of chunks.
const HEADER_LEN: usize = MAGIC.len() + 3 * 8 + 4 + 8 + 4;

/// The most bytes of the encoded library one chunk holds.
const CHUNK_BYTES: usize = 1 << 20;

/// The key of chunk `n`: zero-padded, so the keys sort in chunk order.
fn chunk_key(n: usize) -> String {
    format!("{META_KEY}.{n:06}")
}

/// Every chunk key, and no other key, sorts between these two (`.` is
/// followed by `/` in ASCII).
const CHUNKS_FROM: &str = "index_image.";
const CHUNKS_TO: &str = "index_image/";

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

/// The image of `library` (read from rows stamped `stamp`): its header
/// and the encoded library, to be kept in chunks (`write`).
pub(super) struct Image {
    header: Vec<u8>,
    payload: Vec<u8>,
}

/// The image of `library` (read from rows stamped `stamp`).
pub(super) fn encode(library: &Library, file_ids: &[i64], stamp: Stamp) -> Image {
    let payload = encode_payload(library, file_ids);
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    for part in [stamp.format, stamp.actors, stamp.rows] {
        header.extend_from_slice(&part.to_le_bytes());
    }
    header.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    header.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let chunks = u32::try_from(payload.len().div_ceil(CHUNK_BYTES)).unwrap_or(u32::MAX);
    header.extend_from_slice(&chunks.to_le_bytes());
    Image { header, payload }
}

/// What a stored header says.
#[derive(Debug, Clone, Copy)]
struct Header {
    stamp: Stamp,
    crc: u32,
    /// The encoded library's length in bytes.
    len: u64,
    chunks: u32,
}

/// The header in `bytes`, if it is one of this layout and whole.
fn header(bytes: &[u8]) -> Option<Header> {
    let rest = bytes.strip_prefix(MAGIC)?;
    if rest.len() != HEADER_LEN - MAGIC.len() {
        return None;
    }
    let word = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(rest.get(at..at + 8)?.try_into().ok()?))
    };
    let stamp = Stamp {
        format: word(0)?,
        actors: word(8)?,
        rows: word(16)?,
    };
    let crc = u32::from_le_bytes(rest.get(24..28)?.try_into().ok()?);
    let len = u64::from_le_bytes(rest.get(28..36)?.try_into().ok()?);
    let chunks = u32::from_le_bytes(rest.get(36..40)?.try_into().ok()?);
    Some(Header {
        stamp,
        crc,
        len,
        chunks,
    })
}

/// The stored header, when there is one of this layout.
fn stored_header(conn: &Connection) -> rusqlite::Result<Option<Header>> {
    let mut stmt = conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
    let mut rows = stmt.query([META_KEY])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    Ok(match row.get_ref(0)? {
        rusqlite::types::ValueRef::Blob(bytes) => header(bytes),
        _ => None,
    })
}

/// The stored chunks read in order as one stream of bytes, one chunk in
/// memory at a time, their checksum and length counted on the way.
struct Chunks<'c> {
    rows: rusqlite::Rows<'c>,
    chunk: Vec<u8>,
    at: usize,
    /// Chunks read so far.
    count: u32,
    /// Bytes handed out so far.
    len: u64,
    crc: crc32fast::Hasher,
    /// Set when a chunk was not a blob or too long: the image is not used.
    broken: bool,
}

impl Chunks<'_> {
    /// Reads what is left, so that the checksum and length cover it all.
    fn drain(&mut self) -> std::io::Result<()> {
        std::io::copy(self, &mut std::io::sink()).map(drop)
    }

    /// Whether the bytes read were exactly those `header` describes.
    fn matches(&self, header: Header) -> bool {
        !self.broken
            && self.count == header.chunks
            && self.len == header.len
            && self.crc.clone().finalize() == header.crc
    }
}

impl std::io::Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.chunk.len() {
            let next = self.rows.next().map_err(std::io::Error::other)?;
            let Some(row) = next else {
                return Ok(0);
            };
            match row.get_ref(0).map_err(std::io::Error::other)? {
                rusqlite::types::ValueRef::Blob(bytes) if bytes.len() <= CHUNK_BYTES => {
                    self.chunk.clear();
                    self.chunk.extend_from_slice(bytes);
                }
                _ => {
                    self.broken = true;
                    return Ok(0);
                }
            }
            self.at = 0;
            self.count += 1;
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        let piece = &self.chunk[self.at..self.at + n];
        buf[..n].copy_from_slice(piece);
        self.crc.update(piece);
        self.at += n;
        self.len += n as u64;
        Ok(n)
    }
}

/// Runs `f` on the stored chunks as one stream (see `Chunks`).
fn with_chunks<T>(conn: &Connection, f: impl FnOnce(&mut Chunks<'_>) -> T) -> rusqlite::Result<T> {
    let mut stmt =
        conn.prepare_cached("SELECT value FROM meta WHERE key > ?1 AND key < ?2 ORDER BY key")?;
    let rows = stmt.query([CHUNKS_FROM, CHUNKS_TO])?;
    let mut chunks = Chunks {
        rows,
        chunk: Vec::new(),
        at: 0,
        count: 0,
        len: 0,
        crc: crc32fast::Hasher::new(),
        broken: false,
    };
    Ok(f(&mut chunks))
}

/// The scratch buffer a decode tries first: strings longer than this
/// (a heading or summary of more than 64 KiB) make it decode again with
/// room for the longest string a file can hold.
const FIRST_SCRATCH: usize = 64 << 10;

/// The library in the stored chunks when `header` describes them
/// (length, number, checksum) and it decodes whole and consistent;
/// `None` otherwise (the caller reads the rows). Decoded as it is read:
/// only one chunk and a scratch buffer for the longest string are in
/// memory besides the library.
fn decode(
    conn: &Connection,
    header: Header,
    configured: usize,
) -> rusqlite::Result<Option<(Library, Vec<i64>)>> {
    // No string in the index is longer than the file it came from (a
    // fetched item's text is never in an image: see `rows_stamp`).
    let longest = usize::try_from(header.len)
        .unwrap_or(usize::MAX)
        .min(usize::try_from(crate::content::load::MAX_FILE_BYTES).unwrap_or(usize::MAX));
    let first = longest.min(FIRST_SCRATCH);
    let mut scratch = vec![0u8; first];
    let decoded = with_chunks(conn, |chunks| {
        let decoded = postcard::from_io::<Payload, _>((&mut *chunks, &mut scratch[..]));
        match decoded {
            Ok((payload, _)) => checked(chunks, header, configured, payload).map(Some),
            // A string longer than the scratch: tried again below.
            Err(postcard::Error::DeserializeUnexpectedEnd) if longest > first => Some(None),
            Err(_) => None,
        }
    })?;
    match decoded {
        Some(Some(library)) => Ok(Some(library)),
        None => Ok(None),
        Some(None) => {
            let mut scratch = vec![0u8; longest];
            with_chunks(conn, |chunks| {
                let (payload, _) =
                    postcard::from_io::<Payload, _>((&mut *chunks, &mut scratch[..])).ok()?;
                checked(chunks, header, configured, payload)
            })
        }
    }
}

/// The decoded payload, when the rest of the chunks holds nothing more
/// than `header` says, their checksum holds and the library is consistent.
fn checked(
    chunks: &mut Chunks<'_>,
    header: Header,
    configured: usize,
    Payload { library, file_ids }: Payload,
) -> Option<(Library, Vec<i64>)> {
    chunks.drain().ok()?;
    (chunks.matches(header)
        && file_ids.len() == library.articles.len()
        && library.is_consistent(configured))
    .then_some((library, file_ids))
}

/// The stored image's library, when it is one for `stamp` (see `decode`).
pub(super) fn read(
    conn: &Connection,
    stamp: Stamp,
    configured: usize,
) -> rusqlite::Result<Option<(Library, Vec<i64>)>> {
    match stored_header(conn)? {
        Some(header) if header.stamp == stamp => decode(conn, header, configured),
        _ => Ok(None),
    }
}

/// Whether the stored image was built with `stamp` and is whole (its
/// chunks have the length and checksum its header says); not decoded.
pub(super) fn is_current(conn: &Connection, stamp: Stamp) -> rusqlite::Result<bool> {
    let Some(header) = stored_header(conn)? else {
        return Ok(false);
    };
    if header.stamp != stamp {
        return Ok(false);
    }
    with_chunks(conn, |chunks| {
        chunks.drain().is_ok() && chunks.matches(header)
    })
}

/// Stores `image` (built from rows stamped `rows`) in one transaction,
/// in place of any image stored before (of any layout), when the rows are
/// still those; `false` when they changed meanwhile (a sync or a fetch
/// committed) and nothing was written.
pub(super) fn write(conn: &mut Connection, image: &Image, rows: u64) -> rusqlite::Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if rows_stamp(&tx)? != Some(rows) {
        return Ok(false);
    }
    tx.execute(
        "DELETE FROM meta WHERE key = ?1 OR (key > ?2 AND key < ?3)",
        rusqlite::params![META_KEY, CHUNKS_FROM, CHUNKS_TO],
    )?;
    {
        let mut insert = tx.prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
        insert.execute(rusqlite::params![META_KEY, image.header])?;
        for (n, chunk) in image.payload.chunks(CHUNK_BYTES).enumerate() {
            insert.execute(rusqlite::params![chunk_key(n), chunk])?;
        }
    }
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

    /// A store with no files, the image of `library` written into it, and
    /// the stamp it was written with.
    fn stored(library: &Library, file_ids: &[i64]) -> (Connection, Stamp) {
        let mut conn = super::super::state::tests::conn();
        let rows = rows_stamp(&conn).unwrap().unwrap();
        let stamp = Stamp { rows, ..stamp() };
        assert!(write(&mut conn, &encode(library, file_ids, stamp), rows).unwrap());
        (conn, stamp)
    }

    fn values(conn: &Connection) -> Vec<(String, Vec<u8>)> {
        let mut stmt = conn
            .prepare("SELECT key, value FROM meta WHERE key LIKE 'index_image%' ORDER BY key")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn set(conn: &Connection, key: &str, value: &[u8]) {
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            rusqlite::params![key, value],
        )
        .unwrap();
    }

    #[test]
    fn an_image_decodes_to_the_library_it_was_made_of() {
        let library = sample_library().unwrap();
        let (conn, stamp) = stored(&library, &[9]);
        assert!(is_current(&conn, stamp).unwrap());
        let (back, ids) = read(&conn, stamp, 1).unwrap().unwrap();
        assert_eq!(format!("{back:?}"), format!("{library:?}"));
        assert_eq!(ids, [9]);
    }

    #[test]
    fn an_image_of_several_chunks_is_read_back_whole() {
        let mut library = sample_library().unwrap();
        // Two and a half chunks of text, one string across two of them.
        library.sections[0].heading = "x".repeat(CHUNK_BYTES * 2 + 17);
        library.articles[0].title = "y".repeat(CHUNK_BYTES / 2);
        let (conn, stamp) = stored(&library, &[9]);
        let keys: Vec<String> = values(&conn).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "index_image",
                "index_image.000000",
                "index_image.000001",
                "index_image.000002"
            ]
        );
        assert!(is_current(&conn, stamp).unwrap());
        let (back, _) = read(&conn, stamp, 1).unwrap().unwrap();
        assert_eq!(format!("{back:?}"), format!("{library:?}"));
    }

    #[test]
    fn another_stamp_a_flipped_byte_or_a_missing_or_extra_chunk_is_not_used() {
        let library = sample_library().unwrap();
        let (conn, stamp) = stored(&library, &[9]);
        for other in [
            Stamp { rows: 3, ..stamp },
            Stamp { actors: 3, ..stamp },
            Stamp { format: 3, ..stamp },
        ] {
            assert!(read(&conn, other, 1).unwrap().is_none());
            assert!(!is_current(&conn, other).unwrap());
        }
        for (key, value) in values(&conn) {
            for at in 0..value.len() {
                let mut flipped = value.clone();
                flipped[at] ^= 0x10;
                set(&conn, &key, &flipped);
                assert!(read(&conn, stamp, 1).unwrap().is_none(), "{key} byte {at}");
                assert!(!is_current(&conn, stamp).unwrap(), "{key} byte {at}");
            }
            for len in 0..value.len() {
                set(&conn, &key, &value[..len]);
                assert!(
                    read(&conn, stamp, 1).unwrap().is_none(),
                    "{key} cut at {len}"
                );
            }
            set(&conn, &key, &value);
        }
        assert!(read(&conn, stamp, 1).unwrap().is_some());
        set(&conn, &chunk_key(1), b"more");
        assert!(read(&conn, stamp, 1).unwrap().is_none(), "a chunk too many");
        assert!(!is_current(&conn, stamp).unwrap());
        conn.execute("DELETE FROM meta WHERE key > 'index_image'", [])
            .unwrap();
        assert!(read(&conn, stamp, 1).unwrap().is_none(), "no chunk");
        assert!(!is_current(&conn, stamp).unwrap());
    }

    #[test]
    fn an_image_of_the_old_layout_is_not_used_and_a_new_one_replaces_it() {
        let library = sample_library().unwrap();
        let (conn, stamp) = stored(&library, &[9]);
        // Layout 1: the header (magic ending in 1, stamps, checksum) and
        // the whole library in the one value.
        let payload = encode_payload(&library, &[9]);
        let mut old = b"aiwtidx\x01".to_vec();
        for part in [stamp.format, stamp.actors, stamp.rows] {
            old.extend_from_slice(&part.to_le_bytes());
        }
        old.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        old.extend_from_slice(&payload);
        conn.execute("DELETE FROM meta WHERE key > 'index_image'", [])
            .unwrap();
        set(&conn, META_KEY, &old);
        assert!(read(&conn, stamp, 1).unwrap().is_none());
        assert!(!is_current(&conn, stamp).unwrap());
        let mut conn = conn;
        assert!(write(&mut conn, &encode(&library, &[9], stamp), stamp.rows).unwrap());
        assert_eq!(values(&conn).len(), 2, "the header and one chunk");
        assert!(read(&conn, stamp, 1).unwrap().is_some());
    }

    #[test]
    fn a_well_formed_image_with_ids_out_of_range_is_not_used() {
        let mut library = sample_library().unwrap();
        library.sections[0].topics.push(99);
        let (conn, stamp) = stored(&library, &[9]);
        assert!(read(&conn, stamp, 1).unwrap().is_none());
        // One file id per article.
        let (conn, stamp) = stored(&sample_library().unwrap(), &[]);
        assert!(read(&conn, stamp, 1).unwrap().is_none());
    }
}
