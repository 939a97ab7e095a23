//! A recording lives in another folder than the scenario it was made from, so paths the
//! scenario gives relative to its own file (`workspace.dir`, a local `workspace.git.repo`)
//! are rewritten to point at the same place from the recording's folder.

use std::path::{Component, Path, PathBuf};

use toml_edit::{DocumentMut, Item};

/// The scenario keys that hold paths relative to the scenario file.
const PATH_KEYS: [&[&str]; 2] = [&["workspace", "dir"], &["workspace", "git", "repo"]];

/// Rewrites the path keys of `doc` (written in `from`) to work from `to`; both absolute.
pub fn relocate(doc: &mut DocumentMut, from: &Path, to: &Path) {
    for keys in PATH_KEYS {
        let mut item: Option<&mut Item> = Some(doc.as_item_mut());
        for k in keys {
            // Through TableLike: indexing an Item would insert the keys it does not find.
            item = item
                .and_then(Item::as_table_like_mut)
                .and_then(|t| t.get_mut(k));
        }
        let Some(value) = item else { continue };
        let Some(text) = value.as_str() else { continue };
        if is_url(text) || Path::new(text).is_absolute() {
            continue;
        }
        let moved = relative_to(&normalize(&from.join(text)), to);
        let decor = value.as_value().map(|v| v.decor().clone());
        *value = toml_edit::value(moved.display().to_string());
        if let (Some(decor), Some(v)) = (decor, value.as_value_mut()) {
            *v.decor_mut() = decor;
        }
    }
}

/// `https://...`, `file://...`, `git@host:repo`.
fn is_url(text: &str) -> bool {
    text.contains("://") || (text.contains('@') && text.contains(':'))
}

/// `path` with `.` and `..` resolved lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `target` as seen from the folder `base` (both absolute and normalized).
fn relative_to(target: &Path, base: &Path) -> PathBuf {
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_follow_the_file_and_others_stay() {
        let mut doc: DocumentMut = "name = \"x\"\n[workspace]\ndir = \"../fixtures/repo\" # the repo\ngit = { repo = \"up/../r.git\", rev = \"main\" }\n"
            .parse()
            .unwrap();
        relocate(
            &mut doc,
            Path::new("/s/evals/tools"),
            Path::new("/tmp/rec/tools"),
        );
        let text = doc.to_string();
        assert!(
            text.contains("dir = \"../../../s/evals/fixtures/repo\" # the repo"),
            "{text}"
        );
        assert!(
            text.contains("repo = \"../../../s/evals/tools/r.git\""),
            "{text}"
        );

        for kept in [
            "/abs/repo",
            "https://github.com/o/r.git",
            "git@github.com:o/r.git",
        ] {
            let mut doc: DocumentMut = format!("[workspace]\ndir = \"{kept}\"\n").parse().unwrap();
            relocate(&mut doc, Path::new("/a"), Path::new("/b"));
            assert!(doc.to_string().contains(&format!("\"{kept}\"")), "{doc}");
        }
    }

    #[test]
    fn relative_to_walks_up_and_down() {
        assert_eq!(
            relative_to(Path::new("/a/b/c"), Path::new("/a/x")),
            PathBuf::from("../b/c")
        );
        assert_eq!(
            relative_to(Path::new("/a"), Path::new("/a")),
            PathBuf::from(".")
        );
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
