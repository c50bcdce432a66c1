//! A bad file never crashes the host: each failure is one short line naming the file.
#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the test failing

use std::path::PathBuf;

use host_sdk::{LoadError, Plugin};

fn one_line(e: &LoadError) -> String {
    let text = e.to_string();
    assert!(!text.contains('\n'), "multi-line error: {text}");
    assert!(text.len() < 400, "error too long: {text}");
    text
}

#[test]
fn missing_file() {
    let e = Plugin::load("/nonexistent/libnothing.so").unwrap_err();
    assert!(matches!(e, LoadError::Missing { .. }));
    let text = one_line(&e);
    assert!(
        text.starts_with("/nonexistent/libnothing.so: no such plugin file"),
        "{text}"
    );
}

#[test]
fn text_file_is_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libfake.so");
    std::fs::write(&path, "this is not an ELF file\n").unwrap();
    let e = Plugin::load(&path).unwrap_err();
    assert!(matches!(e, LoadError::NotAPlugin { .. }), "{e:?}");
    let text = one_line(&e);
    assert!(
        text.contains("libfake.so") && text.contains("not a provider plugin"),
        "{text}"
    );
}

#[test]
fn directory_is_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let e = Plugin::load(dir.path()).unwrap_err();
    assert!(one_line(&e).contains("not a regular file"));
}

/// A real shared library that is not a plugin (the C math library).
fn system_library() -> PathBuf {
    let candidates = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
        "/usr/lib/aarch64-linux-gnu/libm.so.6",
        "/lib64/libm.so.6",
        "/usr/lib64/libm.so.6",
        "/usr/lib/libm.so.6",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("a system libm to load as a non-plugin shared library")
}

#[test]
fn shared_library_without_root_module() {
    let path = system_library();
    let e = Plugin::load(&path).unwrap_err();
    assert!(matches!(e, LoadError::NotAPlugin { .. }), "{e:?}");
    let text = one_line(&e);
    assert!(text.contains("exports no abi_stable root module"), "{text}");
    assert!(text.contains("libm"), "{text}");
}

#[test]
fn errors_name_the_users_file_never_the_private_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libgarbage.so");
    std::fs::write(&path, b"\x7fELF but truncated").unwrap();
    let text = one_line(&Plugin::load(&path).unwrap_err());
    assert!(text.starts_with(&*path.to_string_lossy()), "{text}");
    for internal in ["/proc/self/fd", "host-sdk-plugins"] {
        assert!(!text.contains(internal), "{text}");
    }
}
