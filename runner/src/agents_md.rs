//! AGENTS.md: the instructions a user and a project leave for the agent, found and laid out as
//! Codex 0.169 does, so a session in a repository sends what Codex sends.
//!
//! Captured with the pinned CLI (the facts this follows):
//! - the global file is `$CODEX_HOME/AGENTS.override.md`, else `$CODEX_HOME/AGENTS.md`, its
//!   surrounding whitespace trimmed;
//! - project files come from every folder from the git root down to the cwd (only the cwd outside
//!   a git repository), root first; in each folder `AGENTS.override.md`, else `AGENTS.md`, else
//!   the `project_doc_fallback_filenames` in order; a file that is empty or only whitespace is
//!   left out; together they are cut at `project_doc_max_bytes` (default 32 KiB), the file that
//!   crosses it keeping only what fits; they are joined by a blank line, each as written;
//! - the part reads `# AGENTS.md instructions for <cwd>` (without ` for <cwd>` when there is only
//!   the global file), a blank line, `<INSTRUCTIONS>`, the global text, `--- project-doc ---`
//!   between blank lines when both exist, the project text, `</INSTRUCTIONS>`;
//! - it is the first part of the user message that carries `<environment_context>`, sent once
//!   per thread (a resumed thread keeps it in its history).

use std::path::{Path, PathBuf};

/// `project_doc_max_bytes` when config does not set it.
pub const DEFAULT_MAX_BYTES: usize = 32 * 1024;
const OVERRIDE: &str = "AGENTS.override.md";
const DEFAULT_NAME: &str = "AGENTS.md";

/// The config keys that shape discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectDocOptions {
    pub max_bytes: usize,
    pub fallback_filenames: Vec<String>,
}

impl Default for ProjectDocOptions {
    fn default() -> Self {
        ProjectDocOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            fallback_filenames: Vec::new(),
        }
    }
}

/// The rendered instructions part for a session in `cwd`, or `None` when no file has any.
pub fn discover(codex_home: &Path, cwd: &Path, options: &ProjectDocOptions) -> Option<String> {
    let global = [OVERRIDE, DEFAULT_NAME]
        .iter()
        .filter_map(|name| std::fs::read_to_string(codex_home.join(name)).ok())
        .map(|text| text.trim().to_string())
        .find(|text| !text.is_empty());
    let project = project_docs(cwd, options);
    render(&cwd.display().to_string(), global.as_deref(), &project)
}

/// The project files' texts, root first, cut at the byte limit.
fn project_docs(cwd: &Path, options: &ProjectDocOptions) -> Vec<String> {
    let mut names: Vec<&str> = vec![OVERRIDE, DEFAULT_NAME];
    names.extend(options.fallback_filenames.iter().map(String::as_str));
    let mut left = options.max_bytes;
    let mut docs = Vec::new();
    for dir in folders_from_root(cwd) {
        if left == 0 {
            break;
        }
        let Some(path) = names.iter().map(|n| dir.join(n)).find(|p| p.is_file()) else {
            continue;
        };
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let kept = &bytes[..bytes.len().min(left)];
        let text = String::from_utf8_lossy(kept).into_owned();
        if text.trim().is_empty() {
            continue;
        }
        left -= kept.len();
        docs.push(text);
    }
    docs
}

/// The folders from the git root down to `cwd`, or `cwd` alone outside a repository.
fn folders_from_root(cwd: &Path) -> Vec<PathBuf> {
    let mut chain = Vec::new();
    for dir in cwd.ancestors() {
        chain.push(dir.to_path_buf());
        if dir.join(".git").exists() {
            chain.reverse();
            return chain;
        }
    }
    vec![cwd.to_path_buf()]
}

/// The part as Codex lays it out (see the module comment). Pure.
pub fn render(cwd: &str, global: Option<&str>, project: &[String]) -> Option<String> {
    let project = (!project.is_empty()).then(|| project.join("\n\n"));
    let (header, body) = match (global, project) {
        (None, None) => return None,
        (Some(g), None) => ("# AGENTS.md instructions".to_string(), g.to_string()),
        (None, Some(p)) => (format!("# AGENTS.md instructions for {cwd}"), p),
        (Some(g), Some(p)) => (
            format!("# AGENTS.md instructions for {cwd}"),
            format!("{g}\n\n--- project-doc ---\n\n{p}"),
        ),
    };
    Some(format!(
        "{header}\n\n<INSTRUCTIONS>\n{body}\n</INSTRUCTIONS>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn global_and_project_files_render_as_the_capture_shows() {
        // The capture in UPSTREAM-CODEX-0.169.md §1.1, byte for byte.
        let project = [
            "Root rule: use tabs.\n".to_string(),
            "Sub rule: be brief.\n".to_string(),
        ];
        assert_eq!(
            render("/w/repo/sub", Some("Global rule: say hi."), &project).unwrap(),
            "# AGENTS.md instructions for /w/repo/sub\n\n<INSTRUCTIONS>\nGlobal rule: say hi.\n\n--- project-doc ---\n\nRoot rule: use tabs.\n\n\nSub rule: be brief.\n\n</INSTRUCTIONS>"
        );
        assert_eq!(
            render("/w", Some("Global only."), &[]).unwrap(),
            "# AGENTS.md instructions\n\n<INSTRUCTIONS>\nGlobal only.\n</INSTRUCTIONS>"
        );
        assert_eq!(render("/w", None, &[]), None);
    }

    #[test]
    fn discovery_follows_the_captured_rules() {
        let root = tempfile::tempdir().unwrap();
        let (home, repo) = (root.path().join("home"), root.path().join("repo"));
        let sub = repo.join("a/sub");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        write(&repo.join("CLAUDE.md"), "Claude root.\n");
        write(&repo.join("a/AGENTS.md"), "  \n\n");
        write(&sub.join("AGENTS.md"), "Plain.\n");
        write(&sub.join("AGENTS.override.md"), "Override.\n");
        write(&sub.join("CLAUDE.md"), "Claude sub.\n");
        write(&home.join("AGENTS.md"), "Global.\n\n\n");
        let options = ProjectDocOptions {
            fallback_filenames: vec!["CLAUDE.md".into()],
            ..ProjectDocOptions::default()
        };
        let text = discover(&home, &sub, &options).unwrap();
        assert_eq!(
            text,
            format!(
                "# AGENTS.md instructions for {}\n\n<INSTRUCTIONS>\nGlobal.\n\n--- project-doc ---\n\nClaude root.\n\n\nOverride.\n\n</INSTRUCTIONS>",
                sub.display()
            )
        );
        // Without the fallback name the root's CLAUDE.md is not read; a byte limit cuts across
        // files (the capture: 11 bytes + 4 of the next).
        let cut = ProjectDocOptions {
            max_bytes: 12,
            fallback_filenames: Vec::new(),
        };
        write(&repo.join("AGENTS.md"), "ABCDEFGHIJ\n");
        let text = discover(&root.path().join("none"), &sub, &cut).unwrap();
        assert!(
            text.ends_with("<INSTRUCTIONS>\nABCDEFGHIJ\n\n\nO\n</INSTRUCTIONS>"),
            "{text}"
        );
    }

    #[test]
    fn outside_a_repository_only_the_cwd_counts() {
        let root = tempfile::tempdir().unwrap();
        let cwd = root.path().join("child");
        write(&root.path().join("AGENTS.md"), "Parent.\n");
        write(&cwd.join("AGENTS.md"), "Child.\n");
        let text = discover(
            &root.path().join("home"),
            &cwd,
            &ProjectDocOptions::default(),
        );
        assert_eq!(
            text.unwrap(),
            format!(
                "# AGENTS.md instructions for {}\n\n<INSTRUCTIONS>\nChild.\n\n</INSTRUCTIONS>",
                cwd.display()
            )
        );
        // Only empty files: no part at all.
        write(&cwd.join("AGENTS.md"), "");
        assert_eq!(
            discover(
                &root.path().join("home"),
                &cwd,
                &ProjectDocOptions::default()
            ),
            None
        );
    }
}
