//! One crossing to the host for everything that is already there.
//!
//! hyper hands an answer's body over one piece at a time (one HTTP chunk, or one read),
//! through a channel that holds a single piece: the connection's own task reads the socket
//! and decodes the next piece only after the previous one was taken. A backend writes one
//! event per chunk, so delivering each piece on its own would cost one crossing and one
//! wake-up of the host's reader per token, which is most of what a token costs once the
//! host falls behind. Instead, after each piece the completion steps aside once, lets the
//! connection task run, and takes the next piece if it is ready by then; only when none is
//! (or the batch is full) do the events go to the host. Nothing waits for more data: an
//! answer arriving slowly is delivered piece by piece, as soon as each arrives.
//!
//! The other way round, the host's reader may fall behind. The host queues what it is
//! given (its sink must not block a runtime thread), so a reader that does not read would
//! make it buffer the whole answer. When a hand-over says the host holds more than its
//! high-water mark unread ([`Delivery::Behind`]), the completion reads its answer no
//! further until the reader caught up ([`Paced::room`]): hyper stops reading the socket,
//! and TCP holds the rest at the router. What one stream then holds in the host's queue
//! is about the mark plus one batch, whatever its reader does.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use plugin_sdk::{Backlog, Delivery};
use provider_abi::{EventBatch, ProviderError};

use super::limits::Limits;

/// At most this many events go to the host at once, so that a host falling far behind a
/// fast backend still sees its first events soon, and batches waiting for the host stay
/// small (the streaming benchmark's 500 concurrent streams peaked at 211 MB with 1024 and
/// every event converted on arrival, 174 MB with 256 and events converted as they are
/// read). A crossing costs about what a few tokens do, so 256 keeps it negligible.
pub(crate) const MAX_EVENTS: usize = 256;

/// Nor more than about this much text at once (a batch stops taking pieces past it, so
/// it holds this plus one piece): what a batch adds to the host's queue beyond its
/// high-water mark, when the events are big (a 21 MiB answer in 64 KiB events would
/// otherwise cross 16 MiB at a time). Token-sized events reach `MAX_EVENTS` long before.
pub(crate) const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Whether a batch being filled may take another ready piece.
pub(crate) fn wants_more(events: &EventBatch) -> bool {
    events.len() < MAX_EVENTS && events.text_len() < MAX_TEXT_BYTES
}

/// How often a completion waiting for its host's reader looks again: soon at first (a
/// reader that is merely busy catches up within milliseconds), doubling to every 16 ms
/// (about 60 looks a second for a reader that stopped). The looks only grow apart while
/// the reader reads nothing, and the 128 KiB left when the completion reads on last a
/// reader of 8 MB/s that long: far beyond any model's output.
const FIRST_LOOK: Duration = Duration::from_millis(1);
const LONGEST_LOOK: Duration = Duration::from_millis(16);

/// Where a completion's batches go: a closure that takes the batch and answers as
/// plugin-sdk's `CompletionSink::events` does (a [`Delivery`]), or just whether the host
/// still listens (a test's collecting closure).
pub(crate) trait Emit {
    /// Hands the batch over (the closure takes its events).
    fn emit(&mut self, events: &mut EventBatch) -> Delivery;
}

impl<F, R> Emit for F
where
    F: FnMut(&mut EventBatch) -> R,
    R: Into<Delivery>,
{
    fn emit(&mut self, events: &mut EventBatch) -> Delivery {
        self(events).into()
    }
}

/// Hands batches to the host and remembers whether its reader fell behind.
pub(crate) struct Paced<'a> {
    emit: &'a mut (dyn Emit + Send),
    /// Set by a hand-over that left the host past its high-water mark.
    behind: Option<Backlog>,
}

impl<'a> Paced<'a> {
    pub(crate) fn new(emit: &'a mut (dyn Emit + Send)) -> Self {
        Paced { emit, behind: None }
    }

    /// Hands `events` over; `false` when the host stopped listening.
    pub(crate) fn hand(&mut self, events: &mut EventBatch) -> bool {
        match self.emit.emit(events) {
            Delivery::Taken => true,
            Delivery::Behind(backlog) => {
                self.behind = Some(backlog);
                true
            }
            Delivery::Gone => false,
        }
    }

    /// Returns at once unless the last hand-over left the host's reader behind; then once
    /// the reader caught up (the host's queue is down to its low-water mark). It sleeps
    /// between looks, so the runtime's worker serves other completions meanwhile; a
    /// cancellation ends the wait at once. The idle limit does not run here (the router
    /// is not the one stalling) and the total limit is checked by the next read.
    ///
    /// # Errors
    /// `Cancelled` when the call is cancelled while waiting.
    pub(crate) async fn room(&mut self, limits: &Limits<'_>) -> Result<(), ProviderError> {
        let Some(backlog) = self.behind.take() else {
            return Ok(());
        };
        let mut look = FIRST_LOOK;
        while !backlog.has_room() {
            limits.backoff(look).await?;
            look = (look * 2).min(LONGEST_LOOK);
        }
        Ok(())
    }
}

/// The next piece of the body if it is there without waiting for the network: `None`
/// when it is not (yet).
pub(crate) async fn ready_piece(
    response: &mut reqwest::Response,
) -> Option<reqwest::Result<Option<Bytes>>> {
    StepAside(false).await;
    let mut piece = pin!(response.chunk());
    // Dropping the future after `Pending` loses nothing: a piece is taken whole or not at all.
    poll_fn(|cx| match piece.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(Some(result)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

/// Goes to the back of this worker's run queue once, behind the connection task that
/// taking the last piece woke.
struct StepAside(bool);

impl Future for StepAside {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch stops taking pieces at `MAX_EVENTS` token-sized events, or sooner once its
    /// text reaches `MAX_TEXT_BYTES`, whichever comes first.
    #[test]
    fn a_batch_is_full_at_its_event_count_or_its_text_size() {
        let mut tokens = EventBatch::new();
        while wants_more(&tokens) {
            tokens.push_content("tok ");
        }
        assert_eq!(tokens.len(), MAX_EVENTS);

        let mut big = EventBatch::new();
        let piece = "x".repeat(16 * 1024);
        while wants_more(&big) {
            big.push_content(&piece);
        }
        assert_eq!(big.text_len(), MAX_TEXT_BYTES);
        assert_eq!(big.len(), MAX_TEXT_BYTES / piece.len());
    }
}
