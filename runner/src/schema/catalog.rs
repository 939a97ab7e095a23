//! The published JSON Schemas of rcodex's machine-readable output, embedded in the binary so that
//! `rcodex schema` prints exactly the files under `runner/schemas/` that the tests hold real output
//! to.

use clap::ValueEnum;

/// One machine-readable output of rcodex that has a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// A line of `rcodex exec --json` (and `replay --fork-at --json`): Codex's event shape.
    Events,
    /// A line of `rcodex batch`'s `results.jsonl`.
    Results,
    /// A line of `rcodex replay --json` (verify, `--summary`, `--request N`).
    Replay,
    /// The object `rcodex replay diff A B --json` prints.
    ReplayDiff,
}

impl SchemaKind {
    /// Every kind, in the order `rcodex schema --out DIR` writes them.
    pub const ALL: [SchemaKind; 4] = [
        SchemaKind::Events,
        SchemaKind::Results,
        SchemaKind::Replay,
        SchemaKind::ReplayDiff,
    ];

    /// The schema document (JSON Schema draft 2020-12) as published.
    pub fn text(self) -> &'static str {
        match self {
            SchemaKind::Events => include_str!("../../schemas/events.schema.json"),
            SchemaKind::Results => include_str!("../../schemas/results.schema.json"),
            SchemaKind::Replay => include_str!("../../schemas/replay.schema.json"),
            SchemaKind::ReplayDiff => include_str!("../../schemas/replay-diff.schema.json"),
        }
    }

    /// Its file name, as under `runner/schemas/` and as `--out DIR` writes it.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Events => "events.schema.json",
            SchemaKind::Results => "results.schema.json",
            SchemaKind::Replay => "replay.schema.json",
            SchemaKind::ReplayDiff => "replay-diff.schema.json",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_schema_is_json_with_a_versioned_id_naming_its_kind() {
        for kind in SchemaKind::ALL {
            let schema: serde_json::Value = serde_json::from_str(kind.text())
                .unwrap_or_else(|e| panic!("{}: {e}", kind.file_name()));
            let id = schema["$id"].as_str().unwrap_or_default();
            let stem = kind.file_name().trim_end_matches(".schema.json");
            assert_eq!(id, format!("urn:rcodex:schema:{stem}:1"));
            assert_eq!(
                schema["$schema"],
                "https://json-schema.org/draft/2020-12/schema"
            );
        }
    }
}
