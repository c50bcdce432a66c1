//! A loaded plugin library.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use provider_abi::abi::ProviderModule_Ref;
use provider_abi::{PluginInfo, ShutdownReport};

use crate::loader::{self, LoadError};

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
    /// The file is copied to a private, content-addressed copy first, so a
    /// file rebuilt in place loads as the new version: on Linux an anonymous
    /// sealed memory file, elsewhere a file in a per-user directory that the
    /// loader creates 0700 and checks (owner, not a symlink, not writable by
    /// others). `HOST_SDK_PLUGIN_COPY=dir` selects the directory on Linux too.
    ///
    /// # Errors
    /// A [`LoadError`] whose message is one line naming the file: missing, not
    /// a plugin, interface version too old or too new, layout mismatch.
    pub fn load(path: impl AsRef<Path>) -> Result<Plugin, LoadError> {
        let path = path.as_ref();
        let loaded = loader::load(path)?;
        let info = PluginInfo::from((loaded.module.plugin_info())());
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

    /// The private copy that is actually mapped (`/proc/self/fd/N` for a
    /// memory file). Within this process, identical bytes always give the same
    /// path, and so the same library.
    pub fn mapped_path(&self) -> &Path {
        &self.inner.mapped_path
    }

    /// Stops the plugin's background tasks and runtime, waiting at most
    /// `timeout`. Providers created from it answer errors afterwards.
    pub fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        ShutdownReport::from((self.inner.module.shutdown())(ms))
    }

    /// The root module, for creating providers ([`crate::Provider::new`]).
    pub(crate) fn module(&self) -> ProviderModule_Ref {
        self.inner.module
    }
}
