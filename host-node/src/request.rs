//! A chat request from JS, in OpenAI's message shapes with camelCase
//! parameters, into a [`ChatRequest`].
//!
//! ```js
//! {
//!   model: "huggingface/deepseek-ai/DeepSeek-R1:cheapest",
//!   messages: [
//!     { role: "system", content: "Be brief." },
//!     { role: "user", content: [{ type: "text", text: "What is this?" },
//!                               { type: "image_url", image_url: { url: "data:..." } }] },
//!     { role: "assistant", content: null,
//!       tool_calls: [{ id: "call_1", type: "function",
//!                      function: { name: "f", arguments: "{}" } }] },
//!     { role: "tool", tool_call_id: "call_1", content: "42" },
//!   ],
//!   maxTokens: 512, temperature: 0.7, topP, stop: ["\n\n"], seed,
//!   frequencyPenalty, presencePenalty, reasoningEffort: "low",
//!   tools: [...], toolChoice: "auto", responseFormat: { type: "json_object" },
//!   stream: true,  // the default
//! }
//! ```
//! `toolCalls`/`toolCallId`/`imageUrl` are accepted as well as the snake_case
//! OpenAI names. Unknown keys are refused with their path, so a misspelt
//! parameter is an error rather than silently ignored.

use host_sdk::{ChatRequest, ContentPart, ErrorKind, Message, ProviderError, Role, ToolCall};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsRequest {
    model: String,
    messages: Vec<JsMessage>,
    stream: Option<bool>,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    #[serde(default)]
    stop: Vec<String>,
    seed: Option<i64>,
    frequency_penalty: Option<f64>,
    presence_penalty: Option<f64>,
    reasoning_effort: Option<String>,
    tools: Option<Value>,
    tool_choice: Option<Value>,
    response_format: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsMessage {
    role: Role,
    #[serde(default)]
    content: Option<JsContent>,
    #[serde(default, alias = "toolCalls")]
    tool_calls: Vec<JsToolCall>,
    #[serde(alias = "toolCallId")]
    tool_call_id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsContent {
    Text(String),
    Parts(Vec<JsPart>),
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum JsPart {
    Text {
        text: String,
    },
    ImageUrl {
        #[serde(alias = "imageUrl")]
        image_url: JsImageUrl,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsImageUrl {
    Url(String),
    Object { url: String },
}

/// A tool call an assistant made: OpenAI's nested shape, or flat.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsToolCall {
    OpenAi {
        id: String,
        function: JsFunction,
    },
    Flat {
        id: String,
        name: String,
        #[serde(default)]
        arguments: String,
    },
}

#[derive(Deserialize)]
struct JsFunction {
    name: String,
    #[serde(default)]
    arguments: String,
}

fn json_text(value: Option<Value>) -> Option<String> {
    value.filter(|v| !v.is_null()).map(|v| v.to_string())
}

/// Converts a JS request, naming the first bad field.
///
/// # Errors
/// `invalid_request` with the field's path when the request has the wrong shape.
pub(crate) fn chat_request(value: Value) -> Result<ChatRequest, ProviderError> {
    let raw: JsRequest = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ProviderError::new(
            ErrorKind::InvalidRequest,
            format!("the chat request is wrong at `{path}`: {}", e.inner()),
        )
    })?;
    Ok(ChatRequest {
        model: raw.model,
        messages: raw.messages.into_iter().map(message).collect(),
        stream: raw.stream.unwrap_or(true),
        max_tokens: raw.max_tokens,
        temperature: raw.temperature,
        top_p: raw.top_p,
        stop: raw.stop,
        seed: raw.seed,
        frequency_penalty: raw.frequency_penalty,
        presence_penalty: raw.presence_penalty,
        reasoning_effort: raw.reasoning_effort,
        tools: json_text(raw.tools),
        tool_choice: json_text(raw.tool_choice),
        response_format: json_text(raw.response_format),
    })
}

fn message(m: JsMessage) -> Message {
    let content = match m.content {
        None => Vec::new(),
        Some(JsContent::Text(text)) => vec![ContentPart::Text(text)],
        Some(JsContent::Parts(parts)) => parts
            .into_iter()
            .map(|part| match part {
                JsPart::Text { text } => ContentPart::Text(text),
                JsPart::ImageUrl {
                    image_url: JsImageUrl::Url(url) | JsImageUrl::Object { url },
                } => ContentPart::ImageUrl(url),
            })
            .collect(),
    };
    let tool_calls = m
        .tool_calls
        .into_iter()
        .map(|call| match call {
            JsToolCall::OpenAi { id, function } => ToolCall {
                id,
                name: function.name,
                arguments: function.arguments,
            },
            JsToolCall::Flat {
                id,
                name,
                arguments,
            } => ToolCall {
                id,
                name,
                arguments,
            },
        })
        .collect();
    Message {
        role: m.role,
        content,
        tool_calls,
        tool_call_id: m.tool_call_id,
        name: m.name,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn openai_shapes_become_the_contract_types() {
        let request = chat_request(json!({
            "model": "huggingface/a/b:cheapest",
            "messages": [
                { "role": "system", "content": "Be brief." },
                { "role": "user", "content": [
                    { "type": "text", "text": "What is this?" },
                    { "type": "image_url", "image_url": { "url": "data:image/png;base64,AA" } },
                ] },
                { "role": "assistant", "content": null, "tool_calls": [
                    { "id": "call_1", "type": "function",
                      "function": { "name": "f", "arguments": "{\"x\":1}" } },
                ] },
                { "role": "tool", "tool_call_id": "call_1", "content": "42" },
            ],
            "maxTokens": 64,
            "reasoningEffort": "low",
            "tools": [{ "type": "function", "function": { "name": "f" } }],
            "toolChoice": "auto",
        }))
        .unwrap();
        assert_eq!(request.model, "huggingface/a/b:cheapest");
        assert!(request.stream);
        assert_eq!(request.max_tokens, Some(64));
        assert_eq!(request.messages.len(), 4);
        assert_eq!(
            request.messages[1].content,
            [
                ContentPart::Text("What is this?".into()),
                ContentPart::ImageUrl("data:image/png;base64,AA".into())
            ]
        );
        assert_eq!(request.messages[2].content, []);
        assert_eq!(request.messages[2].tool_calls[0].name, "f");
        assert_eq!(request.messages[2].tool_calls[0].arguments, "{\"x\":1}");
        assert_eq!(request.messages[3].tool_call_id.as_deref(), Some("call_1"));
        assert_eq!(request.tool_choice.as_deref(), Some("\"auto\""));
        assert_eq!(
            request.tools.as_deref(),
            Some(r#"[{"function":{"name":"f"},"type":"function"}]"#)
        );
        assert_eq!(request.reasoning_effort.as_deref(), Some("low"));
    }

    #[test]
    fn flat_tool_calls_and_camel_case_keys_are_accepted() {
        let request = chat_request(json!({
            "model": "m",
            "messages": [
                { "role": "assistant", "toolCalls": [{ "id": "c", "name": "g", "arguments": "{}" }] },
                { "role": "tool", "toolCallId": "c", "content": "ok" },
            ],
        }))
        .unwrap();
        assert_eq!(request.messages[0].tool_calls[0].id, "c");
        assert_eq!(request.messages[1].tool_call_id.as_deref(), Some("c"));
    }

    #[test]
    fn a_misspelt_or_mistyped_field_is_named() {
        let e = chat_request(json!({ "model": "m", "messages": [], "max_tokens": 5 }))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid_request: the chat request is wrong at `max_tokens`"),
            "{e}"
        );
        assert!(
            e.contains("maxTokens"),
            "the right spelling is offered: {e}"
        );
        let e = chat_request(json!({ "model": "m", "messages": [{ "role": "robot" }] }))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`messages[0].role`"), "{e}");
    }
}
