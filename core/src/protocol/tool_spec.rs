//! Tool specs as advertised in a request's `tools`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One advertised tool. Anything but a function or a freeform (custom) tool is kept as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolSpec {
    Function {
        name: String,
        description: String,
        strict: bool,
        parameters: Value,
    },
    /// A freeform tool whose input is raw text constrained by a grammar (apply_patch).
    Custom {
        name: String,
        description: String,
        format: Value,
    },
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
