//! What onboarding changes in the config, and how it is written back.
//!
//! The change is a small set of "make sure this is so" operations. Each is
//! applied twice: to the parsed document (the intended result) and to a
//! concrete syntax tree of the file text (jsonc-parser's `cst`), which keeps
//! every comment, blank line and unknown key. The edited text is parsed
//! again and must equal the intended result; only when the tree cannot be
//! built or the two disagree is the file rewritten in full, and then the
//! previous file is kept as `<file>.bak`.
//!
//! Operations that would change nothing are skipped, so running onboarding
//! twice leaves the file byte-identical.

use std::path::{Path, PathBuf};

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::{Map, Value};

use super::atomic::{OWNER_ONLY, StagedFile};
use super::lock::FileLock;
use super::{parse, problems_error, validate};
use crate::error::{CliError, CliResult};

/// The auth profile onboarding writes.
pub const AUTH_PROFILE: &str = "huggingface:default";

/// The router, written as `baseUrl` when onboarding creates the provider entry.
pub const DEFAULT_BASE_URL: &str = "https://router.huggingface.co/v1";

/// A catalog entry for `models.providers.huggingface.models`, in the
/// gateway's model-definition shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderModelEntry {
    /// Router model id, `org/name` (no suffix).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether it reasons.
    pub reasoning: bool,
    /// Input modalities.
    pub input: Vec<String>,
    /// Context window in tokens.
    pub context_window: u64,
    /// Maximum output tokens.
    pub max_tokens: u64,
}

impl ProviderModelEntry {
    /// Fields in the order they are written.
    fn fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("id", Value::from(self.id.clone())),
            ("name", Value::from(self.name.clone())),
            ("reasoning", Value::from(self.reasoning)),
            ("input", Value::from(self.input.clone())),
            ("contextWindow", Value::from(self.context_window)),
            ("maxTokens", Value::from(self.max_tokens)),
        ]
    }

    fn to_value(&self) -> Value {
        Value::Object(
            self.fields()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    fn to_cst(&self) -> CstInputValue {
        CstInputValue::Object(
            self.fields()
                .into_iter()
                .map(|(k, v)| (k.to_string(), cst_value(&v)))
                .collect(),
        )
    }
}

/// What onboarding makes true in the config.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEdit {
    /// `agents.defaults.model.primary` (fallbacks are kept; a string
    /// `model` becomes `{primary}`).
    pub primary: String,
    /// `agents.defaults.models[primary].alias`, written only when there is none.
    pub alias: Option<String>,
    /// Added to `models.providers.huggingface.models` only when no entry has its id.
    pub provider_model: Option<ProviderModelEntry>,
}

fn cst_value(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(cst_value).collect()),
        Value::Object(m) => {
            CstInputValue::Object(m.iter().map(|(k, v)| (k.clone(), cst_value(v))).collect())
        }
    }
}

fn auth_profile_fields() -> [(&'static str, &'static str); 2] {
    [("provider", "huggingface"), ("mode", "api_key")]
}

/// The object at `key`, created when missing (a value of another type is
/// replaced, which cannot happen: the document was validated first).
fn object_at<'a>(
    parent: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    let slot = parent
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

impl ConfigEdit {
    /// The edit applied to a parsed document (the intended result).
    pub fn apply_to_value(&self, document: &mut Value) {
        if !document.is_object() {
            *document = Value::Object(Map::new());
        }
        if let Value::Object(root) = document {
            // `None` only for impossible shapes (see `object_at`).
            let _ = self.apply_to_map(root);
        }
    }

    fn apply_to_map(&self, root: &mut Map<String, Value>) -> Option<()> {
        let defaults = object_at(object_at(root, "agents")?, "defaults")?;
        match defaults.get_mut("model") {
            Some(Value::Object(m)) => {
                m.insert("primary".into(), Value::from(self.primary.clone()));
            }
            _ => {
                let mut m = Map::new();
                m.insert("primary".into(), Value::from(self.primary.clone()));
                defaults.insert("model".into(), Value::Object(m));
            }
        }
        if let Some(alias) = &self.alias {
            let entry = object_at(object_at(defaults, "models")?, &self.primary)?;
            if entry.get("alias").is_none_or(Value::is_null) {
                entry.insert("alias".into(), Value::from(alias.clone()));
            }
        }
        let profile = object_at(
            object_at(object_at(root, "auth")?, "profiles")?,
            AUTH_PROFILE,
        )?;
        for (k, v) in auth_profile_fields() {
            profile.insert(k.into(), Value::from(v));
        }
        if let Some(entry) = &self.provider_model {
            let providers = object_at(object_at(root, "models")?, "providers")?;
            if !providers.contains_key("huggingface") {
                let mut hf = Map::new();
                hf.insert("baseUrl".into(), Value::from(DEFAULT_BASE_URL));
                hf.insert("models".into(), Value::Array(vec![entry.to_value()]));
                providers.insert("huggingface".into(), Value::Object(hf));
            } else {
                let hf = object_at(providers, "huggingface")?;
                let list = hf
                    .entry("models")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                if let Value::Array(items) = list
                    && !items
                        .iter()
                        .any(|m| m.get("id").and_then(Value::as_str) == Some(&entry.id))
                {
                    items.push(entry.to_value());
                }
            }
        }
        Some(())
    }

    /// The same edit on the syntax tree, touching only what changes;
    /// `before` is the parsed document, used to skip no-op operations.
    fn apply_to_tree(&self, root: &CstRootNode, before: &Value) {
        let obj = root.object_value_or_set();
        let at = |keys: &[&str]| keys.iter().try_fold(before, |v, k| v.get(*k));
        // agents.defaults.model
        let model = at(&["agents", "defaults", "model"]);
        // A string `model` always becomes `{primary}`.
        let primary_ok = match model {
            Some(Value::Object(m)) => {
                m.get("primary").and_then(Value::as_str) == Some(self.primary.as_str())
            }
            _ => false,
        };
        if !primary_ok {
            let defaults = obj
                .object_value_or_set("agents")
                .object_value_or_set("defaults");
            match defaults.get("model") {
                Some(prop) => match prop.object_value() {
                    Some(m) => set_prop(&m, "primary", CstInputValue::String(self.primary.clone())),
                    None => prop.set_value(primary_object(&self.primary)),
                },
                None => {
                    defaults.append("model", primary_object(&self.primary));
                }
            }
        }
        // agents.defaults.models[primary].alias
        if let Some(alias) = &self.alias {
            let existing = at(&["agents", "defaults", "models"])
                .and_then(|m| m.get(&self.primary))
                .and_then(|e| e.get("alias"))
                .is_some_and(|a| !a.is_null());
            if !existing {
                let entry = obj
                    .object_value_or_set("agents")
                    .object_value_or_set("defaults")
                    .object_value_or_set("models")
                    .object_value_or_set(&self.primary);
                set_prop(&entry, "alias", CstInputValue::String(alias.clone()));
            }
        }
        // auth.profiles["huggingface:default"]
        let profile_now = at(&["auth", "profiles", AUTH_PROFILE]);
        let profile_ok = auth_profile_fields()
            .iter()
            .all(|(k, v)| profile_now.and_then(|p| p.get(*k)).and_then(Value::as_str) == Some(*v));
        if !profile_ok {
            let profile = obj
                .object_value_or_set("auth")
                .object_value_or_set("profiles")
                .object_value_or_set(AUTH_PROFILE);
            for (k, v) in auth_profile_fields() {
                if profile_now.and_then(|p| p.get(k)).and_then(Value::as_str) != Some(v) {
                    set_prop(&profile, k, CstInputValue::String(v.into()));
                }
            }
        }
        // models.providers.huggingface.models
        if let Some(entry) = &self.provider_model {
            let hf_now = at(&["models", "providers", "huggingface"]);
            let present = hf_now
                .and_then(|h| h.get("models"))
                .and_then(Value::as_array)
                .is_some_and(|items| {
                    items
                        .iter()
                        .any(|m| m.get("id").and_then(Value::as_str) == Some(&entry.id))
                });
            if !present {
                let providers = obj
                    .object_value_or_set("models")
                    .object_value_or_set("providers");
                match providers.object_value("huggingface") {
                    Some(hf) => {
                        hf.array_value_or_set("models").append(entry.to_cst());
                    }
                    None => {
                        providers.append(
                            "huggingface",
                            CstInputValue::Object(vec![
                                (
                                    "baseUrl".into(),
                                    CstInputValue::String(DEFAULT_BASE_URL.into()),
                                ),
                                ("models".into(), CstInputValue::Array(vec![entry.to_cst()])),
                            ]),
                        );
                    }
                }
            }
        }
    }

    /// The new file text for `text` (the current contents, possibly empty).
    ///
    /// # Errors
    /// When `text` is not valid JSON5 or has bad values (nothing is written then).
    pub fn render(&self, path: &Path, text: &str) -> CliResult<Rendered> {
        let before = parse(path, text)?;
        validate(&before).map_err(|p| problems_error(path, &p))?;
        let mut intended = before.clone();
        self.apply_to_value(&mut intended);
        if intended == before {
            return Ok(Rendered {
                text: text.to_string(),
                kept_layout: true,
            });
        }
        let base = if text.trim().is_empty() { "{}\n" } else { text };
        if let Ok(root) = CstRootNode::parse(base, &ParseOptions::default()) {
            self.apply_to_tree(&root, &before);
            let mut edited = root.to_string();
            if !edited.ends_with('\n') {
                edited.push('\n');
            }
            if parse(path, &edited).ok().as_ref() == Some(&intended) {
                return Ok(Rendered {
                    text: edited,
                    kept_layout: true,
                });
            }
            tracing::warn!(file = %path.display(), "the in-place edit did not give the intended config; rewriting the file");
        }
        let mut full = serde_json::to_string_pretty(&intended)
            .map_err(|e| CliError::new(format!("cannot render the config: {e}")))?;
        full.push('\n');
        Ok(Rendered {
            text: full,
            kept_layout: false,
        })
    }
}

fn primary_object(primary: &str) -> CstInputValue {
    CstInputValue::Object(vec![(
        "primary".into(),
        CstInputValue::String(primary.into()),
    )])
}

fn set_prop(obj: &CstObject, key: &str, value: CstInputValue) {
    match obj.get(key) {
        Some(prop) => prop.set_value(value),
        None => {
            obj.append(key, value);
        }
    }
}

/// New config text.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The whole file.
    pub text: String,
    /// Whether comments and layout were kept (else: a full rewrite).
    pub kept_layout: bool,
}

/// What happened to the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOutcome {
    /// Already as wanted; not touched.
    Unchanged,
    /// There was no file; it was created.
    Created,
    /// Edited in place: comments, layout and unknown keys kept.
    Updated,
    /// Rewritten in full (comments lost); the previous file is at `backup`.
    Rewritten {
        /// `<file>.bak`.
        backup: PathBuf,
    },
}

/// A config change checked and ready to write, holding the config's lock.
#[derive(Debug)]
pub struct PreparedConfig {
    _lock: FileLock,
    path: PathBuf,
    old: Option<String>,
    new: Rendered,
}

/// Locks the config, reads it and renders the edit, without writing.
///
/// # Errors
/// When another onboarding holds the lock, the file cannot be read, or it is
/// invalid (nothing is written then).
pub fn prepare(path: &Path, edit: &ConfigEdit) -> CliResult<PreparedConfig> {
    let lock = FileLock::acquire(path, super::lock::DEFAULT_WAIT)?;
    let old = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(CliError::usage(format!(
                "{}: cannot read the config: {e}",
                path.display()
            )));
        }
    };
    let new = edit.render(path, old.as_deref().unwrap_or(""))?;
    Ok(PreparedConfig {
        _lock: lock,
        path: path.to_path_buf(),
        old,
        new,
    })
}

impl PreparedConfig {
    /// Whether committing would change the file.
    pub fn changes(&self) -> bool {
        self.old.as_deref() != Some(self.new.text.as_str())
    }

    /// Writes the file (atomically, keeping its permissions; a new file is
    /// owner-only), first saving the old one as `<file>.bak` when the edit
    /// could not keep its layout.
    ///
    /// # Errors
    /// Any I/O error; the file is then as it was.
    pub fn commit(self) -> CliResult<ConfigOutcome> {
        if !self.changes() {
            return Ok(ConfigOutcome::Unchanged);
        }
        let io =
            |e: std::io::Error| CliError::new(format!("cannot write {}: {e}", self.path.display()));
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let staged = StagedFile::stage(&self.path, self.new.text.as_bytes(), OWNER_ONLY, false)
            .map_err(io)?;
        let outcome = match (&self.old, self.new.kept_layout) {
            (None, _) => ConfigOutcome::Created,
            (Some(_), true) => ConfigOutcome::Updated,
            (Some(old), false) => {
                let mut backup = self.path.as_os_str().to_owned();
                backup.push(".bak");
                let backup = PathBuf::from(backup);
                super::atomic::write_atomic(&backup, old.as_bytes(), OWNER_ONLY, false)
                    .map_err(io)?;
                ConfigOutcome::Rewritten { backup }
            }
        };
        staged.commit().map_err(io)?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests;
