//! The onboarding's prompts on the terminal: a yes/no question, a masked
//! token, and a dropdown with a type-to-filter line. Text is edited with
//! [`LineEditor`] (the readline keys) in all three.
//!
//! Each prompt holds the terminal in raw mode while it asks (a guard puts
//! it back, also on an error) and draws on stderr: a frame of lines, redrawn
//! whole after the keys that arrived together, the cursor left in the text
//! being typed. Lines are cut to the terminal's width so none wraps, which
//! keeps the frame's height known. Blocking: run it off the async runtime.

use std::fmt::Display;
use std::io::{self, Write};

use crossterm::cursor::{MoveToColumn, MoveUp};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{self, Clear, ClearType};
use crossterm::{QueueableCommand, style::Print};

use super::filter;
use super::line_editor::LineEditor;

/// Why a prompt gave no answer.
#[derive(Debug)]
pub enum PromptError {
    /// Esc (or Ctrl-D on an empty line).
    Cancelled,
    /// Ctrl-C.
    Interrupted,
    /// The terminal failed.
    Io(io::Error),
}

impl From<io::Error> for PromptError {
    fn from(e: io::Error) -> Self {
        PromptError::Io(e)
    }
}

/// A prompt's answer.
pub type PromptResult<T> = Result<T, PromptError>;

/// The keys every prompt shares, after its own and the line editor's:
/// `true` for Enter (Ctrl-J, Ctrl-M), an error for Esc, Ctrl-C and Ctrl-D
/// on an empty line; any other key is ignored.
fn submitted(key: KeyEvent, empty: bool) -> PromptResult<bool> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter => Ok(true),
        KeyCode::Char('j' | 'm') if ctrl => Ok(true),
        KeyCode::Esc => Err(PromptError::Cancelled),
        KeyCode::Char('c') if ctrl => Err(PromptError::Interrupted),
        KeyCode::Char('d') if ctrl && empty => Err(PromptError::Cancelled),
        _ => Ok(false),
    }
}

/// Raw mode for as long as it lives.
struct RawMode;

impl RawMode {
    fn enable() -> io::Result<RawMode> {
        terminal::enable_raw_mode()?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// One frame: its lines, and where the cursor goes (line, column).
struct Frame {
    lines: Vec<String>,
    cursor: (usize, usize),
}

/// The prompt's area of the terminal: the frame drawn last, with the cursor
/// on its line `cursor_line`.
struct Screen {
    out: io::Stderr,
    cursor_line: usize,
    width: usize,
    height: usize,
    _raw: RawMode,
}

impl Screen {
    fn open() -> io::Result<Screen> {
        let raw = RawMode::enable()?;
        let (width, height) = terminal::size().unwrap_or((80, 24));
        Ok(Screen {
            out: io::stderr(),
            cursor_line: 0,
            width: usize::from(width).max(10),
            height: usize::from(height).max(3),
            _raw: raw,
        })
    }

    /// Lines of a frame the terminal can show without scrolling it away.
    fn room(&self) -> usize {
        self.height.saturating_sub(1).max(2)
    }

    /// Back to the frame's first line, everything below cleared.
    fn rewind(&mut self) -> io::Result<()> {
        if self.cursor_line > 0 {
            self.out.queue(MoveUp(to_u16(self.cursor_line)))?;
        }
        self.out
            .queue(MoveToColumn(0))?
            .queue(Clear(ClearType::FromCursorDown))?;
        self.cursor_line = 0;
        Ok(())
    }

    fn draw(&mut self, frame: &Frame) -> io::Result<()> {
        self.rewind()?;
        let last = frame.lines.len().saturating_sub(1);
        for (i, line) in frame.lines.iter().enumerate() {
            self.out.queue(Print(fit(line, self.width - 1)))?;
            if i < last {
                self.out.queue(Print("\r\n"))?;
            }
        }
        let (line, column) = frame.cursor;
        let up = last.saturating_sub(line);
        if up > 0 {
            self.out.queue(MoveUp(to_u16(up)))?;
        }
        self.out
            .queue(MoveToColumn(to_u16(column.min(self.width - 1))))?;
        self.out.flush()?;
        self.cursor_line = last - up;
        Ok(())
    }

    /// Replaces the frame with the answered question, on a line of its own.
    fn finish(&mut self, line: &str) -> io::Result<()> {
        self.rewind()?;
        self.out.queue(Print(fit(line, self.width - 1)))?;
        self.out.queue(Print("\r\n"))?;
        self.out.flush()
    }

    /// The next key presses: one, then any that are already waiting (a
    /// paste, keys typed during a redraw), so the frame is drawn once for
    /// them. A resize reads the new size and returns (maybe no key), so the
    /// frame is drawn again at once.
    fn keys(&mut self) -> io::Result<Vec<KeyEvent>> {
        let mut keys = Vec::new();
        loop {
            match event::read()? {
                Event::Key(key) if key.kind != KeyEventKind::Release => keys.push(key),
                Event::Resize(width, height) => {
                    self.width = usize::from(width).max(10);
                    self.height = usize::from(height).max(3);
                    // Reflowed lines: start the frame again below them.
                    self.cursor_line = 0;
                    self.out.queue(Print("\r\n"))?;
                    return Ok(keys);
                }
                _ => {}
            }
            if !keys.is_empty() && !event::poll(std::time::Duration::ZERO)? {
                return Ok(keys);
            }
        }
    }
}

fn to_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// `line` cut to `width` characters, the last one `…` when cut.
fn fit(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn question_line(question: &str) -> String {
    format!("? {question} ")
}

/// Runs a prompt's loop; a cancelled one leaves its question marked so,
/// not a half-answered frame.
fn asking<T>(question: &str, ask: impl FnOnce(&mut Screen) -> PromptResult<T>) -> PromptResult<T> {
    let mut screen = Screen::open()?;
    let result = ask(&mut screen);
    if let Err(PromptError::Cancelled | PromptError::Interrupted) = &result {
        screen.finish(&format!("{}(cancelled)", question_line(question)))?;
    }
    result
}

/// `? question (Y/n)`, answered by typing y, yes, n or no (any case) and
/// Enter; Enter alone takes the default.
pub fn confirm(question: &str, default: bool) -> PromptResult<bool> {
    asking(question, |screen| confirm_on(screen, question, default))
}

fn confirm_on(screen: &mut Screen, question: &str, default: bool) -> PromptResult<bool> {
    let mut editor = LineEditor::default();
    let head = format!(
        "{}{} ",
        question_line(question),
        if default { "(Y/n)" } else { "(y/N)" }
    );
    let mut error: Option<&str> = None;
    loop {
        let mut lines = vec![format!("{head}{}", editor.text())];
        lines.extend(error.map(|e| format!("  {e}")));
        screen.draw(&Frame {
            lines,
            cursor: (0, head.chars().count() + editor.cursor_column()),
        })?;
        for key in screen.keys()? {
            if editor.apply(key) {
                error = None;
                continue;
            }
            if submitted(key, editor.text().is_empty())? {
                match yes_no(editor.text(), default) {
                    Some(answer) => {
                        let word = if answer { "Yes" } else { "No" };
                        screen.finish(&format!("{}{word}", question_line(question)))?;
                        return Ok(answer);
                    }
                    None => error = Some("type y or n, then Enter"),
                }
            }
        }
    }
}

/// A yes/no answer; `None` for anything else.
fn yes_no(text: &str, default: bool) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "" => Some(default),
        "y" | "yes" => Some(true),
        "n" | "no" => Some(false),
        _ => None,
    }
}

/// A token typed with each character shown as `*`. A blank answer is
/// refused with `empty_error`; `help` is shown under the line.
pub fn password(question: &str, help: &str, empty_error: &str) -> PromptResult<String> {
    asking(question, |screen| {
        password_on(screen, question, help, empty_error)
    })
}

fn password_on(
    screen: &mut Screen,
    question: &str,
    help: &str,
    empty_error: &str,
) -> PromptResult<String> {
    let mut editor = LineEditor::default();
    let head = question_line(question);
    let mut error = false;
    loop {
        let masked = "*".repeat(editor.text().chars().count());
        let mut lines = vec![format!("{head}{masked}")];
        lines.push(if error {
            format!("  {empty_error}")
        } else {
            format!("[{help}]")
        });
        screen.draw(&Frame {
            lines,
            cursor: (0, head.chars().count() + editor.cursor_column()),
        })?;
        for key in screen.keys()? {
            if editor.apply(key) {
                error = false;
                continue;
            }
            if submitted(key, editor.text().is_empty())? {
                if editor.text().trim().is_empty() {
                    error = true;
                    continue;
                }
                let masked = "*".repeat(editor.text().chars().count());
                screen.finish(&format!("{head}{masked}"))?;
                return Ok(editor.text().to_string());
            }
        }
    }
}

/// A dropdown's fixed parts.
pub struct Select<'a, T> {
    /// The question.
    pub question: &'a str,
    /// The options, in the order shown when no filter is typed.
    pub options: Vec<T>,
    /// The option the cursor starts on.
    pub start: usize,
    /// Options shown at once (fewer on a short terminal).
    pub page_size: usize,
    /// Shown under the options.
    pub help: &'a str,
    /// The texts the filter is matched against, for each option.
    pub texts: fn(&T) -> Vec<String>,
}

impl<T: Display> Select<'_, T> {
    /// Asks: ↑↓ (Ctrl-P/N) move, PageUp/PageDown a page, typing filters the
    /// list (best matches first, see [`filter`]), Enter takes the
    /// highlighted option. A filter that matches nothing says so.
    pub fn ask(self) -> PromptResult<T> {
        let question = self.question;
        asking(question, |screen| self.ask_on(screen))
    }

    fn ask_on(mut self, screen: &mut Screen) -> PromptResult<T> {
        let mut editor = LineEditor::default();
        let head = question_line(self.question);
        let mut shown: Vec<usize> = (0..self.options.len()).collect();
        let mut cursor = self.start.min(shown.len().saturating_sub(1));
        let mut top = 0;
        loop {
            let page = self.page_size.min(screen.room().saturating_sub(2)).max(1);
            // Keep the cursor on the page.
            if cursor < top {
                top = cursor;
            } else if cursor >= top + page {
                top = cursor + 1 - page;
            }
            let mut lines = vec![format!("{head}{}", editor.text())];
            if shown.is_empty() {
                lines.push(format!(
                    "  nothing matches \"{}\" (Ctrl-U clears the filter)",
                    editor.text()
                ));
            }
            for (row, &option) in shown.iter().enumerate().skip(top).take(page) {
                let mark = if row == cursor { ">" } else { " " };
                lines.push(format!("{mark} {}", self.options[option]));
            }
            let position = if shown.len() > page {
                format!(" ({}/{})", cursor + 1, shown.len())
            } else {
                String::new()
            };
            lines.push(format!("[{}]{position}", self.help));
            screen.draw(&Frame {
                lines,
                cursor: (0, head.chars().count() + editor.cursor_column()),
            })?;
            for key in screen.keys()? {
                let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
                match key.code {
                    KeyCode::Up => cursor = cursor.saturating_sub(1),
                    KeyCode::Char('p') if ctrl => cursor = cursor.saturating_sub(1),
                    KeyCode::Down => cursor = (cursor + 1).min(shown.len().saturating_sub(1)),
                    KeyCode::Char('n') if ctrl => {
                        cursor = (cursor + 1).min(shown.len().saturating_sub(1));
                    }
                    KeyCode::PageUp => cursor = cursor.saturating_sub(page),
                    KeyCode::PageDown => {
                        cursor = (cursor + page).min(shown.len().saturating_sub(1));
                    }
                    _ => {
                        let before = editor.text().to_string();
                        if editor.apply(key) {
                            if editor.text() != before {
                                shown = filter::filtered(&self.options, editor.text(), self.texts);
                                // The best match first; with the filter
                                // cleared, where the list started.
                                cursor = if editor.text().trim().is_empty() {
                                    self.start.min(shown.len().saturating_sub(1))
                                } else {
                                    0
                                };
                                top = 0;
                            }
                            continue;
                        }
                        if submitted(key, editor.text().is_empty())?
                            && let Some(&chosen) = shown.get(cursor)
                        {
                            let answer = self.options.swap_remove(chosen);
                            screen.finish(&format!("{head}{answer}"))?;
                            return Ok(answer);
                        }
                    }
                }
            }
        }
    }
}

/// The texts of an option that shows as its label.
pub fn label_text<T: Display>(option: &T) -> Vec<String> {
    vec![option.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_lines() {
        assert_eq!(yes_no("", true), Some(true));
        assert_eq!(yes_no(" YES ", false), Some(true));
        assert_eq!(yes_no("n", true), Some(false));
        assert_eq!(yes_no("nu", true), None);
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
