//! Tests for the model facts and the advertised tool list.

use super::*;

fn names(model: &str, cfg: ToolsConfig) -> Vec<String> {
    advertised_names(&tool_specs(&model_facts(model), &cfg))
}

/// Replaces every description string, so snapshots pin structure and order, not wording.
fn without_descriptions(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("description", Value::String(_)) => (k.clone(), Value::String("…".into())),
                    ("definition", Value::String(_)) => (k.clone(), Value::String("…".into())),
                    _ => (k.clone(), without_descriptions(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_descriptions).collect()),
        other => other.clone(),
    }
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn every_vendored_model_parses_and_gpt_5_5_matches_the_catalog() {
    assert_eq!(catalog().models.len(), 12);
    let m = model_facts("gpt-5.5");
    assert_eq!(m.context_window, 272_000);
    assert_eq!(m.shell_type, ShellType::ShellCommand);
    assert_eq!(m.apply_patch_tool_type, ApplyPatchToolType::Freeform);
    assert!(m.supports_parallel_tool_calls);
    assert_eq!(m.default_reasoning_effort.as_deref(), Some("medium"));
    assert_eq!(m.default_verbosity.as_deref(), Some("low"));
    assert_eq!(
        m.truncation_policy,
        TruncationPolicy {
            mode: TruncationMode::Tokens,
            limit: 10_000
        }
    );
    assert!(!m.uses_instructions_field);
    assert!(m.supports_image_detail_original);
    assert_eq!(m.tool_mode, ToolMode::Direct);
    assert_eq!(model_facts("gpt-5.6-sol").tool_mode, ToolMode::CodeModeOnly);
}

#[test]
fn unknown_slug_gets_upstream_fallback_under_its_own_name() {
    let m = model_facts("my-local-model");
    assert_eq!(m.slug, "my-local-model");
    assert_eq!(m.shell_type, ShellType::Default);
    assert_eq!(m.apply_patch_tool_type, ApplyPatchToolType::None);
    assert!(!m.supports_parallel_tool_calls);
    assert_eq!(m.default_reasoning_effort, None);
    assert_eq!(m.default_reasoning_summary, "auto");
    assert_eq!(m.default_verbosity, None);
    assert_eq!(m.truncation_policy.mode, TruncationMode::Bytes);
    assert_eq!(m.truncation_policy.limit, 10_000);
    assert_eq!(m.context_window, 272_000);
}

#[test]
fn gpt_5_5_default_list_matches_codex_order() {
    assert_eq!(
        names("gpt-5.5", ToolsConfig::default()),
        [
            "exec_command",
            "write_stdin",
            "request_user_input",
            "apply_patch",
            "view_image",
            "get_goal",
            "create_goal",
            "update_goal",
            "tool_search",
            "web_search"
        ]
    );
}

#[test]
fn update_plan_when_enabled_comes_third() {
    let cfg = ToolsConfig {
        update_plan: true,
        ..ToolsConfig::default()
    };
    let list = names("gpt-5.5", cfg);
    assert_eq!(list[2], "update_plan");
    assert_eq!(list.len(), 11);
}

#[test]
fn unknown_model_has_no_apply_patch_but_keeps_exec_command() {
    assert_eq!(
        names("nope", ToolsConfig::default()),
        [
            "exec_command",
            "write_stdin",
            "request_user_input",
            "view_image",
            "get_goal",
            "create_goal",
            "update_goal",
            "tool_search",
            "web_search"
        ]
    );
}

#[test]
fn without_unified_exec_the_catalog_shell_type_decides() {
    let cfg = ToolsConfig {
        unified_exec: false,
        ..ToolsConfig::default()
    };
    assert_eq!(names("gpt-5.5", cfg)[0], "shell_command");
    assert!(!names("gpt-5.5", cfg).contains(&"write_stdin".to_string()));
    assert_eq!(names("nope", cfg)[0], "shell");
}

#[test]
fn file_tools_follow_view_image_and_switches_remove_tools() {
    let cfg = ToolsConfig {
        read_file: true,
        list_dir: true,
        grep_files: true,
        view_image: false,
        request_user_input: false,
        ..ToolsConfig::default()
    };
    assert_eq!(
        names("gpt-5.5", cfg),
        [
            "exec_command",
            "write_stdin",
            "apply_patch",
            "read_file",
            "list_dir",
            "grep_files",
            "get_goal",
            "create_goal",
            "update_goal",
            "tool_search",
            "web_search"
        ]
    );
}

#[test]
fn function_apply_patch_is_a_json_function_named_apply_patch() {
    let mut model = model_facts("gpt-5.5");
    model.apply_patch_tool_type = ApplyPatchToolType::Function;
    let specs = tool_specs(&model, &ToolsConfig::default());
    let patch = specs
        .iter()
        .find(|s| s["name"] == "apply_patch")
        .expect("apply_patch advertised");
    assert_eq!(patch["type"], "function");
    assert_eq!(
        patch["parameters"]["required"],
        serde_json::json!(["input"])
    );
    assert!(!tool_info(&model, "apply_patch").freeform);
    assert!(tool_info(&model_facts("gpt-5.5"), "apply_patch").freeform);
}

#[test]
fn exec_command_property_order_matches_the_capture() {
    let specs = tool_specs(&model_facts("gpt-5.5"), &ToolsConfig::default());
    let exec = &specs[0];
    assert_eq!(
        keys(exec),
        ["type", "name", "description", "strict", "parameters"]
    );
    assert_eq!(
        keys(&exec["parameters"]),
        ["type", "properties", "required", "additionalProperties"]
    );
    // Taken from upstream-examples/exec-shell-request-1.json `body.tools[0]`.
    assert_eq!(
        keys(&exec["parameters"]["properties"]),
        [
            "cmd",
            "justification",
            "login",
            "max_output_tokens",
            "prefix_rule",
            "sandbox_permissions",
            "shell",
            "tty",
            "workdir",
            "yield_time_ms"
        ]
    );
    assert_eq!(
        keys(&exec["parameters"]["properties"]["sandbox_permissions"]),
        ["type", "description", "enum"]
    );
    assert_eq!(
        keys(&exec["parameters"]["properties"]["prefix_rule"]),
        ["type", "description", "items"]
    );
}

#[test]
fn every_function_spec_is_non_strict_with_sorted_properties_and_own_descriptions() {
    for (id, spec) in tool_table() {
        let Some(params) = spec.get("parameters") else {
            continue;
        };
        if spec["type"] == "function" {
            assert_eq!(spec["strict"], false, "{id}");
        }
        assert_eq!(params["additionalProperties"], false, "{id}");
        let props = keys(&params["properties"]);
        let mut sorted = props.clone();
        sorted.sort_unstable();
        assert_eq!(props, sorted, "{id}: properties sorted as Codex's BTreeMap");
        let desc = spec["description"].as_str().unwrap_or("");
        assert!(
            !desc.is_empty() && desc.len() < 200,
            "{id}: short own description"
        );
    }
}

#[test]
fn apply_patch_grammar_is_lark_with_a_start_rule() {
    let specs = tool_specs(&model_facts("gpt-5.5"), &ToolsConfig::default());
    let patch = &specs[3];
    assert_eq!(keys(patch), ["type", "name", "description", "format"]);
    assert_eq!(keys(&patch["format"]), ["type", "syntax", "definition"]);
    assert_eq!(patch["format"]["syntax"], "lark");
    let grammar = patch["format"]["definition"].as_str().unwrap_or("");
    assert!(grammar.starts_with("start:"));
    for marker in ["*** Begin Patch", "*** End Patch", "*** Move to: ", "@@"] {
        assert!(grammar.contains(marker), "{marker}");
    }
}

#[test]
fn scheduling_facts() {
    let m = model_facts("gpt-5.5");
    for name in ["apply_patch", "update_plan", "write_stdin"] {
        assert!(tool_info(&m, name).exclusive, "{name}");
    }
    for name in [
        "exec_command",
        "read_file",
        "list_dir",
        "grep_files",
        "view_image",
    ] {
        assert!(!tool_info(&m, name).exclusive, "{name}");
    }
    assert_eq!(tool_kind("shell_command"), ToolKind::Shell);
    assert_eq!(tool_kind("web_search"), ToolKind::Unknown);
}

#[test]
fn advertised_names_fall_back_to_type_for_hosted_tools() {
    let hosted = [spec("web_search"), spec("view_image")];
    assert_eq!(advertised_names(&hosted), ["web_search", "view_image"]);
}

#[test]
fn full_tool_structure_snapshot() {
    let cfg = ToolsConfig {
        update_plan: true,
        read_file: true,
        list_dir: true,
        grep_files: true,
        ..ToolsConfig::default()
    };
    let specs: Vec<Value> = tool_specs(&model_facts("gpt-5.5"), &cfg)
        .iter()
        .map(without_descriptions)
        .collect();
    insta::assert_json_snapshot!(specs);
}

#[test]
fn typed_specs_are_the_json_specs_parsed_for_every_model_and_switch() {
    let mut models: Vec<String> = catalog().models.iter().map(|m| m.slug.clone()).collect();
    models.push("my-local-model".into());
    let mut checked = 0;
    for slug in &models {
        let facts = model_facts(slug);
        for bits in 0u16..2048 {
            let cfg = ToolsConfig {
                update_plan: bits & 1 != 0,
                read_file: bits & 2 != 0,
                list_dir: bits & 4 != 0,
                grep_files: bits & 8 != 0,
                view_image: bits & 16 != 0,
                request_user_input: bits & 32 != 0,
                unified_exec: bits & 64 != 0,
                goals: bits & 128 != 0,
                web_search: if bits & 256 != 0 {
                    WebSearchMode::Live
                } else {
                    WebSearchMode::Cached
                },
                multi_agent: bits & 512 != 0,
                tool_search: bits & 1024 != 0,
            };
            let parsed: Vec<ToolSpec> = tool_specs(&facts, &cfg)
                .into_iter()
                .map(|v| serde_json::from_value(v).unwrap())
                .collect();
            let typed = typed_tool_specs(&facts, &cfg);
            assert_eq!(typed, parsed, "{slug} {cfg:?}");
            checked += typed.len();
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn goals_and_web_search_follow_their_switches() {
    let off = ToolsConfig {
        goals: false,
        web_search: WebSearchMode::Disabled,
        ..ToolsConfig::default()
    };
    let list = names("gpt-5.5", off);
    assert!(!list
        .iter()
        .any(|n| n.ends_with("_goal") || n == "web_search"));
    assert_eq!(list.last().map(String::as_str), Some("tool_search"));
    let web = |mode| {
        let cfg = ToolsConfig {
            web_search: mode,
            ..ToolsConfig::default()
        };
        let specs = tool_specs(&model_facts("gpt-5.5"), &cfg);
        let typed = typed_tool_specs(&model_facts("gpt-5.5"), &cfg);
        let last = specs.last().unwrap().clone();
        assert_eq!(serde_json::to_value(typed.last().unwrap()).unwrap(), last);
        last
    };
    // Codex 0.169 with `web_search = "cached"` (its default) and `"live"`.
    assert_eq!(
        web(WebSearchMode::Cached),
        serde_json::json!({"type": "web_search", "external_web_access": false, "search_content_types": ["text", "image"]})
    );
    assert_eq!(web(WebSearchMode::Live)["external_web_access"], true);
    assert_eq!(WebSearchMode::parse("live"), Some(WebSearchMode::Live));
    assert_eq!(WebSearchMode::parse("on"), None);
}

#[test]
fn goal_tools_are_answered_by_the_core() {
    for name in ["get_goal", "create_goal", "update_goal"] {
        assert_eq!(tool_kind(name), ToolKind::Goal);
    }
}

#[test]
fn tool_search_follows_its_switch_and_the_deferred_namespaces() {
    let child = ToolsConfig {
        tool_search: false,
        ..ToolsConfig::default()
    };
    let list = names("gpt-5.5", child);
    assert!(!list.contains(&"tool_search".to_string()));
    assert_eq!(list.len(), 9, "a sub-agent's list: the rest unchanged");
    let no_agents = ToolsConfig {
        multi_agent: false,
        ..ToolsConfig::default()
    };
    assert!(deferred_namespaces(&no_agents).is_empty());
    assert!(!names("gpt-5.5", no_agents).contains(&"tool_search".to_string()));
    assert_eq!(
        deferred_namespaces(&ToolsConfig::default()),
        [MULTI_AGENT_V1]
    );
    // Codex 0.169: tool_search is 9th, just before web_search.
    assert_eq!(names("gpt-5.5", ToolsConfig::default())[8], "tool_search");
}

#[test]
fn the_multi_agent_namespace_holds_codexs_five_tools_with_codexs_schemas() {
    let ns = deferred_namespace(MULTI_AGENT_V1).unwrap();
    let names: Vec<&str> = ns.tools.iter().filter_map(|t| t["name"].as_str()).collect();
    // The order Codex 0.169 listed them in for the query "agent" (limit 20).
    assert_eq!(
        names,
        [
            "spawn_agent",
            "close_agent",
            "resume_agent",
            "wait_agent",
            "send_input"
        ]
    );
    let mut sorted = names.clone();
    sorted.sort_unstable();
    let mut all = MULTI_AGENT_V1_TOOLS;
    all.sort_unstable();
    assert_eq!(sorted, all);
    for tool in &ns.tools {
        let name = tool["name"].as_str().unwrap();
        assert_eq!(
            keys(tool),
            [
                "type",
                "name",
                "description",
                "strict",
                "defer_loading",
                "parameters"
            ],
            "{name}"
        );
        assert_eq!(tool["type"], "function");
        assert_eq!(tool["strict"], false, "{name}");
        assert_eq!(tool["defer_loading"], true, "{name}");
        let params = &tool["parameters"];
        let props = keys(&params["properties"]);
        let mut sorted = props.clone();
        sorted.sort_unstable();
        assert_eq!(props, sorted, "{name}: properties sorted as Codex's");
        assert_eq!(params["additionalProperties"], false, "{name}");
        let desc = tool["description"].as_str().unwrap();
        assert!(
            !desc.is_empty() && desc.len() < 300,
            "{name}: own description"
        );
        assert!(is_deferred_tool(MULTI_AGENT_V1, name));
    }
    // The required lists and parameter names the capture shows.
    let required = |i: usize| ns.tools[i]["parameters"]["required"].clone();
    assert_eq!(required(0), Value::Null, "spawn_agent requires nothing");
    assert_eq!(required(1), serde_json::json!(["target"]));
    assert_eq!(required(2), serde_json::json!(["id"]));
    assert_eq!(required(3), serde_json::json!(["targets"]));
    assert_eq!(required(4), serde_json::json!(["target"]));
    assert_eq!(
        keys(&ns.tools[4]["parameters"]["properties"]),
        ["interrupt", "items", "message", "target"]
    );
    assert_eq!(
        keys(&ns.tools[0]["parameters"]["properties"]),
        [
            "fork_context",
            "items",
            "message",
            "model",
            "reasoning_effort"
        ]
    );
    assert!(!is_deferred_tool(MULTI_AGENT_V1, "fork_agent"));
    assert!(!is_deferred_tool("other_ns", "spawn_agent"));
}

#[test]
fn the_deferred_tools_part_goes_with_tool_search() {
    let text = deferred_tools_section(&ToolsConfig::default()).unwrap();
    assert!(
        text.starts_with("<tools>\n") && text.ends_with("\n</tools>"),
        "{text}"
    );
    assert!(text.contains("\n- multi_agent_v1: "), "{text}");
    for off in [
        ToolsConfig {
            tool_search: false,
            ..ToolsConfig::default()
        },
        ToolsConfig {
            multi_agent: false,
            ..ToolsConfig::default()
        },
    ] {
        assert_eq!(deferred_tools_section(&off), None);
    }
}
