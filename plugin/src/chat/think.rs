//! Splits a leading `<think>…</think>` out of the answer text.
//!
//! Some reasoning models (DeepSeek-R1 on several backends) have no separate reasoning
//! field and write their thoughts inline at the start of `content`. Streamed, the tags can
//! be cut anywhere (`"<thi"` + `"nk>"`), so text that could still turn out to be (part of) a
//! tag is held back until the next piece decides it. Only a tag at the very start counts:
//! `<think>` later in an answer is the model talking about tags.

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// A piece of the split text, borrowed from the text pushed or from what was held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Content(&'a str),
    Reasoning(&'a str),
}

#[derive(Debug)]
enum State {
    /// Nothing but (perhaps) whitespace and a prefix of `<think>` seen yet; held in the buffer.
    Start(String),
    /// Inside the thoughts; the buffer holds a possible prefix of `</think>`.
    Thinking(String),
    /// Just after `</think>`: the blank lines separating thoughts from answer are dropped.
    AfterThink,
    /// Plain answer text.
    Answer,
}

#[derive(Debug)]
pub(crate) struct ThinkSplitter {
    state: State,
}

impl Default for ThinkSplitter {
    fn default() -> Self {
        ThinkSplitter {
            state: State::Start(String::new()),
        }
    }
}

impl ThinkSplitter {
    /// Feeds answer text; hands what can be decided already to `emit`. Plain answer text
    /// (the common case, once the start is decided) passes through without a copy.
    pub(crate) fn push(&mut self, text: &str, emit: &mut impl FnMut(Piece<'_>)) {
        match &mut self.state {
            State::Answer => emit_piece(emit, Piece::Content(text)),
            State::AfterThink => {
                let rest = text.trim_start();
                if !rest.is_empty() {
                    self.state = State::Answer;
                    emit_piece(emit, Piece::Content(rest));
                }
            }
            State::Start(held) => {
                held.push_str(text);
                let trimmed = held.trim_start();
                if let Some(rest) = trimmed.strip_prefix(OPEN) {
                    let rest = rest.to_string();
                    self.state = State::Thinking(String::new());
                    self.push(&rest, emit);
                } else if !OPEN.starts_with(trimmed) {
                    let held = std::mem::take(held);
                    self.state = State::Answer;
                    emit_piece(emit, Piece::Content(&held));
                }
            }
            State::Thinking(held) => {
                held.push_str(text);
                if let Some(at) = held.find(CLOSE) {
                    let rest = held[at + CLOSE.len()..].to_string();
                    held.truncate(at);
                    let thoughts = std::mem::take(held);
                    emit_piece(emit, Piece::Reasoning(&thoughts));
                    self.state = State::AfterThink;
                    self.push(&rest, emit);
                } else {
                    let keep = partial_suffix(held, CLOSE);
                    let tail = held.split_off(held.len() - keep);
                    let thoughts = std::mem::replace(held, tail);
                    emit_piece(emit, Piece::Reasoning(&thoughts));
                }
            }
        }
    }

    /// End of the answer: whatever was held back is what it looked like.
    pub(crate) fn finish(&mut self, emit: &mut impl FnMut(Piece<'_>)) {
        match std::mem::replace(&mut self.state, State::Answer) {
            State::Start(held) => emit_piece(emit, Piece::Content(&held)),
            State::Thinking(held) => emit_piece(emit, Piece::Reasoning(&held)),
            State::AfterThink | State::Answer => {}
        }
    }
}

fn emit_piece(emit: &mut impl FnMut(Piece<'_>), piece: Piece<'_>) {
    let (Piece::Content(text) | Piece::Reasoning(text)) = piece;
    if !text.is_empty() {
        emit(piece);
    }
}

/// Length of the longest proper prefix of `tag` that `text` ends with (tags are ASCII, so
/// the cut is always on a character boundary).
fn partial_suffix(text: &str, tag: &str) -> usize {
    (1..tag.len())
        .rev()
        .find(|&n| text.ends_with(&tag[..n]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `pieces` and returns (reasoning, content), each concatenated.
    fn split(pieces: &[&str]) -> (String, String) {
        let mut splitter = ThinkSplitter::default();
        let mut reasoning = String::new();
        let mut content = String::new();
        let mut emit = |piece: Piece<'_>| match piece {
            Piece::Reasoning(t) => reasoning.push_str(t),
            Piece::Content(t) => content.push_str(t),
        };
        for piece in pieces {
            splitter.push(piece, &mut emit);
        }
        splitter.finish(&mut emit);
        (reasoning, content)
    }

    #[test]
    fn splits_at_every_position_and_pair_of_positions() {
        let text = "<think>\nLet me see: 1+1 < 3 </thin then é.\n</think>\n\nTwo.";
        let want = (
            "\nLet me see: 1+1 < 3 </thin then é.\n".to_string(),
            "Two.".to_string(),
        );
        let cuts: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for &a in &cuts {
            assert_eq!(split(&[&text[..a], &text[a..]]), want, "cut at {a}");
            for &b in cuts.iter().filter(|&&b| b >= a) {
                assert_eq!(
                    split(&[&text[..a], &text[a..b], &text[b..]]),
                    want,
                    "cuts {a} {b}"
                );
            }
        }
    }

    #[test]
    fn tag_split_as_in_the_issue() {
        assert_eq!(
            split(&["<thi", "nk>", "hmm</th", "ink>", "ok"]),
            ("hmm".into(), "ok".into())
        );
    }

    #[test]
    fn plain_answers_pass_through_unchanged() {
        assert_eq!(
            split(&["Hello", " <think>x</think>"]),
            (String::new(), "Hello <think>x</think>".into())
        );
        assert_eq!(
            split(&[" The answer</s>"]),
            (String::new(), " The answer</s>".into())
        );
        assert_eq!(split(&["<"]), (String::new(), "<".into()));
        assert_eq!(
            split(&["<b>bold</b>"]),
            (String::new(), "<b>bold</b>".into())
        );
    }

    #[test]
    fn unclosed_thoughts_stay_reasoning() {
        assert_eq!(
            split(&["  <think>still going</thi"]),
            ("still going</thi".into(), String::new())
        );
    }
}
