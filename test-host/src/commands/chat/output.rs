//! `chat --json`: one JSON object per turn.

use host_sdk::ProviderError;
use serde_json::{Value, json};

use super::turn::Turn;
use crate::host::token_hint;
use crate::secrets::TokenSource;

fn error_json(e: &ProviderError, token: &TokenSource) -> Value {
    let mut error = json!({
        "kind": e.kind.as_str(),
        "message": e.message,
        "status": e.status,
        "request_id": e.request_id,
    });
    if let Some(hint) = token_hint(e, token) {
        error["hint"] = json!(hint);
    }
    error
}

fn attempts_json(turn: &Turn) -> Value {
    Value::Array(
        turn.attempts
            .iter()
            .map(|a| {
                json!({
                    "model": a.model,
                    "error_kind": a.error.kind.as_str(),
                    "message": a.error.message,
                })
            })
            .collect(),
    )
}

fn tool_calls_json(turn: &Turn) -> Value {
    Value::Array(
        turn.response
            .tool_calls
            .iter()
            .map(|c| json!({ "id": c.id, "name": c.name, "arguments": c.arguments }))
            .collect(),
    )
}

/// The `--json` object for a turn. A failed turn still carries what arrived
/// before the error (`content`, `reasoning`, `tool_calls`), as text mode
/// showed it: a stream cut off mid-answer loses nothing that was received.
/// An `auth` or `permission` error adds `hint`: which token was used
/// (masked) and what to run to replace it.
pub fn turn_json(turn: &Turn, token: &TokenSource) -> Value {
    let r = &turn.response;
    if let Some(e) = &turn.error {
        return json!({
            "error": error_json(e, token),
            "content": r.content,
            "reasoning": r.reasoning,
            "tool_calls": tool_calls_json(turn),
            "attempts": attempts_json(turn),
        });
    }
    json!({
        "model": turn.model,
        "served_by": r.served_by,
        "request_id": r.request_id,
        "content": r.content,
        "reasoning": r.reasoning,
        "tool_calls": tool_calls_json(turn),
        "finish_reason": r.finish_reason,
        "usage": r.usage.map(|u| json!({
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "total_tokens": u.total_tokens,
        })),
        "cost_usd": r.usage.and_then(|u| u.cost_usd),
        "attempts": attempts_json(turn),
    })
}
