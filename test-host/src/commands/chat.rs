//! `test-host chat`: one turn (`--once`) or a conversation.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use host_sdk::{
    Attempt, ChatEvent, ChatRequest, ChatResponse, ErrorKind, Message, Provider, ProviderError,
    ProviderSlot,
};
use serde_json::{Value, json};

use crate::cli::{ChatArgs, GlobalOptions};
use crate::error::{CliError, CliResult};
use crate::host::{self, DEFAULT_MODEL};
use crate::swap::{self, watch};

/// The result of one turn.
#[derive(Debug)]
pub struct Turn {
    /// The canonical ref of the model that answered (or was last tried).
    pub model: String,
    /// The assembled answer (partial if the turn failed mid-stream).
    pub response: ChatResponse,
    /// The error that ended the turn, if any.
    pub error: Option<ProviderError>,
    /// Failed attempts, in order.
    pub attempts: Vec<Attempt>,
    /// Wall time of the turn.
    pub elapsed: Duration,
}

/// How streamed output is shown.
#[derive(Debug, Clone, Copy)]
pub struct Render {
    /// Print text as it streams (off for `--json`).
    pub stream: bool,
    /// Show reasoning.
    pub reasoning: bool,
    /// Use ANSI colours on stderr.
    pub colour: bool,
}

const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

fn print_event(render: Render, event: &ChatEvent, in_reasoning: &mut bool) {
    if !render.stream {
        return;
    }
    match event {
        ChatEvent::Reasoning(text) if render.reasoning => {
            let mut err = std::io::stderr().lock();
            if render.colour {
                let _ = write!(err, "{DIM}{text}{RESET}");
            } else {
                let _ = write!(err, "{text}");
            }
            let _ = err.flush();
            *in_reasoning = true;
        }
        ChatEvent::Content(text) => {
            if *in_reasoning {
                eprintln!();
                *in_reasoning = false;
            }
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{text}");
            let _ = out.flush();
        }
        ChatEvent::Retrying {
            attempt,
            delay_ms,
            error,
        } => eprintln!("[retrying after attempt {attempt} in {delay_ms} ms: {error}]"),
        _ => {}
    }
}

/// Runs one turn over the failover chain (`model`, then `fallbacks`): streams
/// the answer and collects every failed attempt. Ctrl-C cancels the answer
/// (the turn then ends with a `cancelled` error).
pub async fn run_turn(
    provider: &Provider,
    model: &str,
    fallbacks: &[String],
    messages: Vec<Message>,
    template: &ChatRequest,
    render: Render,
) -> Turn {
    let started = Instant::now();
    let request = ChatRequest {
        model: model.to_string(),
        messages,
        ..template.clone()
    };
    let mut stream = provider.complete_with_failover(request, fallbacks);
    let mut response = ChatResponse::default();
    let mut error = None;
    let mut in_reasoning = false;
    let mut noticed_fallback = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut cancelled = false;
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = &mut ctrl_c, if !cancelled => {
                cancelled = true;
                stream.cancel();
                continue;
            }
        };
        match item {
            Some(Ok(event)) => {
                if render.stream && stream.fell_back() && !noticed_fallback {
                    noticed_fallback = true;
                    if let Some(by) = stream.answered_by() {
                        eprintln!("[{model} failed; answering with fallback {by}]");
                    }
                }
                print_event(render, &event, &mut in_reasoning);
                response.apply(&event);
            }
            Some(Err(e)) => {
                error = Some(e);
                break;
            }
            None => break,
        }
    }
    if render.stream {
        if in_reasoning {
            eprintln!();
        }
        if !response.content.is_empty() {
            println!();
        }
        for call in &response.tool_calls {
            println!("[tool call {} {}({})]", call.id, call.name, call.arguments);
        }
    }
    Turn {
        model: stream.answered_by().unwrap_or(model).to_string(),
        response,
        error,
        attempts: stream.attempts().to_vec(),
        elapsed: started.elapsed(),
    }
}

fn error_json(e: &ProviderError) -> Value {
    json!({
        "kind": e.kind.as_str(),
        "message": e.message,
        "status": e.status,
        "request_id": e.request_id,
    })
}

fn attempts_json(turn: &Turn) -> Value {
    Value::Array(
        turn.attempts
            .iter()
            .map(|a| {
                json!({
                    "model": a.model,
                    "error_kind": a.error.kind.as_str(),
                    "message": a.error.message,
                })
            })
            .collect(),
    )
}

/// The `--json` object for a turn.
pub fn turn_json(turn: &Turn) -> Value {
    if let Some(e) = &turn.error {
        return json!({ "error": error_json(e), "attempts": attempts_json(turn) });
    }
    let r = &turn.response;
    json!({
        "model": turn.model,
        "served_by": r.served_by,
        "request_id": r.request_id,
        "content": r.content,
        "reasoning": r.reasoning,
        "tool_calls": r.tool_calls.iter().map(|c| json!({
            "id": c.id, "name": c.name, "arguments": c.arguments,
        })).collect::<Vec<_>>(),
        "finish_reason": r.finish_reason,
        "usage": r.usage.map(|u| json!({
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "total_tokens": u.total_tokens,
        })),
        "cost_usd": r.usage.and_then(|u| u.cost_usd),
        "attempts": attempts_json(turn),
    })
}

/// The footer shown after an answer: model, backend, tokens, cost, time.
pub fn footer(turn: &Turn) -> String {
    let r = &turn.response;
    let mut parts = vec![turn.model.clone()];
    if let Some(b) = &r.served_by {
        parts.push(format!("via {b}"));
    }
    if let Some(u) = r.usage {
        parts.push(format!(
            "{} in / {} out tokens",
            u.prompt_tokens, u.completion_tokens
        ));
        if let Some(c) = u.cost_usd {
            parts.push(format!("${c:.6}"));
        }
    }
    parts.push(format!("{:.1} s", turn.elapsed.as_secs_f64()));
    parts.join(" · ")
}

fn template(args: &ChatArgs) -> ChatRequest {
    ChatRequest {
        max_tokens: args.max_tokens,
        temperature: args.temperature,
        ..ChatRequest::new(String::new(), Vec::new())
    }
}

/// Runs the `chat` command.
pub async fn run(global: &GlobalOptions, args: &ChatArgs) -> CliResult {
    run_watching(global, args, false).await
}

/// Runs the `chat` command; with `watch_plugin`, a conversation reloads the
/// plugin whenever its file changes (a one-shot `--once` turn ignores it).
pub async fn run_watching(
    global: &GlobalOptions,
    args: &ChatArgs,
    watch_plugin: bool,
) -> CliResult {
    let session = host::open(global)?;
    let model = match &args.model {
        Some(m) => m.clone(),
        None => session
            .config
            .primary_model()?
            .unwrap_or_else(|| DEFAULT_MODEL.to_string()),
    };
    let colour = std::io::stderr().is_terminal();
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
        if args.json {
            println!("{:#}", turn_json(&turn));
        } else if turn.error.is_none() {
            eprintln!("{}", paint(colour, &footer(&turn)));
        }
        return match turn.error {
            None => Ok(()),
            Some(e) if args.json => Err(CliError {
                message: String::new(),
                code: exit_code(&e),
            }),
            Some(e) => Err(CliError {
                message: e.to_string(),
                code: exit_code(&e),
            }),
        };
    }
    // The conversation serves through a slot so `/swap` and watch mode can
    // replace the plugin between (and during) turns.
    let slot = swap::session_slot(global, &session)?;
    let watcher = watch_plugin.then(|| {
        let path = slot.plugin().path().to_path_buf();
        eprintln!(
            "Watching {} for changes (polled every {} ms).",
            path.display(),
            watch::POLL_INTERVAL.as_millis()
        );
        let notify: watch::Notify = std::sync::Arc::new(|line| eprintln!("\n{line}"));
        watch::spawn(slot.clone(), path, watch::POLL_INTERVAL, notify)
    });
    let chat = Conversation {
        slot: &slot,
        model: &model,
        fallbacks: &fallbacks,
        template: &template,
        render,
        as_json: args.json,
    };
    let result = chat.repl(history).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    if let Some(report) = slot.shutdown(swap::EXIT_TIMEOUT).await
        && !report.clean
    {
        eprintln!(
            "warning: the plugin did not stop cleanly: {}",
            report.message
        );
    }
    result
}

fn paint(colour: bool, text: &str) -> String {
    if colour {
        format!("{DIM}{text}{RESET}")
    } else {
        text.to_string()
    }
}

fn exit_code(e: &ProviderError) -> i32 {
    match e.kind {
        ErrorKind::Cancelled => 130,
        _ => 1,
    }
}

/// The interactive loop's fixed parts.
struct Conversation<'a> {
    slot: &'a ProviderSlot,
    model: &'a str,
    fallbacks: &'a [String],
    template: &'a ChatRequest,
    render: Render,
    as_json: bool,
}

impl Conversation<'_> {
    async fn repl(&self, mut history: Vec<Message>) -> CliResult {
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
