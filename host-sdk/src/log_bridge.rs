//! Forwards a plugin's log records into the host's `tracing` subscriber with
//! their own level and target.
//!
//! `tracing` wants `'static` callsite metadata, but a plugin's targets are only
//! known at run time. Each distinct (level, target) pair therefore gets one
//! leaked callsite, registered like a macro-generated one. The number of pairs
//! is bounded by the plugin's module count; past [`MAX_CALLSITES`] records fall
//! back to a shared `provider_plugin` target so a misbehaving plugin cannot
//! grow memory without bound.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use abi_stable::std_types::RStr;
use parking_lot::RwLock;
use tracing_core::callsite::{Callsite, Identifier};
use tracing_core::field::{FieldSet, Value};
use tracing_core::metadata::Kind;
use tracing_core::subscriber::Interest;
use tracing_core::{Event, Level, Metadata, dispatcher};

use provider_abi::abi::{LogLevel, LogSink};

const MAX_CALLSITES: usize = 512;
const FALLBACK_TARGET: &str = "provider_plugin";

struct DynCallsite {
    metadata: OnceLock<Metadata<'static>>,
    interest: AtomicU8,
}

impl Callsite for DynCallsite {
    fn set_interest(&self, interest: Interest) {
        let value = if interest.is_never() {
            0
        } else if interest.is_always() {
            2
        } else {
            1
        };
        self.interest.store(value, Ordering::Relaxed);
    }

    fn metadata(&self) -> &Metadata<'_> {
        // Set right after the leak in `callsite`, before registration, so the
        // fallback is never used in practice; it only avoids a panic path.
        match self.metadata.get() {
            Some(meta) => meta,
            None => UNSET
                .metadata
                .get_or_init(|| metadata_for(&UNSET, Level::INFO, FALLBACK_TARGET)),
        }
    }
}

static UNSET: DynCallsite = DynCallsite {
    metadata: OnceLock::new(),
    interest: AtomicU8::new(1),
};

fn metadata_for(cs: &'static DynCallsite, level: Level, target: &'static str) -> Metadata<'static> {
    Metadata::new(
        "provider plugin event",
        target,
        level,
        None,
        None,
        None,
        FieldSet::new(&["message"], Identifier(cs)),
        Kind::EVENT,
    )
}

type CallsiteMap = RwLock<HashMap<(u8, String), &'static DynCallsite>>;

fn callsites() -> &'static CallsiteMap {
    static MAP: OnceLock<CallsiteMap> = OnceLock::new();
    MAP.get_or_init(Default::default)
}

fn callsite(level: Level, target: &str) -> &'static DynCallsite {
    let key_level = level_key(level);
    if let Some(cs) = callsites().read().get(&(key_level, target.to_string())) {
        return cs;
    }
    let mut map = callsites().write();
    let target = if map.len() >= MAX_CALLSITES {
        FALLBACK_TARGET
    } else {
        target
    };
    if let Some(cs) = map.get(&(key_level, target.to_string())) {
        return cs;
    }
    let cs: &'static DynCallsite = Box::leak(Box::new(DynCallsite {
        metadata: OnceLock::new(),
        interest: AtomicU8::new(1),
    }));
    let leaked_target: &'static str = Box::leak(target.to_string().into_boxed_str());
    let _ = cs.metadata.set(metadata_for(cs, level, leaked_target));
    tracing_core::callsite::register(cs);
    map.insert((key_level, target.to_string()), cs);
    cs
}

fn level_key(level: Level) -> u8 {
    match level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        _ => 5,
    }
}

fn to_level(level: LogLevel) -> Option<Level> {
    match level {
        LogLevel::Off => None,
        LogLevel::Error => Some(Level::ERROR),
        LogLevel::Warn => Some(Level::WARN),
        LogLevel::Info => Some(Level::INFO),
        LogLevel::Debug => Some(Level::DEBUG),
        LogLevel::Trace => Some(Level::TRACE),
    }
}

/// Dispatches one plugin record to the current `tracing` dispatcher.
pub(crate) fn forward(level: LogLevel, target: &str, message: &str) {
    let Some(level) = to_level(level) else {
        return;
    };
    let cs = callsite(level, target);
    if cs.interest.load(Ordering::Relaxed) == 0 {
        return;
    }
    let Some(meta) = cs.metadata.get() else {
        return;
    };
    dispatcher::get_default(|dispatch| {
        if !dispatch.enabled(meta) {
            return;
        }
        let fields = meta.fields();
        let Some(field) = fields.field("message") else {
            return;
        };
        let text = format_args!("{message}");
        let values: [(&_, Option<&dyn Value>); 1] = [(&field, Some(&text))];
        dispatch.event(&Event::new(meta, &fields.value_set(&values)));
    });
}

/// The most verbose level the host's subscriber currently wants.
fn host_max_level() -> LogLevel {
    use tracing_core::LevelFilter;
    match LevelFilter::current() {
        LevelFilter::OFF => LogLevel::Off,
        LevelFilter::ERROR => LogLevel::Error,
        LevelFilter::WARN => LogLevel::Warn,
        LevelFilter::INFO => LogLevel::Info,
        LevelFilter::DEBUG => LogLevel::Debug,
        _ => LogLevel::Trace,
    }
}

/// The host side of the plugin's log sink.
pub(crate) struct TracingLogSink;

impl LogSink for TracingLogSink {
    fn max_level(&self) -> LogLevel {
        host_max_level()
    }

    fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>) {
        forward(level, target.as_str(), message.as_str());
    }
}
