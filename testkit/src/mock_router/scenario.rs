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
//! reasoning + content pieces, plus one per tool call. A reasoning model
//! (deepseek-ai/DeepSeek-R1) asked without a scenario first streams
//! [`REASONING_TEXT`] as `reasoning_content` pieces; with a scenario, the
//! scenario alone decides.
//! Use [`expected`] to get what a client should report for a scenario.
//!
//! The scenarios that take a number accept it after `:` (`status:503`) or
//! after `-` (`status-503`). The `-` form is the one a model ref can carry
//! when the catalog is checked: a ref's `:suffix` is read as a backend name.

use std::time::Duration;

use serde_json::Value;

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

/// The id of the `tool-once` call. Alphanumeric because the OpenClaw gateway
/// rewrites other ids when it replays the conversation, and the tool result
/// must still answer this call.
pub const TOOL_ONCE_CALL_ID: &str = "calltoolonce1";

/// The function `tool-once` calls whenever the request offers it.
pub const TOOL_ONCE_PREFERRED_TOOL: &str = "ls";

/// The arguments of the `tool-once` call: none, so that any tool without
/// required parameters accepts them.
pub const TOOL_ONCE_ARGUMENTS: &str = "{}";

/// What the `tool-once` answer after the tool ran starts with.
pub const TOOL_ONCE_ANSWER_PREFIX: &str = "The tool said: ";

/// At most this many characters of the tool's output are quoted.
pub const TOOL_ONCE_QUOTE_CHARS: usize = 80;

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
    /// `tool-once`: an agent turn that calls one tool, then answers from its
    /// result.
    /// - No `tool` message after the last `assistant` message (or no
    ///   assistant message at all): one tool call, id
    ///   [`TOOL_ONCE_CALL_ID`], arguments [`TOOL_ONCE_ARGUMENTS`] (`{}`), to
    ///   the function [`TOOL_ONCE_PREFERRED_TOOL`] (`ls`) when `tools` offers
    ///   it, else to the first offered function whose `parameters` have no
    ///   `required` list (or an empty one). Streamed like `tool-calls` (head
    ///   delta with `id`, `type`, `function.name`, `arguments: ""`, then the
    ///   argument pieces), `finish_reason: "tool_calls"`; non-streaming, one
    ///   `message.tool_calls` entry with `content: null`. No usable function
    ///   offered: the echo answer.
    /// - A `tool` message after the last `assistant` message (user messages
    ///   may follow it: the gateway appends its runtime context): the text
    ///   [`tool_once_answer`]`(content of the last tool message)` =
    ///   `"The tool said: <its first line, at most 80 chars>"`, streamed as
    ///   word pieces like the echo answer, `finish_reason: "stop"`.
    ToolOnce,
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
    /// `stall-before:MS` (or `stall-before-MS`): nothing for MS milliseconds,
    /// then the echo answer.
    StallBefore(Duration),
    /// `stall-mid:MS` (or `stall-mid-MS`): role chunk and two answer pieces, a
    /// pause of MS, then the rest of the echo answer. Non-streaming: half the
    /// JSON, pause, the rest.
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
    /// `status:CODE` (or `status-CODE`; CODE in 400..=599): CODE with the
    /// real router's body (see `errors.rs`):
    /// 400 `model_not_supported`, 401, 402, 403, 404 `Not Found` text/plain,
    /// 422 validation, 429, 500, 502/504 HTML, 503 "currently loading".
    Status(u16),
    /// `huge-body`: content of [`HUGE_BODY_CONTENT_BYTES`] bytes
    /// ([`HUGE_BODY_UNIT`] repeated); one JSON body, or 64 KiB content chunks
    /// when streaming.
    HugeBody,
    /// `slow:MS` (or `slow-MS`): the echo answer with MS between chunks.
    Slow(Duration),
    /// `replay:NNN`: the recorded response of `recorded-chat/NNN.json`, byte
    /// for byte (status, content-type, body) in 7-byte writes. Also reachable
    /// as base URL `http://ADDR/replay/NNN/v1`.
    Replay(String),
}

impl Scenario {
    /// Parses a scenario string such as `stall-mid:500` or `stall-mid-500`.
    pub fn parse(text: &str) -> Option<Scenario> {
        let (name, arg) = split_argument(text);
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
            ("tool-once", None) => Scenario::ToolOnce,
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

/// The scenarios whose number may follow a `-` instead of a `:`.
const DASH_ARGUMENT: [&str; 4] = ["status", "slow", "stall-before", "stall-mid"];

/// Splits a scenario string into its name and argument: at the first `:`,
/// else, for the [`DASH_ARGUMENT`] scenarios, at the `-` after the name.
fn split_argument(text: &str) -> (&str, Option<&str>) {
    if let Some((name, arg)) = text.split_once(':') {
        return (name, Some(arg));
    }
    DASH_ARGUMENT
        .iter()
        .find_map(|name| {
            let arg = text.strip_prefix(name)?.strip_prefix('-')?;
            Some((*name, Some(arg)))
        })
        .unwrap_or((text, None))
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

/// The `tool-once` answer once the tool ran: [`TOOL_ONCE_ANSWER_PREFIX`] and
/// the first line of the tool's output, cut to [`TOOL_ONCE_QUOTE_CHARS`]
/// characters.
pub fn tool_once_answer(tool_output: &str) -> String {
    let first_line = tool_output.lines().next().unwrap_or("");
    let quote: String = first_line.chars().take(TOOL_ONCE_QUOTE_CHARS).collect();
    format!("{TOOL_ONCE_ANSWER_PREFIX}{quote}")
}

/// The function `tool-once` calls, given the request's `tools`: the one
/// named [`TOOL_ONCE_PREFERRED_TOOL`], else the first that `{}` satisfies
/// (no `required` list, or an empty one); `None` when none fits.
pub(crate) fn tool_once_target(tools: Option<&Value>) -> Option<String> {
    let functions: Vec<(&str, &Value)> = tools?
        .as_array()?
        .iter()
        .filter_map(|tool| {
            let function = tool.get("function")?;
            Some((function.get("name")?.as_str()?, function))
        })
        .collect();
    let takes_no_arguments = |function: &Value| {
        function
            .pointer("/parameters/required")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
    };
    functions
        .iter()
        .find(|(name, _)| *name == TOOL_ONCE_PREFERRED_TOOL)
        .or_else(|| functions.iter().find(|(_, f)| takes_no_arguments(f)))
        .map(|(name, _)| (*name).to_owned())
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
///
/// `tool-once` depends on more than the user text: this is its first turn
/// when the request offers `ls` (the call). Its turn after the tool ran
/// reports content [`tool_once_answer`]`(tool output)` and finish `stop`.
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
        Scenario::ToolOnce => {
            out.content = String::new();
            out.raw_content = String::new();
            out.finish_reason = Some("tool_calls");
            out.tool_calls = vec![(
                TOOL_ONCE_CALL_ID.into(),
                TOOL_ONCE_PREFERRED_TOOL.into(),
                TOOL_ONCE_ARGUMENTS.into(),
            )];
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
    use serde_json::json;

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
    fn dash_forms_equal_colon_forms() {
        for (dash, colon) in [
            ("status-503", "status:503"),
            ("slow-200", "slow:200"),
            ("stall-before-50", "stall-before:50"),
            ("stall-mid-250", "stall-mid:250"),
        ] {
            assert_eq!(Scenario::parse(dash), Scenario::parse(colon), "{dash}");
            assert!(Scenario::parse(dash).is_some(), "{dash}");
        }
        for invalid in [
            "status-200",
            "status-",
            "slow-fast",
            "stall-before",
            "stall-mid-",
            "status-503-1",
            "echo-1",
            "flaky-3",
        ] {
            assert_eq!(Scenario::parse(invalid), None, "{invalid}");
        }
        assert_eq!(Scenario::parse("tool-once"), Some(Scenario::ToolOnce));
    }

    #[test]
    fn tool_once_quotes_the_first_line_cut_to_80_chars() {
        assert_eq!(tool_once_answer("a.txt\r\nb.txt"), "The tool said: a.txt");
        assert_eq!(tool_once_answer(""), "The tool said: ");
        let long = "é".repeat(100);
        let quoted = tool_once_answer(&long);
        assert_eq!(quoted, format!("The tool said: {}", "é".repeat(80)));
    }

    #[test]
    fn tool_once_prefers_ls_then_a_tool_without_required_parameters() {
        let tool = |name: &str, required: Value| {
            json!({"type": "function", "function": {
                "name": name,
                "parameters": {"type": "object", "properties": {}, "required": required},
            }})
        };
        let read = tool("read", json!(["path"]));
        let status = tool("status", json!([]));
        let ls = tool("ls", json!(["path"]));
        let bare = json!({"type": "function", "function": {"name": "bare"}});
        let target = |tools: Value| tool_once_target(Some(&tools));
        assert_eq!(target(json!([read, status, ls])).as_deref(), Some("ls"));
        assert_eq!(target(json!([read, status])).as_deref(), Some("status"));
        assert_eq!(target(json!([read, bare])).as_deref(), Some("bare"));
        assert_eq!(target(json!([read])), None);
        assert_eq!(target(json!([])), None);
        assert_eq!(tool_once_target(None), None);
    }

    #[test]
    fn truncated_content_is_the_prefix() {
        let expected = expected("truncated", "hi there");
        assert_eq!(expected.map(|e| e.content), Some(ANSWER_PREFIX.to_owned()));
    }
}
