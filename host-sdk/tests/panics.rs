//! A panic inside a plugin never takes the host down: every entry point of a
//! plugin built on plugin-sdk turns one into a `PluginPanicked` error, across
//! a real dlopen boundary, and the library keeps serving other providers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use common::{chat, compat_plugin, provider};
use host_sdk::{ChatEvent, ErrorKind, HostContext, Plugin, Provider};
use serde_json::json;

#[test]
fn panics_in_every_entry_point_become_errors_and_the_host_lives() {
    let plugin = Plugin::load(compat_plugin(&[])).unwrap();

    let e = Provider::new(
        &plugin,
        HostContext::new("host-sdk-test", "0"),
        &json!({ "panicIn": ["new_provider"] }),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::PluginPanicked, "{e}");
    assert!(e.message.contains("in new_provider"), "{e}");
    assert!(e.message.contains("deliberate panic"), "{e}");

    let panicky = provider(
        &plugin,
        json!({ "panicIn": ["discover", "resolve", "complete"] }),
    );
    let e = panicky.discover().unwrap_err();
    assert_eq!(e.kind, ErrorKind::PluginPanicked, "{e}");
    let e = panicky.resolve("compat/hello").unwrap_err();
    assert_eq!(e.kind, ErrorKind::PluginPanicked, "{e}");
    let items = chat(&panicky, "compat/hello");
    let e = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!((items.len(), e.kind), (1, ErrorKind::PluginPanicked), "{e}");

    // Inside the completion's own thread: the sink still finishes, once.
    let in_task = provider(&plugin, json!({ "panicIn": ["complete_task"] }));
    let items = chat(&in_task, "compat/hello");
    let e = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!((items.len(), e.kind), (1, ErrorKind::PluginPanicked), "{e}");
    assert!(e.message.contains("in complete_task"), "{e}");

    // Still alive, and a well-behaved provider from the same library works.
    let fine = provider(&plugin, json!({}));
    let items = chat(&fine, "compat/hello");
    assert!(
        matches!(
            items.as_slice(),
            [Ok(ChatEvent::Content(_)), Ok(ChatEvent::Done { .. })]
        ),
        "{items:?}"
    );
    assert_eq!(fine.discover().unwrap().len(), 1);
}
