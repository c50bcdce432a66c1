//! Hot swap with a real library: a call in flight finishes on the old
//! version while new calls go to the new one; a file that cannot load leaves
//! the current version serving.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::compat_plugin;

use host_sdk::{
    ChatEvent, ChatRequest, HostContext, Message, Plugin, ProviderSlot, SwapError, VersionState,
};
use serde_json::json;

/// The test plugin with `tag` appended after the end of its ELF image (the
/// loader maps only what the program headers name): a library of its own.
/// The tests of this file run in one process at once, and a library that two
/// slots share is, rightly, not shut down by the first that retires it.
fn unique_plugin(dir: &Path, tag: &str) -> PathBuf {
    let path = dir.join(testkit::cdylib::library_file_name(&format!(
        "compat_plugin_{tag}"
    )));
    let mut bytes = std::fs::read(compat_plugin(&[])).unwrap();
    bytes.extend_from_slice(tag.as_bytes());
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Two versions whose bytes differ, so they load as two libraries.
fn two_versions(dir: &Path) -> (PathBuf, PathBuf) {
    (
        unique_plugin(dir, "drain_v1"),
        unique_plugin(dir, "drain_v2"),
    )
}

fn slot(file: &Path) -> ProviderSlot {
    let host = HostContext::new("host-sdk-test", "0");
    ProviderSlot::new(Plugin::load(file).unwrap(), host, json!({})).unwrap()
}

async fn answer(slot: &ProviderSlot) -> String {
    let request = ChatRequest::new("compat/hello", vec![Message::user("hi")]);
    slot.complete(request).collect().await.unwrap().content
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_in_flight_finishes_on_the_old_version_which_reports_draining() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_versions(dir.path());
    let slot = slot(&a);
    let mut stream = slot.complete(ChatRequest::new(
        "compat/slow:300",
        vec![Message::user("hi")],
    ));
    let first = stream.next().await.unwrap().unwrap();
    assert!(matches!(first, ChatEvent::Content(_)), "{first:?}");

    let swapping = {
        let slot = slot.clone();
        tokio::spawn(async move { slot.swap(b, Duration::from_secs(30)).await })
    };
    // New calls go to version 2 while version 1 drains its stream.
    let deadline = Instant::now() + Duration::from_secs(10);
    while slot.active().id != 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let versions = slot.versions();
    assert_eq!(versions[0].state, VersionState::Draining, "{versions:?}");
    assert_eq!(versions[0].in_flight, 1, "{versions:?}");
    assert_eq!(versions[1].state, VersionState::Active, "{versions:?}");
    assert!(answer(&slot).await.starts_with("hello from"));

    // The old stream completes normally, and only then is version 1 shut down.
    let rest = stream.collect().await.unwrap();
    assert_eq!(rest.finish_reason.as_deref(), Some("stop"));
    let report = swapping.await.unwrap().unwrap();
    assert!(report.drained && report.abandoned == 0, "{report:?}");
    assert!(
        report.shutdown.as_ref().is_some_and(|s| s.clean),
        "{report:?}"
    );
    assert_eq!((report.from_id, report.to_id), (1, 2));
    assert!(
        slot.shutdown(Duration::from_secs(5))
            .await
            .is_some_and(|s| s.clean)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_cannot_load_leaves_the_current_version_serving() {
    let dir = tempfile::tempdir().unwrap();
    let slot = slot(&unique_plugin(dir.path(), "broken_file"));
    let garbage = dir.path().join("libbroken.so");
    std::fs::write(&garbage, b"\x7fELF but not really").unwrap();

    for path in [garbage.clone(), dir.path().join("missing.so")] {
        let err = slot.swap(&path, Duration::from_secs(1)).await.unwrap_err();
        assert!(matches!(err, SwapError::Load(_)), "{err:?}");
        assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    }
    assert_eq!(slot.versions().len(), 1);
    assert_eq!(slot.active().state, VersionState::Active);
    assert!(answer(&slot).await.starts_with("hello from"));
    assert!(
        slot.shutdown(Duration::from_secs(5))
            .await
            .is_some_and(|s| s.clean)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_settings_serve_new_calls_while_a_call_in_flight_keeps_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let host = HostContext::new("host-sdk-test", "0");
    let file = unique_plugin(dir.path(), "reconfigure");
    let slot =
        ProviderSlot::new(Plugin::load(&file).unwrap(), host, json!({ "tag": " v1" })).unwrap();
    let old = slot.complete(ChatRequest::new(
        "compat/slow:300",
        vec![Message::user("hi")],
    ));

    let id = slot
        .reconfigure(json!({ "tag": " v2" }), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(id, 2);
    assert_eq!(slot.settings(), json!({ "tag": " v2" }));
    assert!(answer(&slot).await.ends_with(" v2"));
    assert!(old.collect().await.unwrap().content.ends_with(" v1"));

    // The same settings again change nothing.
    let same = slot
        .reconfigure(json!({ "tag": " v2" }), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(same, 2);
    assert_eq!(slot.versions().len(), 2);

    // Settings the plugin cannot start with leave the current ones serving.
    let refused = slot
        .reconfigure(
            json!({ "panicIn": ["new_provider"] }),
            Duration::from_secs(30),
        )
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(slot.settings(), json!({ "tag": " v2" }));
    assert!(answer(&slot).await.ends_with(" v2"));

    // Version 1 drained in the background; one library, so no shutdown yet.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(slot.versions()[0].state, VersionState::Retired { .. })
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let first = &slot.versions()[0];
    assert_eq!(
        first.state,
        VersionState::Retired { clean: true },
        "{first:?}"
    );
    assert!(first.shutdown.is_none(), "{first:?}");
    assert!(
        slot.shutdown(Duration::from_secs(5))
            .await
            .is_some_and(|s| s.clean)
    );
}
