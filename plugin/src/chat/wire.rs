//! The router's answer on the wire: streamed chunks and non-streaming completions.
//!
//! Deliberately loose. Every field is optional, and the fields backends disagree about
//! (`content` as text or parts, `finish_reason`, token counts) are read from
//! `serde_json::Value`, so one backend's oddity costs one field, not the whole chunk.
//! Fields a backend adds (TGI's `choices[].text`, together's `token_id`, usage timings)
//! are ignored.

use serde::Deserialize;
use serde_json::Value;

/// One chunk of a stream, or a whole non-streaming completion (same outer shape).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Chunk {
    /// Absent (not merely empty) in schemas that are not OpenAI-compatible.
    pub choices: Option<Vec<Choice>>,
    pub usage: Option<Value>,
    /// An in-stream error: a string (with `error_type`) or `{message, type, code}`.
    pub error: Option<Value>,
    pub error_type: Option<Value>,
    /// What a foreign schema calls its events (cohere's `message-start`), for the message
    /// rejecting it.
    #[serde(rename = "type")]
    pub kind: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Choice {
    /// Streaming.
    pub delta: Option<Delta>,
    /// Non-streaming; same fields as a delta.
    pub message: Option<Delta>,
    pub finish_reason: Option<Value>,
}

/// A streamed delta or a complete message.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Delta {
    pub content: Option<Value>,
    pub reasoning: Option<Value>,
    pub reasoning_content: Option<Value>,
    pub reasoning_text: Option<Value>,
    pub tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireToolCall {
    pub index: Option<u64>,
    pub id: Option<String>,
    pub function: Option<WireFunction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireFunction {
    pub name: Option<String>,
    /// Usually a JSON string; a few backends send the object itself.
    pub arguments: Option<Value>,
}

impl Delta {
    /// The reasoning text under whichever name this backend uses.
    pub(crate) fn reasoning(&self) -> Option<String> {
        [
            &self.reasoning,
            &self.reasoning_content,
            &self.reasoning_text,
        ]
        .into_iter()
        .find_map(|v| v.as_ref().and_then(text_of))
    }
}

/// Text from a string, or from a list of `{type:"text", text}` parts (some backends answer
/// with parts). `null` and other shapes count as no text.
pub(crate) fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let text: String = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            Some(text)
        }
        _ => None,
    }
}

/// Parses one JSON document and ignores whatever follows it: a recorded backend sent a
/// stray character after the last chunk of a stream.
pub(crate) fn parse_lenient<'de, T: Deserialize<'de>>(text: &'de str) -> serde_json::Result<T> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<T>();
    match stream.next() {
        Some(result) => result,
        None => serde_json::from_str(text), // empty input: let serde say so
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_garbage_after_the_json_is_ignored() {
        let chunk: Chunk =
            parse_lenient(r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}""#).unwrap();
        assert_eq!(
            chunk.choices.unwrap()[0].finish_reason,
            Some(Value::from("stop"))
        );
        assert!(parse_lenient::<Chunk>("").is_err());
        assert!(parse_lenient::<Chunk>("{\"choices\":").is_err());
    }

    #[test]
    fn reasoning_under_any_name_and_content_as_parts() {
        for name in ["reasoning", "reasoning_content", "reasoning_text"] {
            let delta: Delta = serde_json::from_str(&format!(r#"{{"{name}":"hm"}}"#)).unwrap();
            assert_eq!(delta.reasoning().as_deref(), Some("hm"));
        }
        let delta: Delta =
            serde_json::from_str(r#"{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"reasoning":null}"#)
                .unwrap();
        assert_eq!(
            delta.content.as_ref().and_then(text_of).as_deref(),
            Some("ab")
        );
        assert_eq!(delta.reasoning(), None);
    }
}
