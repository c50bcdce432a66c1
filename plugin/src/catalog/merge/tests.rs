use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::catalog::parse_models;

fn fixture_list() -> Vec<ApiModel> {
    let row = testkit::fixtures::model_list("hub-docs-example.json").unwrap();
    // The fixture is one row as the docs print it; the router wraps rows in a list.
    parse_models(format!(r#"{{"object":"list","data":[{row}]}}"#).as_bytes()).unwrap()
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn backend(provider: &str, status: &str) -> ApiBackend {
    ApiBackend {
        provider: provider.into(),
        status: status.into(),
        ..ApiBackend::default()
    }
}

fn priced(mut b: ApiBackend, input: f64, output: f64) -> ApiBackend {
    b.pricing = Some(Cost { input, output });
    b
}

#[test]
fn the_hub_docs_example_gets_metadata_from_its_backends() {
    let catalog = merge(fixture_list(), at(1_776_900_000));
    assert_eq!(catalog.discovered_at(), Some(at(1_776_900_000)));
    let m = catalog.get("deepseek-ai/DeepSeek-V4-Pro").unwrap();
    assert_eq!(m.name, "DeepSeek V4 Pro");
    assert_eq!(m.source, ModelSource::Discovered);
    assert!(m.live);
    // deepinfra's 65536 is the smallest; featherless states none.
    assert_eq!(m.context_window, 65_536);
    assert_eq!(m.max_tokens, DEFAULT_MAX_TOKENS);
    // novita is cheapest by output price; fireworks has no pricing.
    assert_eq!(
        m.cost,
        Some(Cost {
            input: 1.69,
            output: 3.38
        })
    );
    assert_eq!(m.supports_tools, Some(true));
    assert!(!m.reasoning);
    assert_eq!(m.input, ["text"]);
    let providers: Vec<_> = m.backends.iter().map(|b| b.provider.as_str()).collect();
    assert_eq!(
        providers,
        [
            "novita",
            "together",
            "fireworks-ai",
            "featherless-ai",
            "deepinfra"
        ]
    );
    let together = &m.backends[1];
    assert_eq!(together.context_length, Some(512_000));
    assert_eq!(
        together.pricing,
        Some(Cost {
            input: 2.1,
            output: 4.4
        })
    );
    assert_eq!(together.supports_structured_output, Some(true));
    assert_eq!(together.first_token_latency_ms, Some(611.0));
    assert_eq!(together.is_model_author, Some(false));
    assert!(m.backends[3].pricing.is_none() && m.backends[3].context_length.is_none());

    let (per_backend, cost) = catalog.pricing_for("deepseek-ai/DeepSeek-V4-Pro:fastest");
    assert_eq!(per_backend.len(), 3);
    assert_eq!(
        per_backend["deepinfra"],
        Cost {
            input: 1.74,
            output: 3.48
        }
    );
    assert_eq!(
        cost,
        Some(Cost {
            input: 1.69,
            output: 3.38
        })
    );
}

#[test]
fn the_union_keeps_builtin_models_the_api_lacks() {
    let catalog = merge(fixture_list(), at(1));
    let models = catalog.models();
    assert_eq!(models.len(), BUILTIN_MODELS.len() + 1);
    let ids: Vec<_> = models.iter().map(|m| m.id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "models() is sorted by id");
    for b in BUILTIN_MODELS {
        let m = catalog.get(b.id).unwrap();
        assert_eq!(
            (m.source, m.live),
            (ModelSource::Builtin, false),
            "{}",
            b.id
        );
        assert_eq!(m.name, b.name);
        assert!(m.backends.is_empty());
    }
}

#[test]
fn builtin_catalog_works_offline() {
    let catalog = Catalog::builtin();
    assert_eq!(catalog.discovered_at(), None);
    assert_eq!(catalog.len(), 10);
    let r1 = catalog.get("deepseek-ai/DeepSeek-R1").unwrap();
    assert_eq!((r1.context_window, r1.max_tokens), (131_072, 8_192));
    assert_eq!(
        r1.cost,
        Some(Cost {
            input: 3.0,
            output: 7.0
        })
    );
    assert!(r1.reasoning && !r1.live);
    let (per_backend, cost) = catalog.pricing_for("deepseek-ai/DeepSeek-R1");
    assert!(per_backend.is_empty());
    assert_eq!(
        cost,
        Some(Cost {
            input: 3.0,
            output: 7.0
        })
    );
    assert_eq!(
        catalog.pricing_for("org/unknown"),
        (Default::default(), None)
    );
}

#[test]
fn the_documented_sample_merges_over_its_builtin_entry() {
    let row = ApiModel {
        id: "deepseek-ai/DeepSeek-R1".into(),
        providers: vec![
            ApiBackend {
                context_length: Some(163_840),
                supports_tools: Some(false),
                ..priced(backend("together", "live"), 3.0, 7.0)
            },
            ApiBackend {
                context_length: Some(64_000),
                supports_tools: Some(true),
                ..priced(backend("novita", "live"), 0.7, 2.5)
            },
            // Ignored for derived values, kept in backends.
            ApiBackend {
                context_length: Some(1_000),
                ..priced(backend("featherless-ai", "error"), 0.01, 0.01)
            },
        ],
        ..ApiModel::default()
    };
    let catalog = merge(vec![row], at(5));
    let m = catalog.get("deepseek-ai/DeepSeek-R1").unwrap();
    assert_eq!(m.source, ModelSource::Both);
    assert_eq!(m.name, "DeepSeek R1", "built-in name beats a derived one");
    assert_eq!(m.context_window, 64_000);
    assert_eq!(m.max_tokens, 8_192);
    assert_eq!(m.supports_tools, Some(false), "together says no tools");
    assert_eq!(
        m.cost,
        Some(Cost {
            input: 0.7,
            output: 2.5
        })
    );
    assert!(m.reasoning && m.live);
    assert_eq!(m.backends.len(), 3);
    let (per_backend, _) = catalog.pricing_for("deepseek-ai/DeepSeek-R1");
    assert!(!per_backend.contains_key("featherless-ai"));
}

#[test]
fn builtin_values_fill_what_the_api_leaves_out() {
    let row = ApiModel {
        id: "moonshotai/Kimi-K2.5".into(),
        name: Some("Kimi K2.5 (router)".into()),
        providers: vec![backend("novita", "staging"), backend("groq", "error")],
        ..ApiModel::default()
    };
    let catalog = merge(vec![row], at(5));
    let m = catalog.get("moonshotai/Kimi-K2.5").unwrap();
    let b = crate::catalog::builtin::find("moonshotai/Kimi-K2.5").unwrap();
    assert_eq!(
        m.name, "Kimi K2.5 (router)",
        "an API name beats the built-in one"
    );
    assert_eq!(m.context_window, b.context_window);
    assert_eq!(m.cost, Some(b.cost));
    assert_eq!(m.input, ["text", "image"]);
    assert!(!m.live, "staging and error backends are not live");
    assert_eq!(catalog.pricing_for("moonshotai/Kimi-K2.5").1, Some(b.cost));
}

#[test]
fn discovered_models_without_any_metadata_get_documented_defaults() {
    let row = ApiModel {
        id: "someone/Tiny-Thinking-1B".into(),
        input_modalities: Some(vec!["text".into(), "image".into()]),
        providers: vec![ApiBackend {
            context_length: Some(4_096),
            ..backend("hf-inference", "live")
        }],
        ..ApiModel::default()
    };
    let catalog = merge(
        vec![
            row,
            ApiModel {
                id: "x/y".into(),
                ..ApiModel::default()
            },
        ],
        at(5),
    );
    let m = catalog.get("someone/Tiny-Thinking-1B").unwrap();
    assert_eq!(m.context_window, 4_096);
    assert_eq!(
        m.max_tokens, 4_096,
        "the output cap never exceeds the window"
    );
    assert!(m.reasoning && m.live);
    assert_eq!(m.supports_tools, None, "no backend says: unknown, not yes");
    assert_eq!(m.input, ["text", "image"]);
    assert_eq!(m.cost, None, "no price listed: unknown, not 0");
    assert_eq!(
        catalog.pricing_for("someone/Tiny-Thinking-1B").1,
        None,
        "price unknown"
    );
    let bare = catalog.get("x/y").unwrap();
    assert_eq!(
        (bare.context_window, bare.max_tokens),
        (DEFAULT_CONTEXT_WINDOW, DEFAULT_MAX_TOKENS)
    );
    assert!(!bare.live);
}

#[test]
fn cheapest_is_by_output_then_input_among_live_backends() {
    let backends = [
        priced(backend("a", "live"), 0.5, 1.0),
        priced(backend("b", "live"), 0.2, 1.0),
        priced(backend("c", "staging"), 0.0, 0.1),
        priced(backend("d", "error"), 0.0, 0.0),
        priced(backend("e", "live"), 0.1, 2.0),
    ];
    assert_eq!(
        cheapest_live(&backends),
        Some(Cost {
            input: 0.2,
            output: 1.0
        })
    );
    assert_eq!(cheapest_live(&backends[2..4]), None);
}

#[test]
fn lookups_ignore_case_and_suffixes_and_the_first_duplicate_wins() {
    let rows = vec![
        ApiModel {
            id: "Org/Model".into(),
            name: Some("first".into()),
            ..ApiModel::default()
        },
        ApiModel {
            id: "Org/Model".into(),
            name: Some("second".into()),
            ..ApiModel::default()
        },
    ];
    let catalog = merge(rows, at(5));
    assert_eq!(catalog.get("org/model").unwrap().name, "first");
    assert_eq!(catalog.get(" Org/Model:cheapest ").unwrap().id, "Org/Model");
    assert_eq!(catalog.len(), BUILTIN_MODELS.len() + 1);
}

#[test]
fn reasoning_heuristic() {
    for (id, want) in [
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", true),
        ("moonshotai/Kimi-K2-Thinking", true),
        ("Qwen/QwQ-32B", true),
        ("openai/gpt-oss-20b", true),
        ("microsoft/Phi-4-reasoning-plus", true),
        ("mistralai/Magistral-Small-2506", true),
        ("meta-llama/Llama-3.1-8B-Instruct", false),
        ("deepseek-ai/DeepSeek-V3-0324", false),
    ] {
        assert_eq!(looks_like_reasoning(id), want, "{id}");
    }
}
