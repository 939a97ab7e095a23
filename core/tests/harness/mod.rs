//! The one test harness of the core's turn-loop scenarios (`turn_loop.rs`) and loop properties
//! (`properties.rs`): a session configured like `codex exec`, readers that turn an effect log into
//! things worth asserting, and the loop's invariants as checks both suites share.
//!
//! Each test binary uses part of it, hence the `dead_code` allowance.

#![allow(dead_code)]

mod effect_log;
mod invariants;
mod session;

pub use effect_log::*;
pub use invariants::*;
pub use session::*;
