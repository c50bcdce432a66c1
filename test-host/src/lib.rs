//! test-host: a real CLI host for provider plugins (onboarding, chat, models,
//! a demo and a local mock router). A library too, so integration tests and
//! benchmarks can start the mock router and reuse the host's pieces.

pub mod cli;
pub mod commands;
pub mod config;
pub mod dotenv;
pub mod error;
pub mod host;
pub mod mock_router;
pub mod paths;
pub mod secrets;
pub mod swap;
