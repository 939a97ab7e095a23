//! rcodex-runner: performs the effects of the core's turn machine over real I/O.

pub mod client;
pub mod config;
pub mod driver;
pub mod mock;
pub mod rollout;
pub mod tools;
