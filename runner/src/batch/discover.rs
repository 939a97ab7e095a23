//! Finds scenario files under the given paths (files or folders, recursively) and assigns each
//! a stable id; `--shard i/n` picks by a hash of that id so shards never overlap.

use std::path::{Path, PathBuf};

/// A scenario file and its id (path relative to its root, without `.toml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    pub path: PathBuf,
}

/// Every `.toml` scenario under `paths`, sorted by id; missing paths are errors.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Found>, String> {
    let mut out = Vec::new();
    for root in paths {
        if root.is_file() {
            let id = root
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(Found {
                id,
                path: root.clone(),
            });
            continue;
        }
        if !root.is_dir() {
            return Err(format!("{}: no such file or folder", root.display()));
        }
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let entry = entry.map_err(|e| e.to_string())?;
            let path = entry.path();
            if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            out.push(Found {
                id: id_of(root, path),
                path: path.to_path_buf(),
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id && a.path == b.path);
    Ok(out)
}

fn id_of(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// FNV-1a 64 of a string: stable across versions and platforms (unlike std's hasher).
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `--shard i/n` (1-based i).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (i, n) = s.split_once('/').ok_or("expected i/n, e.g. 2/4")?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("{i:?} is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("{n:?} is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard {index}/{count}: need 1 <= i <= n"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    pub fn contains(&self, id: &str) -> bool {
        stable_hash(id) % self.count == self.index - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_ids() {
        let ids: Vec<String> = (0..500).map(|i| format!("dir/scenario-{i}")).collect();
        let shards: Vec<Shard> = (1..=4).map(|i| format!("{i}/4").parse().unwrap()).collect();
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.contains(id)).count(), 1);
        }
        assert!(shards
            .iter()
            .all(|s| ids.iter().filter(|id| s.contains(id)).count() > 80));
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        assert_eq!(stable_hash("a"), 0xaf63dc4c8601ec8c);
    }
}
