//! `request_user_input`: asking the user multiple-choice questions, which `codex exec` refuses.
//!
//! Upstream only allows the tool in Plan collaboration mode; `exec` runs in Default mode, and the
//! mode check comes before the arguments are even parsed. So every call, well-formed or not, gets
//! the same reply (observed from the pinned 0.169.0 CLI for both a valid and a malformed call).

use std::path::Path;

use super::tool_run::ToolRun;

/// The reply `codex exec` gives to any `request_user_input` call.
pub const UNAVAILABLE_IN_DEFAULT_MODE: &str = "request_user_input is unavailable in Default mode";

/// Runs the tool as `exec` does: refuses it.
pub fn run(_arguments_json: &str, _cwd: &Path) -> ToolRun {
    ToolRun::fail(UNAVAILABLE_IN_DEFAULT_MODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_questions_are_refused_in_exec() {
        let args = r#"{"questions":[{"id":"a","header":"h","question":"q?","options":[{"label":"x","description":"y"}]}]}"#;
        let r = run(args, Path::new("/"));
        assert_eq!(
            r.output,
            "request_user_input is unavailable in Default mode"
        );
        assert!(!r.success);
    }

    #[test]
    fn mode_check_precedes_argument_parsing() {
        for bad in ["{bad json", "{}", "[]", ""] {
            assert_eq!(
                run(bad, Path::new("/")),
                ToolRun::fail(UNAVAILABLE_IN_DEFAULT_MODE),
                "{bad:?}"
            );
        }
    }
}
