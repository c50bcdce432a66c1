//! The plugin's events as OpenAI answers: `chat.completion.chunk` events on
//! an SSE stream, or one `chat.completion` object.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use host_sdk::{ChatEvent, ChatResponse, ChatStream, ToolCallDelta, Usage};
use serde_json::{Value, json};

use super::access::StreamOutcome;
use super::error::ApiError;

/// Flush what is ready once this much is buffered: a fast backend sends many
/// events per read, and one write per event would cost a syscall each.
const BATCH_BYTES: usize = 32 * 1024;

/// What every chunk of one answer shares.
#[derive(Debug, Clone)]
pub(super) struct Identity {
    /// `chatcmpl-...`
    pub(super) id: String,
    /// Unix seconds.
    pub(super) created: u64,
    /// The model id the router served, e.g. `deepseek-ai/DeepSeek-R1:cheapest`.
    pub(super) model: String,
}

impl Identity {
    /// `{"id":...,"object":"chat.completion.chunk","created":...,"model":...,"choices":`
    fn chunk_prefix(&self) -> Vec<u8> {
        let head = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
        })
        .to_string();
        // Reopen the object to append `choices` and, at the end, `usage`.
        let mut prefix = head.into_bytes();
        prefix.pop();
        prefix.extend_from_slice(b",\"choices\":");
        prefix
    }
}

/// The SSE body of a streamed answer. Dropping it (the client went away)
/// drops the plugin's stream, which cancels the completion upstream.
pub(super) struct SseAnswer {
    stream: ChatStream,
    /// Events read before the response started (they decided its status).
    first: Vec<ChatEvent>,
    prefix: Vec<u8>,
    include_usage: bool,
    usage: Option<Usage>,
    role_sent: bool,
    done: bool,
    /// Where the request's log line learns that an error ended the stream.
    outcome: StreamOutcome,
}

impl SseAnswer {
    pub(super) fn new(
        stream: ChatStream,
        first: Vec<ChatEvent>,
        identity: &Identity,
        include_usage: bool,
        outcome: StreamOutcome,
    ) -> Self {
        SseAnswer {
            stream,
            first,
            prefix: identity.chunk_prefix(),
            include_usage,
            usage: None,
            role_sent: false,
            done: false,
            outcome,
        }
    }

    /// One `data: {chunk}` event with `choices[0] = {index, delta, finish_reason}`.
    fn choice(&mut self, out: &mut Vec<u8>, delta: Value, finish_reason: Option<&str>) {
        let mut delta = delta;
        if !self.role_sent {
            // OpenAI's first delta names the role; clients key on it.
            self.role_sent = true;
            if let Value::Object(fields) = &mut delta {
                fields.insert("role".into(), json!("assistant"));
            }
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&self.prefix);
        let choice = json!([{ "index": 0, "delta": delta, "finish_reason": finish_reason }]);
        out.extend_from_slice(choice.to_string().as_bytes());
        out.extend_from_slice(b"}\n\n");
    }

    fn event(&mut self, out: &mut Vec<u8>, event: ChatEvent) {
        match event {
            ChatEvent::Content(text) => self.choice(out, json!({ "content": text }), None),
            ChatEvent::Reasoning(text) => {
                self.choice(out, json!({ "reasoning_content": text }), None);
            }
            ChatEvent::ToolCall(delta) => {
                self.choice(
                    out,
                    json!({ "tool_calls": [tool_call_delta(&delta)] }),
                    None,
                );
            }
            ChatEvent::Usage(usage) => self.usage = Some(usage),
            ChatEvent::Done { finish_reason } => {
                self.choice(out, json!({}), Some(&finish_reason));
            }
            // Who served it went out as headers; retries happen before the
            // response starts; events from a newer plugin have no OpenAI form.
            _ => {}
        }
    }

    /// The end of a complete answer: the usage chunk when asked, then `[DONE]`.
    fn end(&mut self, out: &mut Vec<u8>) {
        if self.include_usage
            && let Some(usage) = self.usage
        {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(&self.prefix);
            out.extend_from_slice(b"[],\"usage\":");
            out.extend_from_slice(usage_json(&usage).to_string().as_bytes());
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }
}

impl Stream for SseAnswer {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let mut out = Vec::new();
        for event in std::mem::take(&mut this.first) {
            this.event(&mut out, event);
        }
        while out.len() < BATCH_BYTES {
            match Pin::new(&mut this.stream).poll_next(cx) {
                Poll::Ready(Some(Ok(event))) => this.event(&mut out, event),
                Poll::Ready(Some(Err(error))) => {
                    // After the status line went out, an error can only be a
                    // last event; OpenAI's clients raise it as an API error.
                    let error = ApiError::from_provider(&error);
                    this.outcome.failed(&error.code);
                    out.extend_from_slice(b"data: ");
                    out.extend_from_slice(error.body().to_string().as_bytes());
                    out.extend_from_slice(b"\n\n");
                    this.done = true;
                    break;
                }
                Poll::Ready(None) => {
                    this.end(&mut out);
                    this.done = true;
                    break;
                }
                Poll::Pending => break,
            }
        }
        if out.is_empty() {
            return if this.done {
                Poll::Ready(None)
            } else {
                Poll::Pending
            };
        }
        Poll::Ready(Some(Ok(Bytes::from(out))))
    }
}

fn tool_call_delta(delta: &ToolCallDelta) -> Value {
    let mut function = serde_json::Map::new();
    if let Some(name) = &delta.name {
        function.insert("name".into(), json!(name));
    }
    function.insert("arguments".into(), json!(delta.arguments));
    let mut call = serde_json::Map::new();
    call.insert("index".into(), json!(delta.index));
    if let Some(id) = &delta.id {
        call.insert("id".into(), json!(id));
        call.insert("type".into(), json!("function"));
    }
    call.insert("function".into(), Value::Object(function));
    Value::Object(call)
}

/// OpenAI's usage, plus `cost` (USD at the price of the backend that served
/// the call) when the plugin knows it: the field OpenRouter-style clients,
/// the OpenClaw gateway's own transport among them, read as the call's cost.
fn usage_json(usage: &Usage) -> Value {
    let mut fields = json!({
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    });
    if let (Some(cost), Value::Object(map)) = (usage.cost_usd, &mut fields) {
        map.insert("cost".into(), json!(cost));
    }
    fields
}

/// The `chat.completion` object of a whole answer.
pub(super) fn completion(identity: &Identity, answer: &ChatResponse) -> Value {
    let mut message = serde_json::Map::new();
    message.insert("role".into(), json!("assistant"));
    message.insert(
        "content".into(),
        if answer.content.is_empty() && !answer.tool_calls.is_empty() {
            Value::Null
        } else {
            json!(answer.content)
        },
    );
    if !answer.reasoning.is_empty() {
        message.insert("reasoning_content".into(), json!(answer.reasoning));
    }
    if !answer.tool_calls.is_empty() {
        let calls: Vec<Value> = answer
            .tool_calls
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "type": "function",
                    "function": { "name": c.name, "arguments": c.arguments },
                })
            })
            .collect();
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    let mut body = json!({
        "id": identity.id,
        "object": "chat.completion",
        "created": identity.created,
        "model": identity.model,
        "choices": [{
            "index": 0,
            "message": message,
            "finish_reason": answer.finish_reason.as_deref().unwrap_or("stop"),
        }],
    });
    if let (Some(usage), Value::Object(fields)) = (answer.usage, &mut body) {
        fields.insert("usage".into(), usage_json(&usage));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use host_sdk::ToolCall;

    fn identity() -> Identity {
        Identity {
            id: "chatcmpl-1".into(),
            created: 7,
            model: "m/x".into(),
        }
    }

    #[test]
    fn a_chunk_is_a_valid_openai_chunk() {
        let prefix = identity().chunk_prefix();
        let mut text = prefix.clone();
        text.extend_from_slice(b"[]}");
        let v: Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(v["object"], "chat.completion.chunk");
        assert_eq!(v["model"], "m/x");
        assert_eq!(v["choices"], json!([]));
    }

    #[test]
    fn tool_call_deltas_carry_the_id_and_type_only_on_the_first_piece() {
        let first = tool_call_delta(&ToolCallDelta {
            index: 1,
            id: Some("c1".into()),
            name: Some("f".into()),
            arguments: String::new(),
        });
        assert_eq!(
            first,
            json!({"index": 1, "id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}})
        );
        let later = tool_call_delta(&ToolCallDelta {
            index: 1,
            id: None,
            name: None,
            arguments: "{\"a\"".into(),
        });
        assert_eq!(
            later,
            json!({"index": 1, "function": {"arguments": "{\"a\""}})
        );
    }

    #[test]
    fn a_whole_answer_with_tool_calls_has_null_content() {
        let answer = ChatResponse {
            tool_calls: vec![ToolCall {
                id: "c1".into(),
                name: "f".into(),
                arguments: "{}".into(),
            }],
            finish_reason: Some("tool_calls".into()),
            ..ChatResponse::default()
        };
        let v = completion(&identity(), &answer);
        assert_eq!(v["choices"][0]["message"]["content"], Value::Null);
        assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(
            v["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
            "f"
        );
        assert!(v.get("usage").is_none());
    }

    #[test]
    fn usage_carries_the_cost_when_the_plugin_knows_it() {
        let usage = |cost_usd| Usage {
            prompt_tokens: 3,
            completion_tokens: 4,
            total_tokens: 7,
            cost_usd,
        };
        assert_eq!(usage_json(&usage(Some(0.25)))["cost"], json!(0.25));
        assert!(usage_json(&usage(None)).get("cost").is_none());
    }
}
