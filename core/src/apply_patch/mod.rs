//! Codex's apply_patch format: parsing and pure application against file contents.
//!
//! [`parse_patch`] reads the patch text, [`compute_changes`] works out every file's new
//! contents through a caller-supplied reader, and [`summary`] holds the texts the model sees.
//! Nothing here touches the filesystem; the runner's apply_patch tool commits the changes.

mod apply;
mod parser;
mod seek;
pub mod summary;
mod text;

pub use apply::{
    affected_paths, compute_changes, ApplyPatchError, ChangeKind, FileChange, FileChangeKind,
};
pub use parser::{parse_patch, FileHunk, ParseError, Patch, UpdateChunk};
pub use seek::seek_sequence;
pub use summary::success_summary;

#[cfg(test)]
mod proptests;
