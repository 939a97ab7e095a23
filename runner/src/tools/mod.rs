//! Tool implementations that touch the outside world (processes, files).

pub mod unified_exec;
