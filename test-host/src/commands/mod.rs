//! One module per command.

pub mod chat;
pub mod demo;
pub mod endpoint;
pub mod mock;
pub mod models;
pub mod onboard;
pub mod plugin_info;
pub mod serve;
pub mod swap_test;
