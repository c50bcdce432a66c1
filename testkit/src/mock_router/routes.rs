//! The HTTP surface: routes, request recording, `GET /v1/models`, and 404s.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use bytes::Bytes;

use super::{
    ModelsFailure, RecordedRequest, chat, errors::RouterError, models::huge_list_json,
    state::Shared,
};

/// Request bodies above this are refused (the plugin never sends anything close).
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// Size of the `Huge` models list: above the plugin's 32 MiB cap.
const HUGE_MODELS_BYTES: usize = 33 * 1024 * 1024;

pub(crate) fn app(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/chat/completions", post(chat::chat_completions))
        .route("/replay/{id}/v1/models", get(list_models))
        .route("/replay/{id}/v1/chat/completions", post(chat::replay_chat))
        .route("/mock/stats", get(stats))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), record))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(shared)
}

/// `GET /mock/stats`: what a test in another process or language needs to
/// check (that a cancelled answer stopped being written, that a request
/// reached the router or did not). Not a router endpoint.
/// `chat_requests_by_model` counts chat requests per `model` of their body,
/// so tests that run side by side, each with a model of its own, can count
/// their own requests (how many attempts a failing call made).
async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let requests = shared.requests.lock();
    let mut by_model = serde_json::Map::new();
    let mut chats = 0;
    for request in requests
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
    {
        chats += 1;
        let model = serde_json::from_slice::<serde_json::Value>(&request.body)
            .ok()
            .and_then(|body| body.get("model")?.as_str().map(str::to_string))
            .unwrap_or_default();
        let count = by_model.entry(model).or_insert(serde_json::json!(0));
        *count = serde_json::json!(count.as_u64().unwrap_or(0) + 1);
    }
    axum::Json(serde_json::json!({
        "live_responses": shared.live_bodies.load(std::sync::atomic::Ordering::Acquire),
        "requests": requests.len(),
        "chat_requests": chats,
        "chat_requests_by_model": by_model,
    }))
    .into_response()
}

/// Buffers and records every request, then passes it on unchanged.
async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return RouterError::validation("request body too large").into_response_with_id("");
        }
    };
    if !shared.options.record_requests {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    shared.requests.lock().push(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: bytes.to_vec(),
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// `GET /v1/models`. Works without a token like the real router; a token
/// that is present but wrong gets the 401.
async fn list_models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let request_id = shared.request_id();
    if headers.contains_key(header::AUTHORIZATION) && !shared.authorized(&headers) {
        return RouterError::invalid_credentials().into_response_with_id(&request_id);
    }
    let failure = shared.models_failure.lock().clone();
    let body = match failure {
        None => shared.models.json.clone(),
        Some(ModelsFailure::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            shared.models.json.clone()
        }
        Some(ModelsFailure::Status500) => {
            return RouterError::for_status(500, "").into_response_with_id(&request_id);
        }
        Some(ModelsFailure::Html) => {
            return html_page(&request_id);
        }
        Some(ModelsFailure::Huge) => shared
            .huge_models
            .get_or_init(|| huge_list_json(HUGE_MODELS_BYTES, shared.options.seed))
            .clone(),
    };
    json_response(body, &request_id)
}

fn json_response(body: Bytes, request_id: &str) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", value);
    }
    response
}

/// A 200 HTML page where JSON was expected, as a captive portal or a CDN
/// error page would serve.
fn html_page(request_id: &str) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html>\n<html><head><title>Hugging Face - Maintenance</title></head>\n<body><h1>We'll be right back</h1><p>The service is under maintenance.</p></body></html>\n",
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Unknown routes: the router's plain-text 404.
async fn not_found(State(shared): State<Arc<Shared>>) -> Response {
    RouterError::for_status(404, "").into_response_with_id(&shared.request_id())
}
