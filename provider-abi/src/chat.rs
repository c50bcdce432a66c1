//! Chat requests and the events a completion streams back.

use serde::{Deserialize, Serialize};

use crate::error::ProviderError;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The person.
    User,
    /// The model (including its tool calls).
    Assistant,
    /// A tool's result, answering one of the assistant's tool calls.
    Tool,
}

impl Role {
    /// The OpenAI wire name of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// One part of a message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ContentPart {
    /// Plain text.
    Text(String),
    /// An image, as an `https:` or `data:` URL.
    ImageUrl(String),
}

/// A tool call the assistant made (complete, as sent back in a later request).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call id that the tool result refers to.
    pub id: String,
    /// The function name.
    pub name: String,
    /// The arguments, a JSON document as text.
    pub arguments: String,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its content; empty for an assistant message that only calls tools.
    pub content: Vec<ContentPart>,
    /// Tool calls made by an assistant message.
    pub tool_calls: Vec<ToolCall>,
    /// For a [`Role::Tool`] message: the id of the call it answers.
    pub tool_call_id: Option<String>,
    /// An optional participant name.
    pub name: Option<String>,
}

impl Message {
    /// A message of `role` with one text part.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: vec![ContentPart::Text(text.into())],
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
        }
    }

    /// A system message.
    pub fn system(text: impl Into<String>) -> Self {
        Self::text(Role::System, text)
    }

    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::text(Role::User, text)
    }

    /// An assistant message.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::text(Role::Assistant, text)
    }

    /// A tool result answering the call `tool_call_id`.
    pub fn tool_result(tool_call_id: impl Into<String>, text: impl Into<String>) -> Self {
        Message {
            tool_call_id: Some(tool_call_id.into()),
            ..Self::text(Role::Tool, text)
        }
    }
}

/// A chat completion request, in the host's terms.
///
/// `tools`, `tool_choice` and `response_format` are JSON documents as text: they
/// pass to the router unchanged, so a host can use any schema the router accepts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// A model ref (`<provider>/<model id>[:suffix]`, e.g.
    /// `huggingface/deepseek-ai/DeepSeek-R1:cheapest`; a bare id; or an alias).
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Ask the router for an SSE stream (`true`, the default for hosts) or one JSON answer.
    /// Either way the host receives events.
    pub stream: bool,
    /// Upper bound on generated tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Up to four stop sequences.
    pub stop: Vec<String>,
    /// Seed for reproducible sampling.
    pub seed: Option<i64>,
    /// Frequency penalty.
    pub frequency_penalty: Option<f64>,
    /// Presence penalty.
    pub presence_penalty: Option<f64>,
    /// `low`, `medium` or `high` for reasoning models.
    pub reasoning_effort: Option<String>,
    /// The `tools` array, as JSON text.
    pub tools: Option<String>,
    /// The `tool_choice` value, as JSON text.
    pub tool_choice: Option<String>,
    /// The `response_format` object, as JSON text.
    pub response_format: Option<String>,
}

impl ChatRequest {
    /// A streaming request for `model` with `messages` and default parameters.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        ChatRequest {
            model: model.into(),
            messages,
            stream: true,
            ..Default::default()
        }
    }
}

/// A piece of a tool call as it streams: the first piece of a call carries its
/// id and name, later pieces append to its arguments.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ToolCallDelta {
    /// Which call of this answer the piece belongs to (0-based).
    pub index: u32,
    /// The call id, on the first piece.
    pub id: Option<String>,
    /// The function name, on the first piece.
    pub name: Option<String>,
    /// Text to append to the call's arguments.
    pub arguments: String,
}

/// Token counts for one completion, and its cost when the serving backend's
/// price is known.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// Their sum, as the server reported it.
    pub total_tokens: u64,
    /// Cost in US dollars: usage times the serving backend's price.
    pub cost_usd: Option<f64>,
}

/// One event of a completion stream. A stream ends after [`ChatEvent::Done`] or
/// with an error.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// Who is answering: sent once, before the first output.
    ServedBy {
        /// The model id the request was sent upstream as (no provider prefix).
        model: String,
        /// The backend that served the call (`x-inference-provider`), when the router said.
        backend: Option<String>,
        /// The router's request id.
        request_id: Option<String>,
    },
    /// Answer text to append.
    Content(String),
    /// Reasoning ("thinking") text to append.
    Reasoning(String),
    /// A piece of a tool call.
    ToolCall(ToolCallDelta),
    /// Token usage (and cost), usually just before [`ChatEvent::Done`].
    Usage(Usage),
    /// The plugin is about to retry after a transient failure; nothing was output yet.
    Retrying {
        /// The attempt that failed (1-based).
        attempt: u32,
        /// How long it waits before the next attempt, in milliseconds.
        delay_ms: u64,
        /// Why the attempt failed.
        error: ProviderError,
    },
    /// The answer is complete.
    Done {
        /// Why generation stopped, normalised: `stop`, `length`, `tool_calls`,
        /// `content_filter`, or the server's own word.
        finish_reason: String,
    },
    /// An event added by a newer interface version than this host knows; the text
    /// is its description from the plugin.
    Unknown(String),
}

impl ChatEvent {
    /// Whether the event is output the user sees (text, reasoning or a tool call).
    /// Failover and retries are only allowed before the first such event.
    pub fn is_output(&self) -> bool {
        matches!(
            self,
            ChatEvent::Content(_) | ChatEvent::Reasoning(_) | ChatEvent::ToolCall(_)
        )
    }
}
