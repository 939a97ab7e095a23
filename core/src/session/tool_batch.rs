//! The tool calls of one response: which may start now, and the order their outputs enter
//! history (call order, whatever order they finish in).

use super::input::{ToolDetails, ToolOutput};
use super::tool_call::ClassifiedCall;

/// One call's progress.
#[derive(Clone, Debug, PartialEq)]
pub enum SlotState {
    Queued,
    Running,
    Done(ToolOutput),
    /// Output already appended to history.
    Flushed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    pub call: ClassifiedCall,
    pub state: SlotState,
    /// The `item_N` id of its `--json` item, once started.
    pub exec_item_id: Option<String>,
    /// When it started running (ms since the epoch).
    pub started_ms: Option<u64>,
}

/// Calls in call order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ToolBatch {
    pub slots: Vec<Slot>,
}

impl ToolBatch {
    pub fn push(&mut self, call: ClassifiedCall) {
        let state = match &call.immediate {
            Some(out) => SlotState::Done(out.clone()),
            None => SlotState::Queued,
        };
        self.slots.push(Slot {
            call,
            state,
            exec_item_id: None,
            started_ms: None,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn running(&self) -> impl Iterator<Item = &Slot> {
        self.slots
            .iter()
            .filter(|s| matches!(s.state, SlotState::Running))
    }

    /// Marks the calls that may start now as running and returns their indices: a run of
    /// parallel-safe calls together, or one exclusive call alone, in call order.
    pub fn release(&mut self, now: u64) -> Vec<usize> {
        let mut started = Vec::new();
        if self.running().any(|s| s.call.exclusive) {
            return started;
        }
        let mut any_running = self.running().next().is_some();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.state != SlotState::Queued {
                continue;
            }
            if slot.call.exclusive {
                if !any_running {
                    slot.state = SlotState::Running;
                    slot.started_ms = Some(now);
                    started.push(i);
                }
                break;
            }
            slot.state = SlotState::Running;
            slot.started_ms = Some(now);
            any_running = true;
            started.push(i);
        }
        started
    }

    /// Records a finished call; `None` if no running call has that id.
    pub fn finish(&mut self, call_id: &str, output: ToolOutput) -> Option<usize> {
        let i = self
            .slots
            .iter()
            .position(|s| s.call.call.call_id == call_id && s.state == SlotState::Running)?;
        self.slots[i].state = SlotState::Done(output);
        Some(i)
    }

    /// The next output to append to history, if the earliest unflushed call is done.
    pub fn take_flushable(&mut self) -> Option<(usize, ToolOutput)> {
        let i = self
            .slots
            .iter()
            .position(|s| s.state != SlotState::Flushed)?;
        match std::mem::replace(&mut self.slots[i].state, SlotState::Flushed) {
            SlotState::Done(out) => Some((i, out)),
            other => {
                self.slots[i].state = other;
                None
            }
        }
    }

    pub fn all_flushed(&self) -> bool {
        self.slots.iter().all(|s| s.state == SlotState::Flushed)
    }

    /// Answers every call not yet finished (on interrupt at `now`) and returns their indices:
    /// a running unified-exec command with its wall time and "aborted by user", as a command
    /// that failed with exit code -1 and no output, as Codex 0.169 does (captured); any other
    /// call with "aborted".
    pub fn abort_unfinished(&mut self, now: u64) -> Vec<usize> {
        let mut aborted = Vec::new();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let output = match (&slot.state, slot.started_ms) {
                (SlotState::Running, Some(since)) if slot.call.call.name == "exec_command" => {
                    let ran = now.saturating_sub(since);
                    let secs = ran as f64 / 1000.0;
                    let mut out = ToolOutput::text(
                        format!("Wall time: {secs:.1} seconds\naborted by user"),
                        false,
                    );
                    out.details = ToolDetails::Command {
                        aggregated_output: String::new(),
                        exit_code: Some(-1),
                        duration_ms: ran,
                        process_id: None,
                    };
                    out
                }
                // A sub-agent call (a wait, say) says how long it ran (Codex 0.169, captured).
                (SlotState::Running, Some(since))
                    if slot.call.call.namespace.as_deref() == Some(super::collab::NAMESPACE) =>
                {
                    let secs = now.saturating_sub(since) as f64 / 1000.0;
                    ToolOutput::text(format!("aborted by user after {secs:.1}s"), false)
                }
                (SlotState::Queued | SlotState::Running, _) => ToolOutput::text("aborted", false),
                _ => continue,
            };
            slot.state = SlotState::Done(output);
            aborted.push(i);
        }
        aborted
    }

    /// Ids of calls still running.
    pub fn running_ids(&self) -> Vec<String> {
        self.running()
            .map(|s| s.call.call.call_id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::effect::{ToolCall, ToolInput};
    use crate::session::tool_call::CallView;

    fn call(id: &str, exclusive: bool) -> ClassifiedCall {
        ClassifiedCall {
            call: ToolCall {
                call_id: id.into(),
                name: if exclusive {
                    "apply_patch"
                } else {
                    "exec_command"
                }
                .into(),
                namespace: None,
                input: ToolInput::Arguments("{}".into()),
            },
            exclusive,
            view: CallView::Hidden,
            immediate: None,
            freeform: false,
            loaded: None,
        }
    }

    fn batch(calls: &[(&str, bool)]) -> ToolBatch {
        let mut b = ToolBatch::default();
        for (id, exclusive) in calls {
            b.push(call(id, *exclusive));
        }
        b
    }

    #[test]
    fn parallel_calls_start_together_up_to_the_first_exclusive_one() {
        let mut b = batch(&[("a", false), ("b", false), ("x", true), ("c", false)]);
        assert_eq!(b.release(0), vec![0, 1]);
        assert_eq!(b.release(0), Vec::<usize>::new(), "x waits for a and b");
        b.finish("a", ToolOutput::text("", true));
        b.finish("b", ToolOutput::text("", true));
        assert_eq!(b.release(0), vec![2], "x runs alone");
        assert_eq!(b.release(0), Vec::<usize>::new(), "nothing starts beside x");
        b.finish("x", ToolOutput::text("", true));
        assert_eq!(b.release(0), vec![3]);
    }

    #[test]
    fn nothing_starts_while_an_exclusive_call_runs_even_after_it() {
        // A later parallel call must not start beside a running exclusive one, even when
        // everything before the exclusive call has finished.
        let mut b = batch(&[("x", true), ("c", false), ("d", false)]);
        assert_eq!(b.release(0), vec![0]);
        assert_eq!(b.release(0), Vec::<usize>::new());
        b.finish("x", ToolOutput::text("", true));
        assert_eq!(b.release(0), vec![1, 2]);
    }

    #[test]
    fn outputs_flush_in_call_order_whatever_order_they_finish_in() {
        let mut b = batch(&[("a", false), ("b", false)]);
        b.release(0);
        b.finish("b", ToolOutput::text("B", true));
        assert_eq!(b.take_flushable(), None, "b waits for a");
        b.finish("a", ToolOutput::text("A", true));
        assert_eq!(b.take_flushable().map(|(i, _)| i), Some(0));
        assert_eq!(b.take_flushable().map(|(i, _)| i), Some(1));
        assert!(b.all_flushed());
    }

    #[test]
    fn an_abort_answers_every_unfinished_call() {
        let mut b = batch(&[("a", false), ("x", true)]);
        b.release(1_000);
        b.abort_unfinished(4_730);
        let answers: Vec<_> = std::iter::from_fn(|| b.take_flushable())
            .map(|(_, out)| (out.payload.to_text(), out.success))
            .collect();
        assert_eq!(
            answers,
            vec![
                // a (exec_command) ran 3.73 s; x (apply_patch) never started.
                ("Wall time: 3.7 seconds\naborted by user".into(), false),
                ("aborted".into(), false)
            ]
        );
    }
}
