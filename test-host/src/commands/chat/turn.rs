//! One turn: a request over the failover chain, streamed and collected.

use std::time::{Duration, Instant};

use host_sdk::{Attempt, ChatRequest, ChatResponse, Message, Provider, ProviderError};

use super::render::{Render, print_event};

/// The result of one turn.
#[derive(Debug)]
pub struct Turn {
    /// The canonical ref of the model that answered (or was last tried).
    pub model: String,
    /// The assembled answer (partial if the turn failed mid-stream).
    pub response: ChatResponse,
    /// The error that ended the turn, if any.
    pub error: Option<ProviderError>,
    /// Failed attempts, in order.
    pub attempts: Vec<Attempt>,
    /// Wall time of the turn.
    pub elapsed: Duration,
    /// Stdout was closed while the answer streamed; the answer was cancelled.
    pub stdout_closed: bool,
}

/// Runs one turn over the failover chain (`model`, then `fallbacks`): streams
/// the answer and collects every failed attempt. Ctrl-C cancels the answer
/// (the turn then ends with a `cancelled` error).
pub async fn run_turn(
    provider: &Provider,
    model: &str,
    fallbacks: &[String],
    messages: Vec<Message>,
    template: &ChatRequest,
    render: Render,
) -> Turn {
    let started = Instant::now();
    let request = ChatRequest {
        model: model.to_string(),
        messages,
        ..template.clone()
    };
    let mut stream = provider.complete_with_failover(request, fallbacks);
    let mut response = ChatResponse::default();
    let mut error = None;
    let mut in_reasoning = false;
    let mut noticed_fallback = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut cancelled = false;
    let mut stdout_closed = false;
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = &mut ctrl_c, if !cancelled => {
                cancelled = true;
                stream.cancel();
                continue;
            }
        };
        match item {
            Some(Ok(event)) => {
                if render.stream && stream.fell_back() && !noticed_fallback {
                    noticed_fallback = true;
                    if let Some(by) = stream.answered_by() {
                        errln!("[{model} failed; answering with fallback {by}]");
                    }
                }
                if !stdout_closed && !print_event(render, &event, &mut in_reasoning) {
                    // Nobody reads the answer any more: stop paying for it.
                    stdout_closed = true;
                    stream.cancel();
                }
                response.apply(&event);
            }
            Some(Err(e)) => {
                error = Some(e);
                break;
            }
            None => break,
        }
    }
    if render.stream && !stdout_closed {
        if in_reasoning {
            errln!();
        }
        let mut tail = String::new();
        if !response.content.is_empty() {
            tail.push('\n');
        }
        for call in &response.tool_calls {
            tail.push_str(&format!(
                "[tool call {} {}({})]\n",
                call.id, call.name, call.arguments
            ));
        }
        stdout_closed = crate::stdout::print(tail).is_err();
    }
    Turn {
        model: stream.answered_by().unwrap_or(model).to_string(),
        response,
        error,
        attempts: stream.attempts().to_vec(),
        elapsed: started.elapsed(),
        stdout_closed,
    }
}
