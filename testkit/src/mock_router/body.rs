//! Response bodies written as a script of writes, pauses and an optional abort.
//!
//! hyper coalesces body frames that are ready at the same time into one
//! socket write, so "send these bytes as separate writes" needs the body to
//! return `Pending` in between: a [`Step::Flush`] does exactly that (it wakes
//! itself at once, so it costs a scheduler turn, not a timer tick), and a
//! [`Step::Pause`] really waits.

use std::{
    collections::VecDeque,
    future::Future as _,
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::body::Body;
use bytes::Bytes;
use futures_core::Stream;
use tokio::time::Sleep;

/// One step of a scripted body.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Bytes to send.
    Data(Bytes),
    /// Let hyper write out what it has before the next step.
    Flush,
    /// Wait this long (zero behaves like `Flush`).
    Pause(Duration),
    /// End the body with an error: hyper aborts the connection mid-message,
    /// so the client sees a broken chunked body rather than a clean end.
    Abort,
}

/// A body stream playing a list of [`Step`]s.
pub(crate) struct ScriptBody {
    steps: VecDeque<Step>,
    sleep: Option<Pin<Box<Sleep>>>,
    live: Option<LiveBody>,
}

/// Counts a body as live until hyper drops it: when the response was fully
/// written, or the connection closed under it. A body still live after the
/// client gave up means the client left a connection hanging.
struct LiveBody(Arc<AtomicUsize>);

impl Drop for LiveBody {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ScriptBody {
    pub(crate) fn new(steps: Vec<Step>) -> Self {
        Self {
            steps: steps.into(),
            sleep: None,
            live: None,
        }
    }

    /// The same body, counted in `live` while hyper holds it.
    pub(crate) fn counted(mut self, live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::AcqRel);
        self.live = Some(LiveBody(Arc::clone(live)));
        self
    }

    pub(crate) fn into_body(self) -> Body {
        Body::from_stream(self)
    }
}

impl Stream for ScriptBody {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(sleep) = this.sleep.as_mut() {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.sleep = None;
            }
            match this.steps.pop_front() {
                None => return Poll::Ready(None),
                Some(Step::Data(bytes)) => return Poll::Ready(Some(Ok(bytes))),
                Some(Step::Pause(delay)) if !delay.is_zero() => {
                    this.sleep = Some(Box::pin(tokio::time::sleep(delay)));
                }
                Some(Step::Flush | Step::Pause(_)) => {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Some(Step::Abort) => {
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "mock router aborted the response",
                    ))));
                }
            }
        }
    }
}

/// Cuts `bytes` into `piece`-byte writes, each followed by a flush.
pub(crate) fn pieces(bytes: &[u8], piece: usize, steps: &mut Vec<Step>) {
    for chunk in bytes.chunks(piece.max(1)) {
        steps.push(Step::Data(Bytes::copy_from_slice(chunk)));
        steps.push(Step::Flush);
    }
}
