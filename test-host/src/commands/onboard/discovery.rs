//! The catalog onboarding offers: the live list when the router answers in
//! time, else the plugin's built-in list, with the reason said once.

use std::time::Duration;

use host_sdk::{ErrorKind, ModelInfo, Provider, ProviderError};
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{CliError, CliResult};

/// The catalog and how it was obtained.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The models.
    pub models: Vec<ModelInfo>,
    /// Why the live list is not (shown to the user), if it is not.
    pub note: Option<String>,
    /// The router refused the token while listing (401 or 403): the token
    /// will not work for chats either.
    pub refused: Option<ProviderError>,
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    /// A spinner on the terminal; Ctrl-C cancels the onboarding.
    Spinner,
    /// Nothing while waiting (scripts).
    Quiet,
}

fn spinner() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message("Fetching the Hugging Face model list…");
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Asks the plugin to refresh its catalog (at most `timeout`), then reads it.
/// With `enabled == false` (discovery switched off in the config) the router
/// is not asked at all.
///
/// # Errors
/// Ctrl-C during the wait (with [`Feedback::Spinner`]), or a plugin that
/// cannot list even its built-in catalog.
pub async fn fetch(
    provider: &Provider,
    timeout: Duration,
    enabled: bool,
    feedback: Feedback,
) -> CliResult<Catalog> {
    let failure = if enabled {
        let bar = (feedback == Feedback::Spinner).then(spinner);
        // The plugin honours `timeout` itself; the outer limit only guards
        // against a plugin that does not.
        let refresh =
            tokio::time::timeout(timeout + Duration::from_secs(2), provider.refresh(timeout));
        let result = if feedback == Feedback::Spinner {
            tokio::select! {
                r = refresh => r,
                _ = tokio::signal::ctrl_c() => {
                    if let Some(bar) = &bar {
                        bar.finish_and_clear();
                    }
                    return Err(super::cancelled());
                }
            }
        } else {
            refresh.await
        };
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        match result {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some(ProviderError::new(
                ErrorKind::Timeout,
                format!("no answer within {} s", timeout.as_secs_f64()),
            )),
        }
    } else {
        Some(ProviderError::new(
            ErrorKind::InvalidRequest,
            "discovery is off in the config (discovery.enabled = false)",
        ))
    };
    let models = provider
        .discover()
        .map_err(|e| CliError::new(format!("the plugin cannot list its models: {}", e.message)))?;
    let refused = failure
        .as_ref()
        .filter(|e| matches!(e.kind, ErrorKind::Auth | ErrorKind::Permission))
        .cloned();
    Ok(Catalog {
        note: failure.map(|e| {
            format!(
                "Live model list unavailable ({}); showing the built-in catalog.",
                e.message
            )
        }),
        refused,
        models,
    })
}
