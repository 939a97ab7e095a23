//! [`AgentBuilder`]: everything an [`Agent`] is made from, set from code, from a
//! `$CODEX_HOME`, or both.

use std::path::PathBuf;
use std::sync::Arc;

use rcodex_core::protocol::ThreadEvent;
use rcodex_core::sandbox::SandboxMode;

use super::tool::{CustomTools, Tool};
use super::{Agent, AgentError, EventObserver};
use crate::config::{load_config, ConfigOverrides};
use crate::driver::now_ms;
use crate::exec::local_timezone;
use crate::live_ids::LiveIds;
use crate::session_start::{start_session_with, OutputSchema, RolloutTarget, SessionStart};

/// The provider id the builder configures for [`AgentBuilder::base_url`].
const CODE_PROVIDER: &str = "rcodex-library";
/// The variable [`AgentBuilder::api_key`] is looked up under.
const CODE_KEY_VAR: &str = "RCODEX_LIBRARY_API_KEY";

/// Builds an [`Agent`]. Start from [`Agent::builder`].
///
/// With no [`codex_home`](Self::codex_home) nothing is read from or written to disk besides the
/// workspace: the configuration is what the builder is told, and no rollout is kept. With one,
/// `config.toml`, profiles and `AGENTS.md` are read from it as `rcodex exec` reads them, and the
/// thread is recorded under its `sessions/` unless [`ephemeral`](Self::ephemeral).
#[must_use]
pub struct AgentBuilder {
    codex_home: Option<PathBuf>,
    overrides: ConfigOverrides,
    api_key: Option<String>,
    cwd: Option<PathBuf>,
    builtin_tools: bool,
    tools: CustomTools,
    on_event: Option<EventObserver>,
    ephemeral: bool,
}

impl Default for AgentBuilder {
    fn default() -> Self {
        AgentBuilder {
            codex_home: None,
            overrides: ConfigOverrides::default(),
            api_key: None,
            cwd: None,
            builtin_tools: true,
            tools: CustomTools::default(),
            on_event: None,
            ephemeral: false,
        }
    }
}

impl AgentBuilder {
    /// Reads `config.toml`, `.env`-style keys from the environment and `AGENTS.md` from this
    /// folder, and records the thread under its `sessions/`.
    pub fn codex_home(mut self, dir: impl Into<PathBuf>) -> Self {
        self.codex_home = Some(dir.into());
        self
    }

    /// A Responses API endpoint to talk to (`http://127.0.0.1:8000/v1`), overriding the
    /// configured provider.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        let p = format!("model_providers.{CODE_PROVIDER}");
        let url = url.into();
        self.overrides.config_overrides.extend([
            format!("model_provider=\"{CODE_PROVIDER}\""),
            format!("{p}.name=\"rcodex library\""),
            format!("{p}.base_url={}", toml_string(&url)),
            format!("{p}.wire_api=\"responses\""),
            format!("{p}.env_key=\"{CODE_KEY_VAR}\""),
        ]);
        self
    }

    /// The API key for [`base_url`](Self::base_url). It is never written anywhere.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The model (`gpt-5.5` when neither this nor the config names one).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.overrides.model = Some(model.into());
        self
    }

    /// A profile of `config.toml` (needs [`codex_home`](Self::codex_home)).
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.overrides.profile = Some(name.into());
        self
    }

    /// The sandbox of the built-in tools (read-only when not set).
    pub fn sandbox(mut self, mode: SandboxMode) -> Self {
        self.overrides.sandbox_mode = Some(mode);
        self
    }

    /// One config override, as `rcodex exec -c key.path=value` takes it (the value is TOML).
    pub fn config(mut self, key_equals_value: impl Into<String>) -> Self {
        self.overrides
            .config_overrides
            .push(key_equals_value.into());
        self
    }

    /// The workspace the tools run in (the process's current directory when not set).
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Adds a custom tool. A built-in tool of the same name is replaced by it.
    pub fn tool(mut self, tool: impl Tool) -> Self {
        self.tools.add(Arc::new(tool));
        self
    }

    /// Adds a custom tool that is already shared.
    pub fn shared_tool(mut self, tool: Arc<dyn Tool>) -> Self {
        self.tools.add(tool);
        self
    }

    /// `false`: offer only the custom tools, none of rcodex's built-in ones (shell, apply_patch...).
    pub fn builtin_tools(mut self, offer: bool) -> Self {
        self.builtin_tools = offer;
        self
    }

    /// Called with every `exec --json` event as it happens (the same events, same shapes).
    pub fn on_event(mut self, observer: impl FnMut(&ThreadEvent) + Send + 'static) -> Self {
        self.on_event = Some(Box::new(observer));
        self
    }

    /// Keeps no rollout even with a [`codex_home`](Self::codex_home).
    pub fn ephemeral(mut self, ephemeral: bool) -> Self {
        self.ephemeral = ephemeral;
        self
    }

    /// Resolves the configuration and starts the thread. Nothing is sent to the model until
    /// [`Agent::run`].
    pub fn build(self) -> Result<Agent, AgentError> {
        let AgentBuilder {
            codex_home,
            mut overrides,
            api_key,
            cwd,
            builtin_tools,
            tools,
            on_event,
            ephemeral,
        } = self;
        let cwd = match cwd {
            Some(dir) => dir,
            None => std::env::current_dir()
                .map_err(|e| AgentError(format!("current directory: {e}")))?,
        };
        let cwd = std::fs::canonicalize(&cwd)
            .map_err(|e| AgentError(format!("cwd {}: {e}", cwd.display())))?;
        overrides.cwd = Some(cwd.clone());
        // Without a home, an empty private one: nothing of the user's is read, nothing is kept.
        let (home, scratch_home) = match codex_home {
            Some(h) => (h, None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("rcodex-agent-home-")
                    .tempdir_in(crate::temp::temp_root())
                    .map_err(|e| AgentError(format!("temporary CODEX_HOME: {e}")))?;
                (dir.path().to_path_buf(), Some(dir))
            }
        };
        let env = move |k: &str| {
            if k == CODE_KEY_VAR {
                api_key.clone()
            } else {
                std::env::var(k).ok()
            }
        };
        let config =
            load_config(Some(home), &overrides, &env).map_err(|e| AgentError(e.to_string()))?;
        let rollout = if ephemeral || scratch_home.is_some() {
            RolloutTarget::Discard
        } else {
            RolloutTarget::NewInCodexHome
        };
        let exclusive = tools.exclusive_names();
        let specs = tools.specs();
        let started = start_session_with(
            SessionStart {
                config: &config,
                env: &env,
                cwd: &cwd,
                output_schema: OutputSchema::None,
                start_ms: now_ms(),
                current_date: chrono::Local::now().format("%Y-%m-%d").to_string(),
                timezone: local_timezone(),
                installation_id: None,
                ids: Box::new(LiveIds),
                resume: None,
                rollout,
            },
            &mut |cfg| {
                if builtin_tools {
                    cfg.tools.retain(|t| !tools.contains(t.name()));
                } else {
                    cfg.tools.clear();
                }
                cfg.dynamic_tools = specs.clone();
                cfg.exclusive_tools = exclusive.clone();
            },
        )
        .map_err(AgentError)?;
        let runner = tools.runner(started.runner);
        Ok(Agent {
            session: started.session,
            client: started.client,
            dispatch: started.tools,
            runner,
            rollout: started.rollout,
            agents: started.agents,
            on_event: on_event.unwrap_or_else(|| Box::new(|_| {})),
            _scratch_home: scratch_home,
        })
    }
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
