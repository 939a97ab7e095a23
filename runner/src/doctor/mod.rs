//! `rcodex doctor`: says whether this machine can run a turn, and if not, exactly what is broken
//! and how to fix it. Checks, in order: config, profile, provider, model, key (offline), then
//! dns, tcp, tls, http (the base_url's reachability) and one live request (`--skip-live` skips
//! it). A check after a failure it depends on is reported skipped. Exit status: 0 every check ok,
//! warn or skipped; 1 one failed; 2 usage.

mod check;
mod live;
mod reach;
mod setup;

pub use check::{Check, Status};

use std::time::Duration;

use clap::Args;

use crate::client::{Endpoint, ModelClient};
use crate::config::{codex_home_from_env, Config, ConfigOverrides};

/// Longest wait for the next byte of the live request (or the provider's, when shorter).
const LIVE_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Args, Clone, Default)]
pub struct DoctorArgs {
    /// Override a config value: `-c key.path=value` (value parsed as TOML, else a string).
    #[arg(short = 'c', long = "config", value_name = "key=value")]
    pub config: Vec<String>,
    /// Config profile: the settings of `$CODEX_HOME/PROFILE.config.toml` over config.toml (as Codex 0.169).
    #[arg(short = 'p', long)]
    pub profile: Option<String>,
    /// Model to check (the live request asks it).
    #[arg(short = 'm', long)]
    pub model: Option<String>,
    /// Print one JSON object `{"ok": bool, "checks": [{name, status, detail, fix}]}` instead of
    /// a line per check.
    #[arg(long)]
    pub json: bool,
    /// Do not send the live request (one short Responses request, a few tokens).
    #[arg(long)]
    pub skip_live: bool,
}

/// Runs every check, prints them, and returns the exit code.
pub async fn run_doctor(args: DoctorArgs) -> i32 {
    let checks = run_checks(&args).await;
    if args.json {
        println!("{}", check::to_json(&checks));
    } else {
        for c in &checks {
            println!("{}", c.line());
        }
    }
    i32::from(check::any_failed(&checks))
}

/// The checks, in order.
pub async fn run_checks(args: &DoctorArgs) -> Vec<Check> {
    let overrides = ConfigOverrides {
        model: args.model.clone(),
        profile: args.profile.clone(),
        config_overrides: args.config.clone(),
        ..ConfigOverrides::default()
    };
    let env = |k: &str| std::env::var(k).ok();
    let found = setup::check_setup(&codex_home_from_env(), &overrides, &env);
    let mut checks = found.checks;
    let Some(config) = found.config else {
        skip_network(&mut checks, "config did not load", args.skip_live);
        return checks;
    };
    let headers = crate::session_setup::endpoint_headers(&config, found.api_key.as_deref());
    let client = match ModelClient::new(Endpoint {
        url: config.provider.api_url(),
        headers: headers.clone(),
        // A doctor should not sit for the provider's full idle timeout (5 minutes by default).
        idle_timeout: Duration::from_millis(config.provider.stream_idle_timeout_ms)
            .min(LIVE_IDLE_TIMEOUT),
    }) {
        Ok(c) => c.with_wire_api(config.provider.wire_api),
        Err(e) => {
            checks.push(Check::fail(
                "http",
                format!("cannot build an HTTP client: {}", reach::chain(&e)),
                "check the provider's http_headers (names and values must be valid)",
            ));
            return checks;
        }
    };
    let responses_url = config.provider.responses_url();
    let query = responses_url
        .find('?')
        .map_or("", |i| &responses_url[i..])
        .to_string();
    let target = reach::Target {
        base_url: &config.provider.base_url,
        base_url_key: base_url_key(&config),
        query: &query,
    };
    let (reach_checks, answered) = reach::check_reach(&target, client.http(), &headers).await;
    checks.extend(reach_checks);
    let key_failed = checks
        .iter()
        .any(|c| c.name == "key" && c.status == Status::Fail);
    checks.push(if args.skip_live {
        Check::skipped("live", "--skip-live")
    } else if !answered {
        Check::skipped("live", "the server is not reachable")
    } else if key_failed {
        Check::skipped("live", "no key")
    } else {
        live::check_live(&client, &config.model).await
    });
    checks
}

fn skip_network(checks: &mut Vec<Check>, why: &str, skip_live: bool) {
    for name in ["dns", "tcp", "tls", "http"] {
        checks.push(Check::skipped(name, why));
    }
    checks.push(Check::skipped(
        "live",
        if skip_live { "--skip-live" } else { why },
    ));
}

/// Where the user changes base_url: the provider's table, or for built-in OpenAI the variable.
fn base_url_key(config: &Config) -> String {
    match config.provider.id.as_str() {
        id if setup::is_configured(config) => format!("model_providers.{id}.base_url"),
        "openai" => "OPENAI_BASE_URL".into(),
        id => format!("the built-in provider {id}'s base_url (define your own provider)"),
    }
}
