//! The conversation: a line editor loop, REPL commands, and the history.

use std::io::BufRead;

use host_sdk::{ChatRequest, Message, ProviderSlot};

use super::output::turn_json;
use super::render::{Render, footer, paint};
use super::turn::run_turn;
use crate::error::CliResult;
use crate::swap;

/// The interactive loop's fixed parts.
pub(super) struct Conversation<'a> {
    pub(super) slot: &'a ProviderSlot,
    pub(super) model: &'a str,
    pub(super) fallbacks: &'a [String],
    pub(super) template: &'a ChatRequest,
    pub(super) render: Render,
    pub(super) as_json: bool,
}

impl Conversation<'_> {
    pub(super) async fn repl(&self, mut history: Vec<Message>) -> CliResult {
        let (model, template, render, as_json) =
            (self.model, self.template, self.render, self.as_json);
        eprintln!(
            "Chatting with {model}. Type /exit to leave, /help for commands; Ctrl-C stops an answer."
        );
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        // stdin is blocking; read it on its own thread so Ctrl-C and streaming stay responsive.
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            eprint!("> ");
            let Some(line) = rx.recv().await else { break };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if matches!(line, "/exit" | "/quit") {
                break;
            }
            if self.command(line).await {
                continue;
            }
            history.push(Message::user(line));
            // Held for the whole turn (failover included): a swap meanwhile
            // lets this answer finish on the version it started on.
            let lease = self.slot.lease();
            let turn = run_turn(
                &lease,
                model,
                self.fallbacks,
                history.clone(),
                template,
                render,
            )
            .await;
            drop(lease);
            if as_json {
                println!("{}", turn_json(&turn));
            }
            match &turn.error {
                None => {
                    let mut answer = Message::assistant(turn.response.content.clone());
                    answer.tool_calls = turn.response.tool_calls.clone();
                    history.push(answer);
                    if !as_json {
                        eprintln!("{}", paint(render.colour, &footer(&turn)));
                    }
                }
                Some(e) => {
                    // The question stays unanswered: drop it so the next turn is clean.
                    history.pop();
                    if !as_json {
                        eprintln!("error: {e}");
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs a REPL command (`/swap PATH`, `/plugins`, `/help`); `false` when
    /// `line` is not one and should be sent as a message.
    async fn command(&self, line: &str) -> bool {
        let (name, arg) = match line.split_once(char::is_whitespace) {
            Some((name, arg)) => (name, arg.trim()),
            None => (line, ""),
        };
        match name {
            "/swap" if arg.is_empty() => eprintln!("usage: /swap PATH"),
            "/swap" => {
                let path = std::path::Path::new(arg);
                match self.slot.swap(path, swap::DRAIN_TIMEOUT).await {
                    Ok(report) => eprintln!("{}", swap::describe_swap(&report, path)),
                    Err(e) => eprintln!("{}", swap::describe_swap_error(&e, self.slot)),
                }
            }
            "/plugins" => {
                for line in swap::version_lines(&self.slot.versions()) {
                    eprintln!("{line}");
                }
            }
            "/help" => eprintln!(
                "/swap PATH   load another build of the plugin; answers in progress finish on the old one\n\
                 /plugins     every plugin version loaded in this session, its state and calls in flight\n\
                 /exit        leave"
            ),
            _ => return false,
        }
        true
    }
}
