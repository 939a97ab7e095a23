//! Tool specs as advertised in a request's `tools`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One advertised tool. Anything but a function or a freeform (custom) tool is kept as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolSpec {
    /// `function`: a tool the model calls with a JSON arguments object.
    Function {
        /// The name the model calls it by (`exec_command`).
        name: String,
        /// What the model is told the tool does.
        description: String,
        /// Whether the server must make arguments match `parameters` exactly.
        strict: bool,
        /// JSON Schema of the arguments object.
        parameters: Value,
    },
    /// A freeform tool whose input is raw text constrained by a grammar (apply_patch).
    Custom {
        /// The name the model calls it by (`apply_patch`).
        name: String,
        /// What the model is told the tool does.
        description: String,
        /// The input's format (`{"type":"grammar","syntax":"lark","definition":…}`); kept as raw
        /// JSON.
        format: Value,
    },
    /// Any other tool (`web_search`, `tool_search`, namespaces); kept verbatim.
    #[serde(untagged)]
    Other(Value),
}

impl ToolSpec {
    /// The name the model calls this tool by (`type` for hosted tools such as web_search).
    pub fn name(&self) -> &str {
        match self {
            ToolSpec::Function { name, .. } | ToolSpec::Custom { name, .. } => name,
            ToolSpec::Other(v) => v
                .get("name")
                .or_else(|| v.get("type"))
                .and_then(Value::as_str)
                .unwrap_or(""),
        }
    }
}
