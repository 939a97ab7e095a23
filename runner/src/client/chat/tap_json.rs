//! Responses-wire JSON for the events the adapter made, so a stream tap (`batch --live
//! --record`) sees a chat provider's answer in the one format it records.

use rcodex_core::protocol::{ResponseEvent, TokenUsage};
use serde_json::{json, Value};

/// The `data:` payload a Responses server would have sent for `event`; `None` for events the
/// tap has no use for (deltas, `response.created`).
pub fn responses_wire_json(event: &ResponseEvent) -> Option<String> {
    let v = match event {
        ResponseEvent::OutputItemDone { item } => {
            json!({"type": "response.output_item.done", "item": item})
        }
        ResponseEvent::Completed {
            response_id, usage, ..
        } => {
            json!({"type": "response.completed", "response": {"id": response_id, "usage": usage.as_ref().map(wire_usage)}})
        }
        ResponseEvent::Failed { response_id, error } => {
            json!({"type": "response.failed", "response": {"id": response_id, "error": error}})
        }
        ResponseEvent::Incomplete {
            response_id,
            reason,
        } => {
            json!({"type": "response.incomplete", "response": {"id": response_id, "incomplete_details": {"reason": reason}}})
        }
        _ => return None,
    };
    Some(v.to_string())
}

fn wire_usage(u: &TokenUsage) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": u.cached_input_tokens},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_output_tokens},
        "total_tokens": u.total_tokens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcodex_core::protocol::ResponseEventError;

    /// What the tap is given parses back to the same event on the Responses side.
    #[test]
    fn terminal_events_and_items_round_trip_through_the_responses_parser() {
        let item = serde_json::from_value(
            json!({"type": "function_call", "name": "f", "arguments": "{}", "call_id": "c"}),
        )
        .unwrap();
        let usage = TokenUsage {
            input_tokens: 10,
            cached_input_tokens: 4,
            cache_write_input_tokens: 0,
            output_tokens: 3,
            reasoning_output_tokens: 1,
            total_tokens: 13,
        };
        for event in [
            ResponseEvent::OutputItemDone { item },
            ResponseEvent::Completed {
                response_id: "r".into(),
                usage: Some(usage),
                end_turn: None,
            },
            ResponseEvent::Failed {
                response_id: "r".into(),
                error: ResponseEventError {
                    code: Some("server_error".into()),
                    message: Some("boom".into()),
                },
            },
            ResponseEvent::Incomplete {
                response_id: "r".into(),
                reason: "max_output_tokens".into(),
            },
        ] {
            let json = responses_wire_json(&event).unwrap();
            assert_eq!(ResponseEvent::from_json(&json).unwrap(), event, "{json}");
        }
        let delta = ResponseEvent::OutputTextDelta {
            item_id: "m".into(),
            delta: "x".into(),
        };
        assert_eq!(responses_wire_json(&delta), None);
    }
}
