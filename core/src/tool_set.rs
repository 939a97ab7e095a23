//! Which tools a model is offered, and what each one looks like on the wire.
//!
//! Codex decides the `tools` array of a request from the model's catalog entry plus a few switches.
//! The catalog facts and the tool specs live in `vendor/codex-0.169.0/` (facts only; descriptions
//! are rcodex's own) and are embedded here, so building the list is pure.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::protocol::ToolSpec;

const MODELS_JSON: &str = include_str!("../../vendor/codex-0.169.0/models.json");
const TOOLS_JSON: &str = include_str!("../../vendor/codex-0.169.0/tools.json");
const NAMESPACES_JSON: &str = include_str!("../../vendor/codex-0.169.0/namespaces.json");

/// How the model's catalog entry names its shell tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShellType {
    /// argv-array `shell` tool.
    Default,
    /// Script-string `shell_command` tool.
    ShellCommand,
    /// `exec_command` + `write_stdin`.
    UnifiedExec,
    /// Hosted `local_shell` (not offered by rcodex).
    Local,
    /// No shell tool.
    Disabled,
}

/// Which apply_patch flavour the model takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyPatchToolType {
    /// Custom tool with a Lark grammar; the model sends raw patch text.
    Freeform,
    /// JSON function with one `input` string.
    Function,
    /// Not offered.
    None,
}

/// Unit of a truncation limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TruncationMode {
    /// The limit counts approximate tokens (4 bytes a token).
    Tokens,
    /// The limit counts bytes.
    Bytes,
}

/// How much tool output is kept in history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct TruncationPolicy {
    /// The unit `limit` counts in.
    pub mode: TruncationMode,
    /// How many units of a tool's output history keeps (head and tail, the middle cut).
    pub limit: u64,
}

/// Whether the model uses upstream's code-mode tool set (not implemented by rcodex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolMode {
    /// Ordinary tools in the request's `tools` array.
    Direct,
    /// Code mode: tools travel in an `additional_tools` input item around a script-running
    /// `exec` tool (rcodex does not implement it).
    CodeModeOnly,
}

/// The catalog facts rcodex needs about one model (see `vendor/README.md`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ModelFacts {
    /// The model's name as requests carry it (`gpt-5.5`).
    pub slug: String,
    /// Context window in tokens (`model_context_window` of `task_started`).
    pub context_window: u64,
    /// Which shell tool the catalog names (Codex 0.169.0 offers `exec_command` regardless; see
    /// [`ToolsConfig::unified_exec`]).
    pub shell_type: ShellType,
    /// Freeform, function or no apply_patch tool.
    pub apply_patch_tool_type: ApplyPatchToolType,
    /// The request's `parallel_tool_calls`.
    pub supports_parallel_tool_calls: bool,
    /// `reasoning.effort` default; `None` sends no effort.
    pub default_reasoning_effort: Option<String>,
    /// `"none"` sends no summary.
    pub default_reasoning_summary: String,
    /// `text.verbosity` default; `None` sends no `text` field.
    pub default_verbosity: Option<String>,
    /// How tool outputs are cut before they enter history.
    pub truncation_policy: TruncationPolicy,
    /// Whether the request body carries an `instructions` field.
    pub uses_instructions_field: bool,
    /// Whether `input_image` parts may carry `detail: "original"`.
    pub supports_image_detail_original: bool,
    /// Direct tools or code mode.
    pub tool_mode: ToolMode,
}

#[derive(Deserialize)]
struct Catalog {
    fallback: ModelFacts,
    models: Vec<ModelFacts>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        serde_json::from_str(MODELS_JSON).expect("vendored models.json is valid (tested)")
    })
}

fn tool_table() -> &'static Map<String, Value> {
    static TOOLS: OnceLock<Map<String, Value>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        serde_json::from_str(TOOLS_JSON).expect("vendored tools.json is valid (tested)")
    })
}

/// The model names of the vendored catalog, in its order.
pub fn catalog_slugs() -> Vec<&'static str> {
    catalog().models.iter().map(|m| m.slug.as_str()).collect()
}

/// Facts for `slug`; unknown slugs get upstream's fallback entry under their own name.
pub fn model_facts(slug: &str) -> ModelFacts {
    let catalog = catalog();
    match catalog.models.iter().find(|m| m.slug == slug) {
        Some(found) => found.clone(),
        None => ModelFacts {
            slug: slug.to_string(),
            ..catalog.fallback.clone()
        },
    }
}

/// Switches that add or remove tools on top of the model's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolsConfig {
    /// `update_plan` (Codex: `tools.update_plan.enabled`, off by default).
    pub update_plan: bool,
    /// rcodex extras, absent from Codex 0.169.0.
    pub read_file: bool,
    /// rcodex's `list_dir` tool (not in Codex 0.169.0).
    pub list_dir: bool,
    /// rcodex's `grep_files` tool (not in Codex 0.169.0).
    pub grep_files: bool,
    /// `view_image` (Codex offers it; on by default).
    pub view_image: bool,
    /// `request_user_input` (Codex offers it; on by default; exec refuses every call, as Codex
    /// does).
    pub request_user_input: bool,
    /// Codex 0.169.0 always offers `exec_command`/`write_stdin`. Turning this off picks the tool
    /// the catalog's `shell_type` names instead, as earlier Codex versions did.
    pub unified_exec: bool,
    /// `get_goal`, `create_goal`, `update_goal` (Codex: `features.goals`, on by default).
    pub goals: bool,
    /// Hosted `web_search` (Codex: top-level `web_search`, `"cached"` by default).
    pub web_search: WebSearchMode,
    /// The sub-agent tools, deferred in the `multi_agent_v1` namespace (Codex:
    /// `features.multi_agent`, on by default; `--disable multi_agent`).
    pub multi_agent: bool,
    /// `tool_search`, offered when some namespace is deferred. Codex leaves it out of a
    /// sub-agent's list (the rest unchanged): the sub-agent runner sets this false for children.
    pub tool_search: bool,
}

/// Codex's top-level `web_search` setting: whether the hosted tool is offered and whether it
/// may reach the live web (`external_web_access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebSearchMode {
    /// `"disabled"`: no `web_search` tool.
    Disabled,
    /// `"cached"`: offered with `external_web_access: false` (Codex's default unless the
    /// sandbox is `danger-full-access`).
    #[default]
    Cached,
    /// `"live"`: offered with `external_web_access: true` (Codex's default under
    /// `danger-full-access`).
    Live,
}

impl WebSearchMode {
    /// Parses the config value (`disabled`, `cached`, `live`).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "disabled" => Some(Self::Disabled),
            "cached" => Some(Self::Cached),
            "live" => Some(Self::Live),
            _ => None,
        }
    }
}

impl Default for ToolsConfig {
    fn default() -> Self {
        Self {
            update_plan: false,
            read_file: false,
            list_dir: false,
            grep_files: false,
            view_image: true,
            request_user_input: true,
            unified_exec: true,
            goals: true,
            web_search: WebSearchMode::Cached,
            multi_agent: true,
            tool_search: true,
        }
    }
}

fn spec(id: &str) -> Value {
    tool_table()
        .get(id)
        .cloned()
        .unwrap_or_else(|| panic!("vendored tools.json lacks `{id}` (tested)"))
}

/// The `tools` array for a request, in Codex's order.
pub fn tool_specs(model: &ModelFacts, cfg: &ToolsConfig) -> Vec<Value> {
    tool_ids(model, cfg)
        .into_iter()
        .map(|id| with_web_access(spec(id), cfg))
        .collect()
}

/// Sets `external_web_access` of a `web_search` spec from the mode; other specs pass unchanged.
fn with_web_access(mut spec: Value, cfg: &ToolsConfig) -> Value {
    if let Some(access) = spec.get_mut("external_web_access") {
        *access = Value::Bool(cfg.web_search == WebSearchMode::Live);
    }
    spec
}

/// The same list as [`tool_specs`], typed: what `serde_json::from_value::<ToolSpec>` makes of
/// each entry. Each vendored spec is parsed once per process, so a replay of many files clones
/// the parsed specs instead of parsing their JSON schemas again for every file.
pub fn typed_tool_specs(model: &ModelFacts, cfg: &ToolsConfig) -> Vec<ToolSpec> {
    static PARSED: OnceLock<HashMap<String, Option<ToolSpec>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        tool_table()
            .iter()
            .map(|(id, v)| (id.clone(), serde_json::from_value(v.clone()).ok()))
            .collect()
    });
    tool_ids(model, cfg)
        .into_iter()
        .filter_map(|id| match parsed.get(id) {
            Some(Some(ToolSpec::Other(v))) => {
                Some(ToolSpec::Other(with_web_access(v.clone(), cfg)))
            }
            Some(typed) => typed.clone(),
            None => panic!("vendored tools.json lacks `{id}` (tested)"),
        })
        .collect()
}

/// The ids (keys of `tools.json`) of the tools offered, in Codex's order.
fn tool_ids(model: &ModelFacts, cfg: &ToolsConfig) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = Vec::new();
    let shell = if cfg.unified_exec {
        ShellType::UnifiedExec
    } else {
        model.shell_type
    };
    match shell {
        ShellType::UnifiedExec => ids.extend(["exec_command", "write_stdin"]),
        ShellType::Default => ids.push("shell"),
        ShellType::ShellCommand => ids.push("shell_command"),
        ShellType::Local | ShellType::Disabled => {}
    }
    if cfg.update_plan {
        ids.push("update_plan");
    }
    if cfg.request_user_input {
        ids.push("request_user_input");
    }
    match model.apply_patch_tool_type {
        ApplyPatchToolType::Freeform => ids.push("apply_patch"),
        ApplyPatchToolType::Function => ids.push("apply_patch_function"),
        ApplyPatchToolType::None => {}
    }
    if cfg.view_image {
        ids.push("view_image");
    }
    for (enabled, id) in [
        (cfg.read_file, "read_file"),
        (cfg.list_dir, "list_dir"),
        (cfg.grep_files, "grep_files"),
    ] {
        if enabled {
            ids.push(id);
        }
    }
    if cfg.goals {
        ids.extend(["get_goal", "create_goal", "update_goal"]);
    }
    if cfg.tool_search && !deferred_namespaces(cfg).is_empty() {
        ids.push("tool_search");
    }
    if cfg.web_search != WebSearchMode::Disabled {
        ids.push("web_search");
    }
    ids
}

/// The tools of Codex's `multi_agent_v1` deferred namespace: not in `tools`, callable with
/// `"namespace":"multi_agent_v1"` (Codex 0.169 accepts such a call even before any `tool_search`).
pub const MULTI_AGENT_V1_TOOLS: [&str; 5] = [
    "spawn_agent",
    "send_input",
    "resume_agent",
    "wait_agent",
    "close_agent",
];

/// The sub-agent tools' namespace.
pub const MULTI_AGENT_V1: &str = "multi_agent_v1";

/// One deferred namespace of `vendor/…/namespaces.json`: tools that are not in a request's
/// `tools` but that `tool_search` loads and a namespaced call reaches.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeferredNamespace {
    /// What the namespace holds (rcodex's own words).
    pub description: String,
    /// Its function specs, in the file's order (`type, name, description, strict,
    /// defer_loading, parameters`, as Codex lists them).
    pub tools: Vec<Value>,
}

impl DeferredNamespace {
    /// Whether the namespace holds a tool called `name`.
    pub fn has_tool(&self, name: &str) -> bool {
        self.tools.iter().any(|t| t["name"] == name)
    }
}

fn namespace_table() -> &'static serde_json::Map<String, Value> {
    static NAMESPACES: OnceLock<Map<String, Value>> = OnceLock::new();
    NAMESPACES.get_or_init(|| {
        serde_json::from_str(NAMESPACES_JSON).expect("vendored namespaces.json is valid (tested)")
    })
}

/// The deferred namespace `name`, if the vendored facts have one.
pub fn deferred_namespace(name: &str) -> Option<DeferredNamespace> {
    let value = namespace_table().get(name)?;
    serde_json::from_value(value.clone()).ok()
}

/// The names of the namespaces `cfg` defers, in the order Codex lists them.
pub fn deferred_namespaces(cfg: &ToolsConfig) -> Vec<String> {
    let mut names = Vec::new();
    if cfg.multi_agent {
        names.push(MULTI_AGENT_V1.to_string());
    }
    names
}

/// The developer-message part that names the deferred namespaces, sent (as Codex sends its
/// own, captured) whenever `tool_search` is offered: a `<tools>` block, one line per namespace
/// with its description. The words are rcodex's own.
pub fn deferred_tools_section(cfg: &ToolsConfig) -> Option<String> {
    let names = deferred_namespaces(cfg);
    if !cfg.tool_search || names.is_empty() {
        return None;
    }
    let mut text = String::from("<tools>\nTool namespaces that tool_search can load:\n");
    for name in names {
        let description = deferred_namespace(&name).map(|n| n.description);
        text.push_str(&format!("- {name}: {}\n", description.unwrap_or_default()));
    }
    text.push_str("</tools>");
    Some(text)
}

/// Whether `name` is a tool of the deferred namespace `namespace` (whichever namespaces a
/// session defers; see [`deferred_namespaces`]).
pub fn is_deferred_tool(namespace: &str, name: &str) -> bool {
    deferred_namespace(namespace).is_some_and(|ns| ns.has_tool(name))
}

/// The names the model sees, in order (`type` for hosted tools without a name).
pub fn advertised_names(specs: &[Value]) -> Vec<String> {
    specs
        .iter()
        .filter_map(|s| s.get("name").or_else(|| s.get("type")))
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// How a call to a tool is carried and scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    /// `exec_command`, `shell`, `shell_command`: runs a process.
    Shell,
    /// `write_stdin`: talks to a running process.
    WriteStdin,
    /// `apply_patch`: edits files; exclusive.
    ApplyPatch,
    /// `update_plan`: replaces the plan; exclusive.
    UpdatePlan,
    /// `request_user_input`: asks the user questions (refused in exec); exclusive.
    RequestUserInput,
    /// `view_image`: attaches a local image to history.
    ViewImage,
    /// `read_file`: numbered lines of a file (rcodex extra).
    ReadFile,
    /// `list_dir`: lists a directory (rcodex extra).
    ListDir,
    /// `grep_files`: which files under a path contain a regex match (rcodex extra).
    GrepFiles,
    /// `get_goal`, `create_goal`, `update_goal`: the thread's goal, answered by the core.
    Goal,
    /// Not a tool rcodex knows; the model gets `unsupported call: <name>`.
    Unknown,
}

/// Scheduling facts for one tool name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolInfo {
    /// The tool's name as the model called it.
    pub name: String,
    /// What it is and how it runs.
    pub kind: ToolKind,
    /// Runs alone: no other call of the batch runs while it does.
    pub exclusive: bool,
    /// Called with raw text (`custom_tool_call`) rather than JSON arguments.
    pub freeform: bool,
}

/// What kind of tool `name` is.
pub fn tool_kind(name: &str) -> ToolKind {
    match name {
        "exec_command" | "shell" | "shell_command" => ToolKind::Shell,
        "write_stdin" => ToolKind::WriteStdin,
        "apply_patch" => ToolKind::ApplyPatch,
        "update_plan" => ToolKind::UpdatePlan,
        "request_user_input" => ToolKind::RequestUserInput,
        "view_image" => ToolKind::ViewImage,
        "read_file" => ToolKind::ReadFile,
        "list_dir" => ToolKind::ListDir,
        "grep_files" => ToolKind::GrepFiles,
        "get_goal" | "create_goal" | "update_goal" => ToolKind::Goal,
        _ => ToolKind::Unknown,
    }
}

/// Scheduling facts for `name` as called through `model`'s tool set.
pub fn tool_info(model: &ModelFacts, name: &str) -> ToolInfo {
    let kind = tool_kind(name);
    let exclusive = matches!(
        kind,
        ToolKind::ApplyPatch
            | ToolKind::UpdatePlan
            | ToolKind::WriteStdin
            | ToolKind::RequestUserInput
            | ToolKind::Unknown
    );
    let freeform =
        kind == ToolKind::ApplyPatch && model.apply_patch_tool_type == ApplyPatchToolType::Freeform;
    ToolInfo {
        name: name.to_string(),
        kind,
        exclusive,
        freeform,
    }
}

#[cfg(test)]
#[path = "tool_set_tests.rs"]
mod tests;
