//! A custom tool in your own agent loop: one `echo` tool, registered instead of the built-in
//! tools, driven against the built-in scripted model so it runs with no key and no network.
//!
//! ```text
//! cargo run -p rcodex-runner --example echo_tool                     # scripted model on loopback
//! RCODEX_BASE_URL=http://127.0.0.1:8000/v1 OPENAI_API_KEY=... \
//!   cargo run -p rcodex-runner --example echo_tool -- "Echo hello"   # any Responses server
//! ```
//!
//! It prints every `exec --json` event, then the agent's final message. `tests/library.rs`
//! runs [`run_example`] against the scripted server.

use rcodex_runner::agent::{
    Agent, AgentError, ThreadEvent, Tool, ToolFuture, ToolResult, TurnResult,
};
use rcodex_runner::mock::{MockServer, Script};
use serde_json::{json, Value};

/// The tool: answers its `text` argument unchanged.
pub struct Echo;

impl Tool for Echo {
    fn name(&self) -> &str {
        "echo"
    }

    fn description(&self) -> &str {
        "Return the given text unchanged."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {"text": {"type": "string", "description": "What to echo."}},
            "required": ["text"],
            "additionalProperties": false
        })
    }

    fn run(&self, args: Value) -> ToolFuture<'_> {
        Box::pin(async move {
            match args.get("text").and_then(Value::as_str) {
                Some(text) => ToolResult::ok(text),
                None => ToolResult::error("`text` (a string) is required"),
            }
        })
    }
}

/// The scripted model's part: call `echo`, then answer with what it returned.
pub fn scripted_model() -> Script {
    serde_json::from_value(json!({"reply": [
        {"function_call": {"name": "echo", "arguments": {"text": "hello from a custom tool"}}},
        {"message": "The echo tool said: hello from a custom tool"}
    ]}))
    .expect("the example's script")
}

/// Runs one turn with the echo tool against `base_url`, showing each event to `on_event`.
pub async fn run_example(
    base_url: &str,
    api_key: &str,
    prompt: &str,
    on_event: impl FnMut(&ThreadEvent) + Send + 'static,
) -> Result<TurnResult, AgentError> {
    let mut agent = Agent::builder()
        .base_url(base_url)
        .api_key(api_key)
        .builtin_tools(false)
        .tool(Echo)
        .on_event(on_event)
        .build()?;
    let result = agent.run(prompt).await;
    agent.shutdown().await;
    Ok(result)
}

#[allow(dead_code)] // not called when tests/library.rs includes this file
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Use the echo tool to say hello.".into());
    // Without RCODEX_BASE_URL, the built-in scripted model on loopback.
    let (base_url, server) = match std::env::var("RCODEX_BASE_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let server = MockServer::start(scripted_model())
                .await
                .expect("scripted model on loopback");
            (server.base_url(), Some(server))
        }
    };
    let key = std::env::var("OPENAI_API_KEY").unwrap_or_else(|_| "scripted".into());
    let print = |event: &ThreadEvent| println!("{}", serde_json::to_string(event).unwrap());
    let result = run_example(&base_url, &key, &prompt, print).await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    match result {
        Ok(turn) => {
            println!("{}", turn.final_message.unwrap_or_default());
            std::process::exit(
                if turn.status == rcodex_runner::agent::TurnStatus::Completed {
                    0
                } else {
                    1
                },
            );
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
