//! What a plugin says about itself, and what shutting it down achieved.

/// Who the plugin is, as it reports itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The provider id used in model refs, e.g. `huggingface`.
    pub provider_id: String,
    /// The plugin's own version.
    pub plugin_version: String,
    /// The interface version it was built against.
    pub interface_version: String,
    /// Build description (profile, target, features).
    pub build: String,
}

/// The outcome of shutting a plugin down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Whether every task and thread stopped in time.
    pub clean: bool,
    /// What happened, for logs.
    pub message: String,
}
