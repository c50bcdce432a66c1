//! A loaded plugin library and the providers it creates.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RNone, RSome};

use crate::abi::{AbiHostContext, LogSink_TO, ProviderModule_Ref};
use crate::error::ProviderError;
use crate::loader::{self, LoadError};
use crate::log_bridge::TracingLogSink;
use crate::provider::Provider;

/// Who the plugin is, as it reports itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The provider id used in model refs, e.g. `huggingface`.
    pub provider_id: String,
    /// The plugin's own version.
    pub plugin_version: String,
    /// The interface version it was built against.
    pub interface_version: String,
    /// Build description (profile, features).
    pub build: String,
}

/// The outcome of [`Plugin::shutdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Whether every task and thread stopped in time.
    pub clean: bool,
    /// What happened.
    pub message: String,
}

/// What the host tells a provider about itself.
#[derive(Debug, Clone)]
pub struct HostContext {
    /// The host program's name.
    pub name: String,
    /// The host program's version.
    pub version: String,
    /// Forward the plugin's log records into this process's `tracing`
    /// subscriber (with their own level and target). On by default.
    pub forward_logs: bool,
}

impl HostContext {
    /// A context for host `name` at `version`, forwarding logs.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        HostContext {
            name: name.into(),
            version: version.into(),
            forward_logs: true,
        }
    }

    fn into_abi(self) -> AbiHostContext {
        AbiHostContext {
            host_name: self.name.into(),
            #[cfg(feature = "layout-break")]
            layout_break: 0,
            host_version: self.version.into(),
            log: if self.forward_logs {
                RSome(LogSink_TO::from_value(TracingLogSink, TD_Opaque))
            } else {
                RNone
            },
        }
    }
}

/// A provider plugin loaded into this process.
///
/// Cloning is cheap and shares the library. The library is never unloaded:
/// every string and object it created points into its code. Retire a version
/// with [`Plugin::shutdown`] instead, which stops its threads and leaves it
/// mapped.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<PluginInner>,
}

struct PluginInner {
    module: ProviderModule_Ref,
    info: PluginInfo,
    path: PathBuf,
    mapped_path: PathBuf,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.inner.path)
            .field("info", &self.inner.info)
            .finish()
    }
}

impl Plugin {
    /// Loads the plugin file at `path`.
    ///
    /// The file is copied to a content-addressed path first, so a file rebuilt
    /// in place loads as the new version.
    ///
    /// # Errors
    /// A [`LoadError`] whose message is one line naming the file: missing, not
    /// a plugin, interface version too old or too new, layout mismatch.
    pub fn load(path: impl AsRef<Path>) -> Result<Plugin, LoadError> {
        let path = path.as_ref();
        let loaded = loader::load(path)?;
        let raw = (loaded.module.plugin_info())();
        let info = PluginInfo {
            provider_id: raw.provider_id.into(),
            plugin_version: raw.plugin_version.into(),
            interface_version: raw.interface_version.into(),
            build: raw.build.into(),
        };
        Ok(Plugin {
            inner: Arc::new(PluginInner {
                module: loaded.module,
                info,
                path: path.to_path_buf(),
                mapped_path: loaded.mapped_path,
            }),
        })
    }

    /// Who the plugin is.
    pub fn info(&self) -> &PluginInfo {
        &self.inner.info
    }

    /// The path it was loaded from.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The content-addressed copy that is actually mapped.
    pub fn mapped_path(&self) -> &Path {
        &self.inner.mapped_path
    }

    /// Creates a provider with `settings` (a JSON object; see the plugin's
    /// documentation for its keys).
    ///
    /// # Errors
    /// `InvalidRequest` naming the bad key when the settings are wrong;
    /// `PluginPanicked` if the plugin panicked (the host is unaffected).
    pub fn new_provider(
        &self,
        host: HostContext,
        settings: &serde_json::Value,
    ) -> Result<Provider, ProviderError> {
        let json = settings.to_string();
        let api = (self.inner.module.new_provider())(host.into_abi(), json.as_str().into())
            .into_result()
            .map_err(ProviderError::from)?;
        Ok(Provider::new(api, self.clone()))
    }

    /// Stops the plugin's background tasks and runtime, waiting at most
    /// `timeout`. Providers created from it answer errors afterwards.
    pub fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let report = (self.inner.module.shutdown())(ms);
        ShutdownReport {
            clean: report.clean,
            message: report.message.into(),
        }
    }
}
