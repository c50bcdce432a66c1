//! What a provider knows about its models.

use serde::{Deserialize, Serialize};

/// A price per million tokens, in US dollars.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Cost {
    /// Input (prompt) tokens.
    pub input: f64,
    /// Output (completion) tokens.
    pub output: f64,
}

/// Where a catalog entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelSource {
    /// Only the plugin's built-in list.
    #[default]
    Builtin,
    /// Only the router's `GET /models`.
    Discovered,
    /// Both: router metadata merged over the built-in entry.
    Both,
}

impl ModelSource {
    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelSource::Builtin => "builtin",
            ModelSource::Discovered => "discovered",
            ModelSource::Both => "both",
        }
    }
}

/// One backend (inference provider) that serves a model, as the router lists it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Backend {
    /// The backend's name, e.g. `together`; usable as a `:<provider>` suffix.
    pub provider: String,
    /// `live`, `staging` or `error`.
    pub status: String,
    /// Context window on this backend.
    pub context_length: Option<u64>,
    /// Price on this backend.
    pub pricing: Option<Cost>,
    /// Whether it supports tool calls, when stated.
    pub supports_tools: Option<bool>,
    /// Whether it supports structured output, when stated.
    pub supports_structured_output: Option<bool>,
    /// Typical time to first token, milliseconds.
    pub first_token_latency_ms: Option<f64>,
    /// Typical throughput, tokens per second.
    pub throughput: Option<f64>,
    /// Whether the backend is the model's author.
    pub is_model_author: Option<bool>,
}

impl Backend {
    /// Whether the router lists the backend as live.
    pub fn is_live(&self) -> bool {
        self.status == "live"
    }
}

/// A model in the provider's catalog.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The router model id, `org/name`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Context window in tokens (the smallest among live backends).
    pub context_window: u64,
    /// Maximum output tokens.
    pub max_tokens: u64,
    /// Price of the cheapest live backend (or the plugin's own figure);
    /// `None` when no one states a price: unknown, which is not free.
    pub cost: Option<Cost>,
    /// Whether the model reasons before it answers.
    pub reasoning: bool,
    /// Input modalities: `text`, `image`.
    pub input: Vec<String>,
    /// Whether tool calls are supported by every live backend that states it;
    /// `None` when none of them says (nor the plugin's own list).
    pub supports_tools: Option<bool>,
    /// Whether the router lists the model right now.
    pub live: bool,
    /// Where the entry came from.
    pub source: ModelSource,
    /// Every backend the router lists for it.
    pub backends: Vec<Backend>,
}

impl ModelInfo {
    /// The backends the router lists as live.
    pub fn live_backends(&self) -> impl Iterator<Item = &Backend> {
        self.backends.iter().filter(|b| b.is_live())
    }
}

/// A model ref resolved against the catalog.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResolvedModel {
    /// The canonical ref, `<provider>/<id>[:suffix]`.
    pub model_ref: String,
    /// What is sent upstream as `model`: `<id>[:suffix]`, never prefixed.
    pub router_model: String,
    /// The routing suffix (`fastest`, `cheapest`, `preferred`, or a backend name), if any.
    pub suffix: Option<String>,
    /// Whether the router alone chooses the backend (`:fastest`, `:cheapest`).
    pub locked: bool,
    /// Whether the catalog knew the id; `false` when it passed through unchecked
    /// because discovery never succeeded.
    pub verified: bool,
    /// Display name, including any alias and variant label.
    pub display_name: String,
    /// The model's catalog entry.
    pub info: ModelInfo,
}

/// What an explicit catalog refresh found (the ABI's `refresh`).
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshReport {
    /// Models in the catalog now (router rows plus built-in ones).
    pub models: u64,
    /// Rows the router listed.
    pub discovered: u64,
    /// When the router list now in use was fetched.
    pub fetched_at: std::time::SystemTime,
}
