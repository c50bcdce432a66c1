//! One log line per request, written when its answer has ended rather than
//! when its status line went out: a streamed answer can still fail, or lose
//! its client, long after a 200. Off unless the log asks for `info` here
//! (`--json-logs` does), so an unlogged stream pays nothing.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use futures_core::Stream;
use tracing::Level;

/// Who answered: set by the chat handler on its response.
#[derive(Debug, Clone)]
pub(super) struct Served {
    pub(super) model: String,
    pub(super) backend: Option<String>,
    pub(super) request_id: Option<String>,
}

/// The code of an error answer: set by `ApiError` on its response.
#[derive(Debug, Clone)]
pub(super) struct ErrorCode(pub(super) String);

/// Set on a streamed answer's response; the stream records in it the code of
/// an error that ended it after the status line.
#[derive(Debug, Clone, Default)]
pub(super) struct StreamOutcome(Arc<OnceLock<String>>);

impl StreamOutcome {
    /// The stream ended with this error code.
    pub(super) fn failed(&self, code: &str) {
        let _ = self.0.set(code.to_string());
    }
}

/// The middleware: times the request and logs it once its answer ended.
pub(super) async fn log_requests(request: Request, next: Next) -> Response {
    if !tracing::enabled!(Level::INFO) {
        return next.run(request).await;
    }
    // Made before the handler runs: if the client leaves while the answer is
    // still being prepared, this future is dropped and the record says so.
    let mut record = Record {
        started: Instant::now(),
        method: request.method().clone(),
        path: request.uri().path().to_string(),
        status: None,
        code: None,
        served: None,
        stream: None,
        ended: false,
    };
    let response = next.run(request).await;
    record.status = Some(response.status().as_u16());
    record.code = response
        .extensions()
        .get::<ErrorCode>()
        .map(|c| c.0.clone());
    record.served = response.extensions().get::<Served>().cloned();
    let Some(stream) = response.extensions().get::<StreamOutcome>().cloned() else {
        record.ended = true;
        return response;
    };
    record.stream = Some(stream);
    let (parts, body) = response.into_parts();
    let body = Logged {
        body: body.into_data_stream(),
        record,
    };
    Response::from_parts(parts, Body::from_stream(body))
}

/// What is known of one request; logged when dropped.
struct Record {
    started: Instant,
    method: Method,
    path: String,
    /// None while the handler has not answered.
    status: Option<u16>,
    code: Option<String>,
    served: Option<Served>,
    stream: Option<StreamOutcome>,
    /// The whole answer was handed to the connection.
    ended: bool,
}

impl Drop for Record {
    fn drop(&mut self) {
        let code = self
            .stream
            .as_ref()
            .and_then(|s| s.0.get())
            .or(self.code.as_ref());
        let outcome = match (code, self.ended) {
            (Some(_), _) => "error",
            (None, true) => "complete",
            (None, false) => "client closed",
        };
        let served = self.served.as_ref();
        tracing::info!(
            method = %self.method,
            path = %self.path,
            status = self.status,
            // Whole microseconds, so the number stays short in every log.
            duration_ms = self.started.elapsed().as_micros() as f64 / 1e3,
            outcome,
            code = code.map(String::as_str),
            model = served.map(|s| s.model.as_str()),
            backend = served.and_then(|s| s.backend.as_deref()),
            request_id = served.and_then(|s| s.request_id.as_deref()),
            "request",
        );
    }
}

/// A streamed body that marks its record ended when the last piece was read.
struct Logged {
    body: BodyDataStream,
    record: Record,
}

impl Stream for Logged {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let item = Pin::new(&mut this.body).poll_next(cx);
        if let Poll::Ready(None) = item {
            this.record.ended = true;
        }
        item
    }
}
