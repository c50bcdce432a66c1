//! The scanner against serde: whenever it answers, serde's answer is the same.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::super::{ChunkParts, Pick};

/// What the translator reads of a chunk, to compare the two paths.
fn view(parts: &ChunkParts<'_>) -> String {
    format!(
        "choices={} content={:?} reasoning={:?} finish={:?} error_type={:?} type={:?} usage={} error={} tools={}",
        parts.has_choices,
        parts.content,
        parts.reasoning,
        parts.finish_reason,
        parts.error_type,
        parts.kind,
        parts.usage.is_some(),
        parts.error.is_some(),
        parts.tool_calls.len(),
    )
}

/// serde's reading of a one-document payload, as the translator does it.
fn by_serde(text: &str, pick: Pick) -> Result<String, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parts = ChunkParts::read(&mut de, pick).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(view(&parts))
}

/// Asserts the scanner agrees with serde, and says whether it answered.
fn agrees(text: &str) -> bool {
    let mut answered = false;
    for pick in [Pick::Delta, Pick::Message] {
        let mut parts = ChunkParts::default();
        if parts.scan(text, pick) {
            assert_eq!(Ok(view(&parts)), by_serde(text, pick), "{text}");
            answered = true;
        }
    }
    answered
}

#[test]
fn the_usual_chunks_are_scanned() {
    let usual = [
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1718000000,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"content":" the"},"finish_reason":null}]}"#,
        r#"{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null,"system_fingerprint":"3.0.1-sha"}"#,
        r#"{"choices":[{"delta":{"reasoning_content":"hm","content":null}}]}"#,
        r#"{"choices":[{"delta":{"content":"line\nbreak \"quoted\" \u00e9"},"finish_reason":"stop"}]}"#,
        r#" { "choices" : [ { "delta" : { "content" : "a" } , "finish_reason" : "eos_token" } , {"x":[1,2.5e-3,{"y":true}]} ] } "#,
        r#"{"choices":[],"type":"x","error_type":{"a":[1,true]}}"#,
        r#"{"choices":null,"object":"text_completion"}"#,
        r#"{"choices":[{"delta":null,"message":{"content":"m"}}]}"#,
    ];
    for text in usual {
        assert!(agrees(text), "not scanned: {text}");
    }
}

#[test]
fn unusual_chunks_are_left_to_serde() {
    let unusual = [
        r#"{"choices":[{"delta":{"content":[{"type":"text","text":"a"}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":0}]}}]}"#,
        r#"{"choices":[],"usage":{"prompt_tokens":1}}"#,
        r#"{"error":"overloaded","error_type":"overloaded"}"#,
        r#"{"cont\u0065nt":1}"#,
        r#"{"choices":[{"delta":{"content":"a"}}]}{"choices":[]}"#,
        r#"{"choices":[{"finish_reason":1e400}]}"#,
        r#"{"choices":[{"finish_reason":"\ud800"}]}"#,
        r#"{"choices":[{"delta":{"content":"a"}}]"#,
        r#"{"choices":[{"delta":{"content":"a	b"}}]}"#,
        r#"[1]"#,
        r#"{"created":01}"#,
    ];
    for text in unusual {
        assert!(!agrees(text), "scanned: {text}");
    }
}

#[test]
fn every_recorded_payload_agrees() {
    let mut scanned = 0;
    for expected in testkit::fixtures::expected().unwrap() {
        let id = expected["id"].as_str().unwrap().to_string();
        let exchange = testkit::fixtures::exchange(&id).unwrap();
        for line in exchange.response.body.lines() {
            if let Some(data) = line.strip_prefix("data:") {
                scanned += usize::from(agrees(data.trim()));
            }
        }
    }
    assert!(scanned > 1000, "only {scanned} recorded chunks scanned");
}

/// JSON values shaped like chunks: the names the readers look for, other names, and
/// every kind of value (strings with escapes and non-ASCII text, numbers, nesting).
fn value(depth: u32) -> BoxedStrategy<Value> {
    let names = prop::sample::select(vec![
        "choices",
        "delta",
        "message",
        "content",
        "reasoning",
        "reasoning_content",
        "reasoning_text",
        "finish_reason",
        "tool_calls",
        "usage",
        "error",
        "error_type",
        "type",
        "index",
        "id",
        "role",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~é😀\n\"\\\\\t]{0,8}".prop_map(Value::from),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        3 => leaf,
        1 => prop::collection::vec(value(depth - 1), 0..3).prop_map(Value::from),
        2 => prop::collection::vec((names, value(depth - 1)), 0..4).prop_map(|fields| {
            Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        }),
    ]
    .boxed()
}

/// A chunk with random choices, deltas and fields in it.
fn chunk() -> impl Strategy<Value = Value> {
    (value(2), value(2), value(2), any::<bool>()).prop_map(|(delta, message, extra, wrap)| {
        let choice =
            json!({"index": 0, "delta": delta, "message": message, "finish_reason": extra});
        if wrap {
            json!({"id": "x", "choices": [choice, extra]})
        } else {
            json!({"choices": choice, "other": extra})
        }
    })
}

proptest! {
    #[test]
    fn generated_chunks_agree(chunk in chunk(), random in value(3), cut in any::<prop::sample::Index>()) {
        for v in [&chunk, &random] {
            for text in [v.to_string(), serde_json::to_string_pretty(v).unwrap()] {
                agrees(&text);
                // Cut anywhere (on a character boundary): never a different answer.
                let mut at = cut.index(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                agrees(&text[..at]);
            }
        }
    }
}
