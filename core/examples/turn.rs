//! Drives one scripted two-request turn with a tool call through the core machine in virtual
//! time and prints every effect as a JSON line. No I/O beyond stdout: the model and the tool
//! are scripted.
//!
//!     cargo run -p rcodex-core --example turn

use rcodex_core::context::{EnvironmentContext, InitialContext};
use rcodex_core::ids::SeededIds;
use rcodex_core::protocol::ToolSpec;
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::{Effect, Session, SessionConfig, ToolDetails, ToolOutput, UserTurn};
use rcodex_core::sim::{ReplyBuilder, Sim};
use serde_json::json;

fn main() {
    let env = EnvironmentContext::new(
        "/work/demo",
        SandboxMode::WorkspaceWrite,
        "2026-11-28",
        "Etc/UTC",
    );
    let start = 1_795_846_712_000;
    let mut cfg = SessionConfig::new(InitialContext::defaults(env));
    cfg.start_ms = start;
    cfg.tools = vec![ToolSpec::Function {
        name: "exec_command".into(),
        description: "Run a shell command.".into(),
        strict: false,
        parameters: json!({"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}),
    }];
    let session = Session::new(cfg, Box::new(SeededIds::new(42)));
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("call_1", "exec_command", r#"{"cmd":"ls"}"#)
            .completed(100, 10),
        ReplyBuilder::new(2)
            .message("There are two files: a.txt and b.txt.")
            .completed(120, 12),
    ];
    let tool = Box::new(|_: &rcodex_core::session::ToolCall| {
        let out = "a.txt\nb.txt\n";
        let text = format!("Chunk ID: 000000\nWall time: 0.0030 seconds\nProcess exited with code 0\nOriginal token count: 3\nOutput:\n{out}");
        let details = ToolDetails::Command {
            aggregated_output: out.into(),
            exit_code: Some(0),
            duration_ms: 3,
            process_id: None,
        };
        (
            ToolOutput {
                payload: rcodex_core::protocol::FunctionCallOutputPayload::Text(text),
                success: true,
                details,
            },
            3,
        )
    });
    let mut sim = Sim::new(session, start, replies, tool);
    let outcome = sim.run_turn(UserTurn::text("What files are here?"));
    for effect in &sim.log {
        let line = match effect {
            // Bodies are long; show their size and the number of input items.
            Effect::SendRequest {
                request_id, body, ..
            } => {
                let v: serde_json::Value = serde_json::from_str(body).expect("json body");
                json!({"effect": "send_request", "request_id": request_id, "bytes": body.len(), "input_items": v["input"].as_array().map_or(0, Vec::len)})
            }
            other => serde_json::to_value(other).expect("effects serialize"),
        };
        println!("{line}");
    }
    eprintln!(
        "turn finished at virtual t+{} ms: {:?}",
        sim.now - start,
        outcome.status
    );
}
