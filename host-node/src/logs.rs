//! The plugin's log records (and host-sdk's own: swaps, retirements) to a JS
//! callback.
//!
//! host-sdk forwards a plugin's records into this process's `tracing`
//! dispatcher; the addon installs, once, a global subscriber whose only job is
//! to hand each record at or above the chosen level to the callback given to
//! `setLogger`, without blocking the thread that logged (a plugin runtime
//! thread): a record that cannot be queued is dropped.

use std::sync::OnceLock;

use napi::bindgen_prelude::{Error, Result, Status};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use parking_lot::RwLock;
use tracing_core::field::{Field, Visit};
use tracing_core::{Event, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// One log record.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: String,
    /// Where it comes from (the plugin's module path, or `host_sdk::…`).
    pub target: String,
    /// The message, with any structured fields after it as `key=value`.
    pub message: String,
}

/// A weak callback (it does not keep Node running), called without error
/// handling by the callee, one record per call.
type LogCallback = ThreadsafeFunction<LogRecord, (), LogRecord, Status, false, true>;

struct Logger {
    level: LevelFilter,
    callback: LogCallback,
}

static LOGGER: RwLock<Option<Logger>> = parking_lot::const_rwlock(None);
static INSTALLED: OnceLock<bool> = OnceLock::new();

fn level_filter(level: Option<&str>) -> Result<LevelFilter> {
    Ok(match level.unwrap_or("info") {
        "off" => LevelFilter::OFF,
        "error" => LevelFilter::ERROR,
        "warn" => LevelFilter::WARN,
        "info" => LevelFilter::INFO,
        "debug" => LevelFilter::DEBUG,
        "trace" => LevelFilter::TRACE,
        other => {
            return Err(Error::new(
                Status::InvalidArg,
                format!("log level `{other}`: use off, error, warn, info, debug or trace"),
            ));
        }
    })
}

/// Sends the plugin's log records at or above `level` (default `info`) to
/// `callback`, or stops sending them when `callback` is null. Call it before
/// `Host.load`: a plugin asks once, when its provider starts, how verbose to be.
#[napi(ts_args_type = "callback: ((record: LogRecord) => void) | null, level?: string")]
pub fn set_logger(callback: Option<LogCallback>, level: Option<String>) -> Result<()> {
    let level = level_filter(level.as_deref())?;
    let installed = *INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(JsLayer);
        tracing::subscriber::set_global_default(subscriber).is_ok()
    });
    if !installed {
        return Err(Error::new(
            Status::GenericFailure,
            "another tracing subscriber is installed in this process; the addon's log records go there",
        ));
    }
    *LOGGER.write() = callback.map(|callback| Logger { level, callback });
    // The level decides which records are built at all (see `max_level_hint`).
    tracing_core::callsite::rebuild_interest_cache();
    Ok(())
}

fn current_level() -> LevelFilter {
    LOGGER.read().as_ref().map_or(LevelFilter::OFF, |l| l.level)
}

struct JsLayer;

impl<S: Subscriber> Layer<S> for JsLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        *metadata.level() <= current_level()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(current_level())
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let logger = LOGGER.read();
        let Some(logger) = logger.as_ref() else {
            return;
        };
        let meta = event.metadata();
        if *meta.level() > logger.level {
            return;
        }
        let mut message = Message::default();
        event.record(&mut message);
        let record = LogRecord {
            level: meta.level().as_str().to_ascii_lowercase(),
            target: meta.target().to_string(),
            message: message.into_text(),
        };
        logger
            .callback
            .call(record, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// The `message` field first, then the others as `key=value`.
#[derive(Default)]
struct Message {
    text: String,
    fields: String,
}

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.text.insert_str(0, value);
        } else {
            self.push_field(field, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let value = format!("{value:?}");
        if field.name() == "message" {
            self.text.insert_str(0, &value);
        } else {
            self.push_field(field, &value);
        }
    }
}

impl Message {
    fn into_text(mut self) -> String {
        self.text.push_str(&self.fields);
        self.text
    }

    fn push_field(&mut self, field: &Field, value: &str) {
        self.fields.push(' ');
        self.fields.push_str(field.name());
        self.fields.push('=');
        self.fields.push_str(value);
    }
}
