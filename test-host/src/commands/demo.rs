//! `test-host demo`: the whole path with no token and no network — a mock
//! router on 127.0.0.1, the real plugin loaded through host-sdk, one streamed
//! chat.

use std::io::IsTerminal;

use host_sdk::{ChatRequest, Message, Plugin};
use serde_json::json;

use crate::cli::GlobalOptions;
use crate::commands::chat::{Render, footer, run_turn};
use crate::error::{CliError, CliResult};
use crate::host::{self, DEFAULT_MODEL};
use crate::mock_router::{MockOptions, MockRouter};
use crate::paths;

/// Runs the demo.
pub async fn run(global: &GlobalOptions) -> CliResult {
    let router = MockRouter::start(MockOptions::default())
        .await
        .map_err(|e| CliError::new(format!("cannot start the mock router: {e}")))?;
    let state = tempfile::tempdir()
        .map_err(|e| CliError::new(format!("cannot create a temporary state dir: {e}")))?;
    println!("mock router listening on {}", router.base_url());

    let plugin = Plugin::load(paths::plugin_path(global.plugin.as_deref())?)?;
    let info = plugin.info();
    println!(
        "loaded {} plugin {} (interface {}) from {}",
        info.provider_id,
        info.plugin_version,
        info.interface_version,
        plugin.path().display()
    );
    let settings = json!({
        "baseUrl": router.base_url(),
        "stateDir": state.path(),
    });
    let provider = plugin.new_provider(host::host_context(), &settings)?;
    let models = provider.discover()?;
    println!("{} models in the catalog", models.len());

    println!("\n> Hello from the demo!\n");
    let colour = std::io::stderr().is_terminal();
    let render = Render {
        stream: true,
        reasoning: true,
        colour,
    };
    let turn = run_turn(
        &provider,
        DEFAULT_MODEL,
        &[],
        vec![Message::user("Hello from the demo!")],
        &ChatRequest::new(String::new(), Vec::new()),
        render,
    )
    .await;
    if let Some(e) = turn.error {
        return Err(CliError::new(format!("the demo chat failed: {e}")));
    }
    eprintln!("{}", footer(&turn));
    let report = plugin.shutdown(std::time::Duration::from_secs(5));
    println!("plugin shut down: {}", report.message);
    router.shutdown().await;
    Ok(())
}
