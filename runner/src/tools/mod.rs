//! Tool implementations that touch the outside world (processes, files).

pub mod apply_patch;
pub mod dispatch;
pub mod grep_files;
pub mod landlock;
pub mod list_dir;
pub mod read_file;
pub mod request_user_input;
pub mod shell_snapshot;
pub mod tool_run;
pub mod unified_exec;
pub mod update_plan;
pub mod view_image;
pub mod write_scope;
