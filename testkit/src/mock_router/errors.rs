//! The router's error responses, shaped as in docs/router.md's error table.
//!
//! Kept in one place so scenarios (`status:CODE`, `fail-then-ok`, `rate-limit`)
//! and the real checks (token, unknown model) answer identically.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// An error response: status, content type, body and optional `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterError {
    /// HTTP status.
    pub status: u16,
    /// `content-type` header value.
    pub content_type: &'static str,
    /// The body, exactly as sent.
    pub body: String,
    /// `Retry-After` header value, when sent.
    pub retry_after: Option<&'static str>,
}

const JSON: &str = "application/json";

/// The message of the 401 the mock sends for a missing or wrong token.
pub const INVALID_CREDENTIALS: &str = "Invalid credentials in Authorization header";

impl RouterError {
    fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            content_type: JSON,
            body: body.to_string(),
            retry_after: None,
        }
    }

    /// 400 `model_not_supported` for `model`.
    pub fn model_not_supported(model: &str) -> Self {
        Self::json(
            400,
            serde_json::json!({"error": {
                "message": format!("The requested model '{model}' is not supported by any provider you have enabled."),
                "type": "invalid_request_error",
                "param": "model",
                "code": "model_not_supported",
            }}),
        )
    }

    /// 401 for a missing or wrong token.
    pub fn invalid_credentials() -> Self {
        Self::json(401, serde_json::json!({ "error": INVALID_CREDENTIALS }))
    }

    /// 422 validation error with `detail` after "Input validation error: ".
    pub fn validation(detail: &str) -> Self {
        Self::json(
            422,
            serde_json::json!({
                "error": format!("Input validation error: {detail}"),
                "error_type": "validation",
            }),
        )
    }

    /// 429; with `retry_after`, the header `Retry-After: 1`.
    pub fn rate_limited(retry_after: bool) -> Self {
        let mut error = Self::json(
            429,
            serde_json::json!({"error": {
                "message": "Rate limit reached for requests to this model. Please try again later.",
                "type": "rate_limit_error",
                "param": null,
                "code": "rate_limit_exceeded",
            }}),
        );
        if retry_after {
            error.retry_after = Some("1");
        }
        error
    }

    /// The router's answer for `status` (any 4xx/5xx); `model` appears in the
    /// 400 and 503 messages.
    pub fn for_status(status: u16, model: &str) -> Self {
        let html = |title: &str| Self {
            status,
            content_type: "text/html",
            body: format!(
                "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
            ),
            retry_after: None,
        };
        match status {
            400 => Self::model_not_supported(model),
            401 => Self::invalid_credentials(),
            402 => Self::json(
                402,
                serde_json::json!({"error": "You have exceeded your monthly included credits for Inference Providers. Subscribe to PRO to get 20x more monthly included credits."}),
            ),
            403 => Self::json(
                403,
                serde_json::json!({"error": "This authentication method does not have sufficient permissions to call Inference Providers on behalf of user mock-user"}),
            ),
            404 => Self {
                status,
                content_type: "text/plain; charset=utf-8",
                body: "Not Found".to_owned(),
                retry_after: None,
            },
            422 => Self::validation("`temperature` must be strictly positive"),
            429 => Self::rate_limited(true),
            500 => Self::json(500, serde_json::json!({"error": "Internal Server Error"})),
            502 => html("502 Bad Gateway"),
            503 => Self::json(
                503,
                serde_json::json!({"error": format!("Model {model} is currently loading"), "estimated_time": 42.3}),
            ),
            504 => html("504 Gateway Time-out"),
            _ => Self::json(
                status,
                serde_json::json!({"error": format!("Mock router error {status}")}),
            ),
        }
    }

    /// Builds the HTTP response, adding the `x-request-id` header.
    pub(crate) fn into_response_with_id(self, request_id: &str) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Some(retry_after) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
        }
        if let Ok(value) = HeaderValue::from_str(request_id) {
            headers.insert("x-request-id", value);
        }
        response
    }
}
