//! The chat REPL in a pseudo-terminal, as a person types into it: commands
//! and typos, Ctrl-C and Ctrl-D at the prompt, a pasted line longer than a
//! terminal's 4 KiB line buffer, a continued line, a pasted block of several
//! lines. Every expectation has a time limit, so a prompt that never comes
//! fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::process::Command;

use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};
use serde_json::json;
use testkit::mock_router::MockOptions;
use testkit::mock_router::scenario::answer_for;

const ENTER: &str = "\r";
const CTRL_C: char = 'c';
const CTRL_D: char = 'd';
const TIMEOUT_MS: u64 = 30_000;
const MODEL: &str = "huggingface/Qwen/Qwen3-8B";

fn home() -> common::Home {
    let home = common::Home::new(MockOptions::default());
    let config = json!({ "plugins": { "entries": { "huggingface": { "config": {
        "discovery": { "enabled": false } } } } } });
    std::fs::write(home.dir.path().join("openclaw.json"), config.to_string()).unwrap();
    home
}

/// `test-host chat` in a 120x40 pseudo-terminal, waiting for its first prompt.
fn repl(home: &common::Home) -> PtySession {
    let mut p = chat_in_pty(home, &["chat", "--model", MODEL], true);
    p.exp_string("Chatting with").unwrap();
    p.exp_string("> ").unwrap();
    p
}

/// `test-host ARGS` in a 120x40 pseudo-terminal, with or without `NO_COLOR`;
/// escape sequences are taken out of what the test reads.
fn chat_in_pty(home: &common::Home, args: &[&str], no_color: bool) -> PtySession {
    let options = Options::new()
        .timeout_ms(Some(TIMEOUT_MS))
        .strip_ansi_escape_codes(true);
    spawn_with_options(chat_command(home, args, no_color), options).unwrap()
}

fn chat_command(home: &common::Home, args: &[&str], no_color: bool) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("stty cols 120 rows 40; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_test-host"))
        .arg("--plugin")
        .arg(common::plugin_path())
        .arg("--config")
        .arg(home.dir.path().join("openclaw.json"))
        .arg("--state-dir")
        .arg(home.dir.path())
        .arg("--base-url")
        .arg(home.router.base_url())
        .args(args)
        .env_remove("HF_TOKEN")
        .env_remove("HUGGINGFACE_HUB_TOKEN")
        .env_remove("RUST_LOG")
        .env("TERM", "xterm-256color");
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    cmd
}

#[test]
fn no_color_labels_the_reasoning_instead_of_dimming_it() {
    let home = home();
    let once = [
        "chat",
        "--once",
        "hi",
        "--model",
        "huggingface/mock/reasoning-field",
    ];
    let mut p = chat_in_pty(&home, &once, true);
    p.exp_string("thinking: ").unwrap();
    p.exp_eof().unwrap();
    // On a colour terminal the reasoning is dimmed (the escape codes are
    // stripped here), not labelled.
    let mut p = chat_in_pty(&home, &once, false);
    let all = p.exp_eof().unwrap();
    assert!(all.contains(&answer_for("hi")), "{all}");
    assert!(!all.contains("thinking: "), "{all}");
}

fn chat_messages(home: &common::Home) -> Vec<String> {
    home.router
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .map(|r| {
            let body = r.json().unwrap();
            let messages = body["messages"].as_array().unwrap();
            messages.last().unwrap()["content"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn type_line(p: &mut PtySession, text: &str) {
    p.send(text).unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
}

#[test]
fn unknown_commands_are_refused_and_help_lists_every_command() {
    let home = home();
    let mut p = repl(&home);
    type_line(&mut p, "/exti");
    p.exp_string("unknown command /exti; /help lists them")
        .unwrap();
    type_line(&mut p, "/help");
    for command in ["/swap PATH", "/plugins", "/help", "/exit, /quit", "//text"] {
        p.exp_string(command).unwrap();
    }
    // `//` sends a message that starts with one slash.
    type_line(&mut p, "//etc is a path");
    p.exp_string(&answer_for("/etc is a path")).unwrap();
    type_line(&mut p, "/quit");
    p.exp_eof().unwrap();
    assert_eq!(
        chat_messages(&home),
        ["/etc is a path"],
        "only the // line was sent"
    );
}

#[test]
fn ctrl_c_at_the_prompt_re_prompts_and_a_second_one_leaves() {
    let home = home();
    let mut p = repl(&home);
    // Before any turn: not a silent kill.
    p.send_control(CTRL_C).unwrap();
    p.exp_string("Ctrl-C again").unwrap();
    p.exp_string("> ").unwrap();
    type_line(&mut p, "hi");
    p.exp_string(&answer_for("hi")).unwrap();
    p.exp_string("> ").unwrap();
    // After a turn: not swallowed either.
    p.send("half a thought").unwrap();
    p.send_control(CTRL_C).unwrap();
    p.exp_string("Ctrl-C again").unwrap();
    p.exp_string("> ").unwrap();
    p.send_control(CTRL_C).unwrap();
    p.exp_eof().unwrap();
    assert_eq!(
        chat_messages(&home),
        ["hi"],
        "the cleared line was not sent"
    );
    let status = p.process().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
}

#[test]
fn ctrl_d_leaves() {
    let home = home();
    let mut p = repl(&home);
    p.send_control(CTRL_D).unwrap();
    p.exp_eof().unwrap();
    assert!(chat_messages(&home).is_empty());
}

#[test]
fn a_long_pasted_line_and_a_continued_line_arrive_whole() {
    let home = home();
    let mut p = repl(&home);
    // Longer than the 4,095 bytes a terminal in line mode keeps.
    let long: String = (0..1200).map(|i| format!("w{i} ")).collect();
    let long = long.trim_end().to_string();
    assert!(long.len() > 5000);
    type_line(&mut p, &long);
    // The footer after the answer (rexpect reads bytes as Latin-1, so the
    // footer's `·` and the continuation prompt's `…` are not matched as text).
    p.exp_string(" out tokens").unwrap();
    p.exp_string("> ").unwrap();
    type_line(&mut p, "first line \\");
    p.exp_string("first line \\").unwrap();
    type_line(&mut p, "second line");
    p.exp_string(" out tokens").unwrap();
    type_line(&mut p, "/exit");
    p.exp_eof().unwrap();
    assert_eq!(
        chat_messages(&home),
        [long, "first line \nsecond line".to_string()]
    );
}

/// Text pasted into a terminal arrives as typed keys, line ends as Enter, so
/// each pasted line would be sent on its own (seen with bracketed paste
/// off: the first line went alone, the rest was lost) unless the program
/// asks the terminal for bracketed paste (ESC[?2004h). The terminal then
/// wraps a paste in ESC[200~ … ESC[201~, and the line editor keeps it as one
/// message, sent when Enter is pressed after it.
#[test]
fn a_pasted_block_of_several_lines_is_one_message() {
    let home = home();
    // Escape sequences kept: the request to the terminal is one.
    let options = Options::new().timeout_ms(Some(TIMEOUT_MS));
    let cmd = chat_command(&home, &["chat", "--model", MODEL], true);
    let mut p = spawn_with_options(cmd, options).unwrap();
    let shown = p.exp_string("> ").unwrap();
    assert!(
        shown.contains("\x1b[?2004h"),
        "the editor did not turn bracketed paste on: {shown:?}"
    );
    // A paste as a terminal sends it: line ends as carriage returns.
    p.send("\x1b[200~first pasted line\rsecond pasted line\x1b[201~")
        .unwrap();
    p.flush().unwrap();
    p.exp_string("second pasted line").unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
    p.exp_string(" out tokens").unwrap();
    type_line(&mut p, "/exit");
    p.exp_eof().unwrap();
    assert_eq!(
        chat_messages(&home),
        ["first pasted line\nsecond pasted line"]
    );
}
