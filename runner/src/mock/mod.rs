//! Scripted model server: plays scripted replies as real Responses SSE (or chat-completions SSE
//! on `…/chat/completions`) over loopback.
//!
//! Used by every test, by `rcodex batch` scenarios, and as `rcodex mock` so that the real Codex
//! CLI can be pointed at it for alignment captures.

mod chat_body;
mod script;
mod server;
mod sse_body;

pub use script::{
    load_script, FunctionCallSpec, HttpError, Reply, ReplyItem, Script, ScriptError, UsageSpec,
};
pub use server::{run_cli_command, MockServer, RecordedRequest};
