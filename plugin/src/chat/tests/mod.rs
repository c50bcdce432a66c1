//! Tests of the chat module as a whole: the recorded-traffic conformance
//! suite, and the transcript the module's tests fold events into.

mod conformance;
pub(crate) mod transcript;
