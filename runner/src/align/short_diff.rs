//! A difference in a few lines a person reads in a terminal: the changed lines of two texts
//! (`similar`), or the two values cut short. Long upstream prompts must not flood the table.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::json_diff::Change;

/// Changed lines shown before the rest is counted.
const MAX_LINES: usize = 6;
/// Characters shown of one line or value.
const MAX_CHARS: usize = 110;

/// `- codex` / `+ rcodex` lines describing `change`, each ending in `\n`.
pub fn render(change: &Change) -> String {
    match change {
        Change::Value {
            codex: Value::String(a),
            rcodex: Value::String(b),
        } => text_diff(a, b),
        Change::Value { codex, rcodex } => {
            format!("- {}\n+ {}\n", value(codex), value(rcodex))
        }
        Change::OnlyCodex { codex } => format!("- {}\n+ (absent)\n", value(codex)),
        Change::OnlyRcodex { rcodex } => format!("- (absent)\n+ {}\n", value(rcodex)),
        Change::Order { codex, rcodex } => {
            let same = codex.iter().zip(rcodex).take_while(|(a, b)| a == b).count();
            let from = |keys: &[String]| {
                let rest = keys[same..].join(", ");
                cut(&if same == 0 {
                    rest
                } else {
                    format!("({same} same), {rest}")
                })
            };
            format!("- order {}\n+ order {}\n", from(codex), from(rcodex))
        }
    }
}

/// The lines only one side has, at most `MAX_LINES`, then how many more there are.
fn text_diff(a: &str, b: &str) -> String {
    let diff = TextDiff::from_lines(a, b);
    let changed: Vec<String> = diff
        .iter_all_changes()
        .filter_map(|c| {
            let sign = match c.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => return None,
            };
            Some(format!(
                "{sign} {}\n",
                cut(c.value().trim_end_matches('\n'))
            ))
        })
        .collect();
    let mut out: String = changed.iter().take(MAX_LINES).map(String::as_str).collect();
    if changed.len() > MAX_LINES {
        out.push_str(&format!(
            "  … {} more changed lines ({} and {} chars in all)\n",
            changed.len() - MAX_LINES,
            a.chars().count(),
            b.chars().count()
        ));
    }
    out
}

fn value(v: &Value) -> String {
    cut(&v.to_string())
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_CHARS {
        return s.to_string();
    }
    let head: String = s.chars().take(MAX_CHARS).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn texts_show_only_their_changed_lines() {
        let got = render(&Change::Value {
            codex: json!("same\nCodex line\nsame too\n"),
            rcodex: json!("same\nrcodex line\nsame too\n"),
        });
        assert_eq!(got, "- Codex line\n+ rcodex line\n");
    }

    #[test]
    fn long_texts_are_cut_and_counted() {
        let a: String = (0..20).map(|i| format!("a{i}\n")).collect();
        let got = render(&Change::Value {
            codex: json!(a),
            rcodex: json!("b\n"),
        });
        assert_eq!(got.lines().count(), MAX_LINES + 1, "{got}");
        assert!(
            got.ends_with("… 15 more changed lines (70 and 2 chars in all)\n"),
            "{got}"
        );
        let long = "x".repeat(500);
        let got = render(&Change::OnlyCodex { codex: json!(long) });
        assert!(got.lines().next().unwrap().chars().count() < 120, "{got}");
    }

    #[test]
    fn values_absences_and_orders() {
        let v = Change::Value {
            codex: json!(10),
            rcodex: json!(5),
        };
        assert_eq!(render(&v), "- 10\n+ 5\n");
        let v = Change::OnlyRcodex {
            rcodex: json!({"type": "x"}),
        };
        assert_eq!(render(&v), "- (absent)\n+ {\"type\":\"x\"}\n");
        let v = Change::Order {
            codex: vec!["a".into(), "b".into()],
            rcodex: vec!["b".into(), "a".into()],
        };
        assert_eq!(render(&v), "- order a, b\n+ order b, a\n");
        let v = Change::Order {
            codex: vec!["x".into(), "a".into(), "b".into()],
            rcodex: vec!["x".into(), "b".into(), "a".into()],
        };
        assert_eq!(
            render(&v),
            "- order (1 same), a, b\n+ order (1 same), b, a\n"
        );
    }
}
