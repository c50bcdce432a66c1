//! Hot swap: a provider slot that moves to a new plugin version while the
//! current one keeps serving.
//!
//! New calls go to the new version as soon as it is loaded and has accepted
//! its settings; calls in flight on the old version finish there (up to a
//! drain timeout); then the old version's `shutdown` stops its threads. The
//! old library stays mapped (see [`Plugin`]). A broken or incompatible file
//! leaves the current version serving and returns the load error.
//!
//! A call is counted against a version from the moment it picks the version
//! (under the slot's read lock) until it ends, so a swap can never retire a
//! version between "which version?" and "start the call": use
//! [`ProviderSlot::complete`] for one completion, or hold a
//! [`ProviderLease`] for anything longer (a failover chain, a turn).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use provider_abi::{ChatRequest, ErrorKind, PluginInfo, ProviderError, ShutdownReport};

use crate::loader::LoadError;
use crate::plugin::Plugin;
use crate::provider::{HostContext, Provider};
use crate::stream::ChatStream;

/// How long a retired version's `shutdown` may take to stop its threads.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// How often draining checks the old version's count.
const DRAIN_POLL: Duration = Duration::from_millis(5);

/// Live (not retired) slot versions per mapped library, across every slot in
/// the process. Identical bytes map one library with one runtime, so it is
/// shut down only when the last live version using it retires. The lock is
/// held across "register, then create the provider" and across "unregister,
/// then shut down if it was the last", so a version never starts on a runtime
/// that is being shut down.
static LIBRARIES: Mutex<BTreeMap<PathBuf, usize>> = parking_lot::const_mutex(BTreeMap::new());

/// Where a loaded version is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionState {
    /// Serving new calls.
    Active,
    /// Replaced; finishing the calls it had.
    Draining,
    /// Done serving: shut down, or (when another live version maps the same
    /// library and so shares its runtime) just released.
    Retired {
        /// Whether every call drained before the timeout and the shutdown
        /// (if there was one) was clean.
        clean: bool,
    },
}

impl std::fmt::Display for VersionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionState::Active => f.write_str("active"),
            VersionState::Draining => f.write_str("draining"),
            VersionState::Retired { clean: true } => f.write_str("retired (clean)"),
            VersionState::Retired { clean: false } => f.write_str("retired (NOT clean)"),
        }
    }
}

/// A snapshot of one version in the slot.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VersionStatus {
    /// 1 for the first version loaded, then 2, 3, ...
    pub id: u64,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The private copy that is mapped (see [`Plugin::mapped_path`]; versions
    /// with identical bytes share it, and share one library and runtime).
    pub mapped_path: PathBuf,
    /// Who it is.
    pub info: PluginInfo,
    /// Its state.
    pub state: VersionState,
    /// Completions still running on it.
    pub in_flight: usize,
    /// [`ProviderLease`]s still held on it.
    pub leases: usize,
    /// Its shutdown, once retired; `None` while serving or draining, and when
    /// it retired without one because another live version (of this or
    /// another slot) shares its library.
    pub shutdown: Option<ShutdownReport>,
}

/// What a swap did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SwapReport {
    /// The id of the version that was replaced.
    pub from_id: u64,
    /// The version that was replaced.
    pub from: PluginInfo,
    /// The id of the version now serving.
    pub to_id: u64,
    /// The version now serving.
    pub to: PluginInfo,
    /// Whether all of the old version's calls finished within the drain timeout.
    pub drained: bool,
    /// Calls and leases still open on the old version when it was retired.
    pub abandoned: usize,
    /// The old version's shutdown, unless its library is still in use by
    /// another version (swapping to identical bytes maps the same library).
    pub shutdown: Option<ShutdownReport>,
}

/// Why a swap did not happen; the current version keeps serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SwapError {
    /// The new file could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The new file is a plugin for another provider.
    #[error(
        "{}: a plugin for provider `{found}`, but this slot serves `{expected}`",
        path.display()
    )]
    OtherProvider {
        /// The path given.
        path: PathBuf,
        /// The provider id the slot serves.
        expected: String,
        /// The provider id of the new file.
        found: String,
    },
    /// The new version refused the settings or failed to start.
    #[error("the new plugin version could not start: {0}")]
    Provider(#[from] ProviderError),
}

/// One loaded version and its counters.
struct Version {
    id: u64,
    plugin: Plugin,
    /// Dropped when the version retires, which releases the plugin-side
    /// provider (and stops its background tasks) even when the library
    /// itself stays in use by a newer version.
    provider: RwLock<Option<Provider>>,
    /// The provider's own count of running completions (shared with every
    /// clone of it, so it keeps counting after `provider` is dropped).
    in_flight: Arc<AtomicUsize>,
    leases: AtomicUsize,
    /// Set by the one `retire` that gets to retire it.
    retiring: AtomicBool,
    state: Mutex<VersionState>,
    shutdown: Mutex<Option<ShutdownReport>>,
}

impl Version {
    fn new(id: u64, plugin: Plugin, provider: Provider) -> Arc<Version> {
        Arc::new(Version {
            id,
            plugin,
            in_flight: provider.in_flight_counter(),
            provider: RwLock::new(Some(provider)),
            leases: AtomicUsize::new(0),
            retiring: AtomicBool::new(false),
            state: Mutex::new(VersionState::Active),
            shutdown: Mutex::new(None),
        })
    }

    fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    fn leases(&self) -> usize {
        self.leases.load(Ordering::Acquire)
    }

    /// Active becomes Draining; a version already retired (a slot that was
    /// shut down, then swapped) stays as it is.
    fn start_draining(&self) {
        let mut state = self.state.lock();
        if *state == VersionState::Active {
            *state = VersionState::Draining;
        }
    }

    fn status(&self) -> VersionStatus {
        VersionStatus {
            id: self.id,
            path: self.plugin.path().to_path_buf(),
            mapped_path: self.plugin.mapped_path().to_path_buf(),
            info: self.plugin.info().clone(),
            state: self.state.lock().clone(),
            in_flight: self.in_flight(),
            leases: self.leases(),
            shutdown: self.shutdown.lock().clone(),
        }
    }
}

/// The active version's provider, held so that a swap waits for it: the
/// version it came from keeps serving (draining) until every lease is
/// dropped and every completion started through it has ended.
///
/// Dereferences to [`Provider`]. Hold it for one unit of work (a turn, a
/// failover chain), not for the life of the program: a held lease delays the
/// retirement of its version up to the drain timeout.
pub struct ProviderLease {
    provider: Provider,
    version: Arc<Version>,
}

impl ProviderLease {
    /// The id of the version this lease holds.
    pub fn version_id(&self) -> u64 {
        self.version.id
    }
}

impl std::ops::Deref for ProviderLease {
    type Target = Provider;

    fn deref(&self) -> &Provider {
        &self.provider
    }
}

impl Drop for ProviderLease {
    fn drop(&mut self) {
        self.version.leases.fetch_sub(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for ProviderLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderLease")
            .field("version", &self.version.id)
            .finish()
    }
}

/// The version serving new calls, with its provider at hand.
struct Active {
    version: Arc<Version>,
    provider: Provider,
}

/// A provider whose plugin version can be replaced while it serves.
/// Cheap to clone; clones share the slot.
#[derive(Clone)]
pub struct ProviderSlot {
    inner: Arc<SlotInner>,
}

struct SlotInner {
    host: HostContext,
    /// What the next version is created with: replaced by `reconfigure`.
    settings: RwLock<serde_json::Value>,
    active: RwLock<Active>,
    versions: Mutex<Vec<Arc<Version>>>,
    /// One activation at a time, so version ids follow activation order.
    /// Draining happens outside it, so one slow drain does not block a swap.
    swapping: Mutex<()>,
}

impl std::fmt::Debug for ProviderSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSlot")
            .field("versions", &self.versions())
            .finish()
    }
}

impl ProviderSlot {
    /// A slot serving `plugin` with `settings` (reused for every later version).
    ///
    /// # Errors
    /// When the plugin refuses the settings.
    pub fn new(
        plugin: Plugin,
        host: HostContext,
        settings: serde_json::Value,
    ) -> Result<ProviderSlot, ProviderError> {
        let provider = Provider::new(&plugin, host.clone(), &settings)?;
        Ok(Self::with_provider(provider, host, settings))
    }

    /// A slot serving a provider the host already created; `host` and
    /// `settings` are what later versions are created with.
    pub fn with_provider(
        provider: Provider,
        host: HostContext,
        settings: serde_json::Value,
    ) -> ProviderSlot {
        *LIBRARIES
            .lock()
            .entry(provider.plugin().mapped_path().to_path_buf())
            .or_default() += 1;
        let first = Version::new(1, provider.plugin().clone(), provider.clone());
        ProviderSlot {
            inner: Arc::new(SlotInner {
                host,
                settings: RwLock::new(settings),
                active: RwLock::new(Active {
                    version: Arc::clone(&first),
                    provider,
                }),
                versions: Mutex::new(vec![first]),
                swapping: Mutex::new(()),
            }),
        }
    }

    /// The active version's provider, counted against that version until the
    /// lease is dropped (see [`ProviderLease`]).
    pub fn lease(&self) -> ProviderLease {
        let active = self.inner.active.read();
        // Counted under the read lock: a swap replaces the active version
        // under the write lock, so it sees this lease when it starts draining.
        active.version.leases.fetch_add(1, Ordering::AcqRel);
        ProviderLease {
            provider: active.provider.clone(),
            version: Arc::clone(&active.version),
        }
    }

    /// Starts a completion on the active version. It stays on that version
    /// until it ends, even if a swap happens meanwhile.
    pub fn complete(&self, request: ChatRequest) -> ChatStream {
        // The stream counts itself in flight before `complete` returns, so
        // the lease can go as soon as it has started.
        self.lease().complete(request)
    }

    /// The provider of the active version, uncounted.
    ///
    /// Fine for quick calls (`discover`, `resolve`); a completion started on
    /// it after a swap retired its version fails. Prefer
    /// [`ProviderSlot::complete`] or [`ProviderSlot::lease`].
    pub fn provider(&self) -> Provider {
        self.inner.active.read().provider.clone()
    }

    /// The active version's plugin.
    pub fn plugin(&self) -> Plugin {
        self.inner.active.read().version.plugin.clone()
    }

    /// The version serving new calls.
    pub fn active(&self) -> VersionStatus {
        self.inner.active.read().version.status()
    }

    /// Every version this slot has loaded, oldest first.
    pub fn versions(&self) -> Vec<VersionStatus> {
        self.inner
            .versions
            .lock()
            .iter()
            .map(|v| v.status())
            .collect()
    }

    /// Loads `path` and makes it the active version, then drains and retires
    /// the previous one. Blocks the calling thread while draining (at most
    /// `drain_timeout`); from async code use [`ProviderSlot::swap`].
    ///
    /// # Errors
    /// A [`SwapError`]; the current version keeps serving.
    pub fn swap_blocking(
        &self,
        path: impl AsRef<Path>,
        drain_timeout: Duration,
    ) -> Result<SwapReport, SwapError> {
        let (old, new) = self.activate(path.as_ref())?;
        let (abandoned, shutdown) = self.retire(&old, drain_timeout);
        Ok(SwapReport {
            from_id: old.id,
            from: old.plugin.info().clone(),
            to_id: new.id,
            to: new.plugin.info().clone(),
            drained: abandoned == 0,
            abandoned,
            shutdown,
        })
    }

    /// Async form of [`ProviderSlot::swap_blocking`]: loading happens on a
    /// blocking thread and draining waits without blocking the runtime.
    ///
    /// # Errors
    /// A [`SwapError`]; the current version keeps serving.
    pub async fn swap(
        &self,
        path: impl AsRef<Path>,
        drain_timeout: Duration,
    ) -> Result<SwapReport, SwapError> {
        let slot = self.clone();
        let path = path.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || slot.swap_blocking(path, drain_timeout))
            .await
            .unwrap_or_else(|e| Err(SwapError::Provider(task_failed("swap", &e))))
    }

    /// The settings new versions are created with.
    pub fn settings(&self) -> serde_json::Value {
        self.inner.settings.read().clone()
    }

    /// Applies new settings: when they differ from the current ones, a new
    /// version of the same plugin is created with them and serves every call
    /// started after this returns, while calls in flight finish on the old
    /// version, which a background thread then drains (at most
    /// `drain_timeout`) and retires. The library is shared, so it is not shut
    /// down. Returns the id of the version serving now; unchanged settings
    /// change nothing.
    ///
    /// Blocks while the new provider starts (it parses its settings and may
    /// read its cached catalog); from async code use
    /// [`ProviderSlot::reconfigure`].
    ///
    /// # Errors
    /// The plugin refused the settings; the current version keeps serving
    /// with the old ones.
    pub fn reconfigure_blocking(
        &self,
        settings: serde_json::Value,
        drain_timeout: Duration,
    ) -> Result<u64, ProviderError> {
        let _one_at_a_time = self.inner.swapping.lock();
        if *self.inner.settings.read() == settings {
            return Ok(self.inner.active.read().version.id);
        }
        let (old, new) = self.install(self.plugin(), &settings, "settings changed")?;
        *self.inner.settings.write() = settings;
        let (slot, retiring) = (self.clone(), Arc::clone(&old));
        let spawned = std::thread::Builder::new()
            .name("slot-drain".into())
            .spawn(move || {
                slot.retire(&retiring, drain_timeout);
            });
        if let Err(e) = spawned {
            // Without a thread, drain here: late beats never.
            tracing::warn!(
                "no thread to retire version {} in the background: {e}",
                old.id
            );
            self.retire(&old, drain_timeout);
        }
        Ok(new.id)
    }

    /// Async form of [`ProviderSlot::reconfigure_blocking`], run on a blocking
    /// thread of the caller's tokio runtime.
    ///
    /// # Errors
    /// As [`ProviderSlot::reconfigure_blocking`].
    pub async fn reconfigure(
        &self,
        settings: serde_json::Value,
        drain_timeout: Duration,
    ) -> Result<u64, ProviderError> {
        let slot = self.clone();
        tokio::task::spawn_blocking(move || slot.reconfigure_blocking(settings, drain_timeout))
            .await
            .unwrap_or_else(|e| Err(task_failed("reconfigure", &e)))
    }

    /// Retires the active version (drain, then shutdown), e.g. when the host
    /// exits. The slot keeps it as its active version: calls made afterwards
    /// fail, until a [`swap`](ProviderSlot::swap) brings a new one. Returns
    /// the shutdown; `None` if it was already retired, or if another live
    /// version (of another slot) shares its library.
    pub fn shutdown_blocking(&self, drain_timeout: Duration) -> Option<ShutdownReport> {
        let active = Arc::clone(&self.inner.active.read().version);
        self.retire(&active, drain_timeout).1
    }

    /// Async form of [`ProviderSlot::shutdown_blocking`].
    pub async fn shutdown(&self, drain_timeout: Duration) -> Option<ShutdownReport> {
        let slot = self.clone();
        tokio::task::spawn_blocking(move || slot.shutdown_blocking(drain_timeout))
            .await
            .unwrap_or_else(|e| {
                Some(ShutdownReport {
                    clean: false,
                    message: task_failed("shutdown", &e).message,
                })
            })
    }

    fn activate(&self, path: &Path) -> Result<(Arc<Version>, Arc<Version>), SwapError> {
        let _one_at_a_time = self.inner.swapping.lock();
        let plugin = Plugin::load(path)?;
        let expected = self.plugin().info().provider_id.clone();
        if plugin.info().provider_id != expected {
            return Err(SwapError::OtherProvider {
                path: path.to_path_buf(),
                expected,
                found: plugin.info().provider_id.clone(),
            });
        }
        let settings = self.inner.settings.read().clone();
        Ok(self.install(plugin, &settings, "provider swapped")?)
    }

    /// Creates a provider from `plugin` with `settings` and makes it the
    /// active version; the caller holds `swapping`. Returns (old, new).
    /// `why` starts the log line.
    fn install(
        &self,
        plugin: Plugin,
        settings: &serde_json::Value,
        why: &str,
    ) -> Result<(Arc<Version>, Arc<Version>), ProviderError> {
        let provider = {
            let mut libraries = LIBRARIES.lock();
            let provider = Provider::new(&plugin, self.inner.host.clone(), settings)?;
            *libraries
                .entry(plugin.mapped_path().to_path_buf())
                .or_default() += 1;
            provider
        };
        let mut versions = self.inner.versions.lock();
        let id = versions.last().map_or(1, |v| v.id + 1);
        let new = Version::new(id, plugin, provider.clone());
        versions.push(Arc::clone(&new));
        let old = std::mem::replace(
            &mut *self.inner.active.write(),
            Active {
                version: Arc::clone(&new),
                provider,
            },
        )
        .version;
        old.start_draining();
        tracing::info!(
            from = old.id,
            to = new.id,
            to_version = new.plugin.info().plugin_version.as_str(),
            "{why}; draining the old version"
        );
        Ok((old, new))
    }

    /// Waits for `old`'s calls and leases (at most `drain_timeout`), then
    /// shuts it down unless another live version (of any slot) maps the same
    /// library. Returns how many calls were abandoned, and the shutdown.
    fn retire(&self, old: &Version, drain_timeout: Duration) -> (usize, Option<ShutdownReport>) {
        if old.retiring.swap(true, Ordering::AcqRel) {
            return (0, None);
        }
        old.start_draining();
        let deadline = Instant::now() + drain_timeout;
        while old.in_flight() + old.leases() > 0 && Instant::now() < deadline {
            std::thread::sleep(DRAIN_POLL);
        }
        let abandoned = old.in_flight() + old.leases();
        old.provider.write().take();
        let shutdown = {
            let mut libraries = LIBRARIES.lock();
            let mapped = old.plugin.mapped_path();
            let left = match libraries.get_mut(mapped) {
                Some(count) => {
                    *count = count.saturating_sub(1);
                    *count
                }
                None => 0,
            };
            if left == 0 {
                libraries.remove(mapped);
                Some(old.plugin.shutdown(SHUTDOWN_TIMEOUT))
            } else {
                None
            }
        };
        let clean = abandoned == 0 && shutdown.as_ref().is_none_or(|r| r.clean);
        if let Some(report) = &shutdown {
            tracing::info!(version = old.id, clean = report.clean, "{}", report.message);
        }
        old.shutdown.lock().clone_from(&shutdown);
        *old.state.lock() = VersionState::Retired { clean };
        (abandoned, shutdown)
    }
}

fn task_failed(what: &str, e: &tokio::task::JoinError) -> ProviderError {
    ProviderError::new(ErrorKind::Internal, format!("the {what} task failed: {e}"))
}
