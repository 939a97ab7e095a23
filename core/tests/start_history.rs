//! A new thread given a starting history (a sub-agent forked with `fork_context`): its first
//! request sends that history, ids kept, in place of the context items, then the prompt, and
//! its rollout records those items; a prompt of parts alone adds no empty text part.

#[allow(unused_imports)]
mod harness;

use harness::*;
use rcodex_core::protocol::{ContentItem, ResponseItem};
use rcodex_core::session::{Effect, Input, Session, UserTurn};
use serde_json::Value;

fn msg(id: &str, role: &str, text: &str) -> ResponseItem {
    let content = vec![ContentItem::InputText { text: text.into() }];
    ResponseItem::message(Some(id.into()), role, content)
}

/// The first request's `input` and the `response_item` payloads recorded before it.
fn first_request(mut session: Session, turn: UserTurn) -> (Vec<Value>, Vec<Value>) {
    session.handle(START, Input::Submit(turn)).unwrap();
    let mut recorded = Vec::new();
    while let Some(effect) = session.poll() {
        match effect {
            Effect::Record(line) => {
                let line = serde_json::to_value(&*line).unwrap();
                if line["type"] == "response_item" {
                    recorded.push(line["payload"].clone());
                }
            }
            Effect::SendRequest { body, .. } => {
                let body: Value = serde_json::from_str(&body).unwrap();
                return (body["input"].as_array().unwrap().clone(), recorded);
            }
            _ => {}
        }
    }
    panic!("no request sent");
}

#[test]
fn a_forked_thread_sends_its_starting_history_then_the_prompt() {
    let start = vec![
        msg("msg_dev", "developer", "parent developer"),
        msg("msg_env", "user", "<environment_context/>"),
        msg("msg_parent", "user", "PARENT go"),
    ];
    let mut cfg = config();
    cfg.start_history = start.clone();
    let (input, recorded) = first_request(session_with(cfg, 3), UserTurn::text("CHILD go"));
    let start: Vec<Value> = start
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect();
    // The base instructions, the starting history as given, the prompt.
    assert_eq!(input.len(), 5, "{input:?}");
    assert_eq!(input[1..4], start[..]);
    assert_eq!(input[4]["content"][0]["text"], "CHILD go");
    let ids = |items: &[Value]| -> Vec<Value> { items.iter().map(|i| i["id"].clone()).collect() };
    assert_eq!(ids(&recorded[..3]), ids(&start));

    let (fresh, _) = first_request(session(), UserTurn::text("CHILD go"));
    assert!(fresh.iter().all(|i| i["id"] != "msg_parent"));
}

#[test]
fn a_prompt_of_parts_alone_adds_no_text_part() {
    let mut turn = UserTurn::text("");
    turn.leading_content = vec![ContentItem::InputImage {
        image_url: "data:image/png;base64,AAAA".into(),
        detail: None,
    }];
    let (input, _) = first_request(session(), turn);
    let content = input.last().unwrap()["content"].as_array().unwrap().clone();
    assert_eq!(content.len(), 1, "{content:?}");
    assert_eq!(content[0]["type"], "input_image");
}
