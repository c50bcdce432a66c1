//! Backpressure: what a completion learns when it hands events to the host,
//! and how it tells that the host's reader caught up.
//!
//! A sink must never block a plugin thread, so the host queues whatever it is
//! given. Left at that, a reader that does not read makes the host buffer the
//! whole answer. Instead the host reports how many bytes it holds unread
//! (`EventSink::backlog`, interface 2.2.0), and a completion that hears
//! [`Delivery::Behind`] reads its answer no further until
//! [`Backlog::has_room`]: the upstream connection's own flow control then
//! holds the rest at the server. A host older than 2.2 reports nothing, and
//! its completions stream as they always did.

use std::sync::Arc;

use provider_abi::abi::EventSinkBox;

/// Above this many bytes queued unread in the host, [`Delivery::Behind`]:
/// the completion should stop reading its answer. 256 KiB is tens of
/// thousands of tokens ahead of a reader, so one that reads at all never
/// meets it (the streaming benchmark's fastest streams, whose host is the
/// bottleneck, never do), while a stalled reader costs its host about this
/// much, not the answer's full size. (1 MiB cost `serve` 0.8 MB more per
/// stalled stream, for nothing a reader would notice.)
pub const BACKLOG_HIGH_WATER: u64 = 256 * 1024;

/// A completion that stopped reads again once the host's queue is down to
/// this: half the high-water mark, so the reader still has 128 KiB to read
/// while the completion wakes up, and it does not stop again at once.
pub const BACKLOG_LOW_WATER: u64 = BACKLOG_HIGH_WATER / 2;

/// What became of events handed to the host
/// ([`crate::CompletionSink::events`]).
#[must_use = "`Gone` means the completion must stop, `Behind` that it should wait"]
#[derive(Debug, Clone)]
pub enum Delivery {
    /// The host took them and its queue has room.
    Taken,
    /// The host took them, but its reader is behind: more than
    /// [`BACKLOG_HIGH_WATER`] bytes wait unread. Read nothing more upstream
    /// until [`Backlog::has_room`] — waiting asynchronously (a timer, not a
    /// blocked thread) and still honouring cancellation.
    Behind(Backlog),
    /// Nobody listens any more: stop the completion and close its connection.
    Gone,
}

impl Delivery {
    /// Whether the host still listens (`Taken` or `Behind`).
    pub fn listening(&self) -> bool {
        !matches!(self, Delivery::Gone)
    }
}

/// A sink that only says whether it listens (`true`: taken, `false`: gone),
/// as a test's collecting closure does.
impl From<bool> for Delivery {
    fn from(listening: bool) -> Self {
        if listening {
            Delivery::Taken
        } else {
            Delivery::Gone
        }
    }
}

/// The host's queue of one completion, to watch while waiting for its reader.
#[derive(Clone)]
pub struct Backlog {
    sink: Arc<EventSinkBox>,
}

impl std::fmt::Debug for Backlog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backlog")
            .field("bytes", &self.bytes())
            .finish()
    }
}

impl Backlog {
    pub(crate) fn new(sink: Arc<EventSinkBox>) -> Backlog {
        Backlog { sink }
    }

    /// The bytes the host holds unread now (one call to the host: an atomic
    /// load there).
    pub fn bytes(&self) -> u64 {
        backlog_of(&self.sink)
    }

    /// Whether the reader caught up enough to read on: at most
    /// [`BACKLOG_LOW_WATER`] bytes left unread.
    pub fn has_room(&self) -> bool {
        self.bytes() <= BACKLOG_LOW_WATER
    }
}

/// The host's unread bytes; 0 from a host older than 2.2 (the method's
/// default body runs).
#[cfg(not(feature = "interface-prev"))]
pub(crate) fn backlog_of(sink: &EventSinkBox) -> u64 {
    sink.backlog()
}

/// Built as interface 2.0 (test-only `interface-prev`), the sink has no
/// backlog method: an empty queue, as a host of 2.0 reports.
#[cfg(feature = "interface-prev")]
pub(crate) fn backlog_of(_sink: &EventSinkBox) -> u64 {
    0
}
