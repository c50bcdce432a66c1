//! Forwards the plugin's `tracing` events to the host's log sink.
//!
//! The plugin has its own copy of `tracing` with its own global dispatcher;
//! without this nothing it logs would reach the host. The most recent
//! provider's sink receives the records (one sink per library is the normal
//! case: one host, one provider).

use std::fmt::Write;
use std::sync::OnceLock;

use abi_stable::std_types::RStr;
use parking_lot::RwLock;
use provider_abi::abi::{LogLevel, LogSinkBox};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

struct Sink {
    sink: LogSinkBox,
    max: LogLevel,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

fn level_of(level: &Level) -> LogLevel {
    match *level {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warn,
        Level::INFO => LogLevel::Info,
        Level::DEBUG => LogLevel::Debug,
        _ => LogLevel::Trace,
    }
}

/// Installs the forwarding subscriber (once per library) and makes `sink` the
/// destination; `None` discards the plugin's records. The root module's
/// `new_provider` calls this before the plugin's own code runs.
///
/// It also installs the plugin's panic hook: the library has its own std, so
/// the hook covers panics in plugin code only. They are caught (see
/// [`guard`](crate::guard())) and returned as `PluginPanicked` errors carrying
/// the message; the location goes to the host's log instead of being printed
/// over the host's terminal.
pub fn install(sink: Option<LogSinkBox>) {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Fails only if something in this library already set a default,
        // which nothing else does.
        let _ = tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(ForwardLayer),
        );
        std::panic::set_hook(Box::new(|info| {
            tracing::error!(target: "provider_plugin::panic", "{info}");
        }));
    });
    let new = sink.map(|sink| {
        let max = sink.max_level();
        Sink { sink, max }
    });
    *SINK.write() = new;
    tracing::callsite::rebuild_interest_cache();
}

struct ForwardLayer;

impl<S: Subscriber> Layer<S> for ForwardLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        SINK.read()
            .as_ref()
            .is_some_and(|s| level_of(metadata.level()) <= s.max)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let guard = SINK.read();
        let Some(sink) = guard.as_ref() else {
            return;
        };
        let meta = event.metadata();
        let level = level_of(meta.level());
        if level > sink.max {
            return;
        }
        let mut text = MessageVisitor::default();
        event.record(&mut text);
        sink.sink.log(
            level,
            RStr::from_str(meta.target()),
            RStr::from_str(&text.finish()),
        );
    }
}

/// `message key=value key=value`, the way tracing's own formatter prints.
#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl MessageVisitor {
    fn finish(mut self) -> String {
        if !self.fields.is_empty() {
            if !self.message.is_empty() {
                self.message.push(' ');
            }
            self.message.push_str(self.fields.trim_start());
        }
        self.message
    }
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}
