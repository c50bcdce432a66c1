//! A complete third-party host in a few dozen lines, using only host-sdk:
//! load the plugin, discover, resolve, stream a chat, shut down.
//!
//! ```sh
//! minimal-host PLUGIN_PATH BASE_URL [MODEL_REF] [PROMPT]
//! ```

use std::io::Write;
use std::time::Duration;

use host_sdk::{ChatEvent, ChatRequest, ChatResponse, HostContext, Message, Plugin, Provider};

const USAGE: &str = "usage: minimal-host PLUGIN_PATH BASE_URL [MODEL_REF] [PROMPT]";

#[tokio::main]
async fn main() {
    // Every host-sdk error's Display is one readable line.
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().is_some_and(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let (Some(plugin_path), Some(base_url)) = (args.next(), args.next()) else {
        eprintln!("{USAGE}");
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

    // 4. Stream a chat; dropping the stream would cancel it. Reasoning goes
    // to stderr, the answer to stdout; tool calls arrive in pieces, which
    // ChatResponse assembles.
    let mut stream = provider.complete(ChatRequest::new(
        resolved.model_ref,
        vec![Message::user(prompt)],
    ));
    let (mut answer, mut thinking, mut mid_line) = (ChatResponse::default(), false, false);
    while let Some(event) = stream.next().await {
        let event = event?;
        answer.apply(&event);
        match event {
            ChatEvent::ServedBy { backend, .. } => {
                println!("served by {}", backend.as_deref().unwrap_or("?"))
            }
            ChatEvent::Reasoning(text) => {
                eprint!("{}{text}", if thinking { "" } else { "thinking: " });
                thinking = true;
            }
            ChatEvent::Content(text) => {
                end_line(&mut thinking, &mut false);
                print!("{text}");
                std::io::stdout().flush()?;
                mid_line = !text.ends_with('\n');
            }
            ChatEvent::Usage(u) => {
                end_line(&mut thinking, &mut mid_line);
                println!("[{} tokens]", u.total_tokens)
            }
            ChatEvent::Done { finish_reason } => {
                end_line(&mut thinking, &mut mid_line);
                for call in &answer.tool_calls {
                    println!("[tool call {}({})]", call.name, call.arguments);
                }
                println!("[done: {finish_reason}]")
            }
            _ => {}
        }
    }

    // 5. Shut down: stops the plugin's threads; the library stays mapped.
    let report = plugin.shutdown(Duration::from_secs(5));
    println!("shutdown: {}", report.message);
    Ok(())
}

/// Ends the reasoning's line (stderr) and the answer's (stdout), if open.
fn end_line(thinking: &mut bool, mid_line: &mut bool) {
    if std::mem::take(thinking) {
        eprintln!();
    }
    if std::mem::take(mid_line) {
        println!();
    }
}
