//! `Host`: one provider plugin, loaded in this process, in a hot-swap slot.

use std::time::Duration;

use host_sdk::{HostContext, Plugin, ProviderError, ProviderSlot};
use napi::bindgen_prelude::{Error, Result, Status};
use napi_derive::napi;
use serde_json::Value;

use crate::completion::Completion;
use crate::event::JsError;
use crate::model::{
    JsModel, JsPluginInfo, JsShutdown, JsSwapReport, JsVersion, RefreshOutcome, ResolveOutcome,
};
use crate::request::chat_request;

/// How long a swap or a settings change waits by default for calls in flight
/// on the old version, and a refresh for the router's list.
const DEFAULT_DRAIN: Duration = Duration::from_secs(60);
const DEFAULT_REFRESH: Duration = Duration::from_secs(30);

fn millis(ms: Option<u32>, default: Duration) -> Duration {
    ms.map_or(default, |ms| Duration::from_millis(u64::from(ms)))
}

/// Who this host is, told to the plugin.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// The host program's name (default `host-node`).
    pub name: Option<String>,
    /// Its version (default this addon's).
    pub version: Option<String>,
}

/// A failed load or start, as a JS error: one line naming the file or the
/// setting, with `code` `LoadError` or the provider error's kind.
fn load_error(message: String) -> Error {
    Error::new(Status::GenericFailure, message)
}

fn provider_error(e: &ProviderError) -> Error {
    Error::new(Status::GenericFailure, e.to_string())
}

/// One provider plugin loaded into this process, serving through a hot-swap
/// slot: new calls go to the active version; `swap` and `configure` bring a
/// new one while calls in flight finish on theirs.
#[napi]
pub struct Host {
    slot: ProviderSlot,
}

#[napi]
impl Host {
    /// Loads the plugin file at `path` (copied privately and checked first)
    /// and creates its provider with `settings` (a JSON object; see the
    /// plugin's documentation).
    ///
    /// Rejects with one line naming the file (missing, not a plugin, an
    /// interface version this host cannot use, a layout mismatch) or the bad
    /// setting.
    #[napi(factory)]
    pub async fn load(path: String, settings: Value, options: Option<HostOptions>) -> Result<Host> {
        let options = options.unwrap_or_default();
        let host = HostContext::new(
            options.name.unwrap_or_else(|| "host-node".to_string()),
            options
                .version
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string()),
        );
        // Hashing and mapping the file, and the provider's start (it may read
        // its cached catalog), stay off the event loop.
        let slot = tokio::task::spawn_blocking(move || {
            let plugin = Plugin::load(&path).map_err(|e| load_error(e.to_string()))?;
            ProviderSlot::new(plugin, host, settings).map_err(|e| provider_error(&e))
        })
        .await
        .map_err(|e| load_error(format!("loading the plugin failed: {e}")))??;
        Ok(Host { slot })
    }

    /// Who the active version is.
    #[napi]
    pub fn info(&self) -> JsPluginInfo {
        JsPluginInfo::from(self.slot.plugin().info())
    }

    /// The file the active version was loaded from.
    #[napi]
    pub fn path(&self) -> String {
        self.slot.plugin().path().display().to_string()
    }

    /// The settings the active version runs with.
    #[napi]
    pub fn settings(&self) -> Value {
        self.slot.settings()
    }

    /// Applies `settings` to the calls started from now on, when they differ
    /// from the current ones: a new provider is created with them and calls in
    /// flight finish with the old (drained for at most `drainMs`, default
    /// 60 s). Resolves to the id of the version serving; rejects when the
    /// plugin refuses the settings (the old ones stay in force).
    #[napi]
    pub async fn configure(&self, settings: Value, drain_ms: Option<u32>) -> Result<u32> {
        self.slot
            .reconfigure(settings, millis(drain_ms, DEFAULT_DRAIN))
            .await
            .map(|id| u32::try_from(id).unwrap_or(u32::MAX))
            .map_err(|e| provider_error(&e))
    }

    /// The catalog as it is in memory now (never waits on the network).
    #[napi]
    pub async fn discover(&self) -> Result<Vec<JsModel>> {
        let provider = self.slot.provider();
        let models = tokio::task::spawn_blocking(move || provider.discover())
            .await
            .map_err(|e| load_error(format!("the catalog task failed: {e}")))?
            .map_err(|e| provider_error(&e))?;
        Ok(models.into_iter().map(JsModel::from).collect())
    }

    /// Resolves a model ref against the catalog in memory: the model, or a
    /// typed error (an unknown id lists the closest refs; a backend suffix
    /// the model does not have lists the live ones).
    #[napi]
    pub fn resolve(&self, model_ref: String) -> ResolveOutcome {
        match self.slot.provider().resolve(&model_ref) {
            Ok(model) => ResolveOutcome {
                model: Some(model.into()),
                error: None,
            },
            Err(e) => ResolveOutcome {
                model: None,
                error: Some(JsError::from(&e)),
            },
        }
    }

    /// Starts a completion on the active version (it stays there through a
    /// swap). Never throws: a request of the wrong shape is a completion
    /// whose only event is an `invalid_request` error.
    #[napi]
    pub fn complete(&self, request: Value) -> Completion {
        match chat_request(request) {
            Ok(request) => Completion::new(self.slot.complete(request)),
            Err(e) => Completion::refused(e),
        }
    }

    /// Fetches the router's model list now (at most `timeoutMs`, default
    /// 30 s). On failure the catalog in memory is unchanged.
    #[napi]
    pub async fn refresh(&self, timeout_ms: Option<u32>) -> RefreshOutcome {
        let timeout = millis(timeout_ms, DEFAULT_REFRESH);
        RefreshOutcome::from(self.slot.provider().refresh(timeout).await)
    }

    /// Loads the plugin file at `path` and makes it the active version, then
    /// drains the old one (at most `drainMs`, default 60 s) and shuts it
    /// down. Rejects, keeping the current version, when the file does not
    /// load, is another provider's, or refuses the settings.
    #[napi]
    pub async fn swap(&self, path: String, drain_ms: Option<u32>) -> Result<JsSwapReport> {
        self.slot
            .swap(path, millis(drain_ms, DEFAULT_DRAIN))
            .await
            .map(JsSwapReport::from)
            .map_err(|e| load_error(e.to_string()))
    }

    /// Every version loaded so far, oldest first.
    #[napi]
    pub fn versions(&self) -> Vec<JsVersion> {
        self.slot
            .versions()
            .into_iter()
            .map(JsVersion::from)
            .collect()
    }

    /// Drains the active version (at most `drainMs`, default 60 s) and stops
    /// its threads. Later calls fail until a `swap`.
    #[napi]
    pub async fn shutdown(&self, drain_ms: Option<u32>) -> Option<JsShutdown> {
        self.slot
            .shutdown(millis(drain_ms, DEFAULT_DRAIN))
            .await
            .map(JsShutdown::from)
    }
}
