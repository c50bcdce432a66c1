//! Conformance with real traffic: what a good client makes of each recorded
//! exchange of `fixtures/recorded-chat`, and the check of what a client did
//! against it. One checker for every layer that replays the recordings (the
//! plugin's decoder and client in its unit tests, the loaded plugin end to
//! end), each adding the checks only its layer can make.
//!
//! `expected.jsonl` is derived mechanically from the recordings, so it keeps
//! what a good client changes on purpose; the comparison applies those changes
//! to the expectation, never to the recording:
//! - finish reasons are compared normalised (`eos_token`, `eos`, `COMPLETE`
//!   are `stop`), and an answer that ended with no finish reason is a `stop`;
//! - an inline `<think>…</think>` at the start of the content is expected as
//!   reasoning, and the answer after it without its leading whitespace;
//! - an error is expected as an error of the kind its status means, carrying
//!   the server's message and the status.
//!
//! The exchanges whose expectation is deliberately different are in
//! [`EXCEPTIONS`], each with the reason and what is asserted instead.

use std::collections::HashMap;

use serde_json::Value;

use crate::fixtures::{self, Exchange};

/// How a documented exception is checked instead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Exception {
    /// An error of kind `internal` whose message contains the text.
    Rejected(&'static str),
    /// The expected content, with this finish reason and usage instead of the
    /// recorded nulls.
    Recovered {
        /// The finish reason the client reports.
        finish_reason: &'static str,
        /// (prompt, completion, total) tokens.
        usage: (u64, u64, u64),
    },
}

/// Exchanges whose expected outcome is not the one `expected.jsonl` implies:
/// (id, how it is checked, why).
pub const EXCEPTIONS: &[(&str, Exception, &str)] = &[
    (
        "151",
        Exception::Rejected("not OpenAI-compatible"),
        "cohere's native v2 chat schema (no `choices`), not OpenAI-compatible chat \
         completions: rejected with a clear internal error instead of an empty answer",
    ),
    (
        "152",
        Exception::Rejected("not OpenAI-compatible"),
        "cohere's native v2 streaming schema (`message-start`, `content-delta` events): \
         rejected with a clear internal error naming the event type",
    ),
    (
        "157",
        Exception::Recovered {
            finish_reason: "stop",
            usage: (42, 6, 48),
        },
        "the last chunk has a stray `\"` after its JSON; expected.jsonl could not parse that \
         line and so records no finish reason and no usage, while the plugin reads the JSON \
         before the stray character and recovers both (content as expected)",
    ),
];

/// One recording and what a good client makes of it.
#[derive(Debug, Clone)]
pub struct Case {
    /// The recording.
    pub exchange: Exchange,
    /// Its line of `expected.jsonl`.
    pub expected: Value,
}

impl Case {
    /// `NNN`.
    pub fn id(&self) -> &str {
        &self.exchange.id
    }

    /// Whether the recorded request asked for a stream.
    pub fn stream_requested(&self) -> bool {
        self.exchange.request_body["stream"]
            .as_bool()
            .unwrap_or(false)
    }

    /// Its documented exception, if it has one.
    pub fn exception(&self) -> Option<Exception> {
        EXCEPTIONS
            .iter()
            .find(|(id, ..)| *id == self.id())
            .map(|(_, e, _)| *e)
    }
}

/// Every recording with its expectation, in id order.
///
/// # Errors
/// A fixture that cannot be read, or a recording with no expectation.
pub fn cases() -> Result<Vec<Case>, String> {
    let mut expected: HashMap<String, Value> = fixtures::expected()?
        .into_iter()
        .filter_map(|v| Some((v["id"].as_str()?.to_string(), v)))
        .collect();
    let mut ids: Vec<String> = std::fs::read_dir(fixtures::recorded_chat_dir())
        .map_err(|e| format!("recorded-chat: {e}"))?
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    ids.sort();
    ids.into_iter()
        .map(|id| {
            let exchange = fixtures::exchange(&id)?;
            let expected = expected
                .remove(&exchange.id)
                .ok_or_else(|| format!("{id} missing in expected.jsonl"))?;
            Ok(Case { exchange, expected })
        })
        .collect()
}

/// An error a client reported, in plain terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The error kind's snake_case name (`auth`, `internal`, ...).
    pub kind: String,
    /// Its message.
    pub message: String,
    /// The HTTP status it came with.
    pub status: Option<u16>,
}

/// What a client made of one exchange, in plain terms (testkit knows no
/// plugin or host types).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// The answer text.
    pub content: String,
    /// The reasoning text.
    pub reasoning: String,
    /// (id, name, arguments) of each tool call, in index order.
    pub tool_calls: Vec<(String, String, String)>,
    /// Why generation stopped.
    pub finish_reason: Option<String>,
    /// (prompt, completion, total) tokens.
    pub usage: Option<(u64, u64, u64)>,
    /// The error that ended the answer.
    pub error: Option<Failure>,
}

/// The error kind a recorded failure status means.
fn kind_for_status(status: u16) -> &'static str {
    match status {
        401 => "auth",
        404 => "model_unsupported",
        400 | 422 => "invalid_request",
        // OpenAI's `insufficient_quota`: out of credits, not a rate limit.
        429 => "billing",
        // 421 Misdirected Request (OpenAI's "Welcome to the OpenAI API!"): a
        // status with no meaning for a chat client.
        _ => "internal",
    }
}

/// Compares one outcome with the expectation; `Err` says what differs.
///
/// # Errors
/// The first difference.
pub fn check(case: &Case, outcome: &Outcome) -> Result<(), String> {
    let expected = &case.expected;
    let exception = case.exception();
    if let Some(Exception::Rejected(text)) = exception {
        return match &outcome.error {
            Some(e) if e.kind == "internal" && e.message.contains(text) => Ok(()),
            other => Err(format!(
                "expected a rejection mentioning {text:?}, got {other:?}"
            )),
        };
    }
    if let Some(message) = expected.get("error_message").and_then(Value::as_str) {
        let status = case.exchange.response.status;
        let kind = kind_for_status(status);
        return match &outcome.error {
            Some(e)
                if e.kind == kind && e.message.contains(message) && e.status == Some(status) =>
            {
                Ok(())
            }
            other => Err(format!(
                "expected a {kind} error carrying {message:?} with status {status}, got {other:?}"
            )),
        };
    }
    if let Some(e) = &outcome.error {
        return Err(format!("unexpected error: {e:?}"));
    }
    let (want_reasoning, want_content) = split_think(
        expected["reasoning"].as_str().unwrap_or_default(),
        expected["content"].as_str().unwrap_or_default(),
    );
    compare("content", &outcome.content, &want_content)?;
    compare("reasoning", &outcome.reasoning, &want_reasoning)?;
    let want_calls: Vec<(String, String, String)> = expected["tool_calls"]
        .as_array()
        .map(|calls| calls.iter().map(tool_call_of).collect())
        .unwrap_or_default();
    if outcome.tool_calls != want_calls {
        return Err(format!(
            "tool calls: got {:?}, want {want_calls:?}",
            outcome.tool_calls
        ));
    }
    let (want_finish, want_usage) = match exception {
        Some(Exception::Recovered {
            finish_reason,
            usage,
        }) => (Some(finish_reason.to_string()), Some(usage)),
        _ => (
            expected["finish_reason"]
                .as_str()
                .map(normalise_finish_reason),
            usage_of(&expected["usage"]),
        ),
    };
    let want_finish = want_finish.unwrap_or_else(|| "stop".into());
    if outcome.finish_reason.as_deref() != Some(want_finish.as_str()) {
        return Err(format!(
            "finish reason: got {:?}, want {want_finish:?}",
            outcome.finish_reason
        ));
    }
    if outcome.usage != want_usage {
        return Err(format!(
            "usage: got {:?}, want {want_usage:?}",
            outcome.usage
        ));
    }
    Ok(())
}

/// The summary line of a run, the documented exceptions after it, and the
/// failures (`failures` holds `id: what differs`). The caller asserts on
/// `failures`.
pub fn report(label: &str, total: usize, failures: &[String]) -> String {
    let mut text = format!(
        "{label}: {}/{total} recorded exchanges pass ({} by a documented exception)",
        total - failures.len(),
        EXCEPTIONS.len()
    );
    for (id, _, reason) in EXCEPTIONS {
        text.push_str(&format!("\n  exception {id}: {reason}"));
    }
    for failure in failures {
        text.push_str(&format!("\n  FAILED {failure}"));
    }
    text
}

fn compare(what: &str, got: &str, want: &str) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    Err(format!("{what}: got {got:?}, want {want:?}"))
}

/// The recorded reasoning and content, with a leading inline `<think>` moved
/// to reasoning.
fn split_think(reasoning: &str, content: &str) -> (String, String) {
    if let Some(rest) = content.trim_start().strip_prefix("<think>")
        && let Some((thoughts, answer)) = rest.split_once("</think>")
    {
        return (
            format!("{reasoning}{thoughts}"),
            answer.trim_start().to_string(),
        );
    }
    (reasoning.to_string(), content.to_string())
}

/// The words for "the model finished" that backends use, as the standard ones.
fn normalise_finish_reason(reason: &str) -> String {
    match reason {
        "eos_token" | "eos" | "COMPLETE" => "stop".to_string(),
        other => other.to_string(),
    }
}

fn tool_call_of(call: &Value) -> (String, String, String) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        text(&call["id"]),
        text(&call["function"]["name"]),
        text(&call["function"]["arguments"]),
    )
}

fn usage_of(usage: &Value) -> Option<(u64, u64, u64)> {
    let prompt = usage.get("prompt_tokens")?.as_u64()?;
    let completion = usage.get("completion_tokens")?.as_u64()?;
    Some((prompt, completion, usage.get("total_tokens")?.as_u64()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recording_has_an_expectation_and_every_exception_a_recording() {
        let cases = cases().unwrap();
        assert_eq!(cases.len(), 158);
        for (id, ..) in EXCEPTIONS {
            assert!(cases.iter().any(|c| c.id() == *id), "{id}");
        }
    }

    #[test]
    fn think_tags_move_to_reasoning_and_finish_words_normalise() {
        assert_eq!(
            split_think("a", "  <think>b</think>\n\nanswer"),
            ("ab".to_string(), "answer".to_string())
        );
        assert_eq!(normalise_finish_reason("eos_token"), "stop");
        assert_eq!(normalise_finish_reason("length"), "length");
    }
}
