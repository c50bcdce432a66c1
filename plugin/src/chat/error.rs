//! Failed answers -> `ProviderError`: a kind a host can act on, and the server's own words.
//!
//! Backends behind the router word their errors in every shape seen in the recordings:
//! `{"error":"…"}`, `{"error":["…"]}`, `{"error":{"message":…}}`, `{"message":…}`,
//! `{"detail":"…"}` / `{"detail":[{"msg":…}]}`, `{"error_description":…}`, plain text, or
//! nothing but an `X-Error-Message` header. All of them end up in `message`.

use std::time::SystemTime;

use provider_abi::{ErrorKind, ProviderError};
use reqwest::header::HeaderMap;
use serde_json::Value;
use serde_json::value::RawValue;

use super::retry::parse_retry_after;

/// Longest message taken from a plain-text body (its first line); HTML error pages and
/// stack traces are not messages.
const MAX_TEXT_MESSAGE: usize = 300;
/// Longest message taken from a JSON body: long enough for the recorded 800-character
/// "Only … && … are supported" lists, short enough for one log line.
const MAX_JSON_MESSAGE: usize = 2000;

const PERMISSION_HINT: &str = "the token needs the 'Make calls to Inference Providers' permission (fine-grained token settings)";

/// The error for an answer with a non-success `status`.
pub(crate) fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let message = json
        .as_ref()
        .and_then(json_message)
        .or_else(|| text_message(body).filter(|_| json.is_none()))
        .or_else(|| header(headers, "x-error-message"))
        .unwrap_or_else(|| default_message(status));
    let code = json.as_ref().and_then(error_code);
    let kind = kind_for_status(status, code.as_deref());
    let message = match kind {
        ErrorKind::Permission => format!("{message} — {PERMISSION_HINT}"),
        _ => message,
    };
    let mut error = ProviderError::new(kind, message).with_status(status);
    if let Some(id) = request_id(headers).or_else(|| json.as_ref().and_then(body_request_id)) {
        error = error.with_request_id(id);
    }
    let retry_after = header(headers, "retry-after")
        .and_then(|v| parse_retry_after(&v, SystemTime::now()))
        .or_else(|| json.as_ref().and_then(estimated_time));
    if let Some(delay) = retry_after {
        error = error.with_retry_after(delay);
    }
    error
}

/// The error for an in-stream `error` chunk: its `error` value (as JSON text) and
/// `error_type`.
pub(crate) fn stream_error(error: &RawValue, error_type: Option<&str>) -> ProviderError {
    let error: Value = serde_json::from_str(error.get()).unwrap_or(Value::Null);
    let error = &error;
    let (message, kind) = match error {
        Value::Object(fields) => {
            let message = fields
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string);
            let status = fields
                .get("code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok());
            let label = ["type", "code"]
                .iter()
                .filter_map(|k| fields.get(*k).and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            let kind = match status {
                Some(status @ 400..=599) => kind_for_status(status, Some(&label)),
                _ => kind_for_label(&label),
            };
            (message.unwrap_or_else(|| error.to_string()), kind)
        }
        other => {
            let label = error_type.unwrap_or_default();
            (
                json_message_of(other).unwrap_or_else(|| other.to_string()),
                kind_for_label(label),
            )
        }
    };
    ProviderError::new(kind, cap(&message, MAX_JSON_MESSAGE))
}

fn kind_for_status(status: u16, code: Option<&str>) -> ErrorKind {
    let code = code.unwrap_or_default();
    match status {
        400 if code.contains("model_not_supported") => ErrorKind::ModelUnsupported,
        400 | 422 => ErrorKind::InvalidRequest,
        401 => ErrorKind::Auth,
        402 => ErrorKind::Billing,
        403 => ErrorKind::Permission,
        404 => ErrorKind::ModelUnsupported,
        // OpenAI-style backends answer an exhausted quota with 429: waiting will not help,
        // and failover treats Billing like a rate limit anyway.
        429 if code.contains("insufficient_quota") => ErrorKind::Billing,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    }
}

/// Kinds for TGI's `error_type` and OpenAI's `type` / `code` words.
fn kind_for_label(label: &str) -> ErrorKind {
    let label = label.to_ascii_lowercase();
    if label.contains("model_not_supported") {
        ErrorKind::ModelUnsupported
    } else if label.contains("validation") || label.contains("invalid_request") {
        ErrorKind::InvalidRequest
    } else if label.contains("rate_limit") {
        ErrorKind::RateLimited
    } else {
        // `overloaded`, `generation`, `incomplete_generation`, `server_error`, or nothing:
        // the backend failed while answering, which usually passes.
        ErrorKind::Unavailable
    }
}

/// The message of a JSON error body, in order: `error`, `error_description`, `detail`,
/// `message`.
fn json_message(body: &Value) -> Option<String> {
    let found = match body {
        Value::String(text) => Some(text.trim().to_string()).filter(|t| !t.is_empty()),
        _ => ["error", "error_description", "detail", "message"]
            .iter()
            .find_map(|field| body.get(*field).and_then(json_message_of)),
    }?;
    Some(cap(&found, MAX_JSON_MESSAGE))
}

/// Text from a string, an object with `message` (or `msg`), or a list of those.
fn json_message_of(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Object(fields) => ["message", "msg"]
            .iter()
            .find_map(|k| fields.get(*k).and_then(json_message_of))?,
        Value::Array(items) => items
            .iter()
            .filter_map(json_message_of)
            .collect::<Vec<_>>()
            .join("; "),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn error_code(body: &Value) -> Option<String> {
    let error = body.get("error")?;
    ["code", "type"]
        .iter()
        .find_map(|k| error.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}

/// The first non-blank line of a text body, unless it looks like an HTML page.
fn text_message(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    if line.starts_with('<') {
        return None;
    }
    Some(cap(line, MAX_TEXT_MESSAGE))
}

fn default_message(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unexpected status");
    format!("the server answered {status} {reason} without a message")
}

/// `x-request-id`, else `x-amzn-trace-id`.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    header(headers, "x-request-id").or_else(|| header(headers, "x-amzn-trace-id"))
}

fn body_request_id(body: &Value) -> Option<String> {
    body.get("request_id")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Whether the answer is the legacy "Model X is currently loading" 503. Loading
/// takes its `estimated_time` (tens of seconds): the error goes back at once,
/// with that delay, rather than holding the turn while another model (the
/// host's failover) could answer.
pub(crate) fn model_loading(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .as_ref()
        .and_then(estimated_time)
        .is_some()
}

/// The legacy "Model X is currently loading" answer says how long loading takes.
fn estimated_time(body: &Value) -> Option<std::time::Duration> {
    let seconds = body.get("estimated_time")?.as_f64()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| std::time::Duration::from_secs_f64(seconds))
}

pub(crate) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

fn cap(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests;
