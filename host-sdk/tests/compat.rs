//! Version compatibility, tested both ways with real libraries.
//!
//! `compat-plugin` (a small plugin on plugin-sdk) is built as each interface
//! variant by provider-abi's test-only features — this workspace's
//! interface, the next minor (`interface-next`: an appended root-module
//! field, event variant and error kind), the previous major (`interface-old`,
//! what every plugin built before the contract had its own crate reports) and
//! a layout-breaking build (`layout-break`) — and loaded by this test binary,
//! a host of this workspace's interface. `compat-host` built with
//! `interface-next` is a host of the next minor, built with `interface-prev`
//! a host of an earlier minor (2.0, before `EventSink::events` and
//! `EventSink::backlog`). And a host
//! built from copies of host-sdk and provider-abi with other package versions
//! proves that no crate version is the interface.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{chat, compat_plugin, provider};
use host_sdk::{ChatEvent, ErrorKind, INTERFACE_VERSION, LoadError, Plugin};

/// The interface version this workspace's next minor reports.
fn next_minor() -> String {
    let mut parts = INTERFACE_VERSION.split('.');
    let major = parts.next().unwrap();
    let minor: u32 = parts.next().unwrap().parse().unwrap();
    format!("{major}.{}.0", minor + 1)
}

fn compat_host(features: &[&str]) -> PathBuf {
    common::compat_pair(features.first().copied().unwrap_or("same")).1
}

fn run_host(host: &Path, plugin: &Path) -> (i32, String) {
    let out = Command::new(host).arg(plugin).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn same_version_loads_and_streams() {
    let plugin = Plugin::load(compat_plugin(&[])).unwrap();
    assert_eq!(plugin.info().interface_version, INTERFACE_VERSION);
    let items = chat(&provider(&plugin, serde_json::json!({})), "compat/hello");
    assert!(
        matches!(items.as_slice(), [Ok(ChatEvent::Content(t)), Ok(ChatEvent::Done { .. })] if t.contains(INTERFACE_VERSION)),
        "{items:?}"
    );
    assert!(plugin.shutdown(std::time::Duration::from_secs(1)).clean);
}

#[test]
fn a_batch_arrives_whole_and_in_order() {
    let plugin = Plugin::load(compat_plugin(&[])).unwrap();
    let items = chat(&provider(&plugin, serde_json::json!({})), "compat/batch");
    let events: Vec<&ChatEvent> = items.iter().map(|i| i.as_ref().unwrap()).collect();
    assert!(
        matches!(
            events.as_slice(),
            [ChatEvent::Content(c), ChatEvent::Reasoning(r), ChatEvent::Done { .. }]
                if c.contains(INTERFACE_VERSION) && r == "and reasoning"
        ),
        "{events:?}"
    );
}

/// A host of an earlier minor (2.0) has no batch method in its sink's
/// vtable: the plugin's batches reach it through the method's default body,
/// one event at a time, every event in order. Nor a backlog method (2.2):
/// plugin-sdk asks after every batch anyway, the default body answers "no
/// backlog", and the plugin streams as it did before 2.2.
#[test]
fn this_workspaces_plugin_streams_to_a_host_of_the_previous_minor_through_the_default_body() {
    let host = compat_host(&["interface-prev"]);
    let (code, out) = run_host(&host, &compat_plugin(&[]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("host interface 2.0.0"), "{out}");
    assert!(
        out.contains(&format!(
            "loaded compat 0.1.0 (interface {INTERFACE_VERSION})"
        )),
        "{out}"
    );
    let batch: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("compat/batch: "))
        .collect();
    assert_eq!(
        batch,
        [
            format!("compat/batch: content: hello from interface {INTERFACE_VERSION}").as_str(),
            "compat/batch: reasoning: and reasoning",
            "compat/batch: done: stop",
        ],
        "{out}"
    );
    assert!(out.contains("compat/hello: done: stop"), "{out}");
}

/// The host of 2.0 above is built from the test-only `interface-prev`
/// variant; that variant must be exactly the interface recorded for 2.0.0,
/// or the test above would prove nothing about real 2.0 hosts. provider-abi's
/// layout test, built with the variant, compares it with
/// `tests/layouts/2.0.0.txt`.
#[test]
fn the_previous_minor_variant_is_exactly_the_recorded_2_0_interface() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let profile = testkit::cdylib::profile_dir().unwrap();
    let out = testkit::cdylib::with_build_lock(|| {
        let mut cmd = Command::new(env!("CARGO"));
        // compat-deps comes along for the features it unifies: provider-abi
        // alone selects other features of serde, syn, memchr..., and cargo
        // would rebuild those (50 s of a CI run) instead of reusing them.
        cmd.current_dir(&workspace).args([
            "test",
            "-p",
            "provider-abi",
            "-p",
            "compat-deps",
            "--features",
            "provider-abi/interface-prev",
            "--test",
            "layout",
        ]);
        if profile.file_name().and_then(|n| n.to_str()) == Some("release") {
            cmd.arg("--release");
        }
        cmd.output().unwrap()
    })
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
fn newer_plugin_loads_in_this_older_host_and_its_new_variants_arrive_as_unknown() {
    let plugin = Plugin::load(compat_plugin(&["interface-next"])).unwrap();
    assert_eq!(plugin.info().interface_version, next_minor());
    let provider = provider(&plugin, serde_json::json!({}));

    let items = chat(&provider, "compat/hello");
    let events: Vec<&ChatEvent> = items.iter().map(|i| i.as_ref().unwrap()).collect();
    assert!(matches!(events[0], ChatEvent::Content(_)), "{events:?}");
    // The appended variant: unknown to this host, described through the plugin's vtable.
    assert!(
        matches!(events[1], ChatEvent::Unknown(d) if d.contains("NextNotice") && d.contains("added in the next interface")),
        "{events:?}"
    );
    assert!(matches!(events[2], ChatEvent::Done { .. }), "{events:?}");
    let mut answer = host_sdk::ChatResponse::default();
    events.iter().for_each(|e| answer.apply(e));
    assert_eq!(answer.unknown_events.len(), 1);

    // The appended error kind: `Unknown`, with the plugin's name for it kept in the message.
    let items = chat(&provider, "compat/error");
    let error = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unknown);
    assert!(error.message.contains("NextQuotaExhausted"), "{error}");
    assert!(error.message.contains("quota exhausted"), "{error}");
}

#[test]
fn a_plugin_of_the_previous_major_is_refused_naming_both_versions() {
    let err = Plugin::load(compat_plugin(&["interface-old"])).unwrap_err();
    match &err {
        LoadError::IncompatibleVersion { plugin, host, .. } => {
            assert_eq!(
                (plugin.as_str(), host.as_str()),
                ("1.1.0", INTERFACE_VERSION)
            );
        }
        other => panic!("expected IncompatibleVersion, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("1.1.0") && text.contains(INTERFACE_VERSION) && text.contains("older"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn this_workspaces_plugin_is_refused_by_a_newer_host_process() {
    let host = compat_host(&["interface-next"]);
    let plugin = compat_plugin(&[]);
    let (code, out) = run_host(&host, &plugin);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains(&format!("host interface {}", next_minor())),
        "{out}"
    );
    let refusal = out.lines().find(|l| l.starts_with("refused: ")).unwrap();
    assert!(
        refusal.contains(&format!("interface {INTERFACE_VERSION}"))
            && refusal.contains(&format!("implements {}", next_minor())),
        "{refusal}"
    );
    assert!(refusal.contains("rebuild it"), "{refusal}");

    // The same newer host loads a plugin of its own version.
    let (code, out) = run_host(&host, &compat_plugin(&["interface-next"]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("loaded compat 0.1.0 (interface {})", next_minor())),
        "{out}"
    );
}

#[test]
fn layout_breaking_plugin_is_refused_with_a_short_message() {
    let err = Plugin::load(compat_plugin(&["layout-break"])).unwrap_err();
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

/// Copies `from` (a crate directory of this workspace) to `to`, skipping
/// build output.
fn copy_crate(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" && entry.file_name() != "tests" {
                copy_crate(&src, &dst);
            }
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Replaces the package version in `manifest`.
fn set_version(manifest: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(manifest).unwrap();
    let old = format!("version = \"{from}\"");
    assert!(text.contains(&old), "{}: no {old}", manifest.display());
    std::fs::write(
        manifest,
        text.replacen(&old, &format!("version = \"{to}\""), 1),
    )
    .unwrap();
}

/// The `[dev-dependencies]` table (and everything after it up to the next
/// table) removed: the copy has no tests, and its dev-dependencies' paths
/// do not exist there.
fn drop_dev_dependencies(manifest: &Path) {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with('[') {
            skipping = line.trim() == "[dev-dependencies]";
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(manifest, out).unwrap();
}

/// The root manifest's `[profile.dev.package.NAME]` tables for packages that
/// are not in the copy removed (cargo warns about each); the others, and
/// the profiles themselves, are kept: they must match this workspace's, or
/// the registry dependencies would be compiled again.
fn drop_absent_package_profiles(manifest: &str, present: &[&str]) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            skipping = line
                .trim()
                .strip_prefix("[profile.dev.package.")
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(|name| name != "\"*\"" && !present.contains(&name));
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A host built from a copy of this workspace where host-sdk is released as
/// another version with a toolkit-only change, and provider-abi as another
/// minor version, loads and calls the plugin built from this workspace: the
/// interface version is provider-abi's constant, not a crate's version.
#[test]
fn a_host_sdk_release_that_does_not_touch_the_contract_loads_the_older_plugin() {
    let plugin = compat_plugin(&[]);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let copy = tempfile::tempdir().unwrap();
    let root = copy.path();
    // The compat plugin, plugin-sdk and compat-deps come along only so the
    // build below selects the packages the variant builds select: the same
    // resolution of the registry dependencies, which are then already built.
    let members = [
        "provider-abi",
        "plugin-sdk",
        "host-sdk",
        "compat/deps",
        "compat/host",
        "compat/plugin",
    ];
    for dir in members {
        copy_crate(&workspace.join(dir), &root.join(dir));
    }
    let manifest = std::fs::read_to_string(workspace.join("Cargo.toml")).unwrap();
    let start = manifest.find("members = [").unwrap();
    let end = start + manifest[start..].find(']').unwrap() + 1;
    let manifest = format!(
        "{}members = {:?}{}",
        &manifest[..start],
        members,
        &manifest[end..]
    );
    let packages = members.map(|dir| dir.replace('/', "-"));
    let packages: Vec<&str> = packages.iter().map(String::as_str).collect();
    let manifest = drop_absent_package_profiles(&manifest, &packages);
    std::fs::write(root.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(workspace.join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    let host_version = env!("CARGO_PKG_VERSION");
    set_version(&root.join("host-sdk/Cargo.toml"), host_version, "9.9.0");
    drop_dev_dependencies(&root.join("host-sdk/Cargo.toml"));
    let abi_manifest = root.join("provider-abi/Cargo.toml");
    let abi_version = std::fs::read_to_string(&abi_manifest).unwrap();
    let abi_version = abi_version
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap()
        .to_string();
    let (major, _) = abi_version.split_once('.').unwrap();
    set_version(&abi_manifest, &abi_version, &format!("{major}.99.0"));
    for manifest in [
        abi_manifest,
        root.join("plugin-sdk/Cargo.toml"),
        root.join("compat/plugin/Cargo.toml"),
    ] {
        drop_dev_dependencies(&manifest);
    }
    // The toolkit-only change: a new public function in host-sdk.
    let lib = root.join("host-sdk/src/lib.rs");
    let mut text = std::fs::read_to_string(&lib).unwrap();
    text.push_str(
        "\n/// Added by the compatibility test's release.\npub fn toolkit_only_change() {}\n",
    );
    std::fs::write(&lib, text).unwrap();

    // The same target dir and profile, so the registry dependencies are
    // reused; under the variant lock, since the binary lands where
    // compat-host's own builds put theirs, and is copied away at once.
    let profile = testkit::cdylib::profile_dir().unwrap();
    let exe = format!("compat-host{}", std::env::consts::EXE_SUFFIX);
    let host = copy.path().join(&exe);
    testkit::cdylib::with_build_lock(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(root)
            .args([
                "build",
                "--offline",
                "-p",
                "compat-plugin",
                "-p",
                "compat-host",
            ])
            .arg("--target-dir")
            .arg(profile.parent().unwrap());
        if profile.file_name().and_then(|n| n.to_str()) == Some("release") {
            cmd.arg("--release");
        }
        assert!(
            cmd.status().unwrap().success(),
            "building the bumped host failed"
        );
        std::fs::copy(profile.join(&exe), &host).unwrap();
    })
    .unwrap();

    let (code, out) = run_host(&host, &plugin);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("host interface {INTERFACE_VERSION}")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "loaded compat 0.1.0 (interface {INTERFACE_VERSION})"
        )),
        "{out}"
    );
    assert!(out.contains("compat/hello: done: stop"), "{out}");
}
