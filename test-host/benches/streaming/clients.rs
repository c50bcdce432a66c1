//! The two clients: the loaded plugin read as a host reads it, and the raw
//! baseline; and what one run of a scenario measured.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use host_sdk::{ChatEvent, ChatRequest, HostContext, Message, Plugin, Provider};
use serde::Deserialize;
use serde_json::json;
use testkit::sse_server::{SseServer, model};

use crate::Scenario;

/// What one stream delivered.
#[derive(Default, Clone, Copy)]
pub(crate) struct StreamStats {
    pub(crate) tokens: usize,
    pub(crate) first_token: Duration,
}

pub(crate) fn request_for(tokens: usize, per_write: usize) -> ChatRequest {
    ChatRequest::new(
        format!("huggingface/{}", model(tokens, per_write)),
        vec![Message::user("Write a long story.")],
    )
}

/// Through the plugin, as a host reads it. Checks that every token, the
/// usage and the end arrived.
pub(crate) async fn plugin_stream(
    provider: &Provider,
    tokens: usize,
    per_write: usize,
) -> StreamStats {
    let started = Instant::now();
    let mut stream = provider.complete(request_for(tokens, per_write));
    let mut stats = StreamStats::default();
    let (mut usage, mut done) = (false, false);
    while let Some(item) = stream.next().await {
        match item.expect("plugin stream") {
            ChatEvent::Content(_) => {
                if stats.tokens == 0 {
                    stats.first_token = started.elapsed();
                }
                stats.tokens += 1;
            }
            ChatEvent::Usage(u) => usage = u.completion_tokens == tokens as u64,
            ChatEvent::Done { .. } => done = true,
            _ => {}
        }
    }
    assert!(
        stats.tokens == tokens && usage && done,
        "plugin lost events: {} of {tokens} tokens, usage {usage}, done {done}",
        stats.tokens
    );
    stats
}

/// The baseline's view of a chunk: borrowed, only what it counts, and only
/// the first choice (no `Vec` per chunk).
#[derive(Deserialize)]
pub(crate) struct RawChunk<'a> {
    #[serde(borrow, default, deserialize_with = "first_choice")]
    pub(crate) choices: Option<RawChoice<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct RawChoice<'a> {
    #[serde(borrow, default)]
    pub(crate) delta: Option<RawDelta<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct RawDelta<'a> {
    #[serde(borrow, default)]
    pub(crate) content: Option<Cow<'a, str>>,
}

pub(crate) fn first_choice<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<RawChoice<'a>>, D::Error> {
    struct First<'a>(std::marker::PhantomData<RawChoice<'a>>);
    impl<'de: 'a, 'a> serde::de::Visitor<'de> for First<'a> {
        type Value = Option<RawChoice<'a>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let first = seq.next_element()?;
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(first)
        }
    }
    d.deserialize_seq(First(std::marker::PhantomData))
}

/// The raw baseline: reqwest, lines split with memchr, the complete lines of
/// each read checked as UTF-8 at once, each `data:` line parsed into
/// borrowed types.
pub(crate) async fn raw_stream(
    http: &reqwest::Client,
    url: &str,
    tokens: usize,
    per_write: usize,
) -> StreamStats {
    let body = format!(
        r#"{{"model":"{}","messages":[{{"role":"user","content":"Write a long story."}}],"stream":true,"stream_options":{{"include_usage":true}}}}"#,
        model(tokens, per_write)
    );
    let started = Instant::now();
    let mut response = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(body)
        .send()
        .await
        .expect("raw send");
    assert!(response.status().is_success());
    let mut stats = StreamStats::default();
    let mut done = false;
    let mut on_line = |line: &str| {
        let Some(data) = line.strip_prefix("data:") else {
            return;
        };
        let data = data.trim_ascii_start();
        if data == "[DONE]" {
            done = true;
            return;
        }
        let chunk: RawChunk<'_> = serde_json::from_str(data).expect("chunk JSON");
        let content = chunk
            .choices
            .and_then(|c| c.delta)
            .and_then(|d| d.content)
            .unwrap_or_default();
        if !content.is_empty() {
            if stats.tokens == 0 {
                stats.first_token = started.elapsed();
            }
            stats.tokens += 1;
        }
    };
    // Only a line cut by a read is copied; every other line is parsed in
    // place, in the read's buffer.
    let mut carry: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.expect("raw read") {
        let mut bytes: &[u8] = &chunk;
        if !carry.is_empty() {
            let Some(end) = memchr::memchr(b'\n', bytes) else {
                carry.extend_from_slice(bytes);
                continue;
            };
            carry.extend_from_slice(&bytes[..end]);
            on_line(std::str::from_utf8(&carry).expect("UTF-8"));
            carry.clear();
            bytes = &bytes[end + 1..];
        }
        let whole = memchr::memrchr(b'\n', bytes).map_or(0, |end| end + 1);
        let mut lines = std::str::from_utf8(&bytes[..whole]).expect("UTF-8");
        while let Some(end) = memchr::memchr(b'\n', lines.as_bytes()) {
            on_line(&lines[..end]);
            lines = &lines[end + 1..];
        }
        carry.extend_from_slice(&bytes[whole..]);
    }
    assert!(
        stats.tokens == tokens && done,
        "raw lost events: {} of {tokens}",
        stats.tokens
    );
    stats
}

/// CPU time (ns) that every thread of this process but `except` (the
/// server's) has used so far. Threads that ended are not counted: the
/// clients' threads all live as long as the runs.
pub(crate) fn client_cpu_ns(except: Option<u32>) -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter(|t| t.file_name().to_str().and_then(|n| n.parse().ok()) != except)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// What one run of a scenario measured.
pub(crate) struct Run {
    pub(crate) tokens_per_s: f64,
    /// Client CPU time per token: what the client costs, whatever else the
    /// machine is doing.
    pub(crate) cpu_ns_per_token: f64,
    pub(crate) first_tokens: Vec<Duration>,
}

/// The two clients of one process, sharing its host runtime and server.
pub(crate) struct Clients {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) provider: Provider,
    pub(crate) plugin: Plugin,
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
    pub(crate) server_thread: Option<u32>,
}

impl Clients {
    pub(crate) fn new(server: &SseServer) -> Clients {
        // A current-thread runtime for both: the raw baseline runs on it, and
        // a host reading streams on one thread is the plugin's hardest case
        // (every event crosses from the plugin's threads to this one).
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let plugin = Plugin::load(plugin_path()).expect("load plugin");
        let settings = json!({
            "baseUrl": server.base_url(),
            "discovery": { "enabled": false },
        });
        let provider =
            Provider::new(&plugin, HostContext::new("bench", "0"), &settings).expect("provider");
        Clients {
            rt,
            provider,
            plugin,
            http: reqwest::Client::new(),
            url: format!("{}/chat/completions", server.base_url()),
            server_thread: server.thread_id(),
        }
    }

    /// `concurrency` streams at once, `repeat` times.
    pub(crate) fn run(&self, plugin: bool, s: &Scenario, repeat: usize) -> Run {
        let cpu_before = client_cpu_ns(self.server_thread);
        self.rt.block_on(async {
            let started = Instant::now();
            let mut total = 0;
            let mut firsts = Vec::new();
            for _ in 0..repeat {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..s.concurrency {
                    let (provider, http, url) =
                        (self.provider.clone(), self.http.clone(), self.url.clone());
                    let (tokens, per_write) = (s.tokens, s.per_write);
                    set.spawn(async move {
                        if plugin {
                            plugin_stream(&provider, tokens, per_write).await
                        } else {
                            raw_stream(&http, &url, tokens, per_write).await
                        }
                    });
                }
                while let Some(stats) = set.join_next().await {
                    let stats = stats.expect("stream task");
                    total += stats.tokens;
                    firsts.push(stats.first_token);
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            let cpu = client_cpu_ns(self.server_thread).saturating_sub(cpu_before);
            Run {
                tokens_per_s: total as f64 / seconds,
                cpu_ns_per_token: cpu as f64 / total as f64,
                first_tokens: firsts,
            }
        })
    }
}

/// The plugin cargo built in this benchmark's profile (release for `cargo
/// bench`): it is a dev-dependency of test-host.
pub(crate) fn plugin_path() -> PathBuf {
    testkit::cdylib::plugin_path().expect("the plugin cdylib")
}
