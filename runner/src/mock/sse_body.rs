//! Renders one reply as the SSE body the Responses API would stream, with Codex's event names
//! and deterministic ids (`resp_mock_N`, `item_N_I`, `call_N_I`).

use serde_json::{json, Value};

use super::script::{Reply, ReplyItem, UsageSpec};

fn frame(out: &mut String, event: &str, data: &Value) {
    out.push_str("event: ");
    out.push_str(event);
    out.push_str("\ndata: ");
    out.push_str(&data.to_string());
    out.push_str("\n\n");
}

/// The SSE body for request number `n` (1-based).
pub fn render(reply: &Reply, n: usize) -> String {
    let resp_id = format!("resp_mock_{n}");
    let mut out = String::new();
    frame(
        &mut out,
        "response.created",
        &json!({"type": "response.created", "response": {"id": resp_id}}),
    );
    for (i, item) in reply.all_items().iter().enumerate() {
        render_item(&mut out, item, n, i);
    }
    if reply.cut {
        return out;
    }
    if let Some(f) = &reply.failed {
        let data = json!({"type": "response.failed", "response": {"id": resp_id, "error": {"code": f.code, "message": f.message}}});
        frame(&mut out, "response.failed", &data);
        return out;
    }
    if let Some(inc) = &reply.incomplete {
        let data = json!({"type": "response.incomplete", "response": {"id": resp_id, "incomplete_details": {"reason": inc.reason}}});
        frame(&mut out, "response.incomplete", &data);
        return out;
    }
    let u = reply.usage.unwrap_or_default();
    let mut response = json!({"id": resp_id, "usage": usage_json(&u)});
    if let Some(end_turn) = reply.end_turn {
        response["end_turn"] = json!(end_turn);
    }
    frame(
        &mut out,
        "response.completed",
        &json!({"type": "response.completed", "response": response}),
    );
    out
}

fn usage_json(u: &UsageSpec) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": u.cached_tokens},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "total_tokens": u.input_tokens + u.output_tokens,
    })
}

fn render_item(out: &mut String, item: &ReplyItem, n: usize, i: usize) {
    let item_id = |given: &Option<String>| given.clone().unwrap_or_else(|| format!("item_{n}_{i}"));
    let call_id = |given: &Option<String>| given.clone().unwrap_or_else(|| format!("call_{n}_{i}"));
    let added = |out: &mut String, item: Value| {
        frame(
            out,
            "response.output_item.added",
            &json!({"type": "response.output_item.added", "output_index": i, "item": item}),
        );
    };
    let done = |out: &mut String, item: Value| {
        frame(
            out,
            "response.output_item.done",
            &json!({"type": "response.output_item.done", "output_index": i, "item": item}),
        );
    };
    if let Some(text) = &item.message {
        let id = format!("item_{n}_{i}");
        added(
            out,
            json!({"type": "message", "role": "assistant", "id": id, "status": "in_progress", "content": []}),
        );
        for part in split_text(text, 20) {
            frame(
                out,
                "response.output_text.delta",
                &json!({"type": "response.output_text.delta", "item_id": id, "output_index": i, "content_index": 0, "delta": part}),
            );
        }
        done(
            out,
            json!({"type": "message", "role": "assistant", "id": id, "status": "completed", "content": [{"type": "output_text", "text": text, "annotations": []}]}),
        );
    } else if let Some(summary) = &item.reasoning {
        let id = format!("rs_{n}_{i}");
        added(out, json!({"type": "reasoning", "id": id, "summary": []}));
        frame(
            out,
            "response.reasoning_summary_text.delta",
            &json!({"type": "response.reasoning_summary_text.delta", "item_id": id, "output_index": i, "summary_index": 0, "delta": summary}),
        );
        done(
            out,
            json!({"type": "reasoning", "id": id, "summary": [{"type": "summary_text", "text": summary}], "encrypted_content": format!("enc_{n}_{i}")}),
        );
    } else if let Some(f) = &item.function_call {
        let arguments = match &f.arguments {
            None => "{}".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        let (id, cid) = (item_id(&f.id), call_id(&f.call_id));
        added(
            out,
            json!({"type": "function_call", "id": id, "call_id": cid, "name": f.name, "arguments": "", "status": "in_progress"}),
        );
        done(
            out,
            json!({"type": "function_call", "id": id, "call_id": cid, "name": f.name, "arguments": arguments, "status": "completed"}),
        );
    } else if let Some(c) = &item.custom_tool_call {
        let (id, cid) = (item_id(&c.id), call_id(&c.call_id));
        added(
            out,
            json!({"type": "custom_tool_call", "id": id, "call_id": cid, "name": c.name, "input": "", "status": "in_progress"}),
        );
        done(
            out,
            json!({"type": "custom_tool_call", "id": id, "call_id": cid, "name": c.name, "input": c.input, "status": "completed"}),
        );
    } else if let Some(raw) = &item.raw {
        done(out, raw.clone());
    }
}

/// `text` in deltas of about `size` bytes, each ending on a char boundary (one empty delta for
/// empty text). The Responses and chat-completions bodies both stream text this way.
pub(super) fn split_text(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    if out.is_empty() {
        out.push("");
    }
    out
}
