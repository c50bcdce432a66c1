use super::*;
use mockito::Matcher;

const LIMIT: usize = 1 << 20;
const SECRET: &str = "hf_secret_token_value";

fn key() -> ApiKey {
    ApiKey::new(SECRET).unwrap()
}

async fn fetch_from(
    server: &mockito::ServerGuard,
    key: Option<&ApiKey>,
) -> Result<Vec<ApiModel>, ProviderError> {
    let base = format!("{}/v1", server.url());
    fetch_models(
        &reqwest::Client::new(),
        &base,
        key,
        Duration::from_secs(5),
        LIMIT,
    )
    .await
}

fn assert_no_secret(e: &ProviderError) {
    let printed = format!("{e} {e:?}");
    assert!(!printed.contains(SECRET), "token leaked: {printed}");
}

#[tokio::test]
async fn sends_the_token_as_bearer_and_parses_the_list() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("GET", "/v1/models")
        .match_header("authorization", format!("Bearer {SECRET}").as_str())
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(r#"{"object":"list","data":[{"id":"org/a","providers":[]},{"id":"org/b"}]}"#)
        .expect(1)
        .create_async()
        .await;
    let rows = fetch_from(&server, Some(&key())).await.unwrap();
    assert_eq!(
        rows.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["org/a", "org/b"]
    );
    mock.assert_async().await;
}

#[tokio::test]
async fn sends_no_authorization_without_a_token_and_accepts_a_trailing_slash() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("GET", "/v1/models")
        .match_header("authorization", Matcher::Missing)
        .with_body(r#"{"data":[]}"#)
        .create_async()
        .await;
    let base = format!("{}/v1/", server.url());
    let rows = fetch_models(
        &reqwest::Client::new(),
        &base,
        None,
        Duration::from_secs(5),
        LIMIT,
    )
    .await
    .unwrap();
    assert!(rows.is_empty());
    mock.assert_async().await;
}

#[tokio::test]
async fn statuses_map_to_kinds_with_status_request_id_and_message() {
    let cases: [(usize, &str, ErrorKind, &str); 6] = [
        (
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
            ErrorKind::Auth,
            "Invalid credentials",
        ),
        (
            403,
            r#"{"error":"This authentication method does not have sufficient permissions"}"#,
            ErrorKind::Permission,
            "sufficient permissions",
        ),
        (
            402,
            r#"{"error":{"message":"You have exceeded your monthly included credits"}}"#,
            ErrorKind::Billing,
            "monthly included credits",
        ),
        (
            500,
            "Internal Server Error",
            ErrorKind::Unavailable,
            "Internal Server Error",
        ),
        (
            503,
            r#"{"detail":[{"msg":"overloaded"}]}"#,
            ErrorKind::Unavailable,
            "overloaded",
        ),
        (
            404,
            "",
            ErrorKind::InvalidRequest,
            "no model list at this base URL",
        ),
    ];
    for (status, body, kind, text) in cases {
        let mut server = mockito::Server::new_async().await;
        server
            .mock("GET", "/v1/models")
            .with_status(status)
            .with_header("x-request-id", "req-123")
            .with_body(body)
            .create_async()
            .await;
        let e = fetch_from(&server, Some(&key())).await.unwrap_err();
        assert_eq!(e.kind, kind, "{status}: {e}");
        assert_eq!(e.status, Some(status as u16));
        assert_eq!(e.request_id.as_deref(), Some("req-123"));
        assert!(e.message.contains(text), "{status}: {e}");
        assert_no_secret(&e);
    }
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("GET", "/v1/models")
        .with_status(429)
        .with_header("retry-after", "7")
        .with_header("x-amzn-trace-id", "Root=1-abc")
        .create_async()
        .await;
    let e = fetch_from(&server, None).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(e.request_id.as_deref(), Some("Root=1-abc"));
}

/// An HTML page is described (kind, status, title), never quoted: its
/// markup says nothing to a reader (issue 19 item 17).
#[tokio::test]
async fn an_html_page_is_an_error_naming_its_status_and_title() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("GET", "/v1/models")
        .with_header("content-type", "text/html")
        .with_header("x-request-id", "req-html")
        .with_body("<!DOCTYPE html><html><body><h1>Sign <b>in</b></h1></body></html>")
        .create_async()
        .await;
    let e = fetch_from(&server, Some(&key())).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Internal);
    assert_eq!(
        (e.status, e.request_id.as_deref()),
        (Some(200), Some("req-html"))
    );
    assert_eq!(
        e.message,
        "listing models failed: the answer was an HTML page (HTTP 200) titled \"Sign in\", not a model list"
    );
    assert_no_secret(&e);

    // nginx's 502 page, as the router's proxy sends it; and one without a
    // type or a title.
    let nginx = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                 <center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
    for (status, content_type, body, want) in [
        (
            502,
            "text/html",
            nginx,
            "listing models failed: the router answered an HTML error page (HTTP 502) titled \"502 Bad Gateway\"",
        ),
        (
            503,
            "application/octet-stream",
            "  <!doctype html><p>down &amp; out</p>",
            "listing models failed: the router answered an HTML error page (HTTP 503)",
        ),
    ] {
        let mut server = mockito::Server::new_async().await;
        server
            .mock("GET", "/v1/models")
            .with_status(status)
            .with_header("content-type", content_type)
            .with_body(body)
            .create_async()
            .await;
        let e = fetch_from(&server, Some(&key())).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unavailable, "{e}");
        assert_eq!(e.status, Some(status as u16));
        assert_eq!(e.message, want);
    }
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_with_or_without_content_length() {
    let mut server = mockito::Server::new_async().await;
    let big = format!(r#"{{"data":[{}]}}"#, r#"{"id":"org/m"},"#.repeat(1000));
    server
        .mock("GET", "/fixed/models")
        .with_body(&big)
        .create_async()
        .await;
    // Streamed without a length: reading must stop at the cap, long before
    // the (endless for our purposes) body ends.
    server
        .mock("GET", "/chunked/models")
        .with_chunked_body(|w| {
            for _ in 0..2_000 {
                w.write_all(&[b' '; 8192])?;
            }
            Ok(())
        })
        .create_async()
        .await;
    let client = reqwest::Client::new();
    for path in ["fixed", "chunked"] {
        let base = format!("{}/{path}", server.url());
        let e = fetch_models(&client, &base, None, Duration::from_secs(10), 4096)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Internal, "{path}: {e}");
        assert!(e.message.contains("4096-byte limit"), "{path}: {e}");
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts and then says nothing; the socket is held until the test ends.
    let held = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let started = std::time::Instant::now();
    let e = fetch_models(
        &reqwest::Client::new(),
        &format!("http://{addr}/v1"),
        Some(&key()),
        Duration::from_millis(200),
        LIMIT,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_no_secret(&e);
    held.abort();
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = fetch_models(
        &reqwest::Client::new(),
        &format!("http://{addr}/v1"),
        None,
        Duration::from_secs(5),
        LIMIT,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Network, "{e}");
}

#[test]
fn retry_after_accepts_seconds_and_dates() {
    let mut headers = HeaderMap::new();
    headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("12"));
    assert_eq!(retry_after(&headers), Some(Duration::from_secs(12)));
    let later = std::time::SystemTime::now() + Duration::from_secs(120);
    let date = httpdate::fmt_http_date(later);
    headers.insert(
        reqwest::header::RETRY_AFTER,
        HeaderValue::from_str(&date).unwrap(),
    );
    let delay = retry_after(&headers).unwrap();
    assert!(delay > Duration::from_secs(100) && delay <= Duration::from_secs(120));
    headers.insert(
        reqwest::header::RETRY_AFTER,
        HeaderValue::from_static("soon"),
    );
    assert_eq!(retry_after(&headers), None);
}

#[test]
fn server_messages_come_from_every_documented_shape() {
    for (body, want) in [
        (&br#"{"error":"plain"}"#[..], Some("plain")),
        (br#"{"error":["first","second"]}"#, Some("first")),
        (br#"{"error":{"message":"nested"}}"#, Some("nested")),
        (br#"{"message":"top"}"#, Some("top")),
        (br#"{"error_description":"oauth"}"#, Some("oauth")),
        (br#"{"detail":"fastapi"}"#, Some("fastapi")),
        (b"Not Found", Some("Not Found")),
        (b"", None),
        (br#"{"unrelated":1}"#, None),
    ] {
        assert_eq!(server_message(body).as_deref(), want);
    }
}

/// A misbehaving proxy echoes the token into the request id and the error
/// body (issue 19 item 8): neither reaches the error, which the refresh logs.
#[tokio::test]
async fn a_token_echoed_by_the_upstream_is_redacted() {
    let long = format!("{{\"error\":\"{}{SECRET} was refused\"}}", "x".repeat(110));
    for body in [
        format!(r#"{{"error":"invalid token Bearer {SECRET}"}}"#),
        format!("invalid token {SECRET}"),
        // Cut inside the token by the 120-character excerpt.
        long,
    ] {
        let mut server = mockito::Server::new_async().await;
        server
            .mock("GET", "/v1/models")
            .with_status(401)
            .with_header("x-request-id", &format!("req-{SECRET}"))
            .with_body(&body)
            .create_async()
            .await;
        let e = fetch_from(&server, Some(&key())).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth, "{e}");
        assert_eq!(e.request_id.as_deref(), Some("req-<redacted>"));
        assert!(e.message.contains("<redacted>"), "{e}");
        assert_no_secret(&e);
        assert!(!e.message.contains(&SECRET[..8]), "a piece leaked: {e}");
    }
}
