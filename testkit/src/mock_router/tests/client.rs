//! A tiny raw HTTP/1.1 client for the mock's tests: reqwest is not a
//! test-host dependency, and raw reads show resets and broken chunked bodies
//! exactly as they happen.

use std::net::SocketAddr;

use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// A raw response: what arrived before EOF or an error.
#[derive(Debug)]
pub(super) struct Raw {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    /// The body, de-chunked when chunked.
    pub(super) body: Vec<u8>,
    /// The read ended in an error (reset), or a chunked body never finished.
    pub(super) broken: bool,
}

impl Raw {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends one request with `Connection: close`; returns the raw bytes read
/// and whether reading ended in an error.
pub(super) async fn exchange(addr: SocketAddr, request: &[u8]) -> (Vec<u8>, bool) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return (bytes, false),
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(_) => return (bytes, true),
        }
    }
}

pub(super) async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Raw {
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request.push_str("content-type: application/json\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    let (bytes, errored) = exchange(addr, request.as_bytes()).await;
    parse_response(&bytes, errored)
}

pub(super) fn parse_response(bytes: &[u8], errored: bool) -> Raw {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {} bytes", bytes.len()));
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &bytes[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if !chunked {
        return Raw {
            status,
            headers,
            body: rest.to_vec(),
            broken: errored,
        };
    }
    let (body, complete) = dechunk(rest);
    Raw {
        status,
        headers,
        body,
        broken: errored || !complete,
    }
}

/// Decodes a chunked body; `false` when the terminating chunk is missing.
pub(super) fn dechunk(mut rest: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return (body, false);
        };
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let Ok(size) = usize::from_str_radix(size_text.trim(), 16) else {
            return (body, false);
        };
        if size == 0 {
            return (body, true);
        }
        let start = line_end + 2;
        if rest.len() < start + size + 2 {
            body.extend_from_slice(&rest[start.min(rest.len())..]);
            return (body, false);
        }
        body.extend_from_slice(&rest[start..start + size]);
        rest = &rest[start + size + 2..];
    }
}

/// The `data:` payloads of an SSE body, tolerant of CRLF and missing spaces.
pub(super) fn sse_payloads(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8(body.to_vec())
        .unwrap()
        .replace("\r\n", "\n");
    text.split("\n\n")
        .filter_map(|event| event.strip_prefix("data:"))
        .map(|payload| payload.strip_prefix(' ').unwrap_or(payload).to_owned())
        .collect()
}

/// What a client would report from an SSE body: (content, reasoning by field,
/// tool calls, finish reason, usage chunk, saw [DONE]).
pub(super) struct Streamed {
    pub(super) content: String,
    pub(super) reasoning: String,
    /// (id, name, arguments) by index: id and name from the call's first
    /// delta that has them, arguments concatenated.
    pub(super) tool_calls: Vec<(String, String, String)>,
    pub(super) finish: Option<String>,
    pub(super) usage: Option<Value>,
    pub(super) done: bool,
}

pub(super) fn collect(body: &[u8]) -> Streamed {
    let mut out = Streamed {
        content: String::new(),
        reasoning: String::new(),
        tool_calls: Vec::new(),
        finish: None,
        usage: None,
        done: false,
    };
    for payload in sse_payloads(body) {
        if payload == "[DONE]" {
            out.done = true;
            continue;
        }
        let Ok(chunk) = serde_json::from_str::<Value>(&payload) else {
            continue;
        };
        if chunk["choices"] == json!([]) {
            out.usage = Some(chunk["usage"].clone());
        }
        let delta = &chunk["choices"][0]["delta"];
        for field in ["reasoning", "reasoning_content", "reasoning_text"] {
            out.reasoning.push_str(delta[field].as_str().unwrap_or(""));
        }
        out.content
            .push_str(delta["content"].as_str().unwrap_or(""));
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            add_tool_call_delta(&mut out.tool_calls, call);
        }
        if let Some(finish) = chunk["choices"][0]["finish_reason"].as_str() {
            out.finish = Some(finish.to_owned());
        }
    }
    out
}

/// Folds one `delta.tool_calls` entry into the calls assembled so far.
fn add_tool_call_delta(calls: &mut Vec<(String, String, String)>, call: &Value) {
    let index = call["index"].as_u64().unwrap_or(0) as usize;
    if calls.len() <= index {
        calls.resize(index + 1, Default::default());
    }
    let (id, name, arguments) = &mut calls[index];
    // Continuation deltas carry `id: ""` and `name: null`: keep the first.
    if id.is_empty() {
        *id = call["id"].as_str().unwrap_or("").to_owned();
    }
    if name.is_empty() {
        *name = call["function"]["name"].as_str().unwrap_or("").to_owned();
    }
    arguments.push_str(call["function"]["arguments"].as_str().unwrap_or(""));
}
