//! The answer a tool call gets when its task died instead of returning: a failed output that
//! names the tool and the panic, so the model sees what happened and the turn goes on.

use rcodex_core::session::ToolOutput;
use tokio::task::JoinError;

/// The failed output for tool `name` whose task ended with `err` (a panic or an abort).
pub fn failed_tool_output(name: &str, err: JoinError) -> ToolOutput {
    let text = match task_panic_message(err) {
        Some(panic) => format!("{name} failed: the tool panicked: {panic}"),
        None => format!("{name} failed: the tool's task was aborted"),
    };
    ToolOutput::text(text, false)
}

/// The panic payload of a task as text; `None` when the task was aborted rather than panicked.
pub fn task_panic_message(err: JoinError) -> Option<String> {
    let payload = err.try_into_panic().ok()?;
    Some(match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(text) => (*text).to_string(),
            Err(_) => "a panic without a message".to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use rcodex_core::protocol::FunctionCallOutputPayload;

    use super::*;

    fn text(out: &ToolOutput) -> &str {
        match &out.payload {
            FunctionCallOutputPayload::Text(t) => t,
            other => panic!("not text: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_panic_names_the_tool_and_the_message() {
        let err = tokio::spawn(async { panic!("boom {}", 7) })
            .await
            .unwrap_err();
        let out = failed_tool_output("grep_files", err);
        assert!(!out.success);
        assert_eq!(text(&out), "grep_files failed: the tool panicked: boom 7");

        let err = tokio::spawn(async { std::panic::panic_any(42u8) })
            .await
            .unwrap_err();
        assert_eq!(
            text(&failed_tool_output("x", err)),
            "x failed: the tool panicked: a panic without a message"
        );
    }

    #[tokio::test]
    async fn an_abort_says_so() {
        let task = tokio::spawn(std::future::pending::<()>());
        task.abort();
        let out = failed_tool_output("shell", task.await.unwrap_err());
        assert_eq!(text(&out), "shell failed: the tool's task was aborted");
    }
}
