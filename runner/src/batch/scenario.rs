//! The scenario file format (TOML): a prompt or several turns, workspace files, config
//! overrides, the scripted model's replies, and expectations. See scenarios/README.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One scenario file, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// A single prompt...
    #[serde(default)]
    pub prompt: Option<String>,
    /// ...or several turns of one conversation.
    #[serde(default)]
    pub turns: Vec<String>,
    /// `[model]`: the model name and the scripted replies (`[[model.reply]]`).
    #[serde(default)]
    pub model: ModelSection,
    /// `read-only`, `workspace-write` or `danger-full-access` (default workspace-write).
    #[serde(default)]
    pub sandbox: Option<String>,
    /// `-c key.path=value` overrides, as a table of dotted keys.
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    /// The JSON schema for `--output-schema`.
    #[serde(default)]
    pub output_schema: Option<toml::Value>,
    #[serde(default)]
    pub workspace: Workspace,
    #[serde(default)]
    pub expect: Expect,
    /// Where it was read from (set by the loader).
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    /// Relative path → content.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Relative path → base64 content, for binary files (images).
    #[serde(default)]
    pub files_base64: BTreeMap<String, String>,
}

/// `[model]`: `name` (default from config) and `[[model.reply]]` entries, each answering one
/// request in the scripted server's format. Without replies a scenario runs only with `--live`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    pub name: Option<String>,
    #[serde(default)]
    pub reply: Vec<toml::Value>,
}

/// What must hold after the run.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub final_message: Option<String>,
    pub final_message_contains: Option<String>,
    pub final_message_regex: Option<String>,
    /// Number of model requests.
    pub requests: Option<usize>,
    /// Tool names called, in order.
    pub tool_calls: Option<Vec<String>>,
    /// Relative path → exact content after the run.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    #[serde(default)]
    pub files_exist: Vec<String>,
    #[serde(default)]
    pub files_absent: Vec<String>,
    /// `completed`, `failed` or `interrupted` (default `completed`).
    pub status: Option<String>,
    /// `--json` events that must appear: `turn.completed`, `item.completed:command_execution`.
    #[serde(default)]
    pub events: Vec<String>,
    /// Checks on request bodies.
    #[serde(default)]
    pub request: Vec<RequestCheck>,
    /// The last turn's error message contains this.
    pub error_contains: Option<String>,
}

/// A JSON-pointer check on one request body (1-based `index`; negative counts from the end).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestCheck {
    pub index: i64,
    pub pointer: String,
    pub equals: Option<toml::Value>,
    pub contains: Option<String>,
}

/// `file:line: field: what is wrong`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct ScenarioError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl Scenario {
    /// The turns to run, in order.
    pub fn prompts(&self) -> Vec<String> {
        match &self.prompt {
            Some(p) => std::iter::once(p.clone())
                .chain(self.turns.iter().cloned())
                .collect(),
            None => self.turns.clone(),
        }
    }

    /// A stable id: the path relative to the batch root, without extension.
    pub fn id(&self, root: &Path) -> String {
        let rel = self.path.strip_prefix(root).unwrap_or(&self.path);
        rel.with_extension("").display().to_string()
    }
}

/// Reads and checks one scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        path: shown.clone(),
        line: 0,
        message: e.to_string(),
    })?;
    parse_scenario(&text, path)
}

/// Parses scenario text; errors name the line (from toml's span) and the field.
pub fn parse_scenario(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let mut scenario: Scenario = toml::from_str(text).map_err(|e| toml_error(&shown, text, &e))?;
    let err = |key: &str, message: String| ScenarioError {
        path: shown.clone(),
        line: find_line(text, key),
        message: format!("{key}: {message}"),
    };
    if scenario.prompts().is_empty() {
        return Err(err("prompt", "missing (give `prompt` or `turns`)".into()));
    }
    if let Some(status) = &scenario.expect.status {
        if !["completed", "failed", "interrupted"].contains(&status.as_str()) {
            return Err(err(
                "status",
                format!("{status:?} is not completed, failed or interrupted"),
            ));
        }
    }
    if let Some(re) = &scenario.expect.final_message_regex {
        if let Err(e) = regex::Regex::new(re) {
            return Err(err("final_message_regex", e.to_string()));
        }
    }
    if let Some(s) = &scenario.sandbox {
        if crate::config::parse_sandbox(s).is_none() {
            return Err(err(
                "sandbox",
                format!("{s:?} is not read-only, workspace-write or danger-full-access"),
            ));
        }
    }
    let replies: Vec<toml::Value> = scenario.model.reply.clone();
    for (i, reply) in replies.into_iter().enumerate() {
        if let Err(e) = reply.try_into::<crate::mock::Reply>() {
            let line = nth_line(text, "[[model.reply]]", i);
            return Err(ScenarioError {
                path: shown.clone(),
                line,
                message: format!("model.reply[{i}]: {}", e.message().trim()),
            });
        }
    }
    scenario.path = path.to_path_buf();
    Ok(scenario)
}

/// The scripted replies in the mock's format (already checked by the parser).
pub fn script_of(scenario: &Scenario) -> crate::mock::Script {
    crate::mock::Script {
        replies: scenario
            .model
            .reply
            .iter()
            .filter_map(|r| r.clone().try_into().ok())
            .collect(),
    }
}

fn toml_error(path: &str, text: &str, e: &toml::de::Error) -> ScenarioError {
    let line = crate::config::toml_error_line(text, e);
    let message = crate::config::one_line(e.message());
    let message = match field_at_line(text, line) {
        Some(field) if !message.contains(&format!("`{field}`")) => format!("{field}: {message}"),
        _ => message,
    };
    ScenarioError {
        path: path.into(),
        line,
        message,
    }
}

/// `table.key` assigned on `line` (1-based), from the nearest `[table]` header above it.
fn field_at_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?.trim();
    let key = here.split('=').next()?.trim().trim_matches('"');
    if key.is_empty() || here.starts_with('[') || !here.contains('=') {
        return None;
    }
    let table = lines[..line - 1].iter().rev().find_map(|l| {
        let l = l.trim();
        l.starts_with('[')
            .then(|| l.trim_matches(|c| c == '[' || c == ']').to_string())
    });
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

/// The line of the `n`-th (0-based) occurrence of `header`.
fn nth_line(text: &str, header: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == header)
        .nth(n)
        .map_or(1, |(i, _)| i + 1)
}

/// The first line that assigns `key` (1 when not found).
fn find_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with(key) && l[key.len()..].trim_start().starts_with('=')
        })
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        parse_scenario(text, Path::new("s.toml"))
    }

    #[test]
    fn parses_the_design_example() {
        let s = parse(
            r#"
name = "shell then answer"
prompt = "How many files are here?"
[workspace.files]
"a.txt" = "x\n"
[[model.reply]]
function_call = { name = "exec_command", arguments = { cmd = "ls" } }
[[model.reply]]
message = "One file."
[expect]
final_message = "One file."
requests = 2
files = { "a.txt" = "x\n" }
"#,
        )
        .unwrap();
        assert_eq!(s.model.reply.len(), 2);
        assert_eq!(script_of(&s).replies.len(), 2);
        assert_eq!(s.expect.requests, Some(2));
        assert_eq!(s.workspace.files["a.txt"], "x\n");
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = parse("name = \"x\"\nprompt = \"p\"\n[expect]\nrequests = \"two\"\n").unwrap_err();
        assert_eq!(e.path, "s.toml");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.starts_with("expect.requests:"), "{e}");

        let e = parse("name = \"x\"\nprompt = \"p\"\nbogus = 1\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("bogus"), "{e}");

        let e = parse("name = \"x\"\nprompt = \"p\"\n[[model.reply]]\nmessage = \"a\"\n[[model.reply]]\nmesage = \"b\"\n").unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert!(e.message.starts_with("model.reply[1]:"), "{e}");

        let e = parse("name = \"x\"\n").unwrap_err();
        assert!(e.message.starts_with("prompt:"), "{e}");

        let e = parse("name = \"x\"\nprompt = [\n").unwrap_err();
        assert!(e.line >= 2, "{e}");
    }
}
