//! `sandbox_workspace_write.writable_roots` (Codex's key, which `exec --add-dir` sets): extra
//! folders the workspace-write sandbox lets commands write, listed as workspace roots after
//! the working directory.

use std::path::PathBuf;

use toml::{Table, Value};

/// The extra writable roots in the merged config table (absolute paths as written).
pub fn extra_writable_roots(raw: &Table) -> Vec<PathBuf> {
    raw.get("sandbox_workspace_write")
        .and_then(|t| t.get("writable_roots"))
        .and_then(Value::as_array)
        .map(|roots| {
            roots
                .iter()
                .filter_map(Value::as_str)
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn roots_are_read_from_the_table() {
        let raw: toml::Table = "[sandbox_workspace_write]\nwritable_roots = [\"/a\", \"/b\"]\n"
            .parse()
            .unwrap();
        assert_eq!(
            super::extra_writable_roots(&raw),
            [std::path::PathBuf::from("/a"), "/b".into()]
        );
        assert!(super::extra_writable_roots(&toml::Table::new()).is_empty());
    }
}
