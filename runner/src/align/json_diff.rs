//! Every place two JSON values differ, as JSON pointers (RFC 6901), key order included: `align`
//! must list all differences of a request, where replay only needs the first.

use serde::Serialize;
use serde_json::Value;

/// How the two sides differ at one place.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Both have a value there, and they differ.
    Value { codex: Value, rcodex: Value },
    /// Only Codex has it (a key, or an array element past rcodex's end).
    OnlyCodex { codex: Value },
    /// Only rcodex has it.
    OnlyRcodex { rcodex: Value },
    /// The keys both sides have come in another order.
    Order {
        codex: Vec<String>,
        rcodex: Vec<String>,
    },
}

/// One difference: where, and what.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// A JSON pointer; an `Order` change points at the object (`/` for the top level).
    pub pointer: String,
    #[serde(flatten)]
    pub change: Change,
}

/// All differences between `codex` and `rcodex`, depth first in Codex's key order. Objects at
/// pointers for which `unordered` is true are compared without their key order.
pub fn differences(
    codex: &Value,
    rcodex: &Value,
    unordered: &dyn Fn(&str) -> bool,
) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(codex, rcodex, "", unordered, &mut out);
    out
}

fn walk(
    a: &Value,
    b: &Value,
    at: &str,
    unordered: &dyn Fn(&str) -> bool,
    out: &mut Vec<Difference>,
) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let in_a: Vec<&String> = x.keys().filter(|k| y.contains_key(*k)).collect();
            let in_b: Vec<&String> = y.keys().filter(|k| x.contains_key(*k)).collect();
            if in_a != in_b && !unordered(at) {
                out.push(Difference {
                    pointer: if at.is_empty() { "/".into() } else { at.into() },
                    change: Change::Order {
                        codex: in_a.iter().map(|k| k.to_string()).collect(),
                        rcodex: in_b.iter().map(|k| k.to_string()).collect(),
                    },
                });
            }
            for (key, value) in x {
                let here = format!("{at}/{}", escape(key));
                match y.get(key) {
                    Some(other) => walk(value, other, &here, unordered, out),
                    None => out.push(Difference {
                        pointer: here,
                        change: Change::OnlyCodex {
                            codex: value.clone(),
                        },
                    }),
                }
            }
            for (key, value) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                out.push(Difference {
                    pointer: format!("{at}/{}", escape(key)),
                    change: Change::OnlyRcodex {
                        rcodex: value.clone(),
                    },
                });
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                walk(p, q, &format!("{at}/{i}"), unordered, out);
            }
            for (i, p) in x.iter().enumerate().skip(y.len()) {
                out.push(Difference {
                    pointer: format!("{at}/{i}"),
                    change: Change::OnlyCodex { codex: p.clone() },
                });
            }
            for (i, q) in y.iter().enumerate().skip(x.len()) {
                out.push(Difference {
                    pointer: format!("{at}/{i}"),
                    change: Change::OnlyRcodex { rcodex: q.clone() },
                });
            }
        }
        _ if a != b => out.push(Difference {
            pointer: at.into(),
            change: Change::Value {
                codex: a.clone(),
                rcodex: b.clone(),
            },
        }),
        _ => {}
    }
}

/// A key as one pointer segment.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ordered(_: &str) -> bool {
        false
    }

    #[test]
    fn equal_values_have_no_differences() {
        let v = json!({"a": [1, {"b": "c"}], "d": null});
        assert!(differences(&v, &v.clone(), &ordered).is_empty());
    }

    #[test]
    fn lists_every_value_missing_key_extra_element_and_order() {
        let codex = json!({"model": "m", "stream": true, "input": [{"type": "message", "id": "msg_1"}], "x": 1});
        let rcodex = json!({"stream": true, "model": "n", "input": [{"type": "message"}, {"type": "extra"}], "y/z": 2});
        let got = differences(&codex, &rcodex, &ordered);
        let pointers: Vec<&str> = got.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/", "/model", "/input/0/id", "/input/1", "/x", "/y~1z"]
        );
        assert_eq!(
            got[0].change,
            Change::Order {
                codex: vec!["model".into(), "stream".into(), "input".into()],
                rcodex: vec!["stream".into(), "model".into(), "input".into()],
            }
        );
        assert_eq!(
            got[1].change,
            Change::Value {
                codex: json!("m"),
                rcodex: json!("n")
            }
        );
        assert_eq!(
            got[2].change,
            Change::OnlyCodex {
                codex: json!("msg_1")
            }
        );
        assert_eq!(
            got[3].change,
            Change::OnlyRcodex {
                rcodex: json!({"type": "extra"})
            }
        );
    }

    #[test]
    fn unordered_objects_ignore_key_order_but_not_values() {
        let codex = json!({"meta": {"a": 1, "b": 2}});
        let rcodex = json!({"meta": {"b": 2, "a": 3}});
        let got = differences(&codex, &rcodex, &|p: &str| p == "/meta");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].pointer, "/meta/a");
    }
}
