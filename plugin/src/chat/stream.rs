//! An answer's bytes -> host events, without any I/O: the SSE decoder feeding the
//! translator, and the same translation for a whole JSON answer. The client drives it
//! from the network; the conformance test drives it from recordings.

use provider_abi::{ChatEvent, Cost, ErrorKind, ProviderError};

use super::sse::SseDecoder;
use super::translate::Translator;

/// A streamed (SSE) answer being decoded.
#[derive(Debug)]
pub(crate) struct EventStream {
    decoder: SseDecoder,
    translator: Translator,
    data: Vec<String>,
}

impl EventStream {
    pub(crate) fn new(max_event_bytes: usize, price: Option<Cost>) -> Self {
        EventStream {
            decoder: SseDecoder::new(max_event_bytes),
            translator: Translator::new(price),
            data: Vec::new(),
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
        out: &mut Vec<ChatEvent>,
    ) -> Result<bool, ProviderError> {
        let decoded = self.decoder.push(bytes, &mut self.data);
        let finished = self.translate(out)?;
        decoded.map_err(oversized)?;
        Ok(finished)
    }

    /// The body ended.
    ///
    /// # Errors
    /// As for [`EventStream::push`], plus a truncated stream (neither `[DONE]` nor a finish
    /// reason).
    pub(crate) fn finish(&mut self, out: &mut Vec<ChatEvent>) -> Result<(), ProviderError> {
        let decoded = self.decoder.finish(&mut self.data);
        if self.translate(out)? {
            return Ok(());
        }
        decoded.map_err(oversized)?;
        self.translator.finish(false, out)
    }

    fn translate(&mut self, out: &mut Vec<ChatEvent>) -> Result<bool, ProviderError> {
        let mut data = std::mem::take(&mut self.data).into_iter();
        for payload in data.by_ref() {
            if payload.trim() == "[DONE]" {
                self.translator.finish(true, out)?;
                return Ok(true);
            }
            self.translator.on_data(&payload, out)?;
        }
        Ok(false)
    }
}

/// The events of a whole (non-streaming) JSON answer.
///
/// # Errors
/// An unreadable or foreign answer, or an error object in place of the answer.
pub(crate) fn completion_events(
    body: &[u8],
    price: Option<Cost>,
    out: &mut Vec<ChatEvent>,
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

    fn run(body: &str, piece: usize) -> (Vec<ChatEvent>, Result<(), ProviderError>) {
        let mut stream = EventStream::new(1 << 20, None);
        let mut out = Vec::new();
        for chunk in body.as_bytes().chunks(piece) {
            match stream.push(chunk, &mut out) {
                Ok(true) => return (out, Ok(())),
                Ok(false) => {}
                Err(e) => return (out, Err(e)),
            }
        }
        let result = stream.finish(&mut out);
        (out, result)
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

    #[test]
    fn oversized_event_fails_cleanly() {
        let mut stream = EventStream::new(16, None);
        let error = stream
            .push(b"data: 0123456789abcdefghijk", &mut Vec::new())
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Internal);
        assert!(error.message.contains("exceeds 16 bytes"));
    }
}
