//! Built-in ∪ discovered, with metadata derived from each model's backends.
//!
//! The rules (docs/router.md, "Deriving catalog metadata"): backends with status
//! `error` are ignored for derived values but kept in `backends`; the context
//! window is the smallest positive `context_length` among the rest (a request
//! must fit whichever backend the router picks); tools are supported unless one
//! of them says `supports_tools: false`; the cost is the cheapest live
//! backend's pricing. Built-in values fill what the router leaves out; what
//! neither states (a price, tool support) stays unknown (`None`), never 0 or yes.

use std::collections::HashSet;
use std::time::SystemTime;

use provider_abi::{Backend, Cost, ModelInfo, ModelSource};

use super::api::{ApiBackend, ApiModel};
use super::builtin::{BUILTIN_MODELS, BuiltinModel};
use super::{Catalog, Entry, names};

/// Context window when neither the router nor the built-in list knows one:
/// small enough that most backends accept it, large enough to be useful.
pub(super) const DEFAULT_CONTEXT_WINDOW: u64 = 32_768;
/// Output cap when the built-in list has none (the router does not list one);
/// the original gateway's value for every model.
pub(super) const DEFAULT_MAX_TOKENS: u64 = 8_192;

/// The catalog for a successful discovery fetched at `fetched_at`.
pub(crate) fn merge(api: Vec<ApiModel>, fetched_at: SystemTime) -> Catalog {
    build(api, Some(fetched_at))
}

/// Every API row plus every built-in model the rows lack.
pub(super) fn build(api: Vec<ApiModel>, discovered_at: Option<SystemTime>) -> Catalog {
    // parse_models already dedups; rows built elsewhere may not be. The ids
    // are borrowed for the check, so thousands of rows cost no copies.
    let mut seen = HashSet::with_capacity(api.len());
    let first: Vec<bool> = api.iter().map(|row| seen.insert(row.id.as_str())).collect();
    let missing: Vec<&BuiltinModel> = BUILTIN_MODELS
        .iter()
        .filter(|b| !seen.contains(b.id))
        .collect();
    drop(seen);
    let mut entries = Vec::with_capacity(api.len() + missing.len());
    for (row, first) in api.into_iter().zip(first) {
        if first {
            entries.push(from_row(row));
        }
    }
    entries.extend(missing.into_iter().map(from_builtin));
    Catalog::from_entries(entries, discovered_at)
}

/// A built-in model the router did not list (or discovery never ran).
fn from_builtin(b: &BuiltinModel) -> Entry {
    Entry {
        info: ModelInfo {
            id: b.id.to_string(),
            name: b.name.to_string(),
            context_window: b.context_window,
            max_tokens: b.max_tokens.min(b.context_window),
            cost: Some(b.cost),
            reasoning: b.reasoning,
            input: b.input.iter().map(|s| (*s).to_string()).collect(),
            supports_tools: Some(b.supports_tools),
            live: false,
            source: ModelSource::Builtin,
            backends: Vec::new(),
        },
    }
}

fn from_row(mut row: ApiModel) -> Entry {
    let builtin = super::builtin::find(&row.id);
    let name = names::base_name(Some(&row), builtin.map(|b| b.name), &row.id);
    let usable = || row.providers.iter().filter(|b| b.status != "error");

    let context_window = usable()
        .filter_map(|b| b.context_length)
        .filter(|n| *n > 0)
        .min()
        .or(builtin.map(|b| b.context_window))
        .unwrap_or(DEFAULT_CONTEXT_WINDOW);
    // An output cap larger than the window can never be honoured.
    let max_tokens = builtin
        .map_or(DEFAULT_MAX_TOKENS, |b| b.max_tokens)
        .min(context_window);
    let mut stated_tools = usable().filter_map(|b| b.supports_tools).peekable();
    // Nobody saying is unknown, not "yes".
    let supports_tools = if stated_tools.peek().is_none() {
        builtin.map(|b| b.supports_tools)
    } else {
        Some(stated_tools.all(|t| t))
    };
    let cost = cheapest_live(&row.providers).or(builtin.map(|b| b.cost));
    let input = row
        .input_modalities
        .take()
        .or_else(|| builtin.map(|b| b.input.iter().map(|s| (*s).to_string()).collect()))
        .unwrap_or_else(|| vec!["text".to_string()]);
    let reasoning = builtin.map_or_else(|| looks_like_reasoning(&row.id), |b| b.reasoning);
    let live = row.providers.iter().any(|b| b.status == "live");

    Entry {
        info: ModelInfo {
            name,
            context_window,
            max_tokens,
            cost,
            reasoning,
            input,
            supports_tools,
            live,
            source: if builtin.is_some() {
                ModelSource::Both
            } else {
                ModelSource::Discovered
            },
            backends: row.providers.into_iter().map(to_backend).collect(),
            id: row.id,
        },
    }
}

/// The pricing of the live backend cheapest by output price, then input.
fn cheapest_live(backends: &[ApiBackend]) -> Option<Cost> {
    backends
        .iter()
        .filter(|b| b.status == "live")
        .filter_map(|b| b.pricing)
        .min_by(|a, b| {
            a.output
                .total_cmp(&b.output)
                .then(a.input.total_cmp(&b.input))
        })
}

fn to_backend(b: ApiBackend) -> Backend {
    Backend {
        provider: b.provider,
        status: b.status,
        context_length: b.context_length,
        pricing: b.pricing,
        supports_tools: b.supports_tools,
        supports_structured_output: b.supports_structured_output,
        first_token_latency_ms: b.first_token_latency_ms,
        throughput: b.throughput,
        is_model_author: b.is_model_author,
    }
}

/// Whether an id not in the built-in list names a reasoning model. The
/// router does not say, so this goes by naming conventions: DeepSeek's `-R1`
/// family and distills, anything called reasoning/thinking (Kimi-K2-Thinking,
/// Qwen3-*-Thinking, Phi-4-reasoning), QwQ, gpt-oss and Magistral. A miss only
/// means reasoning text is not expected up front; it is still shown if sent.
pub(super) fn looks_like_reasoning(id: &str) -> bool {
    const MARKERS: [&str; 6] = ["-r1", "reason", "think", "qwq", "gpt-oss", "magistral"];
    // ASCII folding is exact for ASCII ids and cheaper; otherwise Unicode
    // folding, which can turn a non-ASCII letter into an ASCII one.
    let id = if id.is_ascii() {
        id.to_ascii_lowercase()
    } else {
        id.to_lowercase()
    };
    MARKERS.iter().any(|m| id.contains(m))
}

/// The entry for an id the catalog does not know, passed through unverified
/// when discovery never succeeded: defaults, a derived name, not live.
pub(super) fn passthrough_info(id: &str) -> ModelInfo {
    ModelInfo {
        id: id.to_string(),
        name: names::derive_name(id),
        context_window: DEFAULT_CONTEXT_WINDOW,
        max_tokens: DEFAULT_MAX_TOKENS,
        cost: None,
        reasoning: looks_like_reasoning(id),
        input: vec!["text".to_string()],
        supports_tools: None,
        live: false,
        // Closest of the three: the id came from outside the built-in list.
        // `ResolvedModel::verified == false` is what marks it unchecked.
        source: ModelSource::Discovered,
        backends: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
