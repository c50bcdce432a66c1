//! The Hugging Face Inference Providers router as a provider plugin.

mod auth;
mod catalog;
mod chat;
