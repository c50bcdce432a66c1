//! Test-only: a host that loads one plugin file and prints what it got, one
//! line per fact, for the compatibility tests (host-sdk/tests/compat.rs).
//! Built normally it is a host of this workspace's interface; with
//! `--features interface-next`, a host of the next minor interface.
//!
//! ```sh
//! compat-host PLUGIN_PATH
//! ```
//! Exit status: 0 loaded (and, for the compat plugin, chatted), 3 refused,
//! 2 usage.

use std::time::Duration;

use host_sdk::{ChatEvent, ChatRequest, HostContext, Message, Plugin, Provider};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: compat-host PLUGIN_PATH");
        std::process::exit(2);
    };
    println!("host interface {}", host_sdk::INTERFACE_VERSION);
    let plugin = match Plugin::load(&path) {
        Ok(plugin) => plugin,
        Err(e) => {
            println!("refused: {e}");
            std::process::exit(3);
        }
    };
    let info = plugin.info();
    println!(
        "loaded {} {} (interface {})",
        info.provider_id, info.plugin_version, info.interface_version
    );
    // Only the compat plugin answers without a router; for any other the
    // load itself is the test.
    if info.provider_id == "compat" {
        let host = HostContext::new("compat-host", "0");
        match Provider::new(&plugin, host, &serde_json::json!({})) {
            Ok(provider) => chat(&provider),
            Err(e) => println!("new_provider failed: {e}"),
        }
    }
    let report = plugin.shutdown(Duration::from_secs(5));
    println!("shutdown clean={}: {}", report.clean, report.message);
}

fn chat(provider: &Provider) {
    for model in ["compat/hello", "compat/error", "compat/batch"] {
        let request = ChatRequest::new(model, vec![Message::user("hi")]);
        let mut stream = provider.complete(request);
        while let Some(item) = stream.blocking_next() {
            match item {
                Ok(ChatEvent::Content(text)) => println!("{model}: content: {text}"),
                Ok(ChatEvent::Reasoning(text)) => println!("{model}: reasoning: {text}"),
                Ok(ChatEvent::Done { finish_reason }) => println!("{model}: done: {finish_reason}"),
                Ok(ChatEvent::Unknown(what)) => println!("{model}: unknown event: {what}"),
                Ok(other) => println!("{model}: event: {other:?}"),
                Err(e) => println!("{model}: error kind={}: {}", e.kind.as_str(), e.message),
            }
        }
    }
}
