//! What a chat error adds for the user: which token was used (for `auth`
//! and `permission`), or the base URL to try (for a 404 from one without
//! `/v1`).

use host_sdk::ProviderError;

use crate::commands::endpoint::missing_v1_hint;
use crate::host::token_hint;
use crate::secrets::TokenSource;

/// Where the chat's requests went, for the hints its errors get.
#[derive(Debug, Clone, Copy)]
pub struct Advice<'a> {
    /// The token the plugin was given (masked in any hint).
    pub token: &'a TokenSource,
    /// The router base URL the plugin was given.
    pub base_url: &'a str,
}

impl Advice<'_> {
    /// The hint for `error`, if it has one.
    pub fn hint(&self, error: &ProviderError) -> Option<String> {
        token_hint(error, self.token).or_else(|| missing_v1_hint(error, self.base_url))
    }

    /// `error` for people, with its hint on a line of its own.
    pub fn describe(&self, error: &ProviderError) -> String {
        match self.hint(error) {
            Some(hint) => format!("{error}\nhint: {hint}"),
            None => error.to_string(),
        }
    }
}
