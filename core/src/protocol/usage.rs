//! Token usage as Codex records it (rollouts, `turn.completed`) and as the Responses API reports it.

use serde::{Deserialize, Serialize};

/// Codex's token usage record. Key order is the rollout's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Tokens sent in the request, cached ones included.
    pub input_tokens: u64,
    /// Of `input_tokens`, those served from the prompt cache
    /// (`input_tokens_details.cached_tokens`).
    pub cached_input_tokens: u64,
    /// Tokens written to the prompt cache; Codex's field, 0 when the server does not report it.
    #[serde(default)]
    pub cache_write_input_tokens: u64,
    /// Tokens the model generated, reasoning included.
    pub output_tokens: u64,
    /// Of `output_tokens`, those spent on reasoning (`output_tokens_details.reasoning_tokens`).
    pub reasoning_output_tokens: u64,
    /// `input_tokens + output_tokens`, as the server reported it.
    pub total_tokens: u64,
}

impl TokenUsage {
    /// Sum of two usages, field by field.
    pub fn add(&self, other: &TokenUsage) -> TokenUsage {
        TokenUsage {
            input_tokens: self.input_tokens + other.input_tokens,
            cached_input_tokens: self.cached_input_tokens + other.cached_input_tokens,
            cache_write_input_tokens: self.cache_write_input_tokens
                + other.cache_write_input_tokens,
            output_tokens: self.output_tokens + other.output_tokens,
            reasoning_output_tokens: self.reasoning_output_tokens + other.reasoning_output_tokens,
            total_tokens: self.total_tokens + other.total_tokens,
        }
    }
}

/// `usage` of a `response.completed` event, as the Responses API spells it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WireUsage {
    /// Tokens sent in the request, cached ones included.
    #[serde(default)]
    pub input_tokens: u64,
    /// The cached part of `input_tokens`.
    #[serde(default)]
    pub input_tokens_details: Option<InputTokensDetails>,
    /// Tokens the model generated, reasoning included.
    #[serde(default)]
    pub output_tokens: u64,
    /// The reasoning part of `output_tokens`.
    #[serde(default)]
    pub output_tokens_details: Option<OutputTokensDetails>,
    /// The server's total.
    #[serde(default)]
    pub total_tokens: u64,
}

/// `usage.input_tokens_details`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InputTokensDetails {
    /// Tokens of the input served from the prompt cache.
    #[serde(default)]
    pub cached_tokens: u64,
}

/// `usage.output_tokens_details`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputTokensDetails {
    /// Tokens of the output spent on reasoning.
    #[serde(default)]
    pub reasoning_tokens: u64,
}

impl From<&WireUsage> for TokenUsage {
    fn from(w: &WireUsage) -> Self {
        TokenUsage {
            input_tokens: w.input_tokens,
            cached_input_tokens: w
                .input_tokens_details
                .as_ref()
                .map_or(0, |d| d.cached_tokens),
            cache_write_input_tokens: 0,
            output_tokens: w.output_tokens,
            reasoning_output_tokens: w
                .output_tokens_details
                .as_ref()
                .map_or(0, |d| d.reasoning_tokens),
            total_tokens: w.total_tokens,
        }
    }
}
