//! Scripts for `rcodex mock` in which a parent spawns sub-agents (`spawn_agent`, namespace
//! `multi_agent_v1`) and each child has its own `[[agent]]` replies; shared by the tests of the
//! mock's routing and of replaying a parent with its children.

/// A namespaced agent-tool call as a raw output item (the Responses form Codex reads).
pub fn agent_call(call_id: &str, name: &str, arguments: &str) -> String {
    format!(
        "{{ raw = {{ type = \"function_call\", id = \"fc_{call_id}\", call_id = \"{call_id}\", name = \"{name}\", namespace = \"multi_agent_v1\", arguments = {arguments:?}, status = \"completed\" }} }}"
    )
}

/// The parent spawns `first` then `second` in one batch, waits for each in turn, then answers.
/// The agents are listed beta first, so list order never lines up with spawn order by chance.
pub fn two_children_script(first: &str, second: &str) -> String {
    let spawn = |name: &str| {
        agent_call(
            &format!("c_spawn_{name}"),
            "spawn_agent",
            &format!("{{\"message\":\"CHILD say {name}\"}}"),
        )
    };
    let wait = |name: &str| {
        agent_call(
            &format!("c_wait_{name}"),
            "wait_agent",
            &format!("{{\"targets\":[\"{{{{agent_id:c_spawn_{name}}}}}\"],\"timeout_ms\":60000}}"),
        )
    };
    format!(
        r#"[[reply]]
items = [{}, {}]
[[reply]]
items = [{}]
[[reply]]
items = [{}]
[[reply]]
message = "both done"

[[agent]]
prompt_contains = "beta"
[[agent.reply]]
message = "beta done"

[[agent]]
prompt_contains = "alpha"
[[agent.reply]]
message = "alpha done"
delay_ms = 200
"#,
        spawn(first),
        spawn(second),
        wait(first),
        wait(second)
    )
}
