//! Tests of the chat module as a whole: the recorded-traffic conformance
//! suite, the token's redaction from what an upstream sends back, and the
//! transcript the module's tests fold events into.

mod conformance;
mod redaction;
pub(crate) mod transcript;
