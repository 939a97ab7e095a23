//! Benchmark: cost of one sampling step (`handle` + draining `poll`) against history size.
//! One step = a response with one tool call + `response.completed`, then the tool result, which
//! makes the machine build and serialize the next request from the whole history.
//!
//!     cargo run --release -p rcodex-core --example bench_step

use std::time::Instant;

use rcodex_core::context::{EnvironmentContext, InitialContext};
use rcodex_core::ids::SeededIds;
use rcodex_core::protocol::response_item::{Extra, FunctionCallItem, FunctionCallOutputItem};
use rcodex_core::protocol::{
    ContentItem, FunctionCallOutputPayload, ResponseEvent, ResponseItem, ToolSpec,
};
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::{
    Effect, Input, ResumedThread, Session, SessionConfig, ToolOutput, UserTurn,
};
use serde_json::json;

fn history(n: usize) -> Vec<ResponseItem> {
    (0..n)
        .map(|i| match i % 4 {
            0 => ResponseItem::user_text(Some(format!("msg_{i}")), "please look at the files in this folder and summarise them ".repeat(2)),
            1 => ResponseItem::FunctionCall(FunctionCallItem { status: Some("completed".into()), id: Some(format!("fc_{i}")), name: "exec_command".into(), namespace: None, arguments: r#"{"cmd":"ls -la"}"#.into(), call_id: format!("call_{i}"), extra: Extra::new() }),
            2 => ResponseItem::FunctionCallOutput(FunctionCallOutputItem { id: Some(format!("fco_{i}")), call_id: format!("call_{}", i - 1), output: FunctionCallOutputPayload::Text("Chunk ID: 000000\nWall time: 0.0010 seconds\nProcess exited with code 0\nOriginal token count: 30\nOutput:\na.txt\nb.txt\nc.txt\n".repeat(2)), extra: Extra::new() }),
            _ => ResponseItem::message(Some(format!("m_{i}")), "assistant", vec![ContentItem::OutputText { text: "There are three files here.".into(), annotations: Some(vec![]) }]),
        })
        .collect()
}

fn session(n: usize) -> Session {
    let env = EnvironmentContext::new("/w", SandboxMode::WorkspaceWrite, "2026-11-28", "Etc/UTC");
    let mut cfg = SessionConfig::new(InitialContext::defaults(env));
    cfg.tools = vec![ToolSpec::Function {
        name: "exec_command".into(),
        description: "run".into(),
        strict: false,
        parameters: json!({"type": "object"}),
    }];
    cfg.resume = Some(ResumedThread {
        thread_id: "t".into(),
        history: history(n),
        thread_usage: Default::default(),
        ..Default::default()
    });
    Session::new(cfg, Box::new(SeededIds::new(1)))
}

fn drain(s: &mut Session) -> (Option<u64>, usize) {
    let (mut req, mut bytes) = (None, 0);
    while let Some(e) = s.poll() {
        if let Effect::SendRequest {
            request_id, body, ..
        } = e
        {
            req = Some(request_id);
            bytes = body.len();
        }
    }
    (req, bytes)
}

fn main() {
    println!("| history at start | mean history during the run | request bytes (last) | µs per step (median) | ns per history item |");
    println!("|---:|---:|---:|---:|---:|");
    for n in [10usize, 1_000, 10_000] {
        let mut s = session(n);
        let mut now = 1_000;
        s.handle(now, Input::Submit(UserTurn::text("go"))).unwrap();
        let (mut req, _) = drain(&mut s);
        let steps = if n >= 10_000 { 30 } else { 200 };
        let mut times = Vec::with_capacity(steps);
        let mut bytes = 0;
        for k in 0..steps {
            let id = req.expect("a request in flight");
            let call = ResponseItem::FunctionCall(FunctionCallItem {
                status: Some("completed".into()),
                id: Some(format!("x{k}")),
                name: "exec_command".into(),
                namespace: None,
                arguments: r#"{"cmd":"ls"}"#.into(),
                call_id: format!("k{k}"),
                extra: Extra::new(),
            });
            let t = Instant::now();
            now += 1;
            s.handle(
                now,
                Input::Model(id, ResponseEvent::OutputItemDone { item: call }),
            )
            .unwrap();
            drain(&mut s);
            s.handle(
                now,
                Input::Model(
                    id,
                    ResponseEvent::Completed {
                        response_id: "r".into(),
                        usage: None,
                        end_turn: None,
                    },
                ),
            )
            .unwrap();
            drain(&mut s);
            s.handle(
                now,
                Input::ToolDone(format!("k{k}"), ToolOutput::text("ok", true)),
            )
            .unwrap();
            let (next, b) = drain(&mut s);
            times.push(t.elapsed().as_nanos() as u64);
            req = next;
            bytes = b;
        }
        times.sort_unstable();
        let median = times[times.len() / 2];
        // Each step adds two items (the call and its output).
        let mean_items = n + 4 + steps;
        println!(
            "| {n} | {mean_items} | {bytes} | {:.1} | {:.0} |",
            median as f64 / 1000.0,
            median as f64 / mean_items as f64
        );
    }
}
