//! Watch mode: reload the plugin when its file changes (e.g. after
//! `cargo build`), through the same swap path as `/swap`.
//!
//! The file is polled (modification time and length) rather than watched with
//! inotify: a build replaces it in several steps, and polling with a debounce
//! ("unchanged for one more interval") sees only the finished file, with no
//! platform-specific dependency.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use host_sdk::ProviderSlot;
use tokio::task::JoinHandle;

use super::{DRAIN_TIMEOUT, describe_swap, describe_swap_error};

/// How often the file is looked at.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Where notices go (the REPL prints them on stderr; tests collect them).
pub type Notify = Arc<dyn Fn(String) + Send + Sync>;

/// What the watcher compares between polls.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Whether `a` and `b` hold the same bytes (a rebuild that changed nothing).
fn same_bytes(a: &Path, b: &Path) -> bool {
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Polls `path` every `interval` and swaps `slot` to it once it has changed
/// and then stayed unchanged for one more interval. A file that is gone or
/// has the active version's bytes is skipped; a load error is reported and
/// the current version keeps serving. Runs until the returned task is aborted.
pub fn spawn(
    slot: ProviderSlot,
    path: PathBuf,
    interval: Duration,
    notify: Notify,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen = stamp(&path);
        loop {
            tokio::time::sleep(interval).await;
            let mut current = stamp(&path);
            if current == seen {
                continue;
            }
            // Debounce: wait until the file stops changing.
            loop {
                tokio::time::sleep(interval).await;
                let again = stamp(&path);
                if again == current {
                    break;
                }
                current = again;
            }
            seen = current;
            if current.is_none() {
                continue;
            }
            let (file, active) = (path.clone(), slot.active().mapped_path);
            let unchanged = tokio::task::spawn_blocking(move || same_bytes(&file, &active))
                .await
                .unwrap_or(false);
            if unchanged {
                continue;
            }
            let line = match slot.swap(&path, DRAIN_TIMEOUT).await {
                Ok(report) => format!("[watch] {}", describe_swap(&report, &path)),
                Err(e) => format!("[watch] {}", describe_swap_error(&e, &slot)),
            };
            notify(line);
        }
    })
}
