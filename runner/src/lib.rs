//! rcodex-runner: performs the effects of the core's turn machine over real I/O.

pub mod config;
pub mod mock;
pub mod tools;
