//! The router endpoint a command talks to, and what to tell a user whose
//! base URL lacks the API's `/v1`: every path under it answers a bare 404,
//! which says nothing about the cause.

use crate::cli::GlobalOptions;
use crate::config::GatewayConfig;
use crate::config::edit::DEFAULT_BASE_URL;
use crate::error::CliResult;

/// The base URL the plugin is given: `--base-url`, else the config's, else
/// the router's.
///
/// # Errors
/// An invalid `models.providers.huggingface.baseUrl` in the config.
pub fn base_url(global: &GlobalOptions, config: &GatewayConfig) -> CliResult<String> {
    Ok(match &global.base_url {
        Some(url) => url.clone(),
        None => config
            .base_url()?
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
    })
}

/// For a 404 from a base URL that does not end in `/v1`: the URL to try.
pub fn missing_v1_hint(error: &host_sdk::ProviderError, base_url: &str) -> Option<String> {
    let trimmed = base_url.trim().trim_end_matches('/');
    if error.status != Some(404) || trimmed.ends_with("/v1") {
        return None;
    }
    Some(format!(
        "the router's API is under /v1, and {trimmed} does not end in it: \
         try --base-url {trimmed}/v1 (the default is {DEFAULT_BASE_URL})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use host_sdk::{ErrorKind, ProviderError};

    #[test]
    fn only_a_404_from_a_base_url_without_v1_gets_the_hint() {
        let not_found =
            ProviderError::new(ErrorKind::ModelUnsupported, "Not Found").with_status(404);
        assert_eq!(
            missing_v1_hint(&not_found, "http://127.0.0.1:8787/").as_deref(),
            Some(
                "the router's API is under /v1, and http://127.0.0.1:8787 does not end in it: \
                 try --base-url http://127.0.0.1:8787/v1 (the default is https://router.huggingface.co/v1)"
            )
        );
        assert_eq!(
            missing_v1_hint(&not_found, "http://127.0.0.1:8787/v1/"),
            None
        );
        let other = ProviderError::new(ErrorKind::Unavailable, "down").with_status(503);
        assert_eq!(missing_v1_hint(&other, "http://127.0.0.1:8787"), None);
    }
}
