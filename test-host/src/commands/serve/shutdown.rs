//! Stopping. The first Ctrl-C or SIGTERM stops accepting connections, closes
//! those with no request under way (a request still half sent included:
//! nothing has been answered on it), and lets the answers under way finish,
//! saying how many; a second signal, or `--drain-timeout`, stops at once,
//! which drops the answers left and so cancels them upstream.

use std::io;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Notices;
use super::server::Registry;

/// What the server is told to do; every connection watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    Running,
    /// Accept nothing more; close what is not answering, finish the rest.
    Draining,
    /// Close everything.
    Now,
}

/// Ctrl-C and SIGTERM, every time they come. Registered when made, so a
/// signal sent right after the `serving on` line is not lost.
pub(super) struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// # Errors
    /// The signal handlers cannot be installed.
    pub(super) fn new() -> io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next Ctrl-C or SIGTERM.
    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs until the server stopped: at the first signal it drains, at the
/// second or after `drain` it stops at once.
pub(super) async fn on_signals(
    mut server: JoinHandle<()>,
    stop: watch::Sender<Stop>,
    registry: &Registry,
    mut signals: Signals,
    drain: Duration,
    notices: Notices,
) {
    tokio::select! {
        // The server does not end by itself; if it did, nothing is left to drain.
        _ = &mut server => return,
        () = signals.next() => {}
    }
    let _ = stop.send(Stop::Draining);
    let answering = registry.answering();
    if answering > 0 {
        notices.info(&format!(
            "finishing {} (Ctrl-C again to stop now)",
            answers(answering)
        ));
    }
    tokio::select! {
        _ = &mut server => return,
        () = signals.next() => notices.info(&format!(
            "stopping now: {} cut off",
            answers(registry.answering())
        )),
        () = tokio::time::sleep(drain) => notices.warn(&format!(
            "stopped waiting after {} (--drain-timeout): {} cut off",
            super::seconds(drain),
            answers(registry.answering())
        )),
    }
    let _ = stop.send(Stop::Now);
    let _ = server.await;
}

fn answers(n: usize) -> String {
    if n == 1 {
        "1 answer".to_string()
    } else {
        format!("{n} answers")
    }
}
