//! The OpenAI-compatible request body the router expects.
//!
//! Written through a struct rather than a `serde_json::Value`: without serde_json's
//! `preserve_order` a map sorts its keys, and the router wants `model` first (it routes on
//! it before reading the rest). `tools`, `tool_choice` and `response_format` arrive as JSON
//! text and are embedded verbatim as `RawValue`s, so a schema's property order (which
//! guides structured generation) survives unchanged.

use provider_abi::{ChatRequest, ContentPart, ErrorKind, Message, ProviderError, Role, ToolCall};
use serde::Serialize;
use serde_json::value::RawValue;

/// The router accepts at most this many stop sequences (OpenAI's limit).
const MAX_STOP_SEQUENCES: usize = 4;

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'a str>,
    stream: bool,
    /// Without it most backends send no usage at all when streaming.
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    /// `None` serialises as `null`: OpenAI's shape for an assistant turn that only calls tools.
    content: Option<WireContent<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireContent<'a> {
    Text(&'a str),
    Parts(Vec<WirePart<'a>>),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WirePart<'a> {
    Text { text: &'a str },
    ImageUrl { image_url: ImageUrl<'a> },
}

#[derive(Serialize)]
struct ImageUrl<'a> {
    url: &'a str,
}

#[derive(Serialize)]
struct WireToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    arguments: &'a str,
}

/// The JSON body for `request`, sent as `router_model`.
///
/// # Errors
/// `InvalidRequest` naming the field: more than four stop sequences, a non-finite number,
/// or `tools` / `tool_choice` / `response_format` that is not valid JSON.
pub(crate) fn build_body(
    router_model: &str,
    request: &ChatRequest,
) -> Result<Vec<u8>, ProviderError> {
    if request.stop.len() > MAX_STOP_SEQUENCES {
        return Err(invalid(format!(
            "at most {MAX_STOP_SEQUENCES} stop sequences are allowed, got {}",
            request.stop.len()
        )));
    }
    for (name, value) in [
        ("temperature", request.temperature),
        ("top_p", request.top_p),
        ("frequency_penalty", request.frequency_penalty),
        ("presence_penalty", request.presence_penalty),
    ] {
        if value.is_some_and(|v| !v.is_finite()) {
            return Err(invalid(format!("{name} must be a finite number")));
        }
    }
    let body = Body {
        model: router_model,
        messages: request.messages.iter().map(wire_message).collect(),
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
        stop: &request.stop,
        seed: request.seed,
        frequency_penalty: request.frequency_penalty,
        presence_penalty: request.presence_penalty,
        tools: raw_json("tools", request.tools.as_deref())?,
        tool_choice: raw_json("tool_choice", request.tool_choice.as_deref())?,
        response_format: raw_json("response_format", request.response_format.as_deref())?,
        reasoning_effort: request.reasoning_effort.as_deref(),
        stream: request.stream,
        stream_options: request.stream.then_some(StreamOptions {
            include_usage: true,
        }),
    };
    serde_json::to_vec(&body).map_err(|e| {
        ProviderError::new(
            ErrorKind::Internal,
            format!("could not encode the request: {e}"),
        )
    })
}

fn wire_message(message: &Message) -> WireMessage<'_> {
    let content = match message.content.as_slice() {
        [ContentPart::Text(text)] => Some(WireContent::Text(text)),
        [] if message.role == Role::Assistant && !message.tool_calls.is_empty() => None,
        [] => Some(WireContent::Text("")),
        parts => Some(WireContent::Parts(parts.iter().map(wire_part).collect())),
    };
    WireMessage {
        role: message.role.as_str(),
        content,
        name: message.name.as_deref(),
        tool_calls: message.tool_calls.iter().map(wire_tool_call).collect(),
        tool_call_id: message.tool_call_id.as_deref(),
    }
}

fn wire_part(part: &ContentPart) -> WirePart<'_> {
    match part {
        ContentPart::Text(text) => WirePart::Text { text },
        ContentPart::ImageUrl(url) => WirePart::ImageUrl {
            image_url: ImageUrl { url },
        },
    }
}

fn wire_tool_call(call: &ToolCall) -> WireToolCall<'_> {
    WireToolCall {
        id: &call.id,
        kind: "function",
        function: WireFunction {
            name: &call.name,
            arguments: &call.arguments,
        },
    }
}

/// Checks that `text` is one JSON document and keeps it byte for byte.
fn raw_json(field: &str, text: Option<&str>) -> Result<Option<Box<RawValue>>, ProviderError> {
    let Some(text) = text else { return Ok(None) };
    RawValue::from_string(text.trim().to_string())
        .map(Some)
        .map_err(|e| invalid(format!("{field} is not valid JSON: {e}")))
}

fn invalid(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::InvalidRequest, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(request: &ChatRequest) -> String {
        String::from_utf8(build_body("org/model:fastest", request).unwrap()).unwrap()
    }

    #[test]
    fn minimal_streaming_body_has_model_first_and_asks_for_usage() {
        let request = ChatRequest::new("huggingface/org/model", vec![Message::user("hi")]);
        assert_eq!(
            body_of(&request),
            r#"{"model":"org/model:fastest","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"#
        );
    }

    #[test]
    fn every_field_is_written() {
        let mut assistant = Message::assistant("");
        assistant.content.clear();
        assistant.tool_calls.push(ToolCall {
            id: "call_1".into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"Paris"}"#.into(),
        });
        let mut user = Message::user("what is this?");
        user.content
            .push(ContentPart::ImageUrl("https://x/y.png".into()));
        user.name = Some("ann".into());
        let request = ChatRequest {
            model: "x".into(),
            messages: vec![
                Message::system("be brief"),
                user,
                assistant,
                Message::tool_result("call_1", "sunny"),
            ],
            stream: false,
            max_tokens: Some(100),
            temperature: Some(0.5),
            top_p: Some(0.9),
            stop: vec!["END".into()],
            seed: Some(7),
            frequency_penalty: Some(0.1),
            presence_penalty: Some(-0.1),
            reasoning_effort: Some("low".into()),
            tools: Some(r#"[{"type":"function","function":{"name":"get_weather","parameters":{"z":1,"a":2}}}]"#.into()),
            tool_choice: Some(r#""auto""#.into()),
            response_format: Some(r#"{"type":"json_object"}"#.into()),
        };
        let expected = concat!(
            r#"{"model":"org/model:fastest","messages":["#,
            r#"{"role":"system","content":"be brief"},"#,
            r#"{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}],"name":"ann"},"#,
            r#"{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"#,
            r#"{"role":"tool","content":"sunny","tool_call_id":"call_1"}],"#,
            r#""max_tokens":100,"temperature":0.5,"top_p":0.9,"stop":["END"],"seed":7,"#,
            r#""frequency_penalty":0.1,"presence_penalty":-0.1,"#,
            r#""tools":[{"type":"function","function":{"name":"get_weather","parameters":{"z":1,"a":2}}}],"#,
            r#""tool_choice":"auto","response_format":{"type":"json_object"},"#,
            r#""reasoning_effort":"low","stream":false}"#
        );
        assert_eq!(body_of(&request), expected);
    }

    #[test]
    fn invalid_json_fields_are_named() {
        for field in ["tools", "tool_choice", "response_format"] {
            let mut request = ChatRequest::new("m", vec![Message::user("hi")]);
            let bad = Some("{not json".to_string());
            match field {
                "tools" => request.tools = bad,
                "tool_choice" => request.tool_choice = bad,
                _ => request.response_format = bad,
            }
            let err = build_body("m", &request).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidRequest);
            assert!(
                err.message
                    .starts_with(&format!("{field} is not valid JSON")),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn too_many_stops_and_nan_are_rejected() {
        let mut request = ChatRequest::new("m", vec![Message::user("hi")]);
        request.stop = (0..5).map(|i| i.to_string()).collect();
        assert_eq!(
            build_body("m", &request).unwrap_err().kind,
            ErrorKind::InvalidRequest
        );
        request.stop.truncate(4);
        assert!(build_body("m", &request).is_ok());
        request.temperature = Some(f64::NAN);
        let err = build_body("m", &request).unwrap_err();
        assert!(err.message.contains("temperature"));
    }
}
