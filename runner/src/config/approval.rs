//! `approval_policy`, as `codex exec` 0.169 reads it (captured): the values it accepts
//! (`never`, `on-request`, `on-failure`, `{ granular = { … } }`) all run as `never`, since a
//! headless run has no one to ask, and leave the request and the rollout as `never` leaves them;
//! `untrusted` is refused before anything runs. Any other value is refused by its type.

use serde::Deserialize;

use super::{ConfigError, ConfigFile};

/// The values Codex 0.169 parses, in the order its error message lists them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ApprovalPolicyToml {
    Untrusted,
    OnFailure,
    OnRequest,
    /// `{ granular = { sandbox_approval = …, rules = …, … } }`: its switches are Codex's own.
    Granular(toml::Table),
    Never,
}

/// What Codex says of `untrusted` (after `approval_policy = "untrusted" `).
const UNTRUSTED: &str = "\"untrusted\" is no longer supported; remove this setting";

/// `Err` when the merged settings ask for `untrusted`, naming where it was set: the line of
/// config.toml, the `-c` override, or the profile file.
pub(crate) fn refuse_untrusted(
    policy: Option<&ApprovalPolicyToml>,
    file: &ConfigFile,
    overrides: &[String],
    profile: Option<&ConfigFile>,
) -> Result<(), ConfigError> {
    if policy != Some(&ApprovalPolicyToml::Untrusted) {
        return Ok(());
    }
    let from_override = overrides.iter().rev().find(|raw| {
        raw.split_once('=')
            .is_some_and(|(k, _)| k.trim() == "approval_policy")
    });
    if let Some(raw) = from_override {
        return Err(ConfigError::Override {
            raw: raw.clone(),
            message: format!("approval_policy: {UNTRUSTED}"),
        });
    }
    let place = match profile {
        Some(p) if key_line(&p.text).is_some() => p,
        _ => file,
    };
    Err(ConfigError::Invalid {
        path: place.shown(),
        line: key_line(&place.text).unwrap_or(1),
        key: "approval_policy".into(),
        message: UNTRUSTED.into(),
    })
}

/// The line that sets top-level `approval_policy` in `text`, if one does.
fn key_line(text: &str) -> Option<usize> {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with('['))
        .position(|l| {
            l.trim_start()
                .strip_prefix("approval_policy")
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<ApprovalPolicyToml>, String> {
        #[derive(Deserialize)]
        struct Doc {
            approval_policy: Option<ApprovalPolicyToml>,
        }
        toml::from_str::<Doc>(text)
            .map(|d| d.approval_policy)
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn codex_values_parse_and_others_are_refused_as_codex_refuses_them() {
        assert_eq!(
            parse("approval_policy = \"on-request\"").unwrap(),
            Some(ApprovalPolicyToml::OnRequest)
        );
        assert_eq!(
            parse("approval_policy = \"never\"").unwrap(),
            Some(ApprovalPolicyToml::Never)
        );
        assert!(matches!(
            parse("approval_policy = { granular = { rules = true } }").unwrap(),
            Some(ApprovalPolicyToml::Granular(_))
        ));
        assert_eq!(
            parse("approval_policy = \"bogus\"").unwrap_err(),
            "unknown variant `bogus`, expected one of `untrusted`, `on-failure`, `on-request`, `granular`, `never`"
        );
    }

    #[test]
    fn untrusted_is_refused_where_it_was_set() {
        let file = ConfigFile {
            path: "/h/config.toml".into(),
            text: "model = \"m\"\napproval_policy = \"untrusted\"\n".into(),
        };
        let e = refuse_untrusted(Some(&ApprovalPolicyToml::Untrusted), &file, &[], None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "/h/config.toml:2: approval_policy: \"untrusted\" is no longer supported; remove this setting"
        );
        let raw = ["approval_policy=\"untrusted\"".to_string()];
        let e = refuse_untrusted(Some(&ApprovalPolicyToml::Untrusted), &file, &raw, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("-c approval_policy=\"untrusted\": approval_policy:"),
            "{e}"
        );
        assert!(refuse_untrusted(Some(&ApprovalPolicyToml::Never), &file, &raw, None).is_ok());
        assert!(refuse_untrusted(None, &file, &raw, None).is_ok());
    }
}
