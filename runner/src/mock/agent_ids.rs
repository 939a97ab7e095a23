//! `{{agent_id:CALL_ID}}` in a reply: the id of the child that the `spawn_agent` call `CALL_ID`
//! started, read from that call's output in the request being answered; `{{agent_id:N}}` (a
//! number): the N-th child the requesting thread spawned, in the order the `spawn_agent` outputs
//! appear in its input. A script cannot know a child's thread id in advance (the client makes it
//! up), yet `wait_agent`, `send_input` and `close_agent` must name it; the spawn's output
//! (`{"agent_id":…,"nickname":…}`) is in the history the client sends back, so the mock fills it
//! in when it answers.

use serde_json::Value;

use super::script::{Reply, ReplyItem};

const OPEN: &str = "{{agent_id:";
const CLOSE: &str = "}}";

/// `reply` with every `{{agent_id:CALL_ID}}` replaced, or what is missing: a call id whose
/// output is not in `body`, or an output without `agent_id`.
pub fn fill_agent_ids(reply: &Reply, body: &Value) -> Result<Reply, String> {
    let mut out = reply.clone();
    let fill = |s: &mut String| fill_str(s, body);
    if let Some(m) = out.message.as_mut() {
        fill(m)?;
    }
    for call in out.function_call.iter_mut().chain(&mut out.function_calls) {
        if let Some(args) = call.arguments.as_mut() {
            fill_value(args, body)?;
        }
    }
    if let Some(c) = out.custom_tool_call.as_mut() {
        fill(&mut c.input)?;
    }
    for item in &mut out.items {
        fill_item(item, body)?;
    }
    Ok(out)
}

fn fill_item(item: &mut ReplyItem, body: &Value) -> Result<(), String> {
    if let Some(m) = item.message.as_mut() {
        fill_str(m, body)?;
    }
    if let Some(args) = item
        .function_call
        .as_mut()
        .and_then(|c| c.arguments.as_mut())
    {
        fill_value(args, body)?;
    }
    if let Some(c) = item.custom_tool_call.as_mut() {
        fill_str(&mut c.input, body)?;
    }
    if let Some(raw) = item.raw.as_mut() {
        fill_value(raw, body)?;
    }
    Ok(())
}

fn fill_value(value: &mut Value, body: &Value) -> Result<(), String> {
    match value {
        Value::String(s) => fill_str(s, body),
        Value::Array(items) => items.iter_mut().try_for_each(|v| fill_value(v, body)),
        Value::Object(map) => map.values_mut().try_for_each(|v| fill_value(v, body)),
        _ => Ok(()),
    }
}

fn fill_str(text: &mut String, body: &Value) -> Result<(), String> {
    if !text.contains(OPEN) {
        return Ok(());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        let end = after
            .find(CLOSE)
            .ok_or_else(|| format!("`{OPEN}` without a closing `{CLOSE}`"))?;
        let call_id = &after[..end];
        out.push_str(&agent_id_of(call_id, body)?);
        rest = &after[end + CLOSE.len()..];
    }
    out.push_str(rest);
    *text = out;
    Ok(())
}

/// `{{agent_id:KEY}}`: by spawn number when KEY is a number, else by call id.
fn agent_id_of(key: &str, body: &Value) -> Result<String, String> {
    match key.parse::<usize>() {
        Ok(n) => nth_spawned(n, body),
        Err(_) => agent_id_of_call(key, body),
    }
}

/// The `agent_id` of the `n`-th (1-based) `spawn_agent` output in `body`'s input.
fn nth_spawned(n: usize, body: &Value) -> Result<String, String> {
    let items = body
        .get("input")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let spawns: Vec<&str> = items
        .iter()
        .filter(|i| i["type"] == "function_call" && i["name"] == "spawn_agent")
        .filter_map(|i| i["call_id"].as_str())
        .collect();
    let ids: Vec<String> = items
        .iter()
        .filter(|i| i["type"] == "function_call_output")
        .filter(|i| i["call_id"].as_str().is_some_and(|c| spawns.contains(&c)))
        .filter_map(|i| serde_json::from_str::<Value>(i["output"].as_str()?).ok())
        .filter_map(|o| o["agent_id"].as_str().map(str::to_string))
        .collect();
    n.checked_sub(1)
        .and_then(|i| ids.get(i).cloned())
        .ok_or_else(|| {
            format!(
                "{OPEN}{n}{CLOSE}: this request's input holds {} spawned agent id(s)",
                ids.len()
            )
        })
}

/// The `agent_id` in the output of call `call_id`: a Responses `function_call_output` or a chat
/// `tool` message.
fn agent_id_of_call(call_id: &str, body: &Value) -> Result<String, String> {
    let items = body
        .get("input")
        .or_else(|| body.get("messages"))
        .and_then(Value::as_array);
    let output = items
        .into_iter()
        .flatten()
        .find_map(|item| {
            let responses = item.get("type").and_then(Value::as_str)
                == Some("function_call_output")
                && item.get("call_id").and_then(Value::as_str) == Some(call_id);
            let chat = item.get("role").and_then(Value::as_str) == Some("tool")
                && item.get("tool_call_id").and_then(Value::as_str) == Some(call_id);
            if responses {
                item.get("output")
            } else if chat {
                item.get("content")
            } else {
                None
            }
        })
        .ok_or_else(|| {
            format!("{OPEN}{call_id}{CLOSE}: no output of call {call_id} in this request")
        })?;
    let text = match output {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("agent_id")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .ok_or_else(|| {
            format!("{OPEN}{call_id}{CLOSE}: the output of call {call_id} has no agent_id: {text}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(value: Value) -> Reply {
        serde_json::from_value(value).unwrap()
    }

    fn spawned() -> Value {
        json!({"input": [
            {"type": "function_call", "call_id": "c_a", "name": "spawn_agent"},
            {"type": "function_call_output", "call_id": "c_a", "output": "{\"agent_id\":\"id-a\",\"nickname\":\"X\"}"},
            {"type": "function_call_output", "call_id": "c_b", "output": "{\"agent_id\":\"id-b\",\"nickname\":\"Y\"}"},
            {"type": "function_call_output", "call_id": "c_x", "output": "unsupported call: spawn_agent"}
        ]})
    }

    #[test]
    fn ids_are_filled_in_arguments_raw_items_and_messages() {
        let r = reply(json!({
            "function_call": {"name": "wait_agent", "arguments": {"targets": ["{{agent_id:c_a}}", "{{agent_id:c_b}}"]}},
            "items": [{"raw": {"type": "function_call", "arguments": "{\"target\":\"{{agent_id:c_b}}\"}"}}],
            "message": "waited for {{agent_id:c_a}}."
        }));
        let filled = fill_agent_ids(&r, &spawned()).unwrap();
        assert_eq!(
            filled.function_call.unwrap().arguments.unwrap(),
            json!({"targets": ["id-a", "id-b"]})
        );
        assert_eq!(
            filled.items[0].raw.as_ref().unwrap()["arguments"],
            "{\"target\":\"id-b\"}"
        );
        assert_eq!(filled.message.as_deref(), Some("waited for id-a."));
    }

    #[test]
    fn a_missing_or_idless_output_is_an_error_naming_the_call() {
        let missing = reply(json!({"message": "{{agent_id:c_zz}}"}));
        let e = fill_agent_ids(&missing, &spawned()).unwrap_err();
        assert!(e.contains("no output of call c_zz"), "{e}");
        let idless = reply(json!({"message": "{{agent_id:c_x}}"}));
        let e = fill_agent_ids(&idless, &spawned()).unwrap_err();
        assert!(e.contains("has no agent_id: unsupported call"), "{e}");
        let open = reply(json!({"message": "{{agent_id:c_a"}));
        assert!(fill_agent_ids(&open, &spawned()).is_err());
    }

    #[test]
    fn a_number_names_the_nth_spawned_agent() {
        let body = json!({"input": [
            {"type": "function_call", "name": "spawn_agent", "call_id": "a"},
            {"type": "function_call", "name": "exec_command", "call_id": "x"},
            {"type": "function_call", "name": "spawn_agent", "call_id": "b"},
            {"type": "function_call_output", "call_id": "a", "output": "{\"agent_id\":\"id-a\"}"},
            {"type": "function_call_output", "call_id": "x", "output": "{\"agent_id\":\"not a spawn\"}"},
            {"type": "function_call_output", "call_id": "b", "output": "{\"agent_id\":\"id-b\"}"}
        ]});
        let r = reply(json!({"message": "{{agent_id:2}} after {{agent_id:1}}"}));
        let filled = fill_agent_ids(&r, &body).unwrap();
        assert_eq!(filled.message.as_deref(), Some("id-b after id-a"));
        let e = fill_agent_ids(&reply(json!({"message": "{{agent_id:3}}"})), &body).unwrap_err();
        assert!(e.contains("holds 2 spawned agent id(s)"), "{e}");
        assert!(fill_agent_ids(&reply(json!({"message": "{{agent_id:0}}"})), &body).is_err());
    }

    #[test]
    fn chat_tool_messages_are_read_too_and_plain_text_is_untouched() {
        let chat = json!({"messages": [
            {"role": "tool", "tool_call_id": "c_a", "content": "{\"agent_id\":\"id-a\"}"}
        ]});
        let r = reply(json!({"message": "{{agent_id:c_a}} and {braces}"}));
        let filled = fill_agent_ids(&r, &chat).unwrap();
        assert_eq!(filled.message.as_deref(), Some("id-a and {braces}"));
        let plain = reply(json!({"message": "no ids"}));
        assert_eq!(
            fill_agent_ids(&plain, &json!({}))
                .unwrap()
                .message
                .as_deref(),
            Some("no ids")
        );
    }
}
