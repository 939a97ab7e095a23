//! Puts imported upstream text into a session's config. Pure: the texts are loaded already.

use std::path::{Path, PathBuf};

use rcodex_core::protocol::ToolSpec;
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::SessionConfig;
use serde_json::Value;

use super::{UpstreamText, HOME_MARKER, ROOTS_MARKER};

/// The tag that opens the permissions part of the second developer message.
const PERMISSIONS_TAG: &str = "<permissions instructions>";
/// The tag that opens the skills part, which Codex sends first.
pub const SKILLS_TAG: &str = "<skills_instructions>";

/// Swaps rcodex's own texts for the imported ones where the folder has them: the base
/// instructions, the skills part (with `codex_home` filled in) before the permissions part for
/// `sandbox` (with `writable_roots` filled in), and the descriptions of the tools both offer.
/// What the folder lacks stays rcodex's own.
pub fn apply_to_session(
    text: &UpstreamText,
    session: &mut SessionConfig,
    sandbox: SandboxMode,
    writable_roots: &[PathBuf],
    codex_home: &Path,
) {
    if let Some(base) = &text.base_instructions {
        session.context.base_instructions = base.clone();
    }
    if let Some(template) = text.permissions.get(&sandbox) {
        let mut rendered = render_permissions(template, writable_roots);
        if sandbox == SandboxMode::WorkspaceWrite && session.context.environment.network_access {
            rendered = with_network_enabled(&rendered, text);
        }
        let sections = &mut session.context.developer_sections;
        match sections.iter().position(|s| s.starts_with(PERMISSIONS_TAG)) {
            Some(i) => sections[i] = rendered,
            None => sections.push(rendered),
        }
    }
    if let Some(skills) = &text.skills_instructions {
        let rendered = skills.replace(HOME_MARKER, &codex_home.display().to_string());
        let sections = &mut session.context.developer_sections;
        sections.retain(|s| !s.starts_with(SKILLS_TAG));
        sections.insert(0, rendered);
    }
    if let Some(prompt) = &text.compact_prompt {
        session.compact.prompt = prompt.clone();
    }
    if let Some(prefix) = &text.compact_summary_prefix {
        session.compact.summary_prefix = prefix.clone();
    }
    for tool in &mut session.tools {
        if let Some(theirs) = text.tools.get(tool.name()) {
            *tool = merge_descriptions(tool, theirs);
        }
    }
}

/// The workspace-write text for `network_access = true`. Codex's texts end their first line
/// with the network sentence, which is the restricted one under `read-only` and the enabled one
/// under `danger-full-access`: that sentence of the imported read-only text is swapped for that
/// of the imported full-access text, so no upstream words live here. Without both, unchanged.
fn with_network_enabled(rendered: &str, text: &UpstreamText) -> String {
    let last_sentence = |mode| {
        let t: &String = text.permissions.get(&mode)?;
        let line = t.lines().find(|l| !l.starts_with('<'))?;
        line.rsplit(". ").next().map(str::to_string)
    };
    match (
        last_sentence(SandboxMode::ReadOnly),
        last_sentence(SandboxMode::DangerFullAccess),
    ) {
        (Some(restricted), Some(enabled)) if restricted != enabled => {
            rendered.replacen(&restricted, &enabled, 1)
        }
        _ => rendered.to_string(),
    }
}

/// Fills [`ROOTS_MARKER`] with the roots as Codex lists them: sorted, each in backticks, joined
/// by `, `.
pub fn render_permissions(template: &str, writable_roots: &[PathBuf]) -> String {
    if !template.contains(ROOTS_MARKER) {
        return template.to_string();
    }
    template.replace(ROOTS_MARKER, &roots_list(writable_roots))
}

/// `` `a`, `b` ``, sorted and without repeats.
pub fn roots_list(roots: &[PathBuf]) -> String {
    let mut shown: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
    shown.sort();
    shown.dedup();
    shown
        .iter()
        .map(|r| format!("`{r}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ours` with every description (tool and parameter) that `theirs` has at the same place, and
/// a grammar `definition` where both grammars have the same syntax. Names, types and schemas
/// stay ours; a place only one side has is left as ours has it.
pub fn merge_descriptions(ours: &ToolSpec, theirs: &Value) -> ToolSpec {
    let Ok(mut value) = serde_json::to_value(ours) else {
        return ours.clone();
    };
    graft_texts(&mut value, theirs);
    serde_json::from_value(value).unwrap_or_else(|_| ours.clone())
}

fn graft_texts(ours: &mut Value, theirs: &Value) {
    match (ours, theirs) {
        (Value::Object(mine), Value::Object(other)) => {
            let same_syntax =
                mine.get("syntax").is_some() && mine.get("syntax") == other.get("syntax");
            for (key, value) in mine.iter_mut() {
                let Some(their_value) = other.get(key) else {
                    continue;
                };
                let is_text = key == "description" || (key == "definition" && same_syntax);
                match (value, their_value) {
                    (Value::String(text), Value::String(their_text)) if is_text => {
                        text.clone_from(their_text);
                    }
                    (value, their_value) => graft_texts(value, their_value),
                }
            }
        }
        (Value::Array(mine), Value::Array(other)) => {
            for (value, their_value) in mine.iter_mut().zip(other) {
                graft_texts(value, their_value);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcodex_core::context::{EnvironmentContext, InitialContext};
    use serde_json::json;

    fn function(description: &str, param_description: &str) -> ToolSpec {
        serde_json::from_value(json!({
            "type": "function", "name": "exec_command", "description": description, "strict": false,
            "parameters": {"type": "object", "properties": {
                "cmd": {"type": "string", "description": param_description},
                "tty": {"type": "boolean"}
            }, "required": ["cmd"], "additionalProperties": false}
        }))
        .unwrap()
    }

    #[test]
    fn network_access_takes_the_full_access_network_sentence() {
        let mut text = UpstreamText::default();
        let perm = |first: &str| {
            format!(
                "<permissions instructions>\n{first}\nApproval: x.\n</permissions instructions>"
            )
        };
        text.permissions
            .insert(SandboxMode::ReadOnly, perm("Mode ro: reads. Net off."));
        text.permissions.insert(
            SandboxMode::DangerFullAccess,
            perm("Mode full: all. Net on."),
        );
        let ws = perm("Mode ws: writes. Net off.");
        assert_eq!(
            with_network_enabled(&ws, &text),
            perm("Mode ws: writes. Net on.")
        );
        text.permissions.remove(&SandboxMode::DangerFullAccess);
        assert_eq!(with_network_enabled(&ws, &text), ws);
    }

    #[test]
    fn descriptions_come_from_theirs_and_schemas_stay_ours() {
        let ours = function("ours", "our cmd");
        // Theirs has another type for `tty` and a parameter we do not have: neither is taken.
        let theirs = json!({
            "type": "function", "name": "exec_command", "description": "theirs", "strict": true,
            "parameters": {"type": "object", "properties": {
                "cmd": {"type": "string", "description": "their cmd"},
                "tty": {"type": "string", "description": "their tty"},
                "extra": {"type": "number"}
            }}
        });
        let merged = serde_json::to_value(merge_descriptions(&ours, &theirs)).unwrap();
        assert_eq!(merged["description"], "theirs");
        assert_eq!(merged["strict"], false);
        assert_eq!(
            merged["parameters"]["properties"]["cmd"]["description"],
            "their cmd"
        );
        assert_eq!(
            merged["parameters"]["properties"]["tty"],
            json!({"type": "boolean"})
        );
        assert!(merged["parameters"]["properties"].get("extra").is_none());
        assert_eq!(merged["parameters"]["required"], json!(["cmd"]));
    }

    #[test]
    fn a_grammar_is_taken_only_with_the_same_syntax() {
        let ours: ToolSpec = serde_json::from_value(json!({
            "type": "custom", "name": "apply_patch", "description": "ours",
            "format": {"type": "grammar", "syntax": "lark", "definition": "start: ours"}
        }))
        .unwrap();
        let lark = json!({"type": "custom", "name": "apply_patch", "description": "theirs",
            "format": {"type": "grammar", "syntax": "lark", "definition": "start: theirs"}});
        let merged = serde_json::to_value(merge_descriptions(&ours, &lark)).unwrap();
        assert_eq!(merged["format"]["definition"], "start: theirs");
        let regex = json!({"type": "custom", "name": "apply_patch",
            "format": {"type": "grammar", "syntax": "regex", "definition": ".*"}});
        let merged = serde_json::to_value(merge_descriptions(&ours, &regex)).unwrap();
        assert_eq!(merged["format"]["definition"], "start: ours");
        assert_eq!(merged["description"], "ours");
    }

    #[test]
    fn roots_are_sorted_backticked_and_unique() {
        let roots = [
            PathBuf::from("/w/b"),
            PathBuf::from("/tmp"),
            PathBuf::from("/w/b"),
        ];
        assert_eq!(
            render_permissions(&format!("roots are {ROOTS_MARKER}.\n"), &roots),
            "roots are `/tmp`, `/w/b`.\n"
        );
        assert_eq!(render_permissions("no roots", &roots), "no roots");
    }

    #[test]
    fn a_session_takes_what_the_folder_has_and_keeps_the_rest() {
        let env = EnvironmentContext::new("/w", SandboxMode::WorkspaceWrite, "2026-12-04", "UTC");
        let mut session = SessionConfig::new(InitialContext::defaults(env));
        session.tools = vec![function("ours", "our cmd")];
        let own_base = session.context.base_instructions.clone();
        let mut text = UpstreamText::default();
        text.permissions.insert(
            SandboxMode::WorkspaceWrite,
            format!(
                "<permissions instructions>\nroots {ROOTS_MARKER}\n</permissions instructions>"
            ),
        );
        text.tools.insert(
            "exec_command".into(),
            json!({"type": "function", "name": "exec_command", "description": "theirs"}),
        );
        let home = Path::new("/h");
        apply_to_session(
            &text,
            &mut session,
            SandboxMode::WorkspaceWrite,
            &[PathBuf::from("/w")],
            home,
        );
        assert_eq!(session.context.base_instructions, own_base);
        assert_eq!(
            session.context.developer_sections,
            vec!["<permissions instructions>\nroots `/w`\n</permissions instructions>".to_string()]
        );
        let tool = serde_json::to_value(&session.tools[0]).unwrap();
        assert_eq!(tool["description"], "theirs");
        assert_eq!(
            tool["parameters"]["properties"]["cmd"]["description"],
            "our cmd"
        );

        text.base_instructions = Some("Their base.".into());
        text.skills_instructions = Some(format!("{SKILLS_TAG}\nroot {HOME_MARKER}/skills/.system"));
        apply_to_session(&text, &mut session, SandboxMode::ReadOnly, &[], home);
        assert_eq!(session.context.base_instructions, "Their base.");
        let sections = &session.context.developer_sections;
        assert_eq!(sections[0], format!("{SKILLS_TAG}\nroot /h/skills/.system"));
        assert!(sections[1].contains("`/w`"), "read-only not imported: kept");
        // Applied again (a resumed session), the skills part is not doubled.
        apply_to_session(&text, &mut session, SandboxMode::ReadOnly, &[], home);
        assert_eq!(session.context.developer_sections.len(), 2);
    }
}
