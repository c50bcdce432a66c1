//! Command-line definitions.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A host for provider plugins: load the Hugging Face provider, list its
/// models, chat through it, or run a local mock of the router.
#[derive(Debug, Parser)]
#[command(name = "test-host", version, about)]
pub struct Cli {
    /// Options every command shares.
    #[command(flatten)]
    pub global: GlobalOptions,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command shares.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalOptions {
    /// Gateway config file [default: $OPENCLAW_CONFIG_PATH, else ~/.openclaw/openclaw.json].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// State directory [default: $OPENCLAW_STATE_DIR, else ~/.openclaw].
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Plugin file [default: next to test-host, else the workspace's target dir].
    #[arg(long, global = true, value_name = "PATH")]
    pub plugin: Option<PathBuf>,
    /// Router base URL [default: models.providers.huggingface.baseUrl from the config,
    /// else <https://router.huggingface.co/v1>].
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// More log output (-v: debug, -vv: trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Colour: auto (a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t)]
    pub color: crate::color::ColorChoice,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load the plugin and print who it is.
    PluginInfo {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the provider's model catalog.
    Models {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
        /// Fetch the router's list now (waiting up to the discovery timeout)
        /// instead of showing the catalog as it is in memory.
        #[arg(long)]
        refresh: bool,
    },
    /// Chat with a model.
    Chat(ChatArgs),
    /// Hot swap under load: stream chats against an embedded mock router while
    /// swapping the plugin between two files; non-zero exit on any failure.
    SwapTest(crate::commands::swap_test::SwapTestArgs),
    /// Set up the Hugging Face provider: save a token, choose the default model.
    Onboard(OnboardArgs),
    /// Start a local mock router, load the plugin and stream one chat through it.
    Demo {
        #[command(flatten)]
        not_here: NotForThisCommand,
    },
    /// Serve the plugin as a local OpenAI-compatible endpoint (for the OpenClaw
    /// gateway and any OpenAI client) until Ctrl-C; SIGHUP reloads the plugin.
    Serve(crate::commands::serve::ServeArgs),
    /// Run the local mock router until Ctrl-C.
    ///
    /// It accepts any token, or none, unless --require-token is given.
    #[command(after_long_help = crate::commands::mock::models_help())]
    MockRouter {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Accept only this token [default: any token, or none].
        ///
        /// A chat request without `Authorization: Bearer <TOKEN>`, or a models
        /// request with another token, gets the router's 401. The models list
        /// still answers without a token, like the router's.
        #[arg(
            long,
            value_name = "TOKEN",
            value_parser = clap::builder::NonEmptyStringValueParser::new()
        )]
        require_token: Option<String>,
        #[command(flatten)]
        not_here: NotForThisCommand,
        #[arg(long, hide = true)]
        plugin: Option<PathBuf>,
    },
}

/// The global options a command does not use (`demo` makes its own config,
/// state dir and router; `mock-router` loads no plugin either). Declared
/// again, hidden, so clap does not list the global ones in that command's
/// help; the command refuses them if given.
#[derive(Debug, Args, Clone, Default)]
pub struct NotForThisCommand {
    #[arg(long, hide = true)]
    config: Option<PathBuf>,
    #[arg(long, hide = true)]
    state_dir: Option<PathBuf>,
    #[arg(long, hide = true)]
    base_url: Option<String>,
}

impl NotForThisCommand {
    /// The first of these options given (here or before the command name).
    pub fn given(&self, global: &GlobalOptions) -> Option<&'static str> {
        if self.config.is_some() || global.config.is_some() {
            Some("--config")
        } else if self.state_dir.is_some() || global.state_dir.is_some() {
            Some("--state-dir")
        } else if self.base_url.is_some() || global.base_url.is_some() {
            Some("--base-url")
        } else {
            None
        }
    }
}

/// `chat` options.
#[derive(Debug, Args, Clone)]
pub struct ChatArgs {
    /// Send one prompt, stream the answer and exit.
    #[arg(long, value_name = "PROMPT")]
    pub once: Option<String>,
    /// Model ref [default: agents.defaults.model.primary from the config,
    /// else huggingface/deepseek-ai/DeepSeek-R1].
    #[arg(long, value_name = "REF")]
    pub model: Option<String>,
    /// Print one JSON object at the end instead of streaming text.
    #[arg(long)]
    pub json: bool,
    /// Hide the model's reasoning.
    #[arg(long)]
    pub no_reasoning: bool,
    /// Reload the plugin when its file changes (e.g. after `cargo build`);
    /// answers in progress finish on the old version.
    #[arg(long)]
    pub watch_plugin: bool,
    /// A system prompt.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    /// Maximum tokens to generate.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature, from 0 to 2.
    // A negative value is read as a value, so it gets the range error
    // rather than "unexpected argument '-1'".
    #[arg(long, value_name = "T", allow_negative_numbers = true, value_parser = temperature)]
    pub temperature: Option<f64>,
}

/// The OpenAI API's range, which the router's backends follow.
const TEMPERATURE_RANGE: std::ops::RangeInclusive<f64> = 0.0..=2.0;

fn temperature(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("expected a number from 0 to 2, not '{text}'"))?;
    if TEMPERATURE_RANGE.contains(&value) {
        Ok(value)
    } else {
        Err(format!("the temperature must be from 0 to 2, not {text}"))
    }
}

/// `onboard` options.
#[derive(Debug, Args, Clone)]
pub struct OnboardArgs {
    /// Ask nothing: the token comes from --huggingface-api-key or $HF_TOKEN,
    /// the model from --model (default huggingface/deepseek-ai/DeepSeek-R1).
    #[arg(long)]
    pub non_interactive: bool,
    /// Where the gateway runs. Only `local` (this machine) is supported.
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
    /// How to authenticate. Only `huggingface-api-key` is supported.
    #[arg(long, value_name = "CHOICE")]
    pub auth_choice: Option<String>,
    /// The Hugging Face token [default: $HUGGINGFACE_HUB_TOKEN, else $HF_TOKEN].
    /// Other users can see command lines: prefer the environment variable.
    #[arg(long, value_name = "KEY")]
    pub huggingface_api_key: Option<String>,
    /// The default model ref (with --non-interactive).
    #[arg(long, value_name = "REF")]
    pub model: Option<String>,
    /// Time limit of the live model discovery, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub discovery_timeout: f64,
}
