//! Hot swap: a provider slot that moves to a new plugin version while the
//! current one keeps serving.
//!
//! New calls go to the new version as soon as it is loaded and has accepted
//! its settings; calls in flight on the old version finish there (up to a
//! drain timeout); then the old version's `shutdown` stops its threads. The
//! old library stays mapped (see [`Plugin`]). A broken or incompatible file
//! leaves the current version serving and returns the load error.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use crate::error::ProviderError;
use crate::loader::LoadError;
use crate::plugin::{HostContext, Plugin, PluginInfo, ShutdownReport};
use crate::provider::Provider;

/// Where a loaded version is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionState {
    /// Serving new calls.
    Active,
    /// Replaced; finishing the calls it had.
    Draining,
    /// Shut down (or sharing its library with a newer version, which keeps it running).
    Retired {
        /// Whether every call drained before the timeout and the shutdown was clean.
        clean: bool,
    },
}

/// A snapshot of one version in the slot.
#[derive(Debug, Clone)]
pub struct VersionStatus {
    /// 1 for the first version loaded, then 2, 3, ...
    pub id: u64,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// Who it is.
    pub info: PluginInfo,
    /// Its state.
    pub state: VersionState,
    /// Completions still running on it.
    pub in_flight: usize,
}

/// What a swap did.
#[derive(Debug, Clone)]
pub struct SwapReport {
    /// The version that was replaced.
    pub from: PluginInfo,
    /// The version now serving.
    pub to: PluginInfo,
    /// Whether all of the old version's calls finished within the drain timeout.
    pub drained: bool,
    /// Calls still running on the old version when it was retired.
    pub abandoned: usize,
    /// The old version's shutdown, unless its library is still in use by
    /// another version (swapping to identical bytes maps the same library).
    pub shutdown: Option<ShutdownReport>,
}

/// Why a swap did not happen; the current version keeps serving.
#[derive(Debug, thiserror::Error)]
pub enum SwapError {
    /// The new file could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The new version refused the settings or failed to start.
    #[error("the new plugin version could not start: {0}")]
    Provider(#[from] ProviderError),
}

/// The version serving new calls, with its provider at hand.
struct Active {
    version: Arc<Version>,
    provider: Provider,
}

struct Version {
    id: u64,
    plugin: Plugin,
    /// Dropped when the version retires, which releases the plugin-side
    /// provider (and stops its background tasks) even when the library
    /// itself stays in use by a newer version.
    provider: RwLock<Option<Provider>>,
    state: Mutex<VersionState>,
}

impl Version {
    fn new(id: u64, plugin: Plugin, provider: Provider) -> Arc<Version> {
        Arc::new(Version {
            id,
            plugin,
            provider: RwLock::new(Some(provider)),
            state: Mutex::new(VersionState::Active),
        })
    }

    fn in_flight(&self) -> usize {
        self.provider.read().as_ref().map_or(0, Provider::in_flight)
    }
}

/// A provider whose plugin version can be replaced while it serves.
/// Cheap to clone; clones share the slot.
#[derive(Clone)]
pub struct ProviderSlot {
    inner: Arc<SlotInner>,
}

struct SlotInner {
    host: HostContext,
    settings: serde_json::Value,
    active: RwLock<Active>,
    versions: Mutex<Vec<Arc<Version>>>,
    /// One swap at a time, so versions retire in order.
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
        let provider = plugin.new_provider(host.clone(), &settings)?;
        let first = Version::new(1, plugin, provider.clone());
        Ok(ProviderSlot {
            inner: Arc::new(SlotInner {
                host,
                settings,
                active: RwLock::new(Active {
                    version: Arc::clone(&first),
                    provider,
                }),
                versions: Mutex::new(vec![first]),
                swapping: Mutex::new(()),
            }),
        })
    }

    /// The provider of the active version. Calls started on it stay on that
    /// version even if a swap happens meanwhile.
    pub fn provider(&self) -> Provider {
        self.inner.active.read().provider.clone()
    }

    /// The active version's plugin.
    pub fn plugin(&self) -> Plugin {
        self.inner.active.read().version.plugin.clone()
    }

    /// Every version this slot has loaded, oldest first.
    pub fn versions(&self) -> Vec<VersionStatus> {
        self.inner
            .versions
            .lock()
            .iter()
            .map(|v| VersionStatus {
                id: v.id,
                path: v.plugin.path().to_path_buf(),
                info: v.plugin.info().clone(),
                state: v.state.lock().clone(),
                in_flight: v.in_flight(),
            })
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
        Ok(self.retire(&old, &new, drain_timeout))
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
            .unwrap_or_else(|e| {
                Err(SwapError::Provider(ProviderError::new(
                    crate::ErrorKind::Internal,
                    format!("the swap task failed: {e}"),
                )))
            })
    }

    fn activate(&self, path: &Path) -> Result<(Arc<Version>, Arc<Version>), SwapError> {
        let _one_at_a_time = self.inner.swapping.lock();
        let plugin = Plugin::load(path)?;
        let provider = plugin.new_provider(self.inner.host.clone(), &self.inner.settings)?;
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
        *old.state.lock() = VersionState::Draining;
        tracing::info!(
            from = old.plugin.info().plugin_version.as_str(),
            to = new.plugin.info().plugin_version.as_str(),
            "provider swapped; draining the old version"
        );
        Ok((old, new))
    }

    fn retire(&self, old: &Version, new: &Version, drain_timeout: Duration) -> SwapReport {
        let deadline = Instant::now() + drain_timeout;
        while old.in_flight() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let abandoned = old.in_flight();
        old.provider.write().take();
        // Identical bytes map the same library (and share its runtime):
        // shutting it down would stop the version that replaced it.
        let shared = self
            .inner
            .versions
            .lock()
            .iter()
            .filter(|v| v.id != old.id && !matches!(*v.state.lock(), VersionState::Retired { .. }))
            .any(|v| v.plugin.mapped_path() == old.plugin.mapped_path());
        let shutdown = (!shared).then(|| old.plugin.shutdown(Duration::from_secs(5)));
        let clean = abandoned == 0 && shutdown.as_ref().is_none_or(|r| r.clean);
        *old.state.lock() = VersionState::Retired { clean };
        SwapReport {
            from: old.plugin.info().clone(),
            to: new.plugin.info().clone(),
            drained: abandoned == 0,
            abandoned,
            shutdown,
        }
    }
}
