//! One doctor check and how the list of them is shown: a line each for a person, or one JSON
//! object for scripts. A check that fails always says what to fix.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skipped,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skipped => "skip",
        }
    }
}

/// The outcome of one check.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    /// What to do about it (empty when nothing needs doing).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

impl Check {
    pub fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check::new(name, Status::Ok, detail, "")
    }
    pub fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(name, Status::Warn, detail, fix)
    }
    pub fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(name, Status::Fail, detail, fix)
    }
    pub fn skipped(name: &'static str, detail: impl Into<String>) -> Check {
        Check::new(name, Status::Skipped, detail, "")
    }
    fn new(
        name: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name,
            status,
            detail: detail.into(),
            fix: fix.into(),
        }
    }

    /// `fail key      OPENAI_API_KEY is not set; fix: ...`
    pub fn line(&self) -> String {
        let mut line = format!("{:<5}{:<9}{}", self.status.label(), self.name, self.detail);
        if !self.fix.is_empty() {
            line.push_str("; fix: ");
            line.push_str(&self.fix);
        }
        line
    }
}

/// The whole report as one JSON object: `{"ok": bool, "checks": [...]}`.
pub fn to_json(checks: &[Check]) -> String {
    serde_json::json!({
        "ok": !any_failed(checks),
        "checks": checks,
    })
    .to_string()
}

pub fn any_failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_line_names_the_check_and_the_fix() {
        let c = Check::fail("key", "OPENAI_API_KEY is not set", "set OPENAI_API_KEY");
        assert_eq!(
            c.line(),
            "fail key      OPENAI_API_KEY is not set; fix: set OPENAI_API_KEY"
        );
        assert_eq!(Check::ok("dns", "x").line(), "ok   dns      x");
    }

    #[test]
    fn json_says_ok_only_without_a_failure() {
        let mut checks = vec![Check::ok("a", "x"), Check::warn("b", "y", "z")];
        let v: serde_json::Value = serde_json::from_str(&to_json(&checks)).unwrap();
        assert_eq!(v["ok"], true);
        assert_eq!(v["checks"][1]["status"], "warn");
        assert_eq!(v["checks"][0].get("fix"), None);
        checks.push(Check::fail("c", "broken", "mend it"));
        let v: serde_json::Value = serde_json::from_str(&to_json(&checks)).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["checks"][2]["fix"], "mend it");
    }
}
