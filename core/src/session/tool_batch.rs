//! The tool calls of one response: which may start now, and the order their outputs enter
//! history (call order, whatever order they finish in).

use super::input::ToolOutput;
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
    pub fn release(&mut self) -> Vec<usize> {
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
                    started.push(i);
                }
                break;
            }
            slot.state = SlotState::Running;
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

    /// Answers every call not yet finished with "aborted" (on interrupt).
    pub fn abort_unfinished(&mut self) {
        for slot in &mut self.slots {
            if matches!(slot.state, SlotState::Queued | SlotState::Running) {
                slot.state = SlotState::Done(ToolOutput::text("aborted", false));
            }
        }
    }

    /// Ids of calls still running.
    pub fn running_ids(&self) -> Vec<String> {
        self.running()
            .map(|s| s.call.call.call_id.clone())
            .collect()
    }
}
