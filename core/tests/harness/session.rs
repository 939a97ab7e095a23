//! A session configured like `codex exec` (exec_command, write_stdin, update_plan and a freeform
//! apply_patch), fake tools, and the virtual-time simulator around them.

use rcodex_core::context::{EnvironmentContext, InitialContext};
use rcodex_core::ids::SeededIds;
use rcodex_core::protocol::{FunctionCallOutputPayload, ToolSpec};
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::{Session, SessionConfig, ToolCall, ToolDetails, ToolOutput};
use rcodex_core::sim::{FakeTool, ScriptedReply, Sim};
use serde_json::json;

/// The capture's clock: 2026-11-28T06:18:32Z.
pub const START: u64 = 1_795_846_712_000;

fn function_tool(name: &str) -> ToolSpec {
    ToolSpec::Function {
        name: name.into(),
        description: format!("test tool {name}"),
        strict: false,
        parameters: json!({"type": "object", "properties": {}}),
    }
}

pub fn config() -> SessionConfig {
    let env = EnvironmentContext::new("/w", SandboxMode::DangerFullAccess, "2026-11-28", "Etc/UTC");
    let mut cfg = SessionConfig::new(InitialContext::defaults(env));
    cfg.start_ms = START;
    cfg.tools = vec![
        function_tool("exec_command"),
        function_tool("write_stdin"),
        function_tool("update_plan"),
        ToolSpec::Custom {
            name: "apply_patch".into(),
            description: "test patch tool".into(),
            format: json!({"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}),
        },
    ];
    cfg
}

pub fn session_with(cfg: SessionConfig, seed: u64) -> Session {
    Session::new(cfg, Box::new(SeededIds::new(seed)))
}

pub fn session() -> Session {
    session_with(config(), 7)
}

/// A command result the way the runner reports one (exit 0).
pub fn command_output(text: &str, aggregated: &str) -> ToolOutput {
    ToolOutput {
        payload: FunctionCallOutputPayload::Text(text.into()),
        success: true,
        details: ToolDetails::Command {
            aggregated_output: aggregated.into(),
            exit_code: Some(0),
            duration_ms: 0,
            process_id: None,
        },
    }
}

/// A fake tool answering `"<call_id> ok"` after `ms(call)` virtual milliseconds.
pub fn tool_taking(ms: impl Fn(&ToolCall) -> u64 + 'static) -> FakeTool {
    Box::new(move |call: &ToolCall| {
        (
            ToolOutput::text(format!("{} ok", call.call_id), true),
            ms(call),
        )
    })
}

/// The default session (seed 7) driven by `replies` and `tool`.
pub fn sim(replies: Vec<ScriptedReply>, tool: FakeTool) -> Sim {
    Sim::new(session(), START, replies, tool)
}
