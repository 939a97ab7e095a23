use super::*;

fn map(body: Value) -> ChatRequest {
    chat_request(&body.to_string()).unwrap()
}

fn user(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

#[test]
fn instructions_and_developer_messages_become_system_messages() {
    let r = map(json!({
        "model": "qwen",
        "instructions": "Be brief.",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<permissions>"}]},
            user("hi"),
        ],
        "stream": true,
    }));
    assert_eq!(
        r.body["messages"],
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "system", "content": "<permissions>"},
            {"role": "user", "content": "hi"},
        ])
    );
    assert_eq!(r.body["model"], "qwen");
    assert_eq!(r.body["stream"], true);
    assert_eq!(r.body["stream_options"], json!({"include_usage": true}));
    assert!(r.body.get("tools").is_none(), "no tools, no tool keys");
    assert!(r.body.get("tool_choice").is_none());
}

#[test]
fn text_parts_of_one_message_are_joined_as_the_model_reads_them() {
    let r = map(
        json!({"input": [{"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "first part, "},
            {"type": "input_text", "text": "second part"},
        ]}]}),
    );
    assert_eq!(r.body["messages"][0]["content"], "first part, second part");
}

#[test]
fn images_become_image_url_parts_beside_the_text() {
    let r = map(
        json!({"input": [{"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "what is this?"},
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "high"},
        ]}]}),
    );
    assert_eq!(
        r.body["messages"][0]["content"],
        json!([
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "high"}},
        ])
    );
}

#[test]
fn one_responses_reasoning_text_and_calls_are_one_assistant_message() {
    let r = map(json!({"input": [
        user("list files"),
        {"type": "reasoning", "id": "rs_1", "summary": [], "content": [{"type": "reasoning_text", "text": "I should run ls."}], "encrypted_content": null},
        {"type": "message", "role": "assistant", "id": "msg_1", "content": [{"type": "output_text", "text": "Listing."}]},
        {"type": "function_call", "id": "fc_1", "name": "exec_command", "arguments": "{\"cmd\":\"ls\"}", "call_id": "call_1"},
        {"type": "custom_tool_call", "id": "ct_1", "status": "completed", "call_id": "call_2", "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch"},
        {"type": "function_call_output", "call_id": "call_1", "output": "a.txt\n"},
        {"type": "custom_tool_call_output", "call_id": "call_2", "output": "Done!"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "There is a.txt."}]},
    ]}));
    assert_eq!(
        r.body["messages"],
        json!([
            {"role": "user", "content": "list files"},
            {"role": "assistant", "content": "Listing.", "reasoning": "I should run ls.", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "exec_command", "arguments": "{\"cmd\":\"ls\"}"}},
                {"id": "call_2", "type": "function", "function": {"name": "apply_patch", "arguments": "{\"input\":\"*** Begin Patch\\n*** End Patch\"}"}},
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "a.txt\n"},
            {"role": "tool", "tool_call_id": "call_2", "content": "Done!"},
            {"role": "assistant", "content": "There is a.txt."},
        ])
    );
}

#[test]
fn calls_without_text_have_null_content_and_a_new_reasoning_starts_a_new_message() {
    let r = map(json!({"input": [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "summary only"}], "content": null},
        {"type": "function_call", "name": "f", "arguments": "{}", "call_id": "c1"},
        {"type": "reasoning", "summary": [], "content": [{"type": "reasoning_text", "text": "again"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "one"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "two"}]},
    ]}));
    let m = &r.body["messages"];
    assert_eq!(m[0]["content"], Value::Null);
    assert_eq!(m[0]["reasoning"], "summary only");
    assert_eq!(m[0]["tool_calls"][0]["id"], "c1");
    assert_eq!(
        m[1],
        json!({"role": "assistant", "content": "one", "reasoning": "again"})
    );
    assert_eq!(m[2], json!({"role": "assistant", "content": "two"}));
    assert_eq!(m.as_array().unwrap().len(), 3);
}

#[test]
fn a_tool_output_with_an_image_is_a_tool_message_then_a_user_image() {
    let r = map(json!({"input": [
        {"type": "function_call", "name": "view_image", "arguments": "{}", "call_id": "c1"},
        {"type": "function_call_output", "call_id": "c1", "output": [
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
        ]},
    ]}));
    let m = &r.body["messages"];
    assert_eq!(
        m[1],
        json!({"role": "tool", "tool_call_id": "c1", "content": ""})
    );
    assert_eq!(
        m[2],
        json!({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]})
    );
}

#[test]
fn function_tools_nest_and_freeform_tools_take_one_string() {
    let r = map(json!({
        "input": [user("x")],
        "tools": [
            {"type": "function", "name": "exec_command", "description": "Runs a command.", "strict": false,
             "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}},
            {"type": "custom", "name": "apply_patch", "description": "Edits files.",
             "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}},
            {"type": "web_search"},
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": true,
    }));
    assert_eq!(
        r.body["tools"],
        json!([
            {"type": "function", "function": {"name": "exec_command", "description": "Runs a command.",
             "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}, "strict": false}},
            {"type": "function", "function": {"name": "apply_patch", "description": "Edits files.",
             "parameters": {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"], "additionalProperties": false}}},
        ])
    );
    assert_eq!(r.body["tool_choice"], "auto");
    assert_eq!(r.body["parallel_tool_calls"], true);
    assert_eq!(
        r.freeform_tools,
        BTreeSet::from(["apply_patch".to_string()])
    );
}

#[test]
fn output_schema_becomes_response_format_and_effort_is_passed_on() {
    let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let r = map(json!({
        "input": [user("x")],
        "reasoning": {"effort": "high", "summary": "auto"},
        "text": {"verbosity": "low", "format": {"type": "json_schema", "name": "codex_output_schema", "schema": schema, "strict": true}},
        "store": false,
        "include": ["reasoning.encrypted_content"],
    }));
    assert_eq!(
        r.body["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "codex_output_schema", "schema": schema, "strict": true}})
    );
    assert_eq!(r.body["reasoning_effort"], "high");
    for responses_only in [
        "store",
        "include",
        "text",
        "reasoning",
        "input",
        "instructions",
    ] {
        assert!(
            r.body.get(responses_only).is_none(),
            "{responses_only} sent"
        );
    }
}

#[test]
fn unknown_items_are_left_out_and_a_body_that_is_not_json_is_an_error() {
    let r = map(
        json!({"input": [user("x"), {"type": "web_search_call", "id": "ws_1"}, {"type": "future_item"}]}),
    );
    assert_eq!(
        r.body["messages"],
        json!([{"role": "user", "content": "x"}])
    );
    let e = chat_request("not json").unwrap_err();
    assert!(
        e.to_string().starts_with("request body is not JSON:"),
        "{e}"
    );
}
