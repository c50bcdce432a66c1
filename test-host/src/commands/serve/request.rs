//! An OpenAI `chat/completions` request body -> the plugin's `ChatRequest`.
//!
//! Typed, so a wrong field type is a 400 naming the field. Fields the plugin
//! has no use for (`user`, `store`, `metadata`, `parallel_tool_calls`, ...)
//! are accepted and ignored, as OpenAI-compatible servers do: clients send
//! them unasked.

use host_sdk::{ChatRequest, ContentPart, Message, Role, ToolCall};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::ApiError;

/// What is wrong with a request body: a message, and the field at fault.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BadRequest {
    pub(super) message: String,
    pub(super) param: Option<String>,
}

impl BadRequest {
    fn new(message: impl Into<String>, param: Option<&str>) -> Self {
        BadRequest {
            message: message.into(),
            param: param.map(str::to_string),
        }
    }
}

impl From<BadRequest> for ApiError {
    fn from(e: BadRequest) -> Self {
        ApiError::invalid(e.message, e.param.as_deref())
    }
}

/// What the client asked for besides the request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Delivery {
    /// An SSE stream (`stream: true`) or one JSON answer.
    pub(super) stream: bool,
    /// A final chunk with `usage` (`stream_options.include_usage`).
    pub(super) include_usage: bool,
}

#[derive(Deserialize)]
struct Body {
    model: String,
    messages: Vec<WireMessage>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    max_tokens: Option<u32>,
    max_completion_tokens: Option<u32>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    #[serde(default)]
    stop: Option<Stop>,
    seed: Option<i64>,
    frequency_penalty: Option<f64>,
    presence_penalty: Option<f64>,
    reasoning_effort: Option<String>,
    tools: Option<Box<RawValue>>,
    tool_choice: Option<Box<RawValue>>,
    response_format: Option<Box<RawValue>>,
    /// Only one choice is ever produced.
    n: Option<u32>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Stop {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct WireMessage {
    role: String,
    #[serde(default)]
    content: Option<WireContent>,
    name: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCall>,
    tool_call_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireContent {
    Text(String),
    Parts(Vec<WirePart>),
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WirePart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Deserialize)]
struct ImageUrl {
    url: String,
}

#[derive(Deserialize)]
struct WireToolCall {
    id: String,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: String,
}

/// The tools a client offers, checked before they are passed on as they
/// came: only function tools, each with a name (what every router backend
/// takes).
#[derive(Deserialize)]
#[serde(expecting = "a tool, {\"type\": \"function\", \"function\": {\"name\": ...}}")]
struct WireTool {
    #[serde(rename = "type")]
    kind: String,
    function: Option<WireToolFunction>,
}

#[derive(Deserialize)]
#[serde(expecting = "a function, {\"name\": ...}")]
#[allow(dead_code)] // read for their types only
struct WireToolFunction {
    name: String,
    description: Option<String>,
    parameters: Option<serde_json::Map<String, serde_json::Value>>,
    strict: Option<bool>,
}

/// `tool_choice`: a mode, or one function by name.
#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)] // read for their types only
enum WireToolChoice {
    Mode(String),
    Function {
        #[serde(rename = "type")]
        kind: String,
        function: NamedFunction,
    },
}

#[derive(Deserialize)]
#[allow(dead_code)] // read for its type only
struct NamedFunction {
    name: String,
}

/// `response_format`: `{"type": ...}` and what that type takes.
#[derive(Deserialize)]
#[allow(dead_code)] // read for its type only
struct WireResponseFormat {
    #[serde(rename = "type")]
    kind: String,
}

/// Reads `text` as a `T`, or a 400 naming the field (`field`, then the path
/// inside it).
fn typed<T: serde::de::DeserializeOwned>(
    text: &str,
    field: &str,
    expected: &str,
) -> Result<T, BadRequest> {
    let mut reader = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = match e.path().to_string().as_str() {
            "." => field.to_string(),
            inner if inner.starts_with('[') => format!("{field}{inner}"),
            inner => format!("{field}.{inner}"),
        };
        let inner = e.into_inner();
        let message = if path == field {
            format!("invalid `{field}`: expected {expected}")
        } else {
            format!("invalid `{path}`: {inner}")
        };
        BadRequest::new(message, Some(&path))
    })
}

fn check_tools(tools: &RawValue) -> Result<(), BadRequest> {
    let tools: Vec<WireTool> = typed(
        tools.get(),
        "tools",
        "an array of {\"type\": \"function\", \"function\": {\"name\": ...}}",
    )?;
    for (i, tool) in tools.iter().enumerate() {
        if tool.kind != "function" {
            let field = format!("tools[{i}].type");
            return Err(BadRequest::new(
                format!(
                    "unsupported tool type '{}' in `{field}`: only \"function\" tools are supported",
                    tool.kind
                ),
                Some(&field),
            ));
        }
        if tool.function.is_none() {
            let field = format!("tools[{i}].function");
            return Err(BadRequest::new(
                format!("`{field}` is missing: a function tool needs {{\"name\": ...}}"),
                Some(&field),
            ));
        }
    }
    Ok(())
}

/// Parses a request body.
///
/// # Errors
/// A 400 naming what is wrong: not JSON (or more than one JSON value), a
/// missing or mistyped field (`messages[1].content`, `tools[0].function`), an
/// unknown role, `n` other than 1, no messages.
pub(super) fn parse(body: &[u8]) -> Result<(ChatRequest, Delivery), BadRequest> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    let body: Body = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            BadRequest::new(format!("the request body is not valid JSON: {inner}"), None)
        } else if path == "." {
            BadRequest::new(format!("invalid request body: {inner}"), None)
        } else {
            BadRequest::new(format!("invalid `{path}`: {inner}"), Some(&path))
        }
    })?;
    // Whitespace may follow the object; anything else means the body is not
    // what the client meant to send.
    reader.end().map_err(|e| {
        BadRequest::new(
            format!(
                "the request body is not valid JSON: trailing characters after the object ({e})"
            ),
            None,
        )
    })?;
    if let Some(tools) = &body.tools {
        check_tools(tools)?;
    }
    if let Some(choice) = &body.tool_choice {
        typed::<WireToolChoice>(
            choice.get(),
            "tool_choice",
            "\"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}",
        )?;
    }
    if let Some(format) = &body.response_format {
        typed::<WireResponseFormat>(format.get(), "response_format", "{\"type\": ...}")?;
    }
    if body.model.trim().is_empty() {
        return Err(BadRequest::new("`model` is empty", Some("model")));
    }
    if body.messages.is_empty() {
        return Err(BadRequest::new("`messages` is empty", Some("messages")));
    }
    if body.n.is_some_and(|n| n != 1) {
        return Err(BadRequest::new("only n = 1 is supported", Some("n")));
    }
    let messages = body
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| message(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    let raw = |v: Option<Box<RawValue>>| v.map(|v| v.get().to_string());
    let delivery = Delivery {
        stream: body.stream,
        include_usage: body.stream_options.is_some_and(|o| o.include_usage),
    };
    let request = ChatRequest {
        model: body.model,
        messages,
        stream: body.stream,
        max_tokens: body.max_completion_tokens.or(body.max_tokens),
        temperature: body.temperature,
        top_p: body.top_p,
        stop: match body.stop {
            None => Vec::new(),
            Some(Stop::One(s)) => vec![s],
            Some(Stop::Many(v)) => v,
        },
        seed: body.seed,
        frequency_penalty: body.frequency_penalty,
        presence_penalty: body.presence_penalty,
        reasoning_effort: body.reasoning_effort,
        tools: raw(body.tools),
        tool_choice: raw(body.tool_choice),
        response_format: raw(body.response_format),
    };
    Ok((request, delivery))
}

fn message(index: usize, m: WireMessage) -> Result<Message, BadRequest> {
    let role = match m.role.as_str() {
        // `developer` is OpenAI's newer name for the system role.
        "system" | "developer" => Role::System,
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        other => {
            let field = format!("messages[{index}].role");
            return Err(BadRequest::new(
                format!(
                    "unknown role '{other}' in `{field}`: expected system, developer, user, assistant or tool"
                ),
                Some(&field),
            ));
        }
    };
    let content = match m.content {
        None => Vec::new(),
        Some(WireContent::Text(text)) => vec![ContentPart::Text(text)],
        Some(WireContent::Parts(parts)) => parts
            .into_iter()
            .map(|p| match p {
                WirePart::Text { text } => ContentPart::Text(text),
                WirePart::ImageUrl { image_url } => ContentPart::ImageUrl(image_url.url),
            })
            .collect(),
    };
    if role == Role::Tool && m.tool_call_id.is_none() {
        let field = format!("messages[{index}].tool_call_id");
        return Err(BadRequest::new(
            format!("a tool message needs `{field}`"),
            Some(&field),
        ));
    }
    Ok(Message {
        role,
        content,
        tool_calls: m
            .tool_calls
            .into_iter()
            .map(|c| ToolCall {
                id: c.id,
                name: c.function.name,
                arguments: c.function.arguments,
            })
            .collect(),
        tool_call_id: m.tool_call_id,
        name: m.name,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn parse_json(value: Value) -> Result<(ChatRequest, Delivery), BadRequest> {
        parse(value.to_string().as_bytes())
    }

    #[test]
    fn the_openai_shape_becomes_a_chat_request() {
        let (r, d) = parse_json(serde_json::json!({
            "model": "Qwen/Qwen3-8B:cheapest",
            "messages": [
                {"role": "developer", "content": "be brief"},
                {"role": "user", "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "42"}
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_completion_tokens": 50,
            "stop": "END",
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
            "tool_choice": "auto",
            "response_format": {"type": "json_object"},
            "user": "ignored",
            "parallel_tool_calls": false
        }))
        .unwrap();
        assert_eq!(
            d,
            Delivery {
                stream: true,
                include_usage: true
            }
        );
        assert_eq!(r.model, "Qwen/Qwen3-8B:cheapest");
        assert_eq!(r.messages.len(), 4);
        assert_eq!(r.messages[0].role, Role::System);
        assert_eq!(
            r.messages[1].content[1],
            ContentPart::ImageUrl("data:image/png;base64,AA==".into())
        );
        assert_eq!(r.messages[2].tool_calls[0].arguments, "{\"x\":1}");
        assert_eq!(r.messages[3].tool_call_id.as_deref(), Some("call_1"));
        assert_eq!(r.max_tokens, Some(50));
        assert_eq!(r.stop, ["END"]);
        assert_eq!(r.tool_choice.as_deref(), Some("\"auto\""));
        assert!(r.tools.unwrap().contains("\"parameters\""));
    }

    #[test]
    fn bad_bodies_are_400s_naming_the_field() {
        let e = parse(b"{not json").unwrap_err();
        assert!(e.message.contains("not valid JSON"), "{}", e.message);
        let e = parse_json(
            serde_json::json!({"model": "m", "messages": [{"role": "user", "content": 5}]}),
        )
        .unwrap_err();
        assert!(e.message.contains("messages[0].content"), "{}", e.message);
        assert_eq!(e.param.as_deref(), Some("messages[0].content"));
        let e = parse_json(serde_json::json!({"model": "m", "messages": [], "stream": true}))
            .unwrap_err();
        assert!(e.message.contains("`messages` is empty"), "{}", e.message);
        let e = parse_json(serde_json::json!({"messages": [{"role": "user", "content": "x"}]}))
            .unwrap_err();
        assert!(e.message.contains("model"), "{}", e.message);
        let e = parse_json(
            serde_json::json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]}),
        )
        .unwrap_err();
        assert!(e.message.contains("unknown role 'robot'"), "{}", e.message);
        let e = parse_json(serde_json::json!({"model": "m", "max_tokens": "many", "messages": [{"role": "user", "content": "x"}]}))
            .unwrap_err();
        assert!(e.message.contains("max_tokens"), "{}", e.message);
    }

    #[test]
    fn trailing_bytes_are_refused_and_trailing_whitespace_is_not() {
        let body = r#"{"model": "m", "messages": [{"role": "user", "content": "x"}]}"#;
        for trailing in [" {}", "x", "]", "\n{\"model\": \"n\"}"] {
            let e = parse(format!("{body}{trailing}").as_bytes()).unwrap_err();
            assert!(e.message.contains("trailing characters"), "{}", e.message);
            assert_eq!(e.param, None);
        }
        assert!(parse(format!("{body} \r\n\t").as_bytes()).is_ok());
    }

    #[test]
    fn tools_tool_choice_and_response_format_are_checked_for_their_types() {
        let with = |field: &str, value: Value| {
            let mut body =
                serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
            body[field] = value;
            parse_json(body)
        };
        for (field, value, param) in [
            ("tools", serde_json::json!("f"), "tools"),
            ("tools", serde_json::json!({}), "tools"),
            ("tools", serde_json::json!([5]), "tools[0]"),
            (
                "tools",
                serde_json::json!([{"function": {"name": "f"}}]),
                "tools[0]",
            ),
            (
                "tools",
                serde_json::json!([{"type": "function"}]),
                "tools[0].function",
            ),
            (
                "tools",
                serde_json::json!([{"type": "function", "function": {}}]),
                "tools[0].function",
            ),
            (
                "tools",
                serde_json::json!([{"type": "function", "function": {"name": "f", "parameters": []}}]),
                "tools[0].function.parameters",
            ),
            (
                "tools",
                serde_json::json!([{"type": "code", "function": {"name": "f"}}]),
                "tools[0].type",
            ),
            ("tool_choice", serde_json::json!(5), "tool_choice"),
            (
                "tool_choice",
                serde_json::json!({"type": "function"}),
                "tool_choice",
            ),
            (
                "response_format",
                serde_json::json!("json"),
                "response_format",
            ),
        ] {
            let e = with(field, value.clone()).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(param), "{value}: {}", e.message);
            assert!(e.message.contains(&format!("`{param}")), "{}", e.message);
        }
        for (field, value) in [
            ("tools", serde_json::json!([])),
            (
                "tools",
                serde_json::json!([{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}, "strict": true}}]),
            ),
            ("tool_choice", serde_json::json!("required")),
            (
                "tool_choice",
                serde_json::json!({"type": "function", "function": {"name": "f"}}),
            ),
            (
                "response_format",
                serde_json::json!({"type": "json_schema", "json_schema": {"name": "x"}}),
            ),
        ] {
            let (r, _) = with(field, value.clone()).unwrap();
            let passed = match field {
                "tools" => r.tools,
                "tool_choice" => r.tool_choice,
                _ => r.response_format,
            };
            // Passed on as the client wrote it.
            assert_eq!(passed.as_deref(), Some(value.to_string().as_str()));
        }
    }
}
