//! Router chunks -> host events: content, reasoning, tool calls, usage and cost, the end.
//!
//! One `Translator` serves one attempt. It emits text as soon as it is decided, but holds
//! usage and the finish reason until the answer ends: backends send `finish_reason` before
//! the usage-only chunk, and the host wants `Usage` then `Done` last.

use provider_abi::{ChatEvent, Cost, ErrorKind, ProviderError, ToolCallDelta, Usage};
use serde_json::Value;

use super::error::stream_error;
use super::think::{Piece, ThinkSplitter};
use super::wire::{Choice, Chunk, Delta, WireToolCall, parse_lenient, text_of};

#[derive(Debug)]
pub(crate) struct Translator {
    think: ThinkSplitter,
    tools: ToolCalls,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    /// The serving backend's price, for `Usage::cost_usd`.
    price: Option<Cost>,
}

impl Translator {
    pub(crate) fn new(price: Option<Cost>) -> Self {
        Translator {
            think: ThinkSplitter::default(),
            tools: ToolCalls::default(),
            finish_reason: None,
            usage: None,
            price,
        }
    }

    /// One `data:` payload of a stream (not `[DONE]`).
    ///
    /// # Errors
    /// The chunk is an in-stream error, unparseable, or not an OpenAI-compatible chunk.
    pub(crate) fn on_data(
        &mut self,
        data: &str,
        out: &mut Vec<ChatEvent>,
    ) -> Result<(), ProviderError> {
        if data.trim().is_empty() {
            return Ok(());
        }
        let chunk: Chunk = parse_lenient(data).map_err(|e| {
            ProviderError::new(
                ErrorKind::Internal,
                format!("unreadable stream chunk ({e}): {}", excerpt(data)),
            )
        })?;
        self.on_chunk(
            &chunk,
            |choice| choice.delta.as_ref().or(choice.message.as_ref()),
            out,
        )
    }

    /// A whole non-streaming completion (also what a server sends when it ignores `stream`).
    ///
    /// # Errors
    /// As for [`Translator::on_data`].
    pub(crate) fn on_completion(
        &mut self,
        body: &[u8],
        out: &mut Vec<ChatEvent>,
    ) -> Result<(), ProviderError> {
        let text = String::from_utf8_lossy(body);
        let chunk: Chunk = parse_lenient(&text).map_err(|e| {
            // JSON that stops in the middle is an answer cut off in transit
            // (transient, like a truncated stream), not a malformed one.
            if e.is_eof() && !text.trim().is_empty() {
                ProviderError::new(
                    ErrorKind::Network,
                    format!(
                        "the answer ended before it was complete ({} bytes received)",
                        body.len()
                    ),
                )
            } else {
                ProviderError::new(
                    ErrorKind::Internal,
                    format!("unreadable answer ({e}): {}", excerpt(&text)),
                )
            }
        })?;
        self.on_chunk(
            &chunk,
            |choice| choice.message.as_ref().or(choice.delta.as_ref()),
            out,
        )
    }

    /// The answer ended: `saw_end` when the server said so (`[DONE]`, or a whole JSON
    /// answer), otherwise the connection just closed.
    ///
    /// # Errors
    /// `Network` when the stream closed with neither `[DONE]` nor a finish reason: the
    /// answer is truncated and must not pass for complete.
    pub(crate) fn finish(
        &mut self,
        saw_end: bool,
        out: &mut Vec<ChatEvent>,
    ) -> Result<(), ProviderError> {
        self.flush_think(out);
        if !saw_end && self.finish_reason.is_none() {
            return Err(ProviderError::new(
                ErrorKind::Network,
                "stream ended before the answer was complete",
            ));
        }
        if let Some(usage) = self.usage.take() {
            out.push(ChatEvent::Usage(usage));
        }
        // `[DONE]` without a finish reason: the server called the answer complete.
        let finish_reason = self
            .finish_reason
            .take()
            .unwrap_or_else(|| "stop".to_string());
        out.push(ChatEvent::Done { finish_reason });
        Ok(())
    }

    fn on_chunk(
        &mut self,
        chunk: &Chunk,
        pick: impl Fn(&Choice) -> Option<&Delta>,
        out: &mut Vec<ChatEvent>,
    ) -> Result<(), ProviderError> {
        if chunk.error.as_ref().is_some_and(|e| !e.is_null()) {
            return Err(stream_error(chunk));
        }
        let Some(choices) = &chunk.choices else {
            // A usage-only chunk may omit `choices`; anything else without them is another
            // schema (cohere's native one has `usage` too, but not OpenAI's counts).
            let usage = chunk
                .usage
                .as_ref()
                .and_then(|u| parse_usage(u, self.price));
            if usage.is_none() {
                return Err(foreign_schema(chunk));
            }
            self.usage = usage;
            return Ok(());
        };
        // We never ask for `n > 1`, so the first choice is the answer. Its `index` is not
        // checked: TGI 1.4 puts the token position there.
        if let Some(choice) = choices.first() {
            if let Some(delta) = pick(choice) {
                self.on_delta(delta, out);
            }
            if let Some(reason) = choice.finish_reason.as_ref().and_then(Value::as_str)
                && !reason.is_empty()
            {
                self.finish_reason = Some(normalise_finish_reason(reason));
            }
        }
        self.take_usage(chunk.usage.as_ref());
        Ok(())
    }

    fn on_delta(&mut self, delta: &Delta, out: &mut Vec<ChatEvent>) {
        if let Some(reasoning) = delta.reasoning().filter(|r| !r.is_empty()) {
            out.push(ChatEvent::Reasoning(reasoning));
        }
        if let Some(content) = delta.content.as_ref().and_then(text_of) {
            let mut pieces = Vec::new();
            self.think.push(&content, &mut pieces);
            out.extend(pieces.into_iter().map(event_of));
        }
        for (position, call) in delta.tool_calls.iter().flatten().enumerate() {
            // Text held back as a possible `<think>` prefix comes before the call.
            self.flush_think(out);
            if let Some(delta) = self.tools.delta(position, call) {
                out.push(ChatEvent::ToolCall(delta));
            }
        }
    }

    fn flush_think(&mut self, out: &mut Vec<ChatEvent>) {
        let mut pieces = Vec::new();
        self.think.finish(&mut pieces);
        out.extend(pieces.into_iter().map(event_of));
    }

    fn take_usage(&mut self, usage: Option<&Value>) {
        if let Some(usage) = usage.and_then(|u| parse_usage(u, self.price)) {
            self.usage = Some(usage);
        }
    }
}

fn event_of(piece: Piece) -> ChatEvent {
    match piece {
        Piece::Content(text) => ChatEvent::Content(text),
        Piece::Reasoning(text) => ChatEvent::Reasoning(text),
    }
}

/// Tool calls by the backend's `index`, renumbered 0, 1, … in order of appearance.
#[derive(Debug, Default)]
struct ToolCalls {
    calls: Vec<CallSlot>,
}

#[derive(Debug)]
struct CallSlot {
    /// The backend's `index` (or the call's position in its delta when absent).
    key: u64,
    /// The id it started with; empty until one arrived.
    id: String,
    /// Whether its name was passed on already.
    named: bool,
}

impl ToolCalls {
    fn delta(&mut self, position: usize, call: &WireToolCall) -> Option<ToolCallDelta> {
        let key = call.index.unwrap_or(position as u64);
        // Continuations may carry `id: ""` and `name: null`: neither starts a call.
        let id = call.id.as_deref().filter(|id| !id.is_empty());
        let function = call.function.as_ref();
        let name = function
            .and_then(|f| f.name.as_deref())
            .filter(|n| !n.is_empty());
        let arguments = match function.and_then(|f| f.arguments.as_ref()) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        // A different id under an index already in use is a new call: some backends
        // number every call 0.
        let found = self.calls.iter().rposition(|slot| {
            slot.key == key && (id.is_none() || slot.id.is_empty() || Some(slot.id.as_str()) == id)
        });
        let index = found.unwrap_or_else(|| {
            self.calls.push(CallSlot {
                key,
                id: String::new(),
                named: false,
            });
            self.calls.len() - 1
        });
        let slot = &mut self.calls[index];
        let new_id = id.filter(|_| slot.id.is_empty()).map(|id| {
            slot.id = id.to_string();
            slot.id.clone()
        });
        let new_name = name.filter(|_| !slot.named).map(|name| {
            slot.named = true;
            name.to_string()
        });
        if new_id.is_none() && new_name.is_none() && arguments.is_empty() {
            return None;
        }
        Some(ToolCallDelta {
            index: index as u32,
            id: new_id,
            name: new_name,
            arguments,
        })
    }
}

/// `eos_token`, `eos`, `COMPLETE`, `end_turn` and friends mean `stop`; the standard words
/// pass unchanged and anything else is kept as the server's own word.
pub(crate) fn normalise_finish_reason(reason: &str) -> String {
    match reason.to_ascii_lowercase().as_str() {
        "stop" | "eos_token" | "eos" | "complete" | "end_turn" | "stop_sequence" => "stop".into(),
        "length" | "max_tokens" => "length".into(),
        "tool_calls" | "function_call" | "tool_use" => "tool_calls".into(),
        "content_filter" => "content_filter".into(),
        _ => reason.to_string(),
    }
}

/// Token counts, and the cost at `price` (USD per million tokens). `None` when the object
/// has no OpenAI-style counts (cohere's native `billed_units`, for instance).
fn parse_usage(usage: &Value, price: Option<Cost>) -> Option<Usage> {
    let count = |name: &str| {
        let v = usage.get(name)?;
        v.as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f.round() as u64))
    };
    let prompt = count("prompt_tokens");
    let completion = count("completion_tokens");
    if prompt.is_none() && completion.is_none() {
        return None;
    }
    let (prompt_tokens, completion_tokens) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    Some(Usage {
        prompt_tokens,
        completion_tokens,
        total_tokens: count("total_tokens").unwrap_or(prompt_tokens + completion_tokens),
        cost_usd: price.map(|p| {
            prompt_tokens as f64 * p.input / 1e6 + completion_tokens as f64 * p.output / 1e6
        }),
    })
}

fn foreign_schema(chunk: &Chunk) -> ProviderError {
    let kind = chunk
        .kind
        .as_ref()
        .and_then(Value::as_str)
        .map(|k| format!(" (event type \"{k}\")"));
    ProviderError::new(
        ErrorKind::Internal,
        format!(
            "the server answered in a schema that is not OpenAI-compatible chat completions{}",
            kind.unwrap_or_default()
        ),
    )
}

/// The start of a payload, for messages.
fn excerpt(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests;
