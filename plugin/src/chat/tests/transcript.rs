//! Test support: an event stream folded into what a host would show.

use provider_abi::{ChatEvent, Usage};

/// Everything a completion said, concatenated.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Transcript {
    pub content: String,
    pub reasoning: String,
    /// (id, name, arguments) per call, in index order.
    pub tool_calls: Vec<(String, String, String)>,
    pub usage: Option<Usage>,
    pub finish_reason: Option<String>,
    pub served_by: Vec<(String, Option<String>, Option<String>)>,
    pub retries: Vec<(u32, u64)>,
}

impl Transcript {
    pub(crate) fn of(events: &[ChatEvent]) -> Self {
        let mut t = Transcript::default();
        for event in events {
            match event {
                ChatEvent::Content(text) => t.content.push_str(text),
                ChatEvent::Reasoning(text) => t.reasoning.push_str(text),
                ChatEvent::ToolCall(delta) => {
                    let index = delta.index as usize;
                    if t.tool_calls.len() <= index {
                        t.tool_calls.resize(index + 1, Default::default());
                    }
                    let call = &mut t.tool_calls[index];
                    if let Some(id) = &delta.id {
                        call.0.clone_from(id);
                    }
                    if let Some(name) = &delta.name {
                        call.1.clone_from(name);
                    }
                    call.2.push_str(&delta.arguments);
                }
                ChatEvent::Usage(usage) => t.usage = Some(*usage),
                ChatEvent::Done { finish_reason } => t.finish_reason = Some(finish_reason.clone()),
                ChatEvent::ServedBy {
                    model,
                    backend,
                    request_id,
                } => {
                    t.served_by
                        .push((model.clone(), backend.clone(), request_id.clone()));
                }
                ChatEvent::Retrying {
                    attempt, delay_ms, ..
                } => t.retries.push((*attempt, *delay_ms)),
                _ => {}
            }
        }
        t
    }
}
