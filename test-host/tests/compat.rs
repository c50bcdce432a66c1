//! Version compatibility, tested both ways with real libraries.
//!
//! `compat-plugin` (a trivial provider) is built as each interface variant by
//! host-sdk's test-only features — the current 1.1.0, a newer 1.2.0
//! (`interface-next`: an appended root-module field, event variant and error
//! kind), an older 1.0.0 (`interface-old`) and a layout-breaking 1.1.0
//! (`layout-break`) — and loaded by this test binary, which is a 1.1.0 host.
//! A newer 1.2.0 host is `compat-host` built with `interface-next`, run
//! against the normal build of the real plugin.
//!
//! The variants share one output path, so builds are serialised and each
//! artifact is copied away right after its build.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use host_sdk::abi::INTERFACE_VERSION;
use host_sdk::{ChatEvent, ChatRequest, ErrorKind, HostContext, LoadError, Message, Plugin};

/// One cargo build (and the copy of its artifact) at a time.
static BUILD: Mutex<()> = Mutex::new(());

/// Builds `package` with `features` and copies `artifact` (a file in
/// `target/<profile>`) to `target/<profile>/compat/<name>`.
fn build(package: &str, features: &str, artifact: &str, name: &str) -> PathBuf {
    let _one_at_a_time = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let profile = common::profile_dir();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "-p", package]);
    if !features.is_empty() {
        cmd.args(["--features", features]);
    }
    if profile.file_name().and_then(|n| n.to_str()) == Some("release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "building {package} [{features}] failed");
    let out = profile.join("compat");
    std::fs::create_dir_all(&out).unwrap();
    let target = out.join(name);
    std::fs::copy(profile.join(artifact), &target).unwrap();
    target
}

fn compat_plugin(features: &str) -> PathBuf {
    let artifact = format!(
        "{}compat_plugin{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let variant = if features.is_empty() {
        "same"
    } else {
        features
    };
    let name = format!(
        "{}compat_plugin-{variant}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    build("compat-plugin", features, &artifact, &name)
}

fn compat_host(features: &str) -> PathBuf {
    let exe = std::env::consts::EXE_SUFFIX;
    let variant = if features.is_empty() {
        "same"
    } else {
        features
    };
    build(
        "compat-host",
        features,
        &format!("compat-host{exe}"),
        &format!("compat-host-{variant}{exe}"),
    )
}

/// Every item of one completion: `Ok` events, then maybe an `Err`.
fn chat(plugin: &Plugin, model: &str) -> Vec<Result<ChatEvent, host_sdk::ProviderError>> {
    let provider = plugin
        .new_provider(HostContext::new("compat-test", "0"), &serde_json::json!({}))
        .unwrap();
    let mut stream = provider.complete(ChatRequest::new(model, vec![Message::user("hi")]));
    std::iter::from_fn(|| stream.blocking_next()).collect()
}

fn run_host(host: &Path, plugin: &Path) -> (i32, String) {
    let out = Command::new(host).arg(plugin).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn same_version_loads_and_streams() {
    let plugin = Plugin::load(compat_plugin("")).unwrap();
    assert_eq!(plugin.info().interface_version, INTERFACE_VERSION);
    let items = chat(&plugin, "hello");
    assert!(
        matches!(items.as_slice(), [Ok(ChatEvent::Content(t)), Ok(ChatEvent::Done { .. })] if t.contains(INTERFACE_VERSION)),
        "{items:?}"
    );
    assert!(plugin.shutdown(std::time::Duration::from_secs(1)).clean);
}

#[test]
fn newer_plugin_loads_in_this_older_host_and_its_new_variants_arrive_as_unknown() {
    let plugin = Plugin::load(compat_plugin("interface-next")).unwrap();
    assert_eq!(plugin.info().interface_version, "1.2.0");
    assert_eq!(
        INTERFACE_VERSION, "1.1.0",
        "this test binary is the older host"
    );

    let items = chat(&plugin, "hello");
    let events: Vec<&ChatEvent> = items.iter().map(|i| i.as_ref().unwrap()).collect();
    assert!(matches!(events[0], ChatEvent::Content(_)), "{events:?}");
    // The appended variant: unknown to this host, described through the plugin's vtable.
    assert!(
        matches!(events[1], ChatEvent::Unknown(d) if d.contains("NextNotice") && d.contains("added in 1.2.0")),
        "{events:?}"
    );
    assert!(matches!(events[2], ChatEvent::Done { .. }), "{events:?}");
    let mut answer = host_sdk::ChatResponse::default();
    events.iter().for_each(|e| answer.apply(e));
    assert_eq!(answer.unknown_events.len(), 1);

    // The appended error kind: `Unknown`, with the plugin's name for it kept in the message.
    let items = chat(&plugin, "error");
    let error = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unknown);
    assert!(error.message.contains("NextQuotaExhausted"), "{error}");
    assert!(error.message.contains("quota exhausted"), "{error}");
}

#[test]
fn older_plugin_is_refused_by_this_newer_host_naming_both_versions() {
    let err = Plugin::load(compat_plugin("interface-old")).unwrap_err();
    match &err {
        LoadError::IncompatibleVersion { plugin, host, .. } => {
            assert_eq!((plugin.as_str(), host.as_str()), ("1.0.0", "1.1.0"));
        }
        other => panic!("expected IncompatibleVersion, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("1.0.0") && text.contains("1.1.0") && text.contains("older"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn the_real_plugin_is_refused_by_a_newer_host_process() {
    let host = compat_host("interface-next");
    let (code, out) = run_host(&host, common::plugin_path());
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("host interface 1.2.0"), "{out}");
    let refusal = out.lines().find(|l| l.starts_with("refused: ")).unwrap();
    assert!(
        refusal.contains("interface 1.1.0") && refusal.contains("implements 1.2.0"),
        "{refusal}"
    );
    assert!(refusal.contains("rebuild it"), "{refusal}");

    // The same newer host loads a plugin of its own version.
    let (code, out) = run_host(&host, &compat_plugin("interface-next"));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("loaded compat 0.1.0 (interface 1.2.0)"),
        "{out}"
    );
}

#[test]
fn layout_breaking_plugin_is_refused_with_a_short_message() {
    let err = Plugin::load(compat_plugin("layout-break")).unwrap_err();
    let LoadError::LayoutMismatch { mismatches, .. } = &err else {
        panic!("expected LayoutMismatch, got {err:?}");
    };
    assert!((1..=3).contains(&mismatches.len()), "{mismatches:?}");
    assert!(
        mismatches[0].starts_with("AbiHostContext: "),
        "{mismatches:?}"
    );
    let text = err.to_string();
    assert!(text.contains("layout_break"), "{text}");
    assert!(text.len() < 600 && text.lines().count() == 1, "{text}");
}
