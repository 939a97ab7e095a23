//! Renders one scripted reply as the SSE body a chat-completions server would stream, so the
//! same scripts exercise the chat adapter: text and reasoning (`reasoning_content`) in a few
//! deltas, tool-call arguments split over chunks, two or more calls interleaved by `index`,
//! usage in a last chunk when the request asked for it, then `data: [DONE]`.
//!
//! Freeform (custom) calls are sent as function calls whose arguments are `{"input": …}`, as the
//! adapter exposes them. `failed` becomes an `{"error": …}` chunk, `incomplete` a
//! `finish_reason` of `length` (or `content_filter`), `cut` a stream that ends after the
//! `finish_reason` chunk without `[DONE]`. `end_turn` and `raw` items have no chat form and are
//! left out.

use serde_json::{json, Value};

use super::script::{Reply, ReplyItem, UsageSpec};

fn chunk(out: &mut String, data: &Value) {
    out.push_str("data: ");
    out.push_str(&data.to_string());
    out.push_str("\n\n");
}

/// One tool call as the chat stream carries it.
struct Call {
    id: String,
    name: String,
    arguments: String,
}

/// The chat SSE body for request number `n` (1-based); usage only when `include_usage`.
pub fn render_chat(reply: &Reply, n: usize, include_usage: bool) -> String {
    let id = format!("chatcmpl-mock-{n}");
    let created = 1_700_000_000 + n as u64;
    let choice_chunk = |delta: Value, finish: Option<&str>| {
        json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": "mock",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut out = String::new();
    chunk(
        &mut out,
        &choice_chunk(json!({"role": "assistant", "content": ""}), None),
    );
    let mut calls = Vec::new();
    for (i, item) in reply.all_items().iter().enumerate() {
        render_item(&mut out, item, n, i, &mut calls, &choice_chunk);
    }
    render_calls(&mut out, &calls, &choice_chunk);
    if let Some(f) = &reply.failed {
        chunk(
            &mut out,
            &json!({"error": {"message": f.message, "type": "server_error", "code": f.code}}),
        );
        return out;
    }
    let finish = match (&reply.incomplete, calls.is_empty()) {
        (Some(inc), _) if inc.reason == "content_filter" => "content_filter",
        (Some(_), _) => "length",
        (None, false) => "tool_calls",
        (None, true) => "stop",
    };
    chunk(&mut out, &choice_chunk(json!({}), Some(finish)));
    if reply.cut {
        return out;
    }
    if include_usage {
        let u = reply.usage.unwrap_or_default();
        chunk(
            &mut out,
            &json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": "mock",
                    "choices": [], "usage": usage_json(&u)}),
        );
    }
    out.push_str("data: [DONE]\n\n");
    out
}

fn usage_json(u: &UsageSpec) -> Value {
    json!({
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
    })
}

fn render_item(
    out: &mut String,
    item: &ReplyItem,
    n: usize,
    i: usize,
    calls: &mut Vec<Call>,
    choice_chunk: &dyn Fn(Value, Option<&str>) -> Value,
) {
    let call_id = |given: &Option<String>| given.clone().unwrap_or_else(|| format!("call_{n}_{i}"));
    if let Some(text) = &item.message {
        for part in pieces(text, 3) {
            chunk(out, &choice_chunk(json!({"content": part}), None));
        }
    } else if let Some(text) = &item.reasoning {
        for part in pieces(text, 3) {
            chunk(out, &choice_chunk(json!({"reasoning_content": part}), None));
        }
    } else if let Some(f) = &item.function_call {
        let arguments = match &f.arguments {
            None => "{}".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        calls.push(Call {
            id: call_id(&f.call_id),
            name: f.name.clone(),
            arguments,
        });
    } else if let Some(c) = &item.custom_tool_call {
        calls.push(Call {
            id: call_id(&c.call_id),
            name: c.name.clone(),
            arguments: json!({"input": c.input}).to_string(),
        });
    }
}

/// Each call's header (id, name) first, then the argument pieces round-robin across calls, so
/// that two calls interleave by `index` as parallel tool calls do on real servers.
fn render_calls(
    out: &mut String,
    calls: &[Call],
    choice_chunk: &dyn Fn(Value, Option<&str>) -> Value,
) {
    let split: Vec<Vec<&str>> = calls.iter().map(|c| pieces(&c.arguments, 3)).collect();
    for (index, call) in calls.iter().enumerate() {
        let first = split[index].first().copied().unwrap_or("");
        let delta = json!({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                           "function": {"name": call.name, "arguments": first}}]});
        chunk(out, &choice_chunk(delta, None));
    }
    let rounds = split.iter().map(Vec::len).max().unwrap_or(0);
    for round in 1..rounds {
        for (index, parts) in split.iter().enumerate() {
            if let Some(part) = parts.get(round) {
                let delta =
                    json!({"tool_calls": [{"index": index, "function": {"arguments": part}}]});
                chunk(out, &choice_chunk(delta, None));
            }
        }
    }
}

/// `text` in at most `count` pieces of about equal size, on char boundaries (one empty piece
/// for empty text).
fn pieces(text: &str, count: usize) -> Vec<&str> {
    super::sse_body::split_text(text, text.len().div_ceil(count).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::chat::ChatStreamDecoder;
    use rcodex_core::protocol::{ResponseEvent, ResponseItem};

    fn reply(toml_text: &str) -> Reply {
        toml::from_str(toml_text).unwrap()
    }

    fn data_lines(body: &str) -> Vec<&str> {
        body.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .collect()
    }

    #[test]
    fn two_calls_interleave_by_index_and_split_their_arguments() {
        let r = reply(
            r#"function_calls = [
                 { name = "exec_command", arguments = { cmd = "cat a.txt" }, call_id = "call_a" },
                 { name = "exec_command", arguments = { cmd = "cat b.txt" }, call_id = "call_b" },
               ]"#,
        );
        let body = render_chat(&r, 1, true);
        let indexes: Vec<u64> = data_lines(&body)
            .iter()
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .filter_map(|v| v.pointer("/choices/0/delta/tool_calls/0/index")?.as_u64())
            .collect();
        assert_eq!(indexes, [0, 1, 0, 1, 0, 1], "{body}");
        assert!(body.ends_with("data: [DONE]\n\n"));
        assert!(body.contains("\"finish_reason\":\"tool_calls\""));
        assert!(body.contains("\"prompt_tokens\":100"));
    }

    #[test]
    fn usage_only_when_asked_and_cut_ends_without_done() {
        let r = reply("message = \"hello there\"\ncut = true");
        let body = render_chat(&r, 2, true);
        assert!(!body.contains("[DONE]"), "{body}");
        assert!(!body.contains("usage"), "{body}");
        let r = reply("message = \"hi\"");
        assert!(!render_chat(&r, 2, false).contains("usage"));
    }

    #[test]
    fn the_adapter_reads_back_what_the_chat_mock_renders() {
        let r = reply(
            r#"reasoning = "thinking hard"
               message = "Done, I think."
               custom_tool_call = { name = "apply_patch", input = "*** Begin Patch\n*** End Patch", call_id = "call_p" }
               usage = { input_tokens = 7, cached_tokens = 2, output_tokens = 3, reasoning_tokens = 1 }"#,
        );
        let body = render_chat(&r, 4, true);
        let mut d = ChatStreamDecoder::new(4, ["apply_patch".to_string()].into());
        let events: Vec<ResponseEvent> = data_lines(&body)
            .into_iter()
            .flat_map(|data| d.push(data).unwrap())
            .collect();
        let done: Vec<&ResponseItem> = events
            .iter()
            .filter_map(|e| match e {
                ResponseEvent::OutputItemDone { item } => Some(item),
                _ => None,
            })
            .collect();
        assert_eq!(done.len(), 3, "{events:?}");
        assert!(matches!(done[0], ResponseItem::Reasoning(_)));
        let ResponseItem::CustomToolCall(c) = done[2] else {
            panic!("{:?}", done[2])
        };
        assert_eq!(
            (c.call_id.as_str(), c.input.as_str()),
            ("call_p", "*** Begin Patch\n*** End Patch")
        );
        let Some(ResponseEvent::Completed { usage: Some(u), .. }) = events.last() else {
            panic!("{events:?}")
        };
        assert_eq!(
            (
                u.input_tokens,
                u.cached_input_tokens,
                u.output_tokens,
                u.reasoning_output_tokens
            ),
            (7, 2, 3, 1)
        );
    }
}
