//! Tool implementations that touch the outside world (processes, files).

pub mod apply_patch;
pub mod write_scope;
