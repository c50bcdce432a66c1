//! The `GET /v1/models` row types, serialised in the router's field order.

use serde::Serialize;

/// One row of the models list.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Model {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub owned_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub architecture: Architecture,
    pub providers: Vec<Backend>,
}

impl Model {
    /// A text-only model owned by the org in its id.
    pub fn new(id: &str, created: u64, providers: Vec<Backend>) -> Self {
        let owned_by = id.split('/').next().unwrap_or(id).to_owned();
        Self {
            id: id.to_owned(),
            object: "model",
            created,
            owned_by,
            name: None,
            title: None,
            display_name: None,
            architecture: Architecture::text(),
            providers,
        }
    }

    pub fn with_images(mut self) -> Self {
        self.architecture.input_modalities = vec!["text", "image"];
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Architecture {
    pub input_modalities: Vec<&'static str>,
    pub output_modalities: Vec<&'static str>,
}

impl Architecture {
    fn text() -> Self {
        Self {
            input_modalities: vec!["text"],
            output_modalities: vec!["text"],
        }
    }
}

/// One backend (inference provider) of a model.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Backend {
    pub provider: &'static str,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_free: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_tools: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_structured_output: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_token_latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_model_author: Option<bool>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Pricing {
    pub input: f64,
    pub output: f64,
}

impl Backend {
    /// Only `provider`, `status` and `is_model_author`, the sparsest real shape.
    pub fn bare(provider: &'static str, status: &'static str) -> Self {
        Self {
            provider,
            status,
            context_length: None,
            pricing: None,
            is_free: None,
            supports_tools: None,
            supports_structured_output: None,
            first_token_latency_ms: None,
            throughput: None,
            is_model_author: Some(false),
        }
    }

    pub fn live(provider: &'static str) -> Self {
        Self::bare(provider, "live")
    }

    pub fn ctx(mut self, context_length: u64) -> Self {
        self.context_length = Some(context_length);
        self
    }

    pub fn price(mut self, input: f64, output: f64) -> Self {
        self.pricing = Some(Pricing { input, output });
        self
    }

    pub fn tools(mut self, tools: bool, structured: bool) -> Self {
        self.supports_tools = Some(tools);
        self.supports_structured_output = Some(structured);
        self
    }

    pub fn perf(mut self, latency_ms: f64, tokens_per_s: f64) -> Self {
        self.first_token_latency_ms = Some(latency_ms);
        self.throughput = Some(tokens_per_s);
        self
    }

    pub fn author(mut self) -> Self {
        self.is_model_author = Some(true);
        self
    }
}
