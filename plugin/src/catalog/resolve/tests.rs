use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::catalog::{merge, parse_models};

/// The documented sample (R1 with together, novita and an erroring
/// featherless-ai) plus a model that only the router lists.
fn discovered() -> Catalog {
    let body = br#"{"object":"list","data":[
     {"id":"deepseek-ai/DeepSeek-R1","providers":[
       {"provider":"together","status":"live","context_length":163840,"pricing":{"input":3.0,"output":7.0}},
       {"provider":"novita","status":"live","context_length":64000,"pricing":{"input":0.7,"output":2.5}},
       {"provider":"featherless-ai","status":"error"}]},
     {"id":"someone/Only-Discovered","providers":[{"provider":"groq","status":"live"}]},
     {"id":"someone/Nothing-Live","providers":[{"provider":"groq","status":"error"}]}]}"#;
    merge(
        parse_models(body).unwrap(),
        UNIX_EPOCH + Duration::from_secs(1_000),
    )
}

fn no_aliases() -> Aliases {
    Aliases::default()
}

fn aliases(pairs: &[(&str, &str)]) -> Aliases {
    Aliases::new(
        pairs
            .iter()
            .map(|(r, a)| ((*r).to_string(), (*a).to_string()))
            .collect::<HashMap<_, _>>(),
    )
}

#[test]
fn refs_and_suffixes_resolve_with_lock_flags_and_labels() {
    let catalog = discovered();
    // input, model_ref, router_model, suffix, locked, display name
    let cases = [
        (
            "huggingface/deepseek-ai/DeepSeek-R1",
            "huggingface/deepseek-ai/DeepSeek-R1",
            "deepseek-ai/DeepSeek-R1",
            None,
            false,
            "DeepSeek R1",
        ),
        (
            " deepseek-ai/DeepSeek-R1:cheapest ",
            "huggingface/deepseek-ai/DeepSeek-R1:cheapest",
            "deepseek-ai/DeepSeek-R1:cheapest",
            Some("cheapest"),
            true,
            "DeepSeek R1 (cheapest)",
        ),
        (
            "HuggingFace/deepseek-ai/DeepSeek-R1:FASTEST",
            "huggingface/deepseek-ai/DeepSeek-R1:fastest",
            "deepseek-ai/DeepSeek-R1:fastest",
            Some("fastest"),
            true,
            "DeepSeek R1 (fastest)",
        ),
        (
            "deepseek-ai/DeepSeek-R1:preferred",
            "huggingface/deepseek-ai/DeepSeek-R1:preferred",
            "deepseek-ai/DeepSeek-R1:preferred",
            Some("preferred"),
            false,
            "DeepSeek R1 (preferred)",
        ),
        (
            "huggingface/deepseek-ai/DeepSeek-R1:Together",
            "huggingface/deepseek-ai/DeepSeek-R1:together",
            "deepseek-ai/DeepSeek-R1:together",
            Some("together"),
            false,
            "DeepSeek R1 (together)",
        ),
        (
            // The catalog's spelling of the id wins over the user's case.
            "huggingface/DEEPSEEK-AI/deepseek-r1",
            "huggingface/deepseek-ai/DeepSeek-R1",
            "deepseek-ai/DeepSeek-R1",
            None,
            false,
            "DeepSeek R1",
        ),
    ];
    for (input, model_ref, router_model, suffix, locked, display) in cases {
        let r = catalog.resolve(input, &no_aliases()).unwrap();
        assert_eq!(r.model_ref, model_ref, "{input}");
        assert_eq!(r.router_model, router_model, "{input}");
        assert_eq!(r.suffix.as_deref(), suffix, "{input}");
        assert_eq!(r.locked, locked, "{input}");
        assert_eq!(r.display_name, display, "{input}");
        assert!(r.verified, "{input}");
        assert_eq!(r.info.id, "deepseek-ai/DeepSeek-R1");
        assert_eq!(r.info.context_window, 64_000);
    }
}

#[test]
fn a_backend_suffix_must_name_a_live_backend() {
    let catalog = discovered();
    for (input, needle) in [
        ("deepseek-ai/DeepSeek-R1:featherless-ai", "is not live"),
        ("deepseek-ai/DeepSeek-R1:nebius", "was removed"),
        ("deepseek-ai/DeepSeek-R1:groq", "does not serve"),
    ] {
        let e = catalog.resolve(input, &no_aliases()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "{input}");
        assert!(e.message.contains(needle), "{input}: {e}");
        assert!(e.message.contains("together, novita"), "{input}: {e}");
    }
    let e = catalog
        .resolve("someone/Nothing-Live:groq", &no_aliases())
        .unwrap_err();
    assert!(e.message.contains("no live backend"), "{e}");
    // Policies are never checked against backends.
    assert!(
        catalog
            .resolve("someone/Nothing-Live:cheapest", &no_aliases())
            .is_ok()
    );
}

#[test]
fn aliases_map_to_refs_and_win_the_display_name_per_exact_ref() {
    let catalog = discovered();
    let aliases = aliases(&[
        ("huggingface/deepseek-ai/DeepSeek-R1", "DeepSeek R1"),
        (
            "huggingface/deepseek-ai/DeepSeek-R1:cheapest",
            "R1 on a budget",
        ),
        ("huggingface/someone/Only-Discovered:groq", "Fast one"),
    ]);
    let r = catalog.resolve("deepseek r1", &aliases).unwrap();
    assert_eq!(r.model_ref, "huggingface/deepseek-ai/DeepSeek-R1");
    assert_eq!(r.display_name, "DeepSeek R1");

    let r = catalog.resolve("R1 ON A BUDGET", &aliases).unwrap();
    assert_eq!(r.router_model, "deepseek-ai/DeepSeek-R1:cheapest");
    assert!(r.locked);
    assert_eq!(
        r.display_name, "R1 on a budget",
        "an alias is shown unlabelled"
    );

    // Writing the ref instead of the alias still shows the alias.
    let r = catalog
        .resolve("deepseek-ai/DeepSeek-R1:cheapest", &aliases)
        .unwrap();
    assert_eq!(r.display_name, "R1 on a budget");
    // Another variant of the same model has no alias of its own.
    let r = catalog
        .resolve("deepseek-ai/DeepSeek-R1:fastest", &aliases)
        .unwrap();
    assert_eq!(r.display_name, "DeepSeek R1 (fastest)");

    let r = catalog.resolve("fast one", &aliases).unwrap();
    assert_eq!(r.router_model, "someone/Only-Discovered:groq");
    assert_eq!(r.display_name, "Fast one");
}

#[test]
fn unknown_ids_in_a_discovered_catalog_are_not_found_with_close_matches() {
    let catalog = discovered();
    let e = catalog
        .resolve(
            "huggingface/deepseek-ai/DeepSeek-R2:cheapest",
            &no_aliases(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ModelNotFound);
    assert!(e.message.contains("'deepseek-ai/DeepSeek-R2'"), "{e}");
    assert!(
        e.message
            .contains("did you mean huggingface/deepseek-ai/DeepSeek-R1"),
        "{e}"
    );
    let suggestions = catalog.suggestions("deepseek-ai/DeepSeek-R2");
    assert!(suggestions.len() <= MAX_SUGGESTIONS && suggestions[0] == "deepseek-ai/DeepSeek-R1");

    let e = catalog.resolve("zzz/qqq", &no_aliases()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ModelNotFound);
    assert!(!e.message.contains("did you mean"), "{e}");
}

#[test]
fn builtin_models_the_router_lacks_still_resolve() {
    let r = discovered()
        .resolve("Qwen/Qwen3-8B:together", &no_aliases())
        .unwrap();
    assert!(r.verified && !r.info.live);
    assert_eq!(r.display_name, "Qwen3 8B (together)");
}

#[test]
fn without_discovery_unknown_ids_pass_through_unverified() {
    let catalog = Catalog::builtin();
    let r = catalog
        .resolve(
            "huggingface/someone/Brand-New-Thinking-7B:fastest",
            &no_aliases(),
        )
        .unwrap();
    assert!(!r.verified && r.locked);
    assert_eq!(
        r.model_ref,
        "huggingface/someone/Brand-New-Thinking-7B:fastest"
    );
    assert_eq!(r.router_model, "someone/Brand-New-Thinking-7B:fastest");
    assert_eq!(r.display_name, "Brand New Thinking 7B (fastest)");
    assert_eq!(r.info.id, "someone/Brand-New-Thinking-7B");
    assert!(r.info.reasoning && !r.info.live);
    assert_eq!(r.info.max_tokens, merge::DEFAULT_MAX_TOKENS);

    // Built-in ids are known; backends cannot be checked, except removed ones.
    let r = catalog
        .resolve("deepseek-ai/DeepSeek-R1:together", &no_aliases())
        .unwrap();
    assert!(r.verified);
    for input in ["someone/x:sambanova", "deepseek-ai/DeepSeek-R1:hyperbolic"] {
        let e = catalog.resolve(input, &no_aliases()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "{input}");
        assert!(e.message.contains("removed"), "{e}");
    }
}

#[test]
fn malformed_refs_and_unknown_aliases_are_errors() {
    let catalog = Catalog::builtin();
    for input in [
        "",
        "   ",
        "huggingface/a//c",
        "huggingface/",
        "org/mo del",
        "huggingface/org/model:",
        "a/b:x y",
    ] {
        let e = catalog.resolve(input, &no_aliases()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "{input:?}: {e}");
    }
    let e = catalog.resolve("DeepSeek R1", &no_aliases()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ModelNotFound);
    assert!(
        e.message
            .contains("did you mean huggingface/deepseek-ai/DeepSeek-R1"),
        "{e}"
    );
    let e = catalog.resolve("nonsense", &no_aliases()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ModelNotFound);
    assert!(!e.message.contains("did you mean"), "{e}");
}

#[test]
fn aliases_with_a_slash_and_the_borrowing_variant() {
    let catalog = discovered();
    let aliases = aliases(&[
        ("huggingface/deepseek-ai/DeepSeek-R1:cheapest", "my/model"),
        ("huggingface/someone/Only-Discovered", "Qwen/Qwen3-8B"),
    ]);
    let r = catalog.resolve("MY/MODEL", &aliases).unwrap();
    assert_eq!(r.router_model, "deepseek-ai/DeepSeek-R1:cheapest");
    // An alias spelled like a known ref loses to that ref.
    let r = catalog.resolve("Qwen/Qwen3-8B", &aliases).unwrap();
    assert_eq!(r.router_model, "Qwen/Qwen3-8B");

    let borrowed = catalog
        .resolve_ref("deepseek-ai/DeepSeek-R1:fastest", &aliases)
        .unwrap();
    assert!(matches!(borrowed.info, std::borrow::Cow::Borrowed(_)));
    let owned = catalog
        .resolve("deepseek-ai/DeepSeek-R1:fastest", &aliases)
        .unwrap();
    assert_eq!(borrowed.into_owned(), owned);
}

#[test]
fn ids_without_an_org_or_with_several_slashes_resolve() {
    let body = br#"{"data":[
     {"id":"custom-model-a","providers":[{"provider":"hf-inference","status":"live"}]},
     {"id":"a/b/c-d","providers":[{"provider":"hf-inference","status":"live"}]}]}"#;
    let catalog = merge(parse_models(body).unwrap(), UNIX_EPOCH);
    for (input, id, name) in [
        (
            "huggingface/custom-model-a",
            "custom-model-a",
            "Custom Model A",
        ),
        ("custom-model-a", "custom-model-a", "Custom Model A"),
        ("huggingface/a/b/c-d:fastest", "a/b/c-d", "C D (fastest)"),
        ("a/b/c-d", "a/b/c-d", "C D"),
    ] {
        let r = catalog.resolve(input, &no_aliases()).unwrap();
        assert!(r.verified, "{input}");
        assert_eq!(r.info.id, id, "{input}");
        assert_eq!(r.display_name, name, "{input}");
        assert_eq!(r.router_model.split(':').next(), Some(id), "{input}");
    }
    let e = catalog
        .resolve("huggingface/custom-model-b", &no_aliases())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ModelNotFound, "{e}");
    assert!(e.message.contains("huggingface/custom-model-a"), "{e}");
}

/// A 300-model list like the router's (the mock router's generator).
fn router_sized() -> Catalog {
    let body = testkit::mock_router::models_list_json(300, 42);
    merge(parse_models(&body).unwrap(), UNIX_EPOCH)
}

#[test]
fn an_over_long_ref_is_refused_before_any_lookup_and_never_echoed() {
    let catalog = router_sized();
    for input in [
        format!("a/{}", "b".repeat(100_000)),
        format!("huggingface/{}", "x".repeat(MAX_REF_LEN)),
        "y".repeat(1_000_000),
        format!("org/model:{}", "z".repeat(MAX_REF_LEN)),
    ] {
        let started = std::time::Instant::now();
        let e = catalog.resolve(&input, &no_aliases()).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "{e}");
        assert!(e.message.contains("longer than"), "{e}");
        assert!(e.message.len() < 200, "{} bytes echoed", e.message.len());
    }
    // The longest accepted ref still gets its close matches, quickly.
    let near = format!("huggingface/deepseek-ai/DeepSeek-R2{}", "x".repeat(10));
    let longest = format!("{near}{}", "q".repeat(MAX_REF_LEN - near.len()));
    let started = std::time::Instant::now();
    for input in [near.as_str(), longest.as_str()] {
        let e = catalog.resolve(input, &no_aliases()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ModelNotFound, "{e}");
    }
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}
