//! The built-in catalog: the ten models of the user guide, usable offline.
//!
//! These values only matter where the router says nothing: once discovery
//! succeeds, context windows and prices come from the live backends. Values
//! the original gateway ships are marked "known"; every other value is our best
//! estimate from the model cards and is marked "unsure".

use provider_abi::Cost;

/// One built-in model.
#[derive(Debug, Clone, Copy)]
pub(super) struct BuiltinModel {
    pub(super) id: &'static str,
    pub(super) name: &'static str,
    pub(super) context_window: u64,
    pub(super) max_tokens: u64,
    pub(super) cost: Cost,
    pub(super) reasoning: bool,
    pub(super) input: &'static [&'static str],
    /// Whether tool calls work; every model here has a tool-calling chat
    /// template, but a backend can still say otherwise once discovered.
    pub(super) supports_tools: bool,
}

const TEXT: &[&str] = &["text"];
const TEXT_IMAGE: &[&str] = &["text", "image"];

const fn cost(input: f64, output: f64) -> Cost {
    Cost { input, output }
}

/// The models, sorted by id.
pub(super) const BUILTIN_MODELS: &[BuiltinModel] = &[
    BuiltinModel {
        id: "Qwen/Qwen2.5-7B-Instruct",
        name: "Qwen2.5 7B Instruct",
        context_window: 32_768, // unsure: the card's native window
        max_tokens: 8_192,      // unsure
        cost: cost(0.04, 0.1),  // unsure: typical router price
        reasoning: false,
        input: TEXT,
        supports_tools: true,
    },
    BuiltinModel {
        id: "Qwen/Qwen3-32B",
        name: "Qwen3 32B",
        context_window: 32_768, // unsure: native window (131072 with YaRN)
        max_tokens: 8_192,      // unsure
        cost: cost(0.1, 0.3),   // unsure: typical router price
        reasoning: true,        // thinks by default (hybrid thinking mode)
        input: TEXT,
        supports_tools: true,
    },
    BuiltinModel {
        id: "Qwen/Qwen3-8B",
        name: "Qwen3 8B",
        context_window: 32_768,   // unsure: native window (131072 with YaRN)
        max_tokens: 8_192,        // unsure
        cost: cost(0.035, 0.138), // unsure: typical router price
        reasoning: true,          // thinks by default (hybrid thinking mode)
        input: TEXT,
        supports_tools: true,
    },
    BuiltinModel {
        id: "deepseek-ai/DeepSeek-R1",
        name: "DeepSeek R1",
        context_window: 131_072, // known
        max_tokens: 8_192,       // known
        cost: cost(3.0, 7.0),    // known
        reasoning: true,         // known
        input: TEXT,
        supports_tools: true, // unsure: some backends refuse tools for R1
    },
    BuiltinModel {
        id: "deepseek-ai/DeepSeek-V3.2",
        name: "DeepSeek V3.2",
        context_window: 131_072, // known for V3.1; assumed unchanged for V3.2
        max_tokens: 8_192,       // known for V3.1; assumed unchanged for V3.2
        cost: cost(0.6, 1.25),   // known for V3.1; assumed unchanged for V3.2
        reasoning: false,        // unsure: hybrid model, non-thinking by default
        input: TEXT,
        supports_tools: true,
    },
    BuiltinModel {
        id: "meta-llama/Llama-3.1-8B-Instruct",
        name: "Llama 3.1 8B Instruct",
        context_window: 131_072, // the card's window
        max_tokens: 8_192,       // unsure
        cost: cost(0.02, 0.05),  // unsure: typical router price
        reasoning: false,
        input: TEXT,
        supports_tools: true,
    },
    BuiltinModel {
        id: "meta-llama/Llama-3.3-70B-Instruct",
        name: "Llama 3.3 70B Instruct",
        context_window: 131_072, // the card's window
        max_tokens: 8_192,       // unsure
        cost: cost(0.6, 0.6),    // unsure: typical router price
        reasoning: false,
        input: TEXT,
        supports_tools: true,
    },
    BuiltinModel {
        id: "moonshotai/Kimi-K2.5",
        name: "Kimi K2.5",
        context_window: 262_144, // unsure: K2's 256K window assumed
        max_tokens: 8_192,       // unsure
        cost: cost(0.6, 3.0),    // unsure: Moonshot's list price for K2
        reasoning: true,         // unsure: thinks by default per the release notes
        input: TEXT_IMAGE,       // unsure: announced as natively multimodal
        supports_tools: true,
    },
    BuiltinModel {
        id: "openai/gpt-oss-120b",
        name: "GPT-OSS 120B",
        context_window: 131_072, // known
        max_tokens: 8_192,       // known
        // unsure: the cheapest live backend's price when written (novita).
        // The original ships zero, which reads as free: it is not.
        cost: cost(0.1, 0.5),
        reasoning: true,
        input: TEXT,
        supports_tools: true,
    },
    BuiltinModel {
        id: "zai-org/GLM-4.7",
        name: "GLM-4.7",
        context_window: 131_072, // unsure: GLM-4.6 serves 200K on some backends
        max_tokens: 8_192,       // unsure
        cost: cost(0.6, 2.2),    // unsure: Z.ai's list price for GLM-4.6
        reasoning: true,         // unsure: hybrid thinking, on by default
        input: TEXT,
        supports_tools: true,
    },
];

/// The built-in entry for `id` (exact match).
pub(super) fn find(id: &str) -> Option<&'static BuiltinModel> {
    BUILTIN_MODELS.iter().find(|m| m.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_ten_models_of_the_user_guide_sorted_and_unique() {
        let ids: Vec<_> = BUILTIN_MODELS.iter().map(|m| m.id).collect();
        for id in [
            "deepseek-ai/DeepSeek-R1",
            "deepseek-ai/DeepSeek-V3.2",
            "Qwen/Qwen3-8B",
            "Qwen/Qwen2.5-7B-Instruct",
            "Qwen/Qwen3-32B",
            "meta-llama/Llama-3.3-70B-Instruct",
            "meta-llama/Llama-3.1-8B-Instruct",
            "openai/gpt-oss-120b",
            "zai-org/GLM-4.7",
            "moonshotai/Kimi-K2.5",
        ] {
            assert!(ids.contains(&id), "{id} missing");
            assert!(
                crate::catalog::ModelRef::parse(id).is_ok(),
                "{id} is not a valid ref"
            );
        }
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, ids);
    }

    #[test]
    fn known_values_match_the_original() {
        let r1 = find("deepseek-ai/DeepSeek-R1").unwrap();
        assert_eq!((r1.context_window, r1.max_tokens), (131_072, 8_192));
        assert_eq!(r1.cost, cost(3.0, 7.0));
        assert!(r1.reasoning);
        for m in BUILTIN_MODELS {
            // A model without a listed price is not free: no built-in
            // model may claim a zero price.
            assert!(m.cost.input > 0.0 && m.cost.output > 0.0, "{}", m.id);
            assert!(m.max_tokens <= m.context_window, "{}", m.id);
            assert!(!m.input.is_empty(), "{}", m.id);
        }
    }
}
