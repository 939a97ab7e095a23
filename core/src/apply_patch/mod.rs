//! Codex's apply_patch format: parsing and pure application against file contents.
