//! The texts the model receives from apply_patch: success summary, rejections, failures,
//! and the exec-style envelope of the freeform tool's output.

use std::time::Duration;

use super::apply::{ApplyPatchError, ChangeKind, FileChange};

/// Reason when the sandbox is read-only and approvals are never asked.
pub const READ_ONLY_REASON: &str =
    "writing is blocked by read-only sandbox; rejected by user approval settings";
/// Reason when a path lies outside the writable roots and approvals are never asked.
pub const OUTSIDE_PROJECT_REASON: &str =
    "writing outside of the project; rejected by user approval settings";
/// Reason when the patch names no file at all.
pub const EMPTY_PATCH_REASON: &str = "empty patch";

/// `Success. Updated the following files:` then `A`, `M`, `D` lines, each group in patch
/// order, with paths as the patch spells them (a move shows its destination).
pub fn success_summary(changes: &[FileChange]) -> String {
    let mut out = String::from("Success. Updated the following files:\n");
    for (kind, letter) in [
        (ChangeKind::Add, 'A'),
        (ChangeKind::Update, 'M'),
        (ChangeKind::Delete, 'D'),
    ] {
        for change in changes.iter().filter(|c| c.change_kind() == kind) {
            out.push(letter);
            out.push(' ');
            out.push_str(&change.display_path.to_string_lossy());
            out.push('\n');
        }
    }
    out
}

/// What the model gets when the patch does not parse or does not fit the files.
pub fn verification_failed(error: &ApplyPatchError) -> String {
    format!("apply_patch verification failed: {error}")
}

/// What the model gets when policy refuses the patch; `reason` is one of the `*_REASON`s.
pub fn rejected(reason: &str) -> String {
    format!("patch rejected: {reason}")
}

/// Codex's freeform exec envelope: exit code, wall time rounded to 0.1 s, then the output.
pub fn exec_output(exit_code: i32, wall_time: Duration, output: &str) -> String {
    let seconds = (wall_time.as_secs_f32() * 10.0).round() / 10.0;
    format!("Exit code: {exit_code}\nWall time: {seconds} seconds\nOutput:\n{output}")
}

#[cfg(test)]
mod tests {
    use super::super::apply::FileChangeKind;
    use super::*;
    use std::path::PathBuf;

    fn change(display: &str, kind: FileChangeKind) -> FileChange {
        FileChange {
            path: PathBuf::from("/w").join(display),
            display_path: PathBuf::from(display),
            kind,
            unified_diff: String::new(),
        }
    }

    #[test]
    fn summary_groups_added_modified_deleted() {
        let changes = vec![
            change(
                "gone.txt",
                FileChangeKind::Delete {
                    old_content: "x".into(),
                },
            ),
            change(
                "a.txt",
                FileChangeKind::Update {
                    old_content: "1".into(),
                    new_content: "2".into(),
                    move_path: None,
                },
            ),
            change(
                "hello.txt",
                FileChangeKind::Add {
                    content: "hi\n".into(),
                },
            ),
        ];
        assert_eq!(
            success_summary(&changes),
            "Success. Updated the following files:\nA hello.txt\nM a.txt\nD gone.txt\n"
        );
    }

    #[test]
    fn observed_freeform_success_output() {
        let changes = vec![
            change(
                "hello.txt",
                FileChangeKind::Add {
                    content: "hi\n".into(),
                },
            ),
            change(
                "a.txt",
                FileChangeKind::Update {
                    old_content: "1".into(),
                    new_content: "2".into(),
                    move_path: None,
                },
            ),
        ];
        assert_eq!(
            exec_output(0, Duration::from_millis(3), &success_summary(&changes)),
            "Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nA hello.txt\nM a.txt\n"
        );
    }

    #[test]
    fn wall_time_rounds_to_tenths() {
        assert!(exec_output(1, Duration::from_millis(1260), "")
            .starts_with("Exit code: 1\nWall time: 1.3 seconds\n"));
        assert!(exec_output(0, Duration::from_secs(2), "").contains("Wall time: 2 seconds"));
    }

    #[test]
    fn rejection_texts() {
        assert_eq!(
            rejected(READ_ONLY_REASON),
            "patch rejected: writing is blocked by read-only sandbox; rejected by user approval settings"
        );
        assert_eq!(rejected(EMPTY_PATCH_REASON), "patch rejected: empty patch");
    }
}
