//! The recorded answers of a session's tool calls, looked up by what was asked: a fork answers a
//! call from the recording when the tool and its arguments are the ones the recorded session
//! asked for, so a session can go on against another model without its workspace.

use serde_json::Value;

use super::drive::{is_aborted, recorded_output};
use super::recording::{Recording, TurnLine};
use crate::session::tool_call::call_of;
use crate::session::{ToolCall, ToolInput, ToolOutput};

/// Every call the recording answered, in the order it was made.
#[derive(Clone, Debug, Default)]
pub struct RecordedAnswers {
    answers: Vec<Answer>,
}

#[derive(Clone, Debug)]
struct Answer {
    name: String,
    input: ToolInput,
    output: ToolOutput,
    used: bool,
}

impl RecordedAnswers {
    pub(super) fn from_recording(rec: &Recording) -> RecordedAnswers {
        let mut answers = Vec::new();
        for turn in &rec.turns {
            for line in &turn.lines {
                let TurnLine::Item(recorded) = line else {
                    continue;
                };
                let Some((call, _)) = call_of(recorded.item) else {
                    continue;
                };
                let Some(out) = rec.outputs.get(call.call_id.as_str()) else {
                    continue;
                };
                if is_aborted(out.item, &turn.end) {
                    continue;
                }
                answers.push(Answer {
                    output: recorded_output(rec, &call.call_id, out.item),
                    name: call.name,
                    input: call.input,
                    used: false,
                });
            }
        }
        RecordedAnswers { answers }
    }

    /// How many recorded calls have an answer.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether no recorded call has an answer.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// The recorded answer to a call of the same tool with the same arguments (JSON arguments
    /// compare as JSON: key order and spacing aside). Each recorded answer is given once, in
    /// recorded order; when all matching ones are given, the last is given again.
    pub fn answer(&mut self, call: &ToolCall) -> Option<ToolOutput> {
        let matching = |a: &Answer| a.name == call.name && same_input(&a.input, &call.input);
        let index = self
            .answers
            .iter()
            .position(|a| !a.used && matching(a))
            .or_else(|| self.answers.iter().rposition(matching))?;
        let answer = &mut self.answers[index];
        answer.used = true;
        Some(answer.output.clone())
    }
}

fn same_input(a: &ToolInput, b: &ToolInput) -> bool {
    match (a, b) {
        (ToolInput::Arguments(a), ToolInput::Arguments(b)) => {
            a == b
                || matches!(
                    (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)),
                    (Ok(x), Ok(y)) if x == y
                )
        }
        (ToolInput::Freeform(a), ToolInput::Freeform(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(name: &str, args: &str, text: &str) -> Answer {
        Answer {
            name: name.into(),
            input: ToolInput::Arguments(args.into()),
            output: ToolOutput::text(text, true),
            used: false,
        }
    }

    fn call(name: &str, args: &str) -> ToolCall {
        ToolCall {
            call_id: "call_new".into(),
            name: name.into(),
            namespace: None,
            input: ToolInput::Arguments(args.into()),
        }
    }

    fn text(out: Option<ToolOutput>) -> Option<String> {
        out.map(|o| o.payload.to_text())
    }

    #[test]
    fn matches_name_and_arguments_as_json() {
        let mut answers = RecordedAnswers {
            answers: vec![answer(
                "shell_command",
                r#"{"command":"ls","timeout_ms":100}"#,
                "a",
            )],
        };
        let same = call("shell_command", r#"{ "timeout_ms": 100, "command": "ls" }"#);
        assert_eq!(text(answers.answer(&same)).as_deref(), Some("a"));
        assert_eq!(
            text(answers.answer(&call("shell_command", r#"{"command":"ls -a"}"#))),
            None
        );
        assert_eq!(
            text(answers.answer(&call(
                "exec_command",
                r#"{"command":"ls","timeout_ms":100}"#
            ))),
            None
        );
    }

    #[test]
    fn gives_answers_in_recorded_order_then_repeats_the_last() {
        let mut answers = RecordedAnswers {
            answers: vec![
                answer("shell_command", r#"{"command":"date"}"#, "first"),
                answer("shell_command", r#"{"command":"pwd"}"#, "other"),
                answer("shell_command", r#"{"command":"date"}"#, "second"),
            ],
        };
        let date = call("shell_command", r#"{"command":"date"}"#);
        let got: Vec<_> = (0..3).map(|_| text(answers.answer(&date))).collect();
        assert_eq!(
            got,
            [
                Some("first".into()),
                Some("second".into()),
                Some("second".into())
            ]
        );
    }

    #[test]
    fn freeform_input_matches_exactly() {
        let mut answers = RecordedAnswers {
            answers: vec![Answer {
                name: "apply_patch".into(),
                input: ToolInput::Freeform("*** Begin Patch\n".into()),
                output: ToolOutput::text("done", true),
                used: false,
            }],
        };
        let mut patch = call("apply_patch", "");
        patch.input = ToolInput::Freeform("*** Begin Patch \n".into());
        assert!(answers.answer(&patch).is_none());
        patch.input = ToolInput::Freeform("*** Begin Patch\n".into());
        assert!(answers.answer(&patch).is_some());
    }
}
