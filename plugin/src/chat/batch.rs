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

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use bytes::Bytes;

/// At most this many events go to the host at once, so that a host falling far behind a
/// fast backend still sees its first events soon, and batches waiting for the host stay
/// small (the streaming benchmark's 500 concurrent streams peaked at 211 MB with 1024 and
/// every event converted on arrival, 174 MB with 256 and events converted as they are
/// read). A crossing costs about what a few tokens do, so 256 keeps it negligible.
pub(crate) const MAX_EVENTS: usize = 256;

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
