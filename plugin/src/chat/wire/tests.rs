use super::*;

fn read(text: &str, pick: Pick) -> ChunkParts<'_> {
    let mut de = serde_json::Deserializer::from_str(text);
    ChunkParts::read(&mut de, pick).unwrap()
}

#[test]
fn reasoning_under_any_name_and_content_as_parts() {
    for name in ["reasoning", "reasoning_content", "reasoning_text"] {
        let text = format!(r#"{{"choices":[{{"delta":{{"{name}":"hm"}}}}]}}"#);
        assert_eq!(read(&text, Pick::Delta).reasoning.as_deref(), Some("hm"));
    }
    // In that order, whatever the order of the keys; `null` is absent.
    let parts = read(
        r#"{"choices":[{"delta":{"reasoning_text":"c","reasoning":null,"reasoning_content":"b"}}]}"#,
        Pick::Delta,
    );
    assert_eq!(parts.reasoning.as_deref(), Some("b"));
    let parts = read(
        r#"{"choices":[{"delta":{"content":[{"type":"text","text":"a"},"odd",{"type":"image"},{"type":"text","text":"b"}],"reasoning":null}}]}"#,
        Pick::Delta,
    );
    assert_eq!(parts.content.as_deref(), Some("ab"));
    assert_eq!(parts.reasoning, None);
}

#[test]
fn text_borrows_unless_escaped() {
    let parts = read(
        r#"{"choices":[{"delta":{"content":" plain"}}]}"#,
        Pick::Delta,
    );
    assert!(matches!(parts.content, Some(Cow::Borrowed(" plain"))));
    let parts = read(r#"{"choices":[{"delta":{"content":"a\nb"}}]}"#, Pick::Delta);
    assert_eq!(parts.content.as_deref(), Some("a\nb"));
}

#[test]
fn only_the_first_choice_counts_and_the_picked_part_wins() {
    let parts = read(
        r#"{"choices":[{"message":{"content":"m"},"delta":{"content":"d"},"finish_reason":"stop"},{"delta":{"content":"second"}}]}"#,
        Pick::Delta,
    );
    assert_eq!(parts.content.as_deref(), Some("d"));
    assert_eq!(parts.finish_reason.as_deref(), Some("stop"));
    // The picked part replaces the other entirely, even when it says less.
    let parts = read(
        r#"{"choices":[{"delta":{"content":"d"},"message":{}}]}"#,
        Pick::Message,
    );
    assert_eq!(parts.content, None);
    // Absent or null, the other part stands in.
    let parts = read(
        r#"{"choices":[{"delta":null,"message":{"content":"m"}}]}"#,
        Pick::Delta,
    );
    assert_eq!(parts.content.as_deref(), Some("m"));
    assert!(parts.has_choices);
    assert!(!read(r#"{"choices":null,"usage":{}}"#, Pick::Delta).has_choices);
}

#[test]
fn odd_types_cost_one_field_not_the_chunk() {
    let parts = read(
        r#"{"type":7,"error_type":{"x":1},"choices":[{"delta":{"content":5,"reasoning":[1,2]},"finish_reason":{"a":[1]}},{"bad":true}]}"#,
        Pick::Delta,
    );
    assert_eq!(parts.kind, None);
    assert_eq!(parts.error_type, None);
    assert_eq!(parts.content, None);
    // A list of numbers has no text parts: empty text.
    assert_eq!(parts.reasoning.as_deref(), Some(""));
    assert_eq!(parts.finish_reason, None);
    let parts = read(r#"{"choices":[{"delta":"text?"}]}"#, Pick::Delta);
    assert!(parts.has_choices && parts.content.is_none());
}

#[test]
fn tgi_native_tool_calls_read_like_openai_ones() {
    let parts = read(
        r#"{"choices":[{"message":{"tool_calls":[{"id":0,"type":"function","function":{"description":null,"name":"get_weather","parameters":{"location":"Paris", "unit":"c"}}}]}}]}"#,
        Pick::Message,
    );
    let call = &parts.tool_calls[0];
    assert_eq!(call.id.0.as_deref(), Some("0"));
    let function = call.function.as_ref().unwrap();
    assert_eq!(function.name.as_deref(), Some("get_weather"));
    assert_eq!(
        function.arguments_text(),
        r#"{"location":"Paris", "unit":"c"}"#
    );
    // Streamed, TGI sends one object instead of a list.
    let parts = read(
        r#"{"choices":[{"delta":{"tool_calls":{"index":0,"id":"","function":{"name":null,"arguments":"{\"a\""}}}}]}"#,
        Pick::Delta,
    );
    assert_eq!(parts.tool_calls.len(), 1);
    assert_eq!(
        parts.tool_calls[0]
            .function
            .as_ref()
            .unwrap()
            .arguments_text(),
        "{\"a\""
    );
}
