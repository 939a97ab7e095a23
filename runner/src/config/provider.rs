//! Model providers: the built-ins (openai, ollama, lmstudio) and `model_providers.NAME` tables,
//! with Codex's defaults and caps for retries and the stream idle timeout.

use std::collections::BTreeMap;

use toml::{Table, Value};

use super::{opt_string, opt_u64, ConfigError, Source};

/// Which API shape the provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
        self.url_for("responses")
    }

    /// `{base_url}/chat/completions` plus query parameters.
    pub fn chat_url(&self) -> String {
        self.url_for("chat/completions")
    }

    fn url_for(&self, tail: &str) -> String {
        let mut url = format!("{}/{tail}", self.base_url.trim_end_matches('/'));
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

/// Resolves `model_provider = id` against `model_providers` and the built-ins.
pub(crate) fn resolve(
    table: &Table,
    id: &str,
    src: &Source,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderInfo, ConfigError> {
    let configured = table.get("model_providers").and_then(|p| p.get(id));
    let home = src
        .path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut p = match (configured, ProviderInfo::builtin(id, env)) {
        (None, Some(b)) => b,
        (None, None) => {
            let mut known: Vec<String> =
                ["openai", "ollama", "lmstudio"].map(String::from).to_vec();
            if let Some(Value::Table(t)) = table.get("model_providers") {
                known.extend(t.keys().cloned());
            }
            return Err(ConfigError::UnknownProvider {
                path: src.path.display().to_string(),
                id: id.into(),
                known: known.join(", "),
            });
        }
        (Some(Value::Table(_)), builtin) => {
            let key = |k: &str| format!("model_providers.{id}.{k}");
            let path = |k: &'static str| ["model_providers", id, k];
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
            let base_url = opt_string(table, &path("base_url"), src)?.unwrap_or(base.base_url);
            if base_url.is_empty() {
                return Err(src.invalid(&key("base_url"), "missing"));
            }
            let wire_api = match opt_string(table, &path("wire_api"), src)?.as_deref() {
                None | Some("responses") => WireApi::Responses,
                Some("chat") => WireApi::Chat,
                Some(other) => {
                    return Err(src.invalid(
                        &key("wire_api"),
                        &format!("{other:?} is not responses or chat"),
                    ))
                }
            };
            let string_map = |k: &'static str| -> Result<Vec<(String, String)>, ConfigError> {
                match table
                    .get("model_providers")
                    .and_then(|p| p.get(id))
                    .and_then(|p| p.get(k))
                {
                    None => Ok(Vec::new()),
                    Some(Value::Table(t)) => t
                        .iter()
                        .map(|(hk, hv)| match hv {
                            Value::String(s) => Ok((hk.clone(), s.clone())),
                            _ => Err(src.wrong_type(&format!("{}.{hk}", key(k)), "a string")),
                        })
                        .collect(),
                    Some(_) => Err(src.wrong_type(&key(k), "a table of strings")),
                }
            };
            ProviderInfo {
                id: id.into(),
                name: opt_string(table, &path("name"), src)?.unwrap_or(base.name),
                base_url,
                env_key: opt_string(table, &path("env_key"), src)?.or(base.env_key),
                wire_api,
                query_params: string_map("query_params")?.into_iter().collect(),
                http_headers: string_map("http_headers")?,
                env_http_headers: string_map("env_http_headers")?,
                request_max_retries: opt_u64(table, &path("request_max_retries"), src)?
                    .unwrap_or(base.request_max_retries)
                    .min(MAX_RETRIES_CAP),
                stream_max_retries: opt_u64(table, &path("stream_max_retries"), src)?
                    .unwrap_or(base.stream_max_retries)
                    .min(MAX_RETRIES_CAP),
                stream_idle_timeout_ms: opt_u64(table, &path("stream_idle_timeout_ms"), src)?
                    .unwrap_or(base.stream_idle_timeout_ms),
                source: String::new(),
            }
        }
        (Some(_), _) => return Err(src.wrong_type(&format!("model_providers.{id}"), "a table")),
    };
    p.source = home;
    Ok(p)
}
