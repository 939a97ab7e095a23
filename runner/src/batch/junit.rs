//! JUnit XML for CI systems: a failed expectation is a `<failure>`, a scenario that could not
//! run is an `<error>`, one not run is `<skipped/>`.

use std::fmt::Write;

use super::results::{ResultLine, Status};

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even when escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A testcase's `<properties>`: tokens, cost (when priced), time to first token, requests and
/// the limit that stopped it.
fn properties(r: &ResultLine) -> String {
    let u = &r.usage;
    let mut props = vec![
        ("input_tokens", u.input_tokens.to_string()),
        ("cached_input_tokens", u.cached_input_tokens.to_string()),
        ("output_tokens", u.output_tokens.to_string()),
        (
            "reasoning_output_tokens",
            u.reasoning_output_tokens.to_string(),
        ),
        ("requests", r.requests.to_string()),
        ("duration_ms", r.duration_ms.to_string()),
    ];
    props.extend(r.cost_usd.map(|c| ("cost_usd", format!("{c}"))));
    props.extend(r.ttft_ms.map(|t| ("ttft_ms", t.to_string())));
    props.extend(r.limit.as_ref().map(|l| ("limit", l.clone())));
    props.extend(r.model.as_ref().map(|m| ("model", m.clone())));
    let mut out = String::from("      <properties>\n");
    for (name, value) in props {
        let _ = writeln!(
            out,
            "        <property name=\"{name}\" value=\"{}\"/>",
            escape(&value)
        );
    }
    out.push_str("      </properties>\n");
    out
}

/// What graders printed and where a kept workspace is, as the test case's `<system-out>`.
fn system_out(r: &ResultLine) -> String {
    let mut text = String::new();
    for (c, report) in r
        .checks
        .iter()
        .filter_map(|c| Some((c, c.command.as_ref()?)))
    {
        let verdict = if c.passed { "passed" } else { "FAILED" };
        let _ = writeln!(text, "{}: {verdict} ({})", c.check, report.ending());
        let _ = writeln!(text, "$ {}", report.run);
        text.push_str(&report.output());
    }
    if let Some(ws) = &r.workspace {
        let _ = writeln!(text, "workspace: {ws}");
    }
    text
}

/// Puts [`system_out`] into the test case just rendered at the end of `out`, if it has any.
fn add_system_out(out: &mut String, r: &ResultLine) {
    let text = system_out(r);
    if text.is_empty() {
        return;
    }
    let element = format!("      <system-out>{}</system-out>\n", escape(&text));
    if out.ends_with("/>\n") {
        out.truncate(out.len() - "/>\n".len());
        out.push_str(">\n");
    } else {
        out.truncate(out.len() - "    </testcase>\n".len());
    }
    out.push_str(&element);
    out.push_str("    </testcase>\n");
}

/// What the suite's opening tags count: gathered over every result before any test case is
/// written, so the cases can then be written one at a time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SuiteCounts {
    pub tests: usize,
    /// Fails and timeouts.
    pub failures: usize,
    pub errors: usize,
    pub skipped: usize,
    pub total_secs: f64,
}

impl SuiteCounts {
    pub fn add(&mut self, r: &ResultLine) {
        self.tests += 1;
        match r.status {
            Status::Fail | Status::Timeout => self.failures += 1,
            Status::Error => self.errors += 1,
            Status::Skipped => self.skipped += 1,
            Status::Pass => {}
        }
        self.total_secs += r.duration_ms as f64 / 1000.0;
    }
}

/// The XML declaration and the opening `<testsuites>` and `<testsuite>` tags.
pub fn header(c: &SuiteCounts) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let attrs = format!(
        "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\"",
        c.tests, c.failures, c.errors, c.skipped, c.total_secs
    );
    let _ = writeln!(out, "<testsuites name=\"rcodex batch\" {attrs}>");
    let _ = writeln!(out, "  <testsuite name=\"scenarios\" {attrs}>");
    out
}

/// The closing tags.
pub const FOOTER: &str = "  </testsuite>\n</testsuites>\n";

/// One result's `<testcase>`.
pub fn case(r: &ResultLine) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}#{}\" file=\"{}\" time=\"{:.3}\"",
        escape(&r.id),
        escape(&r.name),
        r.repeat,
        escape(&r.file),
        r.duration_ms as f64 / 1000.0
    );
    out.push_str(">\n");
    out.push_str(&properties(r));
    match r.status {
        Status::Pass => out.push_str("    </testcase>\n"),
        Status::Skipped => out.push_str(
            "      <skipped message=\"no scripted replies (run with --live)\"/>\n    </testcase>\n",
        ),
        Status::Fail => {
            let failed: Vec<String> = r
                .checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| format!("{}: {}", c.check, c.detail))
                .collect();
            let _ = write!(
                out,
                "      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                // The message is one line; a snapshot's diff follows in the body.
                escape(
                    failed
                        .first()
                        .and_then(|f| f.lines().next())
                        .unwrap_or("failed")
                ),
                escape(&failed.join("\n"))
            );
        }
        Status::Timeout => {
            let msg = r.error.as_deref().unwrap_or("timeout");
            let _ = write!(
                out,
                "      <failure type=\"timeout\" message=\"{}\">{}</failure>\n    </testcase>\n",
                escape(msg),
                escape(msg)
            );
        }
        Status::Error => {
            let msg = r.error.as_deref().unwrap_or("error");
            let _ = write!(
                out,
                "      <error message=\"{}\">{}</error>\n    </testcase>\n",
                escape(msg),
                escape(msg)
            );
        }
    }
    add_system_out(&mut out, r);
    out
}

/// Renders every result as one test suite.
pub fn render(results: &[ResultLine]) -> String {
    let mut counts = SuiteCounts::default();
    results.iter().for_each(|r| counts.add(r));
    let mut out = header(&counts);
    for r in results {
        out.push_str(&case(r));
    }
    out.push_str(FOOTER);
    out
}
