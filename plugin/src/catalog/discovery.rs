//! `GET <base_url>/models`: one bounded request, every failure a typed error.

use std::time::Duration;

use provider_abi::{ErrorKind, ProviderError};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};

use super::api::{ApiModel, excerpt, parse_models};
use crate::auth::{ApiKey, redact_error};

/// How much of an error body is read: enough for any message, and a broken
/// server streaming megabytes of HTML cannot hold the refresh.
const ERROR_BODY_CAP: usize = 16 * 1024;

/// Fetches and parses the router's model list.
///
/// `timeout` bounds the whole exchange, body included: the list is several MB
/// and a stalled body must not hang a refresh. `max_bytes` caps the (decoded)
/// body; reading stops at the cap rather than buffering whatever arrives.
///
/// # Errors
/// A typed [`ProviderError`]: `Timeout`, `Network`, one kind per HTTP status
/// (with the status, the server's message and `x-request-id`), or `Internal`
/// for a body that is too large or not a model list.
pub(crate) async fn fetch_models(
    http: &reqwest::Client,
    base_url: &str,
    key: Option<&ApiKey>,
    timeout: Duration,
    max_bytes: usize,
) -> Result<Vec<ApiModel>, ProviderError> {
    let url = models_url(base_url);
    match tokio::time::timeout(timeout, fetch(http, &url, key, max_bytes)).await {
        // An upstream that echoes the token (in the request id, the error
        // body) must not pass it on to the refresh log or the host.
        Ok(result) => result.map_err(|mut e| {
            redact_error(key, &mut e);
            e
        }),
        Err(_) => Err(ProviderError::new(
            ErrorKind::Timeout,
            format!(
                "listing models at {url} took longer than the {:.1} s limit",
                timeout.as_secs_f64()
            ),
        )),
    }
}

/// `<base>/models`; the base may or may not end with `/`.
fn models_url(base_url: &str) -> String {
    format!("{}/models", base_url.trim().trim_end_matches('/'))
}

async fn fetch(
    http: &reqwest::Client,
    url: &str,
    key: Option<&ApiKey>,
    max_bytes: usize,
) -> Result<Vec<ApiModel>, ProviderError> {
    let mut request = http.get(url).header(ACCEPT, "application/json");
    if let Some(key) = key {
        let mut value = HeaderValue::from_str(&key.bearer()).map_err(|_| {
            ProviderError::new(
                ErrorKind::Auth,
                "the token contains characters an HTTP header cannot carry",
            )
        })?;
        // Keeps the token out of any Debug print of the request.
        value.set_sensitive(true);
        request = request.header(AUTHORIZATION, value);
    }
    let mut response = request.send().await.map_err(|e| transport_error(&e, url))?;
    let status = response.status().as_u16();
    let request_id = request_id(response.headers());
    let with_context = |mut e: ProviderError| {
        e.status = Some(status);
        e.request_id.clone_from(&request_id);
        e
    };

    if !response.status().is_success() {
        let retry_after = retry_after(response.headers());
        let header_message = response
            .headers()
            .get("x-error-message")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let html = is_html_type(response.headers());
        // A broken connection while reading an error body still leaves the
        // status, which is the important part.
        let body = read_capped(&mut response, ERROR_BODY_CAP)
            .await
            .map(|(body, _)| body)
            .unwrap_or_default();
        let mut error = with_context(match html_page(status, html, &body) {
            Some(page) => html_error(status, &page),
            None => status_error(status, &body, header_message),
        });
        error.retry_after = retry_after;
        return Err(error);
    }

    let html = is_html_type(response.headers());
    if response
        .content_length()
        .is_some_and(|n| n > max_bytes as u64)
    {
        return Err(with_context(too_large(max_bytes)));
    }
    let (body, truncated) = read_capped(&mut response, max_bytes)
        .await
        .map_err(|e| with_context(transport_error(&e, url)))?;
    if truncated {
        return Err(with_context(too_large(max_bytes)));
    }
    parse_models(&body).map_err(|e| {
        with_context(match html_page(status, html, &body) {
            Some(page) => ProviderError::new(
                ErrorKind::Internal,
                format!("listing models failed: the answer was {page}, not a model list"),
            ),
            None => ProviderError::new(ErrorKind::Internal, e.to_string()),
        })
    })
}

/// Whether the answer says it is HTML (`text/html`, `application/xhtml+xml`).
fn is_html_type(headers: &HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let t = t.trim_start().to_ascii_lowercase();
            t.starts_with("text/html") || t.starts_with("application/xhtml")
        })
}

/// A body that is an HTML page (by its type or its first tag), described
/// for people: `an HTML error page (HTTP 502) titled "502 Bad Gateway"`.
/// Its markup says nothing to a reader and would only fill the message.
fn html_page(status: u16, typed_html: bool, body: &[u8]) -> Option<String> {
    let start = String::from_utf8_lossy(body.get(..512).unwrap_or(body)).to_ascii_lowercase();
    let start = start.trim_start();
    let looks_html = start.starts_with("<!doctype html") || start.starts_with("<html");
    if !(typed_html || looks_html) {
        return None;
    }
    let kind = if (200..300).contains(&status) {
        "an HTML page"
    } else {
        "an HTML error page"
    };
    Some(match page_title(body) {
        Some(title) => format!("{kind} (HTTP {status}) titled \"{title}\""),
        None => format!("{kind} (HTTP {status})"),
    })
}

/// The text of a page's `<title>`, else of its first `<h1>`, on one line and
/// cut like any excerpt; `None` when neither has text.
fn page_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    // ASCII lower-casing keeps byte offsets, so they index `text` too.
    let lower = text.to_ascii_lowercase();
    ["title", "h1"].iter().find_map(|tag| {
        let open = lower.find(&format!("<{tag}"))?;
        let content = open + lower.get(open..)?.find('>')? + 1;
        let end = content + lower.get(content..)?.find(&format!("</{tag}"))?;
        let inner = strip_tags(text.get(content..end)?);
        let title = excerpt(decode_entities(&inner).as_bytes());
        (!title.is_empty()).then_some(title)
    })
}

/// `text` without its tags (`<center>`, `<b>` inside a heading).
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The few entities a page title uses.
fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// A non-success answer that is an HTML page: its kind by status, the page
/// described rather than quoted.
fn html_error(status: u16, page: &str) -> ProviderError {
    let mut error = status_error(status, b"", None);
    error.message = format!("listing models failed: the router answered {page}");
    error
}

/// Reads at most `cap` bytes; `true` when the body had more.
async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(chunk.get(..room).unwrap_or_default());
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

fn too_large(max_bytes: usize) -> ProviderError {
    ProviderError::new(
        ErrorKind::Internal,
        format!("the model list is larger than the {max_bytes}-byte limit"),
    )
}

fn transport_error(error: &reqwest::Error, url: &str) -> ProviderError {
    let kind = if error.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    // reqwest's message names the URL but never the headers, so no token.
    ProviderError::new(kind, format!("listing models at {url} failed: {error}"))
}

/// One kind per status, with the server's own words when it sent some.
fn status_error(status: u16, body: &[u8], header_message: Option<String>) -> ProviderError {
    let (kind, hint) = match status {
        401 => (ErrorKind::Auth, "the token was rejected"),
        402 => (ErrorKind::Billing, "the account has no credits left"),
        403 => (
            ErrorKind::Permission,
            "the token lacks the \"Make calls to Inference Providers\" permission",
        ),
        404 => (ErrorKind::InvalidRequest, "no model list at this base URL"),
        408 => (ErrorKind::Timeout, "the router timed out"),
        429 => (ErrorKind::RateLimited, "rate limited"),
        500..=599 => (ErrorKind::Unavailable, "the router is unavailable"),
        400..=499 => (ErrorKind::InvalidRequest, "the request was refused"),
        _ => (ErrorKind::Internal, "unexpected answer"),
    };
    let message = server_message(body)
        .or(header_message)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| hint.to_string());
    ProviderError::new(kind, format!("listing models failed: {message}"))
}

/// The message in an error body: `error` as a string, an object with
/// `message` or a list; else `error_description`, `detail`, `message`; else
/// the start of a plain-text body.
fn server_message(body: &[u8]) -> Option<String> {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = excerpt(body);
        return (!text.is_empty()).then_some(text);
    };
    let from = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.trim().to_string()),
            serde_json::Value::Object(o) => o
                .get("message")
                .or_else(|| o.get("msg"))
                .and_then(|m| m.as_str())
                .map(|s| s.trim().to_string()),
            serde_json::Value::Array(list) => list.iter().find_map(|item| match item {
                serde_json::Value::String(s) => Some(s.trim().to_string()),
                serde_json::Value::Object(o) => o
                    .get("msg")
                    .or_else(|| o.get("message"))
                    .and_then(|m| m.as_str())
                    .map(|s| s.trim().to_string()),
                _ => None,
            }),
            _ => None,
        }
    };
    ["error", "error_description", "detail", "message"]
        .iter()
        .filter_map(|key| json.get(key))
        .find_map(from)
        .filter(|m| !m.is_empty())
        .map(|m| excerpt(m.as_bytes()))
}

/// `x-request-id`, else `x-amzn-trace-id`.
fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "x-amzn-trace-id"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_string)
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests;
