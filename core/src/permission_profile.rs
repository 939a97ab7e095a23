//! The permission profile Codex 0.169 derives from the sandbox settings (captured with `-s`,
//! `--add-dir` and `sandbox_workspace_write.network_access`): the `<permission_profile>` of
//! `<environment_context>`, and the `permission_profile` and `sandbox_policy` objects of
//! `turn_context` and `thread_settings_applied`. One list of entries feeds all three, so the
//! request and the rollout cannot disagree.

use serde_json::{json, Value};

use crate::context::EnvironmentContext;
use crate::sandbox::SandboxMode;

/// Folders under each writable root that stay read-only, in Codex's order (skipped when absent).
const PROTECTED_SUBDIRS: [&str; 4] = [".git", ".agents", ".codex", ".aws"];

/// Where an entry applies: a named place the sandbox resolves itself, or a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryPath {
    /// `root` (the whole filesystem), `slash_tmp` (`/tmp`), `tmpdir` (`$TMPDIR`).
    Special(&'static str),
    /// An absolute path.
    Path(String),
}

/// One rule of a managed profile's file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where the rule applies.
    pub path: EntryPath,
    /// Writable (else readable only).
    pub write: bool,
    /// A protected folder that may not exist (`missing_path_behavior: skip`).
    pub skip_missing: bool,
}

/// The rules of a managed profile, in Codex's order: the whole filesystem readable; under
/// `workspace-write`, each workspace root, `/tmp` and `$TMPDIR` writable, then each protected
/// folder of each root read-only.
pub fn entries(env: &EnvironmentContext) -> Vec<Entry> {
    let mut out = vec![Entry {
        path: EntryPath::Special("root"),
        write: false,
        skip_missing: false,
    }];
    if env.sandbox != SandboxMode::WorkspaceWrite {
        return out;
    }
    let writable = |path| Entry {
        path,
        write: true,
        skip_missing: false,
    };
    out.extend(
        env.workspace_roots
            .iter()
            .map(|r| writable(EntryPath::Path(r.clone()))),
    );
    out.push(writable(EntryPath::Special("slash_tmp")));
    out.push(writable(EntryPath::Special("tmpdir")));
    for sub in PROTECTED_SUBDIRS {
        for root in &env.workspace_roots {
            out.push(Entry {
                path: EntryPath::Path(format!("{}/{sub}", root.trim_end_matches('/'))),
                write: false,
                skip_missing: true,
            });
        }
    }
    out
}

/// `<permission_profile …>…</permission_profile>` as `<environment_context>` carries it.
pub fn render_xml(env: &EnvironmentContext, escape: impl Fn(&str) -> String) -> String {
    if env.sandbox == SandboxMode::DangerFullAccess {
        return "<permission_profile type=\"disabled\"><file_system type=\"unrestricted\" /></permission_profile>".into();
    }
    let mut out =
        String::from("<permission_profile type=\"managed\"><file_system type=\"restricted\">");
    for e in entries(env) {
        let access = if e.write { "write" } else { "read" };
        let place = match &e.path {
            EntryPath::Special(kind) => format!("<special>:{kind}</special>"),
            EntryPath::Path(p) => format!("<path>{}</path>", escape(p)),
        };
        out.push_str(&format!("<entry access=\"{access}\">{place}</entry>"));
    }
    out.push_str("</file_system></permission_profile>");
    out
}

/// The `permission_profile` object of `turn_context` and `thread_settings_applied`: the entries
/// of [`entries`], with the configured writable roots listed again after the temp dirs.
pub fn to_json(env: &EnvironmentContext) -> Value {
    if env.sandbox == SandboxMode::DangerFullAccess {
        return json!({"type": "disabled"});
    }
    let mut listed = entries(env);
    if env.sandbox == SandboxMode::WorkspaceWrite {
        // After the root, the workspace roots and the two temp dirs.
        let at = 3 + env.workspace_roots.len();
        let again = env.config_writable_roots.iter().map(|r| Entry {
            path: EntryPath::Path(r.clone()),
            write: true,
            skip_missing: false,
        });
        listed.splice(at..at, again);
    }
    let entries: Vec<Value> = listed
        .into_iter()
        .map(|e| {
            let path = match e.path {
                EntryPath::Special(kind) => json!({"type": "special", "value": {"kind": kind}}),
                EntryPath::Path(p) => json!({"type": "path", "path": p}),
            };
            let access = if e.write { "write" } else { "read" };
            let mut entry = json!({"path": path, "access": access});
            if e.skip_missing {
                entry["missing_path_behavior"] = json!("skip");
            }
            entry
        })
        .collect();
    json!({
        "type": "managed",
        "file_system": {"type": "restricted", "entries": entries},
        "network": if network_enabled(env) { "enabled" } else { "restricted" },
    })
}

/// The `sandbox_policy` object of `turn_context`: the extra roots (after the cwd) are listed
/// only when there are some.
pub fn sandbox_policy(env: &EnvironmentContext) -> Value {
    if env.sandbox != SandboxMode::WorkspaceWrite {
        return json!({"type": env.sandbox.as_str()});
    }
    let mut policy = json!({"type": "workspace-write"});
    let extra: Vec<&String> = env.workspace_roots.iter().skip(1).collect();
    if !extra.is_empty() {
        policy["writable_roots"] = json!(extra);
    }
    policy["network_access"] = json!(env.network_access);
    policy["exclude_tmpdir_env_var"] = json!(false);
    policy["exclude_slash_tmp"] = json!(false);
    policy
}

/// Whether commands may use the network: under `workspace-write` when
/// `sandbox_workspace_write.network_access` is set; never under `read-only`.
pub fn network_enabled(env: &EnvironmentContext) -> bool {
    match env.sandbox {
        SandboxMode::DangerFullAccess => true,
        SandboxMode::WorkspaceWrite => env.network_access,
        SandboxMode::ReadOnly => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(sandbox: SandboxMode, roots: &[&str], network: bool) -> EnvironmentContext {
        let mut e = EnvironmentContext::new(roots[0], sandbox, "2026-12-05", "Etc/UTC");
        e.workspace_roots = roots.iter().map(|r| r.to_string()).collect();
        e.network_access = network;
        e
    }

    #[test]
    fn read_only_reads_everything_and_has_no_network() {
        let e = env(SandboxMode::ReadOnly, &["/w", "/x"], true);
        assert_eq!(
            render_xml(&e, str::to_string),
            "<permission_profile type=\"managed\"><file_system type=\"restricted\"><entry access=\"read\"><special>:root</special></entry></file_system></permission_profile>"
        );
        assert_eq!(
            to_json(&e).to_string(),
            r#"{"type":"managed","file_system":{"type":"restricted","entries":[{"path":{"type":"special","value":{"kind":"root"}},"access":"read"}]},"network":"restricted"}"#
        );
        assert_eq!(sandbox_policy(&e).to_string(), r#"{"type":"read-only"}"#);
    }

    #[test]
    fn workspace_write_lists_roots_temp_dirs_then_protected_folders_per_root() {
        let e = env(SandboxMode::WorkspaceWrite, &["/w", "/x"], false);
        let xml = render_xml(&e, str::to_string);
        let want = [
            "<entry access=\"read\"><special>:root</special></entry>",
            "<entry access=\"write\"><path>/w</path></entry>",
            "<entry access=\"write\"><path>/x</path></entry>",
            "<entry access=\"write\"><special>:slash_tmp</special></entry>",
            "<entry access=\"write\"><special>:tmpdir</special></entry>",
            "<entry access=\"read\"><path>/w/.git</path></entry>",
            "<entry access=\"read\"><path>/x/.git</path></entry>",
            "<entry access=\"read\"><path>/w/.agents</path></entry>",
            "<entry access=\"read\"><path>/x/.agents</path></entry>",
            "<entry access=\"read\"><path>/w/.codex</path></entry>",
            "<entry access=\"read\"><path>/x/.codex</path></entry>",
            "<entry access=\"read\"><path>/w/.aws</path></entry>",
            "<entry access=\"read\"><path>/x/.aws</path></entry>",
        ]
        .concat();
        assert_eq!(
            xml,
            format!("<permission_profile type=\"managed\"><file_system type=\"restricted\">{want}</file_system></permission_profile>")
        );
        let json = to_json(&e);
        assert_eq!(json["file_system"]["entries"].as_array().unwrap().len(), 13);
        assert_eq!(
            json["file_system"]["entries"][5].to_string(),
            r#"{"path":{"type":"path","path":"/w/.git"},"access":"read","missing_path_behavior":"skip"}"#
        );
        assert_eq!(json["network"], "restricted");
        assert_eq!(
            sandbox_policy(&e).to_string(),
            r#"{"type":"workspace-write","writable_roots":["/x"],"network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false}"#
        );
    }

    #[test]
    fn network_access_shows_in_the_profile_and_the_policy() {
        let e = env(SandboxMode::WorkspaceWrite, &["/w"], true);
        assert_eq!(to_json(&e)["network"], "enabled");
        assert_eq!(
            sandbox_policy(&e).to_string(),
            r#"{"type":"workspace-write","network_access":true,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false}"#
        );
    }

    #[test]
    fn configured_roots_are_listed_again_in_the_object_only() {
        let mut e = env(SandboxMode::WorkspaceWrite, &["/w", "/x"], false);
        e.config_writable_roots = vec!["/x".into()];
        let entries = to_json(&e)["file_system"]["entries"].clone();
        assert_eq!(entries.as_array().unwrap().len(), 14);
        assert_eq!(
            entries[5].to_string(),
            r#"{"path":{"type":"path","path":"/x"},"access":"write"}"#
        );
        assert!(!render_xml(&e, str::to_string)
            .contains("<special>:tmpdir</special></entry><entry access=\"write\">"));
    }

    #[test]
    fn full_access_is_disabled() {
        let e = env(SandboxMode::DangerFullAccess, &["/w"], false);
        assert_eq!(to_json(&e).to_string(), r#"{"type":"disabled"}"#);
        assert_eq!(
            render_xml(&e, str::to_string),
            "<permission_profile type=\"disabled\"><file_system type=\"unrestricted\" /></permission_profile>"
        );
        assert_eq!(
            sandbox_policy(&e).to_string(),
            r#"{"type":"danger-full-access"}"#
        );
    }
}
