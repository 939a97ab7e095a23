use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn ns() -> Vec<String> {
    vec!["multi_agent_v1".to_string()]
}

/// The tool names of each namespace entry, in order.
fn names(tools: &[Value]) -> Vec<(String, Vec<String>)> {
    tools
        .iter()
        .map(|n| {
            let inner = n["tools"].as_array().unwrap();
            let names = inner
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_string());
            (n["name"].as_str().unwrap().to_string(), names.collect())
        })
        .collect()
}

#[test]
fn agent_loads_the_five_sub_agent_tools_in_one_namespace() {
    let tools = answer(&json!({"query": "agent", "limit": 20}), &ns());
    let got = names(&tools);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "multi_agent_v1");
    let mut found = got[0].1.clone();
    assert_eq!(found.len(), 5, "{found:?}");
    found.sort();
    assert_eq!(
        found,
        [
            "close_agent",
            "resume_agent",
            "send_input",
            "spawn_agent",
            "wait_agent"
        ]
    );
    // Codex's keys, in Codex's order.
    let keys: Vec<&str> = tools[0]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, ["type", "name", "description", "tools"]);
    let spec = &tools[0]["tools"][0];
    let keys: Vec<&str> = spec
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "type",
            "name",
            "description",
            "strict",
            "defer_loading",
            "parameters"
        ]
    );
    assert_eq!(spec["strict"], false);
    assert_eq!(spec["defer_loading"], true);
}

#[test]
fn the_limit_cuts_the_ranked_list() {
    let three = answer(&json!({"query": "agent", "limit": 3}), &ns());
    assert_eq!(names(&three)[0].1.len(), 3);
    let all = answer(&json!({"query": "agent", "limit": 20}), &ns());
    assert_eq!(names(&three)[0].1, names(&all)[0].1[..3].to_vec());
    let one = answer(&json!({"query": "spawn", "limit": 1}), &ns());
    assert_eq!(names(&one)[0].1, ["spawn_agent"]);
}

#[test]
fn a_name_word_finds_its_tool() {
    let wait = answer(&json!({"query": "wait", "limit": 20}), &ns());
    assert_eq!(names(&wait)[0].1[0], "wait_agent");
    let send = answer(&json!({"query": "send message", "limit": 20}), &ns());
    assert_eq!(names(&send)[0].1[0], "send_input");
    // Case and plurals do not matter (Codex: "AGENT" and "sub-agents" found all five).
    for query in ["AGENT", "sub-agents"] {
        let found = answer(&json!({"query": query, "limit": 20}), &ns());
        assert_eq!(names(&found)[0].1.len(), 5, "{query}");
    }
}

#[test]
fn malformed_searches_load_nothing_as_codex_answers_them() {
    // Each captured from Codex 0.169: `tools: []` and the turn goes on.
    let cases = [
        (json!({"limit": 5}), "missing field `query`"),
        (json!("{\"query\":\"agent\"}"), "invalid type: string"),
        (json!(null), "invalid type: null"),
        (json!({"query": 5}), "invalid type: integer"),
        (json!({"query": "agent", "limit": -1}), "invalid value"),
        (
            json!({"query": "agent", "limit": 2.5}),
            "invalid type: floating point",
        ),
        (
            json!({"query": "agent", "limit": "3"}),
            "invalid type: string",
        ),
        (
            json!({"query": "agent", "limit": 0}),
            "limit must be greater than zero",
        ),
        (json!({"query": "", "limit": 5}), "query must not be empty"),
        (
            json!({"query": "  ", "limit": 5}),
            "query must not be empty",
        ),
    ];
    for (args, why) in cases {
        let err = search(&args, &ns()).unwrap_err().to_string();
        assert!(err.contains(why), "{args}: {err}");
        assert!(answer(&args, &ns()).is_empty(), "{args}");
    }
}

#[test]
fn what_codex_reads_leniently_rcodex_reads_too() {
    // Unknown words load nothing without an error; extra keys are ignored; an array reads as
    // [query, limit]; no limit and a huge limit load everything that matches.
    assert_eq!(
        search(&json!({"query": "zzqqxx", "limit": 5}), &ns()),
        Ok(vec![])
    );
    let extra = answer(&json!({"query": "agent", "limit": 2, "foo": 1}), &ns());
    assert_eq!(names(&extra)[0].1.len(), 2);
    for args in [
        json!(["agent"]),
        json!({"query": "agent"}),
        json!({"query": "agent", "limit": 1_000_000}),
    ] {
        assert_eq!(names(&answer(&args, &ns()))[0].1.len(), 5, "{args}");
    }
}

#[test]
fn no_deferred_namespace_loads_nothing() {
    assert!(answer(&json!({"query": "agent"}), &[]).is_empty());
    assert!(answer(&json!({"query": "agent"}), &["other_ns".to_string()]).is_empty());
}

#[test]
fn spawn_agent_lists_the_catalog_models() {
    let found = answer(&json!({"query": "spawn", "limit": 1}), &ns());
    let text = found[0]["tools"][0]["description"].as_str().unwrap();
    for slug in crate::tool_set::catalog_slugs() {
        assert!(text.contains(slug), "{slug} missing from {text}");
    }
}

proptest! {
    #[test]
    fn no_search_input_panics(raw in any::<String>(), limit in any::<i64>(), q in ".{0,40}") {
        for args in [
            serde_json::from_str::<Value>(&raw).unwrap_or(Value::String(raw.clone())),
            json!({"query": q, "limit": limit}),
            json!({"query": q}),
            json!([q, limit]),
        ] {
            let tools = answer(&args, &ns());
            prop_assert!(tools.len() <= 1);
        }
    }
}

/// The turn loop with a search in it, driven in virtual time.
mod in_a_turn {
    use serde_json::{json, Value};

    use crate::context::{EnvironmentContext, InitialContext};
    use crate::ids::SeededIds;
    use crate::protocol::ResponseItem;
    use crate::sandbox::SandboxMode;
    use crate::session::{Effect, Session, SessionConfig, ToolOutput, TurnStatus, UserTurn};
    use crate::sim::{ReplyBuilder, ScriptedReply, Sim};
    use crate::tool_set::{model_facts, typed_tool_specs, ToolsConfig};

    fn session(tools: ToolsConfig) -> Session {
        let env = EnvironmentContext::new("/w", SandboxMode::ReadOnly, "2026-12-05", "Etc/UTC");
        let mut cfg = SessionConfig::new(InitialContext::defaults(env));
        cfg.tools = typed_tool_specs(&model_facts("gpt-5.5"), &tools);
        cfg.deferred_namespaces = crate::tool_set::deferred_namespaces(&tools);
        Session::new(cfg, Box::new(SeededIds::new(7)))
    }

    fn search_call(arguments: Value) -> ResponseItem {
        serde_json::from_value(json!({
            "type": "tool_search_call", "id": "ts_1", "call_id": "call_ts_1",
            "execution": "client", "status": "completed", "arguments": arguments
        }))
        .unwrap()
    }

    fn spawn_call() -> ResponseItem {
        serde_json::from_value(json!({
            "type": "function_call", "id": "fc_1", "call_id": "call_spawn", "status": "completed",
            "name": "spawn_agent", "namespace": "multi_agent_v1",
            "arguments": "{\"message\":\"hi\"}"
        }))
        .unwrap()
    }

    fn run(tools: ToolsConfig, arguments: Value) -> Sim {
        let replies: Vec<ScriptedReply> = vec![
            ReplyBuilder::new(1)
                .item(search_call(arguments))
                .completed(100, 10),
            ReplyBuilder::new(2).item(spawn_call()).completed(100, 10),
            ReplyBuilder::new(3).message("done").completed(100, 10),
        ];
        let tool = Box::new(|_: &crate::session::ToolCall| {
            (
                ToolOutput::text("{\"agent_id\":\"a\"}".to_string(), true),
                5,
            )
        });
        let mut sim = Sim::new(session(tools), 1_000, replies, tool);
        let outcome = sim.run_turn(UserTurn::text("find agent tools"));
        assert_eq!(outcome.status, TurnStatus::Completed);
        sim
    }

    #[test]
    fn a_search_is_answered_in_history_and_its_tools_become_callable() {
        let sim = run(
            ToolsConfig::default(),
            json!({"query": "agent", "limit": 20}),
        );
        let requests = sim.requests();
        assert_eq!(requests.len(), 3);
        let input = requests[1]["input"].as_array().unwrap();
        let n = input.len();
        let call = serde_json::to_string(&input[n - 2]).unwrap();
        assert_eq!(
            call,
            r#"{"type":"tool_search_call","id":"ts_1","call_id":"call_ts_1","status":"completed","execution":"client","arguments":{"query":"agent","limit":20}}"#,
            "written back in Codex's key order"
        );
        let output = &input[n - 1];
        let keys: Vec<&str> = output
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            ["type", "id", "call_id", "status", "execution", "tools"]
        );
        assert!(output["id"].as_str().unwrap().starts_with("tso_"));
        assert_eq!(output["call_id"], "call_ts_1");
        assert_eq!(output["status"], "completed");
        assert_eq!(output["tools"][0]["tools"].as_array().unwrap().len(), 5);
        // The tools array of later requests is unchanged: loaded tools live in the output only.
        assert_eq!(requests[0]["tools"], requests[1]["tools"]);
        assert_eq!(requests[0]["tools"], requests[2]["tools"]);
        // The search ran nowhere; the namespaced call went to the runner with its namespace.
        let runs: Vec<_> = sim
            .log
            .iter()
            .filter_map(|e| match e {
                Effect::RunTool { call, .. } => Some(call.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].name, "spawn_agent");
        assert_eq!(runs[0].namespace.as_deref(), Some("multi_agent_v1"));
        let third = requests[2]["input"].as_array().unwrap();
        assert_eq!(third.last().unwrap()["output"], "{\"agent_id\":\"a\"}");
        // Both search items are recorded as response items, in order; --json shows nothing.
        let kinds: Vec<String> = sim
            .records()
            .iter()
            .map(|l| serde_json::to_value(l).unwrap())
            .filter(|v| v["type"] == "response_item")
            .map(|v| v["payload"]["type"].as_str().unwrap().to_string())
            .filter(|t| t.starts_with("tool_search"))
            .collect();
        assert_eq!(kinds, ["tool_search_call", "tool_search_output"]);
        let shown = serde_json::to_string(&sim.events()).unwrap();
        assert!(!shown.contains("tool_search"), "{shown}");
    }

    #[test]
    fn seeded_ids_make_the_search_output_the_same_every_run() {
        let a = run(ToolsConfig::default(), json!({"query": "agent"})).requests();
        let b = run(ToolsConfig::default(), json!({"query": "agent"})).requests();
        assert_eq!(a, b);
    }

    #[test]
    fn without_multi_agent_nothing_is_offered_searched_or_callable() {
        // Codex 0.169 with `--disable multi_agent`: no tool_search, an empty output for a search
        // anyway, and `unsupported call: multi_agent_v1spawn_agent` for the namespaced call.
        let off = ToolsConfig {
            multi_agent: false,
            ..ToolsConfig::default()
        };
        let sim = run(off, json!({"query": "agent", "limit": 20}));
        let requests = sim.requests();
        let names: Vec<&str> = requests[0]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t.get("name").or_else(|| t.get("type"))?.as_str())
            .collect();
        assert!(!names.contains(&"tool_search"), "{names:?}");
        let second = requests[1]["input"].as_array().unwrap();
        assert_eq!(second.last().unwrap()["tools"], json!([]));
        let third = requests[2]["input"].as_array().unwrap();
        assert_eq!(
            third.last().unwrap()["output"],
            "unsupported call: multi_agent_v1spawn_agent"
        );
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::String),
            prop_oneof![Just("agent"), Just("wait"), Just(""), Just("spawn close")]
                .prop_map(|s| Value::String(s.into())),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                (inner.clone(), inner.clone()).prop_map(|(q, l)| json!({"query": q, "limit": l})),
                (".{0,6}", inner).prop_map(|(k, v)| json!({ k: v })),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn no_search_fails_the_turn(arguments in any_json()) {
            // `run` asserts the turn completes with three requests' worth of replies.
            let sim = run(ToolsConfig::default(), arguments);
            let requests = sim.requests();
            let second = requests[1]["input"].as_array().unwrap();
            proptest::prop_assert_eq!(&second.last().unwrap()["type"], "tool_search_output");
        }
    }
}
