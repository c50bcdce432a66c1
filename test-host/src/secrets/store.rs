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

use super::private::{self, Links, SecretFile};
use crate::config::atomic::{OWNER_ONLY, write_atomic};
use crate::config::edit::AUTH_PROFILE;
use crate::config::lock::{DEFAULT_WAIT, FileLock};
use crate::error::{CliError, CliResult};

/// The store's file name in the state directory.
pub const STORE_FILE: &str = "auth-profiles.json";

/// What to do when others could read the store.
const EXPOSED_ADVICE: &str = "Anyone who read it may have your Hugging Face token: revoke it at https://huggingface.co/settings/tokens and save a new one with `test-host onboard`.";

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
    /// Reads the store; a missing file is an empty store. A store others
    /// could read is narrowed to 0600 with a warning (see `private`).
    ///
    /// # Errors
    /// When the state directory or the file is refused (see `private`), or
    /// the file cannot be read or is not a JSON object (the message names the
    /// file and position, never its contents).
    pub fn load(state_dir: &Path) -> CliResult<AuthStore> {
        private::check_dir(state_dir)?;
        let path = store_path(state_dir);
        let text = private::read_secret(SecretFile {
            path: &path,
            links: Links::Follow,
            exposed_advice: EXPOSED_ADVICE,
        })?;
        let (document, existed) = match text {
            Some(text) => {
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
            None => (json!({"version": 1}), false),
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
/// created owner-only (0600), in a state directory created 0700. Does
/// nothing when the same key is stored.
///
/// # Errors
/// When the store is unreadable, invalid or refused (it is not overwritten),
/// or on I/O errors.
pub fn save_api_key(state_dir: &Path, key: &str) -> CliResult<SecretOutcome> {
    private::create_state_dir(state_dir)?;
    let path = store_path(state_dir);
    let _lock = FileLock::acquire(&path, DEFAULT_WAIT)?;
    let mut store = AuthStore::load(state_dir)?;
    let before = store.document.clone();
    store.set_huggingface_key(key);
    if store.existed && store.document == before {
        return Ok(SecretOutcome::Unchanged);
    }
    let mut text = serde_json::to_string_pretty(&store.document)
        .map_err(|e| CliError::new(format!("cannot render {}: {e}", path.display())))?;
    text.push('\n');
    write_atomic(&path, text.as_bytes(), OWNER_ONLY, true)
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(SecretOutcome::Saved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
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
        assert_eq!(mode(&path), 0o600);
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

    /// Item 6: a store others could read is narrowed on every read, not only
    /// when onboarding saves it, and one in a directory others may write to
    /// is not used at all.
    #[test]
    fn an_exposed_store_is_narrowed_when_read_and_an_open_dir_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_path(dir.path());
        std::fs::write(&path, r#"{"profiles":{}}"#).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        AuthStore::load(dir.path()).unwrap();
        assert_eq!(mode(&path), 0o600);

        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = AuthStore::load(dir.path()).unwrap_err();
        assert!(e.message.contains("writable by other users"), "{e}");
        let e = save_api_key(dir.path(), "hf_secret_value_1").unwrap_err();
        assert!(e.message.contains("writable by other users"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            r#"{"profiles":{}}"#
        );
    }

    #[test]
    fn a_fresh_state_dir_is_created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join(".openclaw");
        save_api_key(&state, "hf_secret_value_1").unwrap();
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&store_path(&state)), 0o600);
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
}
