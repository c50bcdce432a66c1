//! Router chunks -> host events: content, reasoning, tool calls, usage and cost, the end.
//!
//! One `Translator` serves one attempt. It emits text as soon as it is decided, but holds
//! usage and the finish reason until the answer ends: backends send `finish_reason` before
//! the usage-only chunk, and the host wants `Usage` then `Done` last.

use provider_abi::{ChatEvent, Cost, ErrorKind, EventBatch, ProviderError, ToolCallDelta, Usage};
use serde_json::Value;
use serde_json::value::RawValue;

use super::error::stream_error;
use super::think::{Piece, ThinkSplitter};
use super::wire::{ChunkParts, Pick, WireToolCall};

#[derive(Debug)]
pub(crate) struct Translator {
    think: ThinkSplitter,
    tools: ToolCalls,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    /// The serving backend's price, for `Usage::cost_usd`.
    price: Option<Cost>,
}

/// Why the chunks of one payload stopped before its end.
enum Stop {
    /// A document could not be read; `read` chunks before it were.
    Unread {
        error: serde_json::Error,
        read: usize,
    },
    /// A chunk was read and ends the answer with this error (an in-stream error, a
    /// foreign schema).
    Failed(ProviderError),
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
    #[cfg(test)]
    pub(crate) fn on_data(
        &mut self,
        data: &str,
        out: &mut EventBatch,
    ) -> Result<(), ProviderError> {
        self.on_text(data, false, out)
    }

    /// One `data:` payload of a stream (not `[DONE]`). `at_end`: the payload of the event
    /// the connection closed in, without the blank line that ends an event; a chunk cut
    /// short there is a truncated stream (which [`Translator::finish`] reports), not a
    /// malformed chunk.
    ///
    /// # Errors
    /// The chunk is an in-stream error, unparseable, or not an OpenAI-compatible chunk.
    pub(crate) fn on_text(
        &mut self,
        text: &str,
        at_end: bool,
        out: &mut EventBatch,
    ) -> Result<(), ProviderError> {
        if text.trim_ascii().is_empty() {
            return Ok(());
        }
        let mut parts = ChunkParts::default();
        if parts.scan(text, Pick::Delta) {
            return self.on_chunk(&mut parts, out);
        }
        let mut de = serde_json::Deserializer::from_str(text);
        match self.chunks(&mut de, out) {
            Ok(()) => Ok(()),
            Err(Stop::Failed(error)) => Err(error),
            Err(Stop::Unread { error, read }) => unread(&error, read, at_end, text),
        }
    }

    /// Translates every chunk of one payload.
    ///
    /// Old TGI versions write some events' `data:` lines without the blank line between
    /// them, so one event's data can hold several chunks, one per line: each counts.
    fn chunks<'de, R: serde_json::de::Read<'de>>(
        &mut self,
        de: &mut serde_json::Deserializer<R>,
        out: &mut EventBatch,
    ) -> Result<(), Stop> {
        let mut read = 0;
        loop {
            let mut parts =
                ChunkParts::read(de, Pick::Delta).map_err(|error| Stop::Unread { error, read })?;
            self.on_chunk(&mut parts, out).map_err(Stop::Failed)?;
            read += 1;
            if de.end().is_ok() {
                return Ok(());
            }
        }
    }

    /// A whole non-streaming completion (also what a server sends when it ignores `stream`).
    ///
    /// # Errors
    /// As for [`Translator::on_data`].
    pub(crate) fn on_completion(
        &mut self,
        body: &[u8],
        out: &mut EventBatch,
    ) -> Result<(), ProviderError> {
        let text = String::from_utf8_lossy(body);
        // One document; what follows it is ignored (a backend was recorded sending a
        // stray character after its JSON).
        let mut de = serde_json::Deserializer::from_str(&text);
        let mut parts = ChunkParts::read(&mut de, Pick::Message).map_err(|e| {
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
        self.on_chunk(&mut parts, out)
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
        out: &mut EventBatch,
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
        parts: &mut ChunkParts<'_>,
        out: &mut EventBatch,
    ) -> Result<(), ProviderError> {
        if let Some(error) = parts.error {
            return Err(stream_error(error, parts.error_type.as_deref()));
        }
        if !parts.has_choices {
            // A usage-only chunk may omit `choices`; anything else without them is another
            // schema (cohere's native one has `usage` too, but not OpenAI's counts).
            let usage = parts.usage.and_then(|u| parse_usage(u, self.price));
            if usage.is_none() {
                return Err(foreign_schema(parts.kind.as_deref()));
            }
            self.usage = usage;
            return Ok(());
        }
        // The first choice is the answer. Its `index` is not checked: TGI 1.4 puts the
        // token position there.
        if let Some(reasoning) = &parts.reasoning {
            out.push_reasoning(reasoning);
        }
        if let Some(content) = &parts.content {
            self.think
                .push(content, &mut |piece| push_piece(out, piece));
        }
        for (position, call) in parts.tool_calls.iter().enumerate() {
            // Text held back as a possible `<think>` prefix comes before the call.
            self.flush_think(out);
            if let Some(delta) = self.tools.delta(position, call) {
                out.push(ChatEvent::ToolCall(delta));
            }
        }
        if let Some(reason) = parts.finish_reason.as_deref()
            && !reason.is_empty()
        {
            self.finish_reason = Some(normalise_finish_reason(reason));
        }
        if let Some(usage) = parts.usage.and_then(|u| parse_usage(u, self.price)) {
            self.usage = Some(usage);
        }
        Ok(())
    }

    fn flush_think(&mut self, out: &mut EventBatch) {
        self.think.finish(&mut |piece| push_piece(out, piece));
    }
}

/// What a payload that could not be read (after `read` whole chunks) means.
fn unread(
    error: &serde_json::Error,
    read: usize,
    at_end: bool,
    text: &str,
) -> Result<(), ProviderError> {
    // After a whole chunk: a stray character (a backend was recorded sending one after its
    // last chunk), or the start of a chunk the connection cut. Dropped.
    // The event the stream ended in, cut short: `finish` reports the truncation.
    if read > 0 || (at_end && error.is_eof()) {
        return Ok(());
    }
    Err(ProviderError::new(
        ErrorKind::Internal,
        format!("unreadable stream chunk ({error}): {}", excerpt(text)),
    ))
}

fn push_piece(out: &mut EventBatch, piece: Piece<'_>) {
    match piece {
        Piece::Content(text) => out.push_content(text),
        Piece::Reasoning(text) => out.push_reasoning(text),
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
    fn delta(&mut self, position: usize, call: &WireToolCall<'_>) -> Option<ToolCallDelta> {
        let key = call.index.unwrap_or(position as u64);
        // Continuations may carry `id: ""` and `name: null`: neither starts a call.
        let id = call.id.0.as_deref().filter(|id| !id.is_empty());
        let function = call.function.as_ref();
        let name = function
            .and_then(|f| f.name.as_deref())
            .filter(|n| !n.is_empty());
        let arguments = function.map(|f| f.arguments_text()).unwrap_or_default();
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
fn parse_usage(usage: &RawValue, price: Option<Cost>) -> Option<Usage> {
    let usage: Value = serde_json::from_str(usage.get()).ok()?;
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

fn foreign_schema(kind: Option<&str>) -> ProviderError {
    let kind = kind.map(|k| format!(" (event type \"{k}\")"));
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
