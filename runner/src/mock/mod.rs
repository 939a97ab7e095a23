//! Scripted model server: plays scripted replies as real Responses SSE (or chat-completions SSE
//! on `…/chat/completions`) over loopback.
//!
//! A child agent's requests (header `x-openai-subagent`) are answered from that agent's own
//! `[[agent]]` reply list, kept by the child's `thread-id`; `{{agent_id:CALL_ID}}` in a reply
//! names the child a `spawn_agent` call started.
//!
//! Used by every test, by `rcodex batch` scenarios, and as `rcodex mock` so that the real Codex
//! CLI can be pointed at it for alignment captures.

mod agent_ids;
mod chat_body;
mod routing;
mod script;
mod server;
mod sse_body;

pub use routing::{last_user_text, AnsweredAs};
pub use script::{
    load_script, AgentScript, FunctionCallSpec, HttpError, Reply, ReplyItem, Script, ScriptError,
    UsageSpec,
};
pub use server::{run_cli_command, MockServer, RecordedRequest};
