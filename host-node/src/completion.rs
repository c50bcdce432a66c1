//! One running completion, read from JS a batch at a time.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use host_sdk::{ChatStream, ProviderError};
use napi_derive::napi;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::event::{Batch, Event};

/// Raw events at most in one batch, so a reader that falls far behind still
/// gets its first events quickly and the batch stays a bounded allocation.
const MAX_BATCH: usize = 4096;

/// A completion in progress. `next()` resolves to the next batch of events
/// (everything the plugin has produced since the last call, at least one
/// event), then to `null` once the stream has ended; an `error` event is
/// always the last. `cancel()` stops it at once: the upstream connection is
/// closed and the stream ends with a `cancelled` error.
#[napi]
pub struct Completion {
    /// `None` once the stream has ended (its in-flight count is released).
    stream: Mutex<Option<ChatStream>>,
    /// Why the completion could not start, until `next()` reports it.
    refused: parking_lot::Mutex<Option<ProviderError>>,
    cancel: CancellationToken,
}

impl Completion {
    pub(crate) fn new(stream: ChatStream) -> Completion {
        Completion {
            stream: Mutex::new(Some(stream)),
            refused: parking_lot::Mutex::new(None),
            cancel: CancellationToken::new(),
        }
    }

    /// A completion that never started: its only event is `error`.
    pub(crate) fn refused(error: ProviderError) -> Completion {
        Completion {
            stream: Mutex::new(None),
            refused: parking_lot::Mutex::new(Some(error)),
            cancel: CancellationToken::new(),
        }
    }
}

#[napi]
impl Completion {
    /// The next batch of events, or `null` when the stream has ended.
    #[napi(ts_return_type = "Promise<Event[] | null>")]
    pub async fn next(&self) -> Option<Vec<Event>> {
        if let Some(error) = self.refused.lock().take() {
            return Some(vec![Event::error(&error)]);
        }
        let mut guard = self.stream.lock().await;
        let stream = guard.as_mut()?;
        let mut cancelled = false;
        let first = loop {
            tokio::select! {
                biased;
                () = self.cancel.cancelled(), if !cancelled => {
                    stream.cancel();
                    cancelled = true;
                }
                item = stream.next() => break item,
            }
        };
        let mut batch = Batch::default();
        match first {
            Some(item) => batch.push(item),
            None => {
                *guard = None;
                return None;
            }
        }
        // Everything else that is ready now, without waiting.
        let mut cx = Context::from_waker(Waker::noop());
        while batch.added() < MAX_BATCH && !batch.ended() {
            match Pin::new(&mut *stream).poll_next(&mut cx) {
                Poll::Ready(Some(item)) => batch.push(item),
                Poll::Ready(None) => {
                    *guard = None;
                    break;
                }
                Poll::Pending => break,
            }
        }
        if batch.ended() {
            *guard = None;
        }
        Some(batch.into_events())
    }

    /// Stops the completion now. Idempotent; harmless after the end.
    #[napi]
    pub fn cancel(&self) {
        self.cancel.cancel();
        // Nobody is waiting in `next()` (it holds the lock while it waits,
        // and reacts to the token itself): cancel directly.
        if let Ok(mut guard) = self.stream.try_lock()
            && let Some(stream) = guard.as_mut()
        {
            stream.cancel();
        }
    }
}
