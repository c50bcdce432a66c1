//! Hot swap in this host: the chat REPL's `/swap` and `/plugins`, watch mode
//! (`chat --watch-plugin`) and the `swap-test` command all go through one
//! [`ProviderSlot`].
//!
//! # Layout
//! `mod.rs` (the slot of a chat session, one-line reports), [`watch`] (reload
//! the plugin when its file changes). The `swap-test` command itself is in
//! `commands::swap_test`.

pub mod watch;

use std::path::Path;
use std::time::Duration;

use host_sdk::{ProviderSlot, SwapError, SwapReport, VersionState, VersionStatus};

use crate::cli::GlobalOptions;
use crate::dotenv::Environment;
use crate::error::CliResult;
use crate::host::{self, Session};
use crate::secrets;

/// How long a swap waits for the old version's answers to finish before it
/// shuts the old version down anyway.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the slot's last version may take to stop when the host exits.
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(5);

/// A slot serving the session's provider; later versions get the same
/// settings (recomputed exactly as [`host::open`] computes them).
///
/// # Errors
/// When the state dir's `.env`, the config or the secret store cannot be read.
pub fn session_slot(global: &GlobalOptions, session: &Session) -> CliResult<ProviderSlot> {
    let env = Environment::load(&session.state_dir)?;
    let api_key = secrets::host_api_key(&session.state_dir, &env)?;
    let settings = host::provider_settings(
        &session.config,
        &session.state_dir,
        global.base_url.as_deref(),
        api_key.as_deref(),
    )?;
    Ok(ProviderSlot::with_provider(
        session.provider.clone(),
        host::host_context(),
        settings,
    ))
}

/// One line saying what a swap did.
pub fn describe_swap(report: &SwapReport, path: &Path) -> String {
    let retired = match (&report.shutdown, report.drained) {
        (Some(s), true) if s.clean => format!("shut down cleanly ({})", s.message),
        (Some(s), drained) => format!(
            "shut down, NOT clean ({}{})",
            s.message,
            if drained {
                String::new()
            } else {
                format!("; {} calls abandoned", report.abandoned)
            }
        ),
        (None, true) => "released (its library is shared with a live version)".into(),
        (None, false) => format!("released with {} calls abandoned", report.abandoned),
    };
    format!(
        "swapped to #{} {} {} (interface {}) from {}; #{} {retired}",
        report.to_id,
        report.to.provider_id,
        report.to.plugin_version,
        report.to.interface_version,
        path.display(),
        report.from_id,
    )
}

/// One line saying why a swap did not happen.
pub fn describe_swap_error(error: &SwapError, slot: &ProviderSlot) -> String {
    format!("swap failed, still serving #{}: {error}", slot.active().id)
}

/// The version table: one line per version, oldest first.
pub fn version_lines(versions: &[VersionStatus]) -> Vec<String> {
    versions
        .iter()
        .map(|v| {
            let shutdown = match (&v.shutdown, &v.state) {
                (Some(s), _) if s.clean => format!("shutdown clean: {}", s.message),
                (Some(s), _) => format!("shutdown NOT clean: {}", s.message),
                (None, VersionState::Retired { .. }) => {
                    "no shutdown: its library is shared with a newer version".into()
                }
                (None, _) => "running".into(),
            };
            format!(
                "#{:<3} {} {} (interface {})  {:<19} in flight {:<3} {shutdown}  {}",
                v.id,
                v.info.provider_id,
                v.info.plugin_version,
                v.info.interface_version,
                v.state.to_string(),
                v.in_flight + v.leases,
                v.path.display(),
            )
        })
        .collect()
}
