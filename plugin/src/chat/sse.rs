//! An incremental, bounded Server-Sent Events decoder.
//!
//! Bytes arrive in whatever pieces TCP and the HTTP stack produce, so a piece may end in
//! the middle of a line, of a CRLF pair or of a UTF-8 character. The decoder therefore keeps
//! raw bytes and decodes only complete lines. It follows the WHATWG event-stream rules where
//! they matter here (`data:` with or without one space, LF / CRLF / CR line ends, `:`
//! comments, multi-line data joined with `\n`, other fields ignored) and departs from them
//! once on purpose: an event still open at end of stream is delivered, because some
//! backends close the connection right after their last `data:` line.
//!
//! It copies nothing it does not have to: an event whose one `data:` line lies whole in the
//! piece being decoded is handed out as a slice of that piece. Only what a piece leaves
//! unfinished (a cut line, an event without its blank line yet) and events of several
//! `data:` lines are copied into the decoder's own buffers, which are reused.

use std::ops::{ControlFlow, Range};

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
    /// The data of the current event when it is not a slice of the current piece: its
    /// `data:` lines so far, joined with `\n`.
    data: Vec<u8>,
    /// Whether the current event has a `data` field (an empty `data:` still counts).
    has_data: bool,
    /// The previous piece ended in CR: a LF at the start of the next one ends nothing.
    after_cr: bool,
    max_event_bytes: usize,
}

/// The data of one event, as [`SseDecoder::push`] hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EventData<'a> {
    /// These bytes of the piece being decoded (the common case: nothing was copied).
    Piece(Range<usize>),
    /// The decoder's own buffer: the event spanned pieces or had several `data:` lines.
    Buffered(&'a [u8]),
}

impl<'a> EventData<'a> {
    /// The bytes, given the piece being decoded.
    pub(crate) fn bytes(&self, piece: &'a [u8]) -> &'a [u8] {
        match self {
            EventData::Piece(range) => &piece[range.clone()],
            EventData::Buffered(bytes) => bytes,
        }
    }
}

/// What one line of the stream is.
enum Line {
    /// The end of an event.
    Blank,
    /// A comment, or a field other than `data`.
    Ignored,
    /// A `data` field whose value starts at this offset of the line.
    Data(usize),
}

fn classify(line: &[u8]) -> Line {
    if let Some(value) = line.strip_prefix(b"data:") {
        let space = usize::from(value.first() == Some(&b' '));
        return Line::Data(5 + space);
    }
    match line {
        [] => Line::Blank,
        // A field without a colon has an empty value.
        b"data" => Line::Data(line.len()),
        // Comments (`:`, often a keep-alive), `event`, `id` and `retry` carry nothing
        // the router's chunks need.
        _ => Line::Ignored,
    }
}

/// Where the first line of `bytes` ends (at a LF or CR). The blank line after an event
/// starts right there, so that case is looked at before searching.
fn line_end(bytes: &[u8]) -> Option<usize> {
    match bytes.first() {
        Some(b'\n' | b'\r') => Some(0),
        Some(_) => memchr::memchr2(b'\n', b'\r', bytes),
        None => None,
    }
}

impl SseDecoder {
    pub(crate) fn new(max_event_bytes: usize) -> Self {
        SseDecoder {
            line: Vec::new(),
            data: Vec::new(),
            has_data: false,
            after_cr: false,
            max_event_bytes,
        }
    }

    /// Feeds one piece and hands the data of every event it completes to `on_event`, in
    /// order, until `on_event` breaks (the rest of the piece is then dropped).
    ///
    /// # Errors
    /// [`SseError::EventTooLarge`] when an event grows beyond the bound; the decoder
    /// must not be used afterwards.
    pub(crate) fn push(
        &mut self,
        bytes: &[u8],
        on_event: &mut impl FnMut(EventData<'_>) -> ControlFlow<()>,
    ) -> Result<(), SseError> {
        let mut pos = 0;
        // An empty piece must not forget the pending CR.
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                pos = 1;
            }
        }
        // The current event's data while it is one line of `bytes`, not yet copied.
        let mut borrowed: Option<Range<usize>> = None;
        while let Some(offset) = line_end(&bytes[pos..]) {
            let end = pos + offset;
            let open = self.data.len() + borrowed.as_ref().map_or(0, Range::len);
            self.check_size(open + self.line.len() + offset)?;
            let flow = if self.line.is_empty() {
                self.line_in_piece(bytes, pos..end, &mut borrowed, on_event)
            } else {
                // The line began in an earlier piece (so nothing is borrowed yet).
                self.line.extend_from_slice(&bytes[pos..end]);
                self.carried_line();
                ControlFlow::Continue(())
            };
            pos = end + 1;
            if bytes[end] == b'\r' {
                match bytes.get(pos) {
                    Some(b'\n') => pos += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            if flow.is_break() {
                return Ok(());
            }
        }
        // What is unfinished outlives the piece: copy it.
        if let Some(range) = borrowed {
            self.data.extend_from_slice(&bytes[range]);
        }
        self.line.extend_from_slice(&bytes[pos..]);
        self.check_size(self.data.len() + self.line.len())
    }

    /// End of stream: delivers an event that was not followed by a blank line.
    ///
    /// # Errors
    /// [`SseError::EventTooLarge`] as for [`SseDecoder::push`].
    pub(crate) fn finish(
        &mut self,
        on_event: &mut impl FnMut(EventData<'_>) -> ControlFlow<()>,
    ) -> Result<(), SseError> {
        self.check_size(self.data.len() + self.line.len())?;
        if !self.line.is_empty() {
            self.carried_line();
        }
        let _ = self.dispatch(&mut None, on_event);
        Ok(())
    }

    fn check_size(&self, event_bytes: usize) -> Result<(), SseError> {
        if event_bytes > self.max_event_bytes {
            return Err(SseError::EventTooLarge {
                limit: self.max_event_bytes,
            });
        }
        Ok(())
    }

    /// A whole line of the current piece, `bytes[line]`.
    fn line_in_piece(
        &mut self,
        bytes: &[u8],
        line: Range<usize>,
        borrowed: &mut Option<Range<usize>>,
        on_event: &mut impl FnMut(EventData<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        match classify(&bytes[line.clone()]) {
            Line::Blank => return self.dispatch(borrowed, on_event),
            Line::Ignored => {}
            Line::Data(start) => {
                let value = line.start + start..line.end;
                if self.has_data {
                    // A second data line: the event's data is joined in the buffer.
                    if let Some(first) = borrowed.take() {
                        self.data.extend_from_slice(&bytes[first]);
                    }
                    self.data.push(b'\n');
                    self.data.extend_from_slice(&bytes[value]);
                } else {
                    *borrowed = Some(value);
                    self.has_data = true;
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// The line in `self.line`, which began in an earlier piece; leaves `self.line` empty.
    fn carried_line(&mut self) {
        if let Line::Data(start) = classify(&self.line) {
            if self.has_data {
                self.data.push(b'\n');
            }
            self.data.extend_from_slice(&self.line[start..]);
            self.has_data = true;
        }
        // Never blank: a carried line has at least one byte.
        self.line.clear();
    }

    fn dispatch(
        &mut self,
        borrowed: &mut Option<Range<usize>>,
        on_event: &mut impl FnMut(EventData<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if !std::mem::take(&mut self.has_data) {
            return ControlFlow::Continue(());
        }
        match borrowed.take() {
            Some(range) => on_event(EventData::Piece(range)),
            None => {
                let flow = on_event(EventData::Buffered(&self.data));
                self.data.clear();
                flow
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_into(
        decoder: &mut SseDecoder,
        pieces: &[&[u8]],
        out: &mut Vec<String>,
    ) -> Result<(), SseError> {
        for piece in pieces {
            decoder.push(piece, &mut |data: EventData<'_>| {
                out.push(String::from_utf8_lossy(data.bytes(piece)).into_owned());
                ControlFlow::Continue(())
            })?;
        }
        decoder.finish(&mut |data: EventData<'_>| {
            out.push(String::from_utf8_lossy(data.bytes(&[])).into_owned());
            ControlFlow::Continue(())
        })?;
        Ok(())
    }

    fn decode(pieces: &[&[u8]]) -> Result<Vec<String>, SseError> {
        let mut out = Vec::new();
        decode_into(&mut SseDecoder::new(1 << 20), pieces, &mut out)?;
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
    fn a_break_drops_the_rest_of_the_piece() {
        let mut decoder = SseDecoder::new(1 << 10);
        let mut seen = Vec::new();
        let piece = b"data: a\n\ndata: b\n\ndata: c\n\n";
        decoder
            .push(piece, &mut |data| {
                let data = data.bytes(piece);
                seen.push(data.to_vec());
                if data == b"b" {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap();
        assert_eq!(seen, [b"a".to_vec(), b"b".to_vec()]);
    }

    #[test]
    fn oversized_event_is_an_error_not_unbounded_memory() {
        let mut decoder = SseDecoder::new(64);
        let mut ignore = |_: EventData<'_>| ControlFlow::Continue(());
        let big = vec![b'x'; 100];
        decoder.push(b"data: ", &mut ignore).unwrap();
        assert_eq!(
            decoder.push(&big, &mut ignore),
            Err(SseError::EventTooLarge { limit: 64 })
        );
        // Many data lines that are small one by one are bounded too, whether they arrive
        // in one piece or line by line.
        let lines = "data: 0123456789\n".repeat(10);
        let mut decoder = SseDecoder::new(64);
        assert!(decoder.push(lines.as_bytes(), &mut ignore).is_err());
        let mut decoder = SseDecoder::new(64);
        let result: Result<Vec<_>, _> = lines
            .as_bytes()
            .chunks(17)
            .map(|piece| decoder.push(piece, &mut ignore))
            .collect();
        assert!(result.is_err());
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

    fn pieces_at<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
        let mut cuts = cuts.to_vec();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for cut in cuts {
            pieces.push(&bytes[start..cut]);
            start = cut;
        }
        pieces.push(&bytes[start..]);
        pieces
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
            let cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            let want: Vec<String> = events.iter().map(|lines| lines.join("\n")).collect();
            prop_assert_eq!(decode(&pieces_at(bytes, &cuts)).unwrap(), want);
        }

        #[test]
        fn every_split_yields_the_same_events(cuts in proptest::collection::vec(0usize..MIXED.len(), 0..12)) {
            let bytes = MIXED.as_bytes();
            prop_assert_eq!(decode(&pieces_at(bytes, &cuts)).unwrap(), decode(&[bytes]).unwrap());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), split in 0usize..512) {
            let split = split.min(bytes.len());
            let mut decoder = SseDecoder::new(128);
            let mut ignore = |_: EventData<'_>| ControlFlow::Continue(());
            if decoder.push(&bytes[..split], &mut ignore).is_ok() && decoder.push(&bytes[split..], &mut ignore).is_ok() {
                let _ = decoder.finish(&mut ignore);
            }
        }

        /// The bound holds however the stream is cut: the same events, or the same error.
        #[test]
        fn the_bound_does_not_depend_on_the_cuts(
            events in proptest::collection::vec(proptest::collection::vec("[a-z]{0,20}", 1..4), 1..6),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let text = render(&events, &[0]);
            let bytes = text.as_bytes();
            let cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            let run = |pieces: &[&[u8]]| {
                let mut out = Vec::new();
                let result = decode_into(&mut SseDecoder::new(40), pieces, &mut out);
                (out, result)
            };
            let (whole, whole_result) = run(&[bytes]);
            let (cut, cut_result) = run(&pieces_at(bytes, &cuts));
            prop_assert_eq!(whole_result.is_ok(), cut_result.is_ok());
            if whole_result.is_ok() {
                prop_assert_eq!(whole, cut);
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
