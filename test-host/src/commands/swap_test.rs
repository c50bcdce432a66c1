//! `test-host swap-test`: hot swap under load. Streams chats from many tasks
//! against an embedded mock router while swapping the plugin between two files,
//! then reports every call and every version; exits non-zero on any failure.
//!
//! Two files are two versions only if their bytes differ (loading copies the
//! file to a content-addressed path). To try it with one build:
//! ```sh
//! cp target/debug/libhuggingface_provider.so /tmp/v2.so
//! printf 'v2' >> /tmp/v2.so    # bytes after the ELF's end: still loadable
//! test-host swap-test --to /tmp/v2.so --concurrency 50 --duration 5 --swaps 5
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use host_sdk::{
    ChatEvent, ChatRequest, Message, Plugin, ProviderSlot, ShutdownReport, SwapReport,
    VersionState, VersionStatus,
};
use parking_lot::Mutex;
use serde_json::json;

use crate::cli::GlobalOptions;
use crate::error::{CliError, CliResult};
use crate::host::host_context;
use crate::paths;
use crate::swap::{EXIT_TIMEOUT, describe_swap, version_lines};
use testkit::mock_router::{MockOptions, MockRouter};

/// How many failure messages the report keeps.
const KEPT_ERRORS: usize = 5;

/// `swap-test` options.
#[derive(Debug, Args, Clone)]
pub struct SwapTestArgs {
    /// The plugin file to swap to (its bytes must differ from --from's).
    #[arg(long, value_name = "PATH")]
    pub to: PathBuf,
    /// The plugin file to start with [default: --plugin, else the usual plugin].
    #[arg(long, value_name = "PATH")]
    pub from: Option<PathBuf>,
    /// Chats streaming at the same time.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub concurrency: usize,
    /// How long to keep starting chats, in seconds (longer if the swaps take
    /// longer: chats keep running until the last swap has happened).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub duration: f64,
    /// Swaps to make, evenly spaced, alternating --to and --from.
    #[arg(long, value_name = "K", default_value_t = 3)]
    pub swaps: usize,
    /// The model each chat asks for (a mock scenario slow enough to overlap swaps).
    #[arg(long, value_name = "REF", default_value = "huggingface/mock/slow:20")]
    pub model: String,
    /// How long a swap waits for the old version's chats, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub drain_timeout: f64,
}

/// What a swap test saw.
#[derive(Debug, Clone)]
pub struct SwapTestReport {
    /// Chats that streamed to their `Done` event.
    pub completed: usize,
    /// Chats that ended with an error or without `Done`.
    pub failed: usize,
    /// Completed chats per version id.
    pub completed_by_version: BTreeMap<u64, usize>,
    /// The first few failures.
    pub errors: Vec<String>,
    /// Every swap that happened.
    pub swaps: Vec<SwapReport>,
    /// Swaps that were refused (the current version kept serving).
    pub swap_errors: Vec<String>,
    /// Every version at the end, before the last one was shut down.
    pub versions: Vec<VersionStatus>,
    /// The shutdown of the version that was active at the end.
    pub final_shutdown: Option<ShutdownReport>,
    /// Wall time.
    pub elapsed: Duration,
}

impl SwapTestReport {
    /// Whether every chat completed, every swap happened, and every version
    /// drained and shut down cleanly.
    pub fn passed(&self) -> bool {
        self.failed == 0
            && self.swap_errors.is_empty()
            && self.swaps.iter().all(|s| s.drained)
            && self.final_shutdown.as_ref().is_some_and(|s| s.clean)
            && self.versions.iter().all(|v| {
                v.in_flight + v.leases == 0
                    && !matches!(v.state, VersionState::Retired { clean: false })
            })
    }

    /// The report as printed.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{} completed, {} failed in {:.1} s; {} swaps ({} refused)",
            self.completed,
            self.failed,
            self.elapsed.as_secs_f64(),
            self.swaps.len(),
            self.swap_errors.len()
        )];
        lines.extend(self.errors.iter().map(|e| format!("  failure: {e}")));
        lines.extend(
            self.swap_errors
                .iter()
                .map(|e| format!("  refused swap: {e}")),
        );
        lines.push("versions (completed chats per version):".into());
        for (status, line) in self.versions.iter().zip(version_lines(&self.versions)) {
            let served = self.completed_by_version.get(&status.id).unwrap_or(&0);
            lines.push(format!("  {line}  [{served} chats]"));
        }
        if let Some(s) = &self.final_shutdown {
            let clean = if s.clean { "clean" } else { "NOT clean" };
            lines.push(format!("final version shut down: {clean} ({})", s.message));
        }
        lines.push(if self.passed() { "PASS" } else { "FAIL" }.into());
        lines
    }
}

/// Counters the chat tasks share.
#[derive(Default)]
struct Tally {
    completed: usize,
    failed: usize,
    by_version: BTreeMap<u64, usize>,
    errors: Vec<String>,
}

impl Tally {
    fn fail(&mut self, message: String) {
        self.failed += 1;
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push(message);
        }
    }
}

/// Whether two files hold the same bytes (read a block at a time: a debug
/// plugin is over 100 MB).
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    if std::fs::metadata(a)?.len() != std::fs::metadata(b)?.len() {
        return Ok(false);
    }
    let (mut a, mut b) = (File::open(a)?, File::open(b)?);
    let (mut block_a, mut block_b) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = a.read(&mut block_a)?;
        if n == 0 {
            return Ok(true);
        }
        b.read_exact(&mut block_b[..n])?;
        if block_a[..n] != block_b[..n] {
            return Ok(false);
        }
    }
}

/// Refuses two files with the same bytes: loading copies a file to a
/// content-addressed place, so both would be one library and the swaps
/// would test nothing.
fn check_two_versions(from: &Path, to: &Path) -> CliResult {
    let same = same_bytes(from, to).map_err(|e| {
        CliError::new(format!(
            "cannot compare {} with {}: {e}",
            from.display(),
            to.display()
        ))
    })?;
    if same {
        return Err(CliError::usage(format!(
            "--to {} has the same bytes as {}: both would load as one library, so the \
             swaps would test nothing; swap to another build, or to a copy with a byte \
             appended (see test-host swap-test --help)",
            to.display(),
            from.display()
        )));
    }
    Ok(())
}

fn seconds(value: f64, name: &str) -> CliResult<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| CliError::usage(format!("--{name} must be a number of seconds, not {value}")))
}

/// Runs the test and returns what it saw (prints nothing).
///
/// # Errors
/// When the mock router cannot start, the first plugin cannot be loaded or
/// refuses its settings, or an option is invalid.
pub async fn execute(global: &GlobalOptions, args: &SwapTestArgs) -> CliResult<SwapTestReport> {
    let duration = seconds(args.duration, "duration")?;
    let drain = seconds(args.drain_timeout, "drain-timeout")?;
    let from = match &args.from {
        Some(p) => p.clone(),
        None => paths::plugin_path(global.plugin.as_deref())?,
    };
    check_two_versions(&from, &args.to)?;
    let router = MockRouter::start(MockOptions::default())
        .await
        .map_err(|e| CliError::new(format!("cannot start the mock router: {e}")))?;
    let state = tempfile::tempdir()
        .map_err(|e| CliError::new(format!("cannot create a temporary directory: {e}")))?;
    let settings = json!({
        "baseUrl": router.base_url(),
        "stateDir": state.path(),
        "discovery": { "enabled": false },
    });
    let slot = ProviderSlot::new(Plugin::load(&from)?, host_context(), settings)?;

    let started = Instant::now();
    let deadline = started + duration;
    let tally = Arc::new(Mutex::new(Tally::default()));
    // Loading a version reads and hashes the whole file, which can take
    // longer than the swap spacing: chats go on until every swap is done, so
    // each version serves under load.
    let swaps_done = Arc::new(AtomicBool::new(false));
    let mut chats = Vec::new();
    for worker in 0..args.concurrency.max(1) {
        let (slot, tally, model) = (slot.clone(), Arc::clone(&tally), args.model.clone());
        let swaps_done = Arc::clone(&swaps_done);
        chats.push(tokio::spawn(async move {
            let mut turn = 0usize;
            while Instant::now() < deadline || !swaps_done.load(Ordering::Acquire) {
                turn += 1;
                let prompt = format!("worker {worker} turn {turn}");
                let outcome = chat(&slot, &model, &prompt).await;
                let mut tally = tally.lock();
                match outcome {
                    Ok(version) => {
                        tally.completed += 1;
                        *tally.by_version.entry(version).or_default() += 1;
                    }
                    Err(e) => tally.fail(e),
                }
            }
        }));
    }

    let mut swaps = Vec::new();
    let mut swap_errors = Vec::new();
    let spacing = duration / u32::try_from(args.swaps + 1).unwrap_or(u32::MAX);
    for k in 1..=args.swaps {
        let at = started + spacing * u32::try_from(k).unwrap_or(u32::MAX);
        tokio::time::sleep_until(at.into()).await;
        let path = if k % 2 == 1 { &args.to } else { &from };
        match slot.swap(path, drain).await {
            Ok(report) => {
                tracing::info!("{}", describe_swap(&report, path));
                swaps.push(report);
            }
            Err(e) => swap_errors.push(e.to_string()),
        }
    }
    swaps_done.store(true, Ordering::Release);
    for chat in chats {
        if let Err(e) = chat.await {
            tally.lock().fail(format!("a chat task failed: {e}"));
        }
    }
    let versions = slot.versions();
    let final_shutdown = slot.shutdown(EXIT_TIMEOUT).await;
    router.shutdown().await;
    let tally = std::mem::take(&mut *tally.lock());
    Ok(SwapTestReport {
        completed: tally.completed,
        failed: tally.failed,
        completed_by_version: tally.by_version,
        errors: tally.errors,
        swaps,
        swap_errors,
        versions,
        final_shutdown,
        elapsed: started.elapsed(),
    })
}

/// One streamed chat; the id of the version that answered, or why it failed.
async fn chat(slot: &ProviderSlot, model: &str, prompt: &str) -> Result<u64, String> {
    let lease = slot.lease();
    let version = lease.version_id();
    let mut stream = lease.complete(ChatRequest::new(model, vec![Message::user(prompt)]));
    // The stream counts itself against its version: the lease can go.
    drop(lease);
    let mut done = false;
    let mut content = false;
    while let Some(item) = stream.next().await {
        match item {
            Ok(ChatEvent::Content(_)) => content = true,
            Ok(ChatEvent::Done { .. }) => done = true,
            Ok(_) => {}
            Err(e) => return Err(format!("version #{version}: {e}")),
        }
    }
    match (done, content) {
        (true, true) => Ok(version),
        _ => Err(format!(
            "version #{version}: the stream ended without an answer"
        )),
    }
}

/// Runs `swap-test`: prints the report; fails (exit 1) unless it passed.
///
/// # Errors
/// As [`execute`], or when the test saw any failure.
pub async fn run(global: &GlobalOptions, args: &SwapTestArgs) -> CliResult {
    let report = execute(global, args).await?;
    for line in report.lines() {
        outln!("{line}")?;
    }
    if report.passed() {
        Ok(())
    } else {
        Err(CliError::new(format!(
            "swap test failed: {} of {} chats failed, {} swaps refused",
            report.failed,
            report.completed + report.failed,
            report.swap_errors.len()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_files_with_the_same_bytes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&a, &bytes).unwrap();
        std::fs::write(&b, &bytes).unwrap();
        let mut other = bytes.clone();
        other[150_000] ^= 1;
        std::fs::write(&c, &other).unwrap();
        let e = check_two_versions(&a, &b).unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.contains("the same bytes"), "{e}");
        assert!(check_two_versions(&a, &a).is_err(), "the same file");
        check_two_versions(&a, &c).unwrap();
        let missing = check_two_versions(&a, &dir.path().join("nope")).unwrap_err();
        assert!(missing.message.contains("cannot compare"), "{missing}");
    }
}
