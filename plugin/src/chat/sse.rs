//! An incremental, bounded Server-Sent Events decoder.
//!
//! Bytes arrive in whatever pieces TCP and the HTTP stack produce, so a piece may end in
//! the middle of a line, of a CRLF pair or of a UTF-8 character. The decoder therefore keeps
//! raw bytes and decodes only complete lines. It follows the WHATWG event-stream rules where
//! they matter here (`data:` with or without one space, LF / CRLF / CR line ends, `:`
//! comments, multi-line data joined with `\n`, other fields ignored) and departs from them
//! once on purpose: an event still open at end of stream is delivered, because some
//! backends close the connection right after their last `data:` line.

/// The decoder met something it will not buffer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SseError {
    /// One event (its data so far plus the unfinished line) outgrew the bound.
    #[error("a stream event exceeds {limit} bytes")]
    EventTooLarge { limit: usize },
}

/// Splits a byte stream into the data of its events.
#[derive(Debug)]
pub(crate) struct SseDecoder {
    /// The current, unfinished line.
    line: Vec<u8>,
    /// The data lines of the current event, each followed by `\n`.
    data: String,
    /// Whether the current event has a `data` field (an empty `data:` still counts).
    has_data: bool,
    /// The previous piece ended in CR: a LF at the start of the next one ends nothing.
    after_cr: bool,
    max_event_bytes: usize,
}

impl SseDecoder {
    pub(crate) fn new(max_event_bytes: usize) -> Self {
        SseDecoder {
            line: Vec::new(),
            data: String::new(),
            has_data: false,
            after_cr: false,
            max_event_bytes,
        }
    }

    /// Feeds one piece and appends the data of every event it completes to `out`.
    ///
    /// # Errors
    /// [`SseError::EventTooLarge`] when an event grows beyond the bound; the decoder
    /// must not be used afterwards.
    pub(crate) fn push(&mut self, mut bytes: &[u8], out: &mut Vec<String>) -> Result<(), SseError> {
        // An empty piece must not forget the pending CR.
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.line.extend_from_slice(&bytes[..end]);
            self.check_size()?;
            let line = std::mem::take(&mut self.line);
            self.take_line(&line, out);
            let crlf = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            if crlf {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.line.extend_from_slice(bytes);
        self.check_size()
    }

    /// End of stream: delivers an event that was not followed by a blank line.
    ///
    /// # Errors
    /// [`SseError::EventTooLarge`] as for [`SseDecoder::push`].
    pub(crate) fn finish(&mut self, out: &mut Vec<String>) -> Result<(), SseError> {
        self.check_size()?;
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.take_line(&line, out);
        }
        self.dispatch(out);
        Ok(())
    }

    fn check_size(&self) -> Result<(), SseError> {
        if self.line.len() + self.data.len() > self.max_event_bytes {
            return Err(SseError::EventTooLarge {
                limit: self.max_event_bytes,
            });
        }
        Ok(())
    }

    fn take_line(&mut self, line: &[u8], out: &mut Vec<String>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // a comment, often a keep-alive
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        // `event`, `id` and `retry` carry nothing the router's chunks need.
        if field == b"data" {
            self.data.push_str(&String::from_utf8_lossy(value));
            self.data.push('\n');
            self.has_data = true;
        }
    }

    fn dispatch(&mut self, out: &mut Vec<String>) {
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the `\n` after the last data line
        out.push(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode(pieces: &[&[u8]]) -> Result<Vec<String>, SseError> {
        let mut decoder = SseDecoder::new(1 << 20);
        let mut out = Vec::new();
        for piece in pieces {
            decoder.push(piece, &mut out)?;
        }
        decoder.finish(&mut out)?;
        Ok(out)
    }

    const MIXED: &str = ": keep-alive\r\nevent: message\r\nid: 7\r\ndata:{\"a\":\"é😀\"}\r\n\r\n\
data: line one\ndata:line two\nretry: 100\n\n\
data: cr only\r\rdata\n\ndata: [DONE]\n\n";

    #[test]
    fn handles_the_tolerated_variants() {
        let events = decode(&[MIXED.as_bytes()]).unwrap();
        assert_eq!(
            events,
            [
                "{\"a\":\"é😀\"}",
                "line one\nline two",
                "cr only",
                "",
                "[DONE]"
            ]
        );
    }

    #[test]
    fn an_empty_data_block_without_data_field_is_no_event() {
        assert_eq!(
            decode(&[b"event: ping\n\n: hi\n\n"]).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn flushes_a_final_event_without_blank_line() {
        assert_eq!(decode(&[b"data: a\n\ndata: b"]).unwrap(), ["a", "b"]);
        assert_eq!(decode(&[b"data: a\n\ndata: b\r\n"]).unwrap(), ["a", "b"]);
    }

    #[test]
    fn crlf_split_between_pieces_is_one_line_end() {
        assert_eq!(
            decode(&[b"data: a\r", b"\n\r", b"\ndata: b\r", b"\r"]).unwrap(),
            ["a", "b"]
        );
        // An empty piece between CR and LF (found by the property test) changes nothing.
        assert_eq!(
            decode(&[b"data: a\r", b"", b"\n\r", b"", b"\n"]).unwrap(),
            ["a"]
        );
    }

    #[test]
    fn oversized_event_is_an_error_not_unbounded_memory() {
        let mut decoder = SseDecoder::new(64);
        let mut out = Vec::new();
        let big = vec![b'x'; 100];
        decoder.push(b"data: ", &mut out).unwrap();
        assert_eq!(
            decoder.push(&big, &mut out),
            Err(SseError::EventTooLarge { limit: 64 })
        );
        // Many data lines that are small one by one are bounded too.
        let mut decoder = SseDecoder::new(64);
        let lines = "data: 0123456789\n".repeat(10);
        assert!(decoder.push(lines.as_bytes(), &mut out).is_err());
    }

    /// A stream written from `events` (each a list of data lines), with a line ending,
    /// `data:` spelling and comment chosen per line.
    fn render(events: &[Vec<String>], style: &[u8]) -> String {
        let mut text = String::new();
        let mut choices = style.iter().cycle();
        for event in events {
            let mut last_eol = "\n";
            for line in event {
                let choice = choices.next().copied().unwrap_or(0);
                let eol = ["\n", "\r\n", "\r"][usize::from(choice % 3)];
                if choice & 4 != 0 {
                    text.push_str(": comment");
                    text.push_str(eol);
                }
                // Without the space, a value that starts with one would lose it.
                let prefix = if choice & 8 != 0 && !line.starts_with(' ') {
                    "data:"
                } else {
                    "data: "
                };
                text.push_str(prefix);
                text.push_str(line);
                text.push_str(eol);
                last_eol = eol;
            }
            // The blank line repeats the last ending: "\r" then "\n" would be one CRLF.
            text.push_str(last_eol);
        }
        text
    }

    proptest! {
        #[test]
        fn generated_streams_decode_to_their_events_at_any_split(
            events in proptest::collection::vec(proptest::collection::vec("[^\r\n]{0,12}", 1..4), 0..6),
            style in proptest::collection::vec(any::<u8>(), 1..8),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let text = render(&events, &style);
            let bytes = text.as_bytes();
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut start = 0;
            for cut in cuts {
                pieces.push(&bytes[start..cut]);
                start = cut;
            }
            pieces.push(&bytes[start..]);
            let want: Vec<String> = events.iter().map(|lines| lines.join("\n")).collect();
            prop_assert_eq!(decode(&pieces).unwrap(), want);
        }

        #[test]
        fn every_split_yields_the_same_events(cuts in proptest::collection::vec(0usize..MIXED.len(), 0..12)) {
            let bytes = MIXED.as_bytes();
            let mut cuts = cuts;
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut start = 0;
            for cut in cuts {
                pieces.push(&bytes[start..cut]);
                start = cut;
            }
            pieces.push(&bytes[start..]);
            prop_assert_eq!(decode(&pieces).unwrap(), decode(&[bytes]).unwrap());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), split in 0usize..512) {
            let split = split.min(bytes.len());
            let mut decoder = SseDecoder::new(128);
            let mut out = Vec::new();
            if decoder.push(&bytes[..split], &mut out).is_ok() && decoder.push(&bytes[split..], &mut out).is_ok() {
                let _ = decoder.finish(&mut out);
            }
        }
    }

    #[test]
    fn every_single_split_point_of_each_fixture_like_stream() {
        let bytes = MIXED.as_bytes();
        let whole = decode(&[bytes]).unwrap();
        for cut in 0..=bytes.len() {
            assert_eq!(
                decode(&[&bytes[..cut], &bytes[cut..]]).unwrap(),
                whole,
                "cut at {cut}"
            );
        }
    }
}
