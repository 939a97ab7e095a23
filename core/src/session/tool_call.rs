//! Turning a model's tool-call item into something to run: which tool, may it run alongside
//! others, what the `--json` stream shows for it, or the error output it gets straight away.

use serde_json::Value;

use super::config::ShellSettings;
use super::effect::{ToolCall, ToolInput};
use super::input::ToolOutput;
use crate::ids::IdKind;
use crate::protocol::exec_event::{FileUpdateChange, TodoItem};
use crate::protocol::response_item::{
    CustomToolCallOutputItem, Extra, FunctionCallOutputItem, ToolSearchOutputItem,
};
use crate::protocol::ResponseItem;

/// Tools that must run alone: they mutate shared state (files, the plan, a live process).
pub const EXCLUSIVE_TOOLS: &[&str] = &["apply_patch", "update_plan", "write_stdin"];

/// What the `exec --json` stream shows while a call runs.
#[derive(Clone, Debug, PartialEq)]
pub enum CallView {
    /// A shell command: shown as a `command_execution` item.
    Command {
        /// The command line as one string (`/bin/bash -lc 'ls -la'`): `command_execution.command`.
        display: String,
        /// The same command as an argv, for the rollout's `CommandExecution.command`.
        argv: Vec<String>,
    },
    /// An apply_patch call: shown as a `file_change` item.
    FileChange {
        /// The files the patch touches and how, as `file_change.changes`.
        changes: Vec<FileUpdateChange>,
    },
    /// An update_plan call: shown as a `todo_list` item.
    Plan {
        /// The plan steps, as `todo_list.items`.
        items: Vec<TodoItem>,
    },
    /// A sub-agent tool call: shown as a `collab_tool_call` item.
    Collab(super::collab::CollabView),
    /// A call the stream does not show (view_image, write_stdin, unknown tools, …).
    Hidden,
}

/// A call, classified.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassifiedCall {
    /// The call to run, as the model wrote it.
    pub call: ToolCall,
    /// Whether it must run alone (see [`EXCLUSIVE_TOOLS`]).
    pub exclusive: bool,
    /// How the `--json` stream shows it.
    pub view: CallView,
    /// Set when the call is answered without running (unknown tool, bad arguments).
    pub immediate: Option<ToolOutput>,
    /// Whether the answer is a `custom_tool_call_output` (freeform tools).
    pub freeform: bool,
    /// Set for a `tool_search_call`: the `tools` its `tool_search_output` loads (the core
    /// answers the search itself; see `tool_search`).
    pub loaded: Option<Vec<Value>>,
}

impl ClassifiedCall {
    /// What the id of this call's output names.
    pub fn output_id_kind(&self) -> IdKind<'_> {
        if self.loaded.is_some() {
            return IdKind::ToolSearchOutput {
                call_id: &self.call.call_id,
            };
        }
        IdKind::ToolOutput {
            call_id: &self.call.call_id,
            freeform: self.freeform,
        }
    }

    /// The history item that answers this call: a `tool_search_output` for a search, a
    /// `custom_tool_call_output` for freeform tools, a `function_call_output` otherwise, with id
    /// `id` (see [`Self::output_id_kind`]).
    pub fn output_item(&self, output: ToolOutput, id: String) -> ResponseItem {
        let call_id = self.call.call_id.clone();
        if let Some(tools) = &self.loaded {
            ResponseItem::ToolSearchOutput(ToolSearchOutputItem {
                id: Some(id),
                call_id,
                status: "completed".into(),
                execution: "client".into(),
                tools: tools.clone(),
                extra: Extra::new(),
            })
        } else if self.freeform {
            ResponseItem::CustomToolCallOutput(CustomToolCallOutputItem {
                id: Some(id),
                call_id,
                output: output.payload,
                extra: Extra::new(),
            })
        } else {
            ResponseItem::FunctionCallOutput(FunctionCallOutputItem {
                id: Some(id),
                call_id,
                output: output.payload,
                extra: Extra::new(),
            })
        }
    }
}

/// The call a tool-call item makes, and whether its tool is freeform; `None` if the item is not
/// a tool call.
pub fn call_of(item: &ResponseItem) -> Option<(ToolCall, bool)> {
    let namespace = match item {
        ResponseItem::FunctionCall(c) => c.namespace.clone(),
        _ => None,
    };
    let (call_id, name, input, freeform) = match item {
        ResponseItem::FunctionCall(c) => (
            c.call_id.clone(),
            c.name.clone(),
            ToolInput::Arguments(c.arguments.clone()),
            false,
        ),
        ResponseItem::CustomToolCall(c) => (
            c.call_id.clone(),
            c.name.clone(),
            ToolInput::Freeform(c.input.clone()),
            true,
        ),
        ResponseItem::LocalShellCall(c) => (
            c.call_id
                .clone()
                .or_else(|| c.id.clone())
                .unwrap_or_default(),
            "local_shell".to_string(),
            ToolInput::Arguments(serde_json::to_string(&c.action).unwrap_or_default()),
            false,
        ),
        ResponseItem::ToolSearchCall(c) if c.is_client() => (
            c.call_id.clone().unwrap_or_default(),
            TOOL_SEARCH.to_string(),
            ToolInput::Arguments(c.arguments.to_string()),
            false,
        ),
        _ => return None,
    };
    Some((
        ToolCall {
            call_id,
            name,
            namespace,
            input,
        },
        freeform,
    ))
}

/// The name a client-executed `tool_search_call` is classified under (its advertised `type`).
pub const TOOL_SEARCH: &str = "tool_search";

/// Classifies a tool-call item; `None` if the item is not a tool call. `deferred` names the
/// session's deferred namespaces: a namespaced call is callable when its namespace is one of
/// them and holds the tool; a search searches them.
pub fn classify(
    item: &ResponseItem,
    advertised: &[String],
    deferred: &[String],
    shell: &ShellSettings,
    cwd: &str,
) -> Option<ClassifiedCall> {
    let (call, freeform) = call_of(item)?;
    let name = call.name.clone();
    let exclusive = EXCLUSIVE_TOOLS.contains(&name.as_str());
    let answer_now = |text: String| ClassifiedCall {
        call: call.clone(),
        exclusive: false,
        view: CallView::Hidden,
        immediate: Some(ToolOutput::text(text, false)),
        freeform,
        loaded: None,
    };
    if let ResponseItem::ToolSearchCall(search) = item {
        // Searched only when offered; an unoffered search loads nothing, as a malformed one.
        let tools = if advertised.iter().any(|a| a == TOOL_SEARCH) {
            super::tool_search::answer(&search.arguments, deferred)
        } else {
            Vec::new()
        };
        return Some(ClassifiedCall {
            immediate: Some(ToolOutput::text(String::new(), true)),
            loaded: Some(tools),
            ..answer_now(String::new())
        });
    }
    let callable = match call.namespace.as_deref() {
        Some(namespace) => {
            deferred.iter().any(|d| d == namespace)
                && crate::tool_set::is_deferred_tool(namespace, &name)
        }
        None => advertised.contains(&name),
    };
    if !callable {
        // Codex names a namespaced tool by its namespace and name run together.
        let full = format!("{}{name}", call.namespace.as_deref().unwrap_or_default());
        return Some(answer_now(format!("unsupported call: {full}")));
    }
    let args = match &call.input {
        ToolInput::Arguments(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(v) if v.is_object() => Some(v),
            Ok(_) => {
                return Some(answer_now(
                    "failed to parse function arguments: expected a JSON object".to_string(),
                ))
            }
            Err(e) => {
                return Some(answer_now(format!(
                    "failed to parse function arguments: {e}"
                )))
            }
        },
        ToolInput::Freeform(_) => None,
    };
    let collab = super::collab::CollabTool::of_call(call.namespace.as_deref(), &name);
    let view = match collab {
        // Codex runs the sub-agent tools one call at a time (captured: parallel spawns start
        // and finish in turn).
        Some(tool) => args
            .as_ref()
            .and_then(|a| super::collab::view(tool, a))
            .map_or(CallView::Hidden, CallView::Collab),
        None => view_of(&name, &call.input, args.as_ref(), shell, cwd),
    };
    let exclusive = exclusive || collab.is_some();
    Some(ClassifiedCall {
        call,
        exclusive,
        view,
        immediate: None,
        freeform,
        loaded: None,
    })
}

fn view_of(
    name: &str,
    input: &ToolInput,
    args: Option<&Value>,
    shell: &ShellSettings,
    cwd: &str,
) -> CallView {
    let str_arg = |k: &str| args.and_then(|a| a.get(k)).and_then(Value::as_str);
    match name {
        "exec_command" | "shell_command" => {
            let key = if name == "exec_command" {
                "cmd"
            } else {
                "command"
            };
            let Some(cmd) = str_arg(key) else {
                return CallView::Hidden;
            };
            let sh = str_arg("shell").unwrap_or(&shell.path);
            let login = args
                .and_then(|a| a.get("login"))
                .and_then(Value::as_bool)
                .unwrap_or(shell.login);
            let flag = if login { "-lc" } else { "-c" };
            CallView::Command {
                display: join_command(&[sh, flag, cmd]),
                argv: vec![sh.to_string(), flag.to_string(), cmd.to_string()],
            }
        }
        "shell" | "local_shell" => {
            let argv: Vec<&str> = args
                .and_then(|a| a.get("command"))
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if argv.is_empty() {
                CallView::Hidden
            } else {
                CallView::Command {
                    display: join_command(&argv),
                    argv: argv.iter().map(|a| a.to_string()).collect(),
                }
            }
        }
        "apply_patch" => {
            let text = match input {
                ToolInput::Freeform(t) => Some(t.as_str()),
                ToolInput::Arguments(_) => str_arg("input"),
            };
            CallView::FileChange {
                changes: text.map(|t| patch_paths(t, cwd)).unwrap_or_default(),
            }
        }
        "update_plan" => {
            let items = args
                .and_then(|a| a.get("plan"))
                .and_then(Value::as_array)
                .map(|steps| {
                    steps
                        .iter()
                        .filter_map(|s| {
                            Some(TodoItem {
                                text: s.get("step")?.as_str()?.to_string(),
                                completed: s.get("status").and_then(Value::as_str)
                                    == Some("completed"),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            CallView::Plan { items }
        }
        _ => CallView::Hidden,
    }
}

/// The files a patch names, absolute, with their change kind, in patch order (none if the patch
/// does not parse; the tool will say why).
fn patch_paths(patch: &str, cwd: &str) -> Vec<FileUpdateChange> {
    let Ok(parsed) = crate::apply_patch::parse_patch(patch) else {
        return Vec::new();
    };
    crate::apply_patch::affected_paths(&parsed, std::path::Path::new(cwd))
        .into_iter()
        .map(|(path, kind)| FileUpdateChange {
            path: path.display().to_string(),
            kind: kind.into(),
        })
        .collect()
}

/// Joins argv the way a POSIX shell would read it back (single quotes where needed).
pub fn join_command(argv: &[&str]) -> String {
    argv.iter()
        .map(|a| quote_arg(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// rcodex's one shell-quoting rule (the runner's command display calls [`join_command`] too):
/// a word of ASCII letters, digits and `_-+=:,./@%` stays bare, any other word is single-quoted
/// with `'` written as `'"'"'`. The `shlex` crate quotes `=`, `,`, `%` and words holding `'`
/// differently, which would change the command strings rcodex already emits.
fn quote_arg(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-+=:,./@%".contains(c));
    if safe {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\"'\"'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::response_item::{Extra, FunctionCallItem};

    fn fc(name: &str, args: &str) -> ResponseItem {
        ResponseItem::FunctionCall(FunctionCallItem {
            status: None,
            id: None,
            name: name.into(),
            namespace: None,
            arguments: args.into(),
            call_id: "c1".into(),
            extra: Extra::new(),
        })
    }

    fn names() -> Vec<String> {
        ["exec_command", "apply_patch", "update_plan"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn a_sub_agent_tool_is_callable_only_with_its_namespace() {
        let shell = ShellSettings::default();
        let namespaced = |ns: &str, name: &str| {
            let wire = format!(
                r#"{{"type":"function_call","name":"{name}","namespace":"{ns}","arguments":"{{}}","call_id":"c1"}}"#
            );
            serde_json::from_str::<ResponseItem>(&wire).unwrap()
        };
        let deferred = ["multi_agent_v1".to_string()];
        let run = classify(
            &namespaced("multi_agent_v1", "spawn_agent"),
            &[],
            &deferred,
            &shell,
            "/w",
        )
        .unwrap();
        assert!(
            run.immediate.is_none(),
            "a loaded sub-agent tool goes to the runner"
        );
        // As Codex 0.169 answered: the bare name, an unknown namespace or an unknown tool of it.
        for item in [
            fc("spawn_agent", "{}"),
            namespaced("other_ns", "spawn_agent"),
            namespaced("multi_agent_v1", "fork_agent"),
        ] {
            let answer = classify(&item, &[], &deferred, &shell, "/w")
                .unwrap()
                .immediate
                .unwrap();
            let text = format!("{:?}", answer.payload);
            assert!(text.contains("unsupported call: "), "{text}");
        }
    }

    #[test]
    fn a_namespaced_call_keeps_its_namespace_in_codex_key_order() {
        // As Codex 0.169 wrote a loaded sub-agent tool's call back into history.
        let wire = r#"{"type":"function_call","status":"completed","id":"fc_1","name":"spawn_agent","namespace":"multi_agent_v1","arguments":"{}","call_id":"c1"}"#;
        let item: ResponseItem = serde_json::from_str(wire).unwrap();
        assert_eq!(serde_json::to_string(&item).unwrap(), wire);
        let (call, _) = call_of(&item).unwrap();
        assert_eq!(call.namespace.as_deref(), Some("multi_agent_v1"));
        let (plain, _) = call_of(&fc("exec_command", "{}")).unwrap();
        assert_eq!(plain.namespace, None);
    }

    #[test]
    fn exec_command_shows_codex_display() {
        let c = classify(
            &fc("exec_command", r#"{"cmd":"ls -la"}"#),
            &names(),
            &[],
            &ShellSettings::default(),
            "/w",
        )
        .unwrap();
        assert_eq!(
            c.view,
            CallView::Command {
                display: "/bin/bash -lc 'ls -la'".into(),
                argv: vec!["/bin/bash".into(), "-lc".into(), "ls -la".into()],
            }
        );
        assert!(!c.exclusive);
        assert!(c.immediate.is_none());
    }

    #[test]
    fn unknown_tools_and_bad_arguments_are_answered_at_once() {
        let shell = ShellSettings::default();
        let c = classify(&fc("shell", "{}"), &names(), &[], &shell, "/w").unwrap();
        assert_eq!(
            c.immediate.unwrap().payload.to_text(),
            "unsupported call: shell"
        );
        let c = classify(&fc("exec_command", "{nope"), &names(), &[], &shell, "/w").unwrap();
        assert!(c
            .immediate
            .unwrap()
            .payload
            .to_text()
            .starts_with("failed to parse function arguments"));
    }

    #[test]
    fn quoting_round_trips_through_a_shell_reader() {
        assert_eq!(join_command(&["echo", "it's"]), "echo 'it'\"'\"'s'");
        assert_eq!(join_command(&["ls"]), "ls");
        assert_eq!(join_command(&[""]), "''");
    }

    #[test]
    fn patch_paths_are_absolute_in_order() {
        let p = "*** Begin Patch\n*** Add File: a.txt\n+x\n*** Update File: /abs/b.txt\n@@\n-a\n+b\n*** End Patch";
        let got = patch_paths(p, "/w");
        assert_eq!(got[0].path, "/w/a.txt");
        assert_eq!(
            got[0].kind,
            crate::protocol::exec_event::PatchChangeKind::Add
        );
        assert_eq!(got[1].path, "/abs/b.txt");
    }
}
