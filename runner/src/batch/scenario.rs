//! The scenario file format (TOML): a prompt or several turns, workspace files, config
//! overrides, the scripted model's replies, and expectations. See scenarios/README.md.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;

use rcodex_core::sandbox::SandboxMode;
use serde::Deserialize;
use serde_json::Value;

use super::at_line::AtLine;
use super::git_source::GitSource;
use super::grader::CommandCheck;
use crate::config::from_toml_str;
use crate::mock::{AgentScript, Reply, Script};

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
    /// `[[agent]]`: one child agent's scripted replies each (`prompt_contains`,
    /// `[[agent.reply]]`), passed to the mock as they are.
    #[serde(default)]
    pub agent: Vec<AgentScript>,
    /// `read-only`, `workspace-write` or `danger-full-access` (default workspace-write).
    #[serde(default = "workspace_write")]
    pub sandbox: SandboxMode,
    /// `-c key.path=value` overrides, as a table of dotted keys.
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    /// The JSON schema for `--output-schema`.
    #[serde(default)]
    pub output_schema: Option<toml::Value>,
    #[serde(default)]
    pub workspace: Workspace,
    /// `setup = ["cmd", ...]`: run with `bash -c` in the workspace before the agent.
    #[serde(default)]
    pub setup: Vec<AtLine<String>>,
    #[serde(default)]
    pub expect: Expect,
    /// Seconds one run may take before its turn is interrupted (status `timeout`).
    #[serde(default, deserialize_with = "super::limits::positive_seconds")]
    pub timeout_s: Option<f64>,
    /// Model requests one run may start; starting one more interrupts it (status `fail`).
    #[serde(default)]
    pub max_requests: Option<std::num::NonZeroUsize>,
    /// Tokens (input + output, over all requests) one run may use; more interrupts it (`fail`).
    #[serde(default)]
    pub max_tokens: Option<std::num::NonZeroU64>,
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
    /// `dir = "path"`: a folder copied in (relative to the scenario file).
    #[serde(default)]
    pub dir: Option<AtLine<String>>,
    /// `git = { repo, rev }`: a repository cloned at a revision (before `dir` and the files).
    #[serde(default)]
    pub git: Option<GitSource>,
}

/// `[model]`: `name` (default from config) and `[[model.reply]]` entries, each answering one
/// request in the scripted server's format. Without replies a scenario runs only with `--live`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    pub name: Option<String>,
    #[serde(default)]
    pub reply: Vec<Reply>,
}

fn workspace_write() -> SandboxMode {
    SandboxMode::WorkspaceWrite
}

/// What must hold after the run.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub final_message: Option<String>,
    pub final_message_contains: Option<String>,
    pub final_message_regex: Option<MessageRegex>,
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
    /// `completed` (default), `failed` or `interrupted`.
    #[serde(default)]
    pub status: ExpectedStatus,
    /// `--json` events that must appear: `turn.completed`, `item.completed:command_execution`.
    #[serde(default)]
    pub events: Vec<String>,
    /// Checks on request bodies.
    #[serde(default)]
    pub request: Vec<RequestCheck>,
    /// The last turn's error message contains this.
    pub error_contains: Option<String>,
    /// `[[expect.command]]`: graders run in the workspace after the agent.
    #[serde(default)]
    pub command: Vec<CommandCheck>,
}

/// How the last turn must end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedStatus {
    #[default]
    Completed,
    Failed,
    Interrupted,
}

impl ExpectedStatus {
    /// The spelling a run record uses for the same outcome.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedStatus::Completed => "completed",
            ExpectedStatus::Failed => "failed",
            ExpectedStatus::Interrupted => "interrupted",
        }
    }
}

/// `final_message_regex`, compiled when the file is read so a bad pattern is an error at its line.
#[derive(Clone, Debug)]
pub struct MessageRegex(pub regex::Regex);

impl<'de> Deserialize<'de> for MessageRegex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(d)?;
        regex::Regex::new(&pattern)
            .map(MessageRegex)
            .map_err(serde::de::Error::custom)
    }
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

/// Parses scenario text. Every value is typed as it is read, so an error names the line of the
/// bad value (from the parser's span) and its field.
pub fn parse_scenario(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let mut scenario: Scenario = from_toml_str(text).map_err(|e| ScenarioError {
        path: shown.clone(),
        line: e.line,
        message: e.field_and_message(),
    })?;
    if scenario.prompts().is_empty() {
        // Absent keys have no span: the message says what to add instead of pointing at a line.
        return Err(ScenarioError {
            path: shown,
            line: 1,
            message: "prompt: missing (give `prompt` or `turns`)".into(),
        });
    }
    super::workspace::check_sources(&mut scenario.workspace, text, path)
        .and_then(|()| {
            super::grader::check_fields(&mut scenario.setup, &mut scenario.expect.command, text)
        })
        .map_err(|(line, message)| ScenarioError {
            path: shown.clone(),
            line,
            message,
        })?;
    let agent_replies = scenario.agent.iter_mut().flat_map(|a| &mut a.replies);
    for reply in scenario.model.reply.iter_mut().chain(agent_replies) {
        sort_table_keys(reply);
    }
    scenario.path = path.to_path_buf();
    Ok(scenario)
}

/// The scripted replies in the mock's format.
pub fn script_of(scenario: &Scenario) -> Script {
    Script {
        replies: scenario.model.reply.clone(),
        agents: scenario.agent.clone(),
        source: Some(scenario.path.display().to_string()),
    }
}

/// Scenario replies have always reached the wire with TOML tables in key order (the order
/// `toml::Table` iterates in), while JSON scripts keep their own order; request snapshots depend
/// on it, so JSON values read from a scenario are put in key order here.
fn sort_table_keys(reply: &mut Reply) {
    let calls = reply
        .function_call
        .iter_mut()
        .chain(&mut reply.function_calls);
    for value in calls.filter_map(|c| c.arguments.as_mut()) {
        sort_keys(value);
    }
    for item in &mut reply.items {
        if let Some(args) = item
            .function_call
            .as_mut()
            .and_then(|c| c.arguments.as_mut())
        {
            sort_keys(args);
        }
        if let Some(raw) = item.raw.as_mut() {
            sort_keys(raw);
        }
    }
}

fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.sort_keys();
            map.values_mut().for_each(sort_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

impl Scenario {
    /// Writes the scenario's files (text and base64) under `work`; paths must stay inside it.
    pub fn write_workspace(&self, work: &Path) -> Result<(), String> {
        let s = self;
        std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
        super::workspace::fill_from_sources(s, work)?;
        let mut files: Vec<(&String, Vec<u8>)> = s
            .workspace
            .files
            .iter()
            .map(|(k, v)| (k, v.clone().into_bytes()))
            .collect();
        for (name, b64) in &s.workspace.files_base64 {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| format!("{}: workspace.files_base64.{name}: {e}", s.path.display()))?;
            files.push((name, bytes));
        }
        for (name, content) in files {
            let rel = Path::new(name);
            let inside =
                !name.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
            if !inside {
                return Err(format!(
                    "{}: workspace.files: {name:?} must be a relative path inside the workspace",
                    s.path.display()
                ));
            }
            let target = work.join(rel);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::write(&target, content).map_err(|e| format!("{}: {e}", target.display()))?;
        }
        Ok(())
    }
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
        // The line of the misspelt key itself, not of its `[[model.reply]]` header.
        assert_eq!(e.line, 6, "{e}");
        assert!(
            e.message
                .starts_with("model.reply[1].mesage: unknown field `mesage`"),
            "{e}"
        );

        let e = parse("name = \"x\"\n").unwrap_err();
        assert!(e.message.starts_with("prompt:"), "{e}");

        let e = parse("name = \"x\"\nprompt = [\n").unwrap_err();
        assert!(e.line >= 2, "{e}");
    }

    /// A minimal valid scenario followed by `tail`; the tail starts on line 3.
    fn with_tail(tail: &str) -> Result<Scenario, ScenarioError> {
        parse(&format!("name = \"x\"\nprompt = \"p\"\n{tail}"))
    }

    #[test]
    fn agent_tables_pass_to_the_mock_script_with_the_scenario_path() {
        let s = with_tail(
            "[[model.reply]]\nmessage = \"root\"\n[[agent]]\nprompt_contains = \"alpha\"\n[[agent.reply]]\nmessage = \"alpha done\"\n[[agent.reply]]\nfunction_call = { name = \"x\", arguments = { b = 1, a = 2 } }\n[[agent]]\n[[agent.reply]]\nmessage = \"any\"\n",
        )
        .unwrap();
        let script = script_of(&s);
        assert_eq!(script.source.as_deref(), Some("s.toml"));
        assert_eq!(script.replies.len(), 1);
        assert_eq!(script.agents.len(), 2);
        assert_eq!(script.agents[0].prompt_contains.as_deref(), Some("alpha"));
        assert_eq!(
            script.agents[0].replies[0].message.as_deref(),
            Some("alpha done")
        );
        // Agent replies reach the wire in key order too.
        let args = script.agents[0].replies[1].function_call.as_ref().unwrap();
        assert_eq!(
            args.arguments.as_ref().unwrap().to_string(),
            r#"{"a":2,"b":1}"#
        );
        assert_eq!(script.agents[1].prompt_contains, None);
        let e = with_tail("[[agent]]\nprompt = \"alpha\"\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(
            e.message.starts_with("agent[0].prompt: unknown field"),
            "{e}"
        );
    }

    #[test]
    fn enums_are_typed_with_their_defaults() {
        let s = with_tail("").unwrap();
        assert_eq!(s.sandbox, SandboxMode::WorkspaceWrite);
        assert_eq!(s.expect.status, ExpectedStatus::Completed);
        let s = with_tail("sandbox = \"read-only\"\n[expect]\nstatus = \"failed\"\n").unwrap();
        assert_eq!(s.sandbox, SandboxMode::ReadOnly);
        assert_eq!(s.expect.status, ExpectedStatus::Failed);
    }

    #[test]
    fn an_unknown_sandbox_is_an_error_not_workspace_write() {
        let e = with_tail("\nsandbox = \"workspace_write\"\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert_eq!(
            e.message,
            "sandbox: unknown variant `workspace_write`, expected one of `read-only`, `workspace-write`, `danger-full-access`"
        );
    }

    #[test]
    fn an_unknown_status_is_an_error_at_its_line() {
        let e = with_tail("[expect]\nfinal_message = \"a\"\nstatus = \"done\"\n").unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert_eq!(
            e.message,
            "expect.status: unknown variant `done`, expected one of `completed`, `failed`, `interrupted`"
        );
    }

    #[test]
    fn a_bad_regex_is_an_error_at_its_line() {
        let e = with_tail("[expect]\nfinal_message_regex = \"(open\"\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(
            e.message
                .starts_with("expect.final_message_regex: regex parse error:"),
            "{e}"
        );
        assert!(!e.message.contains('\n'), "{e}");
    }

    #[test]
    fn a_reply_that_does_not_parse_is_an_error_never_dropped() {
        let tail = "[[model.reply]]\nmessage = \"a\"\n[[model.reply]]\nfunction_call = { arguments = { cmd = \"ls\" } }\n";
        let e = with_tail(tail).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert_eq!(
            e.message,
            "model.reply[1].function_call: missing field `name`"
        );
        let e = with_tail("[[model.reply]]\ndelay_ms = \"soon\"\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(
            e.message
                .starts_with("model.reply[0].delay_ms: invalid type: string"),
            "{e}"
        );
    }

    #[test]
    fn workspace_sources_setup_and_graders_are_read_with_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("fixture")).unwrap();
        let text = "name = \"x\"\nprompt = \"p\"\nsetup = [\"make\"]\n[workspace]\ndir = \"fixture\"\ngit = { repo = \"https://example.invalid/r.git\", rev = \"v1\" }\n[[expect.command]]\nrun = \"pytest -q\"\nexit = 1\n";
        let s = parse_scenario(text, &dir.path().join("s.toml")).unwrap();
        assert_eq!(s.setup[0].value, "make");
        assert_eq!(s.setup[0].line, 3);
        assert_eq!(s.workspace.dir.as_ref().unwrap().line, 5);
        let git = s.workspace.git.as_ref().unwrap();
        assert_eq!((git.repo.line, git.rev.as_ref().unwrap().line), (6, 6));
        assert_eq!(s.expect.command[0].run.value, "pytest -q");
        assert_eq!(s.expect.command[0].expected_exit(), 1);
    }

    #[test]
    fn bad_workspace_sources_name_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.toml");
        let err = |tail: &str| {
            parse_scenario(&format!("name = \"x\"\nprompt = \"p\"\n{tail}"), &file).unwrap_err()
        };
        let e = err("[workspace]\ndir = \"missing\"\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.starts_with("workspace.dir: "), "{e}");
        assert!(e.message.ends_with("missing is not a folder"), "{e}");
        let e = err("[workspace]\ngit = { repo = \"nope\" }\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.starts_with("workspace.git.repo: "), "{e}");
        let e = err("[workspace.git]\nrepo = \"https://h/r\"\nrev = \"--upload-pack=x\"\n");
        assert_eq!(e.line, 5, "{e}");
        assert!(e.message.starts_with("workspace.git.rev: "), "{e}");
        let e = err("[workspace.git]\nrepo = \"https://h/r\"\nbranch = \"main\"\n");
        assert_eq!(e.line, 5, "{e}");
        assert!(
            e.message.starts_with("workspace.git.branch: unknown field"),
            "{e}"
        );
        let e = err("setup = \"make\"\n");
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.starts_with("setup: invalid type"), "{e}");
        let e = err("[[expect.command]]\nrun = \"x\"\nexit = \"zero\"\n");
        assert_eq!(e.line, 5, "{e}");
        assert!(
            e.message
                .starts_with("expect.command[0].exit: invalid type"),
            "{e}"
        );
        let e = err("[[expect.command]]\nrun = \"x\"\ntimeout_s = -1\n");
        assert_eq!(e.line, 5, "{e}");
        assert!(
            e.message.starts_with("expect.command[0].timeout_s: -1"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_top_level_key_is_named() {
        let e = with_tail("bogus = 1\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.starts_with("bogus: unknown field `bogus`"), "{e}");
    }

    #[test]
    fn reply_tables_reach_the_wire_in_key_order() {
        let s = with_tail(
            "[[model.reply]]\nfunction_call = { name = \"exec_command\", arguments = { cmd = \"x\", yield_time_ms = 5, login = false, env = { B = 1, A = 2 } } }\nitems = [{ raw = { type = \"message\", role = \"assistant\" } }]\n",
        )
        .unwrap();
        let reply = &script_of(&s).replies[0];
        let args = reply
            .function_call
            .as_ref()
            .unwrap()
            .arguments
            .as_ref()
            .unwrap();
        assert_eq!(
            args.to_string(),
            r#"{"cmd":"x","env":{"A":2,"B":1},"login":false,"yield_time_ms":5}"#
        );
        assert_eq!(
            reply.items[0].raw.as_ref().unwrap().to_string(),
            r#"{"role":"assistant","type":"message"}"#
        );
    }
}
