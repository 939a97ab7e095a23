//! rcodex-core: the pure, synchronous kernel of the Codex agent loop.
//!
//! Everything here is deterministic: no I/O, no clock, no random ids. Time and ids come in as
//! inputs (see [`session::Session::handle`]), effects go out through [`session::Session::poll`].
//! That is what lets the runner, replay and snapshot jobs share one machine.

pub mod apply_patch;
pub mod context;
pub mod ids;
pub mod protocol;
pub mod replay;
pub mod sandbox;
pub mod session;
pub mod sim;
pub mod sse;
pub mod time;
pub mod tool_set;
pub mod truncation;
