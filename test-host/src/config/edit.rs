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
use jsonc_parser::cst::{CstArray, CstInputValue, CstNode, CstObject, CstRootNode};
use serde_json::{Map, Value};

use super::atomic::{OWNER_ONLY, StagedFile};
use super::lock::FileLock;
use super::{MovedSetting, parse, problems_error, validate};
use crate::error::{CliError, CliResult};

/// The auth profile onboarding writes.
pub const AUTH_PROFILE: &str = "huggingface:default";

/// The router, written as `baseUrl` when onboarding creates the provider entry.
pub const DEFAULT_BASE_URL: &str = "https://router.huggingface.co/v1";

/// The alias the gateway's own onboarding gives the default model.
pub const DEFAULT_ALIAS: &str = "Hugging Face";

/// What onboarding makes true in the config: what the gateway's own
/// `openclaw onboard --auth-choice huggingface-api-key` writes (the default
/// model and its alias, the auth profile, the provider entry, `models.mode`,
/// the gateway's Hugging Face plugin enabled, the model-policy migration
/// marker), and optionally settings moved out of places the gateway refuses
/// or ignores.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEdit {
    /// `agents.defaults.model.primary` (fallbacks are kept; a string
    /// `model` becomes `{primary}`).
    pub primary: String,
    /// `agents.defaults.models[primary].alias`, written only when there is none.
    pub alias: Option<String>,
    /// Settings to move where the gateway accepts them (see
    /// [`crate::config::MovedSetting`]); a value already at the new place
    /// wins, and the objects each names in its `prune` go when the moves
    /// leave them empty.
    pub moves: Vec<MovedSetting>,
}

/// The marker with which the gateway records that a non-empty
/// `agents.defaults.models` map is a list of aliases and options, not an
/// allow-list. Without it (or an `agents.defaults.modelPolicy` object), the
/// gateway's next write of the config (`openclaw plugins install`,
/// `config set`, `models set`, ...) turns the map's refs into
/// `agents.defaults.modelPolicy.allow`, refusing every other model. The
/// gateway's own onboarding writes it.
pub const MODEL_POLICY_MARKER: [&str; 3] = ["meta", "migrations", "modelPolicyAllowlist"];

/// One "make sure this is so" change at a key path (array elements by index).
#[derive(Debug, Clone, PartialEq)]
enum Change {
    /// The value at `path`, objects created on the way.
    Set { path: Vec<String>, value: Value },
    /// No key at `path`.
    Remove { path: Vec<String> },
    /// No key at `path` if its value is an empty object (when applied).
    RemoveIfEmpty { path: Vec<String> },
}

fn keys(path: &[&str]) -> Vec<String> {
    path.iter().map(|k| k.to_string()).collect()
}

/// The value at `path`, if any.
fn at<'v>(root: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(root, |node, key| match node {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// Absent or null.
fn missing(root: &Value, path: &[String]) -> bool {
    at(root, path).is_none_or(Value::is_null)
}

impl ConfigEdit {
    /// The changes that make `before` what onboarding wants, skipping those
    /// that would change nothing (so a second run leaves the file as it is).
    fn changes(&self, before: &Value) -> Vec<Change> {
        let mut out = Vec::new();
        let mut set = |path: Vec<String>, value: Value| {
            if at(before, &path) != Some(&value) {
                out.push(Change::Set { path, value });
            }
        };
        // A string `model` becomes `{primary}`; an object keeps its fallbacks.
        match at(before, &keys(&["agents", "defaults", "model"])) {
            Some(Value::Object(_)) => set(
                keys(&["agents", "defaults", "model", "primary"]),
                Value::from(self.primary.clone()),
            ),
            _ => set(
                keys(&["agents", "defaults", "model"]),
                serde_json::json!({ "primary": self.primary }),
            ),
        }
        for (key, value) in [("provider", "huggingface"), ("mode", "api_key")] {
            set(
                keys(&["auth", "profiles", AUTH_PROFILE, key]),
                Value::from(value),
            );
        }
        let provider = keys(&["models", "providers", "huggingface"]);
        if missing(before, &provider) {
            set(
                provider,
                serde_json::json!({
                    "baseUrl": DEFAULT_BASE_URL,
                    "api": "openai-completions",
                    "models": [],
                }),
            );
        } else {
            for (key, value) in [
                ("api", Value::from("openai-completions")),
                ("models", Value::Array(Vec::new())),
            ] {
                let path = [provider.clone(), vec![key.to_string()]].concat();
                if missing(before, &path) {
                    set(path, value);
                }
            }
        }
        if missing(before, &keys(&["models", "mode"])) {
            set(keys(&["models", "mode"]), Value::from("merge"));
        }
        set(
            keys(&["plugins", "entries", "huggingface", "enabled"]),
            Value::Bool(true),
        );
        // `true` is the marker's only valid value.
        if !at(before, &keys(&["agents", "defaults", "modelPolicy"])).is_some_and(Value::is_object)
        {
            set(keys(&MODEL_POLICY_MARKER), Value::Bool(true));
        }
        let alias_path = keys(&["agents", "defaults", "models", &self.primary, "alias"]);
        let mut aliased = !missing(before, &alias_path);
        for moved in &self.moves {
            if missing(before, &moved.to)
                && !out
                    .iter()
                    .any(|c| matches!(c, Change::Set { path, .. } if *path == moved.to))
            {
                aliased |= moved.to == alias_path;
                out.push(Change::Set {
                    path: moved.to.clone(),
                    value: moved.value.clone(),
                });
            }
            out.push(Change::Remove {
                path: moved.from.clone(),
            });
        }
        // Emptied enclosing objects, innermost first, each once.
        let mut emptied: Vec<Vec<String>> = self
            .moves
            .iter()
            .flat_map(|m| {
                (1..=m.prune.min(m.from.len())).map(|n| m.from[..m.from.len() - n].to_vec())
            })
            .collect();
        emptied.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        emptied.dedup();
        out.extend(
            emptied
                .into_iter()
                .map(|path| Change::RemoveIfEmpty { path }),
        );
        if let Some(alias) = self.alias.as_ref().filter(|_| !aliased) {
            out.push(Change::Set {
                path: alias_path,
                value: Value::from(alias.clone()),
            });
        }
        out
    }
}

/// Applies `changes` to a parsed document (the intended result).
fn apply_to_value(document: &mut Value, changes: &[Change]) {
    for change in changes {
        match change {
            Change::Set { path, value } => set_value(document, path, value.clone()),
            Change::Remove { path } => remove_value(document, path),
            Change::RemoveIfEmpty { path } => {
                if at(document, path).is_some_and(|v| v.as_object().is_some_and(Map::is_empty)) {
                    remove_value(document, path);
                }
            }
        }
    }
}

/// Sets the value at `path`, creating objects on the way (array elements are
/// only ever found, by index).
fn set_value(node: &mut Value, path: &[String], value: Value) {
    let Some((key, rest)) = path.split_first() else {
        *node = value;
        return;
    };
    match node {
        Value::Array(items) => {
            if let Some(item) = key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                set_value(item, rest, value);
            }
        }
        Value::Object(map) => {
            let child = map.entry(key.clone()).or_insert(Value::Null);
            if !rest.is_empty() && !child.is_object() && !child.is_array() {
                *child = Value::Object(Map::new());
            }
            set_value(child, rest, value);
        }
        _ => {
            *node = Value::Object(Map::new());
            set_value(node, path, value);
        }
    }
}

/// Removes the key at `path`, if it is there.
fn remove_value(node: &mut Value, path: &[String]) {
    let Some((key, rest)) = path.split_first() else {
        return;
    };
    match node {
        Value::Object(map) if rest.is_empty() => {
            map.remove(key);
        }
        Value::Object(map) => {
            if let Some(child) = map.get_mut(key) {
                remove_value(child, rest);
            }
        }
        Value::Array(items) => {
            if let Some(item) = key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                remove_value(item, rest);
            }
        }
        _ => {}
    }
}

/// The object at `path` in the syntax tree: objects are created on the way
/// when `create` (array elements are only ever found, by index).
fn tree_object(root: &CstRootNode, path: &[String], create: bool) -> Option<CstObject> {
    enum Node {
        Object(CstObject),
        Array(CstArray),
    }
    let of = |value: CstNode| match (value.as_object(), value.as_array()) {
        (Some(o), _) => Some(Node::Object(o)),
        (_, Some(a)) => Some(Node::Array(a)),
        _ => None,
    };
    let mut node = Node::Object(root.object_value_or_set());
    for key in path {
        node = match node {
            Node::Array(array) => {
                let index = key.parse::<usize>().ok()?;
                of(array.elements().into_iter().nth(index)?)?
            }
            Node::Object(object) => match object.get(key).and_then(|p| p.value()) {
                Some(value) if value.as_object().is_some() || value.as_array().is_some() => {
                    of(value)?
                }
                _ if create => Node::Object(object.object_value_or_set(key)),
                _ => return None,
            },
        };
    }
    match node {
        Node::Object(object) => Some(object),
        Node::Array(_) => None,
    }
}

/// Applies `changes` to the syntax tree, touching only what changes.
fn apply_to_tree(root: &CstRootNode, changes: &[Change]) {
    for change in changes {
        match change {
            Change::Set { path, value } => {
                let Some((last, parents)) = path.split_last() else {
                    continue;
                };
                if let Some(obj) = tree_object(root, parents, true) {
                    set_prop(&obj, last, cst_value(value));
                }
            }
            Change::Remove { path } => {
                let Some((last, parents)) = path.split_last() else {
                    continue;
                };
                if let Some(prop) = tree_object(root, parents, false).and_then(|o| o.get(last)) {
                    prop.remove();
                }
            }
            Change::RemoveIfEmpty { path } => {
                let Some((last, parents)) = path.split_last() else {
                    continue;
                };
                if let Some(prop) = tree_object(root, parents, false).and_then(|o| o.get(last))
                    && prop
                        .value()
                        .and_then(|v| v.as_object())
                        .is_some_and(|o| o.properties().is_empty())
                {
                    prop.remove();
                }
            }
        }
    }
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

impl ConfigEdit {
    /// The new file text for `text` (the current contents, possibly empty).
    ///
    /// # Errors
    /// When `text` is not valid JSON5 or has bad values (nothing is written then).
    pub fn render(&self, path: &Path, text: &str) -> CliResult<Rendered> {
        let before = parse(path, text)?;
        validate(&before).map_err(|p| problems_error(path, &p))?;
        let changes = self.changes(&before);
        let mut intended = before.clone();
        apply_to_value(&mut intended, &changes);
        if intended == before {
            return Ok(Rendered {
                text: text.to_string(),
                kept_layout: true,
            });
        }
        let base = if text.trim().is_empty() { "{}\n" } else { text };
        if let Ok(root) = CstRootNode::parse(base, &ParseOptions::default()) {
            apply_to_tree(&root, &changes);
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
