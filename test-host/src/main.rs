//! The `test-host` binary.

use clap::Parser;
use test_host::cli::{Cli, Command};
use test_host::commands;
use test_host::error::CliResult;
use tracing_subscriber::EnvFilter;

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn run(cli: Cli) -> CliResult {
    let global = &cli.global;
    match &cli.command {
        Command::PluginInfo { json } => commands::plugin_info::run(global, *json),
        Command::Models { json, refresh } => commands::models::run(global, *json, *refresh).await,
        Command::Chat(args) => commands::chat::run(global, args).await,
        Command::SwapTest(args) => commands::swap_test::run(global, args).await,
        Command::Onboard(args) => commands::onboard::run(global, args).await,
        Command::Demo => commands::demo::run(global).await,
        Command::MockRouter { listen } => commands::mock::run(*listen).await,
        Command::Serve(args) => commands::serve::run(global, args).await,
    }
}

fn main() {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        if !e.message.is_empty() {
            eprintln!("error: {e}");
        }
        std::process::exit(e.code);
    }
}
