//! `chat --json`: one JSON object per turn.

use host_sdk::ProviderError;
use serde_json::{Value, json};

use super::Advice;
use super::turn::Turn;

fn error_json(e: &ProviderError, advice: &Advice) -> Value {
    let mut error = json!({
        "kind": e.kind.as_str(),
        "message": e.message,
        "status": e.status,
        "request_id": e.request_id,
    });
    if let Some(hint) = advice.hint(e) {
        error["hint"] = json!(hint);
    }
    error
}

/// Significant digits a cost keeps: far more than any price and token count
/// carry (a price has a few, a count at most 7), far fewer than the 17 that
/// print a sum's binary noise (`4.7399999999999995e-6` for 4.74e-6).
const COST_DIGITS: usize = 12;

/// `usd` without the noise of binary arithmetic: rounded to
/// [`COST_DIGITS`] significant digits, which prints as the prices read.
pub(super) fn rounded_usd(usd: f64) -> f64 {
    if !usd.is_finite() || usd == 0.0 {
        return usd;
    }
    format!("{usd:.prec$e}", prec = COST_DIGITS - 1)
        .parse()
        .unwrap_or(usd)
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
/// (masked) and what to run to replace it; a 404 from a base URL without
/// `/v1`, the URL to try.
pub fn turn_json(turn: &Turn, advice: &Advice) -> Value {
    let r = &turn.response;
    if let Some(e) = &turn.error {
        return json!({
            "error": error_json(e, advice),
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
        "cost_usd": r.usage.and_then(|u| u.cost_usd).map(rounded_usd),
        "attempts": attempts_json(turn),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_lose_their_float_noise_and_nothing_else() {
        // 12 prompt tokens at $0.07 and 9 completion tokens at $0.43 per 1M.
        let sum = 12.0 * 0.07 / 1e6 + 9.0 * 0.43 / 1e6;
        assert_ne!(sum.to_string(), "0.00000471");
        assert_eq!(json!(rounded_usd(sum)).to_string(), "4.71e-6");
        assert_eq!(
            json!(rounded_usd(4.7399999999999995e-6)).to_string(),
            "4.74e-6"
        );
        for exact in [0.0, 1.0, 0.000108, 123.456789012, 7e-9] {
            assert_eq!(rounded_usd(exact), exact);
        }
        assert!(rounded_usd(f64::NAN).is_nan());
    }
}
