//! `-c key.path=value`: the value is parsed as TOML, else taken as a string; dotted paths
//! create nested tables; a quoted segment may contain dots (`model_providers."a.b".name`).

use toml::{Table, Value};

use super::ConfigError;

/// Applies one raw override to the merged table.
pub fn apply_override(table: &mut Table, raw: &str) -> Result<(), ConfigError> {
    let err = |message: &str| ConfigError::Override {
        raw: raw.to_string(),
        message: message.to_string(),
    };
    let (key, value) = raw
        .split_once('=')
        .ok_or_else(|| err("expected key=value"))?;
    let path = split_key(key.trim()).ok_or_else(|| err("bad key path"))?;
    let value = parse_value(value.trim());
    let (leaf, parents) = path.split_last().ok_or_else(|| err("empty key"))?;
    let mut cur = table;
    for seg in parents {
        let entry = cur
            .entry(seg.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        cur = entry.as_table_mut().expect("just made a table");
    }
    cur.insert(leaf.clone(), value);
    Ok(())
}

fn parse_value(text: &str) -> Value {
    match format!("v = {text}").parse::<Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(text.to_string())),
        Err(_) => Value::String(text.to_string()),
    }
}

fn split_key(key: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in key.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    (!quoted && out.iter().all(|s| !s.is_empty())).then_some(out)
}
