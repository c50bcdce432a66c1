//! testkit: what the workspace's tests and benchmarks share.
//!
//! - [`mock_router`]: a realistic local stand-in for the Hugging Face router
//!   on 127.0.0.1 (also behind `test-host mock-router` and `test-host demo`).
//! - [`fixtures`]: the recorded real router traffic in `testkit/fixtures/`.
//! - [`conformance`]: what a good client makes of each recording, and the
//!   check every layer that replays them shares.
//! - [`sse_server`]: a chat server that streams pre-rendered chunks as fast
//!   as a socket allows, for the streaming benchmark.
//! - [`cdylib`]: where the test or bench being run finds the provider plugin
//!   that cargo built for it, and building test-only library variants.
//!
//! A test-support crate, never a dependency of the plugin or the SDKs
//! themselves (only a dev-dependency), and never reaching the network.

pub mod cdylib;
pub mod conformance;
pub mod fixtures;
pub mod mock_router;
pub mod sse_server;
