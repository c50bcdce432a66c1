//! Interactive `test-host onboard`, driven in a pseudo-terminal: the real
//! binary and plugin, the mock router on 127.0.0.1. Every expectation has a
//! time limit (rexpect's timeout), so a prompt that never comes fails the
//! test instead of hanging it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::fs;
use std::process::Command;

use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};
use serde_json::Value;
use testkit::mock_router::MockOptions;

const KEY: &str = "hf_pty_onboarding_key_0123456789";
const DOWN: &str = "\x1b[B";
const ESC: &str = "\x1b";
const ENTER: &str = "\r";
const CTRL_C: &str = "\x03";
/// Per-expectation limit; discovery against the mock takes well under 1 s.
const TIMEOUT_MS: u64 = 30_000;

use common::Home as World;

impl World {
    /// `test-host onboard` in a 120x40 pseudo-terminal (a fresh pty has no
    /// size, which the prompt library cannot lay out in).
    fn onboard(&self, env: &[(&str, &str)]) -> PtySession {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("stty cols 120 rows 40; exec \"$@\"")
            .arg("sh")
            .arg(env!("CARGO_BIN_EXE_test-host"))
            .arg("--plugin")
            .arg(common::plugin_path())
            .arg("--config")
            .arg(self.config())
            .arg("--state-dir")
            .arg(self.state())
            .arg("--base-url")
            .arg(self.router.base_url())
            .args(["onboard", "--auth-choice", "huggingface-api-key"])
            .env_remove("HF_TOKEN")
            .env_remove("HUGGINGFACE_HUB_TOKEN")
            .env("HOME", self.dir.path())
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let options = Options::new()
            .timeout_ms(Some(TIMEOUT_MS))
            .strip_ansi_escape_codes(true);
        spawn_with_options(cmd, options).unwrap()
    }

    fn primary(&self) -> String {
        let v: Value = json5::from_str(&fs::read_to_string(self.config()).unwrap()).unwrap();
        v["agents"]["defaults"]["model"]["primary"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// Waits for the process to end and returns everything it printed since the
/// last expectation.
fn finish(p: &mut PtySession) -> String {
    p.exp_eof().unwrap()
}

#[test]
fn typed_token_filtered_choice_and_locked_note() {
    plugin_ready();
    let w = World::new(MockOptions::default());
    let mut p = w.onboard(&[]);
    p.exp_string("Make calls to Inference Providers").unwrap();
    p.exp_string("Hugging Face token:").unwrap();
    key(&mut p, KEY);
    key(&mut p, ENTER);
    p.exp_string("models available").unwrap();
    p.exp_string("Default Hugging Face model").unwrap();
    // The default comes first.
    p.exp_string("> DeepSeek R1 ").unwrap();
    p.exp_string("huggingface/deepseek-ai/DeepSeek-R1\r\n")
        .unwrap();
    key(&mut p, "Qwen3-8B:fastest");
    p.exp_string("> Qwen3 8B (fastest) ").unwrap();
    p.exp_string("huggingface/Qwen/Qwen3-8B:fastest\r\n")
        .unwrap();
    key(&mut p, ENTER);
    p.exp_string("The router picks the backend for each request by this policy, so there is no backend to choose.")
        .unwrap();
    p.exp_string("Hugging Face is set up.").unwrap();
    let rest = finish(&mut p);
    assert!(rest.contains("Next: test-host"), "{rest}");
    assert_eq!(w.primary(), "huggingface/Qwen/Qwen3-8B:fastest");
    let store = fs::read_to_string(w.state().join("auth-profiles.json")).unwrap();
    assert!(store.contains(KEY));
    assert!(!fs::read_to_string(w.config()).unwrap().contains(KEY));
}

#[test]
fn env_token_and_a_preferred_backend() {
    plugin_ready();
    let w = World::new(MockOptions::default());
    let mut p = w.onboard(&[("HF_TOKEN", KEY)]);
    // The key is masked (only ASCII is compared: rexpect reads bytes as Latin-1).
    p.exp_string("Use existing Hugging Face token (from HF_TOKEN, hf_pt")
        .unwrap();
    p.exp_string("89)?").unwrap();
    key(&mut p, "y");
    key(&mut p, ENTER);
    p.exp_string("Default Hugging Face model").unwrap();
    p.exp_string("> DeepSeek R1 ").unwrap();
    key(&mut p, ENTER);
    p.exp_string("Prefer a specific backend?").unwrap();
    p.exp_string("No preference").unwrap();
    // The first backend's line: "  <name> — $0.60 in / $1.25 out per 1M tokens, ...".
    let (_, line) = p
        .exp_regex(r"\n  [a-z0-9-]+ [^\r\n]*per 1M tokens")
        .unwrap();
    let backend = line.split_whitespace().next().unwrap().to_string();
    key(&mut p, DOWN);
    key(&mut p, ENTER);
    p.exp_string("Hugging Face is set up.").unwrap();
    finish(&mut p);
    assert_eq!(
        w.primary(),
        format!("huggingface/deepseek-ai/DeepSeek-R1:{backend}")
    );
}

fn snapshot(w: &World) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for dir in [w.dir.path().to_path_buf(), w.state()] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_file() {
                files.push((path.display().to_string(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn esc_at_the_dropdown_and_ctrl_c_at_the_token_leave_files_untouched() {
    plugin_ready();
    let w = World::new(MockOptions::default());
    fs::write(
        w.config(),
        "// mine\n{ agents: { defaults: { model: 'huggingface/Qwen/Qwen3-8B' } } }\n",
    )
    .unwrap();
    let before = snapshot(&w);

    let mut p = w.onboard(&[]);
    p.exp_string("Hugging Face token:").unwrap();
    key(&mut p, KEY);
    key(&mut p, ENTER);
    p.exp_string("Default Hugging Face model").unwrap();
    key(&mut p, ESC);
    let out = finish(&mut p);
    assert!(out.contains("cancelled"), "{out}");
    assert!(snapshot(&w) == before, "files changed after Esc");

    let mut p = w.onboard(&[]);
    p.exp_string("Hugging Face token:").unwrap();
    key(&mut p, "hf_partial");
    key(&mut p, CTRL_C);
    let out = finish(&mut p);
    assert!(out.contains("cancelled"), "{out}");
    assert!(snapshot(&w) == before, "files changed after Ctrl-C");
    assert!(!w.state().join("auth-profiles.json").exists());
}

#[test]
fn a_refused_token_is_said_plainly_and_can_be_replaced() {
    plugin_ready();
    let w = World::new(MockOptions {
        require_token: Some(KEY.into()),
        ..MockOptions::default()
    });
    let mut p = w.onboard(&[]);
    p.exp_string("Hugging Face token:").unwrap();
    key(&mut p, "sk-not-a-hugging-face-token");
    key(&mut p, ENTER);
    p.exp_string("does not start with hf_").unwrap();
    p.exp_string("The router refused this token").unwrap();
    p.exp_string("What now?").unwrap();
    p.exp_string("Enter another token").unwrap();
    key(&mut p, ENTER);
    p.exp_string("Hugging Face token:").unwrap();
    key(&mut p, KEY);
    key(&mut p, ENTER);
    p.exp_string("models available").unwrap();
    p.exp_string("Default Hugging Face model").unwrap();
    key(&mut p, ENTER);
    p.exp_string("Prefer a specific backend?").unwrap();
    key(&mut p, ENTER);
    p.exp_string("Hugging Face is set up.").unwrap();
    finish(&mut p);
    let store = fs::read_to_string(w.state().join("auth-profiles.json")).unwrap();
    assert!(store.contains(KEY) && !store.contains("sk-not"), "{store}");
}

#[test]
fn enter_through_keeps_a_current_default_with_a_backend_and_moves_old_settings() {
    plugin_ready();
    let w = World::new(MockOptions::default());
    fs::write(
        w.config(),
        "{ agents: { defaults: { model: { primary: 'huggingface/Qwen/Qwen3-8B:nscale' } } },\n  \
         plugins: { entries: { 'hf-plugin': { config: { billTo: 'my-org' } } } } }\n",
    )
    .unwrap();
    let mut p = w.onboard(&[]);
    p.exp_string("Hugging Face token:").unwrap();
    key(&mut p, KEY);
    key(&mut p, ENTER);
    p.exp_string("Default Hugging Face model").unwrap();
    p.exp_string("> Qwen3 8B ").unwrap();
    key(&mut p, ENTER);
    p.exp_string("Prefer a specific backend?").unwrap();
    p.exp_string("> nscale ").unwrap();
    key(&mut p, ENTER);
    p.exp_string(
        "plugins.entries.hf-plugin.config.billTo -> plugins.entries.huggingface.config.billTo",
    )
    .unwrap();
    p.exp_string("Move them where the gateway accepts them?")
        .unwrap();
    key(&mut p, ENTER);
    p.exp_string("Hugging Face is set up.").unwrap();
    finish(&mut p);
    assert_eq!(w.primary(), "huggingface/Qwen/Qwen3-8B:nscale");
    let v: Value = json5::from_str(&fs::read_to_string(w.config()).unwrap()).unwrap();
    assert_eq!(
        v["plugins"]["entries"],
        serde_json::json!({ "huggingface": { "enabled": true, "config": { "billTo": "my-org" } } })
    );
    assert_eq!(v["meta"]["migrations"]["modelPolicyAllowlist"], true);
}

const CTRL_U: &str = "\x15";
const CTRL_W: &str = "\x17";

/// Ctrl-U and Ctrl-W edit the line in every prompt instead of typing a `u`
/// or a `w` (issue 19 item 10); a filter that matches nothing says so, and
/// a ref typed whole puts that model first (item 13).
#[test]
fn line_editing_keys_work_and_the_filter_ranks_what_was_typed_first() {
    plugin_ready();
    let w = World::new(MockOptions::default());
    let mut p = w.onboard(&[]);
    p.exp_string("Hugging Face token:").unwrap();
    key(&mut p, "hf_wrong");
    key(&mut p, CTRL_U);
    key(&mut p, "hf_also wrong");
    key(&mut p, CTRL_W);
    key(&mut p, CTRL_W);
    key(&mut p, KEY);
    key(&mut p, ENTER);
    p.exp_string("Default Hugging Face model").unwrap();
    key(&mut p, "no such model");
    p.exp_string("nothing matches \"no such model\"").unwrap();
    key(&mut p, CTRL_U);
    key(&mut p, "huggingface/deepseek-ai/DeepSeek-R1");
    // The exact ref first, although longer ids (the distills) start with
    // it. (rexpect reads Latin-1: the dash between name and ref is any run.)
    p.exp_regex(
        r"model huggingface/deepseek-ai/DeepSeek-R1\r\n> DeepSeek R1 [^\r\n]* huggingface/deepseek-ai/DeepSeek-R1\r\n",
    )
    .unwrap();
    key(&mut p, ENTER);
    p.exp_string("Prefer a specific backend?").unwrap();
    key(&mut p, ENTER);
    p.exp_string("Hugging Face is set up.").unwrap();
    finish(&mut p);
    assert_eq!(w.primary(), "huggingface/deepseek-ai/DeepSeek-R1");
    let store: Value =
        serde_json::from_str(&fs::read_to_string(w.state().join("auth-profiles.json")).unwrap())
            .unwrap();
    assert_eq!(store["profiles"]["huggingface:default"]["key"], KEY);
}

/// With a token in the environment and another one saved, onboarding asks
/// which to keep, naming both (masked), instead of replacing the saved one
/// on Enter (issue 19 item 14).
#[test]
fn a_token_in_the_environment_does_not_silently_replace_the_saved_one() {
    plugin_ready();
    let w = World::new(MockOptions::default());
    let store = w.state().join("auth-profiles.json");
    let saved = "hf_saved_token_abcdefgh";
    let stored_key = || -> String {
        let v: Value = serde_json::from_str(&fs::read_to_string(&store).unwrap()).unwrap();
        v["profiles"]["huggingface:default"]["key"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut p = w.onboard(&[("HF_TOKEN", saved)]);
    p.exp_string("Use existing Hugging Face token").unwrap();
    key(&mut p, ENTER);
    p.exp_string("Default Hugging Face model").unwrap();
    key(&mut p, ENTER);
    p.exp_string("Prefer a specific backend?").unwrap();
    key(&mut p, ENTER);
    finish(&mut p);
    assert_eq!(stored_key(), saved);

    for (choice, kept) in [(ENTER, KEY), (DOWN, saved)] {
        // Back to the saved token between the two runs.
        let mut p = w.onboard(&[("HF_TOKEN", KEY)]);
        p.exp_string("Which Hugging Face token?").unwrap();
        p.exp_string("Use the token from HF_TOKEN (hf_pt").unwrap();
        p.exp_string("replacing the saved one").unwrap();
        p.exp_string("Keep the saved token (hf_sa").unwrap();
        key(&mut p, choice);
        if choice == DOWN {
            key(&mut p, ENTER);
        }
        p.exp_string("Default Hugging Face model").unwrap();
        key(&mut p, ENTER);
        p.exp_string("Prefer a specific backend?").unwrap();
        key(&mut p, ENTER);
        p.exp_string("Hugging Face is set up.").unwrap();
        let summary = finish(&mut p);
        assert_eq!(stored_key(), kept);
        assert_eq!(
            summary.contains("replacing hf_sa"),
            kept == KEY,
            "{summary}"
        );
        if kept == KEY {
            let mut p = w.onboard(&[("HF_TOKEN", saved)]);
            p.exp_string("Which Hugging Face token?").unwrap();
            key(&mut p, ENTER);
            p.exp_string("Default Hugging Face model").unwrap();
            key(&mut p, ENTER);
            p.exp_string("Prefer a specific backend?").unwrap();
            key(&mut p, ENTER);
            finish(&mut p);
            assert_eq!(stored_key(), saved);
        }
    }
}

/// Types `keys` as a person would: after the prompt has settled (a key that
/// arrives while the prompt is still switching the terminal to raw mode can
/// be lost), in one write.
fn key(p: &mut PtySession, keys: &str) {
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.send(keys).unwrap();
    p.flush().unwrap();
}

/// Builds the plugin before the first pty session starts the clock.
fn plugin_ready() {
    assert!(common::plugin_path().is_file());
}
