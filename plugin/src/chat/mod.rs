//! Chat completions: request building, SSE decoding, chunk translation, errors, retries.
//!
//! The FFI edge calls [`run_completion`] with a [`ChatConfig`] and a [`CompletionTarget`];
//! everything below it is private to this module:
//! - `request`: `provider_abi::ChatRequest` -> the router's JSON body (`model` first).
//! - `client`: the HTTP exchange, retries before the first event, `ServedBy` placement.
//! - `batch`: the pieces of an answer that are already there, delivered in one crossing.
//! - `limits`: first-byte / idle / total time limits and cancellation around every wait.
//! - `retry`: backoff with full jitter, `Retry-After`.
//! - `error`: status + headers + body -> a typed `ProviderError` with the server's message.
//! - `stream`: an answer's bytes -> host events, without I/O (`sse` then `translate`).
//! - `sse`: the incremental, bounded event-stream decoder (events as slices of the read).
//! - `wire`: the router's chunk and completion JSON, read loosely into borrowed parts
//!   (`wire::scan`: the fast path for the usual chunks; serde for everything else).
//! - `translate`: chunks -> content, reasoning, tool calls, usage and cost, finish reason.
//! - `think`: a leading `<think>…</think>` in the content -> reasoning.

mod batch;
mod client;
mod config;
mod error;
mod limits;
mod request;
mod retry;
mod sse;
mod stream;
mod think;
mod translate;
mod wire;

#[cfg(test)]
mod tests;

pub(crate) use client::{CompletionTarget, run_completion};
pub(crate) use config::ChatConfig;
pub(crate) use stream::EventStream;
