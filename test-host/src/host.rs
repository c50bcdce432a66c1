//! Loading the plugin and creating a provider from the config.

use std::path::PathBuf;

use host_sdk::{HostContext, Plugin, Provider};
use serde_json::{Value, json};

use crate::cli::GlobalOptions;
use crate::config::GatewayConfig;
use crate::dotenv::Environment;
use crate::error::{CliError, CliResult};
use crate::paths;
use crate::secrets;

/// The provider this host is for: its config keys
/// (`models.providers.huggingface`, `plugins.entries.huggingface`), its
/// onboarding and its model refs are the gateway's Hugging Face ones. A plugin
/// reporting another provider id is refused when loaded.
pub const PROVIDER_ID: &str = "huggingface";

/// The default model when neither `--model` nor the config names one.
pub const DEFAULT_MODEL: &str = "huggingface/deepseek-ai/DeepSeek-R1";

/// Everything a command needs: config, state dir and a live provider.
pub struct Session {
    /// The gateway config.
    pub config: GatewayConfig,
    /// The state directory.
    pub state_dir: PathBuf,
    /// The loaded plugin.
    pub plugin: Plugin,
    /// The provider it created.
    pub provider: Provider,
    /// Where its token comes from (for `auth`/`permission` errors).
    pub token: secrets::TokenSource,
}

/// `error` for people: `<kind>: <message> (…)`, plus, for an `auth` or
/// `permission` error, which token was used and how to replace it.
pub fn describe_error(error: &host_sdk::ProviderError, token: &secrets::TokenSource) -> String {
    match token_hint(error, token) {
        Some(hint) => format!("{error}\nhint: {hint}"),
        None => error.to_string(),
    }
}

/// The token hint for an `auth` or `permission` error, else `None`.
pub fn token_hint(error: &host_sdk::ProviderError, token: &secrets::TokenSource) -> Option<String> {
    matches!(
        error.kind,
        host_sdk::ErrorKind::Auth | host_sdk::ErrorKind::Permission
    )
    .then(|| token.hint())
}

/// The host context this program passes to plugins.
pub fn host_context() -> HostContext {
    HostContext::new("test-host", env!("CARGO_PKG_VERSION"))
}

/// The provider settings derived from the config: the plugin's own config
/// section (`plugins.entries.huggingface.config`, without the package's
/// `transport`), plus base URL, state dir,
/// aliases and user model entries.
pub fn provider_settings(
    config: &GatewayConfig,
    state_dir: &std::path::Path,
    base_url_flag: Option<&str>,
    api_key: Option<&str>,
) -> CliResult<Value> {
    let mut settings = config.plugin_config()?;
    let base_url = match base_url_flag {
        Some(u) => Some(u.to_string()),
        None => config.base_url()?,
    };
    if let Some(url) = base_url {
        settings.insert("baseUrl".into(), json!(url));
    }
    if let Some(key) = api_key {
        settings.insert("apiKey".into(), json!(key));
    }
    settings.insert("stateDir".into(), json!(state_dir));
    settings.insert("aliases".into(), json!(config.aliases()?));
    let models = config.user_models()?;
    if !models.is_empty() {
        settings.insert("models".into(), Value::Array(models));
    }
    Ok(Value::Object(settings))
}

/// Loads config, plugin and provider as the global options say.
///
/// `<state-dir>/.env` is read first (without overriding the process
/// environment), and the key of the `huggingface:default` auth profile (or a
/// token only `.env` has) is passed to the plugin as `apiKey`.
pub fn open(global: &GlobalOptions) -> CliResult<Session> {
    let state_dir = paths::state_dir(global.state_dir.as_deref())?;
    let env = Environment::load(&state_dir)?;
    let config = GatewayConfig::load(&paths::config_path(global.config.as_deref())?)?;
    config.refuse_moved_settings()?;
    let plugin = load_plugin(global)?;
    let api_key = secrets::host_api_key(&state_dir, &env)?;
    let settings = provider_settings(
        &config,
        &state_dir,
        global.base_url.as_deref(),
        api_key.as_deref(),
    )?;
    let provider = new_provider(&plugin, &settings)?;
    let token = secrets::TokenSource::find(&state_dir, &env)?;
    Ok(Session {
        config,
        state_dir,
        plugin,
        provider,
        token,
    })
}

/// The provider settings the config, the state directory and the environment
/// give now: what a host that keeps running (serve, on SIGHUP) reads again to
/// apply a change.
///
/// # Errors
/// An unreadable or invalid config, settings in a place the gateway refuses.
pub fn current_settings(global: &GlobalOptions) -> CliResult<Value> {
    let state_dir = paths::state_dir(global.state_dir.as_deref())?;
    let env = Environment::load(&state_dir)?;
    let config = GatewayConfig::load(&paths::config_path(global.config.as_deref())?)?;
    config.refuse_moved_settings()?;
    let api_key = secrets::host_api_key(&state_dir, &env)?;
    provider_settings(
        &config,
        &state_dir,
        global.base_url.as_deref(),
        api_key.as_deref(),
    )
}

/// Loads the plugin the global options name, refusing one for another provider.
pub fn load_plugin(global: &GlobalOptions) -> CliResult<Plugin> {
    let path = paths::plugin_path(global.plugin.as_deref())?;
    let plugin = Plugin::load(&path)?;
    let id = &plugin.info().provider_id;
    if id != PROVIDER_ID {
        return Err(CliError::usage(format!(
            "{}: a plugin for provider '{id}', but this host is for '{PROVIDER_ID}'",
            path.display()
        )));
    }
    Ok(plugin)
}

/// A provider from `plugin` with `settings`; refused settings are a usage error.
pub fn new_provider(plugin: &Plugin, settings: &Value) -> CliResult<Provider> {
    Provider::new(plugin, host_context(), settings)
        .map_err(|e| CliError::usage(format!("the plugin refused its settings: {}", e.message)))
}
