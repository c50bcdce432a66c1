//! The state directory and the secrets in it, as the `test-host` binary
//! treats them (issue 19 items 5, 6, 7): a `serve-key` symlink is refused,
//! never followed (a dangling one crashed serve with a stack overflow); a key
//! others could read is narrowed with a warning; a state directory others may
//! write to is refused with the command that fixes it; a fresh state
//! directory is 0700 whoever creates it (`models --refresh`: the plugin's
//! catalog cache, 0600; onboarding in a fresh HOME); the temp file of a cache
//! write that was killed is removed by the next run.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use testkit::mock_router::MockOptions;

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `test-host serve --print-key` with the key file in `state`: it prints the
/// key (or fails) and exits.
fn print_key(state: &Path) -> Output {
    common::test_host(state, "http://127.0.0.1:9/v1")
        .args(["serve", "--print-key"])
        .output()
        .unwrap()
}

#[test]
fn a_serve_key_symlink_is_refused_and_its_target_left_alone() {
    // Dangling: serve recursed until its stack overflowed (exit 134).
    let home = tempfile::tempdir().unwrap();
    let key = home.path().join("serve-key");
    std::os::unix::fs::symlink(home.path().join("missing"), &key).unwrap();
    let out = print_key(home.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "{} is a symbolic link: it is used only as a regular file of your own; remove it (`rm {}`)",
            key.display(),
            key.display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(!home.path().join("missing").exists());

    // To another file: its contents became the key and its mode 0600.
    let other = home.path().join("notes.txt");
    fs::write(&other, "not a key\n").unwrap();
    set_mode(&other, 0o644);
    fs::remove_file(&key).unwrap();
    std::os::unix::fs::symlink(&other, &key).unwrap();
    let out = print_key(home.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("not a key"));
    assert_eq!(mode(&other), 0o644);
}

#[test]
fn an_exposed_serve_key_is_narrowed_with_a_warning_and_an_open_state_dir_refused() {
    let home = tempfile::tempdir().unwrap();
    let key = home.path().join("serve-key");
    fs::write(&key, "hfserve-handmade\n").unwrap();
    set_mode(&key, 0o644);
    let out = print_key(home.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "hfserve-handmade"
    );
    assert_eq!(mode(&key), 0o600);
    assert!(
        stderr(&out).contains(&format!(
            "{} was accessible to other users (mode 0644); narrowed it to 0600. \
             Anyone who read it can use this serve: delete it and restart serve to make a new key.",
            key.display()
        )),
        "{}",
        stderr(&out)
    );

    set_mode(home.path(), 0o777);
    for args in [&["serve", "--print-key"][..], &["models"][..]] {
        let out = common::test_host(home.path(), "http://127.0.0.1:9/v1")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "{} is writable by other users (mode 0777): they could replace the keys in it; run `chmod 700 {}`",
                home.path().display(),
                home.path().display()
            )),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    set_mode(home.path(), 0o700);
}

#[test]
fn models_refresh_creates_a_private_state_dir_and_cache_and_cleans_stray_temp_files() {
    let home = common::Home::new(MockOptions::default());
    let state = home.dir.path().join("fresh/.openclaw");
    let run = || {
        let out = common::test_host(&state, &home.router.base_url())
            .args(["models", "--refresh"])
            .env("HF_TOKEN", "hf_state_files_test_token")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    run();
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&home.dir.path().join("fresh")), 0o700);
    let cache = state.join("huggingface-models.json");
    assert_eq!(mode(&cache), 0o600);

    // What a run killed while saving the list leaves behind.
    let stray = state.join(".huggingface-models.json.4242.99.tmp");
    let file = fs::File::create(&stray).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    drop(file);
    run();
    let names: Vec<String> = fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["huggingface-models.json"]);
}

#[test]
fn onboarding_in_a_fresh_home_makes_the_state_dir_private() {
    let home = common::Home::new(MockOptions::default());
    let out = Command::new(env!("CARGO_BIN_EXE_test-host"))
        .env("HOME", home.dir.path())
        .env_remove("OPENCLAW_CONFIG_PATH")
        .env_remove("OPENCLAW_STATE_DIR")
        .env_remove("HF_TOKEN")
        .env_remove("HUGGINGFACE_HUB_TOKEN")
        .env_remove("RUST_LOG")
        .arg("--plugin")
        .arg(common::plugin_path())
        .args(["--base-url", &home.router.base_url()])
        .args([
            "onboard",
            "--non-interactive",
            "--mode",
            "local",
            "--auth-choice",
            "huggingface-api-key",
            "--huggingface-api-key",
            "hf_state_files_test_token",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let state = home.dir.path().join(".openclaw");
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("auth-profiles.json")), 0o600);
    assert_eq!(mode(&state.join("openclaw.json")), 0o600);
}

/// serve itself starts with a key it narrowed, and answers with it.
#[test]
fn serve_starts_with_a_narrowed_key() {
    let home = common::Home::new(MockOptions::default());
    let key = home.dir.path().join("serve-key");
    fs::write(&key, "hfserve-handmade\n").unwrap();
    set_mode(&key, 0o640);
    let mut child = common::test_host(home.dir.path(), &home.router.base_url())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = common::serving_url(&mut child);
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    assert_eq!(mode(&key), 0o600);
}
