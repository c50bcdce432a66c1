//! Scenarios: scripted router behaviours that end-to-end tests select per request.
//!
//! A request picks a scenario with the header `x-mock-scenario: <scenario>` or
//! by asking for the model `mock/<scenario>`; the header wins. Requests for a
//! real model without the header get the default echo answer ([`Scenario::Echo`]).
//!
//! Unless a scenario says otherwise, the answer is the echo answer:
//! content [`answer_for`]`(last user text)` = `"Hello! You said: <text>"`,
//! streamed as word pieces (`str::split_inclusive(' ')`), preceded by a
//! `{"role":"assistant","content":""}` chunk and followed by a chunk with an
//! empty delta and `finish_reason: "stop"`, then (with
//! `stream_options.include_usage`) a usage chunk with `choices: []`, then
//! `data: [DONE]`. Usage is computed: `prompt_tokens` = whitespace-separated
//! words in all message texts, `completion_tokens` = number of streamed
//! reasoning + content pieces. A reasoning model (deepseek-ai/DeepSeek-R1)
//! asked without a scenario first streams [`REASONING_TEXT`] as
//! `reasoning_content` pieces; with a scenario, the scenario alone decides.
//! Use [`expected`] to get what a client should report for a scenario.

use std::time::Duration;

/// What every echo answer starts with.
pub const ANSWER_PREFIX: &str = "Hello! You said: ";

/// The reasoning text of the reasoning scenarios and of reasoning models
/// (deepseek-ai/DeepSeek-R1), streamed as word pieces before the answer.
pub const REASONING_TEXT: &str = "The user sent a message. I will echo it back politely.";

/// The answer of `split-utf8`, whatever the request said.
pub const SPLIT_UTF8_TEXT: &str = "Grüße aus Zürich: 日本語テキスト 🙂👍 café naïve ✓";

/// The message of the `stream-error` event.
pub const STREAM_ERROR_MESSAGE: &str = "Model is overloaded";

/// The usage reported by the `usage` scenario: (prompt, completion, total).
pub const SCENARIO_USAGE: (u64, u64, u64) = (12, 34, 46);

/// The unit repeated to fill the `huge-body` answer (16 bytes).
pub const HUGE_BODY_UNIT: &str = "huge-body-filler";

/// Length in bytes of the `huge-body` answer's content (21 MiB).
pub const HUGE_BODY_CONTENT_BYTES: usize = 21 * 1024 * 1024;

/// The tool calls of the `tool-calls` scenario, in index order:
/// (id, function name, arguments JSON string).
pub const TOOL_CALLS: [(&str, &str, &str); 2] = [
    (
        "call_mock_1",
        "get_weather",
        r#"{"city":"Paris","unit":"celsius"}"#,
    ),
    ("call_mock_2", "get_time", r#"{"timezone":"Europe/Paris"}"#),
];

/// A scripted behaviour. The doc of each variant is its exact contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scenario {
    /// `echo`: the default answer (see the module doc).
    Echo,
    /// `reasoning-field`: [`REASONING_TEXT`] as `delta.reasoning` pieces, then
    /// the echo answer. Non-streaming: `message.reasoning`.
    ReasoningField,
    /// `reasoning-content`: as `reasoning-field` under `reasoning_content`.
    ReasoningContent,
    /// `reasoning-text`: as `reasoning-field` under `reasoning_text`.
    ReasoningText,
    /// `reasoning-think`: everything in `content`:
    /// `"<think>" + REASONING_TEXT + "</think>\n\n" + answer`, streamed as
    /// `"<thi"`, `"nk>"`, the reasoning words, `"</th"`, `"ink>\n\n"`, the
    /// answer words — both tags split across chunks.
    ReasoningThink,
    /// `tool-calls`: no content; the two [`TOOL_CALLS`], streamed one after the
    /// other by `index`: a first delta with `id`, `type: "function"`,
    /// `function.name` and `arguments: ""`, then continuation deltas with
    /// `id: ""`, `function.name: null` and ~10-byte argument pieces.
    /// `finish_reason: "tool_calls"`.
    ToolCalls,
    /// `usage`: the echo answer with usage [`SCENARIO_USAGE`], sent as a
    /// `choices: []` chunk even without `include_usage`.
    Usage,
    /// `rate-limit`: 429 with `Retry-After: 1` and an OpenAI-style error object.
    RateLimit,
    /// `rate-limit-no-retry-after`: 429 without `Retry-After`.
    RateLimitNoRetryAfter,
    /// `fail-then-ok:N:STATUS` (or `fail-then-ok:N-STATUS`): the first N
    /// requests with the same `x-mock-key` header (or, without it, the same
    /// scenario string) get STATUS with the body of `status:STATUS`; later
    /// ones the echo answer. The `-` form is the one a model ref can carry
    /// (`mock/fail-then-ok:2-500`): a ref's suffix cannot contain a second `:`.
    FailThenOk {
        /// How many requests fail.
        failures: u32,
        /// Their status (500/502/503/504 expected; any 4xx/5xx accepted).
        status: u16,
    },
    /// `flaky:N`: every N-th request with this scenario string (counted like
    /// `fail-then-ok`) gets a 500 with the body of `status:500`; the others
    /// the echo answer. A steady mix of retries for soak runs.
    Flaky(u32),
    /// `reset-before`: the connection is reset (TCP RST) with no response at all.
    ResetBefore,
    /// `reset-mid`: 200, headers, the role chunk and the first two answer
    /// pieces (`"Hello! "`, `"You "`), then the connection is dropped
    /// mid-body (no terminating chunk). Non-streaming: half the JSON, then drop.
    ResetMid,
    /// `stall-before:MS`: nothing for MS milliseconds, then the echo answer.
    StallBefore(Duration),
    /// `stall-mid:MS`: role chunk and two answer pieces, a pause of MS, then the
    /// rest of the echo answer. Non-streaming: half the JSON, pause, the rest.
    StallMid(Duration),
    /// `malformed-chunk`: the echo stream with `data: {"id":"chatcmpl-broken","choices":[{"delta":{"content":"BROKEN`
    /// (invalid JSON) inserted after the second answer piece. Non-streaming:
    /// the first half of the JSON body only. [`expected`] describes the wire
    /// (what a client that skips the broken event would assemble); the plugin
    /// is deliberately strict and ends the answer there with an error.
    MalformedChunk,
    /// `stream-error`: role chunk, two answer pieces, then
    /// `data: {"error":"Model is overloaded","error_type":"overloaded"}` and a
    /// clean end without `finish_reason` or `[DONE]`. Non-streaming: 200 with
    /// that error JSON as the body.
    StreamError,
    /// `truncated`: role chunk and three answer pieces (= [`ANSWER_PREFIX`]),
    /// then a clean end without `finish_reason` or `[DONE]`. Non-streaming: the
    /// first half of the JSON body.
    Truncated,
    /// `no-done`: the full echo stream (with usage chunk if asked) but no `[DONE]`.
    NoDone,
    /// `crlf`: the echo stream with `\r\n` line endings and `data:` without a space.
    Crlf,
    /// `split-utf8`: answer [`SPLIT_UTF8_TEXT`], the byte stream written so that
    /// every multi-byte character is split between two writes ~2 ms apart.
    SplitUtf8,
    /// `status:CODE`: CODE with the real router's body (see `errors.rs`):
    /// 400 `model_not_supported`, 401, 402, 403, 404 `Not Found` text/plain,
    /// 422 validation, 429, 500, 502/504 HTML, 503 "currently loading".
    Status(u16),
    /// `huge-body`: content of [`HUGE_BODY_CONTENT_BYTES`] bytes
    /// ([`HUGE_BODY_UNIT`] repeated); one JSON body, or 64 KiB content chunks
    /// when streaming.
    HugeBody,
    /// `slow:MS`: the echo answer with MS between chunks.
    Slow(Duration),
    /// `replay:NNN`: the recorded response of `recorded-chat/NNN.json`, byte
    /// for byte (status, content-type, body) in 7-byte writes. Also reachable
    /// as base URL `http://ADDR/replay/NNN/v1`.
    Replay(String),
}

impl Scenario {
    /// Parses a scenario string such as `stall-mid:500`.
    pub fn parse(text: &str) -> Option<Scenario> {
        let (name, arg) = match text.split_once(':') {
            Some((name, arg)) => (name, Some(arg)),
            None => (text, None),
        };
        let millis = |arg: Option<&str>| -> Option<Duration> {
            arg?.parse::<u64>().ok().map(Duration::from_millis)
        };
        let scenario = match (name, arg) {
            ("echo", None) => Scenario::Echo,
            ("reasoning-field", None) => Scenario::ReasoningField,
            ("reasoning-content", None) => Scenario::ReasoningContent,
            ("reasoning-text", None) => Scenario::ReasoningText,
            ("reasoning-think", None) => Scenario::ReasoningThink,
            ("tool-calls", None) => Scenario::ToolCalls,
            ("usage", None) => Scenario::Usage,
            ("rate-limit", None) => Scenario::RateLimit,
            ("rate-limit-no-retry-after", None) => Scenario::RateLimitNoRetryAfter,
            ("reset-before", None) => Scenario::ResetBefore,
            ("reset-mid", None) => Scenario::ResetMid,
            ("malformed-chunk", None) => Scenario::MalformedChunk,
            ("stream-error", None) => Scenario::StreamError,
            ("truncated", None) => Scenario::Truncated,
            ("no-done", None) => Scenario::NoDone,
            ("crlf", None) => Scenario::Crlf,
            ("split-utf8", None) => Scenario::SplitUtf8,
            ("huge-body", None) => Scenario::HugeBody,
            ("stall-before", arg) => Scenario::StallBefore(millis(arg)?),
            ("stall-mid", arg) => Scenario::StallMid(millis(arg)?),
            ("slow", arg) => Scenario::Slow(millis(arg)?),
            ("status", Some(code)) => Scenario::Status(parse_status(code)?),
            ("fail-then-ok", Some(rest)) => {
                let (count, status) = rest.split_once([':', '-'])?;
                Scenario::FailThenOk {
                    failures: count.parse().ok()?,
                    status: parse_status(status)?,
                }
            }
            ("flaky", Some(n)) => Scenario::Flaky(n.parse().ok().filter(|n| *n > 0)?),
            ("replay", Some(id)) => Scenario::Replay(fixture_id(id)?),
            _ => return None,
        };
        Some(scenario)
    }

    /// The delta / message field carrying reasoning, for the scenarios that
    /// put it in a separate field.
    pub(crate) fn reasoning_field(&self) -> Option<&'static str> {
        match self {
            Scenario::ReasoningField => Some("reasoning"),
            Scenario::ReasoningContent => Some("reasoning_content"),
            Scenario::ReasoningText => Some("reasoning_text"),
            _ => None,
        }
    }
}

fn parse_status(text: &str) -> Option<u16> {
    text.parse::<u16>()
        .ok()
        .filter(|code| (400..=599).contains(code))
}

/// Normalises a fixture id to three digits; digits only, so it can never
/// name a path outside the fixture directory.
pub(crate) fn fixture_id(text: &str) -> Option<String> {
    if text.is_empty() || text.len() > 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u32 = text.parse().ok()?;
    Some(format!("{number:03}"))
}

/// The echo answer for a request whose last user message is `user_text`.
pub fn answer_for(user_text: &str) -> String {
    format!("{ANSWER_PREFIX}{user_text}")
}

/// Splits text into the word pieces the mock streams.
pub fn word_pieces(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_owned).collect()
}

/// What a correct client reports for a successful (or partially successful)
/// scenario, given the text of the request's last user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The answer text. For `reasoning-think` this is the part after
    /// `</think>` with leading whitespace removed.
    pub content: String,
    /// The concatenated `delta.content` exactly as sent (differs from
    /// `content` only for `reasoning-think`).
    pub raw_content: String,
    /// Reasoning text, when the scenario has some.
    pub reasoning: Option<String>,
    /// Tool calls: (id, name, arguments).
    pub tool_calls: Vec<(String, String, String)>,
    /// The finish reason, or `None` when the stream ends without one.
    pub finish_reason: Option<&'static str>,
    /// Fixed usage (prompt, completion, total), for the `usage` scenario only.
    pub usage: Option<(u64, u64, u64)>,
    /// Whether the stream ends in error (a broken connection or an error
    /// event) after the content above was delivered.
    pub ends_in_error: bool,
}

/// Expectations for a scenario string, or `None` for scenarios without an
/// answer (errors, resets, replays) and unknown strings.
pub fn expected(scenario: &str, user_text: &str) -> Option<Expected> {
    let answer = answer_for(user_text);
    let pieces = word_pieces(&answer);
    let first = |n: usize| {
        pieces
            .iter()
            .take(n)
            .map(String::as_str)
            .collect::<String>()
    };
    let mut out = Expected {
        content: answer.clone(),
        raw_content: answer.clone(),
        reasoning: None,
        tool_calls: Vec::new(),
        finish_reason: Some("stop"),
        usage: None,
        ends_in_error: false,
    };
    match Scenario::parse(scenario)? {
        Scenario::Echo
        | Scenario::StallBefore(_)
        | Scenario::StallMid(_)
        | Scenario::MalformedChunk
        | Scenario::NoDone
        | Scenario::Crlf
        | Scenario::Slow(_)
        | Scenario::FailThenOk { .. }
        | Scenario::Flaky(_) => {}
        Scenario::ReasoningField | Scenario::ReasoningContent | Scenario::ReasoningText => {
            out.reasoning = Some(REASONING_TEXT.to_owned());
        }
        Scenario::ReasoningThink => {
            out.reasoning = Some(REASONING_TEXT.to_owned());
            out.raw_content = format!("<think>{REASONING_TEXT}</think>\n\n{answer}");
        }
        Scenario::ToolCalls => {
            out.content = String::new();
            out.raw_content = String::new();
            out.finish_reason = Some("tool_calls");
            out.tool_calls = TOOL_CALLS
                .iter()
                .map(|(id, name, args)| ((*id).into(), (*name).into(), (*args).into()))
                .collect();
        }
        Scenario::Usage => out.usage = Some(SCENARIO_USAGE),
        Scenario::ResetMid | Scenario::StreamError => {
            out.content = first(2);
            out.raw_content = first(2);
            out.finish_reason = None;
            out.ends_in_error = true;
        }
        Scenario::Truncated => {
            out.content = first(3);
            out.raw_content = first(3);
            out.finish_reason = None;
        }
        Scenario::SplitUtf8 => {
            out.content = SPLIT_UTF8_TEXT.to_owned();
            out.raw_content = SPLIT_UTF8_TEXT.to_owned();
        }
        Scenario::HugeBody => {
            let huge = huge_content();
            out.content = huge.clone();
            out.raw_content = huge;
        }
        Scenario::RateLimit
        | Scenario::RateLimitNoRetryAfter
        | Scenario::ResetBefore
        | Scenario::Status(_)
        | Scenario::Replay(_) => return None,
    }
    Some(out)
}

/// The `huge-body` content.
pub(crate) fn huge_content() -> String {
    HUGE_BODY_UNIT.repeat(HUGE_BODY_CONTENT_BYTES / HUGE_BODY_UNIT.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        assert_eq!(Scenario::parse("flaky:3"), Some(Scenario::Flaky(3)));
        assert_eq!(Scenario::parse("flaky:0"), None);
        assert_eq!(
            Scenario::parse("fail-then-ok:2:503"),
            Some(Scenario::FailThenOk {
                failures: 2,
                status: 503
            })
        );
        assert_eq!(
            Scenario::parse("fail-then-ok:1-500"),
            Some(Scenario::FailThenOk {
                failures: 1,
                status: 500
            })
        );
        assert_eq!(
            Scenario::parse("stall-mid:250"),
            Some(Scenario::StallMid(Duration::from_millis(250)))
        );
        assert_eq!(
            Scenario::parse("replay:7"),
            Some(Scenario::Replay("007".into()))
        );
        assert_eq!(Scenario::parse("replay:../x"), None);
        assert_eq!(Scenario::parse("status:200"), None);
        assert_eq!(Scenario::parse("nope"), None);
        assert_eq!(Scenario::parse("crlf:1"), None);
    }

    #[test]
    fn truncated_content_is_the_prefix() {
        let expected = expected("truncated", "hi there");
        assert_eq!(expected.map(|e| e.content), Some(ANSWER_PREFIX.to_owned()));
    }
}
