//! `test-host onboard`: set up the Hugging Face provider the way the gateway's
//! onboarding does — a token saved in the auth-profile store, the default
//! model in the config — interactively or from flags.
//!
//! Nothing is written until every question has been answered: Esc or Ctrl-C
//! at any step leaves every file as it was. Then the config is locked,
//! re-read and checked, the secret is saved, and the config is written.
//!
//! Layout: `interactive` (the questions), `noninteractive` (flags only),
//! `discovery` (the live catalog with a time limit), `choices` (dropdown
//! options), `prompt` (the prompts on the terminal), `line_editor` (their
//! editing keys), `filter` (how a dropdown's filter ranks its options), and
//! here the pieces both share.

mod choices;
mod discovery;
mod filter;
mod interactive;
mod line_editor;
mod noninteractive;
mod prompt;

use std::path::{Path, PathBuf};
use std::time::Duration;

use host_sdk::{Plugin, Provider, ResolvedModel};

use crate::cli::{GlobalOptions, OnboardArgs};
use crate::config::GatewayConfig;
use crate::config::MovedSetting;
use crate::config::edit::{self, ConfigEdit, ConfigOutcome};
use crate::dotenv::Environment;
use crate::error::{CliError, CliResult};
use crate::host;
use crate::paths;
use crate::secrets::{self, SecretOutcome};

pub use noninteractive::run as run_non_interactive;

/// The only `--auth-choice` this host knows.
pub const AUTH_CHOICE: &str = "huggingface-api-key";

/// The only `--mode`: the gateway runs on this machine. (`remote`, which
/// configures a gateway elsewhere, has nothing to configure here.)
pub const MODE_LOCAL: &str = "local";

/// Exit code of a cancelled onboarding (as for Ctrl-C).
pub const CANCELLED: i32 = 130;

/// A token the router refused while listing models: what it said, and what to do.
pub fn refused_token_message(error: &host_sdk::ProviderError) -> String {
    let hint = match error.kind {
        host_sdk::ErrorKind::Permission => {
            "give the token the \"Make calls to Inference Providers\" permission, or use another token"
        }
        _ => {
            "check that it was copied whole, or create a new one at https://huggingface.co/settings/tokens"
        }
    };
    format!("The router refused this token: {error}. {hint}.")
}

/// A warning for a token that does not look like a Hugging Face token.
pub fn token_shape_warning(key: &str) -> Option<String> {
    (!key.starts_with("hf_")).then(|| {
        "warning: this token does not start with hf_, as Hugging Face tokens do; using it anyway"
            .to_string()
    })
}

/// The error of a cancelled onboarding.
pub fn cancelled() -> CliError {
    CliError {
        message: "onboarding cancelled; nothing was written".into(),
        code: CANCELLED,
    }
}

/// Runs `test-host onboard`.
///
/// # Errors
/// Bad flags, no token (non-interactive), a broken config or store, a
/// cancelled prompt, or an I/O error while writing.
pub async fn run(global: &GlobalOptions, args: &OnboardArgs) -> CliResult {
    check_flags(args)?;
    let plugin = host::load_plugin(global)?;
    let outcome = if args.non_interactive {
        noninteractive::run(global, args, &plugin).await
    } else {
        interactive::run(global, args, &plugin).await
    };
    let _ = plugin.shutdown(Duration::from_secs(5));
    outln!("{}", outcome?)?;
    Ok(())
}

fn check_flags(args: &OnboardArgs) -> CliResult {
    if let Some(mode) = args.mode.as_deref()
        && mode != MODE_LOCAL
    {
        return Err(CliError::usage(format!(
            "--mode {mode} is not supported: test-host configures the gateway on this machine only (--mode {MODE_LOCAL})"
        )));
    }
    if let Some(choice) = args.auth_choice.as_deref()
        && choice != AUTH_CHOICE
    {
        return Err(CliError::usage(format!(
            "--auth-choice {choice} is not supported: this host only sets up Hugging Face (--auth-choice {AUTH_CHOICE})"
        )));
    }
    if !(args.discovery_timeout.is_finite() && args.discovery_timeout > 0.0) {
        return Err(CliError::usage(
            "--discovery-timeout must be a positive number of seconds",
        ));
    }
    Ok(())
}

/// Where onboarding reads and writes, and what it found there.
#[derive(Debug)]
pub struct Target {
    /// The config file.
    pub config_path: PathBuf,
    /// The state directory (secret store, `.env`).
    pub state_dir: PathBuf,
    /// The config as it is now (checked).
    pub config: GatewayConfig,
    /// The environment with `<state-dir>/.env` under it.
    pub env: Environment,
    /// The state dir the onboarding's provider gets: a scratch one, so that
    /// the plugin's catalog cache is not written before the last answer
    /// (a cancelled onboarding leaves the real state dir untouched).
    scratch: tempfile::TempDir,
}

impl Target {
    /// Resolves the paths and reads the config and `.env`.
    ///
    /// # Errors
    /// When a path cannot be resolved or the config is invalid.
    pub fn open(global: &GlobalOptions) -> CliResult<Target> {
        let state_dir = paths::state_dir(global.state_dir.as_deref())?;
        let env = Environment::load(&state_dir)?;
        let config_path = paths::config_path(global.config.as_deref())?;
        let config = GatewayConfig::load(&config_path)?;
        let scratch = tempfile::tempdir()
            .map_err(|e| CliError::new(format!("cannot create a temporary directory: {e}")))?;
        Ok(Target {
            config_path,
            state_dir,
            config,
            env,
            scratch,
        })
    }

    /// A provider configured from the config, with `key` as its token.
    ///
    /// # Errors
    /// When the plugin refuses the settings.
    pub fn provider(
        &self,
        plugin: &Plugin,
        global: &GlobalOptions,
        key: &str,
    ) -> CliResult<Provider> {
        let settings = host::provider_settings(
            &self.config,
            self.scratch.path(),
            global.base_url.as_deref(),
            Some(key),
        )?;
        host::new_provider(plugin, &settings)
    }
}

/// Everything onboarding decided.
#[derive(Clone)]
pub struct Answers {
    /// The token.
    pub key: String,
    /// The default model.
    pub model: ResolvedModel,
    /// Settings to move out of places the gateway refuses or ignores.
    pub moves: Vec<MovedSetting>,
}

impl std::fmt::Debug for Answers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answers")
            .field("key", &secrets::mask(&self.key))
            .field("model", &self.model.model_ref)
            .finish()
    }
}

impl Answers {
    /// The config change: what the gateway's own onboarding writes for the
    /// chosen default model, plus `moves` (settings taken out of places the
    /// gateway refuses or ignores).
    pub fn config_edit(&self) -> ConfigEdit {
        // The gateway names its default model "Hugging Face"; another model
        // the user picks is named as the catalog shows it.
        let display = self.model.display_name.trim();
        let alias = if self.model.model_ref == host::DEFAULT_MODEL {
            Some(edit::DEFAULT_ALIAS.to_string())
        } else {
            (!display.is_empty()).then(|| display.to_string())
        };
        ConfigEdit {
            primary: self.model.model_ref.clone(),
            alias,
            moves: self.moves.clone(),
        }
    }
}

/// What onboarding did, for the closing summary.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The masked token.
    pub masked_key: String,
    /// The secret store file.
    pub store: PathBuf,
    /// Whether the secret was written.
    pub secret: SecretOutcome,
    /// The masked token the new one replaced, if another was saved.
    pub replaced: Option<String>,
    /// The config file.
    pub config_path: PathBuf,
    /// What happened to it.
    pub config: ConfigOutcome,
    /// The default model's ref and its name in the catalog.
    pub primary: (String, String),
    /// The alias the config gives it (what the gateway shows), if any.
    pub alias: Option<String>,
    /// The fallbacks that were kept.
    pub fallbacks: Vec<String>,
    /// Settings moved to where the gateway accepts them.
    pub moved: Vec<MovedSetting>,
    /// The command to run next.
    pub next: String,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = match self.secret {
            SecretOutcome::Saved => "saved in",
            SecretOutcome::Unchanged => "already in",
        };
        let config = match &self.config {
            ConfigOutcome::Unchanged => "unchanged".to_string(),
            ConfigOutcome::Created => "created".to_string(),
            ConfigOutcome::Updated => "updated (comments and layout kept)".to_string(),
            ConfigOutcome::Rewritten { backup } => {
                format!("rewritten; the previous file is {}", backup.display())
            }
        };
        writeln!(f, "Hugging Face is set up.")?;
        let replacing = self
            .replaced
            .as_ref()
            .map(|old| format!(", replacing {old}"))
            .unwrap_or_default();
        writeln!(
            f,
            "  token          {} {secret} {} (profile {}, readable by you only{replacing})",
            self.masked_key,
            self.store.display(),
            edit::AUTH_PROFILE
        )?;
        write!(
            f,
            "  default model  {} — {}",
            self.primary.1, self.primary.0
        )?;
        match &self.alias {
            Some(alias) if *alias != self.primary.1 => writeln!(f, " (alias \"{alias}\")")?,
            _ => writeln!(f)?,
        }
        if !self.fallbacks.is_empty() {
            writeln!(f, "  fallbacks      {} (kept)", self.fallbacks.join(", "))?;
        }
        for moved in &self.moved {
            writeln!(f, "  moved          {}", moved.describe())?;
        }
        writeln!(
            f,
            "  config         {}: {config}",
            self.config_path.display()
        )?;
        write!(f, "Next: {}", self.next)
    }
}

/// The model's name as the catalog (not an alias) gives it, with its
/// variant: the same on every run, whatever aliases the config has by then.
fn catalog_label(model: &ResolvedModel) -> String {
    let name = match model.info.name.trim() {
        "" => model.info.id.as_str(),
        name => name,
    };
    match &model.suffix {
        Some(suffix) => format!("{name} ({suffix})"),
        None => name.to_string(),
    }
}

/// Quotes `s` for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `test-host chat` with the global options this run was given.
fn next_command(global: &GlobalOptions) -> String {
    let mut words = vec!["test-host".to_string()];
    let path_flags: [(&str, Option<&Path>); 3] = [
        ("--config", global.config.as_deref()),
        ("--state-dir", global.state_dir.as_deref()),
        ("--plugin", global.plugin.as_deref()),
    ];
    for (flag, value) in path_flags {
        if let Some(v) = value {
            words.push(flag.into());
            words.push(shell_word(&v.to_string_lossy()));
        }
    }
    if let Some(url) = &global.base_url {
        words.push("--base-url".into());
        words.push(shell_word(url));
    }
    words.push("chat".into());
    words.join(" ")
}

/// Writes the answers: locks and checks the config first (so a broken
/// config stops everything before the secret is touched), then saves the
/// secret, then the config.
///
/// # Errors
/// A locked, unreadable or invalid config or store, or an I/O error.
pub fn save(global: &GlobalOptions, target: &Target, answers: &Answers) -> CliResult<Summary> {
    // Owner-only (0700) before the config's lock: in a fresh HOME the config
    // lives in the state directory, and its lock would create it 0755.
    secrets::create_state_dir(&target.state_dir)?;
    let config_edit = answers.config_edit();
    let prepared = edit::prepare(&target.config_path, &config_edit)?;
    // Said in the summary: a token that replaces another is no surprise.
    let replaced = secrets::AuthStore::load(&target.state_dir)?
        .api_key(edit::AUTH_PROFILE)
        .filter(|old| old.trim() != answers.key.trim())
        .map(|old| secrets::mask(&old));
    let secret = secrets::save_api_key(&target.state_dir, &answers.key)?;
    let config = prepared.commit()?;
    let fallbacks = GatewayConfig::load(&target.config_path)?.fallbacks()?;
    Ok(Summary {
        masked_key: secrets::mask(&answers.key),
        store: secrets::store_path(&target.state_dir),
        secret,
        replaced,
        config_path: target.config_path.clone(),
        config,
        primary: (
            answers.model.model_ref.clone(),
            catalog_label(&answers.model),
        ),
        alias: config_edit.alias,
        fallbacks,
        moved: answers.moves.clone(),
        next: next_command(global),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_command_repeats_the_global_options() {
        let global = GlobalOptions {
            config: Some("/tmp/my dir/c.json".into()),
            state_dir: Some("/tmp/s".into()),
            ..Default::default()
        };
        assert_eq!(
            next_command(&global),
            "test-host --config '/tmp/my dir/c.json' --state-dir /tmp/s chat"
        );
        assert_eq!(next_command(&GlobalOptions::default()), "test-host chat");
    }
}
