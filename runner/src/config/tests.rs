//! Config loading against temp CODEX_HOMEs; the environment is a closure, never the process's.

use std::collections::HashMap;

use super::*;

fn home(toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), toml).unwrap();
    dir
}

fn load(
    dir: &tempfile::TempDir,
    cli: ConfigOverrides,
    vars: &[(&str, &str)],
) -> Result<Config, ConfigError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    load_config(Some(dir.path().to_path_buf()), &cli, &move |k| {
        vars.get(k).cloned()
    })
}

const MOCK: &str = r#"
model = "gpt-5.5"
model_provider = "mock"
[model_providers.mock]
name = "Mock Responses"
base_url = "http://127.0.0.1:18080/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
stream_max_retries = 2
[model_providers.mock.http_headers]
x-extra = "1"
"#;

/// `$CODEX_HOME/fast.config.toml`, the profile `-p fast` selects (Codex 0.169's profile file).
const FAST: &str = "model = \"gpt-5.4-mini\"\nmodel_reasoning_effort = \"low\"\n[model_providers.mock]\nstream_max_retries = 3\n";

#[test]
fn defaults_use_builtin_openai() {
    let dir = home("");
    let c = load(&dir, ConfigOverrides::default(), &[]).unwrap();
    assert_eq!(c.model, "gpt-5.5");
    assert_eq!(
        c.provider.responses_url(),
        "https://api.openai.com/v1/responses"
    );
    assert_eq!(c.provider.request_max_retries, 4);
    assert_eq!(c.provider.stream_max_retries, 5);
    assert_eq!(c.provider.stream_idle_timeout_ms, 300_000);
    let c = load(
        &dir,
        ConfigOverrides::default(),
        &[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")],
    )
    .unwrap();
    assert_eq!(
        c.provider.responses_url(),
        "http://127.0.0.1:9/v1/responses"
    );
}

#[test]
fn custom_provider_profile_and_overrides() {
    let dir = home(MOCK);
    std::fs::write(dir.path().join("fast.config.toml"), FAST).unwrap();
    let c = load(&dir, ConfigOverrides::default(), &[("MOCK_API_KEY", "k")]).unwrap();
    assert_eq!(c.provider.name, "Mock Responses");
    assert_eq!(c.provider.stream_max_retries, 2);
    assert_eq!(
        c.provider.http_headers,
        vec![("x-extra".to_string(), "1".to_string())]
    );
    assert_eq!(
        c.provider
            .api_key(&|_| Some("k".into()))
            .unwrap()
            .as_deref(),
        Some("k")
    );

    let cli = ConfigOverrides {
        profile: Some("fast".into()),
        ..Default::default()
    };
    let c = load(&dir, cli, &[]).unwrap();
    assert_eq!(c.model, "gpt-5.4-mini");
    assert_eq!(c.model_reasoning_effort.as_deref(), Some("low"));
    // The profile's tables merge key by key into config.toml's.
    assert_eq!(c.provider.stream_max_retries, 3);
    assert_eq!(c.provider.name, "Mock Responses");

    // -c beats the profile; a flag beats -c.
    let cli = ConfigOverrides {
        profile: Some("fast".into()),
        config_overrides: vec![
            "model=o3".into(),
            "tools.update_plan.enabled=true".into(),
            "sandbox_mode=workspace-write".into(),
        ],
        ..Default::default()
    };
    let c = load(&dir, cli.clone(), &[]).unwrap();
    assert_eq!(c.model, "o3");
    assert!(c.tools.update_plan);
    assert_eq!(c.sandbox_mode, Some(SandboxMode::WorkspaceWrite));
    let c = load(
        &dir,
        ConfigOverrides {
            model: Some("cli".into()),
            ..cli
        },
        &[],
    )
    .unwrap();
    assert_eq!(c.model, "cli");
}

#[test]
fn override_values_parse_as_toml_or_string() {
    let mut t = Table::new();
    apply_override(&mut t, "a.b.c=3").unwrap();
    apply_override(&mut t, "s=hello world").unwrap();
    apply_override(&mut t, "model_providers.\"x.y\".name=\"q\"").unwrap();
    apply_override(&mut t, "arr=[1,2]").unwrap();
    assert_eq!(t["a"]["b"]["c"].as_integer(), Some(3));
    assert_eq!(t["s"].as_str(), Some("hello world"));
    assert_eq!(t["model_providers"]["x.y"]["name"].as_str(), Some("q"));
    assert_eq!(t["arr"].as_array().map(Vec::len), Some(2));
    assert!(apply_override(&mut t, "novalue").is_err());
}

#[test]
fn errors_name_file_line_and_key_without_secrets() {
    let dir = home(MOCK);
    let c = load(&dir, ConfigOverrides::default(), &[]).unwrap();
    let e = c.provider.api_key(&|_| None).unwrap_err().to_string();
    assert!(e.contains("`MOCK_API_KEY`"), "{e}");

    let dir = home("model = \"x\"\nmodel_provider = \"nope\"\n");
    let e = load(&dir, ConfigOverrides::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("model_provider: unknown provider \"nope\""),
        "{e}"
    );
    assert!(e.contains("config.toml"), "{e}");

    let dir = home("model = \"x\"\n\n[model_providers.m]\nbase_url = 7\n");
    let e = load(
        &dir,
        ConfigOverrides {
            config_overrides: vec!["model_provider=m".into()],
            ..Default::default()
        },
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(
            "config.toml:4: model_providers.m.base_url: invalid type: integer `7`, expected a string"
        ),
        "{e}"
    );

    let dir = home("model = \"x\"\nbroken = [\n");
    let e = load(&dir, ConfigOverrides::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.toml:"), "{e}");

    let dir = home("");
    let e = load(
        &dir,
        ConfigOverrides {
            profile: Some("ghost".into()),
            ..Default::default()
        },
        &[],
    )
    .unwrap();
    assert_eq!(
        e.model, DEFAULT_MODEL,
        "a missing profile file selects nothing, as in Codex"
    );

    let secret = "sk-very-secret";
    let c = load(&home(MOCK), ConfigOverrides::default(), &[]).unwrap();
    let shown = format!("{:?}", c.provider);
    assert!(!shown.contains(secret));
}

#[test]
fn dotenv_skips_codex_variables() {
    let vars = dotenv::parse_dotenv(
        "# c\nMOCK_API_KEY=abc\nexport B=\"q v\"\nCODEX_HOME=/x\ncodex_sandbox=1\nEMPTY=\n",
    );
    assert_eq!(
        vars,
        vec![
            ("MOCK_API_KEY".into(), "abc".into()),
            ("B".into(), "q v".into()),
            ("EMPTY".into(), String::new())
        ]
    );
}

/// The error `load` gives for `toml` with no CLI overrides, as shown to users.
fn load_err(toml: &str) -> String {
    load(&home(toml), ConfigOverrides::default(), &[])
        .unwrap_err()
        .to_string()
}

#[test]
fn the_same_key_under_two_providers_reports_the_bad_ones_line() {
    let e = load_err(
        "[model_providers.a]\nbase_url = \"http://127.0.0.1:1\"\n\n[model_providers.b]\nbase_url = 5\n",
    );
    assert!(
        e.ends_with(
            "config.toml:5: model_providers.b.base_url: invalid type: integer `5`, expected a string"
        ),
        "{e}"
    );
}

#[test]
fn the_whole_file_is_checked_not_only_the_selected_provider() {
    // `a` is selected and fine; `b` is never used, and still refuses the file (as Codex 0.169).
    let toml = "model_provider = \"a\"\n[model_providers.a]\nbase_url = \"http://127.0.0.1:1\"\n[model_providers.b]\nname = \"b\"\nbase_url = 5\n";
    let e = load_err(toml);
    assert!(
        e.contains("config.toml:6: model_providers.b.base_url: "),
        "{e}"
    );
}

#[test]
fn each_bad_value_names_its_line_and_field() {
    let cases: &[(&str, &str)] = &[
        ("model = 5\n", ":1: model: invalid type: integer `5`, expected a string"),
        (
            "\nsandbox_mode = \"bogus\"\n",
            ":2: sandbox_mode: unknown variant `bogus`, expected one of `read-only`, `workspace-write`, `danger-full-access`",
        ),
        (
            "[profiles.p]\nmodel = \"m\"\nsandbox_mode = \"nope\"\n",
            ":3: profiles.p.sandbox_mode: unknown variant `nope`",
        ),
        (
            "model_verbosity = \"loud\"\n",
            ":1: model_verbosity: unknown variant `loud`, expected one of `low`, `medium`, `high`",
        ),
        (
            "[model_providers.m]\nbase_url = \"http://127.0.0.1:1\"\nwire_api = \"grpc\"\n",
            ":3: model_providers.m.wire_api: unknown variant `grpc`, expected `responses` or `chat`",
        ),
        (
            "[model_providers.m]\nbase_url = \"http://127.0.0.1:1\"\nrequest_max_retries = -1\n",
            ":3: model_providers.m.request_max_retries: invalid value: integer `-1`, expected u64",
        ),
        (
            "[model_providers.m]\nbase_url = \"x\"\n[model_providers.m.http_headers]\nok = \"1\"\nbad = 2\n",
            ":5: model_providers.m.http_headers.bad: invalid type: integer `2`, expected a string",
        ),
        (
            "[tools]\nlist_dir = { enabled = \"yes\" }\n",
            ":2: tools.list_dir.enabled: invalid type: string \"yes\", expected a boolean",
        ),
        (
            "[tools]\nupdate_plan = 1\n",
            ":2: tools.update_plan: invalid type: integer `1`, expected a table such as { enabled = true }",
        ),
        (
            "model_providers = 3\n",
            ":1: model_providers: invalid type: integer `3`, expected a map",
        ),
    ];
    for (toml, want) in cases {
        let e = load_err(toml);
        assert!(e.contains(&format!("config.toml{want}")), "{toml:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}

#[test]
fn a_missing_base_url_points_at_the_provider_table() {
    let toml = "model = \"m\"\nmodel_provider = \"m\"\n\n[model_providers.m]\nname = \"M\"\n";
    let e = load_err(toml);
    assert!(
        e.ends_with("config.toml:4: model_providers.m.base_url: missing"),
        "{e}"
    );
    // A provider made only by -c has no line to point at.
    let e = load(
        &home(""),
        ConfigOverrides {
            config_overrides: vec!["model_providers.x.name=X".into(), "model_provider=x".into()],
            ..Default::default()
        },
        &[],
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "model_providers.x.base_url: missing (after the profile and -c overrides)"
    );
}

#[test]
fn a_bad_override_is_named_not_a_file_line() {
    let e = load(
        &home("model = \"m\"\n"),
        ConfigOverrides {
            config_overrides: vec!["model=ok".into(), "sandbox_mode=sideways".into()],
            ..Default::default()
        },
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("-c sandbox_mode=sideways: sandbox_mode: unknown variant `sideways`"),
        "{e}"
    );
}

#[test]
fn unknown_keys_are_ignored_as_codex_ignores_them() {
    let toml = "approval_policy = \"never\"\n[model_providers.m]\nname = \"M\"\nbase_url = \"http://127.0.0.1:1\"\nrequires_openai_auth = false\n[tools]\nweb_search = true\n";
    let c = load(
        &home(toml),
        ConfigOverrides {
            config_overrides: vec!["model_provider=m".into()],
            ..Default::default()
        },
        &[],
    )
    .unwrap();
    assert_eq!(c.provider.base_url, "http://127.0.0.1:1");
    assert_eq!(c.provider.wire_api, WireApi::Responses);
    assert_eq!(c.tools, ToolsToggles::default());
}

#[test]
fn wire_api_chat_is_read_and_kept_for_the_refusal_downstream() {
    let toml = "model_provider = \"v\"\n[model_providers.v]\nname = \"vLLM\"\nbase_url = \"http://127.0.0.1:1/v1\"\nwire_api = \"chat\"\n";
    let c = load(&home(toml), ConfigOverrides::default(), &[]).unwrap();
    assert_eq!(c.provider.wire_api, WireApi::Chat);
    assert_eq!(
        c.provider.chat_url(),
        "http://127.0.0.1:1/v1/chat/completions"
    );
}

#[test]
fn every_provider_needs_a_name_selected_or_not() {
    // Codex 0.169 refuses these too; the earliest offender in the file is the one named.
    let toml = "[model_providers.z]\nbase_url = \"http://127.0.0.1:1\"\n\n[model_providers.a]\nname = \" \"\nbase_url = \"http://127.0.0.1:1\"\n";
    let e = load_err(toml);
    assert!(
        e.ends_with(
            "config.toml:1: model_providers.z.name: missing or empty; every provider needs one"
        ),
        "{e}"
    );
}

#[test]
fn a_built_in_provider_id_cannot_be_redefined() {
    let toml = "[model_providers.mine]\nname = \"m\"\nbase_url = \"http://127.0.0.1:1\"\n[model_providers.ollama]\nname = \"o\"\nbase_url = \"http://127.0.0.1:2\"\n";
    let e = load_err(toml);
    assert!(
        e.ends_with("config.toml:4: model_providers.ollama: `ollama` is a built-in provider and cannot be redefined; give yours another id, such as `ollama-custom`"),
        "{e}"
    );
    let e = load(
        &home(""),
        ConfigOverrides {
            config_overrides: vec!["model_providers.openai.base_url=http://127.0.0.1:3".into()],
            ..Default::default()
        },
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("model_providers.openai: `openai` is a built-in provider"),
        "{e}"
    );
}

#[test]
fn features_shell_snapshot_is_on_unless_switched_off() {
    let on = load(&home(""), ConfigOverrides::default(), &[]).unwrap();
    assert!(on.shell_snapshot);
    // Codex's other feature switches are accepted and ignored.
    let other = load(
        &home("[features]\nplugins = false\n"),
        ConfigOverrides::default(),
        &[],
    );
    assert!(other.unwrap().shell_snapshot);
    let off = load(
        &home("[features]\nshell_snapshot = false\n"),
        ConfigOverrides::default(),
        &[],
    );
    assert!(!off.unwrap().shell_snapshot);
    let by_override = load(
        &home(""),
        ConfigOverrides {
            config_overrides: vec!["features.shell_snapshot=false".into()],
            ..Default::default()
        },
        &[],
    );
    assert!(!by_override.unwrap().shell_snapshot);
    let e = load_err("\n[features]\nshell_snapshot = \"no\"\n");
    assert!(
        e.contains("config.toml:3: features.shell_snapshot: invalid type: string \"no\", expected a boolean"),
        "{e}"
    );
}

#[test]
fn openai_base_url_and_codex_api_key_serve_the_builtin_openai_provider() {
    let dir = tempfile::tempdir().unwrap();
    let cli = ConfigOverrides {
        config_overrides: vec!["openai_base_url=\"http://127.0.0.1:9/v1\"".into()],
        ..ConfigOverrides::default()
    };
    let env = |k: &str| match k {
        "CODEX_API_KEY" => Some("from-codex-api-key".to_string()),
        "OPENAI_API_KEY" => Some("from-openai-api-key".to_string()),
        _ => None,
    };
    let config = load_config(Some(dir.path().to_path_buf()), &cli, &env).unwrap();
    assert_eq!(config.provider.base_url, "http://127.0.0.1:9/v1");
    assert_eq!(
        config.provider.api_key(&env).unwrap().as_deref(),
        Some("from-codex-api-key")
    );
    let only_openai = |k: &str| (k == "OPENAI_API_KEY").then(|| "o".to_string());
    assert_eq!(
        config.provider.api_key(&only_openai).unwrap().as_deref(),
        Some("o")
    );
}

#[test]
fn a_profile_file_is_checked_as_config_toml_is_and_legacy_profiles_are_refused() {
    let dir = home(MOCK);
    let profile = ConfigOverrides {
        profile: Some("fast".into()),
        ..Default::default()
    };
    std::fs::write(
        dir.path().join("fast.config.toml"),
        "model = \"m\"\nmodel_verbosity = \"loud\"\n",
    )
    .unwrap();
    let e = load(&dir, profile.clone(), &[]).unwrap_err().to_string();
    assert!(
        e.contains("fast.config.toml:2: model_verbosity: unknown variant `loud`"),
        "{e}"
    );
    std::fs::write(dir.path().join("fast.config.toml"), "bogus = 1\n").unwrap();
    load(&dir, profile.clone(), &[]).unwrap();
    let e = load_config_with(
        Some(dir.path().to_path_buf()),
        &profile,
        &|_| None,
        LoadOptions {
            strict: true,
            ..LoadOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("fast.config.toml:1: bogus:"), "{e}");

    let legacy = home(&format!("{MOCK}[profiles.fast]\nmodel = \"x\"\n"));
    load(&legacy, ConfigOverrides::default(), &[]).unwrap();
    let e = load(&legacy, profile, &[]).unwrap_err().to_string();
    assert!(e.contains("--profile `fast` cannot be used while"), "{e}");
    let selector = home(&format!("profile = \"fast\"\n{MOCK}"));
    let e = load(&selector, ConfigOverrides::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(":1: profile: legacy `profile = \"fast\"`"),
        "{e}"
    );
}

#[test]
fn the_originator_is_rcodex_exec_unless_codex_override_renames_it() {
    let dir = home(MOCK);
    let c = load(&dir, ConfigOverrides::default(), &[]).unwrap();
    assert_eq!(c.originator, "rcodex_exec");
    let c = load(
        &dir,
        ConfigOverrides::default(),
        &[("CODEX_INTERNAL_ORIGINATOR_OVERRIDE", "my_orig")],
    )
    .unwrap();
    assert_eq!(c.originator, "my_orig");
    let headers = crate::session_setup::endpoint_headers(&c, None);
    let get = |k: &str| headers.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(get("originator"), "my_orig");
    assert!(get("user-agent").starts_with("my_orig/"), "{headers:?}");
}
