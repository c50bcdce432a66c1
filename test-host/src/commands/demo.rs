//! `test-host demo`: the whole path with no real token and no network — a
//! mock router on 127.0.0.1 that accepts only a fake key, a non-interactive
//! onboarding into a temporary state dir and config, the model list, and one
//! streamed chat through the real plugin loaded by host-sdk. The chat only
//! succeeds if the key really went from the secret store to the plugin.

use std::io::IsTerminal;

use host_sdk::{ChatRequest, Message, Plugin};

use crate::cli::{GlobalOptions, OnboardArgs};
use crate::commands::chat::{Render, footer, run_turn};
use crate::commands::models::table;
use crate::commands::onboard::{self, AUTH_CHOICE, MODE_LOCAL};
use crate::error::{CliError, CliResult};
use crate::host::{self, DEFAULT_MODEL};
use testkit::mock_router::{MockOptions, MockRouter};

/// The demo's key: fake, and the only one its mock router accepts.
pub const DEMO_KEY: &str = "hf_demo_not_a_real_token";

/// The demo's "Next:": what to run with one's own token, as the demo's
/// files and router are gone when it ends.
const NEXT: &str = "test-host onboard (your own token, in ~/.openclaw), then test-host chat; \
                    this demo's files and mock router are gone when it ends";

/// Rows of the model table the demo prints.
const SHOWN_MODELS: usize = 10;

/// Runs the demo.
///
/// # Errors
/// When the mock router, the plugin, the onboarding or the chat fails.
pub async fn run(global: &GlobalOptions) -> CliResult {
    let router = MockRouter::start(MockOptions {
        require_token: Some(DEMO_KEY.into()),
        ..MockOptions::default()
    })
    .await
    .map_err(|e| CliError::new(format!("cannot start the mock router: {e}")))?;
    let dir = tempfile::tempdir()
        .map_err(|e| CliError::new(format!("cannot create a temporary directory: {e}")))?;
    outln!(
        "mock router listening on {} (it accepts only the demo key)",
        router.base_url()
    )?;

    let plugin = host::load_plugin(global)?;
    let info = plugin.info();
    outln!(
        "loaded {} plugin {} (interface {}) from {}",
        info.provider_id,
        info.plugin_version,
        info.interface_version,
        plugin.path().display()
    )?;
    let demo = GlobalOptions {
        config: Some(dir.path().join("openclaw.json")),
        state_dir: Some(dir.path().join("state")),
        plugin: Some(plugin.path().to_path_buf()),
        base_url: Some(router.base_url()),
        verbose: global.verbose,
        color: global.color,
    };
    let result = steps(&demo, &plugin).await;
    let report = plugin.shutdown(std::time::Duration::from_secs(5));
    let printed = outln!("plugin shut down: {}", report.message);
    router.shutdown().await;
    printed?;
    result
}

async fn steps(demo: &GlobalOptions, plugin: &Plugin) -> CliResult {
    outln!(
        "\n$ test-host onboard --non-interactive --mode {MODE_LOCAL} --auth-choice {AUTH_CHOICE} --huggingface-api-key {}",
        crate::secrets::mask(DEMO_KEY)
    )?;
    let args = OnboardArgs {
        non_interactive: true,
        mode: Some(MODE_LOCAL.into()),
        auth_choice: Some(AUTH_CHOICE.into()),
        huggingface_api_key: Some(DEMO_KEY.into()),
        model: None,
        discovery_timeout: 10.0,
    };
    let mut summary = onboard::run_non_interactive(demo, &args, plugin).await?;
    // The summary's own next step names the demo's temporary files and
    // router, both gone when the demo ends.
    summary.next = NEXT.into();
    outln!("{summary}")?;

    // From here on, as `test-host chat` would: config and key from the files.
    let session = host::open(demo)?;
    // A fresh state dir has no saved list yet: fetch it now rather than
    // show whatever the background refresh has reached.
    if let Err(e) = session
        .provider
        .refresh(std::time::Duration::from_secs(10))
        .await
    {
        outln!(
            "(live model list unavailable: {}; built-in catalog shown)",
            e.message
        )?;
    }
    let models = session.provider.discover()?;
    outln!("\n$ test-host models")?;
    crate::stdout::print(format_args!(
        "{}",
        table(&models[..models.len().min(SHOWN_MODELS)])
    ))?;
    if models.len() > SHOWN_MODELS {
        outln!(
            "… and {} more ({} models in all)",
            models.len() - SHOWN_MODELS,
            models.len()
        )?;
    }

    let model = session
        .config
        .primary_model()?
        .unwrap_or_else(|| DEFAULT_MODEL.to_string());
    outln!("\n$ test-host chat --once \"Hello from the demo!\"\n")?;
    let render = Render {
        stream: true,
        reasoning: true,
        colour: demo.color.enabled(std::io::stderr().is_terminal()),
    };
    let turn = run_turn(
        &session.provider,
        &model,
        &session.config.fallbacks()?,
        vec![Message::user("Hello from the demo!")],
        &ChatRequest::new(String::new(), Vec::new()),
        render,
    )
    .await;
    if let Some(e) = turn.error {
        return Err(CliError::new(format!("the demo chat failed: {e}")));
    }
    errln!("{}", footer(&turn));
    Ok(())
}
