//! The editing keys of every onboarding prompt that takes text (the token,
//! a yes/no answer, a dropdown's filter): the readline keys a shell user's
//! fingers know, so Ctrl-U at the token prompt clears what was typed instead
//! of adding a `u` to the token.
//!
//! Pure state (the text and a cursor) changed by keys: the prompts draw it;
//! the tests here need no terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A line of text being typed and the cursor in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: String,
    /// A byte offset on a char boundary.
    cursor: usize,
}

impl LineEditor {
    /// What has been typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Characters before the cursor: its column within the text.
    pub fn cursor_column(&self) -> usize {
        self.text[..self.cursor].chars().count()
    }

    /// Applies `key` if it is an editing key; `false` leaves it to the
    /// prompt (Enter, Esc, arrows up and down, ...).
    ///
    /// Emacs/readline bindings: Ctrl-A/E and Home/End to the start or end,
    /// Ctrl-B/F and arrows by a character, Alt-B/F and Ctrl-arrows by a word,
    /// Ctrl-U deletes to the start, Ctrl-K to the end, Ctrl-W the word before
    /// the cursor (up to whitespace), Alt-Backspace and Ctrl-Backspace the
    /// word part before it, Alt-D and Ctrl-Delete the one after it,
    /// Backspace/Ctrl-H and Delete/Ctrl-D a character.
    pub fn apply(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char(c) if !ctrl && !alt => self.insert(c),
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.text.len(),
            KeyCode::Char('b') if ctrl => self.cursor = self.prev_char(),
            KeyCode::Char('f') if ctrl => self.cursor = self.next_char(),
            KeyCode::Char('b') if alt => self.cursor = self.prev_word(),
            KeyCode::Char('f') if alt => self.cursor = self.next_word(),
            KeyCode::Char('h') if ctrl => self.delete(self.prev_char()..self.cursor),
            KeyCode::Char('d') if ctrl && !self.text.is_empty() => {
                self.delete(self.cursor..self.next_char());
            }
            KeyCode::Char('u') if ctrl => self.delete(0..self.cursor),
            KeyCode::Char('k') if ctrl => self.delete(self.cursor..self.text.len()),
            KeyCode::Char('w') if ctrl => self.delete(self.prev_blank_word()..self.cursor),
            KeyCode::Char('d') if alt => self.delete(self.cursor..self.next_word()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.len(),
            KeyCode::Left if ctrl || alt => self.cursor = self.prev_word(),
            KeyCode::Right if ctrl || alt => self.cursor = self.next_word(),
            KeyCode::Left => self.cursor = self.prev_char(),
            KeyCode::Right => self.cursor = self.next_char(),
            KeyCode::Backspace if ctrl || alt => self.delete(self.prev_word()..self.cursor),
            KeyCode::Backspace => self.delete(self.prev_char()..self.cursor),
            KeyCode::Delete if ctrl => self.delete(self.cursor..self.next_word()),
            KeyCode::Delete => self.delete(self.cursor..self.next_char()),
            _ => return false,
        }
        true
    }

    fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    fn delete(&mut self, range: std::ops::Range<usize>) {
        self.text.replace_range(range.clone(), "");
        self.cursor = range.start;
    }

    fn prev_char(&self) -> usize {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_char(&self) -> usize {
        self.text[self.cursor..]
            .chars()
            .next()
            .map_or(self.cursor, |c| self.cursor + c.len_utf8())
    }

    /// The start of the word before the cursor, words being runs of
    /// letters and digits (readline's `backward-word`).
    fn prev_word(&self) -> usize {
        let before: Vec<(usize, char)> = self.text[..self.cursor].char_indices().collect();
        let mut i = before.len();
        while i > 0 && !before[i - 1].1.is_alphanumeric() {
            i -= 1;
        }
        while i > 0 && before[i - 1].1.is_alphanumeric() {
            i -= 1;
        }
        before
            .get(i)
            .map_or(self.cursor, |(at, _)| *at)
            .min(self.cursor)
    }

    /// The end of the word after the cursor (readline's `forward-word`).
    fn next_word(&self) -> usize {
        let mut chars = self.text[self.cursor..].char_indices().peekable();
        while chars.next_if(|(_, c)| !c.is_alphanumeric()).is_some() {}
        while chars.next_if(|(_, c)| c.is_alphanumeric()).is_some() {}
        chars
            .peek()
            .map_or(self.text.len(), |(i, _)| self.cursor + i)
    }

    /// The start of the whitespace-delimited word before the cursor
    /// (readline's `unix-word-rubout`, Ctrl-W).
    fn prev_blank_word(&self) -> usize {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end();
        trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn alt(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::ALT)
    }

    fn typed(editor: &mut LineEditor, text: &str) {
        for c in text.chars() {
            assert!(editor.apply(key(KeyCode::Char(c))));
        }
    }

    /// The editor after `keys`, as `text|rest` with `|` at the cursor.
    fn shown(editor: &LineEditor) -> String {
        let (a, b) = editor.text.split_at(editor.cursor);
        format!("{a}|{b}")
    }

    #[test]
    fn ctrl_u_and_ctrl_w_delete_instead_of_typing_letters() {
        let mut e = LineEditor::default();
        typed(&mut e, "hf_wrong");
        e.apply(ctrl('u'));
        typed(&mut e, "hf_right");
        assert_eq!(e.text(), "hf_right");

        typed(&mut e, " two words");
        e.apply(ctrl('w'));
        assert_eq!(shown(&e), "hf_right two |");
        e.apply(ctrl('w'));
        assert_eq!(shown(&e), "hf_right |");
        e.apply(ctrl('w'));
        assert_eq!(shown(&e), "|");
        e.apply(ctrl('w'));
        assert_eq!(shown(&e), "|");
    }

    #[test]
    fn moving_and_deleting_around_the_cursor() {
        let mut e = LineEditor::default();
        typed(&mut e, "Qwen/Qwen3-8B");
        e.apply(ctrl('a'));
        assert_eq!(e.cursor_column(), 0);
        e.apply(alt(KeyCode::Char('f')));
        assert_eq!(shown(&e), "Qwen|/Qwen3-8B");
        e.apply(ctrl('k'));
        assert_eq!(shown(&e), "Qwen|");
        typed(&mut e, "/Qwen3-32B");
        e.apply(KeyEvent::new(KeyCode::Left, KeyModifiers::CONTROL));
        assert_eq!(shown(&e), "Qwen/Qwen3-|32B");
        e.apply(ctrl('u'));
        assert_eq!(shown(&e), "|32B");
        e.apply(ctrl('e'));
        e.apply(alt(KeyCode::Backspace));
        assert_eq!(shown(&e), "|");

        typed(&mut e, "héllo wörld");
        e.apply(key(KeyCode::Home));
        e.apply(ctrl('f'));
        e.apply(key(KeyCode::Right));
        assert_eq!(shown(&e), "hé|llo wörld");
        e.apply(key(KeyCode::Backspace));
        e.apply(ctrl('d'));
        e.apply(key(KeyCode::Delete));
        assert_eq!(shown(&e), "h|o wörld");
        assert_eq!(e.cursor_column(), 1);
        e.apply(alt(KeyCode::Char('d')));
        assert_eq!(shown(&e), "h| wörld");
        e.apply(ctrl('h'));
        e.apply(key(KeyCode::End));
        e.apply(ctrl('b'));
        e.apply(alt(KeyCode::Char('b')));
        assert_eq!(shown(&e), " |wörld");
    }

    #[test]
    fn keys_that_are_not_editing_are_left_to_the_prompt() {
        let mut e = LineEditor::default();
        for k in [
            key(KeyCode::Enter),
            key(KeyCode::Esc),
            key(KeyCode::Up),
            key(KeyCode::Down),
            ctrl('c'),
            ctrl('d'),
            ctrl('n'),
        ] {
            assert!(!e.apply(k), "{k:?}");
        }
        assert_eq!(e, LineEditor::default());
        // Shift only changes the letter.
        assert!(e.apply(KeyEvent::new(KeyCode::Char('H'), KeyModifiers::SHIFT)));
        assert_eq!(e.text(), "H");
    }
}
