//! The `codex exec` flags beyond the core ones (issue 15): what each turns into for rcodex —
//! `-c` overrides (`--enable`/`--disable`, `--oss`), `--add-dir` roots, image parts for the prompt
//! (`--image`), and one stderr line naming the flags rcodex accepts but gives no meaning.

use std::path::{Path, PathBuf};

use rcodex_core::protocol::ContentItem;

use crate::cli::ExecArgs;

/// Feature names Codex 0.169 accepts in `--enable`/`--disable` (`codex features list`, names
/// only); any other name is refused, as Codex refuses it.
const CODEX_FEATURES: &str = include_str!("codex_features.txt");

/// Whether Codex 0.169 knows feature `name`.
pub fn is_codex_feature(name: &str) -> bool {
    CODEX_FEATURES.lines().any(|l| l.trim() == name)
}

/// `-c` overrides the flags stand for, in the order Codex applies them (after the user's `-c`):
/// `features.NAME=true|false`, the `--oss` provider. `Err` is the message for the user (an
/// unknown feature, an unknown local provider). `--add-dir` roots are not config: they go to
/// [`Config::add_dirs`](crate::config::Config) (see `add_dirs`).
pub fn config_overrides(args: &ExecArgs) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (names, on) in [(&args.enable, true), (&args.disable, false)] {
        for name in names {
            if !is_codex_feature(name) {
                return Err(format!("Unknown feature flag: {name}"));
            }
            out.push(format!("features.{name}={on}"));
        }
    }
    if args.oss || args.local_provider.is_some() {
        out.push(format!("model_provider=\"{}\"", oss_provider(args)?));
    }
    Ok(out)
}

/// `--local-provider`, else ollama: the built-in chat-completions providers rcodex knows.
fn oss_provider(args: &ExecArgs) -> Result<&str, String> {
    match args.local_provider.as_deref().unwrap_or("ollama") {
        p @ ("ollama" | "lmstudio") => Ok(p),
        other => Err(format!(
            "--local-provider {other}: expected `lmstudio` or `ollama`"
        )),
    }
}

/// `--add-dir` folders, absolute against `cwd` and canonical; each must exist.
pub fn add_dirs(dirs: &[PathBuf], cwd: &Path) -> Result<Vec<PathBuf>, String> {
    dirs.iter()
        .map(|d| {
            std::fs::canonicalize(cwd.join(d))
                .map_err(|e| format!("--add-dir {}: {e}", d.display()))
        })
        .collect()
}

/// The parts Codex sends before the prompt for `--image` files: per image, an opening label
/// naming it as given on the command line, the `input_image` (read as `view_image` reads a
/// file: same size limits, resizing and `detail`), and a closing label.
pub fn image_parts(
    images: &[PathBuf],
    cwd: &Path,
    original_detail: bool,
) -> Result<Vec<ContentItem>, String> {
    let mut parts = Vec::new();
    for (i, path) in images.iter().enumerate() {
        let arguments = serde_json::json!({ "path": path.display().to_string() }).to_string();
        let value = crate::tools::view_image::run(&arguments, cwd, original_detail)
            .map_err(|e| format!("--image {}: {}", path.display(), e.output))?;
        let image: Vec<ContentItem> = serde_json::from_value(value)
            .map_err(|e| format!("--image {}: {e}", path.display()))?;
        parts.push(ContentItem::InputText {
            text: format!(
                "<image name=[Image #{}] path=\"{}\">",
                i + 1,
                path.display()
            ),
        });
        parts.extend(image);
        parts.push(ContentItem::InputText {
            text: "</image>".into(),
        });
    }
    Ok(parts)
}

/// The `thread_source` a rollout's `session_meta` (its first line) recorded, if any.
pub fn recorded_thread_source(rollout: &Path) -> Option<String> {
    use std::io::BufRead;
    let file = std::fs::File::open(rollout).ok()?;
    let mut first = String::new();
    std::io::BufReader::new(file).read_line(&mut first).ok()?;
    let line: serde_json::Value = serde_json::from_str(&first).ok()?;
    line["payload"]["thread_source"].as_str().map(String::from)
}

/// The flags given that rcodex accepts without acting on them, by their command-line names.
pub fn ignored_flags(args: &ExecArgs) -> Vec<&'static str> {
    let mut out = Vec::new();
    let flags = [
        (args.approve_for_me, "--approve-for-me"),
        (
            args.dangerously_bypass_hook_trust,
            "--dangerously-bypass-hook-trust",
        ),
        (
            args.cyber_access_program.is_some(),
            "--cyber-access-program",
        ),
        (args.trust, "--trust"),
        (args.ignore_rules, "--ignore-rules"),
    ];
    for (given, name) in flags {
        if given {
            out.push(name);
        }
    }
    out
}

/// Says once on stderr which given flags have no effect in rcodex.
pub fn warn_ignored(args: &ExecArgs) {
    let ignored = ignored_flags(args);
    if !ignored.is_empty() {
        eprintln!(
            "rcodex: accepted but ignored (no meaning in rcodex): {}",
            ignored.join(" ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_feature_names_are_known_and_others_are_not() {
        assert!(is_codex_feature("shell_snapshot"));
        assert!(is_codex_feature("unified_exec"));
        assert!(is_codex_feature("plugins"));
        assert!(!is_codex_feature("no_such_feature"));
        assert!(!is_codex_feature(""));
    }

    #[test]
    fn enable_and_disable_become_feature_overrides() {
        let args = ExecArgs {
            enable: vec!["unified_exec".into()],
            disable: vec!["shell_snapshot".into()],
            ..ExecArgs::default()
        };
        let got = config_overrides(&args).unwrap();
        assert_eq!(
            got,
            [
                "features.unified_exec=true",
                "features.shell_snapshot=false"
            ]
        );
        let bad = ExecArgs {
            disable: vec!["bogus".into()],
            ..ExecArgs::default()
        };
        assert_eq!(
            config_overrides(&bad).unwrap_err(),
            "Unknown feature flag: bogus"
        );
    }

    #[test]
    fn oss_picks_a_local_chat_provider() {
        let args = ExecArgs {
            oss: true,
            local_provider: Some("lmstudio".into()),
            ..ExecArgs::default()
        };
        assert_eq!(
            config_overrides(&args).unwrap(),
            ["model_provider=\"lmstudio\""]
        );
        let bad = ExecArgs {
            oss: true,
            local_provider: Some("vllm".into()),
            ..ExecArgs::default()
        };
        assert!(config_overrides(&bad).unwrap_err().contains("vllm"));
    }

    #[test]
    fn ignored_flags_are_named() {
        let args = ExecArgs {
            trust: true,
            ignore_rules: true,
            ..ExecArgs::default()
        };
        assert_eq!(ignored_flags(&args), ["--trust", "--ignore-rules"]);
        assert!(ignored_flags(&ExecArgs::default()).is_empty());
    }
}
