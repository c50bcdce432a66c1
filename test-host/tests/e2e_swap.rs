//! End to end: hot-swapping the real plugin under load, through the
//! `swap-test` command's own code, plus the slot's failure and watch paths.
//!
//! Two versions need two files whose bytes differ (loading copies each file
//! to a content-addressed path): the plugin as built, and a copy with bytes
//! appended after the end of the ELF image, which the dynamic loader ignores
//! (it maps what the program headers name). Building the plugin twice with
//! different features would also work but costs a minute per build.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use host_sdk::{ChatRequest, Message, Plugin, ProviderSlot, VersionState};
use parking_lot::Mutex;
use serde_json::json;
use test_host::cli::GlobalOptions;
use test_host::commands::swap_test::{SwapTestArgs, execute};
use test_host::host::host_context;
use test_host::swap::watch;

/// One test at a time: they count the plugin's threads, which any other
/// test's plugin runtime would add to.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The two plugin files, `(as built, with appended bytes)`.
fn versions() -> (&'static PathBuf, &'static PathBuf) {
    static FILES: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    let (_, a, b) = FILES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let a = dir
            .path()
            .join("v1")
            .join(testkit::cdylib::library_file_name("huggingface_provider"));
        let b = dir
            .path()
            .join("v2")
            .join(testkit::cdylib::library_file_name("huggingface_provider"));
        for path in [&a, &b] {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::copy(common::plugin_path(), path).unwrap();
        }
        append(&b, b"swap-test: a second version of the same build");
        (dir, a, b)
    });
    (a, b)
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes).unwrap();
}

/// Threads of any plugin runtime (`hf-provider-<version>`) alive in this process.
fn plugin_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.starts_with("hf-provider"))
        })
        .count()
}

/// Waits (at most 10 s) for the plugin threads to be gone.
fn assert_no_plugin_threads() {
    let deadline = Instant::now() + Duration::from_secs(10);
    while plugin_threads() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(plugin_threads(), 0, "plugin threads left running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swap_test_with_50_streams_and_5_swaps_has_no_failures() {
    let _serial = SERIAL.lock().await;
    let (a, b) = versions();
    let args = SwapTestArgs {
        to: b.clone(),
        from: Some(a.clone()),
        concurrency: 50,
        duration: 4.0,
        swaps: 5,
        model: "huggingface/mock/slow:20".into(),
        drain_timeout: 30.0,
    };
    let report = execute(&GlobalOptions::default(), &args).await.unwrap();
    let printed = report.lines().join("\n");
    println!("{printed}");
    assert!(report.passed(), "{printed}");
    assert_eq!(report.failed, 0, "{printed}");
    assert!(report.completed >= 100, "{printed}");
    assert_eq!(report.swaps.len(), 5, "{printed}");
    assert!(report.swap_errors.is_empty(), "{printed}");

    // Six versions, alternating between the two files, each of which answered
    // (chats run until the last swap is done).
    assert_eq!(report.versions.len(), 6, "{printed}");
    for (i, v) in report.versions.iter().enumerate() {
        let file = if i % 2 == 0 { a } else { b };
        assert_eq!(&v.path, file, "{printed}");
        assert_eq!(v.in_flight + v.leases, 0, "{printed}");
    }
    assert_eq!(report.completed_by_version.len(), 6, "{printed}");
    // Versions 1..5 retired with a clean shutdown, each of its own library
    // (the same file comes back only after its previous version shut down).
    for v in &report.versions[..5] {
        assert_eq!(v.state, VersionState::Retired { clean: true }, "{printed}");
        assert!(v.shutdown.as_ref().is_some_and(|s| s.clean), "{printed}");
    }
    assert_eq!(report.versions[5].state, VersionState::Active, "{printed}");
    assert!(
        report.final_shutdown.as_ref().is_some_and(|s| s.clean),
        "{printed}"
    );
    // Both libraries' runtimes, and every task on them, are gone.
    assert_no_plugin_threads();
    assert!(
        printed.contains("0 failed") && printed.ends_with("PASS"),
        "{printed}"
    );
}

fn slot(router: &testkit::mock_router::MockRouter, state: &Path, file: &Path) -> ProviderSlot {
    let settings = common::settings(router, state, json!({}));
    ProviderSlot::new(Plugin::load(file).unwrap(), host_context(), settings).unwrap()
}

async fn answer(slot: &ProviderSlot, model: &str) -> String {
    let request = ChatRequest::new(model, vec![Message::user("hi")]);
    slot.complete(request).collect().await.unwrap().content
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_mode_reloads_a_changed_file_and_survives_a_broken_one() {
    let _serial = SERIAL.lock().await;
    let (a, b) = versions();
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let watched = dir
        .path()
        .join(testkit::cdylib::library_file_name("huggingface_provider"));
    std::fs::copy(a, &watched).unwrap();
    let slot = slot(&router, state.path(), &watched);

    let notices = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&notices);
    let notify: watch::Notify = Arc::new(move |line| sink.lock().push(line));
    let interval = Duration::from_millis(100);
    let watcher = watch::spawn(slot.clone(), watched.clone(), interval, notify);
    let wait_for = |count: usize| {
        let notices = Arc::clone(&notices);
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            while notices.lock().len() < count && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            notices.lock().clone()
        }
    };

    // A rebuild: the file is replaced by other bytes.
    tokio::time::sleep(interval * 2).await;
    std::fs::copy(b, &watched).unwrap();
    let seen = wait_for(1).await;
    assert!(seen[0].starts_with("[watch] swapped to #2"), "{seen:?}");
    assert_eq!(slot.active().id, 2);
    assert!(
        !answer(&slot, "huggingface/deepseek-ai/DeepSeek-R1")
            .await
            .is_empty()
    );

    // A broken build: reported, and version 2 keeps serving.
    std::fs::write(&watched, b"not a library").unwrap();
    let seen = wait_for(2).await;
    assert!(
        seen[1].starts_with("[watch] swap failed, still serving #2"),
        "{seen:?}"
    );
    assert_eq!(slot.active().id, 2);
    assert!(
        !answer(&slot, "huggingface/deepseek-ai/DeepSeek-R1")
            .await
            .is_empty()
    );

    watcher.abort();
    assert!(
        slot.shutdown(Duration::from_secs(5))
            .await
            .is_some_and(|s| s.clean)
    );
    assert_no_plugin_threads();
}
