//! The host's secrets and where they live:
//! - `store`: the auth-profile store (`<state-dir>/auth-profiles.json`);
//! - `serve_key`: `test-host serve`'s local access key (`<state-dir>/serve-key`);
//! - `source`: where the token the plugin uses comes from, for hints;
//! - `private`: the owner-only rules for the state directory and these files.
//!
//! Here: the token's environment variables, the key the host passes to the
//! plugin, and the mask that stands for a token in messages.

use std::path::Path;

use crate::config::edit::AUTH_PROFILE;
use crate::dotenv::Environment;
use crate::error::CliResult;

mod private;
mod serve_key;
mod source;
mod store;

pub use private::{Links, SecretFile, check_dir, create_state_dir, read_secret};
pub use serve_key::serve_key;
pub use source::TokenSource;
pub use store::{AuthStore, SecretOutcome, save_api_key, store_path};

/// The environment variables that hold a Hugging Face token, in the order
/// the plugin reads them.
pub const TOKEN_VARS: [&str; 2] = ["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN"];

/// Below this many characters a mask shows no part of the token.
const MASK_TAIL_FROM: usize = 8;
/// From this many characters on, a mask shows the start too.
const MASK_ENDS_FROM: usize = 12;

/// A key shown to people, identifiable without being revealed: `hf_ab…yz`
/// (`hf_` and two characters at each end) for a token of 12 characters or
/// more; one `*` per character and the last one for a shorter one
/// (`*******t`), only the `*`s under 8 characters.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let n = chars.len();
    if n >= MASK_ENDS_FROM {
        let head: String = chars[..5].iter().collect();
        let tail: String = chars[n - 2..].iter().collect();
        return format!("{head}…{tail}");
    }
    let shown = usize::from(n >= MASK_TAIL_FROM);
    let mut masked = "*".repeat(n - shown);
    masked.extend(&chars[n - shown..]);
    masked
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
/// When the store is unreadable, invalid or refused.
pub fn host_api_key(state_dir: &Path, env: &Environment) -> CliResult<Option<String>> {
    if let Some(key) = AuthStore::load(state_dir)?.api_key(AUTH_PROFILE) {
        return Ok(Some(key));
    }
    if TOKEN_VARS.iter().any(|v| env.process_var(v).is_some()) {
        return Ok(None);
    }
    Ok(env_token(env).map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_a_few_characters() {
        assert_eq!(mask("hf_abcdefghijklmnopqrstuvwxyz"), "hf_ab…yz");
        assert_eq!(mask("hf_abcdefgh"), "**********h");
        assert_eq!(mask("hf_short"), "*******t");
        assert_eq!(mask("hf_shrt"), "*******");
        assert_eq!(mask("ab"), "**");
        assert_eq!(mask("hf_ÄÖÜäöü"), "********ü");
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
