//! Catalog entries as they cross the boundary.

use abi_stable::{
    StableAbi,
    std_types::{ROption, RString, RVec},
};

/// Price per million tokens.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs)] // mirrors crate::Cost
pub struct AbiCost {
    pub input: f64,
    pub output: f64,
}

/// One backend of a model.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs)] // mirrors crate::Backend
pub struct AbiBackend {
    pub provider: RString,
    pub status: RString,
    pub context_length: ROption<u64>,
    pub pricing: ROption<AbiCost>,
    pub supports_tools: ROption<bool>,
    pub supports_structured_output: ROption<bool>,
    pub first_token_latency_ms: ROption<f64>,
    pub throughput: ROption<f64>,
    pub is_model_author: ROption<bool>,
}

/// One catalog entry (see [`crate::ModelInfo`]).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs)] // mirrors crate::ModelInfo
pub struct AbiModelInfo {
    pub id: RString,
    pub name: RString,
    pub context_window: u64,
    pub max_tokens: u64,
    pub cost: AbiCost,
    pub reasoning: bool,
    pub input: RVec<RString>,
    pub supports_tools: bool,
    pub live: bool,
    /// `builtin`, `discovered` or `both`.
    pub source: RString,
    pub backends: RVec<AbiBackend>,
    /// Fields added in later minor versions, as a JSON object (empty when none).
    pub extensions: RString,
}

/// A resolved model ref (see [`crate::ResolvedModel`]).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs)] // mirrors crate::ResolvedModel
pub struct AbiResolvedModel {
    pub model_ref: RString,
    pub router_model: RString,
    pub suffix: ROption<RString>,
    pub locked: bool,
    pub verified: bool,
    pub display_name: RString,
    pub info: AbiModelInfo,
}

/// What an explicit catalog refresh found (see [`crate::RefreshReport`]).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs)] // mirrors crate::RefreshReport
pub struct AbiRefreshReport {
    pub models: u64,
    pub discovered: u64,
    /// Unix seconds of the router list now in use.
    pub fetched_at_unix: u64,
    /// Fields added later, as a JSON object (empty when none).
    pub extensions: RString,
}
