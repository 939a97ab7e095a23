//! The typed shape of `config.toml` (and of each `[profiles.NAME]`, whose keys overlay the top
//! level): every key rcodex reads, with the type Codex gives it. The whole file is read into this
//! once, so a bad value anywhere is refused, as Codex refuses it, even in a provider or profile
//! that is not selected. Keys rcodex does not model are ignored, as Codex ignores unknown keys.

use std::collections::BTreeMap;

use rcodex_core::sandbox::SandboxMode;
use serde::Deserialize;

use super::WireApi;

/// `config.toml`, or one profile of it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(expecting = "a table of settings")]
pub(crate) struct ConfigToml {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    /// Codex's legacy profile selector: typed so a bad value is named, then refused whole
    /// (see `profile`).
    #[allow(dead_code)]
    pub profile: Option<String>,
    pub sandbox_mode: Option<SandboxMode>,
    /// Kept as written: Codex accepts any effort name here and the model judges it.
    pub model_reasoning_effort: Option<String>,
    pub model_verbosity: Option<Verbosity>,
    /// AGENTS.md: bytes of project files sent at most (Codex's key, default 32 KiB).
    pub project_doc_max_bytes: Option<usize>,
    /// AGENTS.md: other file names tried in a folder without one (Codex's key).
    pub project_doc_fallback_filenames: Option<Vec<String>>,
    /// rcodex's own key: a folder of upstream text imported by `rcodex align --import-text`.
    pub upstream_text: Option<std::path::PathBuf>,
    /// Compact when the last response's total tokens reach this (Codex's key; default 90 %
    /// of the model's context window).
    pub model_auto_compact_token_limit: Option<u64>,
    /// rcodex's own key: compact once after a context-window failure and retry (Codex 0.169
    /// fails the turn instead; default false).
    pub compact_on_context_failure: Option<bool>,
    /// The built-in `openai` provider's base URL (Codex's key; the Codex SDK's `baseUrl`).
    pub openai_base_url: Option<String>,
    /// Codex's hosted web search: `disabled`, `cached` or `live` (unset: live under
    /// `danger-full-access`, cached otherwise).
    pub web_search: Option<WebSearchToml>,
    /// Codex's approval policy; every accepted value runs as `never` (see `approval`).
    pub approval_policy: Option<super::approval::ApprovalPolicyToml>,
    /// `[sandbox_workspace_write]`: what `workspace-write` allows besides the cwd.
    #[serde(default)]
    pub sandbox_workspace_write: SandboxWorkspaceWriteToml,
    #[serde(default)]
    pub tools: ToolsToml,
    /// `[features]`: Codex's feature switches; rcodex reads `shell_snapshot`.
    #[serde(default)]
    pub features: FeaturesToml,
    #[serde(default)]
    pub model_providers: BTreeMap<String, ModelProviderToml>,
    /// Legacy `[profiles.NAME]` tables: typed (Codex 0.169 still refuses a bad value in one),
    /// never applied (see `profile`).
    #[allow(dead_code)]
    #[serde(default)]
    pub profiles: BTreeMap<String, ConfigToml>,
}

/// `[sandbox_workspace_write]`, typed as Codex types it (the roots are read from the merged table
/// by `extra_writable_roots`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(expecting = "a table such as { network_access = true }")]
pub(crate) struct SandboxWorkspaceWriteToml {
    #[allow(dead_code)]
    pub writable_roots: Option<Vec<std::path::PathBuf>>,
    /// Commands may use the network under `workspace-write`.
    pub network_access: Option<bool>,
}

/// `model_verbosity`, as Codex spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verbosity {
    Low,
    Medium,
    High,
}

impl Verbosity {
    pub fn as_str(self) -> &'static str {
        match self {
            Verbosity::Low => "low",
            Verbosity::Medium => "medium",
            Verbosity::High => "high",
        }
    }
}

/// `[tools]`: the optional tools rcodex can switch on; other tool keys are Codex's own.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(expecting = "a table of tools")]
pub(crate) struct ToolsToml {
    #[serde(default)]
    pub update_plan: ToolToggle,
    #[serde(default)]
    pub read_file: ToolToggle,
    #[serde(default)]
    pub list_dir: ToolToggle,
    #[serde(default)]
    pub grep_files: ToolToggle,
}

/// `[features]`, as Codex names them; the ones rcodex does not have are ignored.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(expecting = "a table of feature switches")]
pub(crate) struct FeaturesToml {
    /// Run login-shell commands in a login environment captured once (default on).
    pub shell_snapshot: Option<bool>,
    /// Offer `get_goal`, `create_goal`, `update_goal` (default on).
    pub goals: Option<bool>,
    /// Defer the sub-agent tools in `multi_agent_v1` and offer `tool_search` (default on).
    pub multi_agent: Option<bool>,
}

/// `web_search`, as Codex spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WebSearchToml {
    Disabled,
    Cached,
    Live,
}

impl WebSearchToml {
    pub fn mode(self) -> rcodex_core::tool_set::WebSearchMode {
        use rcodex_core::tool_set::WebSearchMode;
        match self {
            WebSearchToml::Disabled => WebSearchMode::Disabled,
            WebSearchToml::Cached => WebSearchMode::Cached,
            WebSearchToml::Live => WebSearchMode::Live,
        }
    }
}

/// `tools.NAME = { enabled = true }`.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(expecting = "a table such as { enabled = true }")]
pub(crate) struct ToolToggle {
    #[serde(default)]
    pub enabled: bool,
}

/// `[model_providers.NAME]`; unset keys fall back to the built-in provider of that name, if any.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(expecting = "a provider table")]
pub(crate) struct ModelProviderToml {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub env_key: Option<String>,
    pub wire_api: Option<WireApi>,
    #[serde(default)]
    pub query_params: BTreeMap<String, String>,
    #[serde(default)]
    pub http_headers: BTreeMap<String, String>,
    /// Header name → environment variable holding its value.
    #[serde(default)]
    pub env_http_headers: BTreeMap<String, String>,
    pub request_max_retries: Option<u64>,
    pub stream_max_retries: Option<u64>,
    pub stream_idle_timeout_ms: Option<u64>,
}
