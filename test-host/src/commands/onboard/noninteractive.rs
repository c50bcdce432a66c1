//! `onboard --non-interactive`: every answer from flags, no prompt; running
//! it twice with the same flags leaves every file byte-identical.

use std::time::Duration;

use host_sdk::Plugin;

use super::discovery::{self, Feedback};
use super::{Answers, Summary, Target, save};
use crate::cli::{GlobalOptions, OnboardArgs};
use crate::error::{CliError, CliResult};
use crate::host::DEFAULT_MODEL;
use crate::secrets;

/// Onboards from flags with `plugin`: the token from
/// `--huggingface-api-key`, else `HUGGINGFACE_HUB_TOKEN`/`HF_TOKEN`; the
/// model from `--model` (checked with the provider), else DeepSeek R1.
///
/// # Errors
/// No token, a token the router refuses, an unknown model, a broken config
/// or store, an I/O error. Nothing is written then.
pub async fn run(
    global: &GlobalOptions,
    args: &OnboardArgs,
    plugin: &Plugin,
) -> CliResult<Summary> {
    let target = Target::open(global)?;
    let key = match args
        .huggingface_api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        Some(k) => k.to_string(),
        None => secrets::env_token(&target.env)
            .map(|(_, v)| v.trim().to_string())
            .ok_or_else(|| {
                CliError::usage(
                    "no Hugging Face token: pass --huggingface-api-key KEY or set HF_TOKEN \
                     (a fine-grained token with the \"Make calls to Inference Providers\" permission)",
                )
            })?,
    };
    if let Some(warning) = super::token_shape_warning(&key) {
        errln!("{warning}");
    }
    let provider = target.provider(plugin, global, &key)?;
    let catalog = discovery::fetch(
        &provider,
        Duration::from_secs_f64(args.discovery_timeout),
        target.config.discovery_enabled()?,
        Feedback::Quiet,
    )
    .await?;
    if let Some(refused) = &catalog.refused {
        // Saving a token the router refuses would only fail later, in a chat.
        return Err(CliError::new(format!(
            "{} Nothing was written.",
            super::refused_token_message(refused)
        )));
    }
    if let Some(note) = &catalog.note {
        errln!("{note}");
    }
    let wanted = args.model.as_deref().unwrap_or(DEFAULT_MODEL);
    let model = provider
        .resolve(wanted)
        .map_err(|e| CliError::usage(format!("--model {wanted}: {}", e.message)))?;
    // The flags ask for a working setup, and the gateway refuses a config
    // with an alias in a provider model entry and ignores the plugin's
    // settings in the package's earlier entry: move them (the summary lists
    // them).
    let moves = target.config.moved_settings()?;
    save(global, &target, &Answers { key, model, moves })
}
