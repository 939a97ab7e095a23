//! Where temporary folders go. `std::env::temp_dir()` is `TMPDIR` as set, and an empty `TMPDIR`
//! (seen on CI images) would put them in the current directory: a repository's root, say.

use std::path::PathBuf;

/// The system's temp folder; `/tmp` when `TMPDIR` is empty or relative.
pub fn temp_root() -> PathBuf {
    let dir = std::env::temp_dir();
    if dir.is_absolute() {
        dir
    } else {
        PathBuf::from("/tmp")
    }
}
