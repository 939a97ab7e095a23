//! Where two JSON values first differ, as a JSON pointer (RFC 6901): the place a divergence
//! report points at.

use serde_json::Value;

/// The pointer to the first place `a` and `b` differ (depth first, in key order); `None` when
/// they are equal. `""` is the whole value.
pub fn first_difference(a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                match y.get(key) {
                    Some(other) => {
                        if let Some(rest) = first_difference(value, other) {
                            return Some(format!("/{}{rest}", escape(key)));
                        }
                    }
                    None => return Some(format!("/{}", escape(key))),
                }
            }
            y.keys()
                .find(|key| !x.contains_key(*key))
                .map(|key| format!("/{}", escape(key)))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if let Some(rest) = first_difference(p, q) {
                    return Some(format!("/{i}{rest}"));
                }
            }
            (x.len() != y.len()).then(|| format!("/{}", x.len().min(y.len())))
        }
        _ => (a != b).then(String::new),
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn points_at_the_first_difference() {
        let a = json!({"type": "function_call_output", "call_id": "c1", "output": "ok"});
        assert_eq!(first_difference(&a, &a.clone()), None);
        let b = json!({"type": "function_call_output", "call_id": "c1", "output": "no"});
        assert_eq!(first_difference(&a, &b).as_deref(), Some("/output"));
        let c = json!({"content": [{"text": "x"}, {"text": "y"}]});
        let d = json!({"content": [{"text": "x"}, {"text": "z"}]});
        assert_eq!(first_difference(&c, &d).as_deref(), Some("/content/1/text"));
        let e = json!({"content": [{"text": "x"}]});
        assert_eq!(first_difference(&c, &e).as_deref(), Some("/content/1"));
        assert_eq!(
            first_difference(&json!({"a/b": 1}), &json!({"a/b": 2})).as_deref(),
            Some("/a~1b")
        );
        assert_eq!(
            first_difference(&json!({}), &json!({"k": 1})).as_deref(),
            Some("/k")
        );
        assert_eq!(
            first_difference(&json!(1), &json!("1")).as_deref(),
            Some("")
        );
    }
}
