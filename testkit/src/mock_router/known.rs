//! Hand-written rows: the ten well-known models and the `mock/*` scenario models.
//!
//! Values are plausible, not live data; DeepSeek-R1 copies the sample in
//! docs/router.md so tests can assert on its numbers.

use super::catalog::{Backend, Model};

/// The ids of the well-known models, always in the list.
pub const KNOWN_MODELS: [&str; 10] = [
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
];

/// Scenarios listed as `mock/<scenario>` models. Every scenario works as a
/// `mock/` model whether listed or not (`mock/stall-mid:500`,
/// `mock/stall-mid-500`); the listed ones also pass a client that checks refs
/// against the list (the plugin), which is why `status-503` and `slow-200`
/// are here in their `-` form.
pub const LISTED_SCENARIOS: [&str; 21] = [
    "echo",
    "reasoning-field",
    "reasoning-content",
    "reasoning-text",
    "reasoning-think",
    "tool-calls",
    "usage",
    "rate-limit",
    "rate-limit-no-retry-after",
    "reset-before",
    "reset-mid",
    "malformed-chunk",
    "stream-error",
    "truncated",
    "no-done",
    "crlf",
    "split-utf8",
    "huge-body",
    "tool-once",
    "status-503",
    "slow-200",
];

/// Whether the default answer of `model` streams `reasoning_content` first.
pub(crate) fn is_reasoning_model(model: &str) -> bool {
    model == "deepseek-ai/DeepSeek-R1"
}

pub(crate) fn known_models() -> Vec<Model> {
    let mut r1 = Model::new(
        "deepseek-ai/DeepSeek-R1",
        1_737_360_000,
        vec![
            Backend::live("together")
                .ctx(163_840)
                .price(3.0, 7.0)
                .tools(false, true)
                .perf(611.0, 40.1),
            Backend::live("novita").ctx(64_000).price(0.7, 2.5),
            Backend::bare("featherless-ai", "error"),
        ],
    );
    if let Some(novita) = r1.providers.get_mut(1) {
        novita.supports_tools = Some(true);
    }
    let mut v32 = Model::new(
        "deepseek-ai/DeepSeek-V3.2",
        1_764_547_200,
        vec![
            Backend::live("novita")
                .ctx(163_840)
                .price(0.27, 0.41)
                .tools(true, true)
                .perf(820.5, 31.7),
            Backend::live("fireworks-ai")
                .ctx(163_840)
                .price(0.56, 1.68)
                .tools(true, true)
                .perf(455.0, 62.3),
            Backend::bare("together", "staging"),
        ],
    );
    v32.name = Some("DeepSeek V3.2".into());
    let mut kimi = Model::new(
        "moonshotai/Kimi-K2.5",
        1_769_558_400,
        vec![
            Backend::live("together")
                .ctx(262_144)
                .price(0.5, 2.8)
                .tools(true, true)
                .perf(702.0, 48.9),
            Backend::live("novita").ctx(262_144).price(0.6, 3.0),
            Backend::live("groq")
                .ctx(131_072)
                .price(1.0, 3.0)
                .tools(true, false)
                .perf(190.0, 310.4),
        ],
    )
    .with_images();
    kimi.title = Some("Kimi K2.5".into());
    let mut glm = Model::new(
        "zai-org/GLM-4.7",
        1_766_016_000,
        vec![
            Backend::live("zai-org")
                .ctx(200_000)
                .price(0.6, 2.2)
                .tools(true, true)
                .perf(930.0, 55.0)
                .author(),
            Backend::live("novita").ctx(131_072).price(0.6, 2.2),
            Backend::bare("together", "staging"),
        ],
    );
    glm.display_name = Some("GLM-4.7".into());
    vec![
        r1,
        v32,
        Model::new(
            "Qwen/Qwen3-8B",
            1_745_884_800,
            vec![
                Backend::live("featherless-ai"),
                Backend::live("nscale")
                    .ctx(40_960)
                    .price(0.18, 0.7)
                    .tools(true, false),
            ],
        ),
        Model::new(
            "Qwen/Qwen2.5-7B-Instruct",
            1_726_531_200,
            vec![
                Backend::live("together")
                    .ctx(32_768)
                    .price(0.3, 0.3)
                    .tools(true, true)
                    .perf(310.0, 120.5),
                Backend::live("featherless-ai"),
                Backend::bare("hf-inference", "error"),
            ],
        ),
        Model::new(
            "Qwen/Qwen3-32B",
            1_745_884_800,
            vec![
                Backend::live("cerebras")
                    .ctx(32_768)
                    .price(0.4, 0.8)
                    .tools(true, false)
                    .perf(150.0, 1_450.0),
                Backend::live("groq")
                    .ctx(131_072)
                    .price(0.29, 0.59)
                    .tools(true, true)
                    .perf(210.0, 420.0),
                Backend::live("nscale").ctx(40_960).price(0.08, 0.25),
                Backend::bare("scaleway", "staging"),
            ],
        ),
        Model::new(
            "meta-llama/Llama-3.3-70B-Instruct",
            1_733_356_800,
            vec![
                Backend::live("groq")
                    .ctx(131_072)
                    .price(0.59, 0.79)
                    .tools(true, true)
                    .perf(180.0, 330.0),
                Backend::live("cerebras")
                    .ctx(65_536)
                    .price(0.85, 1.2)
                    .tools(true, false)
                    .perf(140.0, 2_100.0),
                Backend::live("together")
                    .ctx(131_072)
                    .price(0.88, 0.88)
                    .tools(true, true),
                Backend::live("novita").ctx(131_072).price(0.13, 0.39),
                Backend::live("ovhcloud").ctx(131_072).price(0.74, 0.74),
                Backend::bare("hf-inference", "error"),
            ],
        ),
        Model::new(
            "meta-llama/Llama-3.1-8B-Instruct",
            1_721_260_800,
            vec![
                Backend::live("cerebras")
                    .ctx(32_768)
                    .price(0.1, 0.1)
                    .tools(true, false)
                    .perf(120.0, 2_200.0),
                Backend::live("novita").ctx(16_384).price(0.02, 0.05),
                Backend::live("featherless-ai"),
                Backend::live("scaleway").ctx(128_000).price(0.2, 0.2),
                Backend::live("publicai").ctx(8_192),
            ],
        ),
        Model::new(
            "openai/gpt-oss-120b",
            1_754_352_000,
            vec![
                Backend::live("cerebras")
                    .ctx(131_072)
                    .price(0.25, 0.69)
                    .tools(true, true)
                    .perf(160.0, 2_800.0),
                Backend::live("groq")
                    .ctx(131_072)
                    .price(0.15, 0.75)
                    .tools(true, true)
                    .perf(200.0, 500.0),
                Backend::live("fireworks-ai")
                    .ctx(131_072)
                    .price(0.15, 0.6)
                    .tools(true, true),
                Backend::live("together").ctx(131_072).price(0.15, 0.6),
                Backend::live("novita").ctx(131_072).price(0.1, 0.5),
                Backend::live("nscale").ctx(131_072),
                Backend::bare("ovhcloud", "staging"),
            ],
        ),
        glm,
        kimi,
    ]
}

/// `mock/<scenario>` rows, served by hf-inference so routing has a backend.
pub(crate) fn mock_models() -> Vec<Model> {
    LISTED_SCENARIOS
        .iter()
        .map(|scenario| {
            let mut model = Model::new(
                &format!("mock/{scenario}"),
                1_767_225_600,
                vec![
                    Backend::live("hf-inference")
                        .ctx(32_768)
                        .price(0.1, 0.2)
                        .tools(true, true)
                        .perf(5.0, 1_000.0),
                ],
            );
            model.name = Some(format!("Mock scenario: {scenario}"));
            model
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock_router::Scenario;

    #[test]
    fn every_listed_scenario_parses_without_a_colon() {
        for scenario in LISTED_SCENARIOS {
            assert!(Scenario::parse(scenario).is_some(), "{scenario}");
            // A ref's `:suffix` names a backend: a listed id must not have one.
            assert!(!scenario.contains(':'), "{scenario}");
        }
    }
}
