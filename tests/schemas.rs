//! The published JSON Schemas (`runner/schemas/`, printed by `rcodex schema`) held to real output.
//!
//! Real output: the `exec --json` events of every bundled scenario, `rcodex exec --json` against
//! the scripted server (a tool turn, a resumed turn, a failed turn), `results.jsonl` of `rcodex
//! batch scenarios/`, `rcodex replay --json` over that batch's rollouts in each mode and `replay
//! diff --json` of two of them, and the
//! events of the real Codex CLI 0.169 against the same server — the last proves the events schema
//! is Codex's shape. Each line is validated against a strict copy of the schema
//! (`additionalProperties: false` on every object that lists its properties), so a field that
//! the schema does not document fails here although the published schema lets it pass.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use jsonschema::Validator;
use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{batch_in, json_lines, rcodex_bin, TestHome};
use serde_json::{json, Value};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const KINDS: [&str; 4] = ["events", "results", "replay", "replay-diff"];

/// The schema file as committed.
fn schema_text(kind: &str) -> String {
    let path = repo().join(format!("runner/schemas/{kind}.schema.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema(kind: &str) -> Value {
    serde_json::from_str(&schema_text(kind)).unwrap_or_else(|e| panic!("{kind}: {e}"))
}

/// The schema with `additionalProperties: false` on every object schema that lists properties.
fn strict(mut schema: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut schema);
    schema
}

fn validator(schema: &Value) -> Validator {
    jsonschema::draft202012::new(schema).unwrap_or_else(|e| panic!("schema does not compile: {e}"))
}

/// The strict validator of `kind`.
fn strict_validator(kind: &str) -> Validator {
    validator(&strict(schema(kind)))
}

/// Every way `line` breaks `validator`, one per line (empty: valid).
fn violations(validator: &Validator, line: &Value) -> String {
    validator
        .iter_errors(line)
        .map(|e| format!("  at {:?}: {e}", e.instance_path().as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Validates each line; panics naming every line that breaks the schema and how.
fn assert_all_valid(validator: &Validator, what: &str, lines: &[Value]) {
    assert!(!lines.is_empty(), "{what}: no lines to validate");
    let bad: Vec<String> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let v = violations(validator, line);
            (!v.is_empty()).then(|| format!("{what} line {}: {line}\n{v}", i + 1))
        })
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn rcodex(args: &[&str], cwd: &Path) -> Output {
    Command::new(rcodex_bin())
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex")
}

// ---------------------------------------------------------------------------------------------
// The schemas themselves

/// Where a `$ref` inside the same document points.
fn resolve<'a>(root: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("only local refs are used: {reference}"));
    root.pointer(pointer)
        .unwrap_or_else(|| panic!("dangling $ref {reference}"))
}

/// JSON pointers of every property (at any depth) that has no description of its own or
/// through its `$ref`.
fn undocumented(root: &Value) -> Vec<String> {
    fn walk(root: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    for (name, prop) in props {
                        let documented = prop.get("description").is_some()
                            || prop
                                .get("$ref")
                                .and_then(Value::as_str)
                                .is_some_and(|r| resolve(root, r).get("description").is_some());
                        if !documented {
                            out.push(format!("{at}/properties/{name}"));
                        }
                    }
                }
                for (k, child) in map {
                    walk(root, child, &format!("{at}/{k}"), out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(root, child, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(root, root, "", &mut out);
    out
}

#[test]
fn schemas_are_valid_2020_12_documents_and_every_property_is_documented() {
    for kind in KINDS {
        let s = schema(kind);
        if let Err(e) = jsonschema::meta::validate(&s) {
            panic!("{kind}: not a valid JSON Schema: {e}");
        }
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(s["$id"], format!("urn:rcodex:schema:{kind}:1"), "{kind}");
        assert!(s["description"]
            .as_str()
            .is_some_and(|d| d.contains("Stability")));
        let missing = undocumented(&s);
        assert!(
            missing.is_empty(),
            "{kind}: undocumented properties {missing:?}"
        );
        // Both the published and the strict copy compile.
        validator(&s);
        strict_validator(kind);
    }
    // The documentation check can fail.
    let bare = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    assert_eq!(undocumented(&bare), ["/properties/a"]);
}

#[test]
fn rcodex_schema_prints_each_embedded_file_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    for kind in KINDS {
        let out = rcodex(&["schema", kind], tmp.path());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), schema_text(kind), "rcodex schema {kind}");
    }
    let dir = tmp.path().join("schemas");
    let out = rcodex(&["schema", "--out", dir.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for kind in KINDS {
        let written = std::fs::read_to_string(dir.join(format!("{kind}.schema.json"))).unwrap();
        assert_eq!(written, schema_text(kind), "--out {kind}");
    }
    let out = rcodex(&["schema"], tmp.path());
    assert_eq!(
        out.status.code(),
        Some(2),
        "no kind and no --out is a usage error"
    );
    let out = rcodex(&["schema", "rollout"], tmp.path());
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown kind is a usage error"
    );
}

#[test]
fn lines_that_break_a_schema_fail_validation() {
    let usage = json!({"input_tokens": 10, "cached_input_tokens": 0, "cache_write_input_tokens": 0,
        "output_tokens": 1, "reasoning_output_tokens": 0});
    let good = json!({"type": "turn.completed", "usage": usage, "turn_id": "t",
        "last_usage": usage, "requests": [usage]});
    let (published, strict) = (validator(&schema("events")), strict_validator("events"));
    assert_eq!(violations(&strict, &good), "");
    let mut broken = Vec::new();
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("usage");
    broken.push(missing);
    let mut wrong_type = good.clone();
    wrong_type["usage"]["input_tokens"] = json!("10");
    broken.push(wrong_type);
    let mut negative = good.clone();
    negative["requests"][0]["output_tokens"] = json!(-1);
    broken.push(negative);
    broken.push(json!({"type": "turn.finished"}));
    broken
        .push(json!({"type": "item.completed", "item": {"id": "item_0", "type": "agent_message"}}));
    broken.push(
        json!({"type": "item.started", "item": {"id": "item_0", "type": "command_execution",
        "command": "ls", "aggregated_output": "", "exit_code": null, "status": "running"}}),
    );
    for line in &broken {
        assert!(!published.is_valid(line), "published schema accepts {line}");
        assert!(!strict.is_valid(line), "strict schema accepts {line}");
    }
    // An undocumented field: the published schema lets it through (additive evolution), the
    // strict copy the tests use does not, at any depth.
    let mut extra = good.clone();
    extra["usage"]["surprise"] = json!(1);
    assert!(published.is_valid(&extra));
    assert!(!strict.is_valid(&extra));

    let results = strict_validator("results");
    let row = json!({"id": "a", "repeat": 0, "name": "a", "file": "a.toml", "status": "pass",
        "checks": [{"check": "status", "passed": true}], "duration_ms": 1});
    assert_eq!(violations(&results, &row), "");
    for (key, value) in [
        ("status", json!("passed")),
        ("repeat", json!("0")),
        ("limit", json!("x")),
    ] {
        let mut bad = row.clone();
        bad[key] = value;
        assert!(!results.is_valid(&bad), "results accepts {bad}");
    }
    let mut no_status = row.clone();
    no_status.as_object_mut().unwrap().remove("status");
    assert!(!results.is_valid(&no_status));

    let replay = strict_validator("replay");
    let ok = json!({"status": "ok", "path": "r.jsonl", "bytes": 1, "warnings": [], "turns": 1,
        "requests": 1, "writer": {"originator": "rcodex_exec", "cli_version": "0.1.0"}});
    assert_eq!(violations(&replay, &ok), "");
    let mut no_turns = ok.clone();
    no_turns.as_object_mut().unwrap().remove("turns");
    assert!(!replay.is_valid(&no_turns));
    let mut summary_field_on_ok = ok.clone();
    summary_field_on_ok["thread_id"] = json!("x");
    assert!(!replay.is_valid(&summary_field_on_ok));

    let diff = strict_validator("replay-diff");
    let agree = json!({"a": "a.jsonl", "b": "b.jsonl", "turns": [{"turn": 1, "a": null, "b": null}],
        "divergence": null});
    assert_eq!(violations(&diff, &agree), "");
    let mut bad_outcome = agree.clone();
    bad_outcome["turns"][0]["a"] = json!({"requests": 1, "tool_calls": [], "input_tokens": 1,
        "cached_input_tokens": 0, "output_tokens": 1, "duration_ms": null, "outcome": "done",
        "final_message": null});
    assert!(!diff.is_valid(&bad_outcome));
    let mut divergence_without_what = agree.clone();
    divergence_without_what["divergence"] = json!({"turn": 1, "request": 0, "item": null,
        "line_a": 1, "line_b": 1, "pointer": "", "a": 1, "b": 2});
    assert!(!diff.is_valid(&divergence_without_what));
}

// ---------------------------------------------------------------------------------------------
// Real output of rcodex

/// The `exec --json` events of every bundled scenario, run scripted as `rcodex batch` runs it.
async fn bundled_events() -> Vec<(String, Vec<Value>)> {
    use rcodex_runner::batch::discover::discover;
    use rcodex_runner::batch::run_one::{run_scenario, ModelMode, RunContext};
    use rcodex_runner::batch::scenario::load_scenario;

    let found = discover(&[repo().join("scenarios")]).unwrap();
    let rollouts = Arc::new(tempfile::tempdir().unwrap());
    let mut runs = tokio::task::JoinSet::new();
    for f in found {
        let rollouts = rollouts.clone();
        runs.spawn(async move {
            let scenario = load_scenario(&f.path).unwrap_or_else(|e| panic!("{e}"));
            let mut never = Box::pin(std::future::pending::<()>());
            let ctx = RunContext {
                mode: &ModelMode::Scripted,
                rollout_dir: rollouts.path(),
                upstream_text: None,
                stop: &mut never,
                record: None,
            };
            let Ok(run) = run_scenario(&scenario, &f.id, 0, ctx).await else {
                panic!("{}: stopped", f.id)
            };
            let capture = run
                .capture
                .unwrap_or_else(|| panic!("{}: not run: {:?}", f.id, run.line));
            (f.id, capture.events)
        });
    }
    let mut all = runs.join_all().await;
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

/// `type`, or `type:item.type` for item events.
fn kind_of(event: &Value) -> String {
    let t = event["type"].as_str().unwrap_or_default();
    match event["item"]["type"].as_str() {
        Some(item) => format!("{t}:{item}"),
        None => t.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_events_of_every_bundled_scenario_hold_to_the_events_schema() {
    let runs = bundled_events().await;
    assert!(runs.len() >= 18, "scenarios/ holds {}", runs.len());
    let strict = strict_validator("events");
    let mut seen = std::collections::BTreeSet::new();
    for (id, events) in &runs {
        assert_all_valid(&strict, id, events);
        seen.extend(events.iter().map(kind_of));
        // rcodex's additions are on every turn event of every run.
        for e in events.iter().filter(|e| kind_of(e).starts_with("turn.")) {
            assert!(e["turn_id"].is_string(), "{id}: {e}");
        }
        for e in events.iter().filter(|e| e["type"] == "turn.completed") {
            let requests = e["requests"].as_array().expect("requests");
            assert!(!requests.is_empty(), "{id}: {e}");
            assert_eq!(requests.last(), Some(&e["last_usage"]), "{id}: {e}");
        }
    }
    // The bundled scenarios exercise every event type and every item type rcodex emits.
    for kind in [
        "thread.started",
        "turn.started",
        "turn.completed",
        "turn.failed",
        "error",
        "item.completed:agent_message",
        "item.started:command_execution",
        "item.completed:command_execution",
        "item.started:file_change",
        "item.completed:file_change",
        "item.started:todo_list",
        "item.completed:todo_list",
    ] {
        assert!(
            seen.contains(kind),
            "no bundled scenario emits {kind}: {seen:?}"
        );
    }
}

#[test]
fn batch_results_and_replay_json_of_the_bundled_scenarios_hold_to_their_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let scenarios = repo().join("scenarios");
    let out = batch_in(
        &[
            scenarios.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = rcodex_tests::batch_results(&out_dir);
    assert!(rows.len() >= 18, "{} rows", rows.len());
    assert_all_valid(&strict_validator("results"), "results.jsonl", &rows);

    let replay = strict_validator("replay");
    let rollouts = out_dir.join("rollouts");
    let run = |args: &[&str]| {
        let mut all = vec!["replay", "--json"];
        all.extend_from_slice(args);
        let o = rcodex(&all, tmp.path());
        (o.status.code(), json_lines(&text(&o.stdout)))
    };
    let (code, verified) = run(&[rollouts.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    // One report per rollout: each run's, and each of its sub-agents' beside it.
    let agents: usize = rows
        .iter()
        .map(|r| r["agents"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(verified.len(), rows.len() + agents);
    assert!(verified.iter().all(|l| l["status"] == "ok"));
    assert_all_valid(&replay, "replay --json", &verified);

    let (code, summaries) = run(&["--summary", rollouts.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert!(summaries.iter().all(|l| l["status"] == "summary"));
    assert_all_valid(&replay, "replay --json --summary", &summaries);

    let parallel = rollouts.join("tools__parallel_calls-r0.jsonl");
    let (code, request) = run(&["--request", "2", parallel.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert_eq!(request[0]["status"], "request");
    assert_all_valid(&replay, "replay --json --request 2", &request);

    // A divergence: the parallel outputs swapped (the machine puts them in call order).
    let recorded = std::fs::read_to_string(&parallel).unwrap();
    let mut lines: Vec<&str> = recorded.lines().collect();
    let outputs: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("\"type\":\"function_call_output\""))
        .collect();
    assert_eq!(outputs.len(), 2);
    lines.swap(outputs[0], outputs[1]);
    let swapped = tmp.path().join("rollout-swapped.jsonl");
    std::fs::write(&swapped, lines.join("\n") + "\n").unwrap();
    let not_a_rollout = tmp.path().join("rollout-not.jsonl");
    std::fs::write(&not_a_rollout, "{\"hello\": 1}\n").unwrap();
    let (code, reports) = run(&[swapped.to_str().unwrap(), not_a_rollout.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    let statuses: Vec<&str> = reports
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["divergence", "error"]);
    assert_all_valid(&replay, "replay --json (divergence, error)", &reports);

    // `replay diff --json`: one object, parted or not.
    let diff = strict_validator("replay-diff");
    let shell = rollouts.join("tools__shell_then_answer-r0.jsonl");
    let two_turns = rollouts.join("conversation__two_turns-r0.jsonl");
    for (a, b, code, parted) in [
        (&shell, &parallel, 1, true),
        (&shell, &shell, 0, false),
        (&shell, &two_turns, 1, true),
    ] {
        let o = rcodex(
            &[
                "replay",
                "diff",
                "--json",
                a.to_str().unwrap(),
                b.to_str().unwrap(),
            ],
            tmp.path(),
        );
        assert_eq!(o.status.code(), Some(code), "{}", text(&o.stderr));
        let report = json_lines(&text(&o.stdout));
        assert_eq!(report.len(), 1);
        assert_eq!(report[0]["divergence"].is_object(), parted, "{}", report[0]);
        assert_all_valid(&diff, "replay diff --json", &report);
    }

    // `--fork-at --json` prints exec events: the events schema, turn ids included.
    let replies = tmp.path().join("fork.toml");
    std::fs::write(&replies, "[[reply]]\nmessage = \"Forked.\"\n").unwrap();
    let fork = Command::new(rcodex_bin())
        .args([
            "replay",
            shell.to_str().unwrap(),
            "--fork-at",
            "1.2",
            "--json",
        ])
        .args([
            "--script",
            replies.to_str().unwrap(),
            "-C",
            tmp.path().to_str().unwrap(),
        ])
        .env("CODEX_HOME", tmp.path().join("home"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(fork.status.code(), Some(0), "{}", text(&fork.stderr));
    let events = json_lines(&text(&fork.stdout));
    assert_eq!(events.last().unwrap()["type"], "turn.completed");
    assert!(events.last().unwrap()["turn_id"].is_string());
    assert_all_valid(
        &strict_validator("events"),
        "replay --fork-at --json",
        &events,
    );
}

fn script(replies: Value) -> Script {
    serde_json::from_value(json!({ "replies": replies })).expect("valid script")
}

/// `rcodex exec ARGS` in `home`, off the async runtime.
async fn exec(home: TestHome, args: &[&str]) -> (TestHome, Output) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = home.exec(&argv, None);
        (home, out)
    })
    .await
    .unwrap()
}

fn usage(input: u64, cached: u64, output: u64, reasoning: u64) -> Value {
    json!({"input_tokens": input, "cached_input_tokens": cached, "cache_write_input_tokens": 0,
        "output_tokens": output, "reasoning_output_tokens": reasoning})
}

/// `(turn_id of task_started, turn_id of turn_context)` of each turn in a rollout.
fn recorded_turn_ids(rollout: &Path) -> Vec<(String, String)> {
    let lines = json_lines(&std::fs::read_to_string(rollout).unwrap());
    let started = lines
        .iter()
        .filter(|l| l["type"] == "event_msg" && l["payload"]["type"] == "task_started")
        .map(|l| l["payload"]["turn_id"].as_str().unwrap().to_string());
    let context = lines
        .iter()
        .filter(|l| l["type"] == "turn_context")
        .map(|l| l["payload"]["turn_id"].as_str().unwrap().to_string());
    started.zip(context).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_json_carries_turn_ids_and_per_request_usage_across_a_resume() {
    let replies = json!([
        {"reasoning": "Look first.", "function_call": {"name": "exec_command", "arguments": {"cmd": "true"}},
         "usage": {"input_tokens": 1000, "cached_tokens": 200, "output_tokens": 20, "reasoning_tokens": 5}},
        {"message": "Looked.", "usage": {"input_tokens": 1100, "cached_tokens": 900, "output_tokens": 30}},
        {"message": "Again.", "usage": {"input_tokens": 1200, "output_tokens": 40}},
    ]);
    let server = MockServer::start(script(replies)).await.unwrap();
    let home = TestHome::with_mock(&server.base_url());
    let base = [
        "--json",
        "--skip-git-repo-check",
        "-s",
        "danger-full-access",
    ];
    let (home, first) = exec(home, &[&base[..], &["look"]].concat()).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let resume = [&base[..], &["resume", "--last", "again"]].concat();
    let (home, second) = exec(home, &resume).await;
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let (first, second) = (
        json_lines(&text(&first.stdout)),
        json_lines(&text(&second.stdout)),
    );
    let strict = strict_validator("events");
    assert_all_valid(&strict, "exec --json", &first);
    assert_all_valid(&strict, "exec resume --json", &second);

    let turn_events = |events: &[Value]| -> Vec<Value> {
        events
            .iter()
            .filter(|e| kind_of(e).starts_with("turn."))
            .cloned()
            .collect()
    };
    let (one, two) = (turn_events(&first), turn_events(&second));
    assert_eq!(one.len(), 2);
    assert_eq!(two.len(), 2);
    let rollouts = home.rollouts();
    assert_eq!(rollouts.len(), 1);
    let recorded = recorded_turn_ids(&rollouts[0]);
    assert_eq!(recorded.len(), 2, "two turns in the rollout");
    for ((started, context), events) in recorded.iter().zip([&one, &two]) {
        assert_eq!(started, context);
        for e in events {
            assert_eq!(e["turn_id"], started.as_str(), "{e}");
        }
    }
    assert_ne!(recorded[0].0, recorded[1].0);
    // The request's client_metadata names the same turn.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        reqs[0].body["client_metadata"]["turn_id"],
        recorded[0].0.as_str()
    );
    assert_eq!(
        reqs[2].body["client_metadata"]["turn_id"],
        recorded[1].0.as_str()
    );

    // `usage` stays Codex's thread-cumulative figure; `requests` and `last_usage` are per request.
    let (a, b, c) = (
        usage(1000, 200, 20, 5),
        usage(1100, 900, 30, 0),
        usage(1200, 0, 40, 0),
    );
    assert_eq!(one[1]["usage"], usage(2100, 1100, 50, 5));
    assert_eq!(one[1]["requests"], json!([a, b]));
    assert_eq!(one[1]["last_usage"], b);
    assert_eq!(two[1]["usage"], usage(3300, 1100, 90, 5));
    assert_eq!(two[1]["requests"], json!([c]));
    assert_eq!(two[1]["last_usage"], c);
    // Codex's own fields come first, in Codex's order; the additions follow.
    let keys: Vec<&str> = one[1]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["type", "usage", "turn_id", "last_usage", "requests"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_turn_names_its_turn_and_holds_to_the_schema() {
    let replies = json!([{"http_error": {"status": 400, "body": "bad request"}}]);
    let server = MockServer::start(script(replies)).await.unwrap();
    let home = TestHome::with_mock(&server.base_url());
    let (home, out) = exec(home, &["--json", "--skip-git-repo-check", "hi"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let events = json_lines(&text(&out.stdout));
    assert_all_valid(&strict_validator("events"), "exec --json (400)", &events);
    let kinds: Vec<String> = events.iter().map(kind_of).collect();
    assert_eq!(
        kinds,
        ["thread.started", "turn.started", "error", "turn.failed"]
    );
    let recorded = recorded_turn_ids(&home.rollouts()[0]);
    assert_eq!(events[1]["turn_id"], recorded[0].0.as_str());
    assert_eq!(events[3]["turn_id"], recorded[0].0.as_str());
}

// ---------------------------------------------------------------------------------------------
// Real output of Codex

/// `codex exec --json PROMPT` (or `exec resume --last PROMPT` with `resume`) in `home`/`work`.
async fn codex_exec(
    codex: &Path,
    home: &Path,
    work: &Path,
    extra: &[&str],
    prompt: &str,
) -> Output {
    let mut cmd = rcodex_tests::exec_command(Some(codex));
    cmd.arg("-C")
        .arg(work)
        .args(extra)
        .arg(prompt)
        .env("CODEX_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_events_of_the_real_codex_cli_hold_to_the_events_schema() {
    let Some(codex) =
        rcodex_tests::codex_bin("the_events_of_the_real_codex_cli_hold_to_the_events_schema")
    else {
        return;
    };
    let strict = strict_validator("events");
    let published = validator(&schema("events"));
    // One turn with reasoning, a command, a patch, a plan, a hosted web search and an answer;
    // then a resumed turn; then a failed one.
    let plan = |step: &str| {
        json!({"name": "update_plan", "arguments": {"plan": [
        {"step": "look", "status": "completed"}, {"step": step, "status": "in_progress"}]}})
    };
    let replies = json!([
        {"reasoning": "Look first.", "function_call": {"name": "exec_command", "arguments": {"cmd": "true"}, "call_id": "call_1"},
         "usage": {"input_tokens": 1000, "cached_tokens": 200, "output_tokens": 20, "reasoning_tokens": 5}},
        {"custom_tool_call": {"name": "apply_patch", "call_id": "call_2",
            "input": "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"}},
        {"function_call": plan("write")},
        {"function_call": plan("check")},
        {"items": [{"raw": {"type": "web_search_call", "id": "ws_1", "status": "completed",
            "action": {"type": "search", "query": "rust"}}}], "message": "Done."},
        {"message": "Again.", "usage": {"input_tokens": 1200, "output_tokens": 40}},
        {"http_error": {"status": 400, "body": "bad request"}},
    ]);
    let server = MockServer::start(script(replies)).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (home, work) = (tmp.path().join("home"), tmp.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let plan_on = ["-c", "tools.update_plan.enabled=true"];
    let first = codex_exec(&codex, &home, &work, &plan_on, "do it").await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let resumed = codex_exec(&codex, &home, &work, &["resume", "--last"], "again").await;
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    let failed = codex_exec(&codex, &home, &work, &[], "fail").await;
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));

    let mut seen = std::collections::BTreeSet::new();
    for (what, out) in [
        ("first", &first),
        ("resumed", &resumed),
        ("failed", &failed),
    ] {
        let events = json_lines(&text(&out.stdout));
        assert_all_valid(&strict, &format!("codex exec --json ({what})"), &events);
        assert!(events.iter().all(|e| published.is_valid(e)));
        // rcodex's additions are rcodex's: Codex prints none of them.
        for e in &events {
            for key in ["turn_id", "last_usage", "requests"] {
                assert!(e.get(key).is_none(), "codex printed {key}: {e}");
            }
        }
        seen.extend(events.iter().map(kind_of));
    }
    for kind in [
        "thread.started",
        "turn.started",
        "turn.completed",
        "turn.failed",
        "item.completed:reasoning",
        "item.started:command_execution",
        "item.completed:command_execution",
        "item.started:file_change",
        "item.completed:file_change",
        "item.started:todo_list",
        "item.updated:todo_list",
        "item.completed:todo_list",
        "item.started:web_search",
        "item.completed:web_search",
        "item.completed:agent_message",
    ] {
        assert!(seen.contains(kind), "codex emitted no {kind}: {seen:?}");
    }
    // Codex's `usage` is the thread's cumulative total: after the resumed turn it counts the
    // first turn's five requests too (the unscripted ones report 100/10).
    let completed = |out: &Output| {
        json_lines(&text(&out.stdout))
            .into_iter()
            .find(|e| e["type"] == "turn.completed")
            .expect("turn.completed")
    };
    let one = completed(&first)["usage"].clone();
    assert_eq!(one, usage(1000 + 4 * 100, 200, 20 + 4 * 10, 5));
    let two = completed(&resumed)["usage"].clone();
    assert_eq!(two, usage(1400 + 1200, 200, 60 + 40, 5));
}
