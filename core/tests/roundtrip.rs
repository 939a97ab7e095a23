//! Every upstream shape parses into our types and re-serializes byte-identically (same keys, same
//! order). Fixtures are the captured Codex 0.169.0 turn from shared/upstream-examples (prose elided).

use rcodex_core::protocol::{
    EventMsg, ResponseEvent, ResponseItem, ResponsesRequest, RolloutItem, RolloutLine, ThreadEvent,
    ToolSpec,
};
use serde_json::Value;

const ROLLOUT: &str = include_str!("fixtures/upstream/exec-shell-rollout.jsonl");
const EVENTS: &str = include_str!("fixtures/upstream/exec-shell-events.jsonl");
const REQ1: &str = include_str!("fixtures/upstream/exec-shell-request-1.json");
const REQ2: &str = include_str!("fixtures/upstream/exec-shell-request-2.json");
const SSE1: &str = include_str!("fixtures/upstream/exec-shell-response-1.sse");
const SSE2: &str = include_str!("fixtures/upstream/exec-shell-response-2.sse");

#[test]
fn rollout_lines_round_trip_with_key_order() {
    let mut kinds = Vec::new();
    for (n, line) in ROLLOUT.lines().enumerate() {
        let parsed: RolloutLine =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {n}: {e}"));
        let again = serde_json::to_string(&parsed).unwrap();
        assert_eq!(again, line, "line {n} changed on round trip");
        kinds.push(match &parsed.item {
            RolloutItem::SessionMeta(_) => "session_meta".to_string(),
            RolloutItem::ResponseItem(ResponseItem::Other(_)) => "response_item:other".into(),
            RolloutItem::ResponseItem(_) => "response_item".into(),
            RolloutItem::EventMsg(EventMsg::Other(_)) => "event_msg:other".into(),
            RolloutItem::EventMsg(_) => "event_msg".into(),
            RolloutItem::TurnContext(_) => "turn_context".into(),
            RolloutItem::Compacted(_) => "compacted".into(),
            RolloutItem::WorldState(_) => "world_state".into(),
            RolloutItem::TokenUsageRecord(_) => "token_usage_record".into(),
            RolloutItem::Other(_) => "other".into(),
        });
    }
    // Every known line type landed in its typed variant, not in a catch-all.
    assert!(!kinds.iter().any(|k| k.contains("other")), "{kinds:?}");
    assert_eq!(kinds[0], "session_meta");
    assert_eq!(
        kinds.iter().filter(|k| *k == "token_usage_record").count(),
        2
    );
}

#[test]
fn unknown_rollout_line_and_item_types_are_kept() {
    let line = r#"{"timestamp":"t","ordinal":3,"type":"future_thing","payload":{"z":1,"a":[2]}}"#;
    let parsed: RolloutLine = serde_json::from_str(line).unwrap();
    assert!(matches!(parsed.item, RolloutItem::Other(_)));
    assert_eq!(serde_json::to_string(&parsed).unwrap(), line);

    let item =
        r#"{"type":"image_generation_call","id":"ig_1","result":"abc","status":"completed"}"#;
    let parsed: ResponseItem = serde_json::from_str(item).unwrap();
    assert!(matches!(parsed, ResponseItem::Other(_)));
    assert_eq!(serde_json::to_string(&parsed).unwrap(), item);

    let ev = r#"{"type":"event_msg","payload":{"type":"new_event","x":1},"timestamp":"t"}"#;
    let parsed: RolloutLine = serde_json::from_str(ev).unwrap();
    assert!(matches!(
        parsed.item,
        RolloutItem::EventMsg(EventMsg::Other(_))
    ));
}

#[test]
fn exec_json_events_round_trip() {
    for line in EVENTS.lines() {
        let parsed: ThreadEvent = serde_json::from_str(line).unwrap();
        assert!(!matches!(parsed, ThreadEvent::Other(_)), "{line}");
        assert_eq!(serde_json::to_string(&parsed).unwrap(), line);
    }
    for line in [
        r#"{"type":"turn.failed","error":{"message":"boom"}}"#,
        r#"{"type":"error","message":"Reconnecting... 1/5"}"#,
        r#"{"type":"item.started","item":{"id":"item_0","type":"file_change","changes":[{"path":"/w/a.txt","kind":"update"}],"status":"in_progress"}}"#,
        r#"{"type":"item.started","item":{"id":"item_1","type":"todo_list","items":[{"text":"a","completed":false}]}}"#,
        r#"{"type":"item.completed","item":{"id":"item_2","type":"reasoning","text":"thinking"}}"#,
        r#"{"type":"item.updated","item":{"id":"item_3","type":"web_search","query":"q"}}"#,
        r#"{"type":"item.completed","item":{"id":"item_4","type":"error","message":"bad"}}"#,
    ] {
        let parsed: ThreadEvent = serde_json::from_str(line).unwrap();
        assert!(!matches!(parsed, ThreadEvent::Other(_)), "{line}");
        assert_eq!(serde_json::to_string(&parsed).unwrap(), line);
    }
}

fn body_of(capture: &str) -> Value {
    let v: Value = serde_json::from_str(capture).unwrap();
    v["body"].clone()
}

#[test]
fn request_bodies_round_trip_with_key_order() {
    for capture in [REQ1, REQ2] {
        let body = body_of(capture);
        let text = serde_json::to_string(&body).unwrap();
        let parsed: ResponsesRequest = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
        assert!(parsed
            .input
            .iter()
            .all(|i| !matches!(i, ResponseItem::Other(_))));
        let tools = parsed.tools.as_deref().unwrap();
        assert!(matches!(tools[0], ToolSpec::Function { .. }));
        assert!(tools.iter().any(|t| matches!(t, ToolSpec::Custom { .. })));
        assert_eq!(tools[0].name(), "exec_command");
    }
}

#[test]
fn every_item_shape_round_trips() {
    for item in [
        r#"{"type":"message","id":"m1","role":"user","content":[{"type":"input_text","text":"hi"},{"type":"input_image","image_url":"data:image/png;base64,AA=="}]}"#,
        r#"{"type":"message","status":"completed","id":"m2","role":"assistant","content":[{"type":"output_text","text":"ok","annotations":[]}]}"#,
        r#"{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"s"}],"content":null,"encrypted_content":"gAAA"}"#,
        r#"{"type":"reasoning","id":"rs_2","summary":[],"content":[{"type":"reasoning_text","text":"raw"}],"encrypted_content":null}"#,
        r#"{"type":"function_call","status":"completed","id":"fc_1","name":"exec_command","arguments":"{}","call_id":"c1"}"#,
        r#"{"type":"function_call_output","id":"fco_1","call_id":"c1","output":"done"}"#,
        r#"{"type":"function_call_output","call_id":"c2","output":[{"type":"input_image","image_url":"data:image/png;base64,AA=="}]}"#,
        // Codex's key order (captured): type, id, status, call_id, name, input.
        r#"{"type":"custom_tool_call","id":"ctc_1","status":"completed","call_id":"c3","name":"apply_patch","input":"*** Begin Patch"}"#,
        r#"{"type":"custom_tool_call_output","id":"ctco_1","call_id":"c3","output":"Exit code: 0"}"#,
        r#"{"type":"local_shell_call","id":"lsc_1","call_id":"c4","status":"completed","action":{"type":"exec","command":["ls"],"timeout_ms":1000}}"#,
        r#"{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"rust"}}"#,
    ] {
        let parsed: ResponseItem = serde_json::from_str(item).unwrap();
        assert!(!matches!(parsed, ResponseItem::Other(_)), "{item}");
        assert_eq!(serde_json::to_string(&parsed).unwrap(), item);
    }
}

#[test]
fn sse_payloads_parse_into_events() {
    let mut kinds = Vec::new();
    for sse in [SSE1, SSE2] {
        for line in sse.lines().filter_map(|l| l.strip_prefix("data: ")) {
            kinds.push(ResponseEvent::from_json(line).unwrap());
        }
    }
    assert!(
        matches!(&kinds[0], ResponseEvent::Created { response_id } if response_id == "resp_mock_1")
    );
    assert!(
        matches!(&kinds[2], ResponseEvent::OutputItemDone { item: ResponseItem::FunctionCall(c) } if c.call_id == "call_shell_1")
    );
    match &kinds[3] {
        ResponseEvent::Completed { usage: Some(u), .. } => {
            assert_eq!(
                (u.input_tokens, u.output_tokens, u.total_tokens),
                (100, 10, 110)
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(kinds.iter().any(|k| matches!(k, ResponseEvent::OutputTextDelta { delta, .. } if delta == "The directory contai")));
    for (data, want) in [
        (
            r#"{"type":"response.failed","response":{"id":"r","error":{"code":"context_length_exceeded","message":"too long"}}}"#,
            "failed",
        ),
        (
            r#"{"type":"response.incomplete","response":{"id":"r","incomplete_details":{"reason":"max_output_tokens"}}}"#,
            "incomplete",
        ),
        (
            r#"{"type":"response.reasoning_summary_text.delta","item_id":"rs","summary_index":0,"delta":"x"}"#,
            "summary",
        ),
        (
            r#"{"type":"response.reasoning_text.delta","item_id":"rs","content_index":0,"delta":"x"}"#,
            "text",
        ),
        (r#"{"type":"response.in_progress"}"#, "other"),
    ] {
        let ev = ResponseEvent::from_json(data).unwrap();
        let got = match ev {
            ResponseEvent::Failed { error, .. } => {
                assert_eq!(error.code.as_deref(), Some("context_length_exceeded"));
                "failed"
            }
            ResponseEvent::Incomplete { reason, .. } => {
                assert_eq!(reason, "max_output_tokens");
                "incomplete"
            }
            ResponseEvent::ReasoningSummaryDelta { .. } => "summary",
            ResponseEvent::ReasoningTextDelta { .. } => "text",
            ResponseEvent::Other { .. } => "other",
            other => panic!("{other:?}"),
        };
        assert_eq!(got, want);
    }
    assert!(ResponseEvent::from_json("{not json").is_err());
    assert!(ResponseEvent::from_json(r#"{"type":"response.output_item.done"}"#).is_err());
}
