//! Every place two JSON values differ, as JSON pointers (RFC 6901), key order included: `align`
//! must list all differences of a request, where replay only needs the first.

use serde::Serialize;
use serde_json::Value;
use similar::{capture_diff_slices, Algorithm, DiffOp};

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

/// What the walk needs to know about the document beyond its values.
pub trait Layout {
    /// Objects at `pointer` are compared without their key order.
    fn unordered(&self, _pointer: &str) -> bool {
        false
    }

    /// What an element of the array at `pointer` is, so the two arrays are paired by what
    /// their elements are (an element only one side has then shifts nothing). `None` pairs by
    /// index.
    fn element_key(&self, _pointer: &str, _element: &Value) -> Option<String> {
        None
    }
}

/// Every key order counts, arrays pair by index.
pub struct Plain;

impl Layout for Plain {}

/// All differences between `codex` and `rcodex`, depth first in Codex's key order. Pointers are
/// into Codex's value, except for what only rcodex has (into rcodex's).
pub fn differences(codex: &Value, rcodex: &Value, layout: &dyn Layout) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(codex, rcodex, "", layout, &mut out);
    out
}

fn walk(a: &Value, b: &Value, at: &str, layout: &dyn Layout, out: &mut Vec<Difference>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let in_a: Vec<&String> = x.keys().filter(|k| y.contains_key(*k)).collect();
            let in_b: Vec<&String> = y.keys().filter(|k| x.contains_key(*k)).collect();
            if in_a != in_b && !layout.unordered(at) {
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
                    Some(other) => walk(value, other, &here, layout, out),
                    None => out.push(only_codex(here, value)),
                }
            }
            for (key, value) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                out.push(only_rcodex(format!("{at}/{}", escape(key)), value));
            }
        }
        (Value::Array(x), Value::Array(y)) => walk_array(x, y, at, layout, out),
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

/// Pairs elements by their keys when every element has one (a sequence diff of the keys), else
/// by index; unpaired elements are reported as only on one side.
fn walk_array(x: &[Value], y: &[Value], at: &str, layout: &dyn Layout, out: &mut Vec<Difference>) {
    let keys = |items: &[Value]| -> Option<Vec<String>> {
        items.iter().map(|v| layout.element_key(at, v)).collect()
    };
    // Keyed elements pair only when their keys are equal; otherwise by index.
    let (ops, keyed) = match (keys(x), keys(y)) {
        (Some(kx), Some(ky)) if kx != ky => (capture_diff_slices(Algorithm::Myers, &kx, &ky), true),
        _ => (
            vec![DiffOp::Replace {
                old_index: 0,
                old_len: x.len(),
                new_index: 0,
                new_len: y.len(),
            }],
            false,
        ),
    };
    for op in ops {
        let (i, j, n, m) = match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => (old_index, new_index, len, len),
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => (old_index, new_index, old_len, 0),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => (old_index, new_index, 0, new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (old_index, new_index, old_len, new_len),
        };
        let paired = if keyed && !matches!(op, DiffOp::Equal { .. }) {
            0
        } else {
            n.min(m)
        };
        for k in 0..paired {
            walk(
                &x[i + k],
                &y[j + k],
                &format!("{at}/{}", i + k),
                layout,
                out,
            );
        }
        for k in paired..n {
            out.push(only_codex(format!("{at}/{}", i + k), &x[i + k]));
        }
        for k in paired..m {
            out.push(only_rcodex(format!("{at}/{}", j + k), &y[j + k]));
        }
    }
}

fn only_codex(pointer: String, v: &Value) -> Difference {
    Difference {
        pointer,
        change: Change::OnlyCodex { codex: v.clone() },
    }
}

fn only_rcodex(pointer: String, v: &Value) -> Difference {
    Difference {
        pointer,
        change: Change::OnlyRcodex { rcodex: v.clone() },
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

    #[test]
    fn equal_values_have_no_differences() {
        let v = json!({"a": [1, {"b": "c"}], "d": null});
        assert!(differences(&v, &v.clone(), &Plain).is_empty());
    }

    #[test]
    fn lists_every_value_missing_key_extra_element_and_order() {
        let codex = json!({"model": "m", "stream": true, "input": [{"type": "message", "id": "msg_1"}], "x": 1});
        let rcodex = json!({"stream": true, "model": "n", "input": [{"type": "message"}, {"type": "extra"}], "y/z": 2});
        let got = differences(&codex, &rcodex, &Plain);
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
        struct MetaUnordered;
        impl Layout for MetaUnordered {
            fn unordered(&self, p: &str) -> bool {
                p == "/meta"
            }
        }
        let got = differences(&codex, &rcodex, &MetaUnordered);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].pointer, "/meta/a");
    }

    #[test]
    fn keyed_arrays_pair_elements_by_what_they_are() {
        struct ByTag;
        impl Layout for ByTag {
            fn element_key(&self, _: &str, v: &Value) -> Option<String> {
                v["tag"].as_str().map(str::to_string)
            }
        }
        let codex = json!([{"tag": "skills"}, {"tag": "perm", "text": "theirs"}, {"tag": "tools"}]);
        let rcodex = json!([{"tag": "perm", "text": "ours"}, {"tag": "mine"}]);
        let got = differences(&codex, &rcodex, &ByTag);
        let pointers: Vec<&str> = got.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(pointers, ["/0", "/1/text", "/2", "/1"]);
        assert!(matches!(got[0].change, Change::OnlyCodex { .. }));
        assert!(matches!(got[2].change, Change::OnlyCodex { .. }));
        assert!(matches!(got[3].change, Change::OnlyRcodex { .. }));
        // Without keys the same arrays pair by index.
        let by_index = differences(&codex, &rcodex, &Plain);
        assert_eq!(by_index[0].pointer, "/0/tag");
    }
}
