//! The background refresh: the current catalog in memory, replaced whole by a
//! task that fetches the list at start and then on an interval.
//!
//! Readers clone an `Arc` under a read lock held for nanoseconds and never
//! wait on the network. A failed refresh keeps the last good list, retries with
//! capped exponential backoff and jitter (so many gateways restarted together
//! do not hit the router in step), and is logged once per run of identical
//! failures rather than once per attempt.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use parking_lot::{Mutex, RwLock};
use provider_abi::{ErrorKind, ProviderError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::api::ApiModel;
use super::{Catalog, discovery, merge, store};
use crate::auth::ApiKey;
use crate::backoff::Backoff;
use crate::settings::Settings;

/// What drives discovery; built from the plugin settings.
#[derive(Debug, Clone)]
pub(crate) struct RefreshOptions {
    pub(crate) base_url: String,
    pub(crate) api_key: Option<ApiKey>,
    /// `discovery.enabled`; off means no network call for the list at all.
    pub(crate) enabled: bool,
    /// Between successful refreshes.
    pub(crate) interval: Duration,
    /// For one fetch, body included.
    pub(crate) timeout: Duration,
    /// Where the last-good copy lives; `None` keeps it in memory only.
    pub(crate) state_dir: Option<PathBuf>,
    pub(crate) max_body_bytes: usize,
    /// First retry delay after a failure; doubles per failure.
    pub(crate) retry_initial: Duration,
    /// Longest retry delay (never longer than `interval` either).
    pub(crate) retry_max: Duration,
}

impl RefreshOptions {
    /// The discovery part of the provider's settings.
    pub(crate) fn from_settings(settings: &Settings) -> Self {
        RefreshOptions {
            enabled: settings.discovery_enabled,
            interval: settings.discovery_interval,
            timeout: settings.discovery_timeout,
            state_dir: settings.state_dir.clone(),
            ..RefreshOptions::new(settings.base_url.clone(), settings.api_key.clone())
        }
    }

    /// The documented defaults: enabled, every 15 min, 30 s per fetch, 32 MiB.
    pub(crate) fn new(base_url: impl Into<String>, api_key: Option<ApiKey>) -> Self {
        RefreshOptions {
            base_url: base_url.into(),
            api_key,
            enabled: true,
            interval: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(30),
            state_dir: None,
            max_body_bytes: 32 * 1024 * 1024,
            retry_initial: Duration::from_secs(10),
            retry_max: Duration::from_secs(10 * 60),
        }
    }
}

/// What an explicit refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshOutcome {
    /// The catalog now holds this many models from a list fetched at this time.
    Updated {
        models: usize,
        fetched_at: SystemTime,
    },
    /// Discovery is switched off; nothing was fetched.
    Disabled,
}

type FetchFuture = Pin<Box<dyn Future<Output = Result<Vec<ApiModel>, ProviderError>> + Send>>;
/// One fetch of the list with a time limit; a seam so tests need no server.
pub(super) type Fetcher = Arc<dyn Fn(Duration) -> FetchFuture + Send + Sync>;

/// Owns the current catalog and the refresh task; dropping it stops the task.
pub(crate) struct CatalogHandle {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for CatalogHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogHandle")
            .field("models", &self.current().len())
            .field("discovered_at", &self.current().discovered_at())
            .finish_non_exhaustive()
    }
}

struct Shared {
    current: RwLock<Arc<Catalog>>,
    fetcher: Fetcher,
    options: RefreshOptions,
    /// One fetch at a time: an explicit refresh waits for a running one.
    refreshing: tokio::sync::Mutex<()>,
    failures: Mutex<FailureLog>,
    /// A save failure (e.g. a read-only dir) is reported once until a save works.
    save_warned: AtomicBool,
}

/// The failure being reported, so a run of identical failures logs once.
#[derive(Default)]
struct FailureLog {
    current: Option<(ErrorKind, Option<u16>)>,
    /// Warnings emitted so far (observable by tests).
    warned: usize,
}

impl CatalogHandle {
    /// Loads the saved copy (if any) and, when discovery is enabled and a key
    /// is present, spawns the refresh task on `runtime`. Returns at once.
    pub(crate) fn start(
        runtime: &tokio::runtime::Handle,
        http: reqwest::Client,
        options: RefreshOptions,
    ) -> CatalogHandle {
        let fetcher = http_fetcher(http, &options);
        Self::start_with(runtime, fetcher, options)
    }

    pub(super) fn start_with(
        runtime: &tokio::runtime::Handle,
        fetcher: Fetcher,
        options: RefreshOptions,
    ) -> CatalogHandle {
        let initial = load_saved(&options);
        let background = options.enabled && options.api_key.is_some();
        let shared = Shared::new(initial, fetcher, options);
        let cancel = CancellationToken::new();
        let task = background.then(|| runtime.spawn(run(Arc::clone(&shared), cancel.clone())));
        CatalogHandle {
            shared,
            cancel,
            task: Mutex::new(task),
        }
    }

    #[cfg(test)]
    /// A handle on a fixed catalog, with no task (tests, discovery disabled).
    pub(crate) fn fixed(catalog: Catalog) -> CatalogHandle {
        let options = RefreshOptions {
            enabled: false,
            ..RefreshOptions::new("", None)
        };
        let fetcher: Fetcher = Arc::new(|_| Box::pin(async { Ok(Vec::new()) }));
        CatalogHandle {
            shared: Shared::new(catalog, fetcher, options),
            cancel: CancellationToken::new(),
            task: Mutex::new(None),
        }
    }

    /// The latest catalog. Never waits on the network.
    pub(crate) fn current(&self) -> Arc<Catalog> {
        Arc::clone(&self.shared.current.read())
    }

    /// Fetches now, within `timeout` (including any wait for a refresh already
    /// running). Works without a key (the router lists a subset then); does
    /// nothing when discovery is switched off.
    ///
    /// # Errors
    /// The fetch's error (also reported once through the log); the previous
    /// catalog stays current.
    pub(crate) async fn refresh_now(
        &self,
        timeout: Duration,
    ) -> Result<RefreshOutcome, ProviderError> {
        if !self.shared.options.enabled {
            return Ok(RefreshOutcome::Disabled);
        }
        self.shared.refresh(timeout).await
    }

    /// Stops the refresh task at once; idempotent, also done on drop.
    pub(crate) fn stop(&self) {
        self.cancel.cancel();
        if let Some(task) = self.task.lock().as_ref() {
            // The cancel token ends the loop at its next poll; aborting as
            // well drops an in-flight request without waiting for that.
            task.abort();
        }
    }

    #[cfg(test)]
    /// How many failures were logged as warnings (each run of identical
    /// failures counts once).
    pub(crate) fn failures_reported(&self) -> usize {
        self.shared.failures.lock().warned
    }

    #[cfg(test)]
    /// Whether the refresh task is still running.
    pub(crate) fn is_running(&self) -> bool {
        self.task.lock().as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for CatalogHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The saved copy merged over the built-in list, or the built-in list alone.
fn load_saved(options: &RefreshOptions) -> Catalog {
    let Some(dir) = &options.state_dir else {
        return Catalog::builtin();
    };
    // Temp files of saves a killed process never finished (issue 19 item 7).
    store::remove_stale_temps(dir);
    // With discovery off nothing refreshes the saved copy: refs checked
    // against it would be refused by a list that may be long out of date
    // (issue 19 item 15). The built-in list lets any ref through unverified.
    if !options.enabled {
        return Catalog::builtin();
    }
    match store::load(dir, &options.base_url) {
        Ok(Some(saved)) => merge(saved.rows, saved.fetched_at),
        Ok(None) => Catalog::builtin(),
        Err(e) => {
            tracing::warn!("model catalog: {e}");
            Catalog::builtin()
        }
    }
}

fn http_fetcher(http: reqwest::Client, options: &RefreshOptions) -> Fetcher {
    let base_url: Arc<str> = Arc::from(options.base_url.as_str());
    let key = options.api_key.clone();
    let max_bytes = options.max_body_bytes;
    Arc::new(move |timeout| {
        let (http, base_url, key) = (http.clone(), Arc::clone(&base_url), key.clone());
        Box::pin(async move {
            discovery::fetch_models(&http, &base_url, key.as_ref(), timeout, max_bytes).await
        })
    })
}

async fn run(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut failures: u32 = 0;
    loop {
        let delay = tokio::select! {
            () = cancel.cancelled() => return,
            result = shared.refresh(shared.options.timeout) => match result {
                Ok(_) => {
                    failures = 0;
                    shared.options.interval
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    retry_delay(&shared.options, failures, e.retry_after)
                }
            },
        };
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// `retry_initial * 2^(failures-1)`, ±20 % jitter, capped by `retry_max` and
/// the interval, but never sooner than a server's `Retry-After`.
pub(super) fn retry_delay(
    options: &RefreshOptions,
    failures: u32,
    retry_after: Option<Duration>,
) -> Duration {
    let backoff = Backoff {
        first: options.retry_initial,
        cap: options.retry_max.min(options.interval),
    };
    let delay = backoff.around(failures, &mut rand::rng());
    retry_after.map_or(delay, |server| delay.max(server))
}

impl Shared {
    fn new(catalog: Catalog, fetcher: Fetcher, options: RefreshOptions) -> Arc<Shared> {
        Arc::new(Shared {
            current: RwLock::new(Arc::new(catalog)),
            fetcher,
            options,
            refreshing: tokio::sync::Mutex::new(()),
            failures: Mutex::new(FailureLog::default()),
            save_warned: AtomicBool::new(false),
        })
    }

    async fn refresh(&self, timeout: Duration) -> Result<RefreshOutcome, ProviderError> {
        let attempt = async {
            let _one_at_a_time = self.refreshing.lock().await;
            (self.fetcher)(timeout).await
        };
        let result = match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(rows)) if rows.is_empty() => Err(ProviderError::new(
                ErrorKind::Internal,
                "the router listed no models; keeping the previous list",
            )),
            Ok(result) => result,
            Err(_) => Err(ProviderError::new(
                ErrorKind::Timeout,
                format!(
                    "refreshing the model list took longer than {:.1} s",
                    timeout.as_secs_f64()
                ),
            )),
        };
        match result {
            Ok(rows) => Ok(self.install(rows).await),
            Err(e) => {
                self.report_failure(&e);
                Err(e)
            }
        }
    }

    /// Swaps in the new catalog, then saves the rows (after the swap: readers
    /// should not wait for the disk).
    async fn install(&self, rows: Vec<ApiModel>) -> RefreshOutcome {
        let fetched_at = SystemTime::now();
        let saved_rows = self.options.state_dir.as_ref().map(|_| rows.clone());
        let catalog = merge(rows, fetched_at);
        let models = catalog.len();
        *self.current.write() = Arc::new(catalog);
        self.report_success();
        if let (Some(dir), Some(rows)) = (self.options.state_dir.clone(), saved_rows) {
            let base_url = self.options.base_url.clone();
            let saved = tokio::task::spawn_blocking(move || {
                store::save(&dir, &base_url, &rows, fetched_at)
            })
            .await;
            match saved {
                Ok(Ok(())) => self.save_warned.store(false, Ordering::Relaxed),
                Ok(Err(e)) => self.warn_save(&e.to_string()),
                // The plugin is shutting down (its runtime stopped before the
                // save ran): nothing is wrong and nothing to act on.
                Err(e) if e.is_cancelled() => {
                    tracing::debug!("model catalog: not saved, shutting down");
                }
                Err(e) => self.warn_save(&e.to_string()),
            }
        }
        RefreshOutcome::Updated { models, fetched_at }
    }

    fn warn_save(&self, error: &str) {
        if !self.save_warned.swap(true, Ordering::Relaxed) {
            tracing::warn!("model catalog: could not save the last good list: {error}");
        }
    }

    fn report_failure(&self, e: &ProviderError) {
        let mut log = self.failures.lock();
        let signature = (e.kind, e.status);
        if log.current == Some(signature) {
            tracing::debug!("model discovery still failing: {e}");
            return;
        }
        log.current = Some(signature);
        log.warned += 1;
        tracing::warn!(
            kind = %e.kind,
            status = ?e.status,
            request_id = ?e.request_id,
            "model discovery failed, using the last good catalog: {}",
            e.message
        );
    }

    fn report_success(&self) {
        let mut log = self.failures.lock();
        if log.current.take().is_some() {
            tracing::info!("model discovery recovered");
        }
    }
}

#[cfg(test)]
mod tests;
