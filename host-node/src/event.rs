//! A completion's events and errors as JS objects.
//!
//! Events arrive in batches; consecutive pieces of text (and of one tool
//! call's arguments) are merged into one event, because JS pays per object and
//! a batch of 64 tokens is one piece of text to whoever renders it.

use host_sdk::{ChatEvent, ErrorKind, ProviderError, ToolCallDelta, Usage};
use napi_derive::napi;

/// One event of a completion. `type` says which; the fields that go with it
/// are set, the others absent.
#[napi(object)]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// `servedBy`, `content`, `reasoning`, `toolCall`, `usage`, `retrying`,
    /// `done`, `error` or `unknown`.
    #[napi(js_name = "type")]
    pub kind: String,
    /// `content`, `reasoning`: the text to append. `unknown`: what the newer
    /// plugin's event was.
    pub text: Option<String>,
    /// `toolCall`: which call of the answer (0-based).
    pub index: Option<u32>,
    /// `toolCall`: the call id, on its first piece.
    pub id: Option<String>,
    /// `toolCall`: the function name, on its first piece.
    pub name: Option<String>,
    /// `toolCall`: text to append to the call's JSON arguments.
    pub arguments: Option<String>,
    /// `servedBy`: the model id sent upstream.
    pub model: Option<String>,
    /// `servedBy`: the backend that serves the call, when the router said.
    pub backend: Option<String>,
    /// `servedBy`: the router's request id.
    pub request_id: Option<String>,
    /// `usage`: token counts and cost.
    pub usage: Option<JsUsage>,
    /// `retrying`: the attempt that failed (1-based).
    pub attempt: Option<u32>,
    /// `retrying`: the wait before the next attempt.
    pub delay_ms: Option<f64>,
    /// `done`: `stop`, `length`, `tool_calls`, `content_filter` or the
    /// server's own word.
    pub finish_reason: Option<String>,
    /// `error` (the stream's last event), `retrying` (why).
    pub error: Option<JsError>,
}

/// Token usage of a completion.
#[napi(object)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct JsUsage {
    /// Prompt tokens.
    pub prompt_tokens: f64,
    /// Generated tokens.
    pub completion_tokens: f64,
    /// Their sum as the server reported it.
    pub total_tokens: f64,
    /// US dollars at the price of the backend that served the call, when known.
    pub cost_usd: Option<f64>,
}

impl From<Usage> for JsUsage {
    fn from(u: Usage) -> Self {
        // Token counts stay far below 2^53: exact as JS numbers.
        #[allow(clippy::cast_precision_loss)]
        JsUsage {
            prompt_tokens: u.prompt_tokens as f64,
            completion_tokens: u.completion_tokens as f64,
            total_tokens: u.total_tokens as f64,
            cost_usd: u.cost_usd,
        }
    }
}

/// A provider error: what went wrong, in a shape code can act on.
#[napi(object)]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsError {
    /// The kind: `auth`, `permission`, `billing`, `model_not_found`,
    /// `model_unsupported`, `rate_limited`, `unavailable`, `timeout`,
    /// `network`, `invalid_request`, `cancelled`, `plugin_panicked`,
    /// `internal`, or `unknown` (a kind newer than this host).
    pub kind: String,
    /// One line for people: the server's own words when there were some.
    pub message: String,
    /// The HTTP status, when the error came from a response.
    pub status: Option<u32>,
    /// The router's request id, for support requests.
    pub request_id: Option<String>,
    /// How long the server asked to wait, in milliseconds.
    pub retry_after_ms: Option<f64>,
    /// What to do about it, when there is something general to say.
    pub hint: Option<String>,
    /// A transient condition (rate limit, overload, time limit, broken
    /// connection): the plugin already retried it as its settings allow.
    pub transient: bool,
    /// Whether another model may succeed where this one failed, so a
    /// failover chain should move on.
    pub advances_failover: bool,
    /// The whole error as one line: `kind: message (HTTP status, request id …)`.
    pub display: String,
}

impl From<&ProviderError> for JsError {
    fn from(e: &ProviderError) -> Self {
        JsError {
            kind: e.kind.as_str().to_string(),
            message: e.message.clone(),
            status: e.status.map(u32::from),
            request_id: e.request_id.clone(),
            retry_after_ms: e.retry_after.map(|d| d.as_secs_f64() * 1000.0),
            hint: hint(e),
            transient: e.kind.is_transient(),
            advances_failover: e.kind.advances_failover(),
            display: e.to_string(),
        }
    }
}

/// General advice for an error kind; hosts add their own (which token was
/// used, which command saves another).
fn hint(e: &ProviderError) -> Option<String> {
    let text = match e.kind {
        ErrorKind::Auth => "the Hugging Face token was refused: replace it with a valid one",
        ErrorKind::Permission => {
            "the token lacks a permission: create a fine-grained token with \"Make calls to Inference Providers\" at https://huggingface.co/settings/tokens"
        }
        ErrorKind::Billing => {
            "the account has no credits left: add credits, or bill an organization (billTo)"
        }
        ErrorKind::ModelNotFound => "check the model ref: the message lists the closest ones",
        ErrorKind::ModelUnsupported => {
            "no backend serves this model now: choose another model, or another backend with :<backend>"
        }
        ErrorKind::RateLimited => {
            return Some(match e.retry_after {
                Some(d) => format!(
                    "rate limited: wait {} s, or choose another backend (:cheapest, :fastest, :<backend>)",
                    d.as_secs_f64().ceil()
                ),
                None => "rate limited: wait a little, or choose another backend (:cheapest, :fastest, :<backend>)".to_string(),
            });
        }
        ErrorKind::Unavailable => {
            "the backend is overloaded or failing: try again shortly, or choose another backend"
        }
        ErrorKind::Timeout => {
            "a time limit fired: try again, or raise the timeouts in the plugin's settings"
        }
        ErrorKind::Network => "the router could not be reached: check the network and the base URL",
        ErrorKind::PluginPanicked => {
            "the provider plugin hit a bug and recovered: report it with this message"
        }
        ErrorKind::Internal => "report it with the request id",
        _ => return None,
    };
    Some(text.to_string())
}

impl Event {
    fn of(kind: &str) -> Event {
        Event {
            kind: kind.to_string(),
            ..Event::default()
        }
    }

    /// The `error` event that ends a stream.
    pub(crate) fn error(e: &ProviderError) -> Event {
        Event {
            error: Some(JsError::from(e)),
            ..Event::of("error")
        }
    }
}

/// The events of one batch, merged as they are added.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    events: Vec<Event>,
    /// Raw events added, before merging.
    added: usize,
}

impl Batch {
    /// Raw events added so far.
    pub(crate) fn added(&self) -> usize {
        self.added
    }

    /// Adds one item of a stream: an event, or the error that ends it.
    pub(crate) fn push(&mut self, item: Result<ChatEvent, ProviderError>) {
        self.added += 1;
        match item {
            Ok(event) => self.push_event(event),
            Err(e) => self.events.push(Event::error(&e)),
        }
    }

    fn push_event(&mut self, event: ChatEvent) {
        match event {
            ChatEvent::Content(text) => self.push_text("content", text),
            ChatEvent::Reasoning(text) => self.push_text("reasoning", text),
            ChatEvent::ToolCall(delta) => self.push_tool_call(delta),
            ChatEvent::ServedBy {
                model,
                backend,
                request_id,
            } => self.events.push(Event {
                model: Some(model),
                backend,
                request_id,
                ..Event::of("servedBy")
            }),
            ChatEvent::Usage(usage) => self.events.push(Event {
                usage: Some(usage.into()),
                ..Event::of("usage")
            }),
            ChatEvent::Retrying {
                attempt,
                delay_ms,
                error,
            } => self.events.push(Event {
                attempt: Some(attempt),
                #[allow(clippy::cast_precision_loss)]
                delay_ms: Some(delay_ms as f64),
                error: Some(JsError::from(&error)),
                ..Event::of("retrying")
            }),
            ChatEvent::Done { finish_reason } => self.events.push(Event {
                finish_reason: Some(finish_reason),
                ..Event::of("done")
            }),
            ChatEvent::Unknown(what) => self.events.push(Event {
                text: Some(what),
                ..Event::of("unknown")
            }),
            // A variant added to the contract after this addon was written.
            other => self.events.push(Event {
                text: Some(format!("{other:?}")),
                ..Event::of("unknown")
            }),
        }
    }

    fn push_text(&mut self, kind: &str, text: String) {
        if let Some(last) = self.events.last_mut()
            && last.kind == kind
            && let Some(previous) = last.text.as_mut()
        {
            previous.push_str(&text);
            return;
        }
        self.events.push(Event {
            text: Some(text),
            ..Event::of(kind)
        });
    }

    /// A continuation piece (no id, no name) of the call the last event is
    /// about joins it; a first piece starts a new event.
    fn push_tool_call(&mut self, delta: ToolCallDelta) {
        if delta.id.is_none()
            && delta.name.is_none()
            && let Some(last) = self.events.last_mut()
            && last.kind == "toolCall"
            && last.index == Some(delta.index)
            && let Some(arguments) = last.arguments.as_mut()
        {
            arguments.push_str(&delta.arguments);
            return;
        }
        self.events.push(Event {
            index: Some(delta.index),
            id: delta.id,
            name: delta.name,
            arguments: Some(delta.arguments),
            ..Event::of("toolCall")
        });
    }

    /// Whether the batch holds the stream's last event.
    pub(crate) fn ended(&self) -> bool {
        self.events.last().is_some_and(|e| e.kind == "error")
    }

    pub(crate) fn into_events(self) -> Vec<Event> {
        self.events
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn delta(index: u32, id: Option<&str>, name: Option<&str>, arguments: &str) -> ChatEvent {
        ChatEvent::ToolCall(ToolCallDelta {
            index,
            id: id.map(str::to_string),
            name: name.map(str::to_string),
            arguments: arguments.to_string(),
        })
    }

    fn batch(items: Vec<Result<ChatEvent, ProviderError>>) -> Vec<Event> {
        let mut batch = Batch::default();
        for item in items {
            batch.push(item);
        }
        batch.into_events()
    }

    #[test]
    fn consecutive_text_of_one_kind_is_one_event() {
        let events = batch(vec![
            Ok(ChatEvent::Reasoning("a".into())),
            Ok(ChatEvent::Reasoning("b".into())),
            Ok(ChatEvent::Content("Hel".into())),
            Ok(ChatEvent::Content("lo".into())),
            Ok(ChatEvent::Reasoning("c".into())),
        ]);
        let pairs: Vec<_> = events
            .iter()
            .map(|e| (e.kind.as_str(), e.text.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            pairs,
            [
                ("reasoning", "ab"),
                ("content", "Hello"),
                ("reasoning", "c")
            ]
        );
    }

    #[test]
    fn tool_call_pieces_join_their_call_and_a_new_call_starts_an_event() {
        let events = batch(vec![
            Ok(delta(0, Some("call_1"), Some("get_weather"), "{\"ci")),
            Ok(delta(0, None, None, "ty\":\"Paris\"}")),
            Ok(delta(1, Some("call_2"), Some("get_time"), "")),
            Ok(delta(1, None, None, "{}")),
            Ok(delta(0, None, None, "")),
        ]);
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].id.as_deref(), Some("call_1"));
        assert_eq!(events[0].arguments.as_deref(), Some("{\"city\":\"Paris\"}"));
        assert_eq!(events[1].name.as_deref(), Some("get_time"));
        assert_eq!(events[1].arguments.as_deref(), Some("{}"));
        // Back to call 0 after call 1: a piece of its own, still index 0.
        assert_eq!(events[2].index, Some(0));
    }

    #[test]
    fn an_error_ends_the_batch_with_kind_status_request_id_and_hint() {
        let error = ProviderError::new(ErrorKind::RateLimited, "slow down")
            .with_status(429)
            .with_request_id("req-1")
            .with_retry_after(Duration::from_millis(2500));
        let mut b = Batch::default();
        b.push(Ok(ChatEvent::Content("x".into())));
        b.push(Err(error));
        assert!(b.ended());
        assert_eq!(b.added(), 2);
        let events = b.into_events();
        let e = events[1].error.clone().unwrap();
        assert_eq!(events[1].kind, "error");
        assert_eq!(e.kind, "rate_limited");
        assert_eq!(e.status, Some(429));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert_eq!(e.retry_after_ms, Some(2500.0));
        assert!(e.transient && e.advances_failover);
        assert_eq!(
            e.hint.as_deref(),
            Some(
                "rate limited: wait 3 s, or choose another backend (:cheapest, :fastest, :<backend>)"
            )
        );
        assert_eq!(
            e.display,
            "rate_limited: slow down (HTTP 429, request id req-1)"
        );
    }

    #[test]
    fn every_kind_maps_to_its_name_and_failover_rule() {
        for kind in ErrorKind::ALL {
            let e = JsError::from(&ProviderError::new(kind, "m"));
            assert_eq!(e.kind, kind.as_str());
            assert_eq!(e.advances_failover, kind.advances_failover());
            assert_eq!(e.transient, kind.is_transient());
        }
    }

    #[test]
    fn served_by_usage_retrying_done_and_unknown_keep_their_fields() {
        let events = batch(vec![
            Ok(ChatEvent::ServedBy {
                model: "a/b".into(),
                backend: Some("together".into()),
                request_id: Some("r".into()),
            }),
            Ok(ChatEvent::Retrying {
                attempt: 1,
                delay_ms: 500,
                error: ProviderError::new(ErrorKind::Unavailable, "busy").with_status(503),
            }),
            Ok(ChatEvent::Usage(Usage {
                prompt_tokens: 3,
                completion_tokens: 4,
                total_tokens: 7,
                cost_usd: Some(0.5),
            })),
            Ok(ChatEvent::Done {
                finish_reason: "stop".into(),
            }),
            Ok(ChatEvent::Unknown("Notice".into())),
        ]);
        let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["servedBy", "retrying", "usage", "done", "unknown"]);
        assert_eq!(events[0].backend.as_deref(), Some("together"));
        assert_eq!(events[1].delay_ms, Some(500.0));
        assert_eq!(events[1].error.as_ref().map(|e| e.status), Some(Some(503)));
        assert_eq!(events[2].usage.map(|u| u.total_tokens), Some(7.0));
        assert_eq!(events[3].finish_reason.as_deref(), Some("stop"));
        assert_eq!(events[4].text.as_deref(), Some("Notice"));
    }
}
