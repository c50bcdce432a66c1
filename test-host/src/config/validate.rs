//! The second stage of reading the config: the raw JSON5 document (all keys
//! optional, unknown keys allowed) checked in one pass that reports every bad
//! value with its key path, not just the first one.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One bad value: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Key path, e.g. `agents.defaults.model.fallbacks[1]`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// An auth profile as the config names it (the secret lives elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthProfile {
    /// `provider`, e.g. `huggingface`.
    pub provider: Option<String>,
    /// `mode`, e.g. `api_key`.
    pub mode: Option<String>,
}

/// The parts of the config this host uses, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidConfig {
    /// `agents.defaults.model` (a string) or `agents.defaults.model.primary`.
    pub primary: Option<String>,
    /// `agents.defaults.model.fallbacks`.
    pub fallbacks: Vec<String>,
    /// `agents.defaults.models["<ref>"].alias`, ref -> alias.
    pub aliases: BTreeMap<String, String>,
    /// `models.providers.huggingface.baseUrl`.
    pub base_url: Option<String>,
    /// `models.providers.huggingface.models`: the user's entries, as written.
    pub user_models: Vec<Value>,
    /// `plugins.entries.huggingface.config` without `transport` (the
    /// gateway package's own key): the plugin's settings, which the plugin
    /// validates itself.
    pub plugin_config: Map<String, Value>,
    /// Settings where the gateway refuses or ignores them, and where they belong.
    pub moved: Vec<MovedSetting>,
    /// `auth.profiles`.
    pub auth_profiles: BTreeMap<String, AuthProfile>,
}

/// A setting in a place the gateway refuses or ignores, and the place it
/// belongs: aliases in provider model entries (the gateway accepts them only
/// in `agents.defaults.models`), and our plugin's settings in
/// `plugins.entries.hf-plugin.config`, the entry of the plugin package's
/// earlier id (the gateway ignores it as a stale entry; the package is now
/// `huggingface`, so they live in `plugins.entries.huggingface.config`).
#[derive(Debug, Clone, PartialEq)]
pub struct MovedSetting {
    /// Where it is, as keys from the root.
    pub from: Vec<String>,
    /// Where it belongs.
    pub to: Vec<String>,
    /// Its value.
    pub value: Value,
    /// How many of the objects enclosing `from`, innermost first, go too
    /// when the move leaves them empty (the old package entry: nothing
    /// installed has its id any more).
    pub prune: usize,
}

impl MovedSetting {
    /// `a.b["x/y"]` forms of both places.
    pub fn describe(&self) -> String {
        let render = |keys: &[String]| {
            keys.iter()
                .fold(KeyPath::default(), |p, k| match k.parse() {
                    Ok(i) => p.index(i),
                    Err(_) => p.key(k),
                })
                .0
        };
        format!("{} -> {}", render(&self.from), render(&self.to))
    }
}

/// Our OpenClaw plugin package's id, the same as the gateway's bundled
/// provider it replaces: its `plugins.entries` entry holds the provider
/// plugin's settings, validated by the gateway against the package's
/// `configSchema`.
pub const PLUGIN_ENTRY: &str = "huggingface";

/// The package's earlier id; settings in its entry belong in
/// [`PLUGIN_ENTRY`]'s.
pub const OLD_PLUGIN_ENTRY: &str = "hf-plugin";

/// Keys of [`PLUGIN_ENTRY`]'s config that belong to the gateway package
/// (how it reaches the plugin), not to the plugin.
pub const PACKAGE_KEYS: &[&str] = &["transport"];

/// A key path being walked; renders as `a.b["x/y"][2]`.
#[derive(Clone, Default)]
struct KeyPath(String);

impl KeyPath {
    fn key(&self, key: &str) -> KeyPath {
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let mut s = self.0.clone();
        if plain {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(key);
        } else {
            s.push_str(&format!("[{}]", Value::String(key.to_string())));
        }
        KeyPath(s)
    }

    fn index(&self, i: usize) -> KeyPath {
        KeyPath(format!("{}[{i}]", self.0))
    }
}

/// A short rendering of a wrong value for the message (never a whole subtree).
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > 40 => "a long string".into(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn bad(&mut self, path: &KeyPath, expected: &str, got: &Value) {
        self.problems.push(Problem {
            path: path.0.clone(),
            message: format!("expected {expected}, got {}", describe(got)),
        });
    }

    /// An optional object; `None` when absent or null (or wrong, reported).
    fn object<'v>(
        &mut self,
        v: Option<&'v Value>,
        path: &KeyPath,
    ) -> Option<&'v Map<String, Value>> {
        match v {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                self.bad(path, "an object", other);
                None
            }
        }
    }

    /// An optional non-empty string.
    fn string(&mut self, v: Option<&Value>, path: &KeyPath) -> Option<String> {
        match v {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(other) => {
                self.bad(path, "a non-empty string", other);
                None
            }
        }
    }

    fn model(&mut self, defaults: &Map<String, Value>, path: &KeyPath, out: &mut ValidConfig) {
        let path = path.key("model");
        match defaults.get("model") {
            None | Some(Value::Null) => {}
            Some(v @ Value::String(_)) => out.primary = self.string(Some(v), &path),
            Some(Value::Object(m)) => {
                out.primary = self.string(m.get("primary"), &path.key("primary"));
                let fpath = path.key("fallbacks");
                match m.get("fallbacks") {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            if let Some(s) = self.string(Some(item), &fpath.index(i)) {
                                out.fallbacks.push(s);
                            } else if item.is_null() {
                                self.bad(&fpath.index(i), "a model ref", item);
                            }
                        }
                    }
                    Some(other) => self.bad(&fpath, "a list of model refs", other),
                }
            }
            Some(other) => self.bad(&path, "a model ref or {primary, fallbacks}", other),
        }
    }

    fn aliases(&mut self, defaults: &Map<String, Value>, path: &KeyPath, out: &mut ValidConfig) {
        let path = path.key("models");
        let Some(models) = self.object(defaults.get("models"), &path) else {
            return;
        };
        for (model_ref, entry) in models {
            let epath = path.key(model_ref);
            let Some(entry) = self.object(Some(entry), &epath) else {
                continue;
            };
            if let Some(alias) = self.string(entry.get("alias"), &epath.key("alias")) {
                out.aliases.insert(model_ref.clone(), alias);
            }
        }
    }

    fn provider(&mut self, root: &Map<String, Value>, out: &mut ValidConfig) {
        let models = KeyPath::default().key("models");
        let providers = models.key("providers");
        let hf = providers.key("huggingface");
        let Some(m) = self.object(root.get("models"), &models) else {
            return;
        };
        let Some(p) = self.object(m.get("providers"), &providers) else {
            return;
        };
        let Some(h) = self.object(p.get("huggingface"), &hf) else {
            return;
        };
        let url_path = hf.key("baseUrl");
        if let Some(url) = self.string(h.get("baseUrl"), &url_path) {
            if url.starts_with("http://") || url.starts_with("https://") {
                out.base_url = Some(url);
            } else {
                self.bad(&url_path, "an http:// or https:// URL", &Value::String(url));
            }
        }
        let list_path = hf.key("models");
        match h.get("models") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let ipath = list_path.index(i);
                    let Some(entry) = self.object(Some(item), &ipath) else {
                        if item.is_null() {
                            self.bad(&ipath, "an object with an id", item);
                        }
                        continue;
                    };
                    match entry.get("id") {
                        Some(Value::String(id)) if !id.trim().is_empty() => {}
                        None => self.problems.push(Problem {
                            path: ipath.key("id").0,
                            message: "missing (every model entry needs an id)".into(),
                        }),
                        Some(other) => self.bad(&ipath.key("id"), "a non-empty string", other),
                    }
                    if entry.get("name").is_none() {
                        self.problems.push(Problem {
                            path: ipath.key("name").0,
                            message: "missing (the gateway requires a name for every model entry)"
                                .into(),
                        });
                    }
                    self.string(entry.get("name"), &ipath.key("name"));
                    if let (Some(alias), Some(Value::String(id))) = (
                        self.string(entry.get("alias"), &ipath.key("alias")),
                        entry.get("id"),
                    ) {
                        out.moved.push(MovedSetting {
                            from: vec![
                                "models".into(),
                                "providers".into(),
                                "huggingface".into(),
                                "models".into(),
                                i.to_string(),
                                "alias".into(),
                            ],
                            to: vec![
                                "agents".into(),
                                "defaults".into(),
                                "models".into(),
                                format!("huggingface/{id}"),
                                "alias".into(),
                            ],
                            value: Value::String(alias),
                            prune: 0,
                        });
                    }
                    out.user_models.push(item.clone());
                }
            }
            Some(other) => self.bad(&list_path, "a list of model entries", other),
        }
    }

    fn plugin(&mut self, root: &Map<String, Value>, out: &mut ValidConfig) {
        let plugins = KeyPath::default().key("plugins");
        let entries = plugins.key("entries");
        let Some(p) = self.object(root.get("plugins"), &plugins) else {
            return;
        };
        let Some(e) = self.object(p.get("entries"), &entries) else {
            return;
        };
        let ours = entries.key(PLUGIN_ENTRY);
        if let Some(entry) = self.object(e.get(PLUGIN_ENTRY), &ours) {
            self.enabled(entry, &ours);
            if let Some(c) = self.object(entry.get("config"), &ours.key("config")) {
                out.plugin_config = c
                    .iter()
                    .filter(|(k, _)| !PACKAGE_KEYS.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
            }
        }
        // The earlier id's entry: every setting in it moves, one leaf at a
        // time (`discovery.intervalSeconds`, not all of `discovery`), so
        // that a value already in the new place wins key by key.
        let old = entries.key(OLD_PLUGIN_ENTRY);
        let Some(entry) = self.object(e.get(OLD_PLUGIN_ENTRY), &old) else {
            return;
        };
        let Some(config) = self.object(entry.get("config"), &old.key("config")) else {
            return;
        };
        let moved = |keys: &[&str], value: &Value| {
            let path = |entry: &str| -> Vec<String> {
                ["plugins", "entries", entry, "config"]
                    .iter()
                    .chain(keys)
                    .map(|k| k.to_string())
                    .collect()
            };
            MovedSetting {
                from: path(OLD_PLUGIN_ENTRY),
                to: path(PLUGIN_ENTRY),
                value: value.clone(),
                // Up to and including the entry itself.
                prune: keys.len() + 1,
            }
        };
        for (key, value) in config {
            match value {
                Value::Object(inner) if !inner.is_empty() => {
                    for (inner, value) in inner {
                        out.moved.push(moved(&[key, inner], value));
                    }
                }
                _ => out.moved.push(moved(&[key], value)),
            }
        }
    }

    fn enabled(&mut self, entry: &Map<String, Value>, path: &KeyPath) {
        match entry.get("enabled") {
            None | Some(Value::Null | Value::Bool(_)) => {}
            Some(other) => self.bad(&path.key("enabled"), "true or false", other),
        }
    }

    fn auth(&mut self, root: &Map<String, Value>, out: &mut ValidConfig) {
        let auth = KeyPath::default().key("auth");
        let profiles = auth.key("profiles");
        let Some(a) = self.object(root.get("auth"), &auth) else {
            return;
        };
        let Some(p) = self.object(a.get("profiles"), &profiles) else {
            return;
        };
        for (name, profile) in p {
            let ppath = profiles.key(name);
            let Some(profile) = self.object(Some(profile), &ppath) else {
                continue;
            };
            let parsed = AuthProfile {
                provider: self.string(profile.get("provider"), &ppath.key("provider")),
                mode: self.string(profile.get("mode"), &ppath.key("mode")),
            };
            out.auth_profiles.insert(name.clone(), parsed);
        }
    }
}

/// Checks the whole document; every problem is reported, in file order of
/// the sections.
///
/// # Errors
/// The list of problems when there is at least one.
pub fn validate(document: &Value) -> Result<ValidConfig, Vec<Problem>> {
    let mut checker = Checker::default();
    let mut out = ValidConfig::default();
    let Value::Object(root) = document else {
        return Err(vec![Problem {
            path: "(top level)".into(),
            message: format!("expected an object, got {}", describe(document)),
        }]);
    };
    let agents = KeyPath::default().key("agents");
    let defaults_path = agents.key("defaults");
    if let Some(a) = checker.object(root.get("agents"), &agents)
        && let Some(d) = checker.object(a.get("defaults"), &defaults_path)
    {
        checker.model(d, &defaults_path, &mut out);
        checker.aliases(d, &defaults_path, &mut out);
    }
    checker.provider(root, &mut out);
    checker.plugin(root, &mut out);
    checker.auth(root, &mut out);
    if checker.problems.is_empty() {
        Ok(out)
    } else {
        Err(checker.problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_bad_value_is_reported_with_its_path() {
        let doc = json!({
            "agents": { "defaults": {
                "model": { "primary": 7, "fallbacks": ["ok", 3] },
                "models": { "huggingface/a/b": { "alias": false } },
            } },
            "models": { "providers": { "huggingface": {
                "baseUrl": "ftp://x", "models": [ { "name": "no id" }, "x", { "id": "a/b" } ],
            } } },
            "plugins": { "entries": { "huggingface": { "enabled": 1, "config": [] }, "hf-plugin": { "config": "x" } } },
            "auth": { "profiles": { "huggingface:default": { "mode": 1 } } },
        });
        let problems = validate(&doc).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "agents.defaults.model.primary",
                "agents.defaults.model.fallbacks[1]",
                "agents.defaults.models[\"huggingface/a/b\"].alias",
                "models.providers.huggingface.baseUrl",
                "models.providers.huggingface.models[0].id",
                "models.providers.huggingface.models[1]",
                "models.providers.huggingface.models[2].name",
                "plugins.entries.huggingface.enabled",
                "plugins.entries.huggingface.config",
                "plugins.entries.hf-plugin.config",
                "auth.profiles[\"huggingface:default\"].mode",
            ]
        );
    }

    #[test]
    fn model_may_be_a_string_or_an_object() {
        let v = validate(&json!({"agents": {"defaults": {"model": "huggingface/x/y"}}})).unwrap();
        assert_eq!(v.primary.as_deref(), Some("huggingface/x/y"));
        assert!(v.fallbacks.is_empty());
        let v = validate(&json!({"agents": {"defaults": {"model": {"fallbacks": ["a", "b"]}}}}))
            .unwrap();
        assert_eq!(v.primary, None);
        assert_eq!(v.fallbacks, ["a", "b"]);
    }

    #[test]
    fn the_plugin_settings_are_the_package_entrys_config_without_its_own_keys() {
        let v = validate(&json!({
            "plugins": { "entries": { "huggingface": { "config": {
                "billTo": "org",
                "discovery": { "enabled": false, "intervalSeconds": 60 },
                "transport": { "mode": "serve" },
            } } } },
        }))
        .unwrap();
        assert_eq!(
            Value::Object(v.plugin_config),
            json!({ "billTo": "org", "discovery": { "enabled": false, "intervalSeconds": 60 } })
        );
        assert!(v.moved.is_empty(), "{:?}", v.moved);
    }

    #[test]
    fn settings_the_gateway_refuses_or_ignores_are_reported_with_where_they_belong() {
        let v = validate(&json!({
            "models": { "providers": { "huggingface": { "models": [
                { "id": "a/b", "name": "B", "alias": "bee" },
            ] } } },
            "plugins": { "entries": { "hf-plugin": { "enabled": true, "config": {
                "discovery": { "enabled": false, "intervalSeconds": 60 },
                "billTo": "org",
                "retry": {},
            } } } },
        }))
        .unwrap();
        assert!(v.plugin_config.is_empty());
        let moved: Vec<String> = v.moved.iter().map(MovedSetting::describe).collect();
        assert_eq!(
            moved,
            [
                "models.providers.huggingface.models[0].alias -> agents.defaults.models[\"huggingface/a/b\"].alias",
                "plugins.entries.hf-plugin.config.billTo -> plugins.entries.huggingface.config.billTo",
                "plugins.entries.hf-plugin.config.discovery.enabled -> plugins.entries.huggingface.config.discovery.enabled",
                "plugins.entries.hf-plugin.config.discovery.intervalSeconds -> plugins.entries.huggingface.config.discovery.intervalSeconds",
                "plugins.entries.hf-plugin.config.retry -> plugins.entries.huggingface.config.retry",
            ]
        );
        assert_eq!(v.moved[1].value, json!("org"));
        let prunes: Vec<usize> = v.moved.iter().map(|m| m.prune).collect();
        assert_eq!(prunes, [0, 2, 3, 3, 2]);
    }

    #[test]
    fn the_top_level_must_be_an_object() {
        assert_eq!(validate(&json!([1])).unwrap_err()[0].path, "(top level)");
    }
}
