use super::*;
use crate::protocol::response_item::{FunctionCallItem, FunctionCallOutputItem};

const T: &str = "thread-1";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn get_goal_before_any_goal_is_all_null() {
    let mut s = GoalState::default();
    let a = s.answer("get_goal", "{}", T, 0, 5_000);
    assert_eq!(
        a.text,
        r#"{"goal":null,"remainingTokens":null,"completionBudgetReport":null}"#
    );
    assert!(a.success);
}

#[test]
fn create_goal_reports_codex_keys_in_order_and_the_budget() {
    let mut s = GoalState::default();
    let a = s.answer(
        "create_goal",
        r#"{"objective":"Ship it","token_budget":1000}"#,
        T,
        220,
        1_796_424_618_500,
    );
    assert_eq!(
        a.text,
        r#"{"goal":{"threadId":"thread-1","objective":"Ship it","status":"active","tokenBudget":1000,"tokensUsed":0,"timeUsedSeconds":0,"createdAt":1796424618,"updatedAt":1796424618},"remainingTokens":1000,"completionBudgetReport":null}"#
    );
    assert_eq!(a.created.as_deref(), Some("Ship it"));
    let plain = GoalState::default()
        .answer("create_goal", r#"{"objective":"x"}"#, T, 0, 0)
        .text;
    assert!(!plain.contains("tokenBudget"), "{plain}");
}

/// The capture `g3`: create in response 0, get in 1, 2, 3, complete in 4; 110 tokens each.
#[test]
fn usage_settles_before_each_request_and_complete_counts_the_current_response() {
    let mut s = GoalState::default();
    let mut total = 110;
    s.answer("create_goal", r#"{"objective":"A"}"#, T, total, 0);
    let mut seen = Vec::new();
    for _ in 0..3 {
        s.settle(total, 0);
        total += 110;
        let a = s.answer("get_goal", "{}", T, total, 0);
        seen.push(json(&a.text)["goal"]["tokensUsed"].as_u64().unwrap());
    }
    assert_eq!(seen, [0, 110, 220]);
    s.settle(total, 0);
    total += 110;
    let done = json(
        &s.answer("update_goal", r#"{"status":"complete"}"#, T, total, 0)
            .text,
    );
    assert_eq!(done["goal"]["tokensUsed"], 440);
    assert_eq!(done["goal"]["status"], "complete");
    assert_eq!(done["completionBudgetReport"], Value::Null);
}

/// The capture `goals`: blocked settles nothing more and stops the count.
#[test]
fn blocked_stops_counting_and_a_budget_reports_on_completion() {
    let mut s = GoalState::default();
    s.answer(
        "create_goal",
        r#"{"objective":"B","token_budget":150}"#,
        T,
        220,
        0,
    );
    s.settle(220, 0);
    s.settle(330, 0);
    let blocked = json(
        &s.answer("update_goal", r#"{"status":"blocked"}"#, T, 440, 0)
            .text,
    );
    assert_eq!(blocked["goal"]["tokensUsed"], 110);
    assert_eq!(blocked["remainingTokens"], 40);
    s.settle(440, 0);
    let done = json(
        &s.answer("update_goal", r#"{"status":"complete"}"#, T, 550, 0)
            .text,
    );
    assert_eq!(done["goal"]["tokensUsed"], 110);
    assert!(done["completionBudgetReport"].is_string());
}

#[test]
fn remaining_tokens_never_go_below_zero() {
    let mut s = GoalState::default();
    s.answer(
        "create_goal",
        r#"{"objective":"B","token_budget":150}"#,
        T,
        0,
        0,
    );
    s.settle(500, 0);
    let r = json(&s.answer("get_goal", "{}", T, 500, 0).text);
    assert_eq!(r["remainingTokens"], 0);
}

#[test]
fn time_counts_while_active_in_whole_seconds() {
    let mut s = GoalState::default();
    s.answer("create_goal", r#"{"objective":"t"}"#, T, 0, 10_000);
    s.settle(0, 13_900);
    let r = json(&s.answer("get_goal", "{}", T, 0, 13_900).text);
    assert_eq!(r["goal"]["timeUsedSeconds"], 3);
    assert_eq!(r["goal"]["updatedAt"], 13);
}

#[test]
fn refusals_match_codex() {
    let mut s = GoalState::default();
    let none = s.answer("update_goal", r#"{"status":"paused"}"#, T, 0, 0);
    assert!(!none.success);
    s.answer("create_goal", r#"{"objective":"First"}"#, T, 0, 0);
    let second = s.answer("create_goal", r#"{"objective":"Second"}"#, T, 0, 0);
    assert_eq!(second.text, UNFINISHED_GOAL);
    assert!(!second.success && second.created.is_none());
    let bogus = s.answer("update_goal", r#"{"status":"bogus"}"#, T, 0, 0);
    assert_eq!(
        bogus.text,
        "unknown variant `bogus`, expected one of `active`, `paused`, `blocked`, `usageLimited`, `budgetLimited`, `complete` at line 1 column 17"
    );
    let missing = s.answer("create_goal", "{}", T, 0, 0);
    assert_eq!(missing.text, "missing field `objective` at line 1 column 2");
    s.answer("update_goal", r#"{"status":"complete"}"#, T, 0, 0);
    let again = s.answer("create_goal", r#"{"objective":"Next"}"#, T, 0, 0);
    assert!(again.success, "{}", again.text);
}

#[test]
fn restore_reads_the_last_goal_output_of_a_goal_call() {
    let mut s = GoalState::default();
    let created = s
        .answer("create_goal", r#"{"objective":"R"}"#, T, 0, 0)
        .text;
    let call = |id: &str, name: &str| {
        ResponseItem::FunctionCall(FunctionCallItem {
            status: None,
            id: None,
            name: name.into(),
            namespace: None,
            arguments: "{}".into(),
            call_id: id.into(),
            extra: Default::default(),
        })
    };
    let out = |id: &str, text: &str| {
        ResponseItem::FunctionCallOutput(FunctionCallOutputItem {
            id: None,
            call_id: id.into(),
            output: FunctionCallOutputPayload::Text(text.into()),
            extra: Default::default(),
        })
    };
    let history = vec![
        call("c1", "create_goal"),
        out("c1", &created),
        call("c2", "exec_command"),
        out("c2", r#"{"goal":{"bogus":1}}"#),
    ];
    let r = GoalState::restore(&history, 900, 0);
    assert_eq!(r.goal().unwrap().objective, "R");
    assert_eq!(r.settled_tokens, 900);
    assert_eq!(GoalState::restore(&history[2..], 0, 0).goal(), None);
}

#[test]
fn objective_item_has_no_call_id() {
    let item = objective_item("fco_1".into(), "Ship it");
    assert_eq!(
        serde_json::to_string(&item).unwrap(),
        r#"{"type":"function_call_output","id":"fco_1","name":"goal_objective","namespace":"agent","output":"Ship it"}"#
    );
}

/// The capture `g_budget2`: budget 250, 110 tokens a response; the settle before request 5
/// brings tokensUsed to 330, so the goal is budgetLimited from there and goes on counting.
#[test]
fn a_spent_budget_limits_the_goal_once_and_usage_goes_on() {
    let mut s = GoalState::default();
    let mut total = 110;
    s.answer(
        "create_goal",
        r#"{"objective":"Ship it","token_budget":250}"#,
        T,
        total,
        0,
    );
    let mut limited_at = Vec::new();
    for request in 2..=7 {
        if let Some(goal) = s.settle(total, 0) {
            assert_eq!(goal.status, GoalStatus::BudgetLimited);
            let text = budget_message(goal);
            assert!(text.starts_with(GOAL_CONTEXT_TAG), "{text}");
            assert!(
                text.contains("<objective>\nShip it\n</objective>"),
                "{text}"
            );
            assert!(text.contains("Tokens used: 330") && text.contains("Token budget: 250"));
            limited_at.push(request);
        }
        total += 110;
    }
    assert_eq!(limited_at, [5], "the message comes once, before request 5");
    let reply = json(&s.answer("get_goal", "{}", T, total, 0).text);
    assert_eq!(reply["goal"]["status"], "budgetLimited");
    assert_eq!(
        reply["goal"]["tokensUsed"], 550,
        "a budget-limited goal keeps counting"
    );
    assert_eq!(reply["remainingTokens"], 0);
    let done = json(
        &s.answer("update_goal", r#"{"status":"complete"}"#, T, total, 0)
            .text,
    );
    assert_eq!(done["goal"]["status"], "complete");
    assert_eq!(done["goal"]["tokensUsed"], 660);
    assert!(done["completionBudgetReport"].is_string());
}

#[test]
fn without_a_budget_or_under_it_nothing_is_limited() {
    let mut s = GoalState::default();
    s.answer("create_goal", r#"{"objective":"A"}"#, T, 0, 0);
    assert!(s.settle(1_000_000, 0).is_none());
    let mut s = GoalState::default();
    s.answer(
        "create_goal",
        r#"{"objective":"A","token_budget":150}"#,
        T,
        110,
        0,
    );
    assert!(s.settle(220, 0).is_none(), "110 of 150");
    assert!(s.settle(330, 0).is_some(), "220 of 150");
}

/// The capture `g_usage`: a `usage_limit_reached` 429 ends the turn; the resumed thread's
/// get_goal shows `usageLimited`, usage unchanged.
#[test]
fn a_usage_limit_marks_only_an_active_goal() {
    let mut s = GoalState::default();
    s.answer(
        "create_goal",
        r#"{"objective":"A","token_budget":5000}"#,
        T,
        110,
        0,
    );
    s.usage_limited(110, 0);
    let reply = json(&s.answer("get_goal", "{}", T, 110, 0).text);
    assert_eq!(reply["goal"]["status"], "usageLimited");
    assert_eq!(reply["goal"]["tokensUsed"], 0);
    assert_eq!(reply["remainingTokens"], 5000);
    let mut done = GoalState::default();
    done.answer("create_goal", r#"{"objective":"A"}"#, T, 0, 0);
    done.answer("update_goal", r#"{"status":"complete"}"#, T, 0, 0);
    done.usage_limited(0, 0);
    assert_eq!(done.goal().unwrap().status, GoalStatus::Complete);
}

/// Through the turn loop: a usage-limit 429 fails the turn (no retry) and leaves the session's
/// goal `usageLimited`; a budget spent between requests adds its message once, before the
/// request that follows.
mod in_a_turn {
    use crate::context::{EnvironmentContext, InitialContext};
    use crate::ids::SeededIds;
    use crate::sandbox::SandboxMode;
    use crate::session::goals::{GoalStatus, GOAL_CONTEXT_TAG};
    use crate::session::{ModelError, Session, SessionConfig, ToolOutput, TurnStatus, UserTurn};
    use crate::sim::{ReplyBuilder, ScriptedReply, Sim};
    use crate::tool_set::{model_facts, typed_tool_specs, ToolsConfig};

    fn sim(replies: Vec<ScriptedReply>) -> Sim {
        let env = EnvironmentContext::new("/w", SandboxMode::ReadOnly, "2026-12-05", "Etc/UTC");
        let mut cfg = SessionConfig::new(InitialContext::defaults(env));
        cfg.tools = typed_tool_specs(&model_facts("gpt-5.5"), &ToolsConfig::default());
        let session = Session::new(cfg, Box::new(SeededIds::new(3)));
        let tool =
            Box::new(|_: &crate::session::ToolCall| (ToolOutput::text(String::new(), true), 1));
        Sim::new(session, 1_000, replies, tool)
    }

    #[test]
    fn a_usage_limit_fails_the_turn_and_limits_the_goal() {
        let create = r#"{"objective":"Ship it","token_budget":5000}"#;
        let mut s = sim(vec![
            ReplyBuilder::new(1)
                .function_call("c1", "create_goal", create)
                .completed(100, 10),
            ScriptedReply::Fail(ModelError::Http {
                status: 429,
                body: r#"{"error":{"type":"usage_limit_reached","message":"limit"}}"#.into(),
                retry_after_ms: None,
                request_id: None,
            }),
        ]);
        let outcome = s.run_turn(UserTurn::text("go"));
        assert!(
            matches!(outcome.status, TurnStatus::Failed { .. }),
            "{outcome:?}"
        );
        assert_eq!(outcome.requests, 2, "no retry");
        assert_eq!(s.session.goal().unwrap().status, GoalStatus::UsageLimited);
    }

    #[test]
    fn a_spent_budget_adds_one_message_before_the_next_request() {
        let create = r#"{"objective":"Ship it","token_budget":250}"#;
        let mut replies = vec![ReplyBuilder::new(1)
            .function_call("c1", "create_goal", create)
            .completed(100, 10)];
        for n in 2..=5 {
            replies.push(
                ReplyBuilder::new(n)
                    .function_call(&format!("c{n}"), "get_goal", "{}")
                    .completed(100, 10),
            );
        }
        replies.push(
            ReplyBuilder::new(6)
                .message("wrapped up")
                .completed(100, 10),
        );
        let mut s = sim(replies);
        let outcome = s.run_turn(UserTurn::text("go"));
        assert_eq!(outcome.status, TurnStatus::Completed);
        let tagged = |body: &serde_json::Value| -> Vec<usize> {
            let input = body["input"].as_array().unwrap();
            (0..input.len())
                .filter(|&i| {
                    let text = input[i]["content"][0]["text"].as_str().unwrap_or_default();
                    input[i]["role"] == "user" && text.starts_with(GOAL_CONTEXT_TAG)
                })
                .collect()
        };
        let requests = s.requests();
        let found: Vec<Vec<usize>> = requests.iter().map(tagged).collect();
        let n = requests[4]["input"].as_array().unwrap().len();
        assert!(found[..4].iter().all(Vec::is_empty), "{found:?}");
        assert_eq!(found[4], [n - 1], "last item of request 5");
        assert_eq!(found[5], [n - 1], "kept in place, not repeated");
        assert_eq!(s.session.goal().unwrap().status, GoalStatus::BudgetLimited);
    }
}
