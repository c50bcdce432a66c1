//! The options of the two dropdowns: default model (three per model: the
//! model, its `:cheapest` and its `:fastest` variant) and preferred backend.

use std::collections::BTreeMap;
use std::fmt;

use host_sdk::{Backend, ModelInfo};

use crate::host::{DEFAULT_MODEL, PROVIDER_ID};

/// The router-chosen variants, each "provider locked".
const POLICIES: [&str; 2] = ["cheapest", "fastest"];

/// One option of "Default Hugging Face model".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    /// `huggingface/<id>[:cheapest|:fastest]`.
    pub model_ref: String,
    /// What is shown (and filtered on).
    pub label: String,
    /// A policy variant: the router picks the backend.
    pub locked: bool,
    /// Index of the model in the catalog it came from.
    pub index: usize,
}

impl ModelChoice {
    /// What the dropdown's filter is matched against: the ref and the label.
    pub fn filter_texts(&self) -> Vec<String> {
        vec![self.model_ref.clone(), self.label.clone()]
    }
}

impl fmt::Display for ModelChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// The display name of `model_ref`: a user alias for that exact ref, else
/// the catalog name (else the id) with the variant's label suffix.
fn display_name(
    model: &ModelInfo,
    model_ref: &str,
    policy: Option<&str>,
    aliases: &BTreeMap<String, String>,
) -> String {
    if let Some(alias) = aliases.get(model_ref).filter(|a| !a.trim().is_empty()) {
        return alias.clone();
    }
    let base = if model.name.trim().is_empty() {
        model.id.as_str()
    } else {
        model.name.trim()
    };
    match policy {
        Some(p) => format!("{base} ({p})"),
        None => base.to_string(),
    }
}

/// Every option: the default model's three first, the rest sorted by label.
pub fn model_choices(models: &[ModelInfo], aliases: &BTreeMap<String, String>) -> Vec<ModelChoice> {
    let mut out = Vec::with_capacity(models.len() * 3);
    for (index, model) in models.iter().enumerate() {
        let plain = format!("{PROVIDER_ID}/{}", model.id);
        let variants = std::iter::once(None).chain(POLICIES.iter().map(|p| Some(*p)));
        for policy in variants {
            let model_ref = match policy {
                Some(p) => format!("{plain}:{p}"),
                None => plain.clone(),
            };
            let name = display_name(model, &model_ref, policy, aliases);
            // The default model's three options first; then by name, not
            // label, so that "X" comes before "X (cheapest)".
            let key = (
                plain != DEFAULT_MODEL,
                name.to_lowercase(),
                model_ref.clone(),
            );
            let choice = ModelChoice {
                label: format!("{name} — {model_ref}"),
                model_ref,
                locked: policy.is_some(),
                index,
            };
            out.push((key, choice));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, c)| c).collect()
}

/// One option of "prefer a specific backend": `None` leaves it to the router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendChoice {
    /// The backend's name, used as the `:<provider>` suffix.
    pub provider: Option<String>,
    /// What is shown.
    pub label: String,
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

fn backend_label(b: &Backend) -> String {
    let mut parts = vec![match b.pricing {
        Some(c) => format!("${:.2} in / ${:.2} out per 1M tokens", c.input, c.output),
        None => "price unknown".into(),
    }];
    if let Some(ms) = b.first_token_latency_ms {
        parts.push(format!("{:.2} s to first token", ms / 1000.0));
    }
    if let Some(tps) = b.throughput {
        parts.push(format!("{tps:.0} tokens/s"));
    }
    format!("{} — {}", b.provider, parts.join(", "))
}

/// "No preference" then each live backend of `model`; empty when none is
/// known (the catalog is the built-in one), so the step is skipped.
pub fn backend_choices(model: &ModelInfo) -> Vec<BackendChoice> {
    let live: Vec<&Backend> = model.live_backends().collect();
    if live.is_empty() {
        return Vec::new();
    }
    let mut out = vec![BackendChoice {
        provider: None,
        label: "No preference — the router chooses for each request".into(),
    }];
    out.extend(live.into_iter().map(|b| BackendChoice {
        provider: Some(b.provider.clone()),
        label: backend_label(b),
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use host_sdk::Cost;

    fn model(id: &str, name: &str) -> ModelInfo {
        ModelInfo {
            id: id.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn three_options_per_model_default_first_rest_by_label() {
        let models = [
            model("Qwen/Qwen3-8B", "Qwen3 8B"),
            model("deepseek-ai/DeepSeek-R1", "DeepSeek R1"),
            model("zai-org/GLM-4.7", "GLM 4.7"),
        ];
        let aliases = [(
            "huggingface/Qwen/Qwen3-8B:fastest".to_string(),
            "Quick Qwen".to_string(),
        )]
        .into();
        let c = model_choices(&models, &aliases);
        let refs: Vec<&str> = c.iter().map(|c| c.model_ref.as_str()).collect();
        assert_eq!(
            refs,
            [
                "huggingface/deepseek-ai/DeepSeek-R1",
                "huggingface/deepseek-ai/DeepSeek-R1:cheapest",
                "huggingface/deepseek-ai/DeepSeek-R1:fastest",
                "huggingface/zai-org/GLM-4.7",
                "huggingface/zai-org/GLM-4.7:cheapest",
                "huggingface/zai-org/GLM-4.7:fastest",
                "huggingface/Qwen/Qwen3-8B:fastest",
                "huggingface/Qwen/Qwen3-8B",
                "huggingface/Qwen/Qwen3-8B:cheapest",
            ]
        );
        assert_eq!(
            c[0].label,
            "DeepSeek R1 — huggingface/deepseek-ai/DeepSeek-R1"
        );
        assert_eq!(
            c[1].label,
            "DeepSeek R1 (cheapest) — huggingface/deepseek-ai/DeepSeek-R1:cheapest"
        );
        assert!(c[1].locked && !c[0].locked);
        assert_eq!(c[6].label, "Quick Qwen — huggingface/Qwen/Qwen3-8B:fastest");
        assert_eq!(c[0].index, 1);
    }

    #[test]
    fn backends_list_live_ones_with_what_is_known() {
        let mut m = model("a/b", "B");
        assert!(backend_choices(&m).is_empty());
        m.backends = vec![
            Backend {
                provider: "together".into(),
                status: "live".into(),
                pricing: Some(Cost {
                    input: 0.6,
                    output: 1.25,
                }),
                first_token_latency_ms: Some(350.0),
                throughput: Some(85.4),
                ..Default::default()
            },
            Backend {
                provider: "gone".into(),
                status: "error".into(),
                ..Default::default()
            },
            Backend {
                provider: "novita".into(),
                status: "live".into(),
                ..Default::default()
            },
        ];
        let c = backend_choices(&m);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].provider, None);
        assert_eq!(
            c[1].label,
            "together — $0.60 in / $1.25 out per 1M tokens, 0.35 s to first token, 85 tokens/s"
        );
        assert_eq!(c[2].label, "novita — price unknown");
    }
}
