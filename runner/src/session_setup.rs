//! Builds what one session needs from the resolved config: the core's `SessionConfig`, the model
//! client and the tool dispatch. `session_start` is its one caller, for every job, so all jobs
//! send the same requests.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rcodex_core::context::{EnvironmentContext, InitialContext};
use rcodex_core::protocol::ToolSpec;
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::compact::default_auto_limit;
use rcodex_core::session::{ModelSettings, RetryPolicy, SessionConfig};
use rcodex_core::tool_set::{
    deferred_namespaces, deferred_tools_section, model_facts, tool_specs, ToolsConfig,
    WebSearchMode,
};
use serde_json::Value;

use crate::client::{user_agent, Endpoint, ModelClient};
use crate::config::Config;
use crate::tools::dispatch::ToolDispatch;
use crate::tools::landlock::{workspace_write_roots, Ruleset};
use crate::tools::shell_snapshot;
use crate::tools::unified_exec::{ExecConfig, UnifiedExecManager};
use crate::tools::write_scope::WriteScope;
use crate::upstream_text::{apply_to_session, UpstreamText};

/// The pieces of one session.
pub struct SessionParts {
    pub session: SessionConfig,
    pub client: ModelClient,
    pub tools: Arc<ToolDispatch>,
}

/// Inputs beyond the config file.
pub struct SessionInputs<'a> {
    pub cwd: &'a Path,
    pub api_key: Option<String>,
    pub output_schema: Option<Value>,
    pub start_ms: u64,
    pub current_date: String,
    pub timezone: String,
    /// `None`: read (or create) `$CODEX_HOME/installation_id`, as Codex does.
    pub installation_id: Option<String>,
}

/// `$CODEX_HOME/installation_id`, created on first use like Codex does (a random UUID).
pub fn installation_id(codex_home: &Path) -> String {
    let path = codex_home.join("installation_id");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let id = text.trim();
        if uuid::Uuid::parse_str(id).is_ok() {
            return id.to_string();
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let _ = std::fs::create_dir_all(codex_home);
    let _ = std::fs::write(&path, &id);
    id
}

/// The headers every request to the provider carries besides the per-request ones:
/// authorization (when there is a key), the originator and a user-agent that starts with it (as
/// Codex's does), the provider's own.
pub fn endpoint_headers(config: &Config, api_key: Option<&str>) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if let Some(key) = api_key {
        headers.push(("authorization".to_string(), format!("Bearer {key}")));
    }
    headers.push(("originator".into(), config.originator.clone()));
    let agent = user_agent();
    let agent = match agent.strip_prefix(crate::config::DEFAULT_ORIGINATOR) {
        Some(rest) => format!("{}{rest}", config.originator),
        None => agent,
    };
    headers.push(("user-agent".into(), agent));
    headers.extend(config.provider.resolved_headers());
    headers
}

/// Codex 0.169 under `danger-full-access` offers live search whatever `web_search` says (unless
/// it is `disabled`); otherwise `web_search` decides, `cached` when unset.
fn web_search_mode(set: Option<WebSearchMode>, sandbox: SandboxMode) -> WebSearchMode {
    match set.unwrap_or(WebSearchMode::Cached) {
        WebSearchMode::Disabled => WebSearchMode::Disabled,
        _ if sandbox == SandboxMode::DangerFullAccess => WebSearchMode::Live,
        mode => mode,
    }
}

/// Resolves config + inputs into session parts.
pub fn build_session_parts(config: &Config, inputs: SessionInputs) -> Result<SessionParts, String> {
    let facts = model_facts(&config.model);
    let sandbox = config.sandbox_mode.unwrap_or(SandboxMode::ReadOnly);
    let tools_cfg = ToolsConfig {
        update_plan: config.tools.update_plan,
        read_file: config.tools.read_file,
        list_dir: config.tools.list_dir,
        grep_files: config.tools.grep_files,
        goals: config.goals,
        web_search: web_search_mode(config.web_search, sandbox),
        multi_agent: config.multi_agent,
        ..ToolsConfig::default()
    };
    let tools: Vec<ToolSpec> = tool_specs(&facts, &tools_cfg)
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(|e| format!("tool spec: {e}")))
        .collect::<Result<_, _>>()?;
    let cwd = inputs.cwd.display().to_string();
    let mut environment =
        EnvironmentContext::new(&cwd, sandbox, &inputs.current_date, &inputs.timezone);
    environment.network_access = config.network_access;
    let configured = crate::config::extra_writable_roots(&config.raw);
    environment.config_writable_roots =
        configured.iter().map(|r| r.display().to_string()).collect();
    let mut extra_roots = config.add_dirs.clone();
    extra_roots.extend(
        configured
            .into_iter()
            .filter(|r| !config.add_dirs.contains(r)),
    );
    environment
        .workspace_roots
        .extend(extra_roots.iter().map(|r| r.display().to_string()));
    let mut context = InitialContext::defaults(environment);
    context.user_instructions =
        crate::agents_md::discover(&config.codex_home, inputs.cwd, &config.project_docs);
    let mut session = SessionConfig::new(context);
    session.start_ms = inputs.start_ms;
    session.model = ModelSettings::with_defaults(&config.model, &facts);
    if let Some(effort) = &config.model_reasoning_effort {
        session.model.reasoning_effort = Some(effort.clone());
    }
    if let Some(verbosity) = &config.model_verbosity {
        session.model.verbosity = Some(verbosity.clone());
    }
    session.tools = tools;
    session.deferred_namespaces = deferred_namespaces(&tools_cfg);
    session.identity.provider_id = config.model_provider_id.clone();
    session.identity.originator = config.originator.clone();
    session.identity.installation_id = match inputs.installation_id {
        Some(id) => id,
        None => installation_id(&config.codex_home),
    };
    session.retry = RetryPolicy {
        request_max_retries: config.provider.request_max_retries as u32,
        stream_max_retries: config.provider.stream_max_retries as u32,
        ..RetryPolicy::default()
    };
    session.output_schema = inputs.output_schema;
    session.compact.auto_token_limit = config
        .auto_compact_token_limit
        .or_else(|| default_auto_limit(session.model.context_window));
    session.compact.on_context_failure = config.compact_on_context_failure;
    let mut roots = vec![inputs.cwd.to_path_buf()];
    roots.extend(extra_roots);
    if let Some(dir) = &config.upstream_text {
        let text = UpstreamText::load_cached(dir)?;
        let writable = workspace_write_roots(&roots);
        apply_to_session(&text, &mut session, sandbox, &writable, &config.codex_home);
        text.install_system_skills(&config.codex_home)?;
    }
    // Codex's last developer part names the deferred tool namespaces (captured).
    if let Some(section) = deferred_tools_section(&tools_cfg) {
        session.context.developer_sections.push(section);
    }

    let headers = endpoint_headers(config, inputs.api_key.as_deref());
    let client = ModelClient::new(Endpoint {
        url: config.provider.api_url(),
        headers,
        idle_timeout: Duration::from_millis(config.provider.stream_idle_timeout_ms),
    })
    .map_err(|e| format!("http client: {e}"))?
    .with_wire_api(config.provider.wire_api);

    let mut exec_config = ExecConfig::new(inputs.cwd);
    exec_config.sandbox = Ruleset::for_sandbox(sandbox, &roots, config.network_access)
        .map_err(|e| format!("landlock: {e}"))?
        .map(Arc::new);
    if config.shell_snapshot {
        exec_config.shell_snapshot = Some(shell_snapshot::slot_for(&exec_config));
    }
    let dispatch = ToolDispatch {
        cwd: inputs.cwd.to_path_buf(),
        scope: WriteScope::new(sandbox, roots),
        exec: UnifiedExecManager::new(exec_config),
        image_detail_original: facts.supports_image_detail_original,
    };
    Ok(SessionParts {
        session,
        client,
        tools: Arc::new(dispatch),
    })
}
