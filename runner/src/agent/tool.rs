//! Custom tools for library users: the [`Tool`] trait, and how a session offers and runs them
//! beside (or instead of) rcodex's built-in tools.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rcodex_core::protocol::rollout::DynamicToolSpec;
use rcodex_core::protocol::FunctionCallOutputPayload;
use rcodex_core::session::{ToolCall, ToolDetails, ToolOutput};
use serde_json::Value;

use crate::driver::ToolRunner;

/// The future a [`Tool`] returns from [`Tool::run`].
pub type ToolFuture<'a> = Pin<Box<dyn Future<Output = ToolResult> + Send + 'a>>;

/// A function tool the model can call, written by the library user.
///
/// It is advertised to the model as a `function` tool (`name`, `description`, `parameters`)
/// after the built-in tools, recorded in the rollout's `session_meta` as one of the thread's
/// `dynamic_tools` (Codex's field, so `rcodex replay` offers it again), and
/// each call is run with its arguments parsed as a JSON object. Arguments that are not a JSON
/// object never reach the tool: the model is told, as Codex tells it.
///
/// ```
/// use rcodex_runner::agent::{Tool, ToolFuture, ToolResult};
/// use serde_json::{json, Value};
///
/// struct Echo;
///
/// impl Tool for Echo {
///     fn name(&self) -> &str {
///         "echo"
///     }
///     fn description(&self) -> &str {
///         "Returns its `text` argument unchanged."
///     }
///     fn parameters(&self) -> Value {
///         json!({
///             "type": "object",
///             "properties": {"text": {"type": "string"}},
///             "required": ["text"],
///             "additionalProperties": false
///         })
///     }
///     fn run(&self, args: Value) -> ToolFuture<'_> {
///         Box::pin(async move {
///             match args.get("text").and_then(Value::as_str) {
///                 Some(text) => ToolResult::ok(text),
///                 None => ToolResult::error("missing `text`"),
///             }
///         })
///     }
/// }
/// ```
pub trait Tool: Send + Sync + 'static {
    /// The name the model calls the tool by; a built-in tool of the same name is replaced.
    fn name(&self) -> &str;
    /// What the model is told the tool does.
    fn description(&self) -> &str;
    /// The JSON Schema of the arguments object.
    fn parameters(&self) -> Value;
    /// Whether the tool must run alone. `false` (the default): calls of one model response run
    /// at the same time, as Codex runs its parallel-safe tools; `true`: no other call runs while
    /// this one does (for tools that change shared state).
    fn exclusive(&self) -> bool {
        false
    }
    /// Runs one call. The text of the result is what the model reads next.
    fn run(&self, args: Value) -> ToolFuture<'_>;
}

/// What a tool call answers the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolResult {
    /// The text the model reads.
    pub output: String,
    /// `false` marks a failed call (shown as failed in events and results).
    pub success: bool,
}

impl ToolResult {
    /// A successful call answering `output`.
    pub fn ok(output: impl Into<String>) -> ToolResult {
        ToolResult {
            output: output.into(),
            success: true,
        }
    }

    /// A failed call: `message` tells the model what went wrong.
    pub fn error(message: impl Into<String>) -> ToolResult {
        ToolResult {
            output: message.into(),
            success: false,
        }
    }
}

/// The custom tools of one agent, by name.
#[derive(Clone, Default)]
pub(crate) struct CustomTools {
    by_name: HashMap<String, Arc<dyn Tool>>,
    order: Vec<String>,
}

impl CustomTools {
    /// Adds `tool`; a second tool of the same name replaces the first.
    pub fn add(&mut self, tool: Arc<dyn Tool>) {
        let name = tool.name().to_string();
        if self.by_name.insert(name.clone(), tool).is_none() {
            self.order.push(name);
        }
    }

    /// The specs the session advertises (after its own tools) and records, in the order the
    /// tools were added.
    pub fn specs(&self) -> Vec<DynamicToolSpec> {
        self.order
            .iter()
            .map(|name| {
                let tool = &self.by_name[name];
                DynamicToolSpec {
                    name: name.clone(),
                    description: tool.description().to_string(),
                    input_schema: tool.parameters(),
                    defer_loading: false,
                    persist_on_resume: true,
                }
            })
            .collect()
    }

    /// Names of the tools that run alone.
    pub fn exclusive_names(&self) -> Vec<String> {
        self.order
            .iter()
            .filter(|n| self.by_name[*n].exclusive())
            .cloned()
            .collect()
    }

    /// Whether `name` is one of these tools.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// A runner that sends calls of these tools to them and every other call to `builtin`.
    pub fn runner(&self, builtin: ToolRunner) -> ToolRunner {
        let tools = self.by_name.clone();
        Arc::new(move |call: ToolCall| match tools.get(&call.name).cloned() {
            Some(tool) => Box::pin(async move { run_custom(tool, call).await }),
            None => builtin(call),
        })
    }
}

async fn run_custom(tool: Arc<dyn Tool>, call: ToolCall) -> ToolOutput {
    // The core answers non-object arguments itself, so this parse only fails for a freeform
    // call of a function tool's name, which the core also refuses; keep a clear answer anyway.
    let args: Value = match serde_json::from_str(call.input.as_str()) {
        Ok(v) => v,
        Err(e) => {
            return ToolOutput::text(format!("failed to parse function arguments: {e}"), false)
        }
    };
    let result = tool.run(args).await;
    ToolOutput {
        payload: FunctionCallOutputPayload::Text(result.output),
        success: result.success,
        details: ToolDetails::default(),
    }
}
