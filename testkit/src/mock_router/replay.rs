//! Fixture replay: answers with a recorded response from
//! `testkit/fixtures/recorded-chat/NNN.json`.
//!
//! Two ways in: the scenario `replay:NNN` (header or `mock/replay:NNN` model),
//! or the base URL `http://ADDR/replay/NNN/v1` (so a client configured with
//! it replays NNN for every chat request, while `/replay/NNN/v1/models` still
//! lists models).
//!
//! Sent exactly as recorded: the status, the `content-type` header and the
//! body byte for byte, written in [`REPLAY_PIECE`]-byte pieces with a flush
//! after each, so a client sees events split at arbitrary bytes. Other
//! recorded headers are not replayed: the recorder already dropped
//! `content-length`/`x-*`, and `content-encoding: gzip` or
//! `transfer-encoding` would lie about the decoded body we send. The mock
//! adds `x-request-id` (no `x-inference-provider`: the recordings have none).

use std::path::Path;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::Response,
};

use crate::fixtures::Exchange;
pub use crate::fixtures::Recorded;

use super::{
    body::{ScriptBody, pieces},
    errors::RouterError,
};

/// Bytes per write when replaying.
pub const REPLAY_PIECE: usize = 7;

/// The recorded response of fixture `id` (already normalised to digits) in `dir`.
pub fn load(dir: &Path, id: &str) -> std::io::Result<Recorded> {
    let text = std::fs::read_to_string(dir.join(format!("{id}.json")))?;
    let exchange: Exchange = serde_json::from_str(&text)
        .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidData, err))?;
    Ok(exchange.response)
}

/// The replay response, or a 404 naming the missing fixture.
pub(crate) fn respond(dir: &Path, id: &str, request_id: &str) -> Response {
    let recorded = match load(dir, id) {
        Ok(recorded) => recorded,
        Err(err) => return missing(id, &err.to_string(), request_id),
    };
    let mut steps = Vec::new();
    pieces(recorded.body.as_bytes(), REPLAY_PIECE, &mut steps);
    let mut response = Response::new(ScriptBody::new(steps).into_body());
    *response.status_mut() =
        StatusCode::from_u16(recorded.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Some(value) = recorded
        .content_type()
        .and_then(|ct| HeaderValue::from_str(ct).ok())
    {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", value);
    }
    response
}

fn missing(id: &str, why: &str, request_id: &str) -> Response {
    // A plain "Not Found" would pass for a real router answer; say it is the mock.
    let mut error = RouterError::for_status(404, "");
    error.body = format!("mock router: no recorded fixture {id}: {why}");
    error.into_response_with_id(request_id)
}
