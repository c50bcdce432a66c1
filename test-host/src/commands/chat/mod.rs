//! `test-host chat`: one turn (`--once`) or a conversation.
//!
//! `turn` runs one turn over the failover chain; `render` shows it on a
//! terminal; `output` is the `--json` form; `repl` is the conversation.

mod advice;
mod output;
mod render;
mod repl;
mod turn;

use std::io::IsTerminal;

use host_sdk::{ChatRequest, ErrorKind, Message, ProviderError};

use crate::cli::{ChatArgs, GlobalOptions};
use crate::commands::endpoint;
use crate::error::{CliError, CliResult};
use crate::host::{self, DEFAULT_MODEL};
use crate::swap::{self, watch};
pub use advice::Advice;
use output::turn_json;
use render::paint;
pub use render::{Render, footer};
use repl::Conversation;
pub use turn::{Turn, run_turn};

fn template(args: &ChatArgs) -> ChatRequest {
    ChatRequest {
        max_tokens: args.max_tokens,
        temperature: args.temperature,
        ..ChatRequest::new(String::new(), Vec::new())
    }
}

/// Runs the `chat` command. With `--watch-plugin`, a conversation reloads
/// the plugin whenever its file changes (a one-shot `--once` turn ignores it).
pub async fn run(global: &GlobalOptions, args: &ChatArgs) -> CliResult {
    // A blank prompt is still a call the router bills.
    if args.once.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return Err(CliError::usage(
            "--once needs a prompt: an empty one would still be sent (and billed)",
        ));
    }
    let session = host::open(global)?;
    let base_url = endpoint::base_url(global, &session.config)?;
    let advice = Advice {
        token: &session.token,
        base_url: &base_url,
    };
    let model = match &args.model {
        Some(m) => m.clone(),
        None => session
            .config
            .primary_model()?
            .unwrap_or_else(|| DEFAULT_MODEL.to_string()),
    };
    let colour = global.color.enabled(std::io::stderr().is_terminal());
    let render = Render {
        stream: !args.json,
        reasoning: !args.no_reasoning,
        colour,
    };
    let template = template(args);
    let fallbacks = session.config.fallbacks()?;
    let mut history: Vec<Message> = args.system.iter().map(Message::system).collect();
    if let Some(prompt) = &args.once {
        history.push(Message::user(prompt.clone()));
        let turn = run_turn(
            &session.provider,
            &model,
            &fallbacks,
            history,
            &template,
            render,
        )
        .await;
        if turn.stdout_closed {
            return Err(crate::stdout::closed());
        }
        if args.json {
            outln!("{:#}", turn_json(&turn, &advice))?;
        } else if turn.error.is_none() {
            errln!("{}", paint(colour, &footer(&turn)));
        }
        return match turn.error {
            None => Ok(()),
            Some(e) if args.json => Err(CliError {
                message: String::new(),
                code: exit_code(&e),
            }),
            Some(e) => Err(CliError {
                message: advice.describe(&e),
                code: exit_code(&e),
            }),
        };
    }
    // The conversation serves through a slot so `/swap` and watch mode can
    // replace the plugin between (and during) turns.
    let slot = swap::session_slot(global, &session)?;
    let watcher = args.watch_plugin.then(|| {
        let path = slot.plugin().path().to_path_buf();
        errln!(
            "Watching {} for changes (polled every {} ms).",
            path.display(),
            watch::POLL_INTERVAL.as_millis()
        );
        let notify: watch::Notify = std::sync::Arc::new(|line| errln!("\n{line}"));
        watch::spawn(slot.clone(), path, watch::POLL_INTERVAL, notify)
    });
    let chat = Conversation {
        slot: &slot,
        model: &model,
        fallbacks: &fallbacks,
        template: &template,
        render,
        as_json: args.json,
        advice: &advice,
    };
    let result = chat.repl(history).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    if let Some(report) = slot.shutdown(swap::EXIT_TIMEOUT).await
        && !report.clean
    {
        errln!(
            "warning: the plugin did not stop cleanly: {}",
            report.message
        );
    }
    result
}

fn exit_code(e: &ProviderError) -> i32 {
    match e.kind {
        ErrorKind::Cancelled => 130,
        _ => 1,
    }
}
