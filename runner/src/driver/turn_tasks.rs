//! Every task a turn has in flight (model requests, tool calls, retry timers) in one `JoinSet`,
//! keyed by what it is. Each task's end is reaped and turned into the input the machine waits for:
//! a tool that panicked still answers its call, a request that panicked is a model failure. So a
//! turn never waits for a task that is gone, and nothing outlives the turn (dropping the set aborts
//! what is left).

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use rcodex_core::session::{Input, ModelError, RequestId, TimerId, ToolOutput};
use tokio::task::{AbortHandle, Id, JoinError, JoinSet};

use super::tool_failure::{failed_tool_output, task_panic_message};

/// What a task does; the key it is cancelled by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TaskKey {
    /// Streams the answer to one model request.
    Request(RequestId),
    /// Runs the tool call with this call id.
    Tool(String),
    /// Sleeps until a retry timer fires.
    Timer(TimerId),
}

/// A task still owed a reaping: its key, and for a tool call the tool's name (for messages).
struct Tracked {
    key: TaskKey,
    tool_name: String,
}

/// The tasks of one turn.
#[derive(Default)]
pub struct TurnTasks {
    set: JoinSet<Option<Input>>,
    by_id: HashMap<Id, Tracked>,
    by_key: HashMap<TaskKey, AbortHandle>,
}

impl TurnTasks {
    /// Runs request `id`; `stream` feeds its events to the machine itself.
    pub fn spawn_request(
        &mut self,
        id: RequestId,
        stream: impl Future<Output = ()> + Send + 'static,
    ) {
        let task = async move {
            stream.await;
            None
        };
        self.track(TaskKey::Request(id), String::new(), task);
    }

    /// Runs tool call `call_id` (tool `name`); its output answers the call.
    pub fn spawn_tool(
        &mut self,
        call_id: String,
        name: String,
        run: impl Future<Output = ToolOutput> + Send + 'static,
    ) {
        let key = TaskKey::Tool(call_id.clone());
        self.track(key, name, async move {
            Some(Input::ToolDone(call_id, run.await))
        });
    }

    /// Fires timer `id` after `wait`.
    pub fn spawn_timer(&mut self, id: TimerId, wait: Duration) {
        self.track(TaskKey::Timer(id), String::new(), async move {
            tokio::time::sleep(wait).await;
            Some(Input::Timer(id))
        });
    }

    /// Aborts the task under `key`; whatever it would still have said is dropped.
    pub fn cancel(&mut self, key: &TaskKey) {
        if let Some(handle) = self.by_key.remove(key) {
            handle.abort();
            self.by_id.remove(&handle.id());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Waits for the next task to end; returns the input its end means, if any. Cancel-safe.
    /// With no task left it waits forever (guard it with [`TurnTasks::is_empty`]).
    pub async fn next_input(&mut self) -> Option<Input> {
        match self.set.join_next_with_id().await {
            Some(Ok((id, input))) => self.untrack(id).and(input),
            Some(Err(err)) => {
                let tracked = self.untrack(err.id())?;
                Some(failure_input(tracked, err))
            }
            None => std::future::pending().await,
        }
    }

    fn track(
        &mut self,
        key: TaskKey,
        tool_name: String,
        task: impl Future<Output = Option<Input>> + Send + 'static,
    ) {
        let handle = self.set.spawn(task);
        self.by_id.insert(
            handle.id(),
            Tracked {
                key: key.clone(),
                tool_name,
            },
        );
        self.by_key.insert(key, handle);
    }

    /// Forgets task `id`; `None` if it was cancelled (its end means nothing any more).
    fn untrack(&mut self, id: Id) -> Option<Tracked> {
        let tracked = self.by_id.remove(&id)?;
        if self.by_key.get(&tracked.key).is_some_and(|h| h.id() == id) {
            self.by_key.remove(&tracked.key);
        }
        Some(tracked)
    }
}

/// The input that stands in for a task that panicked or was aborted from outside.
fn failure_input(tracked: Tracked, err: JoinError) -> Input {
    match tracked.key {
        TaskKey::Tool(call_id) => {
            Input::ToolDone(call_id, failed_tool_output(&tracked.tool_name, err))
        }
        TaskKey::Request(id) => {
            let why = match task_panic_message(err) {
                Some(panic) => format!("the request task panicked: {panic}"),
                None => "the request task was aborted".to_string(),
            };
            Input::ModelFailed(id, ModelError::Transport(why))
        }
        // A timer that cannot sleep fires at once rather than never.
        TaskKey::Timer(id) => Input::Timer(id),
    }
}

#[cfg(test)]
mod tests {
    use rcodex_core::protocol::FunctionCallOutputPayload;

    use super::*;

    async fn next(tasks: &mut TurnTasks) -> Option<Input> {
        tokio::time::timeout(Duration::from_secs(5), tasks.next_input())
            .await
            .expect("a task ended")
    }

    #[tokio::test]
    async fn a_tool_answers_its_call() {
        let mut tasks = TurnTasks::default();
        tasks.spawn_tool("c1".into(), "shell".into(), async {
            ToolOutput::text("ok", true)
        });
        assert_eq!(
            next(&mut tasks).await,
            Some(Input::ToolDone("c1".into(), ToolOutput::text("ok", true)))
        );
        assert!(tasks.is_empty());
        assert!(tasks.by_id.is_empty() && tasks.by_key.is_empty());
    }

    #[tokio::test]
    async fn a_panicking_tool_still_answers_with_a_failed_output() {
        let mut tasks = TurnTasks::default();
        tasks.spawn_tool("c1".into(), "grep_files".into(), async {
            panic!("index out of bounds")
        });
        let Some(Input::ToolDone(call_id, out)) = next(&mut tasks).await else {
            panic!("expected a tool answer");
        };
        assert_eq!(call_id, "c1");
        assert!(!out.success);
        assert_eq!(
            out.payload,
            FunctionCallOutputPayload::Text(
                "grep_files failed: the tool panicked: index out of bounds".into()
            )
        );
    }

    #[tokio::test]
    async fn a_panicking_request_is_a_transport_failure() {
        let mut tasks = TurnTasks::default();
        tasks.spawn_request(3, async { panic!("bad state") });
        assert_eq!(
            next(&mut tasks).await,
            Some(Input::ModelFailed(
                3,
                ModelError::Transport("the request task panicked: bad state".into())
            ))
        );
    }

    #[tokio::test]
    async fn a_finished_request_and_a_timer_say_what_they_mean() {
        let mut tasks = TurnTasks::default();
        tasks.spawn_request(1, async {});
        assert_eq!(next(&mut tasks).await, None);
        tasks.spawn_timer(9, Duration::from_millis(1));
        assert_eq!(next(&mut tasks).await, Some(Input::Timer(9)));
        assert!(tasks.is_empty());
    }

    #[tokio::test]
    async fn cancelled_tasks_are_reaped_silently() {
        let mut tasks = TurnTasks::default();
        tasks.spawn_tool("c1".into(), "shell".into(), std::future::pending());
        tasks.spawn_request(2, std::future::pending());
        tasks.spawn_timer(3, Duration::from_secs(3600));
        tasks.cancel(&TaskKey::Tool("c1".into()));
        tasks.cancel(&TaskKey::Request(2));
        tasks.cancel(&TaskKey::Timer(3));
        for _ in 0..3 {
            assert_eq!(next(&mut tasks).await, None);
        }
        assert!(tasks.is_empty());
        assert!(tasks.by_id.is_empty() && tasks.by_key.is_empty());
    }

    #[tokio::test]
    async fn a_tool_finished_before_its_cancel_is_not_fed() {
        let mut tasks = TurnTasks::default();
        tasks.spawn_tool("c1".into(), "shell".into(), async {
            ToolOutput::text("late", true)
        });
        tokio::task::yield_now().await;
        tasks.cancel(&TaskKey::Tool("c1".into()));
        assert_eq!(next(&mut tasks).await, None);
    }

    #[tokio::test]
    async fn dropping_the_set_aborts_what_is_left() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut tasks = TurnTasks::default();
        tasks.spawn_request(1, async move {
            let _keep = tx;
            std::future::pending::<()>().await;
        });
        drop(tasks);
        // The sender is dropped with the aborted task, so the receiver sees it closed.
        let closed = tokio::time::timeout(Duration::from_secs(5), rx).await;
        assert!(matches!(closed, Ok(Err(_))));
    }
}
