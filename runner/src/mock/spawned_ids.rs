//! `{{agent_id:N}}` in a reply: the id of the N-th agent the requesting thread spawned (1-based,
//! in the order its `spawn_agent` outputs appear in the request's input). Agent ids are fresh
//! UUIDv7s, so a script cannot spell them; with this a scripted parent can `wait_agent`,
//! `send_input` or `close_agent` the children it spawned. Read from the request alone: stateless.

use serde_json::Value;

/// The `agent_id`s of the `spawn_agent` outputs in `body`'s input, in order.
pub fn of_request(body: &Value) -> Vec<String> {
    let Some(input) = body.get("input").and_then(Value::as_array) else {
        return Vec::new();
    };
    let spawn_calls: Vec<&str> = input
        .iter()
        .filter(|i| i["type"] == "function_call" && i["name"] == "spawn_agent")
        .filter_map(|i| i["call_id"].as_str())
        .collect();
    input
        .iter()
        .filter(|i| i["type"] == "function_call_output")
        .filter(|i| {
            i["call_id"]
                .as_str()
                .is_some_and(|c| spawn_calls.contains(&c))
        })
        .filter_map(|i| i["output"].as_str())
        .filter_map(|o| serde_json::from_str::<Value>(o).ok())
        .filter_map(|o| o["agent_id"].as_str().map(str::to_string))
        .collect()
}

/// `text` with every `{{agent_id:N}}` replaced by the N-th of `ids` (left as is when there is
/// no N-th).
pub fn fill(text: String, ids: &[String]) -> String {
    if !text.contains("{{agent_id:") {
        return text;
    }
    let mut out = text;
    for (i, id) in ids.iter().enumerate() {
        out = out.replace(&format!("{{{{agent_id:{}}}}}", i + 1), id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_name_the_spawned_agents_in_order() {
        let body = json!({"input": [
            {"type": "function_call", "name": "spawn_agent", "call_id": "a"},
            {"type": "function_call", "name": "exec_command", "call_id": "x"},
            {"type": "function_call", "name": "spawn_agent", "call_id": "b"},
            {"type": "function_call_output", "call_id": "a", "output": "{\"agent_id\":\"id-a\",\"nickname\":\"N\"}"},
            {"type": "function_call_output", "call_id": "x", "output": "{\"agent_id\":\"no\"}"},
            {"type": "function_call_output", "call_id": "b", "output": "unknown model"},
        ]});
        let ids = of_request(&body);
        assert_eq!(ids, vec!["id-a".to_string()]);
        let text = "{\"targets\":[\"{{agent_id:1}}\",\"{{agent_id:2}}\"]}".to_string();
        assert_eq!(
            fill(text, &ids),
            "{\"targets\":[\"id-a\",\"{{agent_id:2}}\"]}"
        );
    }
}
