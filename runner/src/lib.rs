//! rcodex-runner: performs the effects of the core's turn machine over real I/O, and runs
//! Codex's agent loop as a library.
//!
//! The library API is [`agent`]: build an [`agent::Agent`] from a `$CODEX_HOME` or from code,
//! add your own [`agent::Tool`]s beside or instead of the built-in ones, watch the `exec --json`
//! events, and run turns. [`mock`] is the scripted Responses server the tests use, for testing
//! your program with no key and no network:
//!
//! ```
//! use rcodex_runner::agent::{Agent, TurnStatus};
//! use rcodex_runner::mock::{MockServer, Script};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let script: Script = serde_json::from_str(r#"{"reply": [{"message": "hi"}]}"#).unwrap();
//! let server = MockServer::start(script).await.unwrap();
//! let mut agent = Agent::builder()
//!     .base_url(server.base_url())
//!     .api_key("not-a-real-key")
//!     .builtin_tools(false)
//!     .build()
//!     .unwrap();
//! let turn = agent.run("Say hi.").await;
//! assert_eq!(turn.status, TurnStatus::Completed);
//! assert_eq!(turn.final_message.as_deref(), Some("hi"));
//! assert_eq!(server.requests().len(), 1);
//! agent.shutdown().await;
//! # });
//! ```
//!
//! The other modules are the `rcodex` binary's jobs (exec, batch, replay, align, doctor). They
//! are public so the workspace's integration tests can reach them, hidden from the documentation,
//! and carry no stability promise.

#![warn(missing_docs)]
// Doc comments of the command-line structs are `--help` text, where `<FILE>` is plain text.
#![allow(rustdoc::invalid_html_tags)]

pub mod agent;
#[doc(hidden)]
pub mod agents;
#[doc(hidden)]
pub mod agents_md;
#[doc(hidden)]
pub mod align;
#[doc(hidden)]
pub mod batch;
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod client;
#[doc(hidden)]
pub mod config;
#[doc(hidden)]
pub mod doctor;
#[doc(hidden)]
pub mod driver;
#[doc(hidden)]
pub mod exec;
#[doc(hidden)]
pub mod jsonl;
#[doc(hidden)]
pub mod live_ids;
pub mod mock;
#[doc(hidden)]
pub mod replay;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod rollout;
#[doc(hidden)]
pub mod schema;
#[doc(hidden)]
pub mod session_setup;
#[doc(hidden)]
pub mod session_start;
#[doc(hidden)]
pub mod snapshot;
#[doc(hidden)]
pub mod temp;
#[doc(hidden)]
pub mod tools;
#[doc(hidden)]
pub mod upstream_text;
