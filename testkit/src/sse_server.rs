//! A local chat-completions server that streams as fast as a socket allows,
//! so that a benchmark measures its client, not the server.
//!
//! The mock router builds every chunk with serde and writes it through axum
//! and hyper; a fast client waits on it. This server does no work per
//! request beyond finding the model name: every answer is rendered once, on
//! first use, into the exact bytes of its writes (HTTP/1.1 chunked framing
//! included) and then written from memory. Each answer is a realistic OpenAI
//! stream — a role chunk, one chunk per token (`id`, `object`, `created`,
//! `model`, `choices[0].delta.content` of one short word, `finish_reason:
//! null`), a finish chunk, a usage chunk, `data: [DONE]` — written `N` events
//! per write, on sockets with `TCP_NODELAY`, from its own thread and
//! current-thread runtime.
//!
//! The model name says what to stream: [`model`]`(tokens, per_write)`, e.g.
//! `bench/t20000-n64`. Anything else is a 404.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc;

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The model name that streams `tokens` content tokens, `per_write` events
/// per write.
pub fn model(tokens: usize, per_write: usize) -> String {
    format!("bench/t{tokens}-n{per_write}")
}

/// The words the tokens cycle through, each with its leading space as
/// tokenizers produce them.
const WORDS: [&str; 8] = [
    " the", " quick", " brown", " fox", " jumps", " over", " a", " dog",
];

/// The running server; dropping it stops it.
#[derive(Debug)]
pub struct SseServer {
    addr: SocketAddr,
    thread_id: Option<u32>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SseServer {
    /// Starts the server on `127.0.0.1:0`, on a thread of its own.
    ///
    /// # Errors
    /// The runtime, the thread or the listener cannot be created.
    pub fn start() -> io::Result<SseServer> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sse-server".into())
            .spawn(move || {
                let started = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .and_then(|rt| {
                        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0"))?;
                        Ok((rt, listener))
                    });
                let (rt, listener) = match started {
                    Ok(started) => started,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(listener.local_addr().map(|a| (a, current_thread_id())));
                rt.block_on(async move {
                    tokio::select! {
                        _ = stopped => {}
                        () = serve(listener) => {}
                    }
                });
            })?;
        let (addr, thread_id) = ready_rx
            .recv()
            .map_err(|_| io::Error::other("the server thread ended before it started"))??;
        Ok(SseServer {
            addr,
            thread_id,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The OS id of the server's thread (Linux), so a benchmark can pin it
    /// to a CPU of its own.
    pub fn thread_id(&self) -> Option<u32> {
        self.thread_id
    }
}

impl Drop for SseServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The calling thread's OS id, from `/proc/thread-self` (Linux only).
pub fn current_thread_id() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Answers rendered so far, by (tokens, events per write).
type Rendered = Arc<Mutex<HashMap<(usize, usize), Arc<Vec<Vec<u8>>>>>>;

async fn serve(listener: TcpListener) {
    let rendered = Rendered::default();
    while let Ok((socket, _)) = listener.accept().await {
        let _ = socket.set_nodelay(true);
        tokio::spawn(connection(socket, Arc::clone(&rendered)));
    }
}

/// One keep-alive connection: requests in, answers out, until the client
/// closes it.
async fn connection(mut socket: TcpStream, rendered: Rendered) {
    let mut buffer = Vec::with_capacity(16 * 1024);
    loop {
        let Some((head_end, body_len)) = read_head(&mut socket, &mut buffer).await else {
            return;
        };
        while buffer.len() < head_end + body_len {
            if !read_more(&mut socket, &mut buffer).await {
                return;
            }
        }
        let request = &buffer[..head_end + body_len];
        let answer = scenario(request).map(|(tokens, per_write)| {
            Arc::clone(
                rendered
                    .lock()
                    .entry((tokens, per_write))
                    .or_insert_with(|| Arc::new(render(tokens, per_write))),
            )
        });
        buffer.drain(..head_end + body_len);
        let written = match answer {
            Some(writes) => write_all(&mut socket, &writes).await,
            None => socket
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                .await
                .is_ok(),
        };
        if !written {
            return;
        }
    }
}

async fn write_all(socket: &mut TcpStream, writes: &[Vec<u8>]) -> bool {
    for piece in writes {
        if socket.write_all(piece).await.is_err() {
            return false;
        }
    }
    true
}

/// Reads until the end of a request head; returns where the body starts and
/// its `content-length`. `None` when the connection closed.
async fn read_head(socket: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(usize, usize)> {
    loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..at]).to_ascii_lowercase();
            let body_len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            return Some((at + 4, body_len));
        }
        if !read_more(socket, buffer).await {
            return None;
        }
    }
}

async fn read_more(socket: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match socket.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

/// `(tokens, per_write)` from a `POST …/chat/completions` whose model is a
/// [`model`] name. The model is found by text: clients put it near the top.
fn scenario(request: &[u8]) -> Option<(usize, usize)> {
    let text = std::str::from_utf8(request).ok()?;
    let first_line = text.lines().next()?;
    if !(first_line.starts_with("POST ") && first_line.contains("/chat/completions")) {
        return None;
    }
    let name = text.split("\"model\":").nth(1)?.trim_start();
    let name = name.strip_prefix('"')?.split('"').next()?;
    let (tokens, per_write) = name.strip_prefix("bench/t")?.split_once("-n")?;
    Some((
        tokens.parse().ok()?,
        per_write.parse::<usize>().ok()?.max(1),
    ))
}

/// The writes of one answer: the response head, then the events `per_write`
/// at a time, each write one HTTP chunk; the last one ends the body.
fn render(tokens: usize, per_write: usize) -> Vec<Vec<u8>> {
    let id = "chatcmpl-7f3a9c2e5b8d4f1a";
    let created = 1_718_000_000;
    let model = "Qwen/Qwen3-8B";
    let chunk = |delta: &str, finish: &str| {
        format!(
            "data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"created\":{created},\
             \"model\":\"{model}\",\"choices\":[{{\"index\":0,\"delta\":{delta},\
             \"finish_reason\":{finish}}}]}}\n\n"
        )
    };
    let mut events = Vec::with_capacity(tokens + 4);
    events.push(chunk(r#"{"role":"assistant","content":""}"#, "null"));
    for i in 0..tokens {
        let word = WORDS[i % WORDS.len()];
        events.push(chunk(&format!("{{\"content\":\"{word}\"}}"), "null"));
    }
    events.push(chunk("{}", "\"stop\""));
    events.push(format!(
        "data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"created\":{created},\
         \"model\":\"{model}\",\"choices\":[],\"usage\":{{\"prompt_tokens\":12,\
         \"completion_tokens\":{tokens},\"total_tokens\":{}}}}}\n\n",
        tokens + 12
    ));
    events.push("data: [DONE]\n\n".to_string());

    let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
x-inference-provider: bench\r\ntransfer-encoding: chunked\r\n\r\n";
    let mut writes = vec![head.to_vec()];
    let groups: Vec<&[String]> = events.chunks(per_write).collect();
    for (i, group) in groups.iter().enumerate() {
        let data: String = group.concat();
        let mut write = format!("{:x}\r\n", data.len()).into_bytes();
        write.extend_from_slice(data.as_bytes());
        write.extend_from_slice(b"\r\n");
        if i + 1 == groups.len() {
            write.extend_from_slice(b"0\r\n\r\n");
        }
        writes.push(write);
    }
    writes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_come_from_the_model_name() {
        let request = b"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: 40\r\n\r\n{\"model\":\"bench/t20000-n64\",\"stream\":true}";
        assert_eq!(scenario(request), Some((20000, 64)));
        assert_eq!(
            scenario(b"POST /v1/chat/completions HTTP/1.1\r\n\r\n{\"model\":\"x\"}"),
            None
        );
        assert_eq!(scenario(b"GET /v1/models HTTP/1.1\r\n\r\n"), None);
    }

    #[test]
    fn an_answer_is_its_events_in_chunks_of_n() {
        let writes = render(3, 2);
        // head + ceil((1 role + 3 tokens + finish + usage + done) / 2) writes
        assert_eq!(writes.len(), 1 + 4);
        let body: String = writes[1..]
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        assert_eq!(body.matches("data: ").count(), 7);
        assert!(body.ends_with("data: [DONE]\n\n\r\n0\r\n\r\n"));
        assert!(body.contains(r#""delta":{"content":" quick"},"finish_reason":null"#));
    }
}
