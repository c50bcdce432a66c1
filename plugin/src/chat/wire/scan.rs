//! The fast path for the chunks nearly every answer is made of.
//!
//! serde's generic machinery (a visitor per level, a field enum per name, the bookkeeping
//! for its error messages) costs several thousand instructions per chunk: more than the
//! rest of a token's way to the host together, and the larger part of what the plugin
//! spends per token (measured with callgrind; see the streaming benchmark). This scanner
//! reads the same JSON grammar directly into the same [`ChunkParts`], but only the shapes
//! it knows. On anything else it gives up and the serde path reads the payload instead,
//! errors included: a field name with an escape, content given as a list of parts, tool
//! calls, usage or an error that is not `null`, a second document after the first,
//! nesting deeper than [`MAX_DEPTH`], and any JSON it finds invalid. So it never decides
//! an error, and a property test checks that whenever it answers, serde's answer is the
//! same.

use std::borrow::Cow;

use super::{ChunkParts, Pick, Source};

/// Deeper values are left to serde (whose own limit is 128).
const MAX_DEPTH: u32 = 32;

/// Reads `text`, one JSON document and nothing after it but whitespace, into `parts`
/// (fresh). `None`: not read, and `parts` must be thrown away.
pub(super) fn scan<'a>(text: &'a str, pick: Pick, parts: &mut ChunkParts<'a>) -> Option<()> {
    let mut s = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    if s.peek()? != b'{' {
        return None;
    }
    s.object(|s, key| match key {
        "choices" => s.choices(parts, pick),
        // Only `null` is known here (no usage, no error); anything else is serde's.
        "usage" | "error" => s.literal("null"),
        "error_type" => {
            parts.error_type = s.loose_text()?;
            Some(())
        }
        "type" => {
            parts.kind = s.loose_text()?;
            Some(())
        }
        _ => s.skip(MAX_DEPTH),
    })?;
    s.whitespace();
    (s.pos == s.bytes.len()).then_some(())
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte that is not whitespace (not taken).
    fn peek(&mut self) -> Option<u8> {
        self.whitespace();
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// An object (at `{`); `field` reads the value of each name.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let (name, escaped) = self.string()?;
            if escaped {
                return None;
            }
            self.eat(b':')?;
            field(self, name)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An array (at `[`); `element` reads each element.
    fn array(&mut self, mut element: impl FnMut(&mut Self, usize) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        let mut index = 0;
        loop {
            element(self, index)?;
            index += 1;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `choices`: `null`, or a list whose first element (an object) is the answer.
    fn choices(&mut self, parts: &mut ChunkParts<'a>, pick: Pick) -> Option<()> {
        if self.peek()? == b'n' {
            return self.literal("null");
        }
        parts.has_choices = true;
        self.array(|s, index| {
            if index > 0 {
                return s.skip(MAX_DEPTH);
            }
            if s.peek()? != b'{' {
                return None;
            }
            s.object(|s, key| {
                let source = match (key, pick) {
                    ("delta", Pick::Delta) | ("message", Pick::Message) => Source::Picked,
                    ("delta" | "message", _) => Source::Other,
                    ("finish_reason", _) => {
                        parts.finish_reason = s.loose_text()?;
                        return Some(());
                    }
                    _ => return s.skip(MAX_DEPTH),
                };
                s.delta(parts, source)
            })
        })
    }

    /// A delta or a message; any value that is not an object counts as absent.
    fn delta(&mut self, parts: &mut ChunkParts<'a>, source: Source) -> Option<()> {
        if self.peek()? != b'{' {
            return self.scalar_or_skip();
        }
        if !parts.enter(source) {
            return self.skip(MAX_DEPTH);
        }
        self.object(|s, key| {
            let rank = match key {
                "content" => {
                    parts.content = s.text()?;
                    return Some(());
                }
                // Tool calls are rare: serde reads them.
                "tool_calls" => return s.literal("null"),
                "reasoning" => 3,
                "reasoning_content" => 2,
                "reasoning_text" => 1,
                _ => return s.skip(MAX_DEPTH),
            };
            let text = s.text()?;
            parts.set_reasoning(rank, text);
            Some(())
        })
    }

    /// Answer text: a string; any other value but a list (of parts, serde's case) is none.
    fn text(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => self.string_value().map(Some),
            b'[' => None,
            _ => self.scalar_or_skip().map(|()| None),
        }
    }

    /// A string, or none for any other value.
    fn loose_text(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => self.string_value().map(Some),
            _ => self.scalar_or_skip().map(|()| None),
        }
    }

    /// A value where serde reads whatever comes (its `deserialize_any`) and then drops it.
    /// serde decodes a string or number read that way, and can refuse one (a lone
    /// surrogate escape, a number out of range): those are left to it.
    fn scalar_or_skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string_value().map(|_| ()),
            b'-' | b'0'..=b'9' => None,
            _ => self.skip(MAX_DEPTH),
        }
    }

    /// A string's value: borrowed, or decoded by serde_json when it has escapes.
    fn string_value(&mut self) -> Option<Cow<'a, str>> {
        let start = self.pos;
        let (inner, escaped) = self.string()?;
        if !escaped {
            return Some(Cow::Borrowed(inner));
        }
        let literal = self.text.get(start..self.pos)?;
        serde_json::from_str::<String>(literal).ok().map(Cow::Owned)
    }

    /// A string (at `"`): its text between the quotes, and whether it has escapes (checked,
    /// not decoded). Control characters are not allowed in JSON strings.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            self.pos = next_special(self.bytes, self.pos);
            match *self.bytes.get(self.pos)? {
                b'"' => {
                    let inner = self.text.get(start..self.pos)?;
                    self.pos += 1;
                    return Some((inner, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.pos += 1;
                    match *self.bytes.get(self.pos)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                        b'u' => {
                            let hex = self.bytes.get(self.pos + 1..self.pos + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.pos += 5;
                        }
                        _ => return None,
                    }
                }
                _ => return None, // a control character
            }
        }
    }

    /// Exactly `word` (`true`, `false`, `null`).
    fn literal(&mut self, word: &str) -> Option<()> {
        self.whitespace();
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word.as_bytes()).then(|| self.pos = end)
    }

    /// A number, by JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match *self.bytes.get(self.pos)? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.pos;
        self.digits();
        (self.pos > start).then_some(())
    }

    /// Any value, checked and skipped.
    fn skip(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' if depth > 0 => self.object(|s, _| s.skip(depth - 1)),
            b'[' if depth > 0 => self.array(|s, _| s.skip(depth - 1)),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }
}

/// The position of the first `"`, `\\` or control character at or after `at` (or the
/// end), eight bytes at a time (the bit tricks serde_json uses too; fewer instructions
/// than a loop over the bytes, even for the short strings of a chunk).
fn next_special(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(chunk);
        let control = x.wrapping_sub(ONES * 0x20) & !x;
        let quote = x ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        let found = (control | quote | backslash) & HIGH;
        if found != 0 {
            return at + found.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests;
