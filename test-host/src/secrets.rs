//! The auth-profile store: API keys live in `<state-dir>/auth-profiles.json`,
//! a file only its owner can read, never in the config (which only names the
//! profile: `auth.profiles["huggingface:default"]`).
//!
//! Format (other profiles and unknown keys are kept on rewrite):
//! ```json
//! { "version": 1,
//!   "profiles": { "huggingface:default": { "type": "api_key", "provider": "huggingface", "key": "hf_..." } } }
//! ```

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::config::atomic::{OWNER_ONLY, write_atomic};
use crate::config::edit::AUTH_PROFILE;
use crate::config::lock::{DEFAULT_WAIT, FileLock};
use crate::dotenv::Environment;
use crate::error::{CliError, CliResult};

/// The store's file name in the state directory.
pub const STORE_FILE: &str = "auth-profiles.json";

/// The environment variables that hold a Hugging Face token, in the order
/// the plugin reads them.
pub const TOKEN_VARS: [&str; 2] = ["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN"];

/// A key shown to people: `hf_ab…yz`. Short keys show nothing of themselves.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "…".into();
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}…{tail}")
}

/// `<state-dir>/auth-profiles.json`.
pub fn store_path(state_dir: &Path) -> PathBuf {
    state_dir.join(STORE_FILE)
}

/// The store as read from disk.
#[derive(Clone)]
pub struct AuthStore {
    path: PathBuf,
    document: Value,
    existed: bool,
}

impl std::fmt::Debug for AuthStore {
    // Never print the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What saving did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretOutcome {
    /// The same key was already stored; the file was not touched.
    Unchanged,
    /// The file was written.
    Saved,
}

impl AuthStore {
    /// Reads the store; a missing file is an empty store.
    ///
    /// # Errors
    /// When the file cannot be read or is not a JSON object (the message
    /// names the file and position, never its contents).
    pub fn load(state_dir: &Path) -> CliResult<AuthStore> {
        let path = store_path(state_dir);
        let (document, existed) = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let v: Value = serde_json::from_str(&text).map_err(|e| {
                    CliError::usage(format!(
                        "{}: not valid JSON (line {}, column {}); fix or remove it",
                        path.display(),
                        e.line(),
                        e.column()
                    ))
                })?;
                if !v.is_object() {
                    return Err(CliError::usage(format!(
                        "{}: must be a JSON object",
                        path.display()
                    )));
                }
                (v, true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (json!({"version": 1}), false),
            Err(e) => {
                return Err(CliError::usage(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        Ok(AuthStore {
            path,
            document,
            existed,
        })
    }

    /// The API key of `profile`, when it has a non-empty one.
    pub fn api_key(&self, profile: &str) -> Option<String> {
        self.document
            .get("profiles")?
            .get(profile)?
            .get("key")?
            .as_str()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
    }

    /// Sets `huggingface:default` to `key`, keeping every other profile.
    fn set_huggingface_key(&mut self, key: &str) {
        if !self.document.is_object() {
            self.document = json!({"version": 1});
        }
        let Some(root) = self.document.as_object_mut() else {
            return;
        };
        let profiles = root
            .entry("profiles")
            .or_insert_with(|| Value::Object(Map::new()));
        if !profiles.is_object() {
            *profiles = Value::Object(Map::new());
        }
        if let Some(profiles) = profiles.as_object_mut() {
            let entry = profiles
                .entry(AUTH_PROFILE)
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Some(entry) = entry.as_object_mut() {
                entry.insert("type".into(), json!("api_key"));
                entry.insert("provider".into(), json!("huggingface"));
                entry.insert("key".into(), json!(key));
            }
        }
    }
}

/// Saves `key` as the `huggingface:default` profile, atomically, in a file
/// created owner-only (0600). Does nothing when the same key is stored.
///
/// # Errors
/// When the store is unreadable or invalid (it is not overwritten), or on
/// I/O errors.
pub fn save_api_key(state_dir: &Path, key: &str) -> CliResult<SecretOutcome> {
    create_private_dir(state_dir)?;
    let path = store_path(state_dir);
    let _lock = FileLock::acquire(&path, DEFAULT_WAIT)?;
    let mut store = AuthStore::load(state_dir)?;
    let before = store.document.clone();
    store.set_huggingface_key(key);
    if store.existed && store.document == before {
        tighten_mode(&path);
        return Ok(SecretOutcome::Unchanged);
    }
    let mut text = serde_json::to_string_pretty(&store.document)
        .map_err(|e| CliError::new(format!("cannot render {}: {e}", path.display())))?;
    text.push('\n');
    write_atomic(&path, text.as_bytes(), OWNER_ONLY, true)
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(SecretOutcome::Saved)
}

/// The environment variable that overrides the serve key.
pub const SERVE_KEY_ENV: &str = "OPENCLAW_HF_SERVE_KEY";

/// Where `test-host serve` keeps its local access key.
pub fn serve_key_path(state_dir: &Path) -> PathBuf {
    state_dir.join("serve-key")
}

/// The local access key `test-host serve` requires from its clients:
/// `$OPENCLAW_HF_SERVE_KEY` when set, else `<state-dir>/serve-key`, created
/// with a random key (0600, in a 0700 state dir) on first use. It is not the
/// Hugging Face token, which never leaves this process.
///
/// # Errors
/// When the key file cannot be read or created, or is empty.
pub fn serve_key(state_dir: &Path, env: &Environment) -> CliResult<String> {
    if let Some(key) = env.var(SERVE_KEY_ENV) {
        return Ok(key.trim().to_string());
    }
    let path = serve_key_path(state_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            tighten_mode(&path);
            let key = text.trim();
            if key.is_empty() {
                return Err(CliError::new(format!(
                    "{} is empty: delete it and a new key is made, or set ${SERVE_KEY_ENV}",
                    path.display()
                )));
            }
            return Ok(key.to_string());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(CliError::new(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    }
    create_private_dir(state_dir)?;
    let key = format!(
        "hfserve-{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    );
    // create_new: two servers starting at once must not both write a key.
    let written = write_new_private(&path, format!("{key}\n").as_bytes());
    match written {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => serve_key(state_dir, env),
        Err(e) => Err(CliError::new(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// Writes a new owner-only file; fails if it exists.
fn write_new_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, OWNER_ONLY);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Creates the state directory owner-only (0700) when it does not exist;
/// an existing one is left as its owner set it.
fn create_private_dir(dir: &Path) -> CliResult {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", dir.display())))
}

/// A store left readable by others (by hand, by an old tool) is narrowed to
/// owner-only.
fn tighten_mode(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(OWNER_ONLY));
        }
    }
}

/// A token found in the environment: the variable and its value.
pub fn env_token(env: &Environment) -> Option<(&'static str, String)> {
    TOKEN_VARS
        .iter()
        .find_map(|name| env.var(name).map(|v| (*name, v)))
}

/// The key the host passes to the plugin as `apiKey`: the stored profile's,
/// else a token that only `<state-dir>/.env` provides (one in the process
/// environment the plugin reads itself, with its own precedence).
///
/// # Errors
/// When the store is unreadable or invalid.
pub fn host_api_key(state_dir: &Path, env: &Environment) -> CliResult<Option<String>> {
    if let Some(key) = AuthStore::load(state_dir)?.api_key(AUTH_PROFILE) {
        return Ok(Some(key));
    }
    if TOKEN_VARS.iter().any(|v| env.process_var(v).is_some()) {
        return Ok(None);
    }
    Ok(env_token(env).map(|(_, v)| v))
}

/// Where the token the plugin uses comes from, for messages: masked, never
/// the token itself. Follows the plugin's order (the key the host passes —
/// the saved profile, else a token only `.env` has — then
/// `HUGGINGFACE_HUB_TOKEN`, then `HF_TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The `huggingface:default` auth profile in this store file.
    Profile {
        /// `<state-dir>/auth-profiles.json`.
        path: PathBuf,
        /// The token, masked.
        masked: String,
        /// A token variable that is set but not used because of the profile.
        shadowed: Option<&'static str>,
    },
    /// A variable of the process environment.
    Environment {
        /// Its name.
        var: &'static str,
        /// The token, masked.
        masked: String,
    },
    /// A variable only `<state-dir>/.env` sets.
    DotEnv {
        /// Its name.
        var: &'static str,
        /// The `.env` file.
        path: PathBuf,
        /// The token, masked.
        masked: String,
    },
    /// No token at all.
    None,
}

impl TokenSource {
    /// Finds where the token comes from, as [`host_api_key`] and the plugin do.
    ///
    /// # Errors
    /// When the store is unreadable or invalid.
    pub fn find(state_dir: &Path, env: &Environment) -> CliResult<TokenSource> {
        let process = TOKEN_VARS
            .iter()
            .find_map(|name| env.process_var(name).map(|v| (*name, v)));
        if let Some(key) = AuthStore::load(state_dir)?.api_key(AUTH_PROFILE) {
            return Ok(TokenSource::Profile {
                path: store_path(state_dir),
                masked: mask(&key),
                shadowed: process.map(|(name, _)| name),
            });
        }
        Ok(match (process, env_token(env)) {
            (Some((var, value)), _) => TokenSource::Environment {
                var,
                masked: mask(&value),
            },
            (None, Some((var, value))) => TokenSource::DotEnv {
                var,
                path: state_dir.join(crate::dotenv::DOTENV_FILE),
                masked: mask(&value),
            },
            (None, None) => TokenSource::None,
        })
    }

    /// Which token was used and what to run to replace it, for an `auth` or
    /// `permission` error.
    pub fn hint(&self) -> String {
        match self {
            TokenSource::Profile {
                path,
                masked,
                shadowed,
            } => {
                let mut text = format!(
                    "the token used is the saved one ({masked}, auth profile {AUTH_PROFILE} in {});                      run `test-host onboard` to replace it",
                    path.display()
                );
                if let Some(var) = shadowed {
                    text.push_str(&format!(" ({var} is set but a saved token comes first)"));
                }
                text
            }
            TokenSource::Environment { var, masked } => format!(
                "the token used is {var} ({masked}); set {var} to a valid token,                  or run `test-host onboard` to save one"
            ),
            TokenSource::DotEnv { var, path, masked } => format!(
                "the token used is {var} from {} ({masked}); fix it there,                  or run `test-host onboard` to save one",
                path.display()
            ),
            TokenSource::None => {
                "no token was sent; run `test-host onboard`, or set HF_TOKEN".to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_token_source_follows_the_plugins_order_and_never_shows_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let none = Environment::from_parts(|_| None, Default::default());
        assert_eq!(
            TokenSource::find(dir.path(), &none).unwrap(),
            TokenSource::None
        );
        let process = Environment::from_parts(
            |n| (n == "HF_TOKEN").then(|| "hf_process_token_value".to_string()),
            [(
                "HUGGINGFACE_HUB_TOKEN".to_string(),
                "hf_dotenv_token_value".to_string(),
            )]
            .into(),
        );
        let hint = TokenSource::find(dir.path(), &process).unwrap().hint();
        assert!(
            hint.starts_with("the token used is HF_TOKEN (hf_pr…ue)"),
            "{hint}"
        );
        let dotenv = Environment::from_parts(
            |_| None,
            [("HF_TOKEN".to_string(), "hf_dotenv_token_value".to_string())].into(),
        );
        let hint = TokenSource::find(dir.path(), &dotenv).unwrap().hint();
        assert!(
            hint.contains("HF_TOKEN from ") && hint.contains(".env"),
            "{hint}"
        );
        save_api_key(dir.path(), "hf_stored_token_value").unwrap();
        let hint = TokenSource::find(dir.path(), &process).unwrap().hint();
        assert!(
            hint.contains("hf_st…ue, auth profile huggingface:default in ")
                && hint.contains("auth-profiles.json")
                && hint.contains("run `test-host onboard` to replace it")
                && hint.contains("HF_TOKEN is set but a saved token comes first"),
            "{hint}"
        );
        assert!(!hint.contains("stored_token"), "{hint}");
    }

    #[test]
    fn masks_keep_only_a_few_characters() {
        assert_eq!(mask("hf_abcdefghijklmnopqrstuvwxyz"), "hf_ab…yz");
        assert_eq!(mask("hf_short"), "…");
    }

    #[test]
    fn saves_owner_only_keeps_other_profiles_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_path(dir.path());
        std::fs::write(
            &path,
            r#"{"version":1,"profiles":{"openai:default":{"type":"api_key","key":"sk-x"}},"extra":true}"#,
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            save_api_key(dir.path(), "hf_secret_value_1").unwrap(),
            SecretOutcome::Saved
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let store = AuthStore::load(dir.path()).unwrap();
        assert_eq!(
            store.api_key(AUTH_PROFILE).as_deref(),
            Some("hf_secret_value_1")
        );
        assert_eq!(store.api_key("openai:default").as_deref(), Some("sk-x"));
        assert_eq!(store.document["extra"], true);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            save_api_key(dir.path(), "hf_secret_value_1").unwrap(),
            SecretOutcome::Unchanged
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert!(!format!("{store:?}").contains("hf_secret"));
    }

    #[test]
    fn a_corrupt_store_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_path(dir.path());
        std::fs::write(&path, "{oops").unwrap();
        let e = save_api_key(dir.path(), "hf_secret_value_1").unwrap_err();
        assert!(e.message.contains("auth-profiles.json"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{oops");
    }

    #[test]
    fn the_host_key_prefers_the_store_then_a_dotenv_only_token() {
        let dir = tempfile::tempdir().unwrap();
        let env = Environment::from_parts(
            |_| None,
            [("HF_TOKEN".to_string(), "hf_from_dotenv_file".to_string())].into(),
        );
        assert_eq!(
            host_api_key(dir.path(), &env).unwrap().as_deref(),
            Some("hf_from_dotenv_file")
        );
        let env_set = Environment::from_parts(
            |n| (n == "HF_TOKEN").then(|| "hf_process".to_string()),
            Default::default(),
        );
        assert_eq!(host_api_key(dir.path(), &env_set).unwrap(), None);
        save_api_key(dir.path(), "hf_stored_key_value").unwrap();
        assert_eq!(
            host_api_key(dir.path(), &env_set).unwrap().as_deref(),
            Some("hf_stored_key_value")
        );
    }
}
