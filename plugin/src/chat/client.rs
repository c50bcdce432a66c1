//! One completion against the router: send, retry while nothing was shown, stream events.
//!
//! Retries are only safe before the host saw anything: the host cannot take back text it
//! displayed. `ServedBy` therefore goes out together with the first real event (output,
//! usage or done), not when the headers arrive, so an attempt that fails right after its
//! headers can still be retried invisibly. `Retrying` notices go out at any time: they are
//! not output.

use std::collections::HashMap;

use bytes::Bytes;
use provider_abi::{ChatEvent, ChatRequest, Cost, ErrorKind, EventBatch, ProviderError};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use tokio_util::sync::CancellationToken;

use crate::auth::redact_error;

use super::batch;
use super::config::ChatConfig;
use super::error::{self, header};
use super::limits::{Limits, Phase};
use super::request::build_body;
use super::retry::{Failure, next_delay};
use super::stream::{EventStream, completion_events};

/// What the completion is sent as, and how its cost is computed.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompletionTarget {
    /// The router's model id, suffix included, never the `huggingface/` prefix.
    pub router_model: String,
    /// Price per backend name (`x-inference-provider`).
    pub pricing: HashMap<String, Cost>,
    /// Price used when the serving backend is unknown or not in `pricing`.
    pub default_pricing: Option<Cost>,
}

impl CompletionTarget {
    fn price_for(&self, backend: Option<&str>) -> Option<Cost> {
        backend
            .and_then(|b| self.pricing.get(b))
            .copied()
            .or(self.default_pricing)
    }
}

/// Sends one completion (with retries) and emits its events in batches: `emit` receives
/// every event decoded from one read of the answer at once (one crossing to the host per
/// read, not per token) and drains the batch. It returns false (`Delivery::Gone`) when the
/// consumer is gone -> stop at once (drop the response so the connection closes);
/// `Delivery::Behind` -> read on once the host's reader caught up (see `batch`).
/// Returns Ok(()) after a Done event was emitted, or the one error that ended it
/// (Cancelled when `cancel` fires, noticed within milliseconds even while waiting for the
/// server).
pub(crate) async fn run_completion(
    http: &reqwest::Client,
    config: &ChatConfig,
    target: &CompletionTarget,
    request: ChatRequest,
    emit: &mut (dyn batch::Emit + Send),
    cancel: &CancellationToken,
) -> Result<(), ProviderError> {
    let body = Bytes::from(build_body(&target.router_model, &request)?);
    let limits = Limits::start(config, cancel);
    let mut sink = Sink {
        emit: batch::Paced::new(emit),
        started: false,
        served_by: None,
    };
    let mut attempt = 1;
    loop {
        let call = Attempt {
            http,
            config,
            target,
            body: body.clone(),
            stream: request.stream,
        };
        let failure = match call.run(&limits, &mut sink).await {
            Ok(()) => return Ok(()),
            // Before it is logged, shown in a notice or returned: an upstream
            // that echoes the token must not pass it on.
            Err(mut failure) => {
                redact_error(config.api_key.as_ref(), &mut failure.error);
                failure
            }
        };
        if !failure.retryable || sink.started {
            return Err(failure.error);
        }
        let retry_after = failure.error.retry_after;
        let Some(delay) = next_delay(&config.retry, attempt, retry_after, &mut rand::rng()) else {
            return Err(failure.error);
        };
        if limits.outlasts_total(delay) {
            return Err(failure.error);
        }
        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        tracing::warn!(
            model = %target.router_model,
            attempt,
            delay_ms,
            error = %failure.error,
            "chat completion attempt failed, retrying"
        );
        sink.notice(ChatEvent::Retrying {
            attempt,
            delay_ms,
            error: failure.error,
        })?;
        limits.backoff(delay).await?;
        attempt += 1;
    }
}

/// The host's side of the stream.
struct Sink<'a> {
    emit: batch::Paced<'a>,
    /// Whether anything but notices reached the host: from then on, no retry.
    started: bool,
    /// The current attempt's `ServedBy`, held until its first real event.
    served_by: Option<ChatEvent>,
}

impl Sink<'_> {
    /// Events of the answer (output, usage, the end), all in one crossing; leaves
    /// `events` empty.
    fn output(&mut self, events: &mut EventBatch) -> Result<(), ProviderError> {
        if events.is_empty() {
            return Ok(());
        }
        self.started = true;
        if let Some(served_by) = self.served_by.take() {
            events.push_front(served_by);
        }
        self.send(events)
    }

    fn notice(&mut self, event: ChatEvent) -> Result<(), ProviderError> {
        let mut batch = EventBatch::new();
        batch.push(event);
        self.send(&mut batch)
    }

    fn send(&mut self, events: &mut EventBatch) -> Result<(), ProviderError> {
        let listening = self.emit.hand(events);
        events.clear();
        if listening {
            Ok(())
        } else {
            Err(ProviderError::new(
                ErrorKind::Cancelled,
                "the consumer stopped listening",
            ))
        }
    }
}

/// One HTTP exchange.
struct Attempt<'a> {
    http: &'a reqwest::Client,
    config: &'a ChatConfig,
    target: &'a CompletionTarget,
    body: Bytes,
    stream: bool,
}

impl Attempt<'_> {
    async fn run(self, limits: &Limits<'_>, sink: &mut Sink<'_>) -> Result<(), Failure> {
        let mut request = self
            .http
            .post(self.config.completions_url())
            .header(CONTENT_TYPE, "application/json")
            .header(
                ACCEPT,
                if self.stream {
                    "text/event-stream"
                } else {
                    "application/json"
                },
            )
            .body(self.body);
        if let Some(key) = &self.config.api_key {
            request = request.header(AUTHORIZATION, key.bearer());
        }
        if let Some(org) = &self.config.bill_to {
            request = request.header("X-HF-Bill-To", org);
        }
        let first_byte = limits.first_byte();
        let mut response = limits
            .run(first_byte, request.send())
            .await?
            .map_err(send_failure)?;

        let status = response.status();
        let headers = response.headers().clone();
        // Upstream text that reaches the host: without the token (see `auth`).
        let redact = |text: Option<String>| match &self.config.api_key {
            Some(key) => key.redact_option(text),
            None => text,
        };
        let request_id = redact(error::request_id(&headers));
        if !status.is_success() {
            // Reading the message is best effort: the status alone decides the kind.
            let body = read_body(
                &mut response,
                limits,
                first_byte,
                self.config.max_body_bytes,
            )
            .await
            .map(|(body, _)| body)
            .unwrap_or_default();
            let error = error::from_response(status.as_u16(), &headers, &body);
            // The kind decides, not the status: a 429 for an exhausted quota is `Billing`,
            // and waiting does not bring credits back. A model still loading is not
            // waited for either (see `model_loading`).
            let retryable = error.kind.is_transient() && !error::model_loading(&body);
            return Err(Failure { error, retryable });
        }

        let backend = redact(header(&headers, "x-inference-provider"));
        let price = self.target.price_for(backend.as_deref());
        sink.served_by = Some(ChatEvent::ServedBy {
            model: self.target.router_model.clone(),
            backend,
            request_id: request_id.clone(),
        });
        // A server may ignore `stream` either way; the content type tells what it did.
        let content_type = header(&headers, "content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let is_sse = content_type.contains("event-stream")
            || (self.stream && !content_type.contains("json"));
        let outcome = if is_sse {
            stream_answer(&mut response, limits, first_byte, self.config, price, sink).await
        } else {
            json_answer(&mut response, limits, first_byte, self.config, price, sink).await
        };
        outcome.map_err(|mut failure| {
            if failure.error.request_id.is_none() {
                failure.error.request_id = request_id;
            }
            failure
        })
    }
}

async fn stream_answer(
    response: &mut reqwest::Response,
    limits: &Limits<'_>,
    first_byte: Phase,
    config: &ChatConfig,
    price: Option<Cost>,
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    let mut stream = EventStream::new(config.max_event_bytes, price);
    let mut events = EventBatch::new();
    let mut phase = first_byte;
    loop {
        let piece = limits.run(phase, response.chunk()).await?;
        phase = Phase::Idle;
        let mut progress = decode(&mut stream, piece, &mut events);
        // The pieces that are already there join this batch (see `batch`); the answer's
        // first output goes out at once.
        while sink.started && matches!(progress, Ok(false)) && batch::wants_more(&events) {
            let Some(piece) = batch::ready_piece(response).await else {
                break;
            };
            progress = decode(&mut stream, piece, &mut events);
        }
        // Events decoded before an error are the host's: deliver them first.
        sink.output(&mut events)?;
        if progress? {
            return Ok(());
        }
        // A host whose reader fell behind is waited for before reading on (see `batch`).
        sink.emit.room(limits).await?;
    }
}

/// One piece of a streamed body (`None`: its end) into `events`; `Ok(true)` once the
/// answer is complete.
fn decode(
    stream: &mut EventStream,
    piece: reqwest::Result<Option<Bytes>>,
    events: &mut EventBatch,
) -> Result<bool, Failure> {
    match piece.map_err(read_failure)? {
        Some(bytes) => stream.push(&bytes, events),
        None => stream.finish(events).map(|()| true),
    }
    .map_err(answer_failure)
}

async fn json_answer(
    response: &mut reqwest::Response,
    limits: &Limits<'_>,
    first_byte: Phase,
    config: &ChatConfig,
    price: Option<Cost>,
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    let (body, complete) = read_body(response, limits, first_byte, config.max_body_bytes).await?;
    if !complete {
        return Err(Failure::fatal(ProviderError::new(
            ErrorKind::Internal,
            format!("the answer exceeds {} bytes", config.max_body_bytes),
        )));
    }
    let mut events = EventBatch::new();
    let result = completion_events(&body, price, &mut events);
    sink.output(&mut events)?;
    result.map_err(answer_failure)
}

/// The body, up to `max` bytes; `false` when it was longer (the rest is not read).
async fn read_body(
    response: &mut reqwest::Response,
    limits: &Limits<'_>,
    first_byte: Phase,
    max: usize,
) -> Result<(Vec<u8>, bool), Failure> {
    let mut body = Vec::new();
    let mut phase = first_byte;
    while let Some(chunk) = limits
        .run(phase, response.chunk())
        .await?
        .map_err(read_failure)?
    {
        phase = Phase::Idle;
        let room = max - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

/// Errors in the answer itself (in-stream errors, truncation) are retryable when
/// transient; the retry loop still refuses once the host saw output.
fn answer_failure(error: ProviderError) -> Failure {
    let retryable = error.kind.is_transient();
    Failure { error, retryable }
}

fn send_failure(error: reqwest::Error) -> Failure {
    if error.is_timeout() {
        return Failure::retryable(ProviderError::new(
            ErrorKind::Timeout,
            format!(
                "could not connect within the connect time limit: {}",
                describe(&error)
            ),
        ));
    }
    // Connection refused or reset, DNS, TLS: the request never got an answer.
    Failure::retryable(ProviderError::new(
        ErrorKind::Network,
        format!("could not reach the router: {}", describe(&error)),
    ))
}

fn read_failure(error: reqwest::Error) -> Failure {
    Failure::retryable(ProviderError::new(
        ErrorKind::Network,
        format!(
            "the connection broke while reading the answer: {}",
            describe(&error)
        ),
    ))
}

/// The error and its causes on one line ("error sending request: connection refused").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests;
