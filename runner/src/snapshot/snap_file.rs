//! insta's `.snap` file format, which `cargo insta review` reads: a YAML header between two
//! `---` lines (`source`, `input_file`), then the snapshot text. A drifted snapshot's new
//! version goes beside it as `NAME.snap.new`, as insta leaves pending ones.

use std::path::{Path, PathBuf};

/// The file text of a snapshot written by `source` for the scenario file `input_file`.
pub fn render(source: &str, input_file: &Path, body: &str) -> String {
    format!(
        "---\nsource: {}\ninput_file: {}\n---\n{}\n",
        yaml_scalar(source),
        yaml_scalar(&input_file.display().to_string()),
        body.trim_end()
    )
}

/// A plain YAML scalar when that reads back as the same text, else a double-quoted one (JSON's
/// string syntax is YAML's).
fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '.')
        && s.chars()
            .all(|c| c.is_alphanumeric() || " ./_-+@".contains(c))
        && !s.ends_with(' ');
    if plain {
        s.to_string()
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}

/// The snapshot text of a `.snap` file's contents, compared the way insta compares: line
/// endings and trailing whitespace at the end do not count. A file without a header is all text.
pub fn body(file_text: &str) -> String {
    let text = file_text.replace("\r\n", "\n");
    let body = match text.strip_prefix("---\n") {
        Some(rest) => match rest.find("\n---\n") {
            Some(end) => rest[end + 5..].to_string(),
            None => match rest.strip_prefix("---\n") {
                Some(after_empty_header) => after_empty_header.to_string(),
                None => String::new(),
            },
        },
        None => text,
    };
    body.trim_end().to_string()
}

/// Where a pending new version of `snap` goes.
pub fn pending_path(snap: &Path) -> PathBuf {
    let mut name = snap.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_reads_back_to_its_body() {
        let text = render(
            "rcodex batch --snapshots",
            Path::new("evals/a b:c.toml"),
            "[\n  1\n]\n",
        );
        assert_eq!(
            text,
            "---\nsource: rcodex batch --snapshots\ninput_file: \"evals/a b:c.toml\"\n---\n[\n  1\n]\n"
        );
        assert_eq!(body(&text), "[\n  1\n]");
        assert_eq!(body("---\nsource: x\n---\nabc  \r\n\r\n"), "abc");
        assert_eq!(body("no header"), "no header");
        assert_eq!(
            pending_path(Path::new("d/request-1.snap")),
            Path::new("d/request-1.snap.new")
        );
    }
}
