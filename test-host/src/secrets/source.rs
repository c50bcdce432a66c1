//! Where the token the plugin uses comes from, for the hint under an `auth`
//! or `permission` error: masked, never the token itself.

use std::path::{Path, PathBuf};

use super::store::{AuthStore, store_path};
use super::{TOKEN_VARS, env_token, mask};
use crate::config::edit::AUTH_PROFILE;
use crate::dotenv::Environment;
use crate::error::CliResult;

/// Follows the plugin's order (the key the host passes — the saved profile,
/// else a token only `.env` has — then `HUGGINGFACE_HUB_TOKEN`, then
/// `HF_TOKEN`).
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
    /// Finds where the token comes from, as [`super::host_api_key`] and the
    /// plugin do.
    ///
    /// # Errors
    /// When the store is unreadable, invalid or refused.
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
                    "the token used is the saved one ({masked}, auth profile {AUTH_PROFILE} in {}); \
                     run `test-host onboard` to replace it",
                    path.display()
                );
                if let Some(var) = shadowed {
                    text.push_str(&format!(" ({var} is set but a saved token comes first)"));
                }
                text
            }
            TokenSource::Environment { var, masked } => format!(
                "the token used is {var} ({masked}); set {var} to a valid token, \
                 or run `test-host onboard` to save one"
            ),
            TokenSource::DotEnv { var, path, masked } => format!(
                "the token used is {var} from {} ({masked}); fix it there, \
                 or run `test-host onboard` to save one",
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
    use crate::secrets::save_api_key;

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
        assert_eq!(
            hint,
            "the token used is HF_TOKEN (hf_pr…ue); set HF_TOKEN to a valid token, \
             or run `test-host onboard` to save one"
        );
        let dotenv = Environment::from_parts(
            |_| None,
            [("HF_TOKEN".to_string(), "hf_dotenv_token_value".to_string())].into(),
        );
        let hint = TokenSource::find(dir.path(), &dotenv).unwrap().hint();
        assert_eq!(
            hint,
            format!(
                "the token used is HF_TOKEN from {}/.env (hf_do…ue); fix it there, \
                 or run `test-host onboard` to save one",
                dir.path().display()
            )
        );
        save_api_key(dir.path(), "hf_stored_token_value").unwrap();
        let hint = TokenSource::find(dir.path(), &process).unwrap().hint();
        assert_eq!(
            hint,
            format!(
                "the token used is the saved one (hf_st…ue, auth profile huggingface:default in {}/auth-profiles.json); \
                 run `test-host onboard` to replace it (HF_TOKEN is set but a saved token comes first)",
                dir.path().display()
            )
        );
    }

    /// Item 14: the literals broken across lines carried the next line's
    /// indentation into the hint.
    #[test]
    fn hints_have_no_runs_of_spaces() {
        let sources = [
            TokenSource::Profile {
                path: "/s/auth-profiles.json".into(),
                masked: "hf_ab…yz".into(),
                shadowed: Some("HF_TOKEN"),
            },
            TokenSource::Environment {
                var: "HF_TOKEN",
                masked: "hf_ab…yz".into(),
            },
            TokenSource::DotEnv {
                var: "HF_TOKEN",
                path: "/s/.env".into(),
                masked: "hf_ab…yz".into(),
            },
            TokenSource::None,
        ];
        for source in sources {
            let hint = source.hint();
            assert!(!hint.contains("  "), "{hint:?}");
        }
    }
}
