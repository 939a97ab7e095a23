//! Model providers: the built-ins (openai, ollama, lmstudio) and `model_providers.NAME` tables,
//! with Codex's defaults and caps for retries and the stream idle timeout, and Codex's rules for
//! the table as a whole.

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
/// The variable `codex exec` reads the OpenAI API key from before `OPENAI_API_KEY`.
pub const CODEX_API_KEY_VAR: &str = "CODEX_API_KEY";

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
        // `codex exec` takes the OpenAI key from CODEX_API_KEY first (the Codex SDK's `apiKey`).
        if self.id == "openai" {
            if let Some(key) = env(CODEX_API_KEY_VAR).filter(|v| !v.trim().is_empty()) {
                return Ok(Some(key));
            }
        }
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
        self.url_of("responses")
    }

    /// `{base_url}/chat/completions` plus query parameters (`wire_api = "chat"`).
    pub fn chat_url(&self) -> String {
        self.url_of("chat/completions")
    }

    /// The URL of the API `wire_api` names: [`Self::responses_url`] or [`Self::chat_url`].
    pub fn api_url(&self) -> String {
        match self.wire_api {
            WireApi::Responses => self.responses_url(),
            WireApi::Chat => self.chat_url(),
        }
    }

    fn url_of(&self, path: &str) -> String {
        let mut url = format!("{}/{path}", self.base_url.trim_end_matches('/'));
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

/// Codex's rules for `model_providers` as a whole, checked whether or not a provider is selected:
/// a built-in id cannot be redefined, and every provider has a non-empty `name`. When several
/// break a rule, the one earliest in the file is named.
pub(crate) fn check_providers(settings: &ConfigToml, file: &ConfigFile) -> Result<(), ConfigError> {
    let ids = |rule: &dyn Fn(&str, &ModelProviderToml) -> bool| -> Vec<&str> {
        let mut ids: Vec<&str> = settings
            .model_providers
            .iter()
            .filter(|(id, t)| rule(id, t))
            .map(|(id, _)| id.as_str())
            .collect();
        ids.sort_by_key(|id| file.provider_line(id).unwrap_or(usize::MAX));
        ids
    };
    if let Some(id) = ids(&|id, _| BUILTIN_IDS.contains(&id)).first() {
        return Err(file.provider_error(
            id,
            None,
            &format!("`{id}` is a built-in provider and cannot be redefined; give yours another id, such as `{id}-custom`"),
        ));
    }
    let unnamed =
        |_: &str, t: &ModelProviderToml| t.name.as_deref().is_none_or(|n| n.trim().is_empty());
    if let Some(id) = ids(&unnamed).first() {
        return Err(file.provider_error(
            id,
            Some("name"),
            "missing or empty; every provider needs one",
        ));
    }
    Ok(())
}

/// Resolves `model_provider = id` against the merged settings' `model_providers` and the
/// built-ins. Types and `check_providers` were checked already; only a missing `base_url` is
/// left to refuse.
pub(crate) fn resolve(
    settings: &ConfigToml,
    id: &str,
    file: &ConfigFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderInfo, ConfigError> {
    let mut p = match (
        settings.model_providers.get(id),
        ProviderInfo::builtin(id, env),
    ) {
        (Some(configured), _) => configured_provider(id, configured, file)?,
        (None, Some(mut builtin)) => {
            if let Some(url) = settings.openai_base_url.clone().filter(|_| id == "openai") {
                builtin.base_url = url;
            }
            builtin
        }
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
    };
    p.source = file.home();
    Ok(p)
}

/// A `[model_providers.ID]` table; unset keys take the defaults every provider starts from.
fn configured_provider(
    id: &str,
    t: &ModelProviderToml,
    file: &ConfigFile,
) -> Result<ProviderInfo, ConfigError> {
    let Some(base_url) = t.base_url.clone().filter(|u| !u.is_empty()) else {
        return Err(file.provider_error(id, Some("base_url"), "missing"));
    };
    let pairs = |m: &BTreeMap<String, String>| -> Vec<(String, String)> {
        m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    Ok(ProviderInfo {
        id: id.into(),
        name: t.name.clone().unwrap_or_else(|| id.into()),
        base_url,
        env_key: t.env_key.clone(),
        wire_api: t.wire_api.unwrap_or(WireApi::Responses),
        query_params: t.query_params.clone(),
        http_headers: pairs(&t.http_headers),
        env_http_headers: pairs(&t.env_http_headers),
        request_max_retries: t
            .request_max_retries
            .unwrap_or(DEFAULT_REQUEST_MAX_RETRIES)
            .min(MAX_RETRIES_CAP),
        stream_max_retries: t
            .stream_max_retries
            .unwrap_or(DEFAULT_STREAM_MAX_RETRIES)
            .min(MAX_RETRIES_CAP),
        stream_idle_timeout_ms: t
            .stream_idle_timeout_ms
            .unwrap_or(DEFAULT_STREAM_IDLE_TIMEOUT_MS),
        source: String::new(),
    })
}
