//! An answer's bytes -> host events, without any I/O: the SSE decoder feeding the
//! translator, and the same translation for a whole JSON answer. The client drives it
//! from the network; the conformance test drives it from recordings.

use std::borrow::Cow;
use std::ops::ControlFlow;

use provider_abi::{Cost, ErrorKind, EventBatch, ProviderError};

use super::sse::{EventData, SseDecoder};
use super::translate::Translator;

/// A streamed (SSE) answer being decoded.
#[derive(Debug)]
pub(crate) struct EventStream {
    decoder: SseDecoder,
    translator: Translator,
}

impl EventStream {
    pub(crate) fn new(max_event_bytes: usize, price: Option<Cost>) -> Self {
        EventStream {
            decoder: SseDecoder::new(max_event_bytes),
            translator: Translator::new(price),
        }
    }

    /// Feeds a piece of the body. `Ok(true)` once `[DONE]` ended the answer (the events up
    /// to `Done` are in `out`; anything after it is ignored).
    ///
    /// # Errors
    /// An oversized event, an unreadable or foreign chunk, an in-stream error. Events
    /// decoded before the error are in `out` and belong to the host.
    pub(crate) fn push(
        &mut self,
        bytes: &[u8],
        out: &mut EventBatch,
    ) -> Result<bool, ProviderError> {
        // The piece's UTF-8 is checked once (serde would check every string it reads);
        // its events are slices of the checked text. Events the decoder had to copy, and a
        // piece cut inside a character, are checked one by one.
        let checked = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
        };
        let mut outcome = Ok(false);
        let translator = &mut self.translator;
        let decoded = self.decoder.push(bytes, &mut |data| {
            let text = match &data {
                EventData::Piece(range) => checked.get(range.clone()),
                EventData::Buffered(_) => None,
            };
            let result = match text {
                Some(text) => payload(translator, Payload::Text(text), false, out),
                None => payload(translator, Payload::Bytes(data.bytes(bytes)), false, out),
            };
            end_on(&mut outcome, result)
        });
        let finished = outcome?;
        decoded.map_err(oversized)?;
        Ok(finished)
    }

    /// The body ended.
    ///
    /// # Errors
    /// As for [`EventStream::push`], plus a truncated stream (neither `[DONE]` nor a finish
    /// reason).
    pub(crate) fn finish(&mut self, out: &mut EventBatch) -> Result<(), ProviderError> {
        let mut outcome = Ok(false);
        let translator = &mut self.translator;
        let decoded = self.decoder.finish(&mut |data| {
            let result = payload(translator, Payload::Bytes(data.bytes(&[])), true, out);
            end_on(&mut outcome, result)
        });
        if outcome? {
            return Ok(());
        }
        decoded.map_err(oversized)?;
        self.translator.finish(false, out)
    }
}

/// Records the outcome of one event; decoding goes on while the answer does.
fn end_on(
    outcome: &mut Result<bool, ProviderError>,
    result: Result<bool, ProviderError>,
) -> ControlFlow<()> {
    let go_on = matches!(result, Ok(false));
    *outcome = result;
    if go_on {
        ControlFlow::Continue(())
    } else {
        ControlFlow::Break(())
    }
}

/// One event's data, known to be UTF-8 or not yet checked.
enum Payload<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
}

/// One event's data; `Ok(true)` for `[DONE]`. `last`: the event the stream ended in,
/// without its blank line.
fn payload(
    translator: &mut Translator,
    data: Payload<'_>,
    last: bool,
    out: &mut EventBatch,
) -> Result<bool, ProviderError> {
    let raw = match data {
        Payload::Text(text) => text.as_bytes(),
        Payload::Bytes(bytes) => bytes,
    };
    if raw.trim_ascii() == b"[DONE]" {
        translator.finish(true, out)?;
        return Ok(true);
    }
    let text = match data {
        Payload::Text(text) => Cow::Borrowed(text),
        // Invalid UTF-8 (rare) is replaced, not refused.
        Payload::Bytes(bytes) => String::from_utf8_lossy(bytes),
    };
    translator.on_text(&text, last, out)?;
    Ok(false)
}

/// The events of a whole (non-streaming) JSON answer.
///
/// # Errors
/// An unreadable or foreign answer, or an error object in place of the answer.
pub(crate) fn completion_events(
    body: &[u8],
    price: Option<Cost>,
    out: &mut EventBatch,
) -> Result<(), ProviderError> {
    let mut translator = Translator::new(price);
    translator.on_completion(body, out)?;
    translator.finish(true, out)
}

fn oversized(error: super::sse::SseError) -> ProviderError {
    ProviderError::new(ErrorKind::Internal, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use provider_abi::ChatEvent;

    fn run(body: &str, piece: usize) -> (Vec<ChatEvent>, Result<(), ProviderError>) {
        let mut stream = EventStream::new(1 << 20, None);
        let mut out = EventBatch::new();
        for chunk in body.as_bytes().chunks(piece) {
            match stream.push(chunk, &mut out) {
                Ok(true) => return (out.into_events(), Ok(())),
                Ok(false) => {}
                Err(e) => return (out.into_events(), Err(e)),
            }
        }
        let result = stream.finish(&mut out);
        (out.into_events(), result)
    }

    #[test]
    fn done_ends_the_answer_and_later_bytes_are_ignored() {
        let body = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\ndata: garbage\n\n";
        for piece in 1..body.len() {
            let (events, result) = run(body, piece);
            assert!(result.is_ok());
            assert_eq!(
                events,
                [
                    ChatEvent::Content("hi".into()),
                    ChatEvent::Done {
                        finish_reason: "stop".into()
                    }
                ]
            );
        }
    }

    #[test]
    fn truncated_stream_is_a_network_error_after_its_output() {
        let (events, result) = run(
            "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n",
            5,
        );
        assert_eq!(events, [ChatEvent::Content("hi".into())]);
        let error = result.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Network);
        assert_eq!(error.message, "stream ended before the answer was complete");
    }

    #[test]
    fn finish_reason_without_done_is_complete() {
        let body = "data:{\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"eos_token\"}]}\n\n";
        let (events, result) = run(body, 3);
        assert!(result.is_ok());
        assert_eq!(
            events.last(),
            Some(&ChatEvent::Done {
                finish_reason: "stop".into()
            })
        );
    }

    /// Old TGI: `data:` without a space, some events without the blank line between
    /// them (so one event holds several chunks), and the connection cut in the middle of
    /// the last one. Every complete chunk is delivered, then the truncation is reported.
    #[test]
    fn a_stream_cut_mid_event_delivers_every_complete_event() {
        let chunk = |text: &str| {
            format!(
                "data:{{\"id\":\"\",\"object\":\"text_completion\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n"
            )
        };
        let body = format!(
            "{}{}\n{}{}{}data:{{\"choices\":[{{\"delta\":{{\"content\":\"lo",
            chunk("One"),
            chunk(" two"),
            chunk(" three"),
            chunk(" four"),
            chunk(" five"),
        );
        for piece in [1, 3, 7, 64, body.len()] {
            let (events, result) = run(&body, piece);
            let content: String = events
                .iter()
                .map(|e| match e {
                    ChatEvent::Content(t) => t.as_str(),
                    _ => "",
                })
                .collect();
            assert_eq!(content, "One two three four five", "pieces of {piece}");
            let error = result.unwrap_err();
            assert_eq!(error.kind, ErrorKind::Network, "{error}");
        }
    }

    #[test]
    fn oversized_event_fails_cleanly() {
        let mut stream = EventStream::new(16, None);
        let error = stream
            .push(b"data: 0123456789abcdefghijk", &mut EventBatch::new())
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Internal);
        assert!(error.message.contains("exceeds 16 bytes"));
    }
}
