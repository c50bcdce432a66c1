//! The trait objects that cross the boundary: the provider (plugin-implemented),
//! and the event sink, log sink and completion handle.

use abi_stable::{
    StableAbi, sabi_trait,
    std_types::{RBox, ROption, RResult, RStr, RVec},
};

#[cfg(not(feature = "interface-prev"))]
use super::AbiEventBatch;
use super::{
    AbiChatEvent_NE, AbiChatRequest, AbiError, AbiModelInfo, AbiRefreshReport, AbiResolvedModel,
};

/// The host's event sink, with the methods appended after its prefix given
/// as tokens: the test-only `interface-prev` build leaves them out, to be a
/// host of interface 2.0 (`#[cfg]` on one method of a `#[sabi_trait]` does not
/// compile).
macro_rules! event_sink {
    ($($appended:tt)*) => {
        /// Receives a completion's events. Implemented by the host, called from the
        /// plugin's runtime threads.
        ///
        /// Every method must return quickly and must not call back into the plugin.
        /// None may block waiting for the host's reader (the plugin's runtime has
        /// few threads, and a blocked one stalls other completions): a host that
        /// falls behind says so through `backlog` (2.2.0), and the plugin waits.
        #[sabi_trait]
        pub trait EventSink: Send + Sync {
            /// One event. Returns `false` when nobody listens any more, which makes the
            /// plugin stop the completion and close its connection.
            fn event(&self, event: AbiChatEvent_NE) -> bool;

            /// The end of the stream: `RNone` after a `Done` event, or the error that
            /// ended it. Called exactly once.
            #[sabi(last_prefix_field)]
            fn finish(&self, error: ROption<AbiError>);

            $($appended)*
        }
    };
}

#[cfg(not(feature = "interface-prev"))]
event_sink! {
    /// Several events, in order: everything one read of the answer produced,
    /// in one call (one crossing and one wake-up of the reader per read
    /// instead of one per token), with their text in one buffer instead of
    /// one string each. Returns `false` as [`EventSink::event`] does. Never
    /// called with an empty batch.
    ///
    /// Added in interface 2.1.0, after the last prefix method and with a
    /// default body: a host of 2.0 has no such method in its vtable, so a
    /// plugin calling it runs this body, which hands the events to `event`
    /// one by one.
    fn events(&self, batch: AbiEventBatch) -> bool {
        for event in batch.into_abi_events() {
            if !self.event(event) {
                return false;
            }
        }
        true
    }

    /// How many bytes of this completion's events the host holds that its
    /// reader has not taken yet. A plugin reads its answer no further while
    /// this is high (see plugin-sdk's `CompletionSink::events`): a reader
    /// that does not read then slows the upstream read instead of making the
    /// host buffer the whole answer. An estimate is fine: it is compared
    /// with a high-water mark (plugin-sdk's: 256 KiB).
    ///
    /// Added in interface 2.2.0, after `events` and with a default body: a
    /// host of 2.0 or 2.1 has no such method in its vtable, so a plugin
    /// calling it runs this body, which reports an empty queue, and streams
    /// as it did before 2.2 (without backpressure).
    fn backlog(&self) -> u64 {
        0
    }
}

#[cfg(feature = "interface-prev")]
event_sink! {}

/// An owned [`EventSink`] trait object.
pub type EventSinkBox = EventSink_TO<'static, RBox<()>>;

/// Controls one running completion. Implemented by the plugin.
///
/// Dropping the handle cancels the completion too, so a host that drops its
/// stream never leaves a transfer running.
#[sabi_trait]
pub trait CompletionHandle: Send + Sync {
    /// Stops the completion promptly: the connection is closed and the sink's
    /// `finish` receives a `Cancelled` error (unless it already finished).
    #[sabi(last_prefix_field)]
    fn cancel(&self);
}

/// An owned [`CompletionHandle`] trait object.
pub type CompletionHandleBox = CompletionHandle_TO<'static, RBox<()>>;

/// Log levels, most severe first. `Off` disables the plugin's logging.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(missing_docs)] // the usual log levels
pub enum LogLevel {
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

/// Receives the plugin's log records. Implemented by the host.
///
/// The plugin has its own copy of `tracing` whose global subscriber is not the
/// host's; it forwards its events here instead.
#[sabi_trait]
pub trait LogSink: Send + Sync {
    /// The most verbose level the host wants; the plugin filters before calling `log`.
    fn max_level(&self) -> LogLevel;

    /// One record, already formatted (`message key=value ...`).
    #[sabi(last_prefix_field)]
    fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>);
}

/// An owned [`LogSink`] trait object.
pub type LogSinkBox = LogSink_TO<'static, RBox<()>>;

/// A provider instance. Implemented by the plugin.
///
/// `discover` and `resolve` answer from memory and never wait on the network,
/// so hosts may call them from any thread, async or not.
#[sabi_trait]
pub trait ProviderApi: Send + Sync {
    /// The catalog as it is in memory right now.
    fn discover(&self) -> RResult<RVec<AbiModelInfo>, AbiError>;

    /// Resolves a model ref or alias against the catalog.
    fn resolve(&self, model_ref: RStr<'_>) -> RResult<AbiResolvedModel, AbiError>;

    /// Starts a completion; its events go to `sink` from the plugin's threads.
    /// Errors, including ones found before any request is sent, arrive through
    /// `sink.finish`.
    fn complete(&self, request: AbiChatRequest, sink: EventSinkBox) -> CompletionHandleBox;

    /// Refreshes the catalog from the router now, waiting at most
    /// `timeout_ms`; on failure the catalog in memory is unchanged.
    #[sabi(last_prefix_field)]
    fn refresh(&self, timeout_ms: u64) -> RResult<AbiRefreshReport, AbiError>;
}

/// An owned [`ProviderApi`] trait object.
pub type ProviderBox = ProviderApi_TO<'static, RBox<()>>;
