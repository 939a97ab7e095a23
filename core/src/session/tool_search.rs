//! `tool_search`, answered by the core: the model searches the session's deferred tool
//! namespaces (`multi_agent_v1`) and gets a `tool_search_output` holding the matching function
//! specs, grouped by namespace. Nothing runs, so the answer is pure and drawn at once.
//!
//! What the pinned Codex 0.169 does (captured, `vendor/README.md`): the arguments are read as
//! `{query: string, limit?: unsigned integer}` (an array `[query, limit]` reads the same way;
//! other keys are ignored); a search that does not read, an empty query or `limit: 0` loads
//! nothing (`tools: []`, status still `completed`) and the turn goes on; words that match no
//! tool load nothing either. Ranking is a text search over each tool's name and descriptions;
//! rcodex ranks over its own descriptions (name words weigh more than description words, ties
//! keep the namespace's order), so which tools a narrow query finds and their order can differ
//! from Codex's. Codex itself breaks ties differently from run to run.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::tool_set::{catalog_slugs, deferred_namespace, DeferredNamespace};

/// How many tools a search without `limit` loads at most.
pub const DEFAULT_LIMIT: usize = 8;

/// A name word counts this many description words.
const NAME_WEIGHT: u32 = 3;

/// The arguments as Codex reads them.
#[derive(Debug, Deserialize)]
struct SearchArgs {
    query: String,
    #[serde(default)]
    limit: Option<usize>,
}

/// Why a search loads nothing (Codex logs the reason; the model sees only `tools: []`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// The arguments are not `{query, limit?}`.
    #[error("failed to parse tool_search arguments: {0}")]
    Arguments(String),
    /// `query` is empty or blank.
    #[error("query must not be empty")]
    EmptyQuery,
    /// `limit` is 0.
    #[error("limit must be greater than zero")]
    ZeroLimit,
}

/// The `tools` of the `tool_search_output` answering `arguments`, searched over `namespaces`
/// (names of deferred namespaces, in order). A malformed search loads nothing.
pub fn answer(arguments: &Value, namespaces: &[String]) -> Vec<Value> {
    search(arguments, namespaces).unwrap_or_default()
}

/// The search, or why it loads nothing.
pub fn search(arguments: &Value, namespaces: &[String]) -> Result<Vec<Value>, SearchError> {
    let args =
        SearchArgs::deserialize(arguments).map_err(|e| SearchError::Arguments(e.to_string()))?;
    if args.query.trim().is_empty() {
        return Err(SearchError::EmptyQuery);
    }
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 {
        return Err(SearchError::ZeroLimit);
    }
    let terms = words(&args.query);
    let loaded: Vec<(String, DeferredNamespace)> = namespaces
        .iter()
        .filter_map(|n| Some((n.clone(), deferred_namespace(n)?)))
        .collect();
    let mut hits: Vec<(u32, usize, usize)> = Vec::new();
    for (n, (_, ns)) in loaded.iter().enumerate() {
        for (t, tool) in ns.tools.iter().enumerate() {
            let score = score(&terms, tool);
            if score > 0 {
                hits.push((score, n, t));
            }
        }
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    hits.truncate(limit);
    let mut groups: Vec<(usize, Vec<Value>)> = Vec::new();
    for (_, n, t) in hits {
        let spec = with_model_list(loaded[n].1.tools[t].clone());
        match groups.iter_mut().find(|(g, _)| *g == n) {
            Some((_, tools)) => tools.push(spec),
            None => groups.push((n, vec![spec])),
        }
    }
    Ok(groups
        .into_iter()
        .map(|(n, tools)| {
            let (name, ns) = &loaded[n];
            json!({"type": "namespace", "name": name, "description": ns.description, "tools": tools})
        })
        .collect())
}

/// How well `tool` matches the query words: each word found in its name counts
/// [`NAME_WEIGHT`], each found in its descriptions or parameter names counts 1.
fn score(terms: &[String], tool: &Value) -> u32 {
    let name = words(tool["name"].as_str().unwrap_or_default());
    let mut text = String::new();
    collect_text(tool, &mut text);
    let text = words(&text);
    terms
        .iter()
        .map(|term| {
            let in_name = name.contains(term) as u32 * NAME_WEIGHT;
            in_name + text.contains(term) as u32
        })
        .sum()
}

/// The descriptions and property names of a spec, space-separated.
fn collect_text(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "description" {
                    if let Some(text) = v.as_str() {
                        out.push_str(text);
                        out.push(' ');
                    }
                } else if key == "properties" {
                    if let Some(props) = v.as_object() {
                        for (prop, schema) in props {
                            out.push_str(prop);
                            out.push(' ');
                            collect_text(schema, out);
                        }
                    }
                } else {
                    collect_text(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_text(v, out)),
        _ => {}
    }
}

/// Lowercase words of letters and digits (`sub-agents` → `sub`, `agent`), a plural `s`
/// dropped so that `agents` finds `agent`.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            match w.strip_suffix('s') {
                Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem.to_string(),
                _ => w,
            }
        })
        .collect()
}

/// `spawn_agent`'s description ends with the models a sub-agent may be given, listed from the
/// vendored catalog (Codex lists its catalog there too, in its own words).
fn with_model_list(mut spec: Value) -> Value {
    if spec["name"] != "spawn_agent" {
        return spec;
    }
    let list = catalog_slugs().join(", ");
    if let Some(Value::String(text)) = spec.get_mut("description") {
        text.push_str(&format!("\nModels `model` may name: {list}."));
    }
    spec
}

#[cfg(test)]
#[path = "tool_search_tests.rs"]
mod tests;
