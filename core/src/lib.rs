//! rcodex-core: the pure, synchronous kernel of the Codex agent loop.
//!
//! Everything here is deterministic: no I/O, no clock, no random ids. Time and ids come in as
//! inputs (see [`session::Session::handle`]), effects go out through [`session::Session::poll`].
//! That is what lets the runner, replay and snapshot jobs share one machine.
//!
//! # Example: one turn, driven by hand
//!
//! A runner feeds the [`session::Session`] one [`session::Input`] at a time, then drains every
//! [`session::Effect`] it queued: it performs `SendRequest` over HTTP and feeds the parsed SSE
//! events back as `Input::Model`, writes each `Record` to the rollout file, prints each `Emit`
//! event, and stops at `TurnDone`. Here the model's answer is a scripted text reply built with
//! [`sim::ReplyBuilder`] instead of a real stream.
//!
//! ```
//! use rcodex_core::context::{EnvironmentContext, InitialContext};
//! use rcodex_core::ids::SeededIds;
//! use rcodex_core::sandbox::SandboxMode;
//! use rcodex_core::session::{
//!     Effect, Input, Session, SessionConfig, TurnOutcome, TurnStatus, UserTurn,
//! };
//! use rcodex_core::sim::{ReplyBuilder, ScriptedReply};
//!
//! let env = EnvironmentContext::new("/work", SandboxMode::ReadOnly, "2026-12-04", "Etc/UTC");
//! let config = SessionConfig::new(InitialContext::defaults(env));
//! // Seeded ids: the same inputs give the same effects, byte for byte.
//! let mut session = Session::new(config, Box::new(SeededIds::new(1)));
//!
//! // Drains the queued effects as a runner would; returns the request to send, if any, and
//! // the outcome once the turn is over.
//! fn drain(session: &mut Session) -> (Option<(u64, String)>, Option<TurnOutcome>) {
//!     let (mut request, mut done) = (None, None);
//!     while let Some(effect) = session.poll() {
//!         match effect {
//!             Effect::SendRequest { request_id, body, .. } => request = Some((request_id, body)),
//!             Effect::TurnDone(outcome) => done = Some(outcome),
//!             // Record (a rollout line), Emit (an `exec --json` event), …: written or printed.
//!             _ => {}
//!         }
//!     }
//!     (request, done)
//! }
//!
//! // Time is an input: unix milliseconds, never read from a clock here.
//! let mut now = 1_796_000_000_000;
//! session.handle(now, Input::Submit(UserTurn::text("Say hello.")))?;
//! let (request, done) = drain(&mut session);
//! let (request_id, body) = request.expect("the turn's first request");
//! assert!(body.contains("Say hello."), "the prompt is in the request body");
//! assert!(done.is_none());
//!
//! // The model answers with one assistant message, then `response.completed`.
//! let ScriptedReply::Events(events) = ReplyBuilder::new(1).message("Hello!").completed(120, 5)
//! else {
//!     unreachable!("completed() ends the reply")
//! };
//! let mut outcome = None;
//! for event in events {
//!     now += 1;
//!     session.handle(now, Input::Model(request_id, event))?;
//!     let (request, done) = drain(&mut session);
//!     assert!(request.is_none(), "a reply with no tool call needs no follow-up request");
//!     outcome = outcome.or(done);
//! }
//!
//! let outcome = outcome.expect("Effect::TurnDone after response.completed");
//! assert_eq!(outcome.status, TurnStatus::Completed);
//! assert_eq!(outcome.last_agent_message.as_deref(), Some("Hello!"));
//! assert_eq!(outcome.requests, 1);
//! assert_eq!(outcome.thread_usage.output_tokens, 5);
//! assert!(session.is_idle());
//! # Ok::<(), rcodex_core::session::SessionError>(())
//! ```

#![warn(missing_docs)]

pub mod apply_patch;
pub mod context;
pub mod ids;
pub mod permission_profile;
pub mod protocol;
pub mod replay;
pub mod sandbox;
pub mod session;
pub mod sim;
pub mod sse;
pub mod time;
pub mod tool_set;
pub mod truncation;
