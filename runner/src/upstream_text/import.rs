//! `rcodex align --import-text`: runs the local Codex CLI once per sandbox mode against the
//! scripted server (one prompt, one scripted answer) and writes the texts its first request
//! carries into an upstream-text folder (layout in the parent module). Nothing here knows
//! Codex's prose: it is read from what the CLI sends, on the user's machine.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rcodex_core::sandbox::SandboxMode;
use serde_json::{Map, Value};
use tokio::process::Command;

use super::apply::{roots_list, SKILLS_TAG};
use super::{
    compaction, mode_name, permissions_file, Manifest, BASE_INSTRUCTIONS, HOME_MARKER, MANIFEST,
    MODES, PERMISSIONS_DIR, ROOTS_MARKER, SKILLS_INSTRUCTIONS, SYSTEM_SKILLS, TOOLS,
};
use crate::mock::{MockServer, Reply, Script};

/// A Codex run that has not ended by then is killed and the import fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// The tag the permissions part opens with.
const PERMISSIONS_TAG: &str = "<permissions instructions>";

/// What was written, for the message that follows an import.
#[derive(Debug)]
pub struct Imported {
    pub dir: PathBuf,
    pub files: Vec<String>,
}

/// The texts of one captured first request.
#[derive(Debug)]
struct Captured {
    base_instructions: String,
    permissions: String,
    tools: Map<String, Value>,
    /// With CODEX_HOME as the marker.
    skills_instructions: Option<String>,
    /// The compaction prompt and summary prefix (first run only).
    compaction: Option<(String, String)>,
}

/// Captures Codex's texts into `dir` (replaced if it holds an earlier import).
pub async fn import(codex: &Path, codex_version: &str, dir: &Path) -> Result<Imported, String> {
    refuse_inside_a_repository(dir)?;
    // Until the new manifest is written, the folder is not a complete import.
    let _ = std::fs::remove_file(dir.join(MANIFEST));
    let mut captured = Vec::new();
    for (i, mode) in MODES.into_iter().enumerate() {
        // The system skills are copied from the first run's CODEX_HOME.
        let skills_to = (i == 0).then(|| dir.join(SYSTEM_SKILLS));
        captured.push((mode, capture(codex, mode, skills_to.as_deref()).await?));
    }
    let (_, first) = &captured[0];
    if let Some((mode, _)) = captured
        .iter()
        .find(|(_, c)| c.base_instructions != first.base_instructions)
    {
        return Err(format!(
            "Codex sent other base instructions under sandbox {} than under {}: not imported",
            mode_name(*mode),
            mode_name(MODES[0])
        ));
    }
    let mut files = Vec::new();
    let mut write = |name: String, text: &str| -> Result<(), String> {
        let path = dir.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        files.push(name);
        Ok(())
    };
    write(BASE_INSTRUCTIONS.to_string(), &first.base_instructions)?;
    for (mode, c) in &captured {
        write(
            format!("{PERMISSIONS_DIR}/{}", permissions_file(*mode)),
            &c.permissions,
        )?;
    }
    let tools = serde_json::to_string_pretty(&first.tools).map_err(|e| e.to_string())?;
    write(TOOLS.to_string(), &tools)?;
    match &first.skills_instructions {
        Some(text) => write(SKILLS_INSTRUCTIONS.to_string(), text)?,
        None => {
            let _ = std::fs::remove_file(dir.join(SKILLS_INSTRUCTIONS));
        }
    }
    match &first.compaction {
        Some((prompt, prefix)) => {
            write(compaction::COMPACT_PROMPT.to_string(), prompt)?;
            write(compaction::COMPACT_SUMMARY_PREFIX.to_string(), prefix)?;
        }
        None => {
            let _ = std::fs::remove_file(dir.join(compaction::COMPACT_PROMPT));
            let _ = std::fs::remove_file(dir.join(compaction::COMPACT_SUMMARY_PREFIX));
        }
    }
    // The manifest last: a folder without it is not taken for a complete import.
    let manifest = Manifest {
        codex_version: codex_version.to_string(),
        codex_binary: codex.display().to_string(),
        imported_at: rcodex_core::time::rfc3339_millis(now_ms()),
    };
    write(
        MANIFEST.to_string(),
        &toml::to_string(&manifest).map_err(|e| e.to_string())?,
    )?;
    Ok(Imported {
        dir: dir.to_path_buf(),
        files,
    })
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Upstream text must never end up committed: a folder inside a git work tree is refused.
fn refuse_inside_a_repository(dir: &Path) -> Result<(), String> {
    let absolute = std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for ancestor in absolute.ancestors() {
        if ancestor.join(".git").exists() {
            return Err(format!(
                "{}: inside the git work tree {}; upstream text must not be committed, so import it outside any repository (default: $XDG_CACHE_HOME/rcodex/upstream/<version>)",
                dir.display(),
                ancestor.display()
            ));
        }
    }
    Ok(())
}

/// One Codex run under `mode`, `update_plan` on so its base instructions come whole; with
/// `skills_to`, the system skills it unpacked into its CODEX_HOME are copied there.
async fn capture(
    codex: &Path,
    mode: SandboxMode,
    skills_to: Option<&Path>,
) -> Result<Captured, String> {
    let temp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let root = temp.path().canonicalize().map_err(|e| e.to_string())?;
    let (work, home) = (root.join("work"), root.join("home"));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    // The first run also compacts, to show Codex's compaction texts.
    let compacts = skills_to.is_some();
    let script = if compacts {
        compaction::script()
    } else {
        Script {
            replies: vec![Reply {
                message: Some("ok".into()),
                ..Reply::default()
            }],
            ..Script::default()
        }
    };
    let server = MockServer::start(script)
        .await
        .map_err(|e| format!("scripted server: {e}"))?;
    crate::align::capture::write_config(&home, &server.base_url())?;
    let mut cmd = Command::new(codex);
    cmd.args([
        "exec",
        "--disable",
        "plugins",
        "--disable",
        "shell_snapshot",
    ])
    .args(["--skip-git-repo-check", "--json", "-s", mode_name(mode)])
    .args(["-c", "tools.update_plan.enabled=true"])
    .args(if compacts {
        vec!["-c", compaction::LIMIT_OVERRIDE]
    } else {
        Vec::new()
    })
    .arg("-C")
    .arg(&work)
    .arg("Say ok.")
    .current_dir(&work)
    .env("CODEX_HOME", &home)
    .env("MOCK_API_KEY", "dummy")
    .env_remove("OPENAI_API_KEY")
    // Codex lists $TMPDIR among the writable roots; without it the roots are known.
    .env_remove("TMPDIR")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    let child = cmd
        .spawn()
        .map_err(|e| format!("{}: cannot start: {e}", codex.display()))?;
    let out = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("codex did not end in {} s", RUN_TIMEOUT.as_secs()))?
        .map_err(|e| format!("codex: {e}"))?;
    let requests = server.requests();
    server.shutdown().await;
    let Some(first) = requests.first() else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(format!(
            "codex (sandbox {}) sent no request ({}): {}",
            mode_name(mode),
            out.status,
            last.unwrap_or("no output on stderr")
        ));
    };
    let roots = [work.clone(), PathBuf::from("/tmp")];
    let mut captured = texts_of(&first.body, mode, &roots, &home, &work)?;
    if compacts {
        captured.compaction = compaction::texts_of(&requests);
    }
    if let Some(to) = skills_to {
        copy_tree(&home.join(SYSTEM_SKILLS), to)?;
    }
    Ok(captured)
}

/// Replaces `to` with a copy of the files under `from` (nothing when `from` is absent).
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    if !from.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let relative = entry.path().strip_prefix(from).expect("under the root");
        let dest = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        }
    }
    Ok(())
}

/// The texts of a first request: the first developer message, the permissions part (with the
/// writable roots made a marker), the skills part (CODEX_HOME made a marker) and the tools by
/// name. The temp workspace and home must not be left in what is kept.
fn texts_of(
    body: &Value,
    mode: SandboxMode,
    roots: &[PathBuf],
    home: &Path,
    work: &Path,
) -> Result<Captured, String> {
    let texts_of_message = |item: &Value| -> Vec<String> {
        item.get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("text").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    let input = body
        .get("input")
        .and_then(Value::as_array)
        .ok_or("Codex's request has no input array")?;
    let developer: Vec<&Value> = input
        .iter()
        .filter(|i| i.get("role").and_then(Value::as_str) == Some("developer"))
        .collect();
    let base_instructions = match developer.first().map(|m| texts_of_message(m)) {
        Some(parts) if parts.len() == 1 => parts[0].clone(),
        _ => {
            return Err("Codex's first developer message is not one text part: not imported".into())
        }
    };
    let parts: Vec<String> = developer.iter().flat_map(|m| texts_of_message(m)).collect();
    let mut permissions = parts
        .iter()
        .find(|t| t.starts_with(PERMISSIONS_TAG))
        .cloned()
        .ok_or("Codex's request has no <permissions instructions> part")?;
    let skills_instructions = parts
        .iter()
        .find(|t| t.starts_with(SKILLS_TAG))
        .map(|t| t.replace(&*home.to_string_lossy(), HOME_MARKER));
    if mode == SandboxMode::WorkspaceWrite {
        let listed = roots_list(roots);
        if !permissions.contains(&listed) {
            return Err(format!(
                "Codex's workspace-write permissions text does not list the writable roots as {listed}: cannot make a template of it"
            ));
        }
        permissions = permissions.replace(&listed, ROOTS_MARKER);
    }
    let mut tools = Map::new();
    for spec in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = spec
            .get("name")
            .or_else(|| spec.get("type"))
            .and_then(Value::as_str)
            .ok_or("a tool in Codex's request has neither name nor type")?;
        tools.insert(name.to_string(), spec.clone());
    }
    let kept = [
        base_instructions.as_str(),
        permissions.as_str(),
        skills_instructions.as_deref().unwrap_or(""),
        &serde_json::to_string(&tools).unwrap_or_default(),
    ]
    .concat();
    if let Some(path) = [work, home]
        .iter()
        .find(|p| kept.contains(&*p.to_string_lossy()))
    {
        return Err(format!(
            "Codex's texts (sandbox {}) hold the temp path {}: not imported",
            mode_name(mode),
            path.display()
        ));
    }
    Ok(Captured {
        base_instructions,
        permissions,
        tools,
        skills_instructions,
        compaction: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(permissions: &str) -> Value {
        json!({"input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "BASE"}]},
            {"type": "message", "role": "developer", "content": [
                {"type": "input_text", "text": "<skills_instructions>\n- `r0` = `/t/home/skills/.system`\n</skills_instructions>"},
                {"type": "input_text", "text": permissions}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
        ], "tools": [{"type": "function", "name": "exec_command"}, {"type": "web_search"}]})
    }

    #[test]
    fn texts_are_taken_and_the_roots_made_a_marker() {
        let roots = [PathBuf::from("/t/work"), PathBuf::from("/tmp")];
        let perm =
            "<permissions instructions>\nroots `/t/work`, `/tmp`.\n</permissions instructions>";
        let (home, work) = (Path::new("/t/home"), Path::new("/t/work"));
        let c = texts_of(&body(perm), SandboxMode::WorkspaceWrite, &roots, home, work).unwrap();
        assert_eq!(c.base_instructions, "BASE");
        assert_eq!(
            c.skills_instructions.unwrap(),
            format!("<skills_instructions>\n- `r0` = `{HOME_MARKER}/skills/.system`\n</skills_instructions>")
        );
        assert_eq!(
            c.permissions,
            format!(
                "<permissions instructions>\nroots {ROOTS_MARKER}.\n</permissions instructions>"
            )
        );
        assert_eq!(
            c.tools.keys().collect::<Vec<_>>(),
            ["exec_command", "web_search"]
        );
    }

    #[test]
    fn unlisted_roots_and_private_paths_are_refused() {
        let roots = [PathBuf::from("/t/work"), PathBuf::from("/tmp")];
        let (home, work) = (Path::new("/t/home"), Path::new("/t/work"));
        let perm = "<permissions instructions>\nroots `/tmp`.\n</permissions instructions>";
        let e = texts_of(&body(perm), SandboxMode::WorkspaceWrite, &roots, home, work).unwrap_err();
        assert!(e.contains("does not list the writable roots"), "{e}");
        let perm = "<permissions instructions>\ncwd /t/work\n</permissions instructions>";
        let e = texts_of(&body(perm), SandboxMode::ReadOnly, &roots, home, work).unwrap_err();
        assert!(e.contains("hold the temp path /t/work"), "{e}");
        let e = texts_of(
            &json!({"input": []}),
            SandboxMode::ReadOnly,
            &roots,
            home,
            work,
        )
        .unwrap_err();
        assert!(e.contains("not one text part"), "{e}");
    }

    #[test]
    fn a_folder_inside_a_repository_is_refused() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        let e = refuse_inside_a_repository(&repo.path().join("cache/0.169.0")).unwrap_err();
        assert!(e.contains("must not be committed"), "{e}");
    }
}
