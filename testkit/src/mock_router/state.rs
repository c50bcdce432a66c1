//! State shared by all handlers of one mock server.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use axum::http::HeaderMap;
use bytes::Bytes;
use parking_lot::Mutex;

use super::{MockOptions, ModelsFailure, RecordedRequest, models::Models};

/// Everything a handler needs; one per server, behind an `Arc`.
#[derive(Debug)]
pub(crate) struct Shared {
    pub options: MockOptions,
    pub fixtures_dir: PathBuf,
    pub models: Models,
    /// The > 32 MiB list, built on first use: most servers never need it.
    pub huge_models: OnceLock<Bytes>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub models_failure: Mutex<Option<ModelsFailure>>,
    /// Requests seen per `fail-then-ok` key.
    pub fail_counters: Mutex<HashMap<String, u32>>,
    /// Chat response bodies hyper still holds (being written, or stalled).
    pub live_bodies: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    next_id: AtomicU64,
    /// Distinguishes request ids of servers started in the same test run.
    nonce: u32,
}

impl Shared {
    pub fn new(options: MockOptions) -> Self {
        let fixtures_dir = options
            .fixtures_dir
            .clone()
            .unwrap_or_else(crate::fixtures::recorded_chat_dir);
        let models = Models::build(options.model_count, options.seed);
        Self {
            options,
            fixtures_dir,
            models,
            huge_models: OnceLock::new(),
            requests: Mutex::new(Vec::new()),
            models_failure: Mutex::new(None),
            fail_counters: Mutex::new(HashMap::new()),
            live_bodies: Default::default(),
            next_id: AtomicU64::new(1),
            nonce: rand::random(),
        }
    }

    /// A fresh, server-unique request id.
    pub fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("mock-{:08x}-{n:06}", self.nonce)
    }

    /// Whether the request carries the required token (always true without one).
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.options.require_token else {
            return true;
        };
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| given.trim() == token)
    }

    /// Counts one more request for a `fail-then-ok` key; returns the new count.
    pub fn bump_failure_counter(&self, key: &str) -> u32 {
        let mut counters = self.fail_counters.lock();
        let count = counters.entry(key.to_owned()).or_insert(0);
        *count = count.saturating_add(1);
        *count
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
