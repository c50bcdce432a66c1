//! A realistic local stand-in for the Hugging Face router.
//!
//! Used by the demo, the end-to-end tests (which dlopen the real plugin and
//! point it at [`MockRouter::base_url`]) and the benchmarks. It never touches
//! the network beyond its own listening socket.
//!
//! # Endpoints
//! - `GET /v1/models`: a seed-deterministic list (see `models.rs`): the ten
//!   [`KNOWN_MODELS`], a `mock/<scenario>` row per [`LISTED_SCENARIOS`], then
//!   generated rows up to [`MockOptions::model_count`]. Served without a token
//!   like the real router; a wrong token gets the 401. Failure modes:
//!   [`MockRouter::set_models_failure`].
//! - `POST /v1/chat/completions`: OpenAI-compatible, with the router's
//!   `x-inference-provider` (the `:backend` suffix, else the model's first live
//!   backend; `hf-inference` for `mock/*`) and `x-request-id` headers. The
//!   default answer and every scenario are specified in [`scenario`].
//! - `GET /replay/NNN/v1/models`, `POST /replay/NNN/v1/chat/completions`: see
//!   [`replay`].
//! - `GET /mock/stats`: `{live_responses, requests, chat_requests,
//!   chat_requests_by_model}`, for tests
//!   that drive the mock from another process (not a router endpoint).
//! - Anything else: 404 `Not Found` (text/plain), as the router answers.
//!
//! # Layout
//! `conn` (listener with per-connection kill switch), `routes` (HTTP surface,
//! request recording), `chat` (chat handler), `answer` (answer → chunks / JSON),
//! `sse` (framing, byte tricks), `body` (scripted bodies), `scenario`
//! (contracts), `errors` (router error bodies), `models` + `known` + `catalog`
//! (the list), `replay` (fixtures), `state` (shared state).

mod answer;
mod body;
mod catalog;
mod chat;
mod conn;
mod errors;
mod known;
mod models;
pub mod replay;
mod routes;
pub mod scenario;
mod sse;
mod state;
#[cfg(test)]
mod tests;

use std::{
    io,
    net::{Ipv4Addr, SocketAddr},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use tokio::{sync::oneshot, task::JoinHandle};

pub use errors::{INVALID_CREDENTIALS, RouterError};
pub use known::{KNOWN_MODELS, LISTED_SCENARIOS};
pub use models::BACKENDS;
pub use scenario::{Expected, Scenario, expected};

/// The `GET /v1/models` body a mock router with `model_count` rows and `seed`
/// serves, for benchmarks that parse a realistic list without a server.
pub fn models_list_json(model_count: usize, seed: u64) -> bytes::Bytes {
    models::Models::build(model_count, seed).json
}

use conn::{ConnHandle, ConnRegistry, MockListener};
use state::Shared;

/// How to run a mock router.
#[derive(Debug, Clone)]
pub struct MockOptions {
    /// Address to bind; default `127.0.0.1:0` (a free port).
    pub listen: SocketAddr,
    /// Total rows in `GET /v1/models` (at least the fixed rows); default 300.
    pub model_count: usize,
    /// Seed of the generated rows; the same seed gives the same list.
    pub seed: u64,
    /// When set, chat requests without `Authorization: Bearer <token>` get
    /// 401 `{"error":"Invalid credentials in Authorization header"}`.
    pub require_token: Option<String>,
    /// Delay between streamed chunks; zero streams at full speed.
    pub token_delay: Duration,
    /// Keep every request for [`MockRouter::requests`] (default). Long runs
    /// (soak, benchmarks) turn it off so the log does not grow memory.
    pub record_requests: bool,
    /// Directory of `NNN.json` recordings for replay; default
    /// the repository's `testkit/fixtures/recorded-chat`.
    pub fixtures_dir: Option<PathBuf>,
}

impl Default for MockOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            model_count: 300,
            seed: 42,
            require_token: None,
            token_delay: Duration::ZERO,
            record_requests: true,
            fixtures_dir: None,
        }
    }
}

/// Failure modes of `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelsFailure {
    /// 500 `{"error":"Internal Server Error"}`.
    Status500,
    /// The normal list, after this delay.
    Slow(Duration),
    /// 200 with a `text/html` maintenance page.
    Html,
    /// 200 with a valid JSON list larger than 32 MiB (33 MiB+).
    Huge,
}

/// One request the mock received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Headers in arrival order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (give it lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A running mock router; dropping it stops the server and ends its connections.
pub struct MockRouter {
    addr: SocketAddr,
    shared: Arc<Shared>,
    conns: Arc<ConnRegistry>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockRouter")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockRouter {
    /// Binds `options.listen` and serves in a background task.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(options: MockOptions) -> io::Result<MockRouter> {
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(options));
        let conns = Arc::new(ConnRegistry::default());
        let app = routes::app(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = axum::serve(
            MockListener::new(listener, Arc::clone(&conns)),
            app.into_make_service_with_connect_info::<ConnHandle>(),
        )
        .with_graceful_shutdown(async {
            // A dropped sender also means stop.
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move {
            if let Err(err) = server.await {
                tracing::warn!(%err, "mock router stopped with an error");
            }
        });
        Ok(MockRouter {
            addr,
            shared,
            conns,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/v1`, the base URL to give a client.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().clone()
    }

    /// Chat responses still being written (streaming, stalled, or waiting for
    /// the client to read). Zero after every client hung up or finished
    /// reading: a client that abandons a response without closing its
    /// connection keeps this above zero.
    pub fn live_responses(&self) -> usize {
        self.shared
            .live_bodies
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Switches the failure mode of `GET /v1/models` (`None`: normal).
    pub fn set_models_failure(&self, failure: Option<ModelsFailure>) {
        *self.shared.models_failure.lock() = failure;
    }

    /// Stops accepting, ends open connections (stalled streams included) and
    /// waits for the server task (at most 5 s).
    pub async fn shutdown(mut self) {
        self.stop_now();
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.conns.kill_all();
    }
}

impl Drop for MockRouter {
    fn drop(&mut self) {
        self.stop_now();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Runs a mock router on `listen` until Ctrl-C (for `test-host mock-router`).
/// Prints the base URL on stdout once listening.
///
/// # Errors
/// When the address cannot be bound or Ctrl-C cannot be awaited.
pub async fn serve(listen: SocketAddr, options: MockOptions) -> io::Result<()> {
    let router = MockRouter::start(MockOptions { listen, ..options }).await?;
    println!(
        "{}",
        listening_line(&router.base_url(), &router.shared.options)
    );
    let waited = tokio::signal::ctrl_c().await;
    router.shutdown().await;
    waited
}

/// The line [`serve`] prints first: `mock router listening on <url>; it
/// accepts ...`. Scripts parse the URL with `mock router listening on
/// (\S+?);`, so that part keeps its shape; the rest says which tokens pass.
/// The token itself is not printed: whoever set it knows it.
pub fn listening_line(base_url: &str, options: &MockOptions) -> String {
    let accepts = match &options.require_token {
        Some(_) => {
            "only the required token (chat with another token or none gets 401; \
             GET /v1/models also answers without one)"
        }
        None => "any token, or none (e.g. HF_TOKEN=hf_mock)",
    };
    format!("mock router listening on {base_url}; it accepts {accepts}")
}
