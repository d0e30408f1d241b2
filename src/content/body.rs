//! Where section bodies come from. A library keeps its index (headings,
//! dates, tags) in memory; bodies are asked for through a `BodySource`:
//! kept in memory for libraries loaded from files, read on demand from the
//! library store otherwise. Callers (the app, the commands) only ask; the
//! source does whatever I/O it needs, and a read that fails is an error
//! value, never a panic.

use std::fmt;
use std::sync::Arc;

use super::{Block, SectionId};

/// Why a body could not be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The section is no longer where the library said (its file changed
    /// and was synced since the library was read).
    #[error("this section changed on disk since the library was read; restart to read it")]
    Gone,
    #[error("cannot read this section's text: {0}")]
    Read(String),
}

/// Gives bodies, and may search them itself. Shared between threads
/// (`serve` sessions), so it must be `Send + Sync`.
pub trait BodySource: Send + Sync {
    /// The body of `section`. `heading` is what the library knows the
    /// section by: a source that can change underneath checks it still
    /// names the same section, so a shifted file never shows another
    /// section's text.
    fn body(&self, section: SectionId, heading: &str) -> Result<Arc<[Block]>, BodyError>;

    /// Forgets what was read or searched so far: the text of sections
    /// changed where this source reads it.
    fn forget(&self) {}

    /// Whether `search` answers; otherwise the caller searches the text.
    fn searches(&self) -> bool {
        false
    }

    /// The sections whose stored searchable text (heading, body, actor tags
    /// and topics as written, folded) contains every one of `words`
    /// (already folded), in ascending order. Configured actor names are
    /// not in it (they depend on the configuration): the caller adds them.
    fn search(&self, _words: &[String]) -> Result<Vec<SectionId>, BodyError> {
        Err(BodyError::Read(
            "this library does not search by itself".into(),
        ))
    }

    /// Reads what `search` needs before the first search (off the input
    /// path), so that no keystroke waits for it.
    fn prepare_search(&self) -> Result<(), BodyError> {
        Ok(())
    }
}

/// A library's body source, cheap to clone.
#[derive(Clone)]
pub struct Bodies(Arc<dyn BodySource>);

impl Bodies {
    pub fn new(source: Arc<dyn BodySource>) -> Self {
        Self(source)
    }

    /// Bodies kept in memory, one per section, in section order.
    pub fn in_memory(bodies: Vec<Vec<Block>>) -> Self {
        // Empty bodies (all of them, for a library read from the store
        // before its source is set) share one allocation.
        let empty: Arc<[Block]> = Arc::from(Vec::new());
        Self(Arc::new(InMemory {
            bodies: bodies
                .into_iter()
                .map(|b| {
                    if b.is_empty() {
                        Arc::clone(&empty)
                    } else {
                        Arc::from(b)
                    }
                })
                .collect(),
        }))
    }

    pub fn body(&self, section: SectionId, heading: &str) -> Result<Arc<[Block]>, BodyError> {
        self.0.body(section, heading)
    }

    pub fn searches(&self) -> bool {
        self.0.searches()
    }

    /// Forgets cached bodies and searches (`BodySource::forget`).
    pub fn forget(&self) {
        self.0.forget();
    }

    pub fn search(&self, words: &[String]) -> Result<Vec<SectionId>, BodyError> {
        self.0.search(words)
    }

    /// See `BodySource::prepare_search`.
    pub fn prepare_search(&self) -> Result<(), BodyError> {
        self.0.prepare_search()
    }
}

impl Default for Bodies {
    fn default() -> Self {
        Self::in_memory(Vec::new())
    }
}

impl fmt::Debug for Bodies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bodies")
    }
}

/// Every body in memory: what loading the files gives.
struct InMemory {
    bodies: Vec<Arc<[Block]>>,
}

impl BodySource for InMemory {
    fn body(&self, section: SectionId, _heading: &str) -> Result<Arc<[Block]>, BodyError> {
        self.bodies.get(section).cloned().ok_or(BodyError::Gone)
    }
}
