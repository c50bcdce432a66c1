//! `chat --json`: one JSON object per turn.

use host_sdk::ProviderError;
use serde_json::{Value, json};

use super::turn::Turn;

fn error_json(e: &ProviderError) -> Value {
    json!({
        "kind": e.kind.as_str(),
        "message": e.message,
        "status": e.status,
        "request_id": e.request_id,
    })
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

/// The `--json` object for a turn.
pub fn turn_json(turn: &Turn) -> Value {
    if let Some(e) = &turn.error {
        return json!({ "error": error_json(e), "attempts": attempts_json(turn) });
    }
    let r = &turn.response;
    json!({
        "model": turn.model,
        "served_by": r.served_by,
        "request_id": r.request_id,
        "content": r.content,
        "reasoning": r.reasoning,
        "tool_calls": r.tool_calls.iter().map(|c| json!({
            "id": c.id, "name": c.name, "arguments": c.arguments,
        })).collect::<Vec<_>>(),
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
