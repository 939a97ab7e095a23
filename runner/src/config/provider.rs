//! Model providers: the built-ins (openai, ollama, lmstudio) and `model_providers.NAME` tables,
//! with Codex's defaults and caps for retries and the stream idle timeout.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::schema::{ConfigToml, ModelProviderToml};
use super::{ConfigError, ConfigFile};

/// Which API shape the provider speaks (`wire_api`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireApi {
    Responses,
    Chat,
}

/// A resolved provider.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    pub id: String,
    pub name: String,
    pub base_url: String,
    pub env_key: Option<String>,
    pub wire_api: WireApi,
    pub query_params: BTreeMap<String, String>,
    pub http_headers: Vec<(String, String)>,
    /// Header name → environment variable holding its value.
    pub env_http_headers: Vec<(String, String)>,
    pub request_max_retries: u64,
    pub stream_max_retries: u64,
    pub stream_idle_timeout_ms: u64,
    /// Where the provider came from, for messages.
    pub source: String,
}

impl std::fmt::Debug for ProviderInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers may carry credentials: show their names only.
        f.debug_struct("ProviderInfo")
            .field("id", &self.id)
            .field("base_url", &self.base_url)
            .field("env_key", &self.env_key)
            .field("wire_api", &self.wire_api)
            .field(
                "http_headers",
                &self.http_headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_REQUEST_MAX_RETRIES: u64 = 4;
pub const DEFAULT_STREAM_MAX_RETRIES: u64 = 5;
pub const DEFAULT_STREAM_IDLE_TIMEOUT_MS: u64 = 300_000;
const MAX_RETRIES_CAP: u64 = 100;

impl ProviderInfo {
    fn builtin(id: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<ProviderInfo> {
        let (name, base_url, env_key, wire_api) = match id {
            "openai" => (
                "OpenAI",
                env("OPENAI_BASE_URL")
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| "https://api.openai.com/v1".into()),
                Some("OPENAI_API_KEY"),
                WireApi::Responses,
            ),
            "ollama" => (
                "Ollama",
                "http://localhost:11434/v1".into(),
                None,
                WireApi::Chat,
            ),
            "lmstudio" => (
                "LM Studio",
                "http://localhost:1234/v1".into(),
                None,
                WireApi::Chat,
            ),
            _ => return None,
        };
        Some(ProviderInfo {
            id: id.into(),
            name: name.into(),
            base_url,
            env_key: env_key.map(String::from),
            wire_api,
            query_params: BTreeMap::new(),
            http_headers: Vec::new(),
            env_http_headers: Vec::new(),
            request_max_retries: DEFAULT_REQUEST_MAX_RETRIES,
            stream_max_retries: DEFAULT_STREAM_MAX_RETRIES,
            stream_idle_timeout_ms: DEFAULT_STREAM_IDLE_TIMEOUT_MS,
            source: "built-in".into(),
        })
    }

    /// The API key from the provider's `env_key`; a missing one is an error naming the variable.
    pub fn api_key(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, ConfigError> {
        let Some(var) = &self.env_key else {
            return Ok(None);
        };
        match env(var).filter(|v| !v.trim().is_empty()) {
            Some(v) => Ok(Some(v)),
            None => Err(ConfigError::MissingKey {
                var: var.clone(),
                provider: self.id.clone(),
                home: self.source.clone(),
            }),
        }
    }

    /// `{base_url}/responses` plus query parameters.
    pub fn responses_url(&self) -> String {
        let mut url = format!("{}/responses", self.base_url.trim_end_matches('/'));
        for (i, (k, v)) in self.query_params.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&format!("{k}={v}"));
        }
        url
    }

    /// Static headers plus those whose values come from the environment (unset ones skipped).
    pub fn resolved_headers(&self) -> Vec<(String, String)> {
        let mut out = self.http_headers.clone();
        for (name, var) in &self.env_http_headers {
            if let Ok(v) = std::env::var(var) {
                if !v.is_empty() {
                    out.push((name.clone(), v));
                }
            }
        }
        out
    }
}

const BUILTIN_IDS: [&str; 3] = ["openai", "ollama", "lmstudio"];

/// Resolves `model_provider = id` against the merged settings' `model_providers` and the
/// built-ins. Types were checked when the settings were read; only a missing `base_url` is left.
pub(crate) fn resolve(
    settings: &ConfigToml,
    id: &str,
    file: &ConfigFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderInfo, ConfigError> {
    let builtin = ProviderInfo::builtin(id, env);
    let mut p = match (settings.model_providers.get(id), builtin) {
        (None, Some(b)) => b,
        (None, None) => {
            let known: Vec<&str> = BUILTIN_IDS
                .into_iter()
                .chain(settings.model_providers.keys().map(String::as_str))
                .collect();
            return Err(ConfigError::UnknownProvider {
                path: file.shown(),
                id: id.into(),
                known: known.join(", "),
            });
        }
        (Some(configured), builtin) => configured_provider(id, configured, builtin, file)?,
    };
    p.source = file.home();
    Ok(p)
}

/// A `[model_providers.ID]` table over the built-in of the same id (or over nothing).
fn configured_provider(
    id: &str,
    t: &ModelProviderToml,
    builtin: Option<ProviderInfo>,
    file: &ConfigFile,
) -> Result<ProviderInfo, ConfigError> {
    let base = builtin.unwrap_or(ProviderInfo {
        id: id.into(),
        name: id.into(),
        base_url: String::new(),
        env_key: None,
        wire_api: WireApi::Responses,
        query_params: BTreeMap::new(),
        http_headers: Vec::new(),
        env_http_headers: Vec::new(),
        request_max_retries: DEFAULT_REQUEST_MAX_RETRIES,
        stream_max_retries: DEFAULT_STREAM_MAX_RETRIES,
        stream_idle_timeout_ms: DEFAULT_STREAM_IDLE_TIMEOUT_MS,
        source: String::new(),
    });
    let base_url = t.base_url.clone().unwrap_or(base.base_url);
    if base_url.is_empty() {
        return Err(file.missing_provider_key(id, "base_url"));
    }
    let pairs = |m: &BTreeMap<String, String>| -> Vec<(String, String)> {
        m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    Ok(ProviderInfo {
        id: id.into(),
        name: t.name.clone().unwrap_or(base.name),
        base_url,
        env_key: t.env_key.clone().or(base.env_key),
        wire_api: t.wire_api.unwrap_or(WireApi::Responses),
        query_params: t.query_params.clone(),
        http_headers: pairs(&t.http_headers),
        env_http_headers: pairs(&t.env_http_headers),
        request_max_retries: t
            .request_max_retries
            .unwrap_or(base.request_max_retries)
            .min(MAX_RETRIES_CAP),
        stream_max_retries: t
            .stream_max_retries
            .unwrap_or(base.stream_max_retries)
            .min(MAX_RETRIES_CAP),
        stream_idle_timeout_ms: t
            .stream_idle_timeout_ms
            .unwrap_or(base.stream_idle_timeout_ms),
        source: String::new(),
    })
}
