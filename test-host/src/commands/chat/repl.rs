//! The conversation: a line editor loop, REPL commands, and the history.
//!
//! Lines come from [`LineReader`]: rustyline on a terminal (editing, history,
//! pasted text of any length, Ctrl-C and Ctrl-D as values), plain lines from
//! a pipe. A line ending in `\` continues on the next one. A line starting
//! with `/` is a command, never a prompt: an unknown one is refused (so a typo
//! is not sent as a paid prompt); `//text` sends `/text`.

use std::io::{BufRead, IsTerminal};

use host_sdk::{ChatRequest, Message, ProviderSlot};
use tokio::sync::mpsc;

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
    pub(super) advice: &'a super::Advice<'a>,
}

/// What reading a line gave.
#[derive(Debug)]
enum Input {
    Line(String),
    /// Ctrl-C at the prompt.
    Interrupted,
    /// Ctrl-D, or the end of piped input.
    Eof,
}

const PROMPT: &str = "> ";
const CONTINUATION_PROMPT: &str = "… ";

pub(super) const HELP: &str = "\
/swap PATH   load another build of the plugin; answers in progress finish on the old one
/plugins     every plugin version loaded in this session, its state and calls in flight
/help        this list
/exit, /quit leave (so do Ctrl-D and a second Ctrl-C)
//text       send a message that starts with '/'
A line ending in \\ continues on the next line; pasted text may span lines.";

/// Reads lines on a thread of its own, one per request: the line editor
/// holds the terminal in raw mode only while it reads, so a Ctrl-C during an
/// answer stays a signal (which cancels the answer), never a keystroke.
struct LineReader {
    prompts: std::sync::mpsc::Sender<&'static str>,
    lines: mpsc::UnboundedReceiver<Input>,
    /// A request was sent and its line has not arrived yet.
    pending: bool,
}

impl LineReader {
    fn spawn() -> LineReader {
        let (prompts, requests) = std::sync::mpsc::channel::<&'static str>();
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            if std::io::stdin().is_terminal() {
                read_with_editor(&requests, &tx);
            } else {
                read_piped(&requests, &tx);
            }
        });
        LineReader {
            prompts,
            lines,
            pending: false,
        }
    }

    /// The next input; a Ctrl-C signal while waiting (piped input, where
    /// no editor turns it into a key) counts as [`Input::Interrupted`].
    async fn read(&mut self, prompt: &'static str) -> Input {
        if !self.pending {
            if self.prompts.send(prompt).is_err() {
                return Input::Eof;
            }
            self.pending = true;
        }
        tokio::select! {
            line = self.lines.recv() => {
                self.pending = false;
                line.unwrap_or(Input::Eof)
            }
            _ = tokio::signal::ctrl_c() => {
                errln!();
                Input::Interrupted
            }
        }
    }
}

fn read_with_editor(
    requests: &std::sync::mpsc::Receiver<&'static str>,
    tx: &mpsc::UnboundedSender<Input>,
) {
    use rustyline::error::ReadlineError;
    let config = rustyline::Config::builder()
        .auto_add_history(true)
        // The editor draws on the terminal itself, so answers on stdout can
        // go to a file (`chat > answers.txt`) without prompts in them.
        .behavior(rustyline::Behavior::PreferTerm)
        .build();
    let mut editor = match rustyline::DefaultEditor::with_config(config) {
        Ok(editor) => editor,
        Err(e) => {
            errln!("warning: no line editor ({e}); reading plain lines");
            return read_piped(requests, tx);
        }
    };
    for prompt in requests {
        let input = match editor.readline(prompt) {
            Ok(line) => Input::Line(line),
            Err(ReadlineError::Interrupted) => Input::Interrupted,
            Err(ReadlineError::Eof) => Input::Eof,
            Err(e) => {
                errln!("error: cannot read the terminal: {e}");
                Input::Eof
            }
        };
        let end = matches!(input, Input::Eof);
        if tx.send(input).is_err() || end {
            break;
        }
    }
}

fn read_piped(
    requests: &std::sync::mpsc::Receiver<&'static str>,
    tx: &mpsc::UnboundedSender<Input>,
) {
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    for prompt in requests {
        errprint!("{prompt}");
        let mut line = String::new();
        let input = match stdin.read_line(&mut line) {
            Ok(0) | Err(_) => {
                // Leave the terminal on a fresh line after the prompt.
                errln!();
                Input::Eof
            }
            Ok(_) => {
                let trimmed = line.trim_end_matches(['\n', '\r']).len();
                line.truncate(trimmed);
                Input::Line(line)
            }
        };
        let end = matches!(input, Input::Eof);
        if tx.send(input).is_err() || end {
            break;
        }
    }
}

/// What the user typed, once continuation lines are joined.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Entry {
    /// Send this text as a message.
    Message(String),
    /// Run a REPL command: its name (with the `/`) and argument.
    Command(String, String),
    /// Nothing to do (a blank line).
    Nothing,
}

/// Classifies one (joined) line: `/name arg` is a command, `//text` the
/// message `/text`, anything else a message.
pub(super) fn classify(text: &str) -> Entry {
    let text = text.trim();
    if text.is_empty() {
        return Entry::Nothing;
    }
    if let Some(literal) = text.strip_prefix("//") {
        return Entry::Message(format!("/{literal}"));
    }
    if text.starts_with('/') {
        let (name, arg) = match text.split_once(char::is_whitespace) {
            Some((name, arg)) => (name, arg.trim()),
            None => (text, ""),
        };
        return Entry::Command(name.to_string(), arg.to_string());
    }
    Entry::Message(text.to_string())
}

impl Conversation<'_> {
    pub(super) async fn repl(&self, mut history: Vec<Message>) -> CliResult {
        let (model, template, render, as_json) =
            (self.model, self.template, self.render, self.as_json);
        errln!(
            "Chatting with {model}. Type /exit to leave, /help for commands; Ctrl-C stops an answer."
        );
        let mut reader = LineReader::spawn();
        let mut interrupted = false;
        loop {
            let text = match self.read_entry(&mut reader).await {
                Input::Line(text) => {
                    interrupted = false;
                    text
                }
                Input::Interrupted if !interrupted => {
                    interrupted = true;
                    errln!("(Ctrl-C again, Ctrl-D or /exit to leave)");
                    continue;
                }
                // Each reader has ended its line already.
                Input::Interrupted | Input::Eof => break,
            };
            let line = match classify(&text) {
                Entry::Nothing => continue,
                Entry::Command(name, _) if matches!(name.as_str(), "/exit" | "/quit") => break,
                Entry::Command(name, arg) => {
                    self.command(&name, &arg).await;
                    continue;
                }
                Entry::Message(line) => line,
            };
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
            if turn.stdout_closed {
                return Err(crate::stdout::closed());
            }
            if as_json {
                outln!("{}", turn_json(&turn, self.advice))?;
            }
            match &turn.error {
                None => {
                    let mut answer = Message::assistant(turn.response.content.clone());
                    answer.tool_calls = turn.response.tool_calls.clone();
                    history.push(answer);
                    if !as_json {
                        errln!("{}", paint(render.colour, &footer(&turn)));
                    }
                }
                Some(e) => {
                    // The question stays unanswered: drop it so the next turn is clean.
                    history.pop();
                    if !as_json {
                        errln!("error: {}", self.advice.describe(e));
                    }
                }
            }
        }
        Ok(())
    }

    /// One entry: a line, joined with the next while it ends in `\`.
    async fn read_entry(&self, reader: &mut LineReader) -> Input {
        let mut text = String::new();
        let mut prompt = PROMPT;
        loop {
            match reader.read(prompt).await {
                Input::Line(line) => match line.strip_suffix('\\') {
                    Some(head) => {
                        text.push_str(head);
                        text.push('\n');
                        prompt = CONTINUATION_PROMPT;
                    }
                    None => {
                        text.push_str(&line);
                        return Input::Line(text);
                    }
                },
                other => return other,
            }
        }
    }

    /// Runs a REPL command (`/swap PATH`, `/plugins`, `/help`); anything
    /// else is refused, never sent to the model.
    async fn command(&self, name: &str, arg: &str) {
        match name {
            "/swap" if arg.is_empty() => errln!("usage: /swap PATH"),
            "/swap" => {
                let path = std::path::Path::new(arg);
                match self.slot.swap(path, swap::DRAIN_TIMEOUT).await {
                    Ok(report) => errln!("{}", swap::describe_swap(&report, path)),
                    Err(e) => errln!("{}", swap::describe_swap_error(&e, self.slot)),
                }
            }
            "/plugins" => {
                for line in swap::version_lines(&self.slot.versions()) {
                    errln!("{line}");
                }
            }
            "/help" => errln!("{HELP}"),
            _ => errln!(
                "unknown command {name}; /help lists them (start a message with // to send a leading /)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_lines_are_commands_and_double_slash_sends_one() {
        assert_eq!(
            classify(" /exti "),
            Entry::Command("/exti".into(), String::new())
        );
        assert_eq!(
            classify("/swap  /tmp/v2.so "),
            Entry::Command("/swap".into(), "/tmp/v2.so".into())
        );
        assert_eq!(
            classify("//etc is a path"),
            Entry::Message("/etc is a path".into())
        );
        assert_eq!(
            classify("hello /there"),
            Entry::Message("hello /there".into())
        );
        assert_eq!(classify("   "), Entry::Nothing);
    }

    #[test]
    fn help_lists_every_command() {
        for command in ["/swap", "/plugins", "/help", "/exit", "/quit", "//"] {
            assert!(HELP.contains(command), "{command} missing from /help");
        }
    }
}
