//! rcodex-runner: performs the effects of the core's turn machine over real I/O.

pub mod agents_md;
pub mod align;
pub mod batch;
pub mod cli;
pub mod client;
pub mod config;
pub mod doctor;
pub mod driver;
pub mod exec;
pub mod jsonl;
pub mod live_ids;
pub mod mock;
pub mod replay;
pub mod rollout;
pub mod schema;
pub mod session_setup;
pub mod session_start;
pub mod snapshot;
pub mod tools;
pub mod upstream_text;
