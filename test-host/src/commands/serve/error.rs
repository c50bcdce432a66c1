//! Errors in OpenAI's shape, `{"error": {"message", "type", "code", "param"}}`,
//! with the HTTP status a client library maps to the right exception.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use host_sdk::{ErrorKind, ProviderError};
use serde_json::{Value, json};

use super::access::ErrorCode;

/// One error answer.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ApiError {
    pub(super) status: u16,
    pub(super) message: String,
    /// OpenAI's `type`: `invalid_request_error`, `authentication_error`, ...
    pub(super) kind: &'static str,
    /// A stable code: the plugin's error kind, or this server's own.
    pub(super) code: String,
    /// The request field at fault, when one is.
    pub(super) param: Option<String>,
    /// Sent as `Retry-After` (whole seconds, rounded up).
    pub(super) retry_after: Option<Duration>,
    /// The router's request id, sent as `x-request-id` and in the body.
    pub(super) request_id: Option<String>,
    /// The router's own status, when the error came from its answer.
    pub(super) upstream_status: Option<u16>,
    /// Close the connection after this answer: the rest of the request
    /// body, if any, would otherwise be read as the next request.
    pub(super) close: bool,
}

impl ApiError {
    fn new(status: u16, kind: &'static str, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            kind,
            code: code.to_string(),
            param: None,
            retry_after: None,
            request_id: None,
            upstream_status: None,
            close: false,
        }
    }

    /// A 400 about the request itself.
    pub(super) fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        ApiError {
            param: param.map(str::to_string),
            ..Self::new(400, "invalid_request_error", "invalid_request", message)
        }
    }

    /// A 401 for a missing or wrong local access key.
    pub(super) fn bad_key() -> Self {
        Self::new(
            401,
            "authentication_error",
            "invalid_api_key",
            "missing or wrong local access key: send `Authorization: Bearer <key>` with the key `test-host serve --print-key` prints (or $OPENCLAW_HF_SERVE_KEY)",
        )
    }

    /// A 404 for a path this server does not serve.
    pub(super) fn no_route(path: &str) -> Self {
        Self::new(
            404,
            "invalid_request_error",
            "unknown_url",
            format!(
                "no such endpoint: {path} (this server answers GET /v1/models and POST /v1/chat/completions)"
            ),
        )
    }

    /// A 405 for a method a route does not take; `allow` is the `Allow`
    /// header axum set.
    pub(super) fn method_not_allowed(method: &Method, path: &str, allow: &str) -> Self {
        let allowed = allow
            .split(',')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(", ");
        Self::new(
            405,
            "invalid_request_error",
            "method_not_allowed",
            format!("{method} is not allowed on {path}: it takes {allowed}"),
        )
    }

    /// A 408 for a request body that did not arrive in time.
    pub(super) fn body_timeout(limit: Duration) -> Self {
        ApiError {
            close: true,
            ..Self::new(
                408,
                "invalid_request_error",
                "request_timeout",
                format!(
                    "the request body did not arrive within {} (--body-timeout)",
                    super::seconds(limit)
                ),
            )
        }
    }

    /// A 503 for a request whose body was still arriving when the server
    /// began to stop: no answer had started, the client may send it again.
    pub(super) fn shutting_down() -> Self {
        ApiError {
            close: true,
            ..Self::new(
                503,
                "server_error",
                "shutting_down",
                "the server is shutting down; send the request again once it is back",
            )
        }
    }

    /// An error answer made by axum rather than by this server (a rejected
    /// path, say), with its text.
    fn other(status: u16, message: String) -> Self {
        let (kind, code) = match status {
            404 => ("invalid_request_error", "unknown_url"),
            408 => ("invalid_request_error", "request_timeout"),
            413 => ("invalid_request_error", "request_too_large"),
            415 => ("invalid_request_error", "unsupported_media_type"),
            ..=499 => ("invalid_request_error", "invalid_request"),
            _ => ("server_error", "internal"),
        };
        Self::new(status, kind, code, message)
    }

    /// The answer for a provider error, with the status each kind calls for.
    pub(super) fn from_provider(e: &ProviderError) -> Self {
        let (status, kind) = match e.kind {
            ErrorKind::InvalidRequest => (400, "invalid_request_error"),
            ErrorKind::Auth => (401, "authentication_error"),
            ErrorKind::Billing => (402, "insufficient_quota"),
            ErrorKind::Permission => (403, "permission_error"),
            ErrorKind::ModelNotFound | ErrorKind::ModelUnsupported => (404, "not_found_error"),
            ErrorKind::RateLimited => (429, "rate_limit_error"),
            ErrorKind::Unavailable => (503, "server_error"),
            ErrorKind::Timeout => (504, "timeout_error"),
            ErrorKind::Network => (502, "server_error"),
            // The client went away; nobody reads this answer.
            ErrorKind::Cancelled => (499, "cancelled"),
            _ => (500, "server_error"),
        };
        let message = match e.kind {
            // Our 401 for the local key reads differently: this one is about
            // the token the host holds, which clients never see.
            ErrorKind::Auth => format!(
                "the router refused the Hugging Face token this server uses: {}. Replace it with `test-host onboard` (or set HF_TOKEN) and restart the server",
                e.message
            ),
            _ => e.message.clone(),
        };
        let code = match e.kind {
            ErrorKind::Auth => "upstream_auth".to_string(),
            kind => kind.as_str().to_string(),
        };
        ApiError {
            retry_after: e.retry_after,
            request_id: e.request_id.clone(),
            upstream_status: e.status,
            ..Self::new(status, kind, &code, message)
        }
    }

    /// The JSON body, also used for an error that ends a stream. Beside
    /// OpenAI's fields (which clients read), what a client in a gateway needs
    /// to say which call failed: the router's request id and its status.
    pub(super) fn body(&self) -> serde_json::Value {
        let mut error = json!({
            "message": self.message,
            "type": self.kind,
            "code": self.code,
            "param": self.param,
        });
        if let Value::Object(fields) = &mut error {
            if let Some(id) = &self.request_id {
                fields.insert("request_id".into(), json!(id));
            }
            if let Some(status) = self.upstream_status {
                fields.insert("upstream_status".into(), json!(status));
            }
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        if let Some(delay) = self.retry_after {
            let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(id) = self
            .request_id
            .as_deref()
            .and_then(|id| HeaderValue::from_str(id).ok())
        {
            headers.insert("x-request-id", id);
        }
        if self.status == 401 {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

/// Error answers this server did not make itself (axum's 405 for a method
/// a route does not take, its rejections) come with an empty or plain-text
/// body: reshaped here, so every error a client sees is OpenAI's shape.
pub(super) async fn in_openai_shape(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status();
    let ours = response.extensions().get::<ErrorCode>().is_some();
    if ours || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let error = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allow = parts
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        ApiError::method_not_allowed(&method, &path, allow)
    } else {
        // axum's own texts are short; a longer body is cut, not buffered.
        let text = axum::body::to_bytes(body, 4096)
            .await
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .unwrap_or_default();
        let message = if text.is_empty() {
            status.canonical_reason().unwrap_or("error").to_string()
        } else {
            text
        };
        ApiError::other(status.as_u16(), message)
    };
    let mut reshaped = error.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            reshaped.headers_mut().append(name, value.clone());
        }
    }
    reshaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_the_status_a_client_expects() {
        let status = |kind| ApiError::from_provider(&ProviderError::new(kind, "x")).status;
        assert_eq!(status(ErrorKind::InvalidRequest), 400);
        assert_eq!(status(ErrorKind::Auth), 401);
        assert_eq!(status(ErrorKind::Billing), 402);
        assert_eq!(status(ErrorKind::Permission), 403);
        assert_eq!(status(ErrorKind::ModelNotFound), 404);
        assert_eq!(status(ErrorKind::ModelUnsupported), 404);
        assert_eq!(status(ErrorKind::RateLimited), 429);
        assert_eq!(status(ErrorKind::Unavailable), 503);
        assert_eq!(status(ErrorKind::Timeout), 504);
        assert_eq!(status(ErrorKind::Network), 502);
        assert_eq!(status(ErrorKind::Internal), 500);
        assert_eq!(status(ErrorKind::PluginPanicked), 500);
    }

    #[test]
    fn the_body_names_the_routers_request_id_and_status() {
        let e = ApiError::from_provider(
            &ProviderError::new(ErrorKind::RateLimited, "slow down")
                .with_status(429)
                .with_request_id("req-1"),
        );
        let body = e.body();
        assert_eq!(body["error"]["request_id"], "req-1");
        assert_eq!(body["error"]["upstream_status"], 429);
        assert_eq!(body["error"]["code"], "rate_limited");
        let local = ApiError::bad_key().body();
        assert!(local["error"].get("request_id").is_none(), "{local}");
    }

    #[test]
    fn upstream_auth_says_whose_token_was_refused() {
        let e =
            ApiError::from_provider(&ProviderError::new(ErrorKind::Auth, "Invalid credentials"));
        assert!(e.message.contains("Hugging Face token"), "{}", e.message);
        assert!(e.message.contains("test-host onboard"), "{}", e.message);
        assert_eq!(e.code, "upstream_auth");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let e = ProviderError::new(ErrorKind::RateLimited, "slow down")
            .with_retry_after(Duration::from_millis(1500));
        let response = ApiError::from_provider(&e).into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }
}
