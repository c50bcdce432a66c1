//! `test-host serve`: the loaded plugin as a local OpenAI-compatible endpoint,
//! so clients that cannot load a plugin (the OpenClaw gateway, the `openai`
//! and `huggingface_hub` libraries) use it over HTTP.
//!
//! `request` reads OpenAI's request shape, `answer` writes its answers
//! (SSE chunks or one object), `error` its error shape and statuses, `api`
//! is the HTTP surface and `access` logs each request. `listen` reads
//! `--listen`; `server` accepts connections within a limit and `connection`
//! keeps each one's time limits; `shutdown` stops on Ctrl-C and SIGTERM. The
//! provider is served through a `ProviderSlot`, so `SIGHUP` and
//! `--watch-plugin` swap the plugin while answers stream.

mod access;
mod answer;
mod api;
mod connection;
mod error;
mod listen;
mod request;
mod server;
mod shutdown;

use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::cli::GlobalOptions;
use crate::dotenv::Environment;
use crate::error::{CliError, CliResult};
use crate::host::{self, PROVIDER_ID};
use crate::swap::{self, watch};
use crate::{paths, secrets};
use api::ServeState;
use connection::Timeouts;
pub use listen::ListenAddr;
use server::{Limits, Registry};
use shutdown::{Signals, Stop};

/// `serve` options.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on: HOST or HOST:PORT, HOST an IP address or a name
    /// such as localhost; the port defaults to 8788, and 0 picks a free one.
    #[arg(long, value_name = "HOST[:PORT]", default_value = "127.0.0.1:8788")]
    pub listen: ListenAddr,
    /// Accept a non-loopback --listen address (other machines can then reach
    /// it; the local key still guards it).
    #[arg(long)]
    pub allow_remote: bool,
    /// Print the local access key clients must send (creating it if needed), and exit.
    #[arg(long)]
    pub print_key: bool,
    /// Reload the plugin when its file changes (e.g. after `cargo build`);
    /// answers in progress finish on the old version. SIGHUP reloads too.
    #[arg(long)]
    pub watch_plugin: bool,
    /// Write stderr as JSON lines for a log collector: one line per request
    /// (method, path, status, duration, model, backend, request id, how it
    /// ended), swaps, and every warning, the plugin's included.
    #[arg(long)]
    pub json_logs: bool,
    /// Most connections open at once; when all are open, the one idle longest
    /// is closed for a new one. Default: half the open-file limit less 64, at
    /// most 4096.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: Option<u32>,
    /// Seconds a request's headers may take, from its first byte (and a new
    /// connection's first request, from the connection).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    pub header_timeout: Duration,
    /// Seconds a connection may stay idle between requests (keep-alive).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    pub idle_timeout: Duration,
    /// Seconds a request body may take to arrive, from its headers (408).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    pub body_timeout: Duration,
    /// Seconds answers in progress get to finish after Ctrl-C or SIGTERM
    /// (a second Ctrl-C stops at once).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    pub drain_timeout: Duration,
}

/// A number of seconds, fractions allowed (`0.5`), above zero.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("'{text}' is not a number of seconds above 0"))
}

/// A duration as these options take it: `10 s`, `0.5 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Runs `serve`.
///
/// # Errors
/// A non-loopback address without `--allow-remote`, an address in use or
/// that does not resolve, or what opening the session can fail with
/// (config, plugin, settings).
pub async fn run(global: &GlobalOptions, args: &ServeArgs) -> CliResult {
    let state_dir = paths::state_dir(global.state_dir.as_deref())?;
    let env = Environment::load(&state_dir)?;
    let key = secrets::serve_key(&state_dir, &env)?;
    if args.print_key {
        outln!("{key}")?;
        return Ok(());
    }
    let listener = args.listen.bind(args.allow_remote).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::new(format!("cannot listen on {}: {e}", args.listen)))?;
    let session = host::open(global)?;
    let slot = swap::session_slot(global, &session)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(Stop::Running);
    let state = Arc::new(ServeState {
        slot: slot.clone(),
        key: key.into_bytes(),
        provider_id: PROVIDER_ID.to_string(),
        body_timeout: args.body_timeout,
        stop: stop_rx.clone(),
    });
    let limits = Limits {
        max_connections: args
            .max_connections
            .map_or_else(server::default_max_connections, |n| n as usize),
        timeouts: Timeouts {
            header: args.header_timeout,
            idle: args.idle_timeout,
        },
    };
    let signals = Signals::new()
        .map_err(|e| CliError::new(format!("cannot watch for Ctrl-C and SIGTERM: {e}")))?;
    // One line on stdout once connections are accepted: scripts wait for it.
    outln!("serving on http://{addr}/v1")?;
    let notices = if args.json_logs {
        Notices::Logged
    } else {
        Notices::Plain
    };
    let plugin_path = slot.plugin().path().to_path_buf();
    let reload = tokio::spawn(reload_on_sighup(
        global.clone(),
        slot.clone(),
        plugin_path.clone(),
        notices,
    ));
    let watcher = args.watch_plugin.then(|| {
        let notify: watch::Notify = Arc::new(move |line| notices.info(&line));
        watch::spawn(slot.clone(), plugin_path, watch::POLL_INTERVAL, notify)
    });
    let registry = Arc::new(Registry::default());
    let server = tokio::spawn(server::serve(
        listener,
        api::app(state),
        limits,
        Arc::clone(&registry),
        stop_rx,
        notices,
    ));
    shutdown::on_signals(
        server,
        stop_tx,
        &registry,
        signals,
        args.drain_timeout,
        notices,
    )
    .await;
    reload.abort();
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    if let Some(report) = slot.shutdown(swap::EXIT_TIMEOUT).await
        && !report.clean
    {
        notices.warn(&format!(
            "the plugin did not stop cleanly: {}",
            report.message
        ));
    }
    Ok(())
}

/// Where serve's own notices (swaps, an unclean stop) go: plain lines for a
/// person, log events for `--json-logs`, so a collector sees only JSON.
#[derive(Debug, Clone, Copy)]
enum Notices {
    Plain,
    Logged,
}

impl Notices {
    fn info(self, line: &str) {
        match self {
            Notices::Plain => errln!("{line}"),
            Notices::Logged => tracing::info!("{line}"),
        }
    }

    fn warn(self, line: &str) {
        match self {
            Notices::Plain => errln!("warning: {line}"),
            Notices::Logged => tracing::warn!("{line}"),
        }
    }
}

/// `kill -HUP`: read the config again and apply its settings, then load the
/// plugin file again (a rebuilt one is a new version); answers in flight
/// finish on the old version and settings. A config that cannot be read
/// keeps the old settings, with a warning.
async fn reload_on_sighup(
    global: GlobalOptions,
    slot: host_sdk::ProviderSlot,
    path: std::path::PathBuf,
    notices: Notices,
) {
    #[cfg(unix)]
    {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            let before = slot.active().id;
            match host::current_settings(&global) {
                Ok(settings) => match slot.reconfigure(settings, api::DRAIN).await {
                    Ok(id) if id != before => notices.info(&format!(
                        "settings reloaded from the config (version {id}); answers in flight keep the old ones"
                    )),
                    Ok(_) => {}
                    Err(e) => notices.warn(&format!(
                        "the plugin refused the config's settings, the old ones stay: {}",
                        e.message
                    )),
                },
                Err(e) => notices.warn(&format!("the config could not be read again, the old settings stay: {e}")),
            }
            match slot.swap(&path, api::DRAIN).await {
                Ok(report) => notices.info(&swap::describe_swap(&report, &path)),
                Err(e) => notices.warn(&swap::describe_swap_error(&e, &slot)),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (global, slot, path, notices);
}
