//! `start_session` against temp folders: where the rollout goes for each target, what a resume
//! hands the machine, and the one-line errors for a missing key and a bad schema file.

use std::path::Path;

use rcodex_core::ids::SeededIds;
use rcodex_core::protocol::TokenUsage;
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::{Effect, Input, ResumedThread, UserTurn};

use super::*;
use crate::config::{load_config, ConfigOverrides};

fn config(home: &Path, work: &Path) -> Config {
    let overrides = ConfigOverrides {
        sandbox_mode: Some(SandboxMode::DangerFullAccess),
        cwd: Some(work.to_path_buf()),
        config_overrides: vec![
            "model=\"gpt-5.5\"".into(),
            "model_provider=\"mock\"".into(),
            "model_providers.mock.name=\"mock\"".into(),
            "model_providers.mock.base_url=\"http://127.0.0.1:9/v1\"".into(),
            "model_providers.mock.env_key=\"MOCK_API_KEY\"".into(),
        ],
        ..ConfigOverrides::default()
    };
    load_config(Some(home.to_path_buf()), &overrides, &|_| None).unwrap()
}

fn with_key(k: &str) -> Option<String> {
    (k == "MOCK_API_KEY").then(|| "test-key".to_string())
}

fn start<'a>(
    config: &'a Config,
    work: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
    output_schema: OutputSchema,
    resume: Option<Resume>,
    rollout: RolloutTarget,
) -> Result<StartedSession, String> {
    start_session(SessionStart {
        config,
        env,
        cwd: work,
        output_schema,
        start_ms: 1_700_000_000_000,
        current_date: "2023-11-14".into(),
        timezone: "Etc/UTC".into(),
        installation_id: Some("00000000-0000-4000-8000-000000000000".into()),
        ids: Box::new(SeededIds::new(7)),
        resume,
        rollout,
    })
}

#[test]
fn each_rollout_target_opens_the_right_file() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(&tmp.path().join("home"), tmp.path());

    let s = start(
        &cfg,
        tmp.path(),
        &with_key,
        OutputSchema::None,
        None,
        RolloutTarget::Discard,
    )
    .unwrap();
    assert!(s.rollout.is_none());

    let s = start(
        &cfg,
        tmp.path(),
        &with_key,
        OutputSchema::None,
        None,
        RolloutTarget::NewInCodexHome,
    )
    .unwrap();
    let path = s.rollout.as_ref().unwrap().path().to_path_buf();
    assert!(path.starts_with(tmp.path().join("home").join("sessions")));
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("rollout-"), "{name}");
    assert!(
        name.ends_with(&format!("-{}.jsonl", s.session.thread_id())),
        "{name}"
    );

    let old = tmp.path().join("runs").join("a-r0.jsonl");
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::write(&old, "old line\n").unwrap();
    let s = start(
        &cfg,
        tmp.path(),
        &with_key,
        OutputSchema::None,
        None,
        RolloutTarget::Replace(old.clone()),
    )
    .unwrap();
    assert_eq!(s.rollout.unwrap().path(), old);
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "", "started afresh");

    let fresh = tmp.path().join("new").join("dir").join("b-r0.jsonl");
    let s = start(
        &cfg,
        tmp.path(),
        &with_key,
        OutputSchema::None,
        None,
        RolloutTarget::Replace(fresh.clone()),
    )
    .unwrap();
    assert_eq!(s.rollout.unwrap().path(), fresh);
    assert!(fresh.exists());
}

#[test]
fn a_resume_continues_the_thread_and_appends() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(&tmp.path().join("home"), tmp.path());
    let recorded = tmp.path().join("rollout.jsonl");
    std::fs::write(&recorded, "first line\n").unwrap();
    let resume = Resume {
        thread: ResumedThread {
            thread_id: "0190aaaa-0000-7000-8000-000000000001".into(),
            history: Vec::new(),
            thread_usage: TokenUsage::default(),
            ..Default::default()
        },
        base_instructions: Some("recorded instructions".into()),
    };
    let s = start(
        &cfg,
        tmp.path(),
        &with_key,
        OutputSchema::None,
        Some(resume),
        RolloutTarget::Append(recorded.clone()),
    )
    .unwrap();
    let mut session = s.session;
    assert_eq!(session.thread_id(), "0190aaaa-0000-7000-8000-000000000001");
    assert_eq!(s.rollout.unwrap().path(), recorded);
    assert_eq!(std::fs::read_to_string(&recorded).unwrap(), "first line\n");
    // The first request carries the recorded base instructions.
    session
        .handle(1_700_000_000_001, Input::Submit(UserTurn::text("again")))
        .unwrap();
    let body = std::iter::from_fn(|| session.poll())
        .find_map(|e| match e {
            Effect::SendRequest { body, .. } => Some(body),
            _ => None,
        })
        .expect("a request");
    assert!(body.contains("recorded instructions"), "{body}");
}

#[test]
fn a_missing_key_and_a_bad_schema_are_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(&tmp.path().join("home"), tmp.path());
    let no_env = |_: &str| None;
    let err = start(
        &cfg,
        tmp.path(),
        &no_env,
        OutputSchema::None,
        None,
        RolloutTarget::Discard,
    )
    .err()
    .unwrap();
    assert!(err.contains("MOCK_API_KEY"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let schema = tmp.path().join("schema.json");
    std::fs::write(&schema, "{ not json").unwrap();
    let err = start(
        &cfg,
        tmp.path(),
        &with_key,
        OutputSchema::File(schema.clone()),
        None,
        RolloutTarget::Discard,
    )
    .err()
    .unwrap();
    assert!(
        err.starts_with(&format!("{}: invalid JSON schema: ", schema.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    std::fs::write(&schema, r#"{"type":"object"}"#).unwrap();
    assert!(start(
        &cfg,
        tmp.path(),
        &with_key,
        OutputSchema::File(schema),
        None,
        RolloutTarget::Discard,
    )
    .is_ok());
}
