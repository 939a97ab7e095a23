//! Routes a tool call to its implementation and shapes the answer as the core expects it
//! (payload for the model, success, details for events). Unknown tools never get here: the core
//! answers them itself with "unsupported call: NAME".

use std::path::PathBuf;
use std::sync::Arc;

use rcodex_core::protocol::{ContentItem, FunctionCallOutputPayload};
use rcodex_core::session::{PatchFileChange, ToolCall, ToolDetails, ToolInput, ToolOutput};

use super::apply_patch::{parse_json_args, run_apply_patch};
use super::unified_exec::{random_chunk_id, ExecResult, UnifiedExecManager};
use super::write_scope::WriteScope;
use super::{grep_files, list_dir, read_file, request_user_input, update_plan, view_image};
use crate::driver::{failed_tool_output, ToolRunner};

/// Everything the tools of one session share.
pub struct ToolDispatch {
    pub cwd: PathBuf,
    pub scope: WriteScope,
    pub exec: UnifiedExecManager,
    /// gpt-5.5-style `detail: "original"` images from view_image.
    pub image_detail_original: bool,
}

impl ToolDispatch {
    /// Runs one call to its output.
    pub async fn run(&self, call: ToolCall) -> ToolOutput {
        let input = call.input.as_str();
        match call.name.as_str() {
            "exec_command" => {
                command_output(self.exec.exec_command_json(input, random_chunk_id()).await)
            }
            "write_stdin" => {
                let r = self.exec.write_stdin_json(input, random_chunk_id()).await;
                ToolOutput::text(r.text, !r.is_error)
            }
            "apply_patch" => {
                let patch = match &call.input {
                    ToolInput::Freeform(text) => text.clone(),
                    ToolInput::Arguments(args) => match parse_json_args(args) {
                        Ok(p) => p,
                        Err(msg) => return ToolOutput::text(msg, false),
                    },
                };
                let cwd = self.cwd.clone();
                let scope = self.scope.clone();
                let run = match run_blocking("apply_patch", move || {
                    run_apply_patch(&patch, &cwd, &scope)
                })
                .await
                {
                    Ok(run) => run,
                    Err(failed) => return failed,
                };
                let changes = run
                    .changes
                    .iter()
                    .map(|c| PatchFileChange {
                        path: c.path.display().to_string(),
                        kind: c.change_kind().into(),
                        unified_diff: c.unified_diff.clone(),
                    })
                    .collect();
                ToolOutput {
                    payload: FunctionCallOutputPayload::Text(run.output),
                    success: run.success,
                    details: ToolDetails::Patch { changes },
                }
            }
            "view_image" => match view_image::run(input, &self.cwd, self.image_detail_original) {
                Ok(items) => match serde_json::from_value::<Vec<ContentItem>>(items) {
                    Ok(items) => ToolOutput {
                        payload: FunctionCallOutputPayload::Content(items),
                        success: true,
                        details: ToolDetails::None,
                    },
                    Err(e) => ToolOutput::text(format!("view_image: {e}"), false),
                },
                Err(run) => ToolOutput::text(run.output, run.success),
            },
            name => {
                let cwd = self.cwd.clone();
                let args = input.to_string();
                let run = match name {
                    "update_plan" => update_plan::run(&args, &cwd),
                    "request_user_input" => request_user_input::run(&args, &cwd),
                    "read_file" => read_file::run(&args, &cwd),
                    "list_dir" => list_dir::run(&args, &cwd),
                    "grep_files" => {
                        match run_blocking("grep_files", move || grep_files::run(&args, &cwd)).await
                        {
                            Ok(run) => run,
                            Err(failed) => return failed,
                        }
                    }
                    other => super::tool_run::ToolRun::fail(format!("unsupported call: {other}")),
                };
                ToolOutput::text(run.output, run.success)
            }
        }
    }

    /// The closure the driver calls for each tool call.
    pub fn into_runner(self: Arc<Self>) -> ToolRunner {
        Arc::new(move |call| {
            let me = self.clone();
            Box::pin(async move { me.run(call).await })
        })
    }
}

/// Runs a tool's blocking work on the blocking pool. A panic there becomes the call's failed
/// output (naming `tool`) instead of unwinding into the tool's task.
async fn run_blocking<T: Send + 'static>(
    tool: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ToolOutput> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| failed_tool_output(tool, err))
}

fn command_output(r: ExecResult) -> ToolOutput {
    let details = if r.is_error {
        ToolDetails::None
    } else {
        ToolDetails::Command {
            aggregated_output: r.aggregated_output,
            exit_code: r.exit_code,
            duration_ms: r.wall_time.as_millis() as u64,
            process_id: r.session_id.map(|s| s.to_string()),
        }
    };
    ToolOutput {
        payload: FunctionCallOutputPayload::Text(r.text),
        success: !r.is_error && r.exit_code.is_none_or(|c| c == 0),
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blocking_work_that_panics_becomes_a_failed_output() {
        assert_eq!(run_blocking("grep_files", || 5).await, Ok(5));
        let failed = run_blocking("apply_patch", || -> u8 { panic!("hunk out of range") })
            .await
            .unwrap_err();
        assert_eq!(
            failed,
            ToolOutput::text(
                "apply_patch failed: the tool panicked: hunk out of range",
                false
            )
        );
    }
}
