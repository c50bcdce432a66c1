//! The `test-host` binary.
// As in the library: no std print macros (see lib.rs).
#![warn(clippy::print_stdout, clippy::print_stderr)]

use clap::Parser;
use test_host::cli::{Cli, Command};
use test_host::color::ColorChoice;
use test_host::commands;
use test_host::error::CliResult;
use tracing_subscriber::EnvFilter;

/// The console log, on stderr. By default only this program's own warnings
/// and the libraries' errors: what a user must act on is already said by the
/// command itself, once (an error line, a `[retrying …]` or fallback notice,
/// a refresh warning), and the plugin's and host-sdk's warnings about the same
/// events would repeat it or break through prompts and spinners. `-v`,
/// `-vv` or `RUST_LOG` bring everything back.
///
/// `serve --json-logs` is for a log collector, not a person: one JSON object
/// per line, and by default every warning plus serve's own line per request,
/// since nobody watches a terminal there to see an answer fail.
fn init_logging(verbose: u8, color: ColorChoice, json: bool) {
    let default = match (verbose, json) {
        (0, false) => "error,test_host=warn",
        (0, true) => "warn,test_host=info",
        (1, _) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init()
    } else {
        builder
            .with_ansi(color.enabled(std::io::IsTerminal::is_terminal(&std::io::stderr())))
            .try_init()
    };
}

async fn run(cli: Cli) -> CliResult {
    let global = &cli.global;
    match &cli.command {
        Command::PluginInfo { json } => commands::plugin_info::run(global, *json),
        Command::Models { json, refresh } => commands::models::run(global, *json, *refresh).await,
        Command::Chat(args) => commands::chat::run(global, args).await,
        Command::SwapTest(args) => commands::swap_test::run(global, args).await,
        Command::Onboard(args) => commands::onboard::run(global, args).await,
        Command::Demo { not_here } => {
            not_applicable("demo", not_here.given(global))?;
            commands::demo::run(global).await
        }
        Command::MockRouter {
            listen,
            require_token,
            not_here,
            plugin,
        } => {
            let plugin = (plugin.is_some() || global.plugin.is_some()).then_some("--plugin");
            not_applicable("mock-router", not_here.given(global).or(plugin))?;
            commands::mock::run(*listen, require_token.clone()).await
        }
        Command::Serve(args) => commands::serve::run(global, args).await,
    }
}

/// Refuses an option that `command` does not use, rather than ignore it.
fn not_applicable(command: &str, option: Option<&str>) -> CliResult {
    match option {
        Some(option) => Err(test_host::error::CliError::usage(format!(
            "{option} does not apply to `{command}`"
        ))),
        None => Ok(()),
    }
}

fn main() {
    let cli = Cli::parse();
    let json_logs = matches!(&cli.command, Command::Serve(args) if args.json_logs);
    init_logging(cli.global.verbose, cli.global.color, json_logs);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            test_host::stderr::println(format_args!("error: cannot start the async runtime: {e}"));
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        match (e.message.is_empty(), json_logs) {
            (true, _) => {}
            (false, true) => tracing::error!("{e}"),
            (false, false) => test_host::stderr::println(format_args!("error: {e}")),
        }
        std::process::exit(e.code);
    }
}
