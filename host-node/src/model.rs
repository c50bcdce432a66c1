//! Catalog entries, resolved refs, plugin and version reports as JS objects.

use host_sdk::{
    Backend, Cost, ModelInfo, PluginInfo, RefreshReport, ResolvedModel, ShutdownReport, SwapReport,
    VersionStatus,
};
use napi_derive::napi;

use crate::event::JsError;

/// A price per million tokens, in US dollars.
#[napi(object)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsCost {
    /// Input (prompt) tokens.
    pub input: f64,
    /// Output (generated) tokens.
    pub output: f64,
}

impl From<Cost> for JsCost {
    fn from(c: Cost) -> Self {
        JsCost {
            input: c.input,
            output: c.output,
        }
    }
}

/// A backend (inference provider) that serves a model.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct JsBackend {
    /// Its name, usable as a `:<backend>` suffix.
    pub provider: String,
    /// `live`, `staging` or `error`.
    pub status: String,
    /// Context window on this backend.
    pub context_length: Option<f64>,
    /// Its price.
    pub pricing: Option<JsCost>,
    /// Whether it supports tool calls, when stated.
    pub supports_tools: Option<bool>,
    /// Whether it supports structured output, when stated.
    pub supports_structured_output: Option<bool>,
    /// Typical time to first token, in milliseconds.
    pub first_token_latency_ms: Option<f64>,
    /// Typical throughput, tokens per second.
    pub throughput: Option<f64>,
    /// Whether the backend is the model's author.
    pub is_model_author: Option<bool>,
}

// Context windows and token limits are far below 2^53: exact as JS numbers.
#[allow(clippy::cast_precision_loss)]
fn number(n: u64) -> f64 {
    n as f64
}

impl From<Backend> for JsBackend {
    fn from(b: Backend) -> Self {
        JsBackend {
            provider: b.provider,
            status: b.status,
            context_length: b.context_length.map(number),
            pricing: b.pricing.map(JsCost::from),
            supports_tools: b.supports_tools,
            supports_structured_output: b.supports_structured_output,
            first_token_latency_ms: b.first_token_latency_ms,
            throughput: b.throughput,
            is_model_author: b.is_model_author,
        }
    }
}

/// A model in the provider's catalog.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct JsModel {
    /// The router's model id, `org/name`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Context window in tokens (the smallest among live backends).
    pub context_window: f64,
    /// Maximum output tokens.
    pub max_tokens: f64,
    /// Price of the cheapest live backend; absent when no one states one
    /// (unknown, which is not free).
    pub cost: Option<JsCost>,
    /// Whether the model reasons before it answers.
    pub reasoning: bool,
    /// Input modalities: `text`, `image`.
    pub input: Vec<String>,
    /// Whether every live backend that says supports tool calls; absent when
    /// none says.
    pub supports_tools: Option<bool>,
    /// Whether the router lists the model right now.
    pub live: bool,
    /// `builtin`, `discovered` or `both`.
    pub source: String,
    /// Every backend the router lists for it.
    pub backends: Vec<JsBackend>,
}

impl From<ModelInfo> for JsModel {
    fn from(m: ModelInfo) -> Self {
        JsModel {
            id: m.id,
            name: m.name,
            context_window: number(m.context_window),
            max_tokens: number(m.max_tokens),
            cost: m.cost.map(JsCost::from),
            reasoning: m.reasoning,
            input: m.input,
            supports_tools: m.supports_tools,
            live: m.live,
            source: m.source.as_str().to_string(),
            backends: m.backends.into_iter().map(JsBackend::from).collect(),
        }
    }
}

/// A model ref resolved against the catalog.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct JsResolvedModel {
    /// The canonical ref, `<provider>/<id>[:suffix]`.
    pub model_ref: String,
    /// What is sent upstream as `model`: `<id>[:suffix]`.
    pub router_model: String,
    /// The routing suffix (`fastest`, `cheapest`, `preferred`, a backend).
    pub suffix: Option<String>,
    /// Whether the router alone chooses the backend (`:fastest`, `:cheapest`).
    pub locked: bool,
    /// Whether the catalog knew the id (`false`: passed through unchecked,
    /// because discovery never succeeded).
    pub verified: bool,
    /// Display name, with any alias and variant label.
    pub display_name: String,
    /// The model's catalog entry.
    pub info: JsModel,
}

impl From<ResolvedModel> for JsResolvedModel {
    fn from(r: ResolvedModel) -> Self {
        JsResolvedModel {
            model_ref: r.model_ref,
            router_model: r.router_model,
            suffix: r.suffix,
            locked: r.locked,
            verified: r.verified,
            display_name: r.display_name,
            info: r.info.into(),
        }
    }
}

/// `resolve`'s answer: the model, or why not.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct ResolveOutcome {
    /// The resolved model.
    pub model: Option<JsResolvedModel>,
    /// Why the ref did not resolve.
    pub error: Option<JsError>,
}

/// Who a plugin is.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct JsPluginInfo {
    /// The provider id it implements (`huggingface`).
    pub provider_id: String,
    /// The plugin's own version.
    pub plugin_version: String,
    /// The interface version it was built against.
    pub interface_version: String,
    /// Its build description.
    pub build: String,
}

impl From<&PluginInfo> for JsPluginInfo {
    fn from(i: &PluginInfo) -> Self {
        JsPluginInfo {
            provider_id: i.provider_id.clone(),
            plugin_version: i.plugin_version.clone(),
            interface_version: i.interface_version.clone(),
            build: i.build.clone(),
        }
    }
}

/// What a plugin's shutdown did.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct JsShutdown {
    /// Whether every thread stopped in time.
    pub clean: bool,
    /// What happened, for a log line.
    pub message: String,
}

impl From<ShutdownReport> for JsShutdown {
    fn from(r: ShutdownReport) -> Self {
        JsShutdown {
            clean: r.clean,
            message: r.message,
        }
    }
}

/// One loaded version of the host's plugin.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct JsVersion {
    /// 1 for the first version, then 2, 3, ...
    pub id: u32,
    /// The file it was loaded from.
    pub path: String,
    /// Who it is.
    pub info: JsPluginInfo,
    /// `active`, `draining`, `retired (clean)` or `retired (NOT clean)`.
    pub state: String,
    /// Completions still running on it.
    pub in_flight: u32,
}

fn small(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

impl From<VersionStatus> for JsVersion {
    fn from(v: VersionStatus) -> Self {
        JsVersion {
            id: small(v.id),
            path: v.path.display().to_string(),
            info: JsPluginInfo::from(&v.info),
            state: v.state.to_string(),
            in_flight: small(v.in_flight),
        }
    }
}

/// What a swap did.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct JsSwapReport {
    /// The version replaced.
    pub from_id: u32,
    /// Who it was.
    pub from: JsPluginInfo,
    /// The version now serving.
    pub to_id: u32,
    /// Who it is.
    pub to: JsPluginInfo,
    /// Whether the old version's calls all finished within the drain time.
    pub drained: bool,
    /// Calls still open on the old version when it was retired.
    pub abandoned: u32,
    /// The old version's shutdown (absent when its library is still in use).
    pub shutdown: Option<JsShutdown>,
}

impl From<SwapReport> for JsSwapReport {
    fn from(r: SwapReport) -> Self {
        JsSwapReport {
            from_id: small(r.from_id),
            from: JsPluginInfo::from(&r.from),
            to_id: small(r.to_id),
            to: JsPluginInfo::from(&r.to),
            drained: r.drained,
            abandoned: small(r.abandoned),
            shutdown: r.shutdown.map(JsShutdown::from),
        }
    }
}

/// `refresh`'s answer: what the router listed, or why it could not.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshOutcome {
    /// Models in the catalog now (router rows plus built-in ones).
    pub models: Option<f64>,
    /// Rows the router listed.
    pub discovered: Option<f64>,
    /// When the list in use was fetched, milliseconds since the epoch.
    pub fetched_at_ms: Option<f64>,
    /// Why the refresh failed; the catalog in memory is unchanged.
    pub error: Option<JsError>,
}

impl From<Result<RefreshReport, host_sdk::ProviderError>> for RefreshOutcome {
    fn from(r: Result<RefreshReport, host_sdk::ProviderError>) -> Self {
        match r {
            Ok(report) => RefreshOutcome {
                models: Some(number(report.models)),
                discovered: Some(number(report.discovered)),
                fetched_at_ms: report
                    .fetched_at
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs_f64() * 1000.0),
                error: None,
            },
            Err(e) => RefreshOutcome {
                models: None,
                discovered: None,
                fetched_at_ms: None,
                error: Some(JsError::from(&e)),
            },
        }
    }
}
