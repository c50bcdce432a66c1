//! Test-only entry points, compiled into unit tests only: settings
//! that make chosen entry points panic, so the tests can prove a panic inside
//! the plugin becomes a `PluginPanicked` error and the host lives on.

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct TestHooks {
    /// Entry points that panic: `new_provider`, `discover`, `resolve`,
    /// `complete` (on the caller's thread) and `complete_task` (inside the
    /// spawned completion task).
    #[serde(default)]
    pub(crate) panic_in: Vec<String>,
}

impl TestHooks {
    pub(crate) fn maybe_panic(&self, entry: &str) {
        if self.panic_in.iter().any(|e| e == entry) {
            // The whole point of this hook.
            #[allow(clippy::panic)]
            {
                panic!("test hook: deliberate panic in {entry}");
            }
        }
    }
}
