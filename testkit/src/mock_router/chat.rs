//! `POST /v1/chat/completions`: request checks, routing, then the scenario.

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use bytes::Bytes;
use serde_json::Value;

use super::{
    answer::{Answer, Meta, Prompt},
    body::{ScriptBody, Step},
    conn::ConnHandle,
    errors::RouterError,
    known::is_reasoning_model,
    models::BACKENDS,
    replay,
    scenario::{STREAM_ERROR_MESSAGE, Scenario, fixture_id, tool_once_target},
    sse::{self, Framing, Item},
    state::{Shared, unix_now},
};

/// The backend that serves scenario models (and header scenarios on models
/// the list does not know).
const MOCK_BACKEND: &str = "hf-inference";

/// The parsed parts of a chat request the mock cares about.
struct ChatRequest {
    /// The model as sent, suffix included.
    model: String,
    stream: bool,
    include_usage: bool,
    prompt: Prompt,
}

pub(crate) async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&shared, &conn, &headers, &body, None).await
}

/// `POST /replay/{id}/v1/chat/completions`.
pub(crate) async fn replay_chat(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(id) = fixture_id(&id) else {
        return RouterError::for_status(404, "").into_response_with_id(&shared.request_id());
    };
    handle(&shared, &conn, &headers, &body, Some(Scenario::Replay(id))).await
}

async fn handle(
    shared: &Shared,
    conn: &ConnHandle,
    headers: &HeaderMap,
    body: &[u8],
    forced: Option<Scenario>,
) -> Response {
    let request_id = shared.request_id();
    if !shared.authorized(headers) {
        return RouterError::invalid_credentials().into_response_with_id(&request_id);
    }
    // Replays answer whatever was asked, like the recording did.
    if let Some(Scenario::Replay(id)) = &forced {
        return replay::respond(&shared.fixtures_dir, id, &request_id);
    }
    let request = match parse(body) {
        Ok(request) => request,
        Err(error) => return error.into_response_with_id(&request_id),
    };
    let (scenario, scenario_text) = match select_scenario(headers, &request.model) {
        Ok(selected) => selected,
        Err(error) => return error.into_response_with_id(&request_id),
    };
    let (base_model, backend) = match route(shared, &request.model, scenario.is_some()) {
        Some(routed) => routed,
        None => {
            return RouterError::model_not_supported(&request.model)
                .into_response_with_id(&request_id);
        }
    };
    let ctx = Ctx {
        shared,
        request_id,
        backend,
        meta: Meta {
            id: format!("chatcmpl-{}", shared.request_id()),
            created: unix_now(),
            model: base_model,
        },
        request,
    };
    let scenario = scenario.unwrap_or(Scenario::Echo);
    run(&ctx, conn, headers, scenario, &scenario_text).await
}

/// Picks the scenario: header first, then a `mock/<scenario>` model id.
/// Returns the scenario and the string it came from (the default
/// `fail-then-ok` counter key).
fn select_scenario(
    headers: &HeaderMap,
    model: &str,
) -> Result<(Option<Scenario>, String), RouterError> {
    if let Some(text) = headers.get("x-mock-scenario").and_then(|v| v.to_str().ok()) {
        let text = text.trim();
        return match Scenario::parse(text) {
            Some(scenario) => Ok((Some(scenario), text.to_owned())),
            None => Err(RouterError::model_not_supported(&format!(
                "x-mock-scenario: {text}"
            ))),
        };
    }
    let Some(text) = model.strip_prefix("mock/") else {
        return Ok((None, String::new()));
    };
    // `mock/tool-calls:fastest` should still work: a client may append a
    // routing suffix to any model id.
    let parsed = Scenario::parse(text).map(|s| (s, text)).or_else(|| {
        let (head, _suffix) = text.rsplit_once(':')?;
        Scenario::parse(head).map(|s| (s, head))
    });
    match parsed {
        Some((scenario, text)) => Ok((Some(scenario), text.to_owned())),
        None => Err(RouterError::model_not_supported(model)),
    }
}

/// Resolves the model and backend: `(model without suffix, backend)`.
fn route(shared: &Shared, model: &str, has_scenario: bool) -> Option<(String, &'static str)> {
    if model.starts_with("mock/") {
        // `mock/usage:groq` is served "by groq", as a forced backend would be.
        let backend = model
            .rsplit_once(':')
            .and_then(|(_, suffix)| BACKENDS.iter().find(|b| **b == suffix))
            .copied()
            .unwrap_or(MOCK_BACKEND);
        return Some((model.to_owned(), backend));
    }
    let (base, suffix) = match model.split_once(':') {
        Some((base, suffix)) => (base, Some(suffix)),
        None => (model, None),
    };
    let served = shared
        .models
        .routing
        .get(base)
        .and_then(|routing| routing.serve(suffix));
    match served {
        Some(backend) => Some((base.to_owned(), backend)),
        None if has_scenario => Some((base.to_owned(), MOCK_BACKEND)),
        None => None,
    }
}

fn parse(body: &[u8]) -> Result<ChatRequest, RouterError> {
    let json: Value = serde_json::from_slice(body).map_err(|err| {
        RouterError::validation(&format!("the request body is not valid JSON: {err}"))
    })?;
    let Some(model) = json.get("model").and_then(Value::as_str) else {
        let mut error = RouterError::model_not_supported("");
        error.body = serde_json::json!({"error": {
            "message": "you must provide a model parameter",
            "type": "invalid_request_error", "param": null, "code": null,
        }})
        .to_string();
        return Err(error);
    };
    let Some(messages) = json.get("messages").and_then(Value::as_array) else {
        return Err(RouterError::validation("missing field `messages`"));
    };
    let mut prompt_words = 0u64;
    let mut user_text = String::new();
    let mut tool_result = None;
    for message in messages {
        let text = message_text(message.get("content"));
        prompt_words += text.split_whitespace().count() as u64;
        match message.get("role").and_then(Value::as_str) {
            Some("user") => user_text = text,
            // The results that count are those after the last assistant
            // message: an answer ends a turn, and new calls start a new
            // round. (A user message may follow the results: the OpenClaw
            // gateway appends its runtime context after them.)
            Some("assistant") => tool_result = None,
            Some("tool") => tool_result = Some(text),
            _ => {}
        }
    }
    let base = model.split(':').next().unwrap_or(model);
    Ok(ChatRequest {
        model: model.to_owned(),
        stream: json.get("stream").and_then(Value::as_bool) == Some(true),
        include_usage: json
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            == Some(true),
        prompt: Prompt {
            user_text,
            prompt_words,
            reasoning_model: is_reasoning_model(base),
            tool_once_target: tool_once_target(json.get("tools")),
            tool_result,
        },
    })
}

/// A message's text: the string, or its text parts joined by newlines.
fn message_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Per-request context for running a scenario.
struct Ctx<'a> {
    shared: &'a Shared,
    request_id: String,
    backend: &'static str,
    meta: Meta,
    request: ChatRequest,
}

impl Ctx<'_> {
    fn error(&self, error: RouterError) -> Response {
        let mut response = error.into_response_with_id(&self.request_id);
        insert(&mut response, "x-inference-provider", self.backend);
        response
    }

    /// A 200 with the router's headers and a scripted body.
    fn ok(&self, content_type: &'static str, steps: Vec<Step>) -> Response {
        let mut response = Response::new(
            ScriptBody::new(steps)
                .counted(&self.shared.live_bodies)
                .into_body(),
        );
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if content_type == EVENT_STREAM {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        insert(&mut response, "x-inference-provider", self.backend);
        insert(&mut response, "x-request-id", &self.request_id);
        response
    }

    fn ok_full(&self, content_type: &'static str, body: Vec<u8>) -> Response {
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = StatusCode::OK;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        insert(&mut response, "x-inference-provider", self.backend);
        insert(&mut response, "x-request-id", &self.request_id);
        response
    }
}

const EVENT_STREAM: &str = "text/event-stream";
const JSON: &str = "application/json";

fn insert(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

async fn run(
    ctx: &Ctx<'_>,
    conn: &ConnHandle,
    headers: &HeaderMap,
    scenario: Scenario,
    scenario_text: &str,
) -> Response {
    let model = ctx.meta.model.as_str();
    match &scenario {
        Scenario::RateLimit => return ctx.error(RouterError::rate_limited(true)),
        Scenario::RateLimitNoRetryAfter => return ctx.error(RouterError::rate_limited(false)),
        Scenario::Status(code) => return ctx.error(RouterError::for_status(*code, model)),
        Scenario::FailThenOk { failures, status } => {
            let key = headers
                .get("x-mock-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or(scenario_text);
            if ctx.shared.bump_failure_counter(key) <= *failures {
                return ctx.error(RouterError::for_status(*status, model));
            }
        }
        Scenario::Flaky(every)
            if ctx
                .shared
                .bump_failure_counter(scenario_text)
                .is_multiple_of(*every) =>
        {
            return ctx.error(RouterError::for_status(500, model));
        }
        Scenario::ResetBefore => {
            // RST the socket; hyper's attempt to write the response below
            // fails, so the client never sees a status line.
            conn.0.kill(true);
            return ctx.error(RouterError::for_status(500, model));
        }
        Scenario::StallBefore(delay) => tokio::time::sleep(*delay).await,
        Scenario::Replay(id) => {
            return replay::respond(&ctx.shared.fixtures_dir, id, &ctx.request_id);
        }
        _ => {}
    }
    let answer = Answer::for_scenario(&scenario, &ctx.request.prompt);
    if ctx.request.stream {
        stream(ctx, &scenario, &answer)
    } else {
        complete(ctx, &scenario, &answer)
    }
}

fn stream(ctx: &Ctx<'_>, scenario: &Scenario, answer: &Answer) -> Response {
    let (chunks, content_start) = answer.chunks(&ctx.meta, ctx.request.include_usage);
    let mut items: Vec<Item> = chunks.into_iter().map(Item::Chunk).collect();
    items.push(Item::Done);
    let cut = (content_start + 2).min(items.len());
    let mut framing = Framing {
        crlf: false,
        pace: ctx.shared.options.token_delay,
    };
    match scenario {
        Scenario::Truncated => items.truncate((content_start + 3).min(items.len())),
        Scenario::NoDone => {
            items.pop();
        }
        Scenario::StreamError => {
            items.truncate(cut);
            items.push(Item::Raw(
                serde_json::json!({"error": STREAM_ERROR_MESSAGE, "error_type": "overloaded"})
                    .to_string(),
            ));
        }
        Scenario::ResetMid => {
            items.truncate(cut);
            items.push(Item::Abort);
        }
        Scenario::StallMid(delay) => items.insert(cut, Item::Pause(*delay)),
        Scenario::MalformedChunk => items.insert(
            cut,
            Item::Raw(r#"{"id":"chatcmpl-broken","choices":[{"delta":{"content":"BROKEN"#.into()),
        ),
        Scenario::Crlf => framing.crlf = true,
        Scenario::Slow(delay) => framing.pace = *delay,
        _ => {}
    }
    let steps = sse::steps(items, framing);
    if *scenario == Scenario::SplitUtf8 {
        let bytes = sse::concat(&steps);
        return ctx.ok(EVENT_STREAM, sse::split_utf8_steps(&bytes, SPLIT_PAUSE));
    }
    ctx.ok(EVENT_STREAM, steps)
}

/// Gap between the writes of `split-utf8`: long enough that a client's
/// reads really end mid-character.
const SPLIT_PAUSE: Duration = Duration::from_millis(2);

fn complete(ctx: &Ctx<'_>, scenario: &Scenario, answer: &Answer) -> Response {
    let body = answer.completion_json(&ctx.meta).to_string().into_bytes();
    let half = body.len() / 2;
    let head = || Step::Data(Bytes::copy_from_slice(&body[..half]));
    let tail = || Step::Data(Bytes::copy_from_slice(&body[half..]));
    match scenario {
        Scenario::Truncated | Scenario::MalformedChunk => ctx.ok(JSON, vec![head()]),
        Scenario::ResetMid => ctx.ok(
            JSON,
            vec![head(), Step::Pause(Duration::from_millis(20)), Step::Abort],
        ),
        Scenario::StallMid(delay) => ctx.ok(JSON, vec![head(), Step::Pause(*delay), tail()]),
        Scenario::SplitUtf8 => ctx.ok(JSON, sse::split_utf8_steps(&body, SPLIT_PAUSE)),
        Scenario::StreamError => ctx.ok_full(
            JSON,
            serde_json::json!({"error": STREAM_ERROR_MESSAGE, "error_type": "overloaded"})
                .to_string()
                .into_bytes(),
        ),
        _ => ctx.ok_full(JSON, body),
    }
}
