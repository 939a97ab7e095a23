//! The context a first turn sends before the prompt: instructions and the environment.
//!
//! Pure: everything (texts, cwd, date) is passed in. The base-instruction and permission texts
//! below are rcodex's own; byte-level alignment swaps in upstream text captured at run time.

use crate::protocol::{ContentItem, ResponseItem};
use crate::sandbox::SandboxMode;

/// rcodex's default base instructions (the first developer message).
pub const DEFAULT_BASE_INSTRUCTIONS: &str = "You are rcodex, a coding agent running headless in a \
terminal workspace. Work in the current directory unless told otherwise. Use the exec_command tool \
to inspect and run things, apply_patch to edit files, and keep the user informed with short, \
factual messages. When the task is done, reply with a concise summary of what changed and why.";

/// What the machine tells the model about where it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentContext {
    /// The working directory, absolute (`<cwd>`).
    pub cwd: String,
    /// The shell name (`<shell>`; `bash`).
    pub shell: String,
    /// Today's date as `YYYY-MM-DD` (`<current_date>`), passed in because the core reads no clock.
    pub current_date: String,
    /// IANA time zone name (`<timezone>`; `Etc/UTC`).
    pub timezone: String,
    /// Directories the sandbox lets the session write (`<workspace_roots>`); `[cwd]` by default.
    pub workspace_roots: Vec<String>,
    /// The sandbox mode, which picks the permission profile and the permissions text.
    pub sandbox: SandboxMode,
    /// `sandbox_workspace_write.network_access`: commands may use the network under
    /// `workspace-write` (see `permission_profile`).
    pub network_access: bool,
    /// The roots of `sandbox_workspace_write.writable_roots` (also in `workspace_roots`): Codex's
    /// profile object lists them a second time, after the temp dirs (captured).
    pub config_writable_roots: Vec<String>,
}

impl EnvironmentContext {
    /// A bash environment whose only workspace root is `cwd`.
    pub fn new(cwd: &str, sandbox: SandboxMode, current_date: &str, timezone: &str) -> Self {
        EnvironmentContext {
            cwd: cwd.to_string(),
            shell: "bash".into(),
            current_date: current_date.to_string(),
            timezone: timezone.to_string(),
            workspace_roots: vec![cwd.to_string()],
            sandbox,
            network_access: false,
            config_writable_roots: Vec::new(),
        }
    }

    /// The `<environment_context>` block, laid out as Codex 0.169 lays it out.
    pub fn render(&self) -> String {
        let mut roots = String::new();
        for r in &self.workspace_roots {
            roots.push_str("<root>");
            roots.push_str(&escape_xml(r));
            roots.push_str("</root>");
        }
        format!(
            "<environment_context>\n  <cwd>{}</cwd>\n  <shell>{}</shell>\n  <current_date>{}</current_date>\n  <timezone>{}</timezone>\n  <filesystem><workspace_roots>{roots}</workspace_roots>{}</filesystem>\n</environment_context>",
            escape_xml(&self.cwd),
            escape_xml(&self.shell),
            escape_xml(&self.current_date),
            escape_xml(&self.timezone),
            crate::permission_profile::render_xml(self, escape_xml),
        )
    }
}

/// A UUID-shaped (version 5 layout) id derived from `text`: stable across runs and resumes.
pub fn content_uuid(text: &str) -> String {
    let fnv = |seed: u64| {
        text.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let a = (a & !0xF000) | 0x5000;
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// rcodex's own permissions section for a sandbox mode (the approval policy is always `never`
/// in headless runs).
pub fn default_permissions_text(mode: SandboxMode) -> String {
    let fs = match mode {
        SandboxMode::ReadOnly => "read-only: commands may read any file but must not write",
        SandboxMode::WorkspaceWrite => {
            "workspace-write: commands may write inside the workspace roots and temp dirs only"
        }
        SandboxMode::DangerFullAccess => "danger-full-access: no filesystem restriction",
    };
    format!(
        "<permissions instructions>\nFilesystem sandbox: {fs}.\nApproval policy: never; no one \
will approve escalations, so work within these limits.\n</permissions instructions>"
    )
}

/// rcodex's own permissions section for an environment: [`default_permissions_text`], and under
/// `workspace-write` the writable roots and whether commands may use the network, as Codex's
/// text says them (in rcodex's words).
pub fn default_permissions_text_for(env: &EnvironmentContext) -> String {
    let text = default_permissions_text(env.sandbox);
    if env.sandbox != SandboxMode::WorkspaceWrite {
        return text;
    }
    let roots: Vec<String> = env
        .workspace_roots
        .iter()
        .map(|r| format!("`{r}`"))
        .collect();
    let network = if env.network_access {
        "enabled"
    } else {
        "restricted"
    };
    text.replace(
        "\nApproval policy:",
        &format!(
            "\nWritable roots: {}, and the temp dirs.\nNetwork access: {network}.\nApproval policy:",
            roots.join(", ")
        ),
    )
}

/// The word that marks the base-instruction line Codex leaves out when `update_plan` is off.
const CHECKLIST_WORD: &str = "checklist";

/// The texts a session opens with; each is an input so alignment can swap in upstream text.
#[derive(Clone, Debug, PartialEq)]
pub struct InitialContext {
    /// The base prompt: the first developer message of every request (and
    /// `session_meta.base_instructions`).
    pub base_instructions: String,
    /// Parts of the second developer message (permissions and any other sections), in order.
    pub developer_sections: Vec<String>,
    /// The project's instructions (AGENTS.md), rendered: the first part of the environment's
    /// user message, as Codex sends them.
    pub user_instructions: Option<String>,
    /// Where the session runs, rendered as `<environment_context>`.
    pub environment: EnvironmentContext,
    /// The context items exactly as a recording has them (replay): recorded as they are, ids
    /// aside, instead of being rendered from the sections and the environment.
    pub recorded: Option<Vec<ResponseItem>>,
}

impl InitialContext {
    /// rcodex's defaults for an environment.
    pub fn defaults(environment: EnvironmentContext) -> Self {
        InitialContext {
            base_instructions: DEFAULT_BASE_INSTRUCTIONS.to_string(),
            developer_sections: vec![default_permissions_text_for(&environment)],
            user_instructions: None,
            environment,
            recorded: None,
        }
    }

    /// The base instructions as sent, which is not always as recorded: without `update_plan`
    /// among the tools, Codex 0.169 sends its instructions without their one bullet line about
    /// keeping a checklist current (captured: the line is in `session_meta` and in requests that
    /// offer `update_plan`, and in no other request). The line is found by that word, so Codex's
    /// text is never needed here; rcodex's own instructions have no such line.
    pub fn sent_base_instructions(&self, update_plan_offered: bool) -> String {
        if update_plan_offered || !self.base_instructions.contains(CHECKLIST_WORD) {
            return self.base_instructions.clone();
        }
        self.base_instructions
            .split_inclusive('\n')
            .filter(|line| !(line.starts_with("- ") && line.contains(CHECKLIST_WORD)))
            .collect()
    }

    /// The first developer message (the base instructions as sent), not recorded as a rollout
    /// item. Its id is derived from the text, so it is the same in every request and after resume.
    pub fn base_message(&self, update_plan_offered: bool) -> ResponseItem {
        let text = self.sent_base_instructions(update_plan_offered);
        ResponseItem::message(
            Some(format!("msg_{}", content_uuid(&text))),
            "developer",
            vec![ContentItem::InputText { text }],
        )
    }

    /// The recorded context items of a new thread: the developer sections, then one user
    /// message with the project's instructions (if any) and the environment.
    pub fn recorded_items(&self, dev_id: String, env_id: String) -> Vec<ResponseItem> {
        if let Some(items) = &self.recorded {
            return items.clone();
        }
        let mut items = Vec::with_capacity(2);
        if !self.developer_sections.is_empty() {
            let parts = self
                .developer_sections
                .iter()
                .map(|t| ContentItem::InputText { text: t.clone() })
                .collect();
            items.push(ResponseItem::message(Some(dev_id), "developer", parts));
        }
        let mut parts = Vec::with_capacity(2);
        if let Some(text) = &self.user_instructions {
            parts.push(ContentItem::InputText { text: text.clone() });
        }
        parts.push(ContentItem::InputText {
            text: self.environment.render(),
        });
        items.push(ResponseItem::message(Some(env_id), "user", parts));
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_context_matches_the_captured_layout() {
        let env = EnvironmentContext {
            cwd: "/capture/cases/b_shell_bypass/work".into(),
            shell: "bash".into(),
            current_date: "2026-11-28".into(),
            timezone: "Etc/UTC".into(),
            workspace_roots: vec!["/capture/cases/b_shell_bypass/work".into()],
            sandbox: SandboxMode::DangerFullAccess,
            network_access: false,
            config_writable_roots: Vec::new(),
        };
        let want = "<environment_context>\n  <cwd>/capture/cases/b_shell_bypass/work</cwd>\n  <shell>bash</shell>\n  <current_date>2026-11-28</current_date>\n  <timezone>Etc/UTC</timezone>\n  <filesystem><workspace_roots><root>/capture/cases/b_shell_bypass/work</root></workspace_roots><permission_profile type=\"disabled\"><file_system type=\"unrestricted\" /></permission_profile></filesystem>\n</environment_context>";
        assert_eq!(env.render(), want);
    }

    #[test]
    fn own_workspace_write_text_names_the_roots_and_the_network() {
        let mut env = EnvironmentContext::new("/w", SandboxMode::WorkspaceWrite, "d", "t");
        env.workspace_roots.push("/x".into());
        let text = default_permissions_text_for(&env);
        assert!(
            text.contains(
                "Writable roots: `/w`, `/x`, and the temp dirs.\nNetwork access: restricted.\n"
            ),
            "{text}"
        );
        env.network_access = true;
        assert!(default_permissions_text_for(&env).contains("Network access: enabled."));
        env.sandbox = SandboxMode::ReadOnly;
        assert_eq!(
            default_permissions_text_for(&env),
            default_permissions_text(SandboxMode::ReadOnly)
        );
    }

    #[test]
    fn recorded_items_are_developer_then_environment() {
        let env = EnvironmentContext {
            cwd: "/w".into(),
            shell: "bash".into(),
            current_date: "2026-01-01".into(),
            timezone: "Etc/UTC".into(),
            workspace_roots: vec!["/w".into()],
            sandbox: SandboxMode::ReadOnly,
            network_access: false,
            config_writable_roots: Vec::new(),
        };
        let ctx = InitialContext::defaults(env);
        let items = ctx.recorded_items("d".into(), "e".into());
        let roles: Vec<_> = items
            .iter()
            .map(|i| match i {
                ResponseItem::Message(m) => m.role.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(roles, ["developer", "user"]);
        assert!(ctx.developer_sections[0].contains("read-only"));
    }

    #[test]
    fn the_checklist_bullet_is_sent_only_with_update_plan() {
        let env = EnvironmentContext::new("/w", SandboxMode::ReadOnly, "2026-01-01", "UTC");
        let mut ctx = InitialContext::defaults(env);
        ctx.base_instructions =
            "Intro.\n- keep going\n- a checklist bullet\n- last\nA checklist in prose stays.\n"
                .into();
        assert_eq!(
            ctx.sent_base_instructions(false),
            "Intro.\n- keep going\n- last\nA checklist in prose stays.\n"
        );
        assert_eq!(ctx.sent_base_instructions(true), ctx.base_instructions);
        let (off, on) = (ctx.base_message(false), ctx.base_message(true));
        assert_ne!(off, on, "the id follows the text sent");
    }
}
