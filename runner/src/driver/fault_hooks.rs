//! Test-only fault injection: lets the integration tests make a task panic inside the real
//! `rcodex` binary (exec and batch) and prove that a turn survives it. Inert unless one of these
//! environment variables is set; they are read once per process and documented nowhere else:
//!
//! - `RCODEX_TEST_PANIC_TOOL=<tool name>`: every task running that tool panics before the tool
//!   starts, so the model must get a failed output for the call.
//! - `RCODEX_TEST_PANIC_REQUEST=1`: the first model request task of every turn panics before it
//!   sends anything, so the core must see a model failure and retry.

use std::sync::OnceLock;

/// The faults to inject, as the environment asked for them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FaultHooks {
    panic_tool: Option<String>,
    panic_first_request: bool,
}

impl FaultHooks {
    /// This process's hooks (read from the environment on first use).
    pub fn get() -> &'static FaultHooks {
        static HOOKS: OnceLock<FaultHooks> = OnceLock::new();
        HOOKS.get_or_init(|| FaultHooks::from_env(|k| std::env::var(k).ok()))
    }

    fn from_env(var: impl Fn(&str) -> Option<String>) -> FaultHooks {
        FaultHooks {
            panic_tool: var("RCODEX_TEST_PANIC_TOOL").filter(|name| !name.is_empty()),
            panic_first_request: var("RCODEX_TEST_PANIC_REQUEST").as_deref() == Some("1"),
        }
    }

    /// Called first thing in the task of a call to tool `name`.
    pub fn tool_task_started(&self, name: &str) {
        if self.panic_tool.as_deref() == Some(name) {
            panic!("RCODEX_TEST_PANIC_TOOL: injected panic in tool {name}");
        }
    }

    /// Called first thing in a request task; `first_of_turn` for the turn's first request.
    pub fn request_task_started(&self, first_of_turn: bool) {
        if self.panic_first_request && first_of_turn {
            panic!("RCODEX_TEST_PANIC_REQUEST: injected panic in the turn's first request");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FaultHooks;

    fn hooks(vars: &[(&str, &str)]) -> FaultHooks {
        FaultHooks::from_env(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn unset_or_empty_variables_inject_nothing() {
        for h in [
            hooks(&[]),
            hooks(&[
                ("RCODEX_TEST_PANIC_TOOL", ""),
                ("RCODEX_TEST_PANIC_REQUEST", "0"),
            ]),
        ] {
            assert_eq!(h, FaultHooks::default());
            h.tool_task_started("exec_command");
            h.request_task_started(true);
        }
    }

    #[test]
    fn a_named_tool_panics_and_others_run() {
        let h = hooks(&[("RCODEX_TEST_PANIC_TOOL", "update_plan")]);
        h.tool_task_started("exec_command");
        h.request_task_started(true);
        let err = std::panic::catch_unwind(|| h.tool_task_started("update_plan")).unwrap_err();
        let text = err.downcast::<String>().unwrap();
        assert!(
            text.contains("injected panic in tool update_plan"),
            "{text}"
        );
    }

    #[test]
    fn only_the_first_request_of_a_turn_panics() {
        let h = hooks(&[("RCODEX_TEST_PANIC_REQUEST", "1")]);
        h.request_task_started(false);
        assert!(std::panic::catch_unwind(|| h.request_task_started(true)).is_err());
    }
}
