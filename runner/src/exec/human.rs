//! Human-readable output of `exec` without `--json`: progress on stderr, the final message alone
//! on stdout (so `rcodex exec ... > answer.txt` captures just the answer).

use std::io::Write;

use rcodex_core::protocol::exec_event::{ItemStatus, ThreadItemDetails as D};
use rcodex_core::protocol::ThreadEvent;

/// Prints one event for a person.
pub fn print_event(event: &ThreadEvent) {
    let mut err = std::io::stderr().lock();
    let _ = match event {
        ThreadEvent::ItemStarted { item } => match &item.details {
            D::CommandExecution { command, .. } => writeln!(err, "exec\n{command}"),
            D::FileChange { changes, .. } => {
                let paths: Vec<_> = changes.iter().map(|c| c.path.as_str()).collect();
                writeln!(err, "apply_patch\n{}", paths.join("\n"))
            }
            D::TodoList { items } => {
                let _ = writeln!(err, "plan");
                items.iter().try_for_each(|i| {
                    writeln!(
                        err,
                        "  [{}] {}",
                        if i.completed { "x" } else { " " },
                        i.text
                    )
                })
            }
            _ => Ok(()),
        },
        ThreadEvent::ItemCompleted { item } => match &item.details {
            D::CommandExecution {
                exit_code,
                status,
                aggregated_output,
                ..
            } => {
                let verdict = match (status, exit_code) {
                    (ItemStatus::Completed, _) => "succeeded".to_string(),
                    (_, Some(code)) => format!("exited {code}"),
                    _ => "failed".to_string(),
                };
                writeln!(err, " {verdict}:\n{}", aggregated_output.trim_end())
            }
            D::Reasoning { text } => writeln!(err, "thinking\n{text}"),
            D::AgentMessage { text } => writeln!(err, "agent\n{text}"),
            D::FileChange { status, .. } => writeln!(err, " patch {status:?}"),
            _ => Ok(()),
        },
        ThreadEvent::Error { message } => writeln!(err, "ERROR: {message}"),
        ThreadEvent::TurnCompleted { usage, .. } => {
            writeln!(
                err,
                "tokens used\n{}",
                usage.input_tokens + usage.output_tokens
            )
        }
        _ => Ok(()),
    };
}
