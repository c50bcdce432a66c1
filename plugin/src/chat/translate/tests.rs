use provider_abi::{ChatEvent, Cost, ErrorKind, EventBatch, ToolCallDelta, Usage};
use serde_json::json;

use super::*;
use crate::chat::tests::transcript::Transcript;

fn feed(
    chunks: &[serde_json::Value],
    price: Option<Cost>,
) -> (Vec<ChatEvent>, Result<(), ProviderError>) {
    let mut translator = Translator::new(price);
    let mut out = EventBatch::new();
    for chunk in chunks {
        if let Err(e) = translator.on_data(&chunk.to_string(), &mut out) {
            return (out.into_events(), Err(e));
        }
    }
    let result = translator.finish(true, &mut out);
    (out.into_events(), result)
}

fn delta(delta: serde_json::Value) -> serde_json::Value {
    json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
}

#[test]
fn each_reasoning_shape_is_reported_apart_from_the_answer() {
    for field in ["reasoning", "reasoning_content", "reasoning_text"] {
        let (events, result) = feed(
            &[
                delta(json!({field: "hmm"})),
                delta(json!({"content": "yes"})),
            ],
            None,
        );
        result.unwrap();
        let t = Transcript::of(&events);
        assert_eq!(
            (t.reasoning.as_str(), t.content.as_str()),
            ("hmm", "yes"),
            "{field}"
        );
    }
    let (events, _) = feed(
        &[delta(json!({"content": "<think>hmm</think>\n\nyes"}))],
        None,
    );
    let t = Transcript::of(&events);
    assert_eq!((t.reasoning.as_str(), t.content.as_str()), ("hmm", "yes"));
}

#[test]
fn think_tags_split_across_chunks_at_every_position() {
    let text = "<think>a</think>b";
    for cut in 1..text.len() {
        let chunks = [
            delta(json!({"content": &text[..cut]})),
            delta(json!({"content": &text[cut..]})),
        ];
        let t = Transcript::of(&feed(&chunks, None).0);
        assert_eq!(
            (t.reasoning.as_str(), t.content.as_str()),
            ("a", "b"),
            "cut {cut}"
        );
    }
}

#[test]
fn tool_calls_are_assembled_by_index() {
    let chunks = [
        delta(
            json!({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
        ),
        delta(
            json!({"tool_calls": [{"index": 0, "id": "", "function": {"name": null, "arguments": "{\"city\":"}}]}),
        ),
        delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]})),
        delta(
            json!({"tool_calls": [{"index": 1, "id": "call_b", "function": {"name": "get_time", "arguments": "{}"}}]}),
        ),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
    ];
    let (events, result) = feed(&chunks, None);
    result.unwrap();
    assert_eq!(
        events[..3],
        [
            ChatEvent::ToolCall(ToolCallDelta {
                index: 0,
                id: Some("call_a".into()),
                name: Some("get_weather".into()),
                arguments: String::new()
            }),
            ChatEvent::ToolCall(ToolCallDelta {
                index: 0,
                id: None,
                name: None,
                arguments: "{\"city\":".into()
            }),
            ChatEvent::ToolCall(ToolCallDelta {
                index: 0,
                id: None,
                name: None,
                arguments: "\"Paris\"}".into()
            }),
        ]
    );
    let t = Transcript::of(&events);
    assert_eq!(
        t.tool_calls,
        [
            (
                "call_a".to_string(),
                "get_weather".to_string(),
                "{\"city\":\"Paris\"}".to_string()
            ),
            (
                "call_b".to_string(),
                "get_time".to_string(),
                "{}".to_string()
            ),
        ]
    );
    assert_eq!(t.finish_reason.as_deref(), Some("tool_calls"));
}

#[test]
fn a_new_id_under_a_used_index_is_a_new_call() {
    let chunks = [
        delta(
            json!({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]}),
        ),
        delta(
            json!({"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}}]}),
        ),
    ];
    let t = Transcript::of(&feed(&chunks, None).0);
    assert_eq!(t.tool_calls.len(), 2);
    assert_eq!(t.tool_calls[1].0, "b");
}

#[test]
fn usage_comes_last_with_cost_at_the_given_price() {
    let chunks = [
        json!({"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "eos_token"}]}),
        json!({"choices": [], "usage": {"prompt_tokens": 1000, "completion_tokens": 2000, "total_tokens": 3000}}),
    ];
    let price = Some(Cost {
        input: 3.0,
        output: 7.0,
    });
    let (events, result) = feed(&chunks, price);
    result.unwrap();
    let usage = Usage {
        prompt_tokens: 1000,
        completion_tokens: 2000,
        total_tokens: 3000,
        cost_usd: Some(0.017),
    };
    assert_eq!(events[0], ChatEvent::Content("hi".into()));
    match &events[1] {
        ChatEvent::Usage(u) => {
            assert_eq!(
                (u.prompt_tokens, u.completion_tokens, u.total_tokens),
                (1000, 2000, 3000)
            );
            assert!((u.cost_usd.unwrap() - usage.cost_usd.unwrap()).abs() < 1e-12);
        }
        other => panic!("expected usage, got {other:?}"),
    }
    assert_eq!(
        events[2],
        ChatEvent::Done {
            finish_reason: "stop".into()
        }
    );
    // Without a price there is no cost; a missing total is the sum.
    let chunks = [json!({"choices": [], "usage": {"prompt_tokens": 2, "completion_tokens": 3}})];
    let (events, _) = feed(&chunks, None);
    assert_eq!(
        events[0],
        ChatEvent::Usage(Usage {
            prompt_tokens: 2,
            completion_tokens: 3,
            total_tokens: 5,
            cost_usd: None
        })
    );
}

#[test]
fn finish_reasons_are_normalised() {
    for (raw, want) in [
        ("eos_token", "stop"),
        ("eos", "stop"),
        ("COMPLETE", "stop"),
        ("end_turn", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("content_filter", "content_filter"),
        ("recitation", "recitation"),
    ] {
        assert_eq!(normalise_finish_reason(raw), want);
    }
}

#[test]
fn tgi_quirks_are_survived() {
    // `text_completion`, `id: ""`, token position as index, `text` next to `delta.content`.
    let chunks = [
        json!({"id": "", "object": "text_completion", "choices": [{"index": 7, "text": "2", "delta": {"role": "assistant", "content": "2"}}]}),
        json!({"id": "", "object": "text_completion", "choices": [{"index": 8, "text": "</s>", "delta": {"content": "</s>"}, "finish_reason": "eos_token"}]}),
    ];
    let t = Transcript::of(&feed(&chunks, None).0);
    assert_eq!(t.content, "2</s>");
    assert_eq!(t.finish_reason.as_deref(), Some("stop"));
}

#[test]
fn in_stream_errors_are_typed_and_keep_the_message() {
    let cases = [
        (
            json!({"error": "Model is overloaded", "error_type": "overloaded"}),
            ErrorKind::Unavailable,
        ),
        (
            json!({"error": "Input validation error: too long", "error_type": "validation"}),
            ErrorKind::InvalidRequest,
        ),
        (
            json!({"error": "CUDA out of memory", "error_type": "generation"}),
            ErrorKind::Unavailable,
        ),
        (
            json!({"error": {"message": "bad param", "type": "invalid_request_error", "code": null}}),
            ErrorKind::InvalidRequest,
        ),
        (
            json!({"error": {"message": "slow down", "type": "rate_limit_exceeded"}}),
            ErrorKind::RateLimited,
        ),
        (
            json!({"error": {"message": "boom", "type": "server_error"}}),
            ErrorKind::Unavailable,
        ),
    ];
    for (chunk, kind) in cases {
        let (_, result) = feed(&[delta(json!({"content": "x"})), chunk.clone()], None);
        let error = result.unwrap_err();
        assert_eq!(error.kind, kind, "{chunk}");
        let want = chunk["error"]
            .get("message")
            .unwrap_or(&chunk["error"])
            .as_str()
            .unwrap();
        assert_eq!(error.message, want);
    }
}

#[test]
fn foreign_and_unreadable_chunks_are_clear_errors() {
    let (_, result) = feed(&[json!({"type": "message-start", "delta": {}})], None);
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Internal);
    assert!(
        error.message.contains("not OpenAI-compatible") && error.message.contains("message-start")
    );
    let mut translator = Translator::new(None);
    let error = translator
        .on_data("{\"choices\": [", &mut EventBatch::new())
        .unwrap_err();
    assert!(error.message.starts_with("unreadable stream chunk"));
}

#[test]
fn non_streaming_answer_becomes_the_same_events() {
    let body = json!({
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "reasoning_content": "plan",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
            "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    });
    let mut translator = Translator::new(None);
    let mut out = EventBatch::new();
    translator
        .on_completion(body.to_string().as_bytes(), &mut out)
        .unwrap();
    translator.finish(true, &mut out).unwrap();
    let t = Transcript::of(&out.into_events());
    assert_eq!(t.reasoning, "plan");
    assert_eq!(
        t.tool_calls,
        [("c1".to_string(), "f".to_string(), "{\"a\":1}".to_string())]
    );
    assert_eq!(t.usage.map(|u| u.total_tokens), Some(7));
    assert_eq!(t.finish_reason.as_deref(), Some("tool_calls"));
}

/// TGI's native tool calls (text-generation-inference 1.4.x): the id is a number, the
/// function carries `parameters` as an object, and streamed deltas hold one call as an
/// object rather than a list.
#[test]
fn tgi_native_tool_calls_are_read() {
    let body = json!({
        "id": "", "object": "text_completion", "system_fingerprint": "1.4.5-native",
        "choices": [{"index": 0, "finish_reason": "eos_token", "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": 0, "type": "function", "function": {"description": null, "name": "get_weather",
                "parameters": {"location": "Paris"}}}]}}]
    });
    let mut translator = Translator::new(None);
    let mut out = EventBatch::new();
    translator
        .on_completion(body.to_string().as_bytes(), &mut out)
        .unwrap();
    translator.finish(true, &mut out).unwrap();
    let t = Transcript::of(&out.into_events());
    assert_eq!(
        t.tool_calls,
        [(
            "0".to_string(),
            "get_weather".to_string(),
            r#"{"location":"Paris"}"#.to_string()
        )]
    );
    assert_eq!(t.finish_reason.as_deref(), Some("stop"));

    let chunks = [
        delta(
            json!({"role": "assistant", "content": null, "tool_calls": {"index": 0, "id": 3, "type": "function",
                "function": {"description": null, "name": "get_weather", "arguments": "{\"location\":"}}}),
        ),
        delta(
            json!({"tool_calls": {"index": 0, "id": "", "function": {"name": null, "arguments": "\"Paris\"}"}}}),
        ),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "eos_token"}]}),
    ];
    let (events, result) = feed(&chunks, None);
    result.unwrap();
    assert_eq!(
        Transcript::of(&events).tool_calls,
        [(
            "3".to_string(),
            "get_weather".to_string(),
            r#"{"location":"Paris"}"#.to_string()
        )]
    );
}
