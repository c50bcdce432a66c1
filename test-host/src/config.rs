//! The gateway config file (JSON5): reading it, checking it, and editing it
//! in place for onboarding.
//!
//! Reading is two-staged (see `validate`): the raw document keeps every key,
//! known or not, and one pass checks the values this host uses, reporting
//! each bad one with its key path and the file. Writing goes through `edit`
//! (a concrete-syntax-tree edit that keeps comments and layout), `atomic`
//! (temp file + fsync + rename) and `lock` (one writer at a time).

pub mod atomic;
pub mod edit;
pub mod lock;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use validate::{
    AuthProfile, MovedSetting, OLD_PLUGIN_ENTRY, PACKAGE_KEYS, PLUGIN_ENTRY, Problem, ValidConfig,
    validate,
};

use crate::error::{CliError, CliResult};

/// What the host takes from the config file.
#[derive(Debug, Clone, Default)]
pub struct GatewayConfig {
    /// The file it came from (may not exist yet).
    pub path: PathBuf,
    /// The whole document, unknown keys included.
    pub document: Value,
}

/// Parses config text (JSON5); blank text is an empty config.
///
/// # Errors
/// A message naming `path` and the line and column of the syntax error.
pub fn parse(path: &Path, text: &str) -> CliResult<Value> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    json5::from_str(text)
        .map_err(|e| CliError::usage(format!("{}: invalid JSON5: {e}", path.display())))
}

/// One error listing every problem, each with its key path, under the file name.
pub fn problems_error(path: &Path, problems: &[Problem]) -> CliError {
    match problems {
        [one] => CliError::usage(format!("{}: {one}", path.display())),
        many => {
            let lines: Vec<String> = many.iter().map(|p| format!("  {p}")).collect();
            CliError::usage(format!(
                "{}: {} invalid values:\n{}",
                path.display(),
                many.len(),
                lines.join("\n")
            ))
        }
    }
}

impl GatewayConfig {
    /// Reads and checks `path`; a missing file is an empty config.
    ///
    /// # Errors
    /// When the file cannot be read, is not valid JSON5 (the message names
    /// the file and the position), or has bad values (every one is listed
    /// with its key path).
    pub fn load(path: &Path) -> CliResult<GatewayConfig> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(CliError::usage(format!(
                    "{}: cannot read the config: {e}",
                    path.display()
                )));
            }
        };
        let config = GatewayConfig {
            path: path.to_path_buf(),
            document: parse(path, &text)?,
        };
        config.checked()?;
        Ok(config)
    }

    /// The checked view of the document.
    ///
    /// # Errors
    /// Every bad value, with its key path and the file.
    pub fn checked(&self) -> CliResult<ValidConfig> {
        validate(&self.document).map_err(|problems| problems_error(&self.path, &problems))
    }

    /// `models.providers.huggingface.baseUrl`.
    ///
    /// # Errors
    /// When the config has bad values.
    pub fn base_url(&self) -> CliResult<Option<String>> {
        Ok(self.checked()?.base_url)
    }

    /// `agents.defaults.model` (a string, or `{primary}`).
    ///
    /// # Errors
    /// When the config has bad values.
    pub fn primary_model(&self) -> CliResult<Option<String>> {
        Ok(self.checked()?.primary)
    }

    /// `agents.defaults.model.fallbacks`.
    ///
    /// # Errors
    /// When the config has bad values.
    pub fn fallbacks(&self) -> CliResult<Vec<String>> {
        Ok(self.checked()?.fallbacks)
    }

    /// Aliases from `agents.defaults.models["<ref>"].alias`, ref -> alias.
    ///
    /// # Errors
    /// When the config has bad values.
    pub fn aliases(&self) -> CliResult<BTreeMap<String, String>> {
        Ok(self.checked()?.aliases)
    }

    /// The provider plugin's settings: `plugins.entries.huggingface.config`
    /// without the package's own keys ([`PACKAGE_KEYS`]), with settings still
    /// in their old place (`plugins.entries.hf-plugin.config`, see
    /// [`GatewayConfig::refuse_moved_settings`]) under it.
    ///
    /// # Errors
    /// When the config has bad values.
    pub fn plugin_config(&self) -> CliResult<serde_json::Map<String, Value>> {
        let checked = self.checked()?;
        let mut config = Value::Object(checked.plugin_config);
        let ours = ["plugins", "entries", PLUGIN_ENTRY, "config"].map(String::from);
        for moved in &checked.moved {
            if let Some(keys) = moved.to.strip_prefix(&ours[..])
                && keys
                    .first()
                    .is_some_and(|k| !PACKAGE_KEYS.contains(&k.as_str()))
            {
                set_at(&mut config, keys, moved.value.clone());
            }
        }
        match config {
            Value::Object(map) => Ok(map),
            _ => Ok(serde_json::Map::new()),
        }
    }

    /// `models.providers.huggingface.models` (user entries).
    ///
    /// # Errors
    /// When the config has bad values.
    pub fn user_models(&self) -> CliResult<Vec<Value>> {
        Ok(self.checked()?.user_models)
    }

    /// Settings in places the gateway refuses or ignores, and where they belong.
    ///
    /// # Errors
    /// When the config has bad values.
    pub fn moved_settings(&self) -> CliResult<Vec<MovedSetting>> {
        Ok(self.checked()?.moved)
    }

    /// An error naming every setting in a place the gateway refuses (it
    /// would not start with this file) or ignores (the package's earlier
    /// entry); `test-host onboard` moves them.
    ///
    /// # Errors
    /// As described, or when the config has bad values.
    pub fn refuse_moved_settings(&self) -> CliResult {
        let moved = self.moved_settings()?;
        if moved.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = moved.iter().map(MovedSetting::describe).collect();
        Err(CliError::usage(format!(
            "{}: the gateway refuses or ignores settings where this file has them; move {}: `test-host onboard` does it (comments and layout kept)",
            self.path.display(),
            list.join(", ")
        )))
    }

    /// Whether model discovery is on: the plugin's `discovery.enabled` is
    /// not `false`.
    ///
    /// # Errors
    /// When the config has bad values.
    pub fn discovery_enabled(&self) -> CliResult<bool> {
        let config = self.plugin_config()?;
        Ok(config
            .get("discovery")
            .and_then(|d| d.get("enabled"))
            .and_then(Value::as_bool)
            != Some(false))
    }
}

/// Sets the value at `keys` under `root`, creating objects on the way; an
/// existing value is kept.
fn set_at(root: &mut Value, keys: &[String], value: Value) {
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut node = root;
    for key in parents {
        let Value::Object(map) = node else {
            return;
        };
        node = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
    if let Value::Object(map) = node {
        map.entry(last.clone()).or_insert(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_keys_from_json5() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openclaw.json");
        std::fs::write(
            &path,
            r#"{
  // comments and trailing commas are fine
  agents: { defaults: {
    model: { primary: "huggingface/deepseek-ai/DeepSeek-R1", fallbacks: ['huggingface/Qwen/Qwen3-8B',], },
    models: { "huggingface/deepseek-ai/DeepSeek-R1": { alias: "DeepSeek R1" } },
  } },
  models: { providers: { huggingface: { baseUrl: "http://127.0.0.1:9/v1" } } },
  plugins: { entries: { huggingface: { config: {
    discovery: { enabled: false },
    retry: { maxAttempts: 2 },
    transport: { mode: "serve" },   // the gateway package's, not the plugin's
  } } } },
}"#,
        )
        .unwrap();
        let c = GatewayConfig::load(&path).unwrap();
        assert_eq!(
            c.base_url().unwrap().as_deref(),
            Some("http://127.0.0.1:9/v1")
        );
        assert_eq!(
            c.primary_model().unwrap().as_deref(),
            Some("huggingface/deepseek-ai/DeepSeek-R1")
        );
        assert_eq!(c.fallbacks().unwrap(), vec!["huggingface/Qwen/Qwen3-8B"]);
        assert_eq!(c.aliases().unwrap().len(), 1);
        let settings = c.plugin_config().unwrap();
        assert_eq!(settings["discovery"]["enabled"], false);
        assert_eq!(settings["retry"]["maxAttempts"], 2);
        assert!(settings.get("transport").is_none(), "{settings:?}");
        assert!(!c.discovery_enabled().unwrap());
        c.refuse_moved_settings().unwrap();
    }

    #[test]
    fn settings_in_their_old_place_are_used_but_refused_until_moved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openclaw.json");
        std::fs::write(
            &path,
            r#"{ plugins: { entries: {
  "hf-plugin": { config: { billTo: "old-org", retry: { maxAttempts: 5 } } },
  huggingface: { config: { billTo: "new-org" } },
} } }"#,
        )
        .unwrap();
        let c = GatewayConfig::load(&path).unwrap();
        let settings = c.plugin_config().unwrap();
        assert_eq!(settings["billTo"], "new-org", "the new place wins");
        assert_eq!(settings["retry"]["maxAttempts"], 5);
        let e = c.refuse_moved_settings().unwrap_err();
        assert!(
            e.message.contains("move plugins.entries.hf-plugin.config.billTo -> plugins.entries.huggingface.config.billTo, plugins.entries.hf-plugin.config.retry.maxAttempts -> plugins.entries.huggingface.config.retry.maxAttempts:"),
            "{e}"
        );
        assert!(e.message.contains("test-host onboard"), "{e}");
        assert!(!e.message.contains('\n'), "one line: {e}");
    }

    #[test]
    fn wrong_types_name_the_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json5");
        std::fs::write(
            &path,
            "{agents:{defaults:{model:{fallbacks:'x'}}}, models: {providers: {huggingface: {baseUrl: 3}}}}",
        )
        .unwrap();
        let e = GatewayConfig::load(&path).unwrap_err();
        assert!(e.message.contains("agents.defaults.model.fallbacks"), "{e}");
        assert!(
            e.message.contains("models.providers.huggingface.baseUrl"),
            "{e}"
        );
        assert!(e.message.contains("c.json5"), "{e}");
        std::fs::write(&path, "{\n  a: 1,\n  oops\n}").unwrap();
        let e = GatewayConfig::load(&path).unwrap_err();
        assert!(
            e.message.contains("c.json5") && e.message.contains("JSON5"),
            "{e}"
        );
        assert!(e.message.contains("line 4 column 1"), "{e}");
    }
}
