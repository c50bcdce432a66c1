//! Folding a completion's events into one answer.

use provider_abi::{ChatEvent, ProviderError, ToolCall, Usage};

/// A retry the plugin made before any output (from [`ChatEvent::Retrying`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// The attempt that failed (1-based).
    pub attempt: u32,
    /// The delay before the next attempt, in milliseconds.
    pub delay_ms: u64,
    /// Why it failed.
    pub error: ProviderError,
}

/// A whole answer, assembled from its events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatResponse {
    /// The router model id that answered.
    pub model: String,
    /// The backend that served it, when the router said.
    pub served_by: Option<String>,
    /// The router's request id.
    pub request_id: Option<String>,
    /// The answer text.
    pub content: String,
    /// The reasoning text.
    pub reasoning: String,
    /// Complete tool calls, in index order.
    pub tool_calls: Vec<ToolCall>,
    /// Why generation stopped; `None` if the stream ended without saying.
    pub finish_reason: Option<String>,
    /// Token usage and cost, when the server reported usage.
    pub usage: Option<Usage>,
    /// Retries the plugin made before the answer started.
    pub retries: Vec<Retry>,
    /// Descriptions of events this host does not know (from a newer plugin).
    pub unknown_events: Vec<String>,
}

impl ChatResponse {
    /// Folds one event in. Tool-call pieces are assembled by their index.
    pub fn apply(&mut self, event: &ChatEvent) {
        match event {
            ChatEvent::ServedBy {
                model,
                backend,
                request_id,
            } => {
                self.model.clone_from(model);
                self.served_by.clone_from(backend);
                self.request_id.clone_from(request_id);
            }
            ChatEvent::Content(text) => self.content.push_str(text),
            ChatEvent::Reasoning(text) => self.reasoning.push_str(text),
            ChatEvent::ToolCall(delta) => {
                let slot = delta.index as usize;
                if self.tool_calls.len() <= slot {
                    self.tool_calls.resize_with(slot + 1, ToolCall::default);
                }
                let call = &mut self.tool_calls[slot];
                if let Some(id) = delta.id.as_deref().filter(|s| !s.is_empty()) {
                    call.id = id.to_string();
                }
                if let Some(name) = delta.name.as_deref().filter(|s| !s.is_empty()) {
                    call.name.push_str(name);
                }
                call.arguments.push_str(&delta.arguments);
            }
            ChatEvent::Usage(usage) => self.usage = Some(*usage),
            ChatEvent::Retrying {
                attempt,
                delay_ms,
                error,
            } => self.retries.push(Retry {
                attempt: *attempt,
                delay_ms: *delay_ms,
                error: error.clone(),
            }),
            ChatEvent::Done { finish_reason } => self.finish_reason = Some(finish_reason.clone()),
            ChatEvent::Unknown(description) => self.unknown_events.push(description.clone()),
            // A variant from a newer provider-abi than this host-sdk was
            // written for: kept like an unknown ABI event.
            other => self.unknown_events.push(format!("{other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use provider_abi::ToolCallDelta;

    #[test]
    fn assembles_tool_calls_by_index() {
        let mut r = ChatResponse::default();
        for e in [
            ChatEvent::ToolCall(ToolCallDelta {
                index: 1,
                id: Some("b".into()),
                name: Some("search".into()),
                arguments: "{\"q\":".into(),
            }),
            ChatEvent::ToolCall(ToolCallDelta {
                index: 0,
                id: Some("a".into()),
                name: Some("time".into()),
                arguments: "{}".into(),
            }),
            ChatEvent::ToolCall(ToolCallDelta {
                index: 1,
                id: Some(String::new()),
                name: None,
                arguments: "\"x\"}".into(),
            }),
        ] {
            r.apply(&e);
        }
        assert_eq!(r.tool_calls.len(), 2);
        assert_eq!(r.tool_calls[0].name, "time");
        assert_eq!(r.tool_calls[1].id, "b");
        assert_eq!(r.tool_calls[1].arguments, "{\"q\":\"x\"}");
    }
}
