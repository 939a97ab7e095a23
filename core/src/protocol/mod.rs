//! Codex's wire and disk types (serde), exact to Codex 0.169.0.
