//! A complete third-party host in a few dozen lines, using only host-sdk:
//! load the plugin, discover, resolve, stream a chat, shut down.
//!
//! ```sh
//! minimal-host PLUGIN_PATH BASE_URL [MODEL_REF] [PROMPT]
//! ```

use std::io::Write;
use std::time::Duration;

use host_sdk::{ChatEvent, ChatRequest, HostContext, Message, Plugin, Provider};

#[tokio::main]
async fn main() {
    // Every host-sdk error's Display is one readable line.
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(plugin_path), Some(base_url)) = (args.next(), args.next()) else {
        eprintln!("usage: minimal-host PLUGIN_PATH BASE_URL [MODEL_REF] [PROMPT]");
        std::process::exit(2);
    };
    let model = args
        .next()
        .unwrap_or_else(|| "huggingface/deepseek-ai/DeepSeek-R1".into());
    let prompt = args.next().unwrap_or_else(|| "Hello!".into());

    // 1. Load: a bad file is an error value with one readable line, never a crash.
    let plugin = Plugin::load(&plugin_path)?;
    let info = plugin.info();
    println!(
        "loaded {} {} (interface {})",
        info.provider_id, info.plugin_version, info.interface_version
    );

    // 2. Create a provider; the settings are the plugin's documented JSON.
    let settings = serde_json::json!({ "baseUrl": base_url, "discovery": { "enabled": false } });
    let provider = Provider::new(&plugin, HostContext::new("minimal-host", "0.1"), &settings)?;

    // 3. Discover and resolve: answered from memory, never waits on the network.
    println!("{} models", provider.discover()?.len());
    let resolved = provider.resolve(&model)?;
    println!(
        "resolved {} as '{}'",
        resolved.model_ref, resolved.display_name
    );

    // 4. Stream a chat; dropping the stream would cancel it.
    let mut stream = provider.complete(ChatRequest::new(
        resolved.model_ref,
        vec![Message::user(prompt)],
    ));
    let mut stdout = std::io::stdout();
    while let Some(event) = stream.next().await {
        match event? {
            ChatEvent::ServedBy { backend, .. } => {
                println!("served by {}", backend.as_deref().unwrap_or("?"))
            }
            ChatEvent::Reasoning(text) => eprint!("{text}"),
            ChatEvent::Content(text) => {
                print!("{text}");
                stdout.flush()?;
            }
            ChatEvent::Usage(u) => println!("\n[{} tokens]", u.total_tokens),
            ChatEvent::Done { finish_reason } => println!("[done: {finish_reason}]"),
            _ => {}
        }
    }

    // 5. Shut down: stops the plugin's threads; the library stays mapped.
    let report = plugin.shutdown(Duration::from_secs(5));
    println!("shutdown: {}", report.message);
    Ok(())
}
