//! The two objects of one completion: the host's sink, finished exactly once,
//! and the handle the host cancels it with.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RNone, ROption, RSome};
use provider_abi::abi::{
    AbiChatEvent_NE, AbiError, AbiEventBatch, CompletionHandle, CompletionHandle_TO,
    CompletionHandleBox, EventSinkBox,
};
use provider_abi::{ChatEvent, ErrorKind, EventBatch, ProviderError};

use crate::backlog::{BACKLOG_HIGH_WATER, Backlog, Delivery, backlog_of};

/// The host's event sink for one completion, finished exactly once.
///
/// The first [`CompletionSink::finish`] wins; later ones are ignored. If the
/// sink is dropped unfinished — the task that owned it was dropped because
/// the plugin's runtime shut down under it — it finishes with an
/// `Unavailable` error, so the host's stream always ends.
///
/// [`CompletionSink::events`] also says when the host's reader fell behind
/// (see [`Delivery`]): a completion then reads no further until it caught up.
pub struct CompletionSink {
    /// Shared with the [`Backlog`] a completion watches while it waits.
    sink: Arc<EventSinkBox>,
    finished: AtomicBool,
}

impl std::fmt::Debug for CompletionSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompletionSink")
            .field("finished", &self.finished)
            .finish()
    }
}

impl CompletionSink {
    /// Wraps the sink the host passed to `complete`.
    pub fn new(sink: EventSinkBox) -> Self {
        CompletionSink {
            sink: Arc::new(sink),
            finished: AtomicBool::new(false),
        }
    }

    /// Sends one event. Returns `false` when the host stopped listening: stop
    /// the completion and close its connection.
    pub fn event(&self, event: ChatEvent) -> bool {
        match AbiChatEvent_NE::try_from(event) {
            Ok(event) => self.sink.event(event),
            // `Unknown` exists only on the host side: nothing to send.
            Err(_) => true,
        }
    }

    /// Sends a batch of events, in order, in one call to the host (a host of
    /// interface 2.0, which has no batch method, receives them one by one).
    /// An empty batch sends nothing.
    ///
    /// [`Delivery::Gone`] when the host stopped listening (as
    /// [`CompletionSink::event`]'s `false`); [`Delivery::Behind`] when the
    /// host now holds more than [`BACKLOG_HIGH_WATER`] bytes unread: read
    /// the answer no further until the returned [`Backlog`] has room. Asking
    /// costs one more call to the host per batch (an atomic load there); a
    /// host older than interface 2.2 always has room.
    pub fn events(&self, batch: EventBatch) -> Delivery {
        if batch.is_empty() {
            return Delivery::Taken;
        }
        if !send_batch(&self.sink, AbiEventBatch::from(batch)) {
            return Delivery::Gone;
        }
        if backlog_of(&self.sink) > BACKLOG_HIGH_WATER {
            Delivery::Behind(Backlog::new(Arc::clone(&self.sink)))
        } else {
            Delivery::Taken
        }
    }

    /// Sends one event already in its ABI form (for a plugin that builds ABI
    /// values itself). Returns `false` as [`CompletionSink::event`] does.
    pub fn event_abi(&self, event: AbiChatEvent_NE) -> bool {
        self.sink.event(event)
    }

    /// Ends the stream: `None` after a `Done` event, or the error that ended
    /// it. Only the first call reaches the host.
    pub fn finish(&self, error: Option<ProviderError>) {
        self.finish_abi(error.map(AbiError::from));
    }

    /// [`CompletionSink::finish`] with an error already in its ABI form.
    pub fn finish_abi(&self, error: Option<AbiError>) {
        if self.finished.swap(true, Ordering::AcqRel) {
            return;
        }
        let error: ROption<AbiError> = match error {
            Some(e) => RSome(e),
            None => RNone,
        };
        self.sink.finish(error);
    }
}

#[cfg(not(feature = "interface-prev"))]
fn send_batch(sink: &EventSinkBox, batch: AbiEventBatch) -> bool {
    sink.events(batch)
}

/// Built as interface 2.0 (test-only `interface-prev`), the sink has no batch
/// method.
#[cfg(feature = "interface-prev")]
fn send_batch(sink: &EventSinkBox, batch: AbiEventBatch) -> bool {
    batch
        .into_abi_events()
        .into_iter()
        .all(|event| sink.event(event))
}

impl Drop for CompletionSink {
    fn drop(&mut self) {
        self.finish(Some(ProviderError::new(
            ErrorKind::Unavailable,
            "the plugin was shut down while the completion ran",
        )));
    }
}

/// A completion handle that calls `cancel` when the host cancels *and* when
/// the host drops the handle, so a dropped stream never leaves its transfer
/// running. `cancel` may run more than once and must be cheap (it runs on
/// the host's thread).
pub fn cancel_handle(cancel: impl Fn() + Send + Sync + 'static) -> CompletionHandleBox {
    CompletionHandle_TO::from_value(CancelOnDrop(cancel), TD_Opaque)
}

struct CancelOnDrop<F: Fn() + Send + Sync>(F);

impl<F: Fn() + Send + Sync> CompletionHandle for CancelOnDrop<F> {
    fn cancel(&self) {
        (self.0)();
    }
}

impl<F: Fn() + Send + Sync> Drop for CancelOnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    use abi_stable::std_types::RBox;
    use parking_lot::Mutex;
    use provider_abi::abi::{EventSink, EventSink_TO};

    #[derive(Default)]
    struct Recorded {
        events: Mutex<Vec<ChatEvent>>,
        finishes: Mutex<Vec<Option<ProviderError>>>,
    }

    struct TestSink(Arc<Recorded>);

    impl EventSink for TestSink {
        fn event(&self, event: AbiChatEvent_NE) -> bool {
            self.0.events.lock().push(event.into());
            true
        }

        fn finish(&self, error: ROption<AbiError>) {
            self.0
                .finishes
                .lock()
                .push(error.into_option().map(ProviderError::from));
        }
    }

    fn sink() -> (CompletionSink, Arc<Recorded>) {
        let recorded = Arc::new(Recorded::default());
        let abi: EventSink_TO<'static, RBox<()>> =
            EventSink_TO::from_value(TestSink(Arc::clone(&recorded)), TD_Opaque);
        (CompletionSink::new(abi), recorded)
    }

    #[test]
    fn finishes_once_and_drop_after_finish_sends_nothing() {
        let (sink, recorded) = sink();
        assert!(sink.event(ChatEvent::Content("hi".into())));
        sink.finish(None);
        sink.finish(Some(ProviderError::new(ErrorKind::Internal, "late")));
        drop(sink);
        assert_eq!(*recorded.events.lock(), [ChatEvent::Content("hi".into())]);
        assert_eq!(*recorded.finishes.lock(), [None]);
    }

    /// A host whose sink has no batch method of its own (as a host of 2.0
    /// has none in its vtable) gets a batch through the default body: every
    /// event, in order, through `event`. An empty batch sends nothing.
    #[test]
    fn a_batch_reaches_a_sink_without_the_batch_method_event_by_event() {
        let (sink, recorded) = sink();
        let events = vec![
            ChatEvent::Content("a".into()),
            ChatEvent::Reasoning("b".into()),
            ChatEvent::Content("c".into()),
            ChatEvent::Done {
                finish_reason: "stop".into(),
            },
        ];
        assert!(matches!(sink.events(EventBatch::new()), Delivery::Taken));
        // Nor a backlog method: the default body's empty queue, always room.
        assert!(matches!(
            sink.events(EventBatch::from(events.clone())),
            Delivery::Taken
        ));
        assert_eq!(*recorded.events.lock(), events);
    }

    /// Sinks of interface 2.2, with the batch and backlog methods (the
    /// test-only `interface-prev` build has neither).
    #[cfg(not(feature = "interface-prev"))]
    mod backlog {
        use super::*;
        use crate::BACKLOG_LOW_WATER;

        /// A host that reports its unread bytes: a sink that reports more than
        /// the high-water mark.
        struct QueueingSink {
            unread: Arc<std::sync::atomic::AtomicU64>,
            listening: bool,
        }

        impl EventSink for QueueingSink {
            fn event(&self, _event: AbiChatEvent_NE) -> bool {
                self.listening
            }

            fn events(&self, batch: AbiEventBatch) -> bool {
                self.unread
                    .fetch_add(batch.bytes() as u64, Ordering::SeqCst);
                self.listening
            }

            fn finish(&self, _error: ROption<AbiError>) {}

            fn backlog(&self) -> u64 {
                self.unread.load(Ordering::SeqCst)
            }
        }

        fn queueing(listening: bool) -> (CompletionSink, Arc<std::sync::atomic::AtomicU64>) {
            let unread = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let sink = QueueingSink {
                unread: Arc::clone(&unread),
                listening,
            };
            let abi: EventSink_TO<'static, RBox<()>> = EventSink_TO::from_value(sink, TD_Opaque);
            (CompletionSink::new(abi), unread)
        }

        fn text(bytes: usize) -> EventBatch {
            let mut batch = EventBatch::new();
            batch.push_content(&"x".repeat(bytes));
            batch
        }

        /// Past the high-water mark the sink says the reader is behind, and its
        /// backlog has room again once the reader took all but the low-water mark.
        #[test]
        fn a_host_past_the_high_water_mark_is_behind_until_it_reads() {
            let (sink, unread) = queueing(true);
            // A little under half each: a batch weighs its text and its items.
            let half = usize::try_from(BACKLOG_HIGH_WATER / 2).unwrap() - 64;
            assert!(matches!(sink.events(text(half)), Delivery::Taken));
            assert!(matches!(sink.events(text(half)), Delivery::Taken));
            let Delivery::Behind(backlog) = sink.events(text(1024)) else {
                panic!("past the mark without being told");
            };
            assert!(backlog.bytes() > BACKLOG_HIGH_WATER);
            assert!(!backlog.has_room());
            unread.store(BACKLOG_LOW_WATER + 1, Ordering::SeqCst);
            assert!(!backlog.has_room());
            unread.store(BACKLOG_LOW_WATER, Ordering::SeqCst);
            assert!(backlog.has_room());
        }

        #[test]
        fn a_host_that_stopped_listening_is_gone_whatever_its_backlog() {
            let (sink, unread) = queueing(false);
            unread.store(u64::MAX, Ordering::SeqCst);
            let delivery = sink.events(text(1));
            assert!(matches!(delivery, Delivery::Gone));
            assert!(!delivery.listening());
        }
    }

    #[test]
    fn an_unfinished_sink_finishes_with_an_error_when_dropped() {
        let (sink, recorded) = sink();
        drop(sink);
        let finishes = recorded.finishes.lock();
        let error = finishes[0].as_ref().map(|e| e.kind);
        assert_eq!(error, Some(ErrorKind::Unavailable));
    }

    #[test]
    fn the_handle_cancels_on_cancel_and_on_drop() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let handle = cancel_handle(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        handle.cancel();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        drop(handle);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
