use super::*;
use proptest::prelude::*;
use rcodex_core::sse::SseDecoder;

fn chunk(delta: Value) -> String {
    json!({"id": "chatcmpl-1", "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
        .to_string()
}

fn finish(reason: &str) -> String {
    json!({"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
        .to_string()
}

fn decode(chunks: &[String]) -> Vec<ResponseEvent> {
    let mut d = ChatStreamDecoder::new(7, BTreeSet::from(["apply_patch".to_string()]));
    chunks.iter().flat_map(|c| d.push(c).unwrap()).collect()
}

fn done_items(events: &[ResponseEvent]) -> Vec<Value> {
    events
        .iter()
        .filter_map(|e| match e {
            ResponseEvent::OutputItemDone { item } => Some(serde_json::to_value(item).unwrap()),
            _ => None,
        })
        .collect()
}

#[test]
fn text_deltas_stream_through_and_done_ends_the_response() {
    let events = decode(&[
        chunk(json!({"role": "assistant", "content": ""})),
        chunk(json!({"content": "Hel"})),
        chunk(json!({"content": "lo"})),
        finish("stop"),
        "[DONE]".into(),
    ]);
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            ResponseEvent::OutputTextDelta { item_id, delta } => {
                assert_eq!(item_id, "msg_chatcmpl-1");
                Some(delta.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(deltas, ["Hel", "lo"]);
    assert_eq!(
        events[0],
        ResponseEvent::Created {
            response_id: "chatcmpl-1".into()
        }
    );
    assert!(matches!(events[1], ResponseEvent::OutputItemAdded { .. }));
    assert_eq!(
        done_items(&events),
        [
            json!({"type": "message", "status": "completed", "id": "msg_chatcmpl-1", "role": "assistant", "content": [{"type": "output_text", "text": "Hello", "annotations": []}]})
        ]
    );
    assert_eq!(
        events.last(),
        Some(&ResponseEvent::Completed {
            response_id: "chatcmpl-1".into(),
            usage: None,
            end_turn: None
        })
    );
}

#[test]
fn split_arguments_of_interleaved_calls_are_assembled_per_index_in_index_order() {
    let call = |index: u64, id: Option<&str>, name: Option<&str>, args: &str| {
        let mut f = json!({"arguments": args});
        if let Some(n) = name {
            f["name"] = json!(n);
        }
        let mut c = json!({"index": index, "function": f});
        if let Some(id) = id {
            c["id"] = json!(id);
        }
        chunk(json!({"tool_calls": [c]}))
    };
    let events = decode(&[
        call(1, Some("call_b"), Some("exec_command"), "{\"cmd\""),
        call(0, None, Some("apply_patch"), "{\"input\":"),
        call(1, None, None, ":\"ls\"}"),
        call(0, None, None, "\"*** Begin Patch\\n*** End Patch\"}"),
        finish("tool_calls"),
        "[DONE]".into(),
    ]);
    let items = done_items(&events);
    assert_eq!(
        items,
        [
            json!({"type": "custom_tool_call", "id": "fc_chatcmpl-1_0", "status": "completed", "call_id": "call_chatcmpl-1_0", "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch"}),
            json!({"type": "function_call", "status": "completed", "id": "fc_chatcmpl-1_1", "name": "exec_command", "arguments": "{\"cmd\":\"ls\"}", "call_id": "call_b"}),
        ]
    );
}

#[test]
fn reasoning_and_reasoning_content_become_one_reasoning_item() {
    let events = decode(&[
        chunk(json!({"reasoning_content": "Think"})),
        chunk(json!({"reasoning": "ing."})),
        chunk(json!({"content": "Answer"})),
        finish("stop"),
        "[DONE]".into(),
    ]);
    let deltas: Vec<&ResponseEvent> = events
        .iter()
        .filter(|e| matches!(e, ResponseEvent::ReasoningTextDelta { .. }))
        .collect();
    assert_eq!(deltas.len(), 2);
    let items = done_items(&events);
    assert_eq!(
        items[0],
        json!({"type": "reasoning", "id": "rs_chatcmpl-1", "summary": [], "content": [{"type": "reasoning_text", "text": "Thinking."}], "encrypted_content": null})
    );
    assert_eq!(items[1]["content"][0]["text"], "Answer");
}

#[test]
fn usage_of_the_last_chunk_is_mapped() {
    let usage = json!({"id": "chatcmpl-1", "choices": [], "usage": {
        "prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150,
        "prompt_tokens_details": {"cached_tokens": 64},
        "completion_tokens_details": {"reasoning_tokens": 12}}});
    let events = decode(&[
        chunk(json!({"content": "x"})),
        finish("stop"),
        usage.to_string(),
        "[DONE]".into(),
    ]);
    let Some(ResponseEvent::Completed { usage: Some(u), .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(
        *u,
        TokenUsage {
            input_tokens: 120,
            cached_input_tokens: 64,
            cache_write_input_tokens: 0,
            output_tokens: 30,
            reasoning_output_tokens: 12,
            total_tokens: 150,
        }
    );
    // Servers that leave out the details and the total still count.
    let bare = json!({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}});
    let events = decode(&[bare.to_string(), "[DONE]".into()]);
    let Some(ResponseEvent::Completed { usage: Some(u), .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!((u.input_tokens, u.output_tokens, u.total_tokens), (5, 2, 7));
}

#[test]
fn no_ids_from_the_server_means_ids_from_the_request() {
    let bare = |delta: Value| json!({"choices": [{"delta": delta}]}).to_string();
    let events = decode(&[
        bare(
            json!({"tool_calls": [{"index": 0, "function": {"name": "exec_command", "arguments": ""}}]}),
        ),
        "[DONE]".into(),
    ]);
    assert_eq!(
        events[0],
        ResponseEvent::Created {
            response_id: "chatcmpl_7".into()
        }
    );
    let items = done_items(&events);
    assert_eq!(items[0]["call_id"], "call_chatcmpl_7_0");
    assert_eq!(
        items[0]["arguments"], "{}",
        "empty arguments are an empty object"
    );
}

#[test]
fn an_error_chunk_is_a_failed_response_and_context_length_stays_recognisable() {
    let events = decode(&[
        chunk(json!({"content": "x"})),
        json!({"error": {"message": "The server had an error.", "type": "server_error", "code": "server_error"}}).to_string(),
    ]);
    assert_eq!(
        events.last(),
        Some(&ResponseEvent::Failed {
            response_id: "chatcmpl-1".into(),
            error: ResponseEventError {
                code: Some("server_error".into()),
                message: Some("The server had an error.".into())
            }
        })
    );
    let vllm = json!({"error": {"message": "This model's maximum context length is 4096 tokens.", "type": "BadRequestError", "code": 400}});
    let events = decode(&[vllm.to_string()]);
    let Some(ResponseEvent::Failed { error, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(error.code.as_deref(), Some("context_length_exceeded"));
    let numeric = json!({"error": {"message": "bad", "code": 500}});
    let events = decode(&[numeric.to_string()]);
    let Some(ResponseEvent::Failed { error, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(error.code.as_deref(), Some("500"));
}

#[test]
fn length_and_content_filter_finish_as_incomplete() {
    for (finish_reason, reason) in [
        ("length", "max_output_tokens"),
        ("content_filter", "content_filter"),
    ] {
        let events = decode(&[
            chunk(json!({"content": "x"})),
            finish(finish_reason),
            "[DONE]".into(),
        ]);
        assert_eq!(
            events.last(),
            Some(&ResponseEvent::Incomplete {
                response_id: "chatcmpl-1".into(),
                reason: reason.into()
            })
        );
    }
}

#[test]
fn whole_calls_without_an_index_are_told_apart_by_position() {
    let events = decode(&[
        chunk(json!({"tool_calls": [
            {"id": "a", "function": {"name": "exec_command", "arguments": "{\"cmd\":\"ls\"}"}},
            {"id": "b", "function": {"name": "exec_command", "arguments": "{\"cmd\":\"pwd\"}"}},
        ]})),
        finish("tool_calls"),
        "[DONE]".into(),
    ]);
    let items = done_items(&events);
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        (items[0]["call_id"].as_str(), items[1]["call_id"].as_str()),
        (Some("a"), Some("b"))
    );
    assert_eq!(items[1]["arguments"], "{\"cmd\":\"pwd\"}");
}

#[test]
fn a_malformed_chunk_is_an_error() {
    let mut d = ChatStreamDecoder::new(1, BTreeSet::new());
    let e = d.push("{\"choices\": [").unwrap_err();
    assert!(
        e.to_string().starts_with("invalid chat-completions chunk:"),
        "{e}"
    );
    assert!(d.push("{\"choices\": \"many\"}").is_err());
}

#[test]
fn items_are_emitted_once_even_when_done_follows_the_finish() {
    let events = decode(&[
        chunk(json!({"content": "x"})),
        finish("stop"),
        "[DONE]".into(),
    ]);
    assert_eq!(done_items(&events).len(), 1);
    let events = decode(&[chunk(json!({"content": "x"})), "[DONE]".into()]);
    assert_eq!(
        done_items(&events).len(),
        1,
        "no finish_reason: items at [DONE]"
    );
}

/// A valid chunk stream as SSE bytes: text, reasoning, two interleaved calls, usage, `[DONE]`.
fn sse_stream() -> Vec<u8> {
    let mut chunks = vec![
        chunk(json!({"role": "assistant", "reasoning_content": "Pondering ünïcödé"})),
        chunk(json!({"content": "Two calls: "})),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "exec_command", "arguments": "{\"cmd\":"}}]}),
        ),
        chunk(
            json!({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "apply_patch", "arguments": "{\"input\":"}}]}),
        ),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"ls\"}"}}]})),
        chunk(json!({"tool_calls": [{"index": 1, "function": {"arguments": "\"p\"}"}}]})),
        finish("tool_calls"),
        json!({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4}}).to_string(),
    ];
    chunks.push("[DONE]".into());
    chunks
        .iter()
        .map(|c| format!("data: {c}\n\n"))
        .collect::<String>()
        .into_bytes()
}

fn decode_pieces(bytes: &[u8], cuts: &[usize]) -> Vec<ResponseEvent> {
    let mut sse = SseDecoder::new();
    let mut d = ChatStreamDecoder::new(3, BTreeSet::from(["apply_patch".to_string()]));
    let mut events = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&bytes.len())) {
        sse.feed(&bytes[start..end]);
        start = end;
        while let Some(frame) = sse.next_frame() {
            events.extend(d.push(&frame.data).unwrap());
        }
    }
    events
}

proptest! {
    #[test]
    fn any_split_into_byte_pieces_decodes_to_the_same_events(
        mut cuts in proptest::collection::vec(0usize..2000, 0..12)
    ) {
        let bytes = sse_stream();
        for c in &mut cuts {
            *c %= bytes.len();
        }
        cuts.sort_unstable();
        let whole = decode_pieces(&bytes, &[]);
        prop_assert_eq!(done_items(&whole).len(), 4);
        let completed_with_usage = matches!(whole.last(), Some(ResponseEvent::Completed { usage: Some(_), .. }));
        prop_assert!(completed_with_usage);
        prop_assert_eq!(decode_pieces(&bytes, &cuts), whole);
    }
}
