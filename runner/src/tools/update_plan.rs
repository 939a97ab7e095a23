//! `update_plan`: the model records its step list; Codex only validates it and says so.
//!
//! The plan itself matters to clients (the `todo_list` item), not to the model, which always gets
//! `Plan updated` for well-formed arguments. Malformed ones (bad JSON, an unknown status) get
//! Codex's parse message, as the pinned 0.169.0 CLI replied.

use std::path::Path;

use serde::Deserialize;

use super::tool_run::{parse_args, ToolRun};

/// Text the model receives after a valid update.
pub const PLAN_UPDATED: &str = "Plan updated";

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    InProgress,
    Completed,
}

/// One plan step.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PlanItem {
    pub step: String,
    pub status: StepStatus,
}

/// The tool's arguments.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UpdatePlanArgs {
    #[serde(default)]
    pub explanation: Option<String>,
    pub plan: Vec<PlanItem>,
}

/// Parses the arguments, for callers that also emit the plan as an event.
pub fn parse(arguments_json: &str) -> Result<UpdatePlanArgs, ToolRun> {
    parse_args(arguments_json)
}

/// Runs the tool. `cwd` is unused: the plan touches nothing on disk.
pub fn run(arguments_json: &str, _cwd: &Path) -> ToolRun {
    match parse(arguments_json) {
        Ok(_) => ToolRun::ok(PLAN_UPDATED),
        Err(reply) => reply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(args: &str) -> ToolRun {
        run(args, Path::new("/"))
    }

    #[test]
    fn valid_plan_is_acknowledged() {
        let r = go(
            r#"{"explanation":"why","plan":[{"step":"a","status":"in_progress"},{"step":"b","status":"pending"}]}"#,
        );
        assert_eq!(r, ToolRun::ok("Plan updated"));
        assert_eq!(go(r#"{"plan":[]}"#), ToolRun::ok("Plan updated"));
        let parsed = parse(r#"{"plan":[{"step":"x","status":"completed"}]}"#).unwrap();
        assert_eq!(parsed.plan[0].status, StepStatus::Completed);
        assert_eq!(parsed.explanation, None);
    }

    #[test]
    fn bad_json_gets_codex_parse_message() {
        assert_eq!(
            go("{bad"),
            ToolRun::fail(
                "failed to parse function arguments: key must be a string at line 1 column 2"
            )
        );
    }

    #[test]
    fn unknown_status_is_rejected_like_codex() {
        // The exact reply the pinned 0.169.0 CLI gave for this input.
        assert_eq!(
            go(r#"{"plan": [{"step": "a", "status": "weird"}]}"#).output,
            "failed to parse function arguments: unknown variant `weird`, expected one of `pending`, `in_progress`, `completed` at line 1 column 41"
        );
    }

    #[test]
    fn missing_plan_or_step_is_rejected() {
        let r = go(r#"{"explanation":"x"}"#);
        assert!(!r.success);
        assert!(r.output.contains("missing field `plan`"), "{}", r.output);
        let r = go(r#"{"plan":[{"status":"pending"}]}"#);
        assert!(r.output.contains("missing field `step`"), "{}", r.output);
    }
}
