use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;

use tokio::time::Instant;

use super::*;
use crate::catalog::api::ApiBackend;

type Outcome = Result<Vec<ApiModel>, ProviderError>;

/// A fetcher that plays back `results` in order, then hangs.
#[derive(Default)]
struct Script {
    results: Mutex<VecDeque<Outcome>>,
    calls: Mutex<Vec<Instant>>,
    /// Set when a hanging fetch is dropped (i.e. cancelled).
    dropped: Arc<AtomicBool>,
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Script {
    fn new(results: Vec<Outcome>) -> Arc<Script> {
        Arc::new(Script {
            results: Mutex::new(results.into()),
            ..Script::default()
        })
    }

    fn fetcher(self: &Arc<Self>) -> Fetcher {
        let script = Arc::clone(self);
        Arc::new(move |_timeout| {
            let script = Arc::clone(&script);
            Box::pin(async move {
                script.calls.lock().push(Instant::now());
                let next = script.results.lock().pop_front();
                match next {
                    Some(result) => result,
                    None => {
                        let _flag = SetOnDrop(Arc::clone(&script.dropped));
                        std::future::pending().await
                    }
                }
            })
        })
    }

    fn calls(&self) -> Vec<Instant> {
        self.calls.lock().clone()
    }
}

fn rows(ids: &[&str]) -> Vec<ApiModel> {
    ids.iter()
        .map(|id| ApiModel {
            id: (*id).to_string(),
            providers: vec![ApiBackend {
                provider: "together".into(),
                status: "live".into(),
                ..ApiBackend::default()
            }],
            ..ApiModel::default()
        })
        .collect()
}

fn options(key: bool) -> RefreshOptions {
    RefreshOptions::new(
        "http://127.0.0.1:9/v1",
        key.then(|| ApiKey::new("hf_test").unwrap()),
    )
}

fn server_error() -> ProviderError {
    ProviderError::new(ErrorKind::Unavailable, "boom").with_status(500)
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test(start_paused = true)]
async fn refreshes_at_start_then_every_interval() {
    let script = Script::new(vec![Ok(rows(&["org/first"])), Ok(rows(&["org/second"]))]);
    let handle = CatalogHandle::start_with(
        &tokio::runtime::Handle::current(),
        script.fetcher(),
        options(true),
    );
    assert!(
        handle.current().discovered_at().is_none(),
        "current() never waits"
    );
    settle().await;
    assert_eq!(script.calls().len(), 1);
    let catalog = handle.current();
    assert!(catalog.discovered_at().is_some());
    assert!(catalog.get("org/first").unwrap().live);

    tokio::time::sleep(Duration::from_secs(15 * 60)).await;
    let calls = script.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1] - calls[0], Duration::from_secs(15 * 60));
    assert!(handle.current().get("org/second").is_some());
    assert!(handle.current().get("org/first").is_none());
    assert_eq!(handle.failures_reported(), 0);
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_keep_the_last_good_list_and_warn_once() {
    let mut results = vec![
        Ok(rows(&["org/first"])),
        Err(server_error()),
        Err(server_error()),
        Err(server_error()),
        Ok(rows(&["org/second"])),
    ];
    let auth = || ProviderError::new(ErrorKind::Auth, "bad token").with_status(401);
    results.extend((0..10).map(|_| Err(auth())));
    let script = Script::new(results);
    let handle = CatalogHandle::start_with(
        &tokio::runtime::Handle::current(),
        script.fetcher(),
        options(true),
    );
    tokio::time::sleep(Duration::from_secs(15 * 60) + Duration::from_millis(1)).await;
    assert_eq!(script.calls().len(), 2);
    assert!(
        handle.current().get("org/first").is_some(),
        "the last good list stays"
    );
    assert_eq!(handle.failures_reported(), 1);

    tokio::time::sleep(Duration::from_secs(100)).await;
    let calls = script.calls();
    assert_eq!(calls.len(), 5, "three retries, then success");
    for (i, base) in [(2, 10.0), (3, 20.0), (4, 40.0)] {
        let gap = (calls[i] - calls[i - 1]).as_secs_f64();
        assert!(
            (base * 0.8..=base * 1.2).contains(&gap),
            "retry {i}: {gap}s"
        );
    }
    assert_eq!(
        handle.failures_reported(),
        1,
        "identical failures are reported once"
    );
    assert!(handle.current().get("org/second").is_some());

    // After a success, the next failure (of another kind) is reported again.
    tokio::time::sleep(Duration::from_secs(15 * 60)).await;
    assert!(script.calls().len() >= 6);
    assert_eq!(handle.failures_reported(), 2);
    assert!(handle.current().get("org/second").is_some());
}

#[tokio::test(start_paused = true)]
async fn no_task_without_a_key_or_when_disabled() {
    let script = Script::new(vec![Ok(rows(&["org/explicit"]))]);
    let handle = CatalogHandle::start_with(
        &tokio::runtime::Handle::current(),
        script.fetcher(),
        options(false),
    );
    settle().await;
    assert!(!handle.is_running());
    assert!(script.calls().is_empty());
    // An explicit refresh still works without a key.
    let outcome = handle.refresh_now(Duration::from_secs(5)).await.unwrap();
    assert!(matches!(outcome, RefreshOutcome::Updated { models, .. } if models == 11));
    assert!(handle.current().get("org/explicit").is_some());

    let script = Script::new(vec![Ok(rows(&["org/never"]))]);
    let disabled = RefreshOptions {
        enabled: false,
        ..options(true)
    };
    let handle = CatalogHandle::start_with(
        &tokio::runtime::Handle::current(),
        script.fetcher(),
        disabled,
    );
    settle().await;
    assert!(!handle.is_running());
    assert_eq!(
        handle.refresh_now(Duration::from_secs(5)).await.unwrap(),
        RefreshOutcome::Disabled
    );
    assert!(script.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn stop_cancels_an_in_flight_fetch_promptly() {
    let script = Script::new(Vec::new());
    let handle = CatalogHandle::start_with(
        &tokio::runtime::Handle::current(),
        script.fetcher(),
        options(true),
    );
    settle().await;
    assert_eq!(script.calls().len(), 1);
    assert!(handle.is_running());
    handle.stop();
    settle().await;
    assert!(!handle.is_running());
    assert!(
        script.dropped.load(Ordering::SeqCst),
        "the hanging fetch was dropped"
    );
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(script.calls().len(), 1);
    handle.stop();
}

#[tokio::test(start_paused = true)]
async fn dropping_the_handle_stops_the_task() {
    let script = Script::new(vec![Ok(rows(&["org/a"]))]);
    let handle = CatalogHandle::start_with(
        &tokio::runtime::Handle::current(),
        script.fetcher(),
        options(true),
    );
    settle().await;
    drop(handle);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(script.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn explicit_refreshes_time_out_and_empty_lists_are_refused() {
    let script = Script::new(vec![Ok(Vec::new())]);
    let handle = CatalogHandle::start_with(
        &tokio::runtime::Handle::current(),
        script.fetcher(),
        options(false),
    );
    let e = handle
        .refresh_now(Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Internal);
    let e = handle
        .refresh_now(Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert!(handle.current().discovered_at().is_none());
    assert_eq!(handle.failures_reported(), 2);
}

#[test]
fn retry_delays_grow_are_capped_and_respect_retry_after() {
    let options = options(true);
    for failures in 1..40 {
        let d = retry_delay(&options, failures, None);
        let base = 10.0 * 2f64.powi(failures.min(30) as i32 - 1);
        let expected = base.min(600.0);
        assert!(
            d.as_secs_f64() >= expected * 0.8 - 1e-9,
            "{failures}: {d:?}"
        );
        assert!(d <= Duration::from_secs(600), "{failures}: {d:?}");
    }
    let short_interval = RefreshOptions {
        interval: Duration::from_secs(60),
        ..options.clone()
    };
    assert!(retry_delay(&short_interval, 10, None) <= Duration::from_secs(60));
    let d = retry_delay(&options, 1, Some(Duration::from_secs(300)));
    assert_eq!(d, Duration::from_secs(300));
}

#[tokio::test]
async fn the_last_good_list_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let with_dir = RefreshOptions {
        state_dir: Some(dir.path().to_path_buf()),
        ..options(false)
    };
    let runtime = tokio::runtime::Handle::current();
    let script = Script::new(vec![Ok(rows(&["org/saved"]))]);
    let first = CatalogHandle::start_with(&runtime, script.fetcher(), with_dir.clone());
    let RefreshOutcome::Updated { fetched_at, .. } =
        first.refresh_now(Duration::from_secs(5)).await.unwrap()
    else {
        panic!("expected an update");
    };
    drop(first);
    assert!(store::file_path(dir.path()).exists());

    // Offline restart: the fetcher would hang, but the saved list is there at once.
    let second = CatalogHandle::start_with(
        &runtime,
        Script::new(Vec::new()).fetcher(),
        with_dir.clone(),
    );
    let catalog = second.current();
    assert!(catalog.get("org/saved").unwrap().live);
    let ms = |t: SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    assert_eq!(catalog.discovered_at().map(ms), Some(ms(fetched_at)));

    // A corrupt copy is ignored: built-in catalog, no discovery time.
    std::fs::write(store::file_path(dir.path()), b"{ truncated").unwrap();
    let third = CatalogHandle::start_with(&runtime, Script::new(Vec::new()).fetcher(), with_dir);
    assert!(third.current().discovered_at().is_none());
    assert_eq!(third.current().len(), 10);
}

/// Discovery switched off after a list was saved: nothing will refresh that
/// copy, so it checks no ref (issue 19 item 15).
#[tokio::test]
async fn with_discovery_off_a_saved_list_refuses_no_ref() {
    let dir = tempfile::tempdir().unwrap();
    let with_dir = RefreshOptions {
        state_dir: Some(dir.path().to_path_buf()),
        ..options(false)
    };
    let runtime = tokio::runtime::Handle::current();
    let script = Script::new(vec![Ok(rows(&["org/saved"]))]);
    let first = CatalogHandle::start_with(&runtime, script.fetcher(), with_dir.clone());
    first.refresh_now(Duration::from_secs(5)).await.unwrap();
    drop(first);
    let aliases = crate::catalog::Aliases::default();
    let on = CatalogHandle::start_with(
        &runtime,
        Script::new(Vec::new()).fetcher(),
        with_dir.clone(),
    );
    let refused = on.current().resolve("org/new-since", &aliases).unwrap_err();
    assert_eq!(refused.kind, ErrorKind::ModelNotFound);

    let off = CatalogHandle::start_with(
        &runtime,
        Script::new(Vec::new()).fetcher(),
        RefreshOptions {
            enabled: false,
            ..with_dir
        },
    );
    let catalog = off.current();
    assert!(catalog.discovered_at().is_none());
    let passed = catalog.resolve("org/new-since", &aliases).unwrap();
    assert!(!passed.verified);
    assert_eq!(passed.router_model, "org/new-since");
}

/// A save a killed process never finished leaves its temp file (a 164 KB
/// copy of the list): the next start removes it (issue 19 item 7).
#[tokio::test]
async fn a_start_removes_the_temp_files_of_interrupted_saves() {
    let dir = tempfile::tempdir().unwrap();
    let stray = dir.path().join(".huggingface-models.json.4242.17.tmp");
    let file = std::fs::File::create(&stray).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    drop(file);
    let with_dir = RefreshOptions {
        state_dir: Some(dir.path().to_path_buf()),
        ..options(false)
    };
    let runtime = tokio::runtime::Handle::current();
    let _handle = CatalogHandle::start_with(&runtime, Script::new(Vec::new()).fetcher(), with_dir);
    assert!(!stray.exists());
}

#[test]
fn a_fixed_handle_serves_its_catalog() {
    let handle = CatalogHandle::fixed(Catalog::builtin());
    assert_eq!(handle.current().len(), 10);
    assert!(!handle.is_running());
    assert!(format!("{handle:?}").contains("models: 10"));
}

#[tokio::test]
async fn start_fetches_over_http_with_the_token_and_saves_the_list() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("GET", "/v1/models")
        .match_header("authorization", "Bearer hf_test")
        .with_body(r#"{"object":"list","data":[{"id":"org/over-http","providers":[{"provider":"groq","status":"live"}]}]}"#)
        .expect_at_least(1)
        .create_async()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let options = RefreshOptions {
        state_dir: Some(dir.path().to_path_buf()),
        ..RefreshOptions::new(format!("{}/v1", server.url()), ApiKey::new("hf_test"))
    };
    let handle = CatalogHandle::start(
        &tokio::runtime::Handle::current(),
        reqwest::Client::new(),
        options,
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while handle.current().discovered_at().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no refresh within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(handle.current().get("org/over-http").unwrap().live);
    mock.assert_async().await;
    // The save follows the swap; give it a moment.
    while !store::file_path(dir.path()).exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no saved copy within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handle.stop();
}
