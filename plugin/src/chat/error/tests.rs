use std::time::Duration;

use provider_abi::ErrorKind;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::*;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn classify(status: u16, body: &str) -> ProviderError {
    from_response(status, &HeaderMap::new(), body.as_bytes())
}

#[test]
fn every_body_shape_yields_the_server_message() {
    let cases = [
        (
            r#"{"error":"Invalid username or password."}"#,
            "Invalid username or password.",
        ),
        (
            r#"{"error":["Error in `stream`: not supported"]}"#,
            "Error in `stream`: not supported",
        ),
        (r#"{"error":["a","b"]}"#, "a; b"),
        (
            r#"{"error":{"message":"you must provide a model parameter","type":"invalid_request_error"}}"#,
            "you must provide a model parameter",
        ),
        (r#"{"error_description":"token expired"}"#, "token expired"),
        (r#"{"detail":"Not authenticated"}"#, "Not authenticated"),
        (
            r#"{"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required"}]}"#,
            "Field required",
        ),
        (
            r#"{"message":"no Route matched with those values","request_id":"abc"}"#,
            "no Route matched with those values",
        ),
        (r#""Not Found""#, "Not Found"),
        (
            "Failed to deserialize the JSON body\nsecond line",
            "Failed to deserialize the JSON body",
        ),
        ("  \n  Not Found  \n", "Not Found"),
    ];
    for (body, message) in cases {
        assert_eq!(classify(400, body).message, message, "{body}");
    }
}

#[test]
fn long_plain_text_is_capped_and_html_is_not_a_message() {
    let long = "x".repeat(1000);
    let error = classify(500, &long);
    assert!(
        error.message.chars().count() <= 301,
        "{}",
        error.message.len()
    );
    let error = classify(502, "<html><body>Bad gateway</body></html>");
    assert_eq!(
        error.message,
        "the server answered 502 Bad Gateway without a message"
    );
}

#[test]
fn x_error_message_header_when_the_body_says_nothing() {
    let h = headers(&[
        ("x-error-message", "Model too busy"),
        ("x-request-id", "req-1"),
    ]);
    let error = from_response(503, &h, b"");
    assert_eq!(error.message, "Model too busy");
    assert_eq!(error.request_id.as_deref(), Some("req-1"));
    assert_eq!(error.status, Some(503));
}

#[test]
fn statuses_map_to_kinds() {
    let not_supported = r#"{"error":{"message":"The requested model 'x' is not supported by any provider you have enabled.","type":"invalid_request_error","param":"model","code":"model_not_supported"}}"#;
    let cases = [
        (401, "{}", ErrorKind::Auth),
        (
            402,
            r#"{"error":"You have exceeded your monthly included credits"}"#,
            ErrorKind::Billing,
        ),
        (403, "{}", ErrorKind::Permission),
        (400, not_supported, ErrorKind::ModelUnsupported),
        (404, "Not Found", ErrorKind::ModelUnsupported),
        (400, r#"{"error":"bad"}"#, ErrorKind::InvalidRequest),
        (
            422,
            r#"{"error":"Input validation error","error_type":"validation"}"#,
            ErrorKind::InvalidRequest,
        ),
        (429, "{}", ErrorKind::RateLimited),
        (
            429,
            r#"{"error":{"message":"quota","code":"insufficient_quota"}}"#,
            ErrorKind::Billing,
        ),
        (500, "", ErrorKind::Unavailable),
        (
            503,
            r#"{"error":"Model X is currently loading","estimated_time":42.5}"#,
            ErrorKind::Unavailable,
        ),
        (421, r#"{"message":"Welcome"}"#, ErrorKind::Internal),
        (418, "", ErrorKind::Internal),
    ];
    for (status, body, kind) in cases {
        assert_eq!(classify(status, body).kind, kind, "{status} {body}");
    }
}

#[test]
fn permission_errors_carry_the_hint() {
    let body = r#"{"error":"This authentication method does not have sufficient permissions to call Inference Providers"}"#;
    let error = classify(403, body);
    assert!(error.message.starts_with("This authentication method"));
    assert!(
        error.message.contains(
            "'Make calls to Inference Providers' permission (fine-grained token settings)"
        )
    );
}

#[test]
fn retry_after_from_header_or_estimated_time_and_request_id_fallbacks() {
    let error = from_response(
        429,
        &headers(&[("retry-after", "7"), ("x-amzn-trace-id", "Root=1-abc")]),
        b"{}",
    );
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(error.request_id.as_deref(), Some("Root=1-abc"));
    let error = classify(
        503,
        r#"{"error":"Model X is currently loading","estimated_time":42.5}"#,
    );
    assert_eq!(error.retry_after, Some(Duration::from_millis(42_500)));
    let error = classify(
        401,
        r#"{"message":"No API key found in request","request_id":"094ab"}"#,
    );
    assert_eq!(error.request_id.as_deref(), Some("094ab"));
}
