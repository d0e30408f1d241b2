//! What the reader and the command line both ask of a library: which
//! sections pass a filter (actors, topics, dates), which match a search,
//! and how many fall in each month for the activity chart. Pure functions
//! and plain data: no screen, no terminal, no I/O of their own (bodies
//! and store searches come through the library's body source).

pub mod chart;
pub mod filter;
pub mod search;

pub use filter::{ActorFilter, SectionQuery, TopicChoice};
pub use search::SearchQuery;
