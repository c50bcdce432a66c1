//! The gateway config file (JSON5), as far as this host reads it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{CliError, CliResult};

/// What the host takes from the config file.
#[derive(Debug, Clone, Default)]
pub struct GatewayConfig {
    /// The file it came from (may not exist yet).
    pub path: PathBuf,
    /// The whole document, unknown keys included.
    pub document: Value,
}

impl GatewayConfig {
    /// Reads `path`; a missing file is an empty config.
    ///
    /// # Errors
    /// When the file cannot be read or is not valid JSON5 (message names the
    /// file and the position).
    pub fn load(path: &Path) -> CliResult<GatewayConfig> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(GatewayConfig {
                    path: path.to_path_buf(),
                    document: Value::Object(Default::default()),
                });
            }
            Err(e) => {
                return Err(CliError::usage(format!(
                    "{}: cannot read the config: {e}",
                    path.display()
                )));
            }
        };
        let document: Value = json5::from_str(&text)
            .map_err(|e| CliError::usage(format!("{}: invalid JSON5: {e}", path.display())))?;
        if !document.is_object() {
            return Err(CliError::usage(format!(
                "{}: the config must be a JSON object",
                path.display()
            )));
        }
        Ok(GatewayConfig {
            path: path.to_path_buf(),
            document,
        })
    }

    fn at(&self, keys: &[&str]) -> Option<&Value> {
        keys.iter().try_fold(&self.document, |v, k| v.get(k))
    }

    fn string_at(&self, keys: &[&str]) -> CliResult<Option<String>> {
        match self.at(keys) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.bad(keys, "a string", other)),
        }
    }

    fn bad(&self, keys: &[&str], expected: &str, got: &Value) -> CliError {
        CliError::usage(format!(
            "{}: {} must be {expected}, got {got}",
            self.path.display(),
            keys.join(".")
        ))
    }

    /// `models.providers.huggingface.baseUrl`.
    pub fn base_url(&self) -> CliResult<Option<String>> {
        self.string_at(&["models", "providers", "huggingface", "baseUrl"])
    }

    /// `agents.defaults.model` (a string, or `{primary}`).
    pub fn primary_model(&self) -> CliResult<Option<String>> {
        let keys = ["agents", "defaults", "model"];
        match self.at(&keys) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Object(_)) => self.string_at(&["agents", "defaults", "model", "primary"]),
            Some(other) => Err(self.bad(&keys, "a string or {primary, fallbacks}", other)),
        }
    }

    /// `agents.defaults.model.fallbacks`.
    pub fn fallbacks(&self) -> CliResult<Vec<String>> {
        let keys = ["agents", "defaults", "model", "fallbacks"];
        match self.at(&keys) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.bad(&keys, "a list of model refs", other)),
                })
                .collect(),
            Some(other) => Err(self.bad(&keys, "a list of model refs", other)),
        }
    }

    /// Aliases from `agents.defaults.models["<ref>"].alias`, ref -> alias.
    pub fn aliases(&self) -> CliResult<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        let Some(models) = self.at(&["agents", "defaults", "models"]) else {
            return Ok(out);
        };
        let Some(models) = models.as_object() else {
            return Err(self.bad(&["agents", "defaults", "models"], "an object", models));
        };
        for (model_ref, entry) in models {
            match entry.get("alias") {
                None | Some(Value::Null) => {}
                Some(Value::String(alias)) => {
                    out.insert(model_ref.clone(), alias.clone());
                }
                Some(other) => {
                    return Err(self.bad(
                        &["agents", "defaults", "models", model_ref, "alias"],
                        "a string",
                        other,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// `plugins.entries.huggingface.config`, passed to the plugin as settings.
    pub fn plugin_config(&self) -> CliResult<serde_json::Map<String, Value>> {
        let keys = ["plugins", "entries", "huggingface", "config"];
        match self.at(&keys) {
            None | Some(Value::Null) => Ok(Default::default()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(other) => Err(self.bad(&keys, "an object", other)),
        }
    }

    /// `models.providers.huggingface.models` (user entries).
    pub fn user_models(&self) -> CliResult<Vec<Value>> {
        let keys = ["models", "providers", "huggingface", "models"];
        match self.at(&keys) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(other) => Err(self.bad(&keys, "a list", other)),
        }
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
  plugins: { entries: { huggingface: { config: { discovery: { enabled: false } } } } },
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
        assert_eq!(c.plugin_config().unwrap()["discovery"]["enabled"], false);
    }

    #[test]
    fn wrong_types_name_the_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json5");
        std::fs::write(&path, "{agents:{defaults:{model:{fallbacks:'x'}}}}").unwrap();
        let e = GatewayConfig::load(&path).unwrap().fallbacks().unwrap_err();
        assert!(e.message.contains("agents.defaults.model.fallbacks"), "{e}");
        assert!(e.message.contains("c.json5"), "{e}");
        std::fs::write(&path, "{oops").unwrap();
        let e = GatewayConfig::load(&path).unwrap_err();
        assert!(
            e.message.contains("c.json5") && e.message.contains("JSON5"),
            "{e}"
        );
    }
}
