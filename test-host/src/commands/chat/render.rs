//! How a turn looks on a terminal: the streamed text, reasoning and notices,
//! and the footer after an answer.

use std::io::Write;

use host_sdk::ChatEvent;

use super::turn::Turn;

/// How streamed output is shown.
#[derive(Debug, Clone, Copy)]
pub struct Render {
    /// Print text as it streams (off for `--json`).
    pub stream: bool,
    /// Show reasoning.
    pub reasoning: bool,
    /// Use ANSI colours on stderr. Without colour, reasoning is labelled
    /// (`thinking: `) so it can be told from the answer.
    pub colour: bool,
}

/// The label of a reasoning block when it cannot be dimmed.
pub const THINKING_LABEL: &str = "thinking: ";

const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Shows one event as it streams. Returns `false` when stdout is closed
/// (`| head`): the caller then cancels the answer, nobody reads it.
pub(super) fn print_event(render: Render, event: &ChatEvent, in_reasoning: &mut bool) -> bool {
    if !render.stream {
        return true;
    }
    match event {
        ChatEvent::Reasoning(text) if render.reasoning => {
            let mut err = std::io::stderr().lock();
            if render.colour {
                let _ = write!(err, "{DIM}{text}{RESET}");
            } else if *in_reasoning {
                let _ = write!(err, "{text}");
            } else {
                let _ = write!(err, "{THINKING_LABEL}{text}");
            }
            let _ = err.flush();
            *in_reasoning = true;
        }
        ChatEvent::Content(text) => {
            if *in_reasoning {
                errln!();
                *in_reasoning = false;
            }
            let mut out = std::io::stdout().lock();
            if let Err(e) = write!(out, "{text}").and_then(|()| out.flush()) {
                return e.kind() != std::io::ErrorKind::BrokenPipe;
            }
        }
        ChatEvent::Retrying {
            attempt,
            delay_ms,
            error,
        } => errln!("[retrying after attempt {attempt} in {delay_ms} ms: {error}]"),
        _ => {}
    }
    true
}

/// The footer shown after an answer: model, backend, tokens, cost, time.
pub fn footer(turn: &Turn) -> String {
    let r = &turn.response;
    let mut parts = vec![turn.model.clone()];
    if let Some(b) = &r.served_by {
        parts.push(format!("via {b}"));
    }
    if let Some(u) = r.usage {
        parts.push(format!(
            "{} in / {} out tokens",
            u.prompt_tokens, u.completion_tokens
        ));
        if let Some(c) = u.cost_usd {
            parts.push(format!("${c:.6}"));
        }
    }
    parts.push(format!("{:.1} s", turn.elapsed.as_secs_f64()));
    parts.join(" · ")
}

pub(super) fn paint(colour: bool, text: &str) -> String {
    if colour {
        format!("{DIM}{text}{RESET}")
    } else {
        text.to_string()
    }
}
