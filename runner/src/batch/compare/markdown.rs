//! The markdown report of `batch compare`, shaped for a pull-request comment: a one-line
//! summary, a table of the scenarios that changed (regressions first), then totals.

use std::fmt::Write;

use super::{Change, Comparison, ScenarioChange, Side, Totals};

fn signed(v: i64) -> String {
    if v > 0 {
        format!("+{v}")
    } else {
        v.to_string()
    }
}

fn signed_usd(v: Option<f64>) -> String {
    match v {
        Some(v) if v >= 0.0 => format!("+${v:.4}"),
        Some(v) => format!("-${:.4}", -v),
        None => "—".into(),
    }
}

fn usd(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("${v:.4}"))
}

fn verdict(s: &Option<Side>, repeats: bool) -> String {
    match s {
        None => "—".into(),
        Some(s) if repeats => format!("{} ({}/{})", s.status, s.passes, s.runs),
        Some(s) => s.status.clone(),
    }
}

/// `|`-free text for a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn scenario_row(out: &mut String, s: &ScenarioChange, repeats: bool) {
    let label = match s.change {
        Change::Regressed => "**regressed**",
        other => other.as_str(),
    };
    let (tokens, cost, ms) = match &s.delta {
        Some(d) => (
            signed(d.tokens),
            signed_usd(d.cost_usd),
            format!("{} ms", signed(d.duration_ms)),
        ),
        None => ("—".into(), "—".into(), "—".into()),
    };
    let _ = writeln!(
        out,
        "| {label} | `{}` | {} | {} | {tokens} | {cost} | {ms} |",
        cell(&s.id),
        verdict(&s.a, repeats),
        verdict(&s.b, repeats),
    );
}

fn totals_rows(out: &mut String, c: &Comparison, repeats: bool) {
    let (a, b) = (&c.totals_a, &c.totals_b);
    let row = |out: &mut String, what: &str, x: String, y: String, d: String| {
        let _ = writeln!(out, "| {what} | {x} | {y} | {d} |");
    };
    let _ = writeln!(out, "| | A | B | Δ |\n|---|---:|---:|---:|");
    row(
        out,
        "scenarios passed",
        format!("{}/{}", a.passed_scenarios, a.scenarios),
        format!("{}/{}", b.passed_scenarios, b.scenarios),
        signed(i64::from(b.passed_scenarios) - i64::from(a.passed_scenarios)),
    );
    if repeats {
        row(
            out,
            "runs passed",
            format!("{}/{}", a.passed_runs, a.runs),
            format!("{}/{}", b.passed_runs, b.runs),
            signed(i64::from(b.passed_runs) - i64::from(a.passed_runs)),
        );
        let pct = |v: f64| format!("{:.1}%", v * 100.0);
        let pp = |x: f64, y: f64| format!("{:+.1} pp", (y - x) * 100.0);
        row(
            out,
            "pass@1",
            pct(a.pass_at_1),
            pct(b.pass_at_1),
            pp(a.pass_at_1, b.pass_at_1),
        );
        row(
            out,
            &format!("pass@{}", c.k),
            pct(a.pass_at_k),
            pct(b.pass_at_k),
            pp(a.pass_at_k, b.pass_at_k),
        );
    }
    type Count = fn(&Totals) -> u64;
    let tokens: [(&str, Count); 4] = [
        ("input tokens", |t| t.input_tokens),
        ("cached input tokens", |t| t.cached_input_tokens),
        ("output tokens", |t| t.output_tokens),
        ("reasoning tokens", |t| t.reasoning_output_tokens),
    ];
    for (what, get) in tokens {
        let (x, y) = (get(a), get(b));
        row(
            out,
            what,
            x.to_string(),
            y.to_string(),
            signed(y as i64 - x as i64),
        );
    }
    let cost_delta = match (a.cost_usd, b.cost_usd) {
        (Some(x), Some(y)) => Some(y - x),
        _ => None,
    };
    row(
        out,
        "cost",
        usd(a.cost_usd),
        usd(b.cost_usd),
        signed_usd(cost_delta),
    );
    row(
        out,
        "run time (sum)",
        format!("{} ms", a.duration_ms),
        format!("{} ms", b.duration_ms),
        format!("{} ms", signed(b.duration_ms as i64 - a.duration_ms as i64)),
    );
    if a.ttft_ms.is_some() || b.ttft_ms.is_some() {
        let ms = |v: Option<u64>| v.map_or("—".into(), |v| format!("{v} ms"));
        let d = match (a.ttft_ms, b.ttft_ms) {
            (Some(x), Some(y)) => format!("{} ms", signed(y as i64 - x as i64)),
            _ => "—".into(),
        };
        row(
            out,
            "time to first token (mean)",
            ms(a.ttft_ms),
            ms(b.ttft_ms),
            d,
        );
    }
}

/// The whole report; at most `max_rows` changed scenarios are listed (regressions first), the
/// rest counted.
pub fn render(c: &Comparison, max_rows: usize) -> String {
    let repeats = c.k > 1
        || c.scenarios
            .iter()
            .flat_map(|s| [&s.a, &s.b])
            .flatten()
            .any(|s| s.runs > 1);
    let mut out = String::new();
    let head = if c.regressed > 0 {
        "**regressions**"
    } else {
        "no regressions"
    };
    let _ = writeln!(
        out,
        "### rcodex batch compare: {head}\n\n{} regressed, {} fixed, {} new, {} missing, {} unchanged (A `{}` → B `{}`)\n",
        c.regressed,
        c.fixed,
        c.new,
        c.missing,
        c.unchanged,
        cell(&c.a),
        cell(&c.b)
    );
    let changed: Vec<&ScenarioChange> = c
        .scenarios
        .iter()
        .filter(|s| s.change != Change::Unchanged)
        .collect();
    if changed.is_empty() {
        let _ = writeln!(out, "No scenario changed its verdict.\n");
    } else {
        let per_run = if repeats { " (per run)" } else { "" };
        let _ = writeln!(
            out,
            "| change | scenario | A | B | tokens Δ{per_run} | cost Δ{per_run} | time Δ{per_run} |\n|---|---|---|---|---:|---:|---:|"
        );
        for s in changed.iter().take(max_rows) {
            scenario_row(&mut out, s, repeats);
        }
        if changed.len() > max_rows {
            let _ = writeln!(
                out,
                "\n… and {} more changed scenarios (`--max-rows`, or all in `--json`).",
                changed.len() - max_rows
            );
        }
        out.push('\n');
    }
    totals_rows(&mut out, c, repeats);
    if repeats {
        let _ = writeln!(
            out,
            "\nA scenario passes when every run of it passed. pass@k is the unbiased estimator 1 − C(n−c, k)/C(n, k) (n runs, c passed, k = {}), averaged over scenarios; with k = n it is \"any run passed\".",
            c.k
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{compare, RunLine, Tokens};
    use super::*;
    use std::collections::BTreeMap;

    fn run(lines: &[(&str, u32, &str)]) -> BTreeMap<String, Vec<RunLine>> {
        let mut out: BTreeMap<String, Vec<RunLine>> = BTreeMap::new();
        for (id, repeat, status) in lines {
            out.entry(id.to_string()).or_default().push(RunLine {
                id: id.to_string(),
                repeat: *repeat,
                status: status.to_string(),
                usage: Tokens::default(),
                duration_ms: 10,
                cost_usd: None,
                ttft_ms: None,
            });
        }
        out
    }

    #[test]
    fn a_regression_heads_the_report_and_its_table() {
        let a = run(&[("x", 0, "pass"), ("y", 0, "pass")]);
        let b = run(&[("x", 0, "fail"), ("y", 0, "pass")]);
        let text = render(&compare("runs/a", &a, "runs/b", &b), 50);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "### rcodex batch compare: **regressions**");
        assert!(lines[2].starts_with("1 regressed, 0 fixed, 0 new, 0 missing, 1 unchanged"));
        assert!(
            text.contains("| **regressed** | `x` | pass | fail | 0 | — | 0 ms |"),
            "{text}"
        );
        assert!(!text.contains("`y`"), "unchanged rows are left out: {text}");
        assert!(
            text.contains("| scenarios passed | 2/2 | 1/2 | -1 |"),
            "{text}"
        );
        assert!(!text.contains("pass@"), "{text}");
    }

    #[test]
    fn rows_beyond_the_limit_are_counted_regressions_first() {
        let a = run(&[("p", 0, "pass"), ("q", 0, "pass"), ("r", 0, "fail")]);
        let b = run(&[("p", 0, "fail"), ("q", 0, "fail"), ("r", 0, "pass")]);
        let text = render(&compare("a", &a, "b", &b), 2);
        assert!(text.contains("`p`") && text.contains("`q`"), "{text}");
        assert!(!text.contains("`r`"), "{text}");
        assert!(text.contains("… and 1 more changed scenarios"), "{text}");
    }

    #[test]
    fn no_change_says_so_and_repeats_add_pass_at_k() {
        let a = run(&[("x", 0, "pass"), ("x", 1, "fail")]);
        let b = run(&[("x", 0, "pass"), ("x", 1, "fail")]);
        let text = render(&compare("a", &a, "b", &b), 50);
        assert!(text.starts_with("### rcodex batch compare: no regressions"));
        assert!(text.contains("No scenario changed its verdict."), "{text}");
        assert!(
            text.contains("| pass@1 | 50.0% | 50.0% | +0.0 pp |"),
            "{text}"
        );
        assert!(
            text.contains("| pass@2 | 100.0% | 100.0% | +0.0 pp |"),
            "{text}"
        );
    }
}
