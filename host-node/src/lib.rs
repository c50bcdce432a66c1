//! # host-node: host-sdk for Node.js
//!
//! A Node-API addon (built with napi-rs) that embeds host-sdk, so a Node
//! process -- the OpenClaw gateway, for one -- loads a provider plugin
//! in its own process: the same private verified copy, version check, panic
//! isolation and hot-swap slot as every host-sdk host, and no second process.
//!
//! The addon's raw interface (this crate) answers with plain data; the ESM
//! wrapper beside it (`index.js`, typed in `index.d.ts`) turns that into
//! idiomatic JS: `ProviderError` exceptions, `complete()` as an async iterator
//! that an `AbortSignal` cancels.
//!
//! ## Layout
//! - `host`: `Host`, one provider in a hot-swap slot: load, settings,
//!   discover, resolve, complete, refresh, swap, shutdown.
//! - `completion`: `Completion`, one running completion read in batches.
//! - `event`: a completion's events and errors as JS objects.
//! - `model`: catalog entries, resolved refs and version reports.
//! - `request`: a JS chat request (OpenAI's message shapes) into a
//!   [`host_sdk::ChatRequest`].
//! - `logs`: the plugin's log records, to a JS callback.
//!
//! ## Tests
//! `src/` has unit tests of the conversions (`cargo test -p host-node`);
//! `test/host.test.mjs` loads the addon into Node, the real plugin through it,
//! and talks to the mock router (`node --test host-node/test/`, run by
//! `clients/run`).
//!
//! ## Threads
//! Nothing here blocks Node's event loop: loading (which hashes the plugin
//! file), creating a provider, refreshing and swapping run on napi-rs's tokio
//! runtime or its blocking pool and resolve a Promise; `resolve` and starting
//! a completion are quick calls into the plugin's memory. The plugin's own
//! runtime and threads do the network work, and a completion's events reach
//! JS a batch at a time: everything the plugin produced since the last read,
//! consecutive text merged, with one Promise per batch rather than a call per
//! token.
// napi-derive's generated glue registers functions and classes with
// `unsafe` code of its own; this crate writes none.
#![allow(unsafe_code)]
// The JS-facing functions are registered with Node only in the addon build.
#![cfg_attr(test, allow(dead_code))]

mod completion;
mod event;
mod host;
mod logs;
mod model;
mod request;
