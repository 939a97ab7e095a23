//! The hand-written readers give what serde's derive gives: `RolloutLine::from_json_slice`,
//! `ResponseItem::from_json` and `EventMsg::from_json` against `serde_json::from_slice` of the
//! derived types, and the one-pass `Deserialize` of the structs with an `extra` map against a
//! derived twin that flattens it. On every fixture rollout, and by proptest on lines made of
//! shuffled, repeated, missing and mistyped keys.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use rcodex_core::protocol::event_msg::TokenCount;
use rcodex_core::protocol::response_item::{MessageItem, ReasoningItem};
use rcodex_core::protocol::{EventMsg, ResponseItem, RolloutItem, RolloutLine};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("../tests/fixtures/rollouts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files.push(root.join("tests/fixtures/upstream/exec-shell-rollout.jsonl"));
    files
}

/// Both readers agree: both fail, or both give equal values that serialize to equal bytes.
/// Returns the serialized text when both read.
fn agree<T: PartialEq + std::fmt::Debug + Serialize>(
    what: &str,
    fast: serde_json::Result<T>,
    derived: serde_json::Result<T>,
) -> Option<String> {
    match (fast, derived) {
        (Ok(fast), Ok(derived)) => {
            assert_eq!(fast, derived, "{what}");
            let text = serde_json::to_string(&fast).unwrap();
            assert_eq!(text, serde_json::to_string(&derived).unwrap(), "{what}");
            Some(text)
        }
        (Err(_), Err(_)) => None,
        (fast, derived) => panic!("{what}: fast {fast:?}, derived {derived:?}"),
    }
}

fn derived<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    serde_json::from_slice(bytes)
}

#[test]
fn every_fixture_line_reads_as_the_derive_reads_it_and_round_trips_byte_identically() {
    let (mut lines, mut identical, mut typed_items, mut typed_events) = (0, 0, 0, 0);
    for file in fixture_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let what = format!("{}:{}", file.display(), n + 1);
            let bytes = line.as_bytes();
            lines += 1;
            let read = agree(
                &what,
                RolloutLine::from_json_slice(bytes),
                derived::<RolloutLine>(bytes),
            );
            if read.as_deref() == Some(line) {
                identical += 1;
            }
            // Flat records (Codex 0.29) are bare items; every line is also tried as one.
            let item = agree(
                &what,
                ResponseItem::from_json_slice(bytes),
                derived::<ResponseItem>(bytes),
            );
            if read.is_none() && item.as_deref() == Some(line) {
                identical += 1;
            }
            let Ok(parsed) = RolloutLine::from_json_slice(bytes) else {
                continue;
            };
            let payload = serde_json::from_str::<Value>(line).unwrap()["payload"].to_string();
            match parsed.item {
                RolloutItem::ResponseItem(item) => {
                    typed_items += usize::from(!matches!(item, ResponseItem::Other(_)));
                    agree(
                        &what,
                        ResponseItem::from_json(&payload),
                        derived(payload.as_bytes()),
                    );
                }
                RolloutItem::EventMsg(event) => {
                    typed_events += usize::from(!matches!(event, EventMsg::Other(_)));
                    agree(
                        &what,
                        EventMsg::from_json(&payload),
                        derived(payload.as_bytes()),
                    );
                }
                _ => {}
            }
        }
    }
    assert!(lines > 300, "{lines} lines");
    assert!(identical > 250, "{identical} of {lines} lines round-trip");
    assert!(
        typed_items > 100 && typed_events > 50,
        "{typed_items} {typed_events}"
    );
}

#[test]
fn lines_the_derive_keeps_as_other_stay_other_with_every_key_but_the_envelope() {
    let cases = [
        // Unknown type, an extra top-level key, metadata kept apart.
        r#"{"timestamp":"t","z":1,"type":"future","payload":{"b":1,"a":2},"metadata":{"history_sequence":1,"sampled_through_sequence":1,"client_authored":true}}"#,
        // A known type whose payload does not read.
        r#"{"timestamp":"t","type":"session_meta","payload":{"id":"x"}}"#,
        // Type given twice, payload missing, type not a string.
        r#"{"timestamp":"t","type":"compacted","type":"compacted","payload":{"message":"m"}}"#,
        r#"{"timestamp":"t","ordinal":4,"type":"compacted"}"#,
        r#"{"timestamp":"t","type":["compacted"],"payload":{"message":"m"}}"#,
    ];
    for line in cases {
        let fast = RolloutLine::from_json_slice(line.as_bytes()).unwrap();
        assert!(matches!(fast.item, RolloutItem::Other(_)), "{line}");
        agree(line, Ok(fast), serde_json::from_str::<RolloutLine>(line));
    }
    // Known item types with a field that does not read are kept whole, their `type` too.
    let item = r#"{"type":"message","role":5,"content":[]}"#;
    assert_eq!(
        ResponseItem::from_json(item).unwrap(),
        ResponseItem::Other(serde_json::from_str(item).unwrap())
    );
    let event = r#"{"role":"x","type":"task_started"}"#;
    assert!(matches!(
        EventMsg::from_json(event).unwrap(),
        EventMsg::Other(_)
    ));
}

#[test]
fn envelope_errors_read_as_the_derive_words_them() {
    for line in [
        r#"{"timestamp":5,"type":"response_item","payload":{}}"#,
        r#"{"type":"response_item","payload":{}}"#,
        r#"{"timestamp":"t","timestamp":"u","type":"compacted","payload":{"message":"m"}}"#,
        r#"{"timestamp":"t","metadata":{"history_sequence":"x"},"type":"world_state","payload":1}"#,
        r#"{"timestamp":"t","type":"#,
        r#"[1,2]"#,
    ] {
        let fast = RolloutLine::from_json_slice(line.as_bytes()).unwrap_err();
        let derived = serde_json::from_str::<RolloutLine>(line).unwrap_err();
        let words =
            |e: &serde_json::Error| e.to_string().split(" at line ").next().unwrap().to_string();
        assert_eq!(words(&fast), words(&derived), "{line}");
    }
}

/// `MessageItem` as serde derives it: the reference for its hand-written `Deserialize`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct DerivedMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    role: String,
    content: Vec<rcodex_core::protocol::ContentItem>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// `ReasoningItem` as serde derives it (a `#[serde(default)]` Vec, Options that serialize null).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct DerivedReasoning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default)]
    summary: Vec<rcodex_core::protocol::response_item::ReasoningSummary>,
    #[serde(default)]
    content: Option<Vec<rcodex_core::protocol::response_item::ReasoningContent>>,
    #[serde(default)]
    encrypted_content: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// `TokenCount` as serde derives it (a required Option, a `#[serde(default)]` Value).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct DerivedTokenCount {
    info: Option<rcodex_core::protocol::event_msg::TokenCountInfo>,
    #[serde(default)]
    rate_limits: Value,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// Reads `text` as `Hand` and as its derived twin `Twin`: both fail with the same words, or
/// both serialize to the same JSON.
fn same_as_twin<Hand, Twin>(text: &str)
where
    Hand: DeserializeOwned + Serialize + std::fmt::Debug,
    Twin: DeserializeOwned + Serialize + std::fmt::Debug,
{
    let hand = serde_json::from_str::<Hand>(text);
    let twin = serde_json::from_str::<Twin>(text);
    match (hand, twin) {
        (Ok(hand), Ok(twin)) => assert_eq!(
            serde_json::to_string(&hand).unwrap(),
            serde_json::to_string(&twin).unwrap(),
            "{text}"
        ),
        (Err(hand), Err(twin)) => assert_eq!(hand.to_string(), twin.to_string(), "{text}"),
        (hand, twin) => panic!("{text}: hand-written {hand:?}, derived {twin:?}"),
    }
}

/// A JSON object written key by key, so keys can repeat and come in any order.
fn object(entries: Vec<(String, String)>) -> String {
    let body: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("{}:{v}", Value::from(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn entries(
    keys: &'static [&'static str],
    values: &'static [&'static str],
    max: usize,
) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (prop::sample::select(keys), prop::sample::select(values))
            .prop_map(|(k, v)| (k.to_string(), v.to_string())),
        0..max,
    )
}

const VALUES: &[&str] = &[
    r#""s""#,
    r#""a\"b""#,
    "5",
    "-2.5",
    "null",
    "true",
    "[]",
    r#"[{"type":"input_text","text":"hi"}]"#,
    r#"[{"type":"summary_text","text":"x"},{"type":"other","y":1}]"#,
    r#"{"a":{"b":[1,2]}}"#,
    r#"{"total_token_usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":2,"reasoning_output_tokens":0,"total_tokens":3},"last_token_usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":2,"reasoning_output_tokens":0,"total_tokens":3},"model_context_window":100}"#,
];

/// Envelope keys and values, payloads of every line type in shapes that read and shapes that
/// do not, for whole-line comparisons.
const LINE_KEYS: &[&str] = &["timestamp", "ordinal", "type", "payload", "metadata", "x"];
const LINE_TYPES: &[&str] = &[
    r#""session_meta""#,
    r#""response_item""#,
    r#""event_msg""#,
    r#""turn_context""#,
    r#""compacted""#,
    r#""world_state""#,
    r#""token_usage_record""#,
    r#""future""#,
    "7",
];
const PAYLOADS: &[&str] = &[
    r#"{"id":"i","timestamp":"t","cwd":"/w","originator":"o","cli_version":"1","git":{"a":1}}"#,
    r#"{"id":"i","timestamp":"t","cwd":"/w","originator":"o"}"#,
    r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}],"internal_chat_message_metadata_passthrough":{"k":1}}"#,
    r#"{"role":"assistant","type":"message","content":[{"type":"output_text","text":"a"}],"status":"completed"}"#,
    r#"{"type":"message","type":"message","role":"user","content":[]}"#,
    r#"{"type":"message","content":[]}"#,
    r#"{"type":"reasoning","summary":[],"content":null,"encrypted_content":"e"}"#,
    r#"{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c"}"#,
    r#"{"type":"function_call_output","call_id":"c","output":"done"}"#,
    r#"{"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"x"}]}"#,
    r#"{"type":"custom_tool_call","name":"apply_patch","input":"*** Begin","call_id":"c","status":"completed"}"#,
    r#"{"type":"local_shell_call","status":"completed","action":{"type":"exec","command":["ls"]}}"#,
    r#"{"type":"web_search_call","id":"w","action":{"q":1}}"#,
    r#"{"type":"ghost_snapshot","ghost_commit":{"id":"g"}}"#,
    r#"{"type":"task_started","turn_id":"u","model_context_window":5}"#,
    r#"{"type":"task_started"}"#,
    r#"{"type":"task_complete","turn_id":"u","last_agent_message":null}"#,
    r#"{"type":"token_count","info":null,"rate_limits":{"p":1}}"#,
    r#"{"type":"token_count"}"#,
    r#"{"type":"item_completed","thread_id":"t","turn_id":"u","item":{"type":"UserMessage","id":"m"},"started_at_ms":1,"completed_at_ms":2}"#,
    r#"{"type":"thread_settings_applied","thread_id":"t","thread_settings":{}}"#,
    r#"{"type":"turn_aborted","reason":"interrupted"}"#,
    r#"{"type":"agent_message","message":"m"}"#,
    r#"{"cwd":"/w","approval_policy":"never","model":"gpt-5.5","effort":"low","extra":[1]}"#,
    r#"{"message":"m","replacement_history":[{"type":"message","role":"user","content":[]}]}"#,
    r#"{"thread_id":"t","turn_id":"u","session_id":"s","root_turn_id":"u","response_id":"r","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":2,"reasoning_output_tokens":0,"total_tokens":3},"turn_token_usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":2,"reasoning_output_tokens":0,"total_tokens":3},"thread_token_usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":2,"reasoning_output_tokens":0,"total_tokens":3}}"#,
    "null",
    "[1]",
    r#""text""#,
];

fn line_entry() -> impl Strategy<Value = (String, String)> {
    prop::sample::select(LINE_KEYS).prop_flat_map(|key| {
        let values: &'static [&'static str] = match key {
            "timestamp" => &[r#""2026-01-02T03:04:05.678Z""#, "5", "null"],
            "ordinal" => &["3", "null", r#""x""#],
            "type" => LINE_TYPES,
            "payload" => PAYLOADS,
            "metadata" => &[
                r#"{"history_sequence":1,"sampled_through_sequence":2,"client_authored":false,"z":1}"#,
                "null",
                r#"{"history_sequence":1}"#,
            ],
            _ => VALUES,
        };
        prop::sample::select(values).prop_map(move |v| (key.to_string(), v.to_string()))
    })
}

/// A line that usually has a timestamp, a type and a payload, in any order, sometimes twice.
fn line() -> impl Strategy<Value = String> {
    (
        prop::sample::select(LINE_TYPES),
        prop::sample::select(PAYLOADS),
        prop::collection::vec(line_entry(), 0..4),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(kind, payload, more, at)| {
            let mut entries = vec![
                (
                    "timestamp".to_string(),
                    r#""2026-01-02T03:04:05.678Z""#.to_string(),
                ),
                ("type".to_string(), kind.to_string()),
                ("payload".to_string(), payload.to_string()),
            ];
            for e in more {
                let i = at.index(entries.len() + 1);
                entries.insert(i, e);
            }
            object(entries)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_line_reads_as_the_derive_reads_it(text in line()) {
        agree(&text, RolloutLine::from_json_slice(text.as_bytes()), derived::<RolloutLine>(text.as_bytes()));
    }

    #[test]
    fn any_line_of_random_keys_reads_as_the_derive_reads_it(entries in prop::collection::vec(line_entry(), 0..7)) {
        let text = object(entries);
        agree(&text, RolloutLine::from_json_slice(text.as_bytes()), derived::<RolloutLine>(text.as_bytes()));
    }

    #[test]
    fn any_item_or_event_reads_as_the_derive_reads_it(
        payload in prop::sample::select(PAYLOADS),
        more in entries(&["type", "role", "content", "status", "turn_id", "x"], VALUES, 3),
    ) {
        // The payload's own keys, then a few more (maybe repeating one, maybe a second type).
        let mut text = payload.to_string();
        if let (Some(body), false) = (text.strip_suffix('}'), more.is_empty()) {
            let tail = object(more);
            let sep = if body.ends_with('{') { "" } else { "," };
            text = format!("{body}{sep}{}", &tail[1..]);
        }
        agree(&text, ResponseItem::from_json(&text), derived(text.as_bytes()));
        agree(&text, EventMsg::from_json(&text), derived(text.as_bytes()));
    }

    #[test]
    fn structs_with_extra_keys_read_as_their_derived_twins(
        message in entries(&["status", "id", "role", "content", "type", "x", "y"], VALUES, 7),
        reasoning in entries(&["id", "summary", "content", "encrypted_content", "type", "x"], VALUES, 6),
        count in entries(&["info", "rate_limits", "x", "type"], VALUES, 4),
    ) {
        same_as_twin::<MessageItem, DerivedMessage>(&object(message));
        same_as_twin::<ReasoningItem, DerivedReasoning>(&object(reasoning));
        same_as_twin::<TokenCount, DerivedTokenCount>(&object(count));
    }
}

/// `ContentItem` as serde derives it: the reference for its hand-written `Deserialize`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum DerivedContentItem {
    InputText {
        text: String,
    },
    InputImage {
        image_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    OutputText {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        annotations: Option<Vec<Value>>,
    },
    #[serde(untagged)]
    Other(Value),
}

/// `FunctionCallOutputPayload` over the derived parts: content items read through serde's
/// buffered (untagged) deserializer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum DerivedOutputPayload {
    Text(String),
    Content(Vec<DerivedContentItem>),
}

const PART_VALUES: &[&str] = &[
    r#""input_text""#,
    r#""input_image""#,
    r#""output_text""#,
    r#""refusal""#,
    r#""t""#,
    "null",
    "5",
    "-2.5",
    "[]",
    r#"[{"u":1}]"#,
    r#"{"a":1}"#,
    "true",
];

fn content_part() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (
            prop::sample::select(PART_VALUES),
            entries(&["type", "text", "image_url", "detail", "annotations", "x"], PART_VALUES, 5),
        )
            .prop_map(|(tag, mut rest)| {
                rest.insert(0, ("type".to_string(), tag.to_string()));
                object(rest)
            }),
        1 => entries(&["type", "text", "x"], PART_VALUES, 3).prop_map(object),
        1 => prop::sample::select(PART_VALUES).prop_map(str::to_string),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn content_parts_read_as_the_derive_reads_them(
        part in content_part(),
        more in prop::collection::vec(content_part(), 0..3),
        shuffle in any::<prop::sample::Index>(),
    ) {
        use rcodex_core::protocol::{ContentItem, FunctionCallOutputPayload};
        same_as_twin::<ContentItem, DerivedContentItem>(&part);
        let value: Value = serde_json::from_str(&part).unwrap();
        let hand = serde_json::to_string(&serde_json::from_value::<ContentItem>(value.clone()).unwrap()).unwrap();
        let twin = serde_json::to_string(&serde_json::from_value::<DerivedContentItem>(value).unwrap()).unwrap();
        prop_assert_eq!(hand, twin);
        // As the items of a tool output, read through serde's untagged buffering.
        let mut parts = more;
        parts.insert(shuffle.index(parts.len() + 1), part);
        let list = format!("[{}]", parts.join(","));
        same_as_twin::<FunctionCallOutputPayload, DerivedOutputPayload>(&list);
        same_as_twin::<Vec<ContentItem>, Vec<DerivedContentItem>>(&list);
    }
}
