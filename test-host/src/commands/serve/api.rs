//! The HTTP surface: `GET /v1/models`, `POST /v1/chat/completions`, behind
//! the local access key.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use host_sdk::{ChatEvent, ChatResponse, ModelInfo, ProviderSlot};
use serde_json::{Value, json};

use super::access::{self, Served, StreamOutcome};
use super::answer::{Identity, SseAnswer, completion};
use super::error::{self, ApiError};
use super::request;
use super::shutdown::Stop;

/// Largest request body accepted. A long conversation with images as data
/// URLs can reach megabytes; anything bigger is a mistake or an attack.
pub(super) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What every handler shares.
pub(super) struct ServeState {
    pub(super) slot: ProviderSlot,
    /// The local key, compared in constant time.
    pub(super) key: Vec<u8>,
    /// The provider id in model refs, for `owned_by` and `ref` fields.
    pub(super) provider_id: String,
    /// How long a request body may take to arrive (`--body-timeout`).
    pub(super) body_timeout: Duration,
    /// Whether the server is stopping: a body still arriving then is refused.
    pub(super) stop: tokio::sync::watch::Receiver<Stop>,
}

/// The router of the serve command.
pub(super) fn app(state: Arc<ServeState>) -> Router {
    let routes = Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/models/{*id}", get(one_model))
        .route("/v1/chat/completions", post(chat))
        .fallback(|request: Request| async move { ApiError::no_route(request.uri().path()) })
        .with_state(Arc::clone(&state));
    // The routes as one service under the layers: axum sets a 405's `Allow`
    // header outside the layers of its route, where `in_openai_shape` would
    // not see it.
    Router::new()
        .fallback_service(routes)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state, require_key))
        .layer(middleware::from_fn(error::in_openai_shape))
        // Outermost, so requests refused for their key are logged too.
        .layer(middleware::from_fn(access::log_requests))
}

/// Every request needs the local key; a wrong one never reaches the plugin.
async fn require_key(
    State(state): State<Arc<ServeState>>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| bearer_token(value.as_bytes()));
    if !given.is_some_and(|token| constant_time_eq(token, &state.key)) {
        return ApiError::bad_key().into_response();
    }
    next.run(request).await
}

/// The token of `Bearer <token>`: the scheme in any case, then one or more
/// spaces (RFC 7235 section 2.1).
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    let space = value.iter().position(|b| *b == b' ')?;
    let (scheme, rest) = value.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let start = rest.iter().position(|b| *b != b' ')?;
    Some(&rest[start..])
}

/// Equal length and bytes, without an early exit that times the prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn model_json(provider_id: &str, m: &ModelInfo) -> Value {
    let live: Vec<&str> = m.live_backends().map(|b| b.provider.as_str()).collect();
    json!({
        "id": m.id,
        "object": "model",
        "created": 0,
        "owned_by": m.id.split_once('/').map_or(provider_id, |(org, _)| org),
        "ref": format!("{provider_id}/{}", m.id),
        "name": m.name,
        "context_window": m.context_window,
        "max_tokens": m.max_tokens,
        // Unknown (no backend lists a price) is null, never zero.
        "pricing": m.cost.map(|c| json!({ "input": c.input, "output": c.output, "unit": "USD per million tokens" })),
        "reasoning": m.reasoning,
        "supports_tools": m.supports_tools,
        "input_modalities": m.input,
        "live": m.live,
        "live_backends": live,
        "backends": m.backends,
    })
}

/// The catalog as it is in memory: never waits on the network.
async fn list_models(State(state): State<Arc<ServeState>>) -> Response {
    match state.slot.provider().discover() {
        Ok(models) => {
            let data: Vec<Value> = models
                .iter()
                .map(|m| model_json(&state.provider_id, m))
                .collect();
            Json(json!({ "object": "list", "data": data })).into_response()
        }
        Err(e) => ApiError::from_provider(&e).into_response(),
    }
}

/// One model, by id or ref, as the plugin resolves it.
async fn one_model(State(state): State<Arc<ServeState>>, Path(id): Path<String>) -> Response {
    match state.slot.provider().resolve(&id) {
        Ok(resolved) => Json(model_json(&state.provider_id, &resolved.info)).into_response(),
        Err(e) => ApiError::from_provider(&e).into_response(),
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn chat(State(state): State<Arc<ServeState>>, request: Request) -> Response {
    // Within the body limit, and not past the start of a stop: the body is
    // all a request waits for before its answer starts.
    let read = tokio::time::timeout(state.body_timeout, Bytes::from_request(request, &()));
    let mut stop = state.stop.clone();
    let body = tokio::select! {
        read = read => read,
        _ = stop.wait_for(|s| *s != Stop::Running) => {
            return ApiError::shutting_down().into_response();
        }
    };
    let body = match body {
        Err(_elapsed) => return ApiError::body_timeout(state.body_timeout).into_response(),
        Ok(Ok(body)) => body,
        Ok(Err(rejection)) => {
            let message = if rejection.status() == 413 {
                format!("the request body exceeds {MAX_BODY_BYTES} bytes")
            } else {
                format!("cannot read the request body: {rejection}")
            };
            return ApiError::invalid(message, None).into_response();
        }
    };
    let (request, delivery) = match request::parse(&body) {
        Ok(parsed) => parsed,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let requested = request.model.clone();
    let mut stream = state.slot.complete(request);
    // The status line depends on how the completion starts: read until the
    // router said who serves it (it precedes the first output) or an error
    // ended it. The plugin's retries happen meanwhile, unseen by the client.
    let mut first = Vec::new();
    let served_by = loop {
        match stream.next().await {
            Some(Ok(ChatEvent::ServedBy {
                model,
                backend,
                request_id,
            })) => break (model, backend, request_id),
            Some(Ok(ChatEvent::Retrying { .. })) => {}
            Some(Ok(event)) => {
                first.push(event);
                break (requested.clone(), None, None);
            }
            Some(Err(e)) => {
                let mut response = ApiError::from_provider(&e).into_response();
                response.extensions_mut().insert(Served {
                    model: requested,
                    backend: None,
                    request_id: e.request_id,
                });
                return response;
            }
            None => {
                return ApiError::from_provider(&host_sdk::ProviderError::new(
                    host_sdk::ErrorKind::Internal,
                    "the plugin ended the answer without an event",
                ))
                .into_response();
            }
        }
    };
    let (model, backend, request_id) = served_by;
    let served = Served {
        model: model.clone(),
        backend: backend.clone(),
        request_id: request_id.clone(),
    };
    let identity = Identity {
        id: format!(
            "chatcmpl-{}",
            request_id
                .clone()
                .unwrap_or_else(|| format!("{:x}", rand::random::<u64>()))
        ),
        created: now_unix(),
        model,
    };
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-inference-provider", backend),
        ("x-request-id", request_id),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
    if delivery.stream {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let outcome = StreamOutcome::default();
        let body = SseAnswer::new(
            stream,
            first,
            &identity,
            delivery.include_usage,
            outcome.clone(),
        );
        let mut response = (headers, Body::from_stream(body)).into_response();
        response.extensions_mut().insert(served);
        response.extensions_mut().insert(outcome);
        return response;
    }
    let mut answer = ChatResponse::default();
    first.iter().for_each(|e| answer.apply(e));
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => answer.apply(&event),
            Err(e) => {
                let mut response = ApiError::from_provider(&e).into_response();
                response.extensions_mut().insert(served);
                return response;
            }
        }
    }
    let mut response = (headers, Json(completion(&identity, &answer))).into_response();
    response.extensions_mut().insert(served);
    response
}

/// How long the server waits for a swapped-out version's answers.
pub(super) const DRAIN: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_any_case_and_the_token_follows_spaces() {
        assert_eq!(bearer_token(b"Bearer k1"), Some(&b"k1"[..]));
        assert_eq!(bearer_token(b"bearer k1"), Some(&b"k1"[..]));
        assert_eq!(bearer_token(b"BEARER   k1"), Some(&b"k1"[..]));
        assert_eq!(bearer_token(b"Basic k1"), None);
        assert_eq!(bearer_token(b"Bearerk1"), None);
        assert_eq!(bearer_token(b"Bearer "), None);
        assert_eq!(bearer_token(b"k1"), None);
    }

    #[test]
    fn keys_compare_whole() {
        assert!(constant_time_eq(b"Bearer k1", b"Bearer k1"));
        assert!(!constant_time_eq(b"Bearer k1", b"Bearer k2"));
        assert!(!constant_time_eq(b"Bearer k", b"Bearer k1"));
        assert!(!constant_time_eq(b"", b"Bearer k1"));
    }
}
