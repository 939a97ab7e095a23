//! The items the `exec --json` stream shows for a thread: `item_N` ids handed out in order of
//! first appearance, the todo list that `update_plan` keeps up to date, and the started and
//! finished views of commands and patches. Formatting only: the loop decides when.

use super::input::{ToolDetails, ToolOutput};
use super::tool_call::{CallView, ClassifiedCall};
use crate::protocol::exec_event::{ItemStatus, TodoItem};
use crate::protocol::response_item::WebSearchCallItem;
use crate::protocol::{ThreadEvent, ThreadItem, ThreadItemDetails as D};

/// The thread's `item_N` counter.
#[derive(Clone, Debug, Default)]
pub struct ExecItems {
    next: u64,
}

/// The turn's plan, shown as one `todo_list` item that each `update_plan` updates.
#[derive(Clone, Debug, PartialEq)]
pub struct TodoList {
    pub item_id: String,
    pub items: Vec<TodoItem>,
}

/// A call as the stream shows it when it starts.
pub struct CallStarted {
    /// The item id its `item.completed` will carry, for calls that complete an item.
    pub item_id: Option<String>,
    pub event: Option<ThreadEvent>,
}

impl ExecItems {
    fn next_id(&mut self) -> String {
        let id = format!("item_{}", self.next);
        self.next += 1;
        id
    }

    fn completed(&mut self, details: D) -> ThreadEvent {
        ThreadEvent::ItemCompleted {
            item: ThreadItem {
                id: self.next_id(),
                details,
            },
        }
    }

    pub fn agent_message(&mut self, text: String) -> ThreadEvent {
        self.completed(D::AgentMessage { text })
    }

    /// Reasoning shows only when it has a summary.
    pub fn reasoning(&mut self, summary: &[String]) -> Option<ThreadEvent> {
        (!summary.is_empty()).then(|| {
            self.completed(D::Reasoning {
                text: summary.join("\n\n"),
            })
        })
    }

    /// A hosted search the server ran: Codex shows it as `item.started` then `item.completed`
    /// of one item.
    pub fn web_search(&mut self, call: &WebSearchCallItem) -> [ThreadEvent; 2] {
        let query = call
            .action
            .as_ref()
            .and_then(|a| a.get("query"))
            .and_then(|q| q.as_str())
            .unwrap_or_default()
            .to_string();
        let item = ThreadItem {
            id: self.next_id(),
            details: D::WebSearch {
                search_id: call.id.clone(),
                query,
                action: call.action.clone(),
            },
        };
        [
            ThreadEvent::ItemStarted { item: item.clone() },
            ThreadEvent::ItemCompleted { item },
        ]
    }

    /// The `item.started` (or, for a plan the turn already shows, `item.updated`) of a call.
    pub fn call_started(&mut self, view: &CallView, todo: &mut Option<TodoList>) -> CallStarted {
        let started = |item_id: String, details| CallStarted {
            event: Some(ThreadEvent::ItemStarted {
                item: ThreadItem {
                    id: item_id.clone(),
                    details,
                },
            }),
            item_id: Some(item_id),
        };
        match view {
            CallView::Command { display, .. } => started(
                self.next_id(),
                D::CommandExecution {
                    command: display.clone(),
                    aggregated_output: String::new(),
                    exit_code: None,
                    status: ItemStatus::InProgress,
                },
            ),
            CallView::FileChange { changes } => started(
                self.next_id(),
                D::FileChange {
                    changes: changes.clone(),
                    status: ItemStatus::InProgress,
                },
            ),
            CallView::Plan { items } => {
                let shown = todo.is_some();
                let item_id = match todo.take() {
                    Some(list) => list.item_id,
                    None => self.next_id(),
                };
                *todo = Some(TodoList {
                    item_id: item_id.clone(),
                    items: items.clone(),
                });
                let item = ThreadItem {
                    id: item_id,
                    details: D::TodoList {
                        items: items.clone(),
                    },
                };
                let event = if shown {
                    ThreadEvent::ItemUpdated { item }
                } else {
                    ThreadEvent::ItemStarted { item }
                };
                CallStarted {
                    item_id: None,
                    event: Some(event),
                }
            }
            CallView::Collab(v) => started(self.next_id(), super::collab::started_item(v)),
            CallView::Hidden => CallStarted {
                item_id: None,
                event: None,
            },
        }
    }
}

/// The `item.completed` of a finished command or patch, if the call shows one.
pub fn call_finished(
    item_id: String,
    call: &ClassifiedCall,
    output: &ToolOutput,
) -> Option<ThreadEvent> {
    let details = match (&call.view, &output.details) {
        (CallView::Command { display, .. }, details) => {
            let (aggregated_output, exit_code) = match details {
                ToolDetails::Command {
                    aggregated_output,
                    exit_code,
                    ..
                } => (aggregated_output.clone(), *exit_code),
                _ => (output.payload.to_text(), None),
            };
            D::CommandExecution {
                command: display.clone(),
                aggregated_output,
                exit_code,
                status: command_status(exit_code),
            }
        }
        (CallView::Collab(v), ToolDetails::Collab(d)) => super::collab::finished_item(d, &v.sender),
        (CallView::FileChange { changes }, _) => D::FileChange {
            changes: changes.clone(),
            status: if output.success {
                ItemStatus::Completed
            } else {
                ItemStatus::Failed
            },
        },
        _ => return None,
    };
    Some(ThreadEvent::ItemCompleted {
        item: ThreadItem {
            id: item_id,
            details,
        },
    })
}

/// The turn's plan, completed when the turn is.
pub fn todo_completed(todo: TodoList) -> ThreadEvent {
    ThreadEvent::ItemCompleted {
        item: ThreadItem {
            id: todo.item_id,
            details: D::TodoList { items: todo.items },
        },
    }
}

/// A command completed when it exited 0, failed otherwise (including when it never ran).
pub fn command_status(exit_code: Option<i32>) -> ItemStatus {
    if exit_code == Some(0) {
        ItemStatus::Completed
    } else {
        ItemStatus::Failed
    }
}
