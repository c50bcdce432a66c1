//! The plugin-owned tokio runtime.
//!
//! The plugin links its own tokio, whose thread-locals are separate from the
//! host's, so every async task must run here. The runtime starts lazily on
//! first use and is held by a guard so that `shutdown` can take it out and
//! stop its threads; a later call starts a fresh one (the same library may be
//! reused by the host after a shutdown, e.g. by another provider).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use provider_abi::{ErrorKind, ProviderError};
use tokio::runtime::{Builder, Handle, Runtime};

/// Worker thread names: `hf-provider-<plugin version>`, so a host (and the
/// tests) can tell the plugin's threads apart from its own.
pub(crate) fn thread_name() -> String {
    format!("hf-provider-{}", env!("CARGO_PKG_VERSION"))
}

struct State {
    runtime: Option<Runtime>,
    generation: u64,
}

/// Live threads of the plugin's runtimes (workers and blocking threads), so
/// `shutdown` can say whether they really stopped.
static LIVE_THREADS: AtomicUsize = AtomicUsize::new(0);

static STATE: Mutex<State> = Mutex::new(State {
    runtime: None,
    generation: 0,
});

/// A handle to the running runtime, starting it if needed, and its generation.
///
/// # Errors
/// `Internal` if the OS refuses to start threads.
pub(crate) fn handle() -> Result<(Handle, u64), ProviderError> {
    let mut state = STATE.lock();
    if let Some(rt) = &state.runtime {
        return Ok((rt.handle().clone(), state.generation));
    }
    let runtime = Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .max_blocking_threads(8)
        .thread_name(thread_name())
        .on_thread_start(|| {
            LIVE_THREADS.fetch_add(1, Ordering::AcqRel);
        })
        .on_thread_stop(|| {
            LIVE_THREADS.fetch_sub(1, Ordering::AcqRel);
        })
        .enable_all()
        .build()
        .map_err(|e| {
            ProviderError::new(
                ErrorKind::Internal,
                format!("cannot start the plugin's runtime: {e}"),
            )
        })?;
    state.generation += 1;
    let handle = runtime.handle().clone();
    state.runtime = Some(runtime);
    Ok((handle, state.generation))
}

/// One worker per CPU this process may use (its affinity and cgroup quota,
/// not the machine's), at most four. Never more workers than CPUs: on a
/// process limited to one CPU, a second worker only adds wake-ups between
/// threads that take turns on it (the streaming benchmark pinned to one CPU:
/// 100 concurrent answers at 1.84 M tokens/s with one worker, 1.44 M with two;
/// unpinned on two CPUs, two workers stream 2.7-3.1 M against 1.4-1.9 M).
fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
}

/// What `shutdown` did.
pub(crate) struct Stopped {
    /// Whether a runtime was running.
    pub(crate) was_running: bool,
    /// Threads still alive when the time limit ran out (0 = clean).
    pub(crate) threads_left: usize,
}

/// Stops the runtime and its threads, waiting at most `timeout` in all.
pub(crate) fn shutdown(timeout: Duration) -> Stopped {
    let deadline = Instant::now() + timeout;
    let runtime = STATE.lock().runtime.take();
    let was_running = runtime.is_some();
    if let Some(rt) = runtime {
        // Not under the lock: shutting down may run task destructors that
        // call back into `handle()`.
        rt.shutdown_timeout(timeout);
    }
    // Threads finish their last steps just after the runtime lets go of them.
    while LIVE_THREADS.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    Stopped {
        was_running,
        threads_left: LIVE_THREADS.load(Ordering::Acquire),
    }
}

/// Runs `work` on the plugin's runtime and waits for it on the calling (host)
/// thread through a std channel, at most `limit`: a host thread may be an
/// async worker of the host's own runtime, so it must never `block_on`.
/// `None` when `work` did not finish in time (it is then dropped with the
/// runtime's task, not left running: the caller's limit is also `work`'s).
///
/// # Errors
/// `Internal` if the runtime cannot start; `Unavailable` if it was shut down
/// while `work` ran (the task was dropped before it could answer).
pub(crate) fn wait_for<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
    limit: Duration,
) -> Result<Option<T>, ProviderError> {
    let (rt, _) = handle()?;
    let (tx, rx) = std::sync::mpsc::channel();
    let task = rt.spawn(async move {
        let _ = tx.send(work.await);
    });
    match rx.recv_timeout(limit) {
        Ok(outcome) => Ok(Some(outcome)),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            task.abort();
            Ok(None)
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(ProviderError::new(
            ErrorKind::Unavailable,
            "the plugin was shut down while the call ran",
        )),
    }
}
