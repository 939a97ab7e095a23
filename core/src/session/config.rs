//! Everything a session needs to know up front; passed in by the runner, replay or a test.

use serde_json::Value;

use crate::context::InitialContext;
use crate::protocol::rollout::DynamicToolSpec;
use crate::protocol::{ResponseItem, TokenUsage, ToolSpec};

use super::retry::RetryPolicy;

/// The model as the request and the rollout name it.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSettings {
    /// The model's name as sent in `model` (`gpt-5.5`).
    pub slug: String,
    /// Its context window in tokens (the catalog's), for `token_count` and auto-compaction.
    pub context_window: Option<u64>,
    /// `reasoning.effort` (`low`, `medium`, `high`...); `None` sends no reasoning object.
    pub reasoning_effort: Option<String>,
    /// `reasoning.summary` (`auto`, `concise`, `detailed`); `None` leaves it out.
    pub reasoning_summary: Option<String>,
    /// `text.verbosity` (`low`, `medium`, `high`); `None` leaves it out.
    pub verbosity: Option<String>,
    /// `parallel_tool_calls` of the request.
    pub parallel_tool_calls: bool,
    /// Send the base prompt as the top-level `instructions` field instead of a developer message.
    pub instructions_field: bool,
}

impl ModelSettings {
    /// Model `slug` with its catalog defaults (`facts`: context window, reasoning effort,
    /// verbosity, where the base instructions go).
    pub fn with_defaults(slug: &str, facts: &crate::tool_set::ModelFacts) -> Self {
        ModelSettings {
            slug: slug.to_string(),
            context_window: Some(facts.context_window),
            reasoning_effort: facts.default_reasoning_effort.clone(),
            reasoning_summary: None,
            verbosity: facts.default_verbosity.clone(),
            parallel_tool_calls: true,
            instructions_field: facts.uses_instructions_field,
        }
    }

    /// Codex 0.169's settings for gpt-5.5 (the default model).
    pub fn gpt_5_5() -> Self {
        ModelSettings {
            slug: "gpt-5.5".into(),
            context_window: Some(258_400),
            reasoning_effort: Some("medium".into()),
            reasoning_summary: None,
            verbosity: Some("low".into()),
            parallel_tool_calls: true,
            instructions_field: false,
        }
    }
}

/// How the shell tools show a command (`/bin/bash -lc 'ls -la'`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellSettings {
    /// The user's shell (`/bin/bash`).
    pub path: String,
    /// Whether commands run in a login shell (`-lc`) unless the call says otherwise.
    pub login: bool,
}

impl Default for ShellSettings {
    fn default() -> Self {
        ShellSettings {
            path: "/bin/bash".into(),
            login: true,
        }
    }
}

/// Identity facts written to `session_meta` and headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The `originator` header and `session_meta.originator` (`rcodex_exec`).
    pub originator: String,
    /// `session_meta.cli_version` and the version in the user-agent.
    pub cli_version: String,
    /// `client_metadata.x-codex-installation-id` (`$CODEX_HOME/installation_id`).
    pub installation_id: String,
    /// `session_meta.model_provider`: the configured provider's id.
    pub provider_id: String,
    /// `thread_source` of the turn metadata and `session_meta` (`exec --thread-source`;
    /// Codex's default `user`).
    pub thread_source: String,
}

/// A thread resumed from a rollout: its history and usage so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResumedThread {
    /// The thread's id (its rollout's session id).
    pub thread_id: String,
    /// The model-visible history to continue from (after the last compaction, if any).
    pub history: Vec<ResponseItem>,
    /// Tokens of every request so far (what `turn.completed` goes on adding to).
    pub thread_usage: TokenUsage,
    /// Usage of the thread's last response (the auto-compaction check reads its total).
    pub last_usage: TokenUsage,
    /// Compactions so far (the `window_number` of the last `compacted` line).
    pub window_number: u64,
}

/// Where a forked thread came from: the parent thread and the point its history was cut
/// (`rcodex replay --fork-at TURN.REQUEST`). Written into the new thread's `session_meta`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkedFrom {
    /// The parent thread's id (`session_meta.forked_from_id`).
    pub thread_id: String,
    /// 1-based turn of the parent thread.
    pub turn: usize,
    /// 1-based request within that turn: the first one the fork sends itself.
    pub request: usize,
}

/// The whole configuration of a [`super::Session`].
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// The thread id to use for a new thread; `None` draws one from the id source.
    pub thread_id: Option<String>,
    /// When the session was created (ms since the epoch): the timestamp of drawn ids.
    pub start_ms: u64,
    /// The model and its request settings.
    pub model: ModelSettings,
    /// The tools every request advertises, in order (Codex's, as the runner chose them).
    pub tools: Vec<ToolSpec>,
    /// Tools beyond Codex's own (a library user's): advertised after `tools` as function tools
    /// and recorded in `session_meta` as Codex records a thread's dynamic tools.
    pub dynamic_tools: Vec<DynamicToolSpec>,
    /// The deferred tool namespaces (`multi_agent_v1`): not in `tools`, loaded by `tool_search`
    /// and reached by a call naming the namespace (`tool_set::deferred_namespaces`).
    pub deferred_namespaces: Vec<String>,
    /// What searches load, by call id, instead of searching `deferred_namespaces` (replay: the
    /// recording's `tool_search_output`s). Empty for a live session.
    pub search_answers: std::collections::HashMap<String, Vec<Value>>,
    /// The text of the message a goal whose token budget is spent adds, as a recording has it
    /// (replay: Codex's words); `None` renders rcodex's own (`goals::budget_message`).
    pub goal_budget_message: Option<String>,
    /// Names of dynamic tools that must run alone, never beside another call of the same
    /// batch. Codex's own exclusive tools need no entry.
    pub exclusive_tools: Vec<String>,
    /// The base instructions and the first turn's context messages.
    pub context: InitialContext,
    /// How shell commands are shown in events.
    pub shell: ShellSettings,
    /// Who the client says it is.
    pub identity: Identity,
    /// Retry budget and backoff for failed requests.
    pub retry: RetryPolicy,
    /// `--output-schema`: sent as `text.format` json_schema, strict.
    pub output_schema: Option<Value>,
    /// Set when this session continues a recorded thread.
    pub resume: Option<ResumedThread>,
    /// Set when this thread is a fork of a recorded one.
    pub forked_from: Option<ForkedFrom>,
    /// History a new thread starts from in place of its initial context items (a sub-agent
    /// spawned with `fork_context`): recorded as its first response items, ids kept.
    pub start_history: Vec<ResponseItem>,
    /// The text of the user message Codex leaves in history when a turn is interrupted (its
    /// words are Codex's: read from a recording or a local Codex, never built in). `None`: no
    /// such message.
    pub interrupt_marker: Option<String>,
    /// When and with which words the thread's history is compacted.
    pub compact: super::compact::CompactSettings,
    /// Set on a spawned sub-agent's thread: its parent and root (headers, metadata, rollout).
    pub subagent: Option<super::collab::SubagentLink>,
}

impl SessionConfig {
    /// The thread's session id: the root thread's id for a sub-agent, else `thread_id`.
    pub fn session_id<'a>(&'a self, thread_id: &'a str) -> &'a str {
        self.subagent
            .as_ref()
            .map_or(thread_id, |s| s.session_id.as_str())
    }

    /// The root turn of turn `turn_id`: the root thread's turn for a sub-agent, else itself.
    pub fn root_turn_id<'a>(&'a self, turn_id: &'a str) -> &'a str {
        self.subagent
            .as_ref()
            .map_or(turn_id, |s| s.root_turn_id.as_str())
    }

    /// A config with rcodex's defaults around the given context: gpt-5.5, no tools.
    pub fn new(context: InitialContext) -> Self {
        SessionConfig {
            thread_id: None,
            start_ms: 0,
            model: ModelSettings::gpt_5_5(),
            tools: Vec::new(),
            dynamic_tools: Vec::new(),
            deferred_namespaces: vec![crate::tool_set::MULTI_AGENT_V1.to_string()],
            search_answers: Default::default(),
            goal_budget_message: None,
            exclusive_tools: Vec::new(),
            context,
            shell: ShellSettings::default(),
            identity: Identity {
                originator: "rcodex_exec".into(),
                cli_version: env!("CARGO_PKG_VERSION").into(),
                installation_id: "00000000-0000-0000-0000-000000000000".into(),
                provider_id: "openai".into(),
                thread_source: "user".into(),
            },
            retry: RetryPolicy::default(),
            output_schema: None,
            resume: None,
            forked_from: None,
            start_history: Vec::new(),
            interrupt_marker: None,
            compact: Default::default(),
            subagent: None,
        }
    }
}
