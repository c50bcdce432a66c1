//! Interactive onboarding, the gateway's flow: a note on the token, the
//! token (one from the environment, or typed masked), discovery with a
//! spinner, the "Default Hugging Face model" dropdown, then the "locked"
//! note or the optional preferred-backend step. Answers are written only
//! after the last one, so Esc or Ctrl-C anywhere changes no file.

use std::io::IsTerminal;
use std::time::Duration;

use host_sdk::{Plugin, Provider};

use super::choices::{ModelChoice, backend_choices, model_choices};
use super::discovery::{self, Feedback};
use super::prompt::{self, PromptError, PromptResult, Select, label_text};
use super::{Answers, Summary, Target, cancelled, save};
use crate::cli::{GlobalOptions, OnboardArgs};
use crate::config::MovedSetting;
use crate::config::edit::AUTH_PROFILE;
use crate::error::{CliError, CliResult};
use crate::secrets::{self, AuthStore, mask};

/// What a token needs, shown first.
const TOKEN_NOTE: &str = "\
Hugging Face Inference Providers need an access token.
Create a fine-grained token at https://huggingface.co/settings/tokens with the
permission \"Make calls to Inference Providers\" (without it every call answers 403).";

/// Shown when a policy variant (`:cheapest`, `:fastest`) is chosen: the
/// router picks the backend for each request, so there is none to prefer.
pub const LOCKED_NOTE: &str = "The router picks the backend for each request by this policy, \
                               so there is no backend to choose.";

/// Lines of the model dropdown shown at once.
const PAGE_SIZE: usize = 12;

/// Runs a prompt on a blocking thread (it reads the terminal synchronously)
/// and turns Esc and Ctrl-C into a cancelled onboarding.
async fn ask<T: Send + 'static>(
    prompt: impl FnOnce() -> PromptResult<T> + Send + 'static,
) -> CliResult<T> {
    match tokio::task::spawn_blocking(prompt).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(PromptError::Cancelled | PromptError::Interrupted)) => Err(cancelled()),
        Ok(Err(PromptError::Io(e))) => Err(CliError::new(format!("the prompt failed: {e}"))),
        Err(e) => Err(CliError::new(format!("the prompt failed: {e}"))),
    }
}

/// A dropdown of plain options, in order, the cursor on the first.
async fn choose(
    question: &'static str,
    options: Vec<String>,
    help: &'static str,
) -> CliResult<String> {
    ask(move || {
        Select {
            question,
            options,
            start: 0,
            page_size: PAGE_SIZE,
            help,
            texts: label_text,
        }
        .ask()
    })
    .await
}

fn not_a_terminal() -> CliError {
    CliError::usage(
        "onboard asks questions and needs a terminal; for scripts use \
         onboard --non-interactive --mode local --auth-choice huggingface-api-key --huggingface-api-key KEY",
    )
}

async fn ask_key(args: &OnboardArgs, target: &Target) -> CliResult<String> {
    if let Some(key) = args
        .huggingface_api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        return Ok(key.to_string());
    }
    let saved = AuthStore::load(&target.state_dir)?
        .api_key(AUTH_PROFILE)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let from_env = secrets::env_token(&target.env).map(|(var, v)| (var, v.trim().to_string()));
    match (from_env, saved) {
        // Two different tokens: which one is kept is a choice, never what
        // Enter happens to do.
        (Some((var, env)), Some(saved)) if env != saved => {
            let use_env = format!(
                "Use the token from {var} ({}), replacing the saved one",
                mask(&env)
            );
            let keep = format!("Keep the saved token ({})", mask(&saved));
            let choice = choose(
                "Which Hugging Face token?",
                vec![use_env.clone(), keep.clone(), ENTER_ANOTHER.to_string()],
                "↑↓ to move, Enter to choose, Esc to cancel; nothing is written until the end",
            )
            .await?;
            if choice == use_env {
                Ok(env)
            } else if choice == keep {
                Ok(saved)
            } else {
                type_key().await
            }
        }
        (Some((var, env)), _) => {
            let question = format!(
                "Use existing Hugging Face token (from {var}, {})?",
                mask(&env)
            );
            if ask(move || prompt::confirm(&question, true)).await? {
                Ok(env)
            } else {
                type_key().await
            }
        }
        (None, Some(saved)) => {
            let question = format!("Keep the saved Hugging Face token ({})?", mask(&saved));
            if ask(move || prompt::confirm(&question, true)).await? {
                Ok(saved)
            } else {
                type_key().await
            }
        }
        (None, None) => type_key().await,
    }
}

/// A masked prompt for a token.
async fn type_key() -> CliResult<String> {
    let typed = ask(|| {
        prompt::password(
            "Hugging Face token:",
            "starts with hf_; paste it and press Enter",
            "the token cannot be empty",
        )
    })
    .await?;
    Ok(typed.trim().to_string())
}

/// What to do with a token the router refused.
const ENTER_ANOTHER: &str = "Enter another token";
const KEEP_ANYWAY: &str = "Keep this token anyway";

/// The token and the catalog fetched with it: a token the router refuses
/// is said so plainly, and may be replaced or kept on purpose.
async fn key_and_catalog(
    args: &OnboardArgs,
    target: &Target,
    plugin: &Plugin,
    global: &GlobalOptions,
) -> CliResult<(String, Provider, discovery::Catalog)> {
    let mut key = ask_key(args, target).await?;
    loop {
        if let Some(warning) = super::token_shape_warning(&key) {
            outln!("{warning}")?;
        }
        let provider = target.provider(plugin, global, &key)?;
        let catalog = discovery::fetch(
            &provider,
            Duration::from_secs_f64(args.discovery_timeout),
            target.config.discovery_enabled()?,
            Feedback::Spinner,
        )
        .await?;
        let Some(refused) = &catalog.refused else {
            return Ok((key, provider, catalog));
        };
        outln!("{}", super::refused_token_message(refused))?;
        let choice = choose(
            "What now?",
            vec![ENTER_ANOTHER.to_string(), KEEP_ANYWAY.to_string()],
            "Esc cancels; nothing is written until the end",
        )
        .await?;
        if choice == KEEP_ANYWAY {
            return Ok((key, provider, catalog));
        }
        key = type_key().await?;
    }
}

/// Settings in places the gateway refuses or ignores: listed, and moved if
/// the user agrees.
async fn ask_moves(target: &Target) -> CliResult<Vec<MovedSetting>> {
    let moves = target.config.moved_settings()?;
    if moves.is_empty() {
        return Ok(moves);
    }
    outln!("The gateway refuses or ignores these settings where the config has them:")?;
    for moved in &moves {
        outln!("  {}", moved.describe())?;
    }
    let agreed = ask(|| prompt::confirm("Move them where the gateway accepts them?", true)).await?;
    if !agreed {
        outln!("Left as they are: test-host refuses this config until they move.")?;
    }
    Ok(if agreed { moves } else { Vec::new() })
}

/// Where the model list starts: on the current default, or for a default with
/// a backend suffix (`:together`), on its model.
fn starting_cursor(options: &[ModelChoice], current: Option<&str>) -> usize {
    let Some(current) = current else {
        return 0;
    };
    let base = current.split_once(':').map_or(current, |(base, _)| base);
    options
        .iter()
        .position(|o| o.model_ref == current)
        .or_else(|| options.iter().position(|o| o.model_ref == base))
        .unwrap_or(0)
}

/// Asks the questions, then saves.
///
/// # Errors
/// Not a terminal, a cancelled prompt, a broken config or store, an I/O error.
pub async fn run(
    global: &GlobalOptions,
    args: &OnboardArgs,
    plugin: &Plugin,
) -> CliResult<Summary> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(not_a_terminal());
    }
    let target = Target::open(global)?;
    outln!("{TOKEN_NOTE}\n")?;
    let (key, provider, catalog) = key_and_catalog(args, &target, plugin, global).await?;
    match &catalog.note {
        Some(note) => outln!("{note}")?,
        None => outln!("{} models available.", catalog.models.len())?,
    }

    let options = model_choices(&catalog.models, &target.config.aliases()?);
    if options.is_empty() {
        return Err(CliError::new("the plugin listed no models"));
    }
    let current = target.config.primary_model()?;
    let start = starting_cursor(&options, current.as_deref());
    let choice = ask(move || {
        Select {
            question: "Default Hugging Face model",
            options,
            start,
            page_size: PAGE_SIZE,
            help: "type to filter (a ref, a name), ↑↓ to move, Enter to choose, Esc to cancel",
            texts: ModelChoice::filter_texts,
        }
        .ask()
    })
    .await?;

    let model_ref = if choice.locked {
        outln!("{LOCKED_NOTE}")?;
        choice.model_ref
    } else {
        let backends = catalog
            .models
            .get(choice.index)
            .map(backend_choices)
            .unwrap_or_default();
        if backends.is_empty() {
            choice.model_ref
        } else {
            // The current backend preference of this model, if any.
            let preferred = current
                .as_deref()
                .and_then(|c| c.strip_prefix(&format!("{}:", choice.model_ref)))
                .map(str::to_string);
            let start = preferred
                .and_then(|p| {
                    backends
                        .iter()
                        .position(|b| b.provider.as_deref() == Some(&p))
                })
                .unwrap_or(0);
            let pick = ask(move || {
                Select {
                    question: "Prefer a specific backend? (optional)",
                    options: backends,
                    start,
                    page_size: PAGE_SIZE,
                    help: "Enter keeps the highlighted choice; Esc cancels",
                    texts: label_text,
                }
                .ask()
            })
            .await?;
            match pick.provider {
                Some(backend) => format!("{}:{backend}", choice.model_ref),
                None => choice.model_ref,
            }
        }
    };
    let model = provider
        .resolve(&model_ref)
        .map_err(|e| CliError::new(format!("{model_ref}: {}", e.message)))?;
    let moves = ask_moves(&target).await?;
    save(global, &target, &Answers { key, model, moves })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Vec<ModelChoice> {
        [
            "huggingface/a/b",
            "huggingface/a/b:cheapest",
            "huggingface/c/d",
        ]
        .iter()
        .enumerate()
        .map(|(index, r)| ModelChoice {
            label: r.to_string(),
            model_ref: r.to_string(),
            index,
            locked: r.contains(':'),
        })
        .collect()
    }

    #[test]
    fn the_cursor_starts_on_the_current_default_or_its_model() {
        let o = options();
        assert_eq!(starting_cursor(&o, None), 0);
        assert_eq!(starting_cursor(&o, Some("huggingface/c/d")), 2);
        assert_eq!(starting_cursor(&o, Some("huggingface/a/b:cheapest")), 1);
        assert_eq!(starting_cursor(&o, Some("huggingface/c/d:together")), 2);
        assert_eq!(starting_cursor(&o, Some("huggingface/x/y")), 0);
    }
}
