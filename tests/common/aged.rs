//! Content files written as an author's files are: dated in the past, so
//! the library store trusts their modification time (a time within the
//! last moments is not trusted and the file is parsed again). Shared by
//! the store's test crates (`#[path]`).

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Writes `text` to `path` (making its folder) dated `age` seconds ago.
pub fn write(path: &Path, text: &str, age: u64) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(age))
        .unwrap();
}
