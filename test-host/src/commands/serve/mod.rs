//! `test-host serve`: the loaded plugin as a local OpenAI-compatible endpoint,
//! so clients that cannot load a plugin (the OpenClaw gateway, the `openai`
//! and `huggingface_hub` libraries) use it over HTTP.
//!
//! `request` reads OpenAI's request shape, `answer` writes its answers
//! (SSE chunks or one object), `error` its error shape and statuses, `api`
//! is the HTTP surface and `access` logs each request. The provider is served
//! through a `ProviderSlot`, so `SIGHUP` and `--watch-plugin` swap the plugin
//! while answers stream.

mod access;
mod answer;
mod api;
mod error;
mod request;

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Args;

use crate::cli::GlobalOptions;
use crate::dotenv::Environment;
use crate::error::{CliError, CliResult};
use crate::host::{self, PROVIDER_ID};
use crate::swap::{self, watch};
use crate::{paths, secrets};
use api::ServeState;

/// `serve` options.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8788")]
    pub listen: SocketAddr,
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
}

/// Runs `serve`.
///
/// # Errors
/// A non-loopback address without `--allow-remote`, an address in use, or
/// what opening the session can fail with (config, plugin, settings).
pub async fn run(global: &GlobalOptions, args: &ServeArgs) -> CliResult {
    let state_dir = paths::state_dir(global.state_dir.as_deref())?;
    let env = Environment::load(&state_dir)?;
    let key = secrets::serve_key(&state_dir, &env)?;
    if args.print_key {
        outln!("{key}")?;
        return Ok(());
    }
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        return Err(CliError::usage(format!(
            "refusing to listen on {}: it is reachable from other machines; use a loopback address (127.0.0.1) or pass --allow-remote",
            args.listen
        )));
    }
    let session = host::open(global)?;
    let slot = swap::session_slot(global, &session)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::new(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::new(format!("cannot listen on {}: {e}", args.listen)))?;
    let state = Arc::new(ServeState {
        slot: slot.clone(),
        expected_authorization: format!("Bearer {key}").into_bytes(),
        provider_id: PROVIDER_ID.to_string(),
    });
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
    let served = axum::serve(listener, api::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| CliError::new(format!("serving on {addr} failed: {e}")));
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
    served
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

/// Ctrl-C or SIGTERM: stop accepting, let answers in flight finish.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
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
