//! Server-Sent Events framing and the byte-level tricks the scenarios play.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::body::Step;

/// One item of a stream script.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// `data: <json>`.
    Chunk(Value),
    /// `data: <text>` with the text verbatim (malformed chunks, error events).
    Raw(String),
    /// `data: [DONE]`.
    Done,
    /// A wait before the next item.
    Pause(Duration),
    /// Drop the connection mid-body.
    Abort,
}

/// How events are framed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Framing {
    /// `\r\n` line endings and `data:` without a space (the `crlf` scenario).
    pub crlf: bool,
    /// Pause between events (token_delay or `slow:MS`).
    pub pace: Duration,
}

fn frame(payload: &str, framing: Framing) -> Bytes {
    if framing.crlf {
        Bytes::from(format!("data:{payload}\r\n\r\n"))
    } else {
        Bytes::from(format!("data: {payload}\n\n"))
    }
}

/// Turns a script into body steps: one write per event, paced.
pub(crate) fn steps(items: Vec<Item>, framing: Framing) -> Vec<Step> {
    let mut steps = Vec::with_capacity(items.len() * 2);
    for item in items {
        let data = match item {
            Item::Chunk(value) => frame(&value.to_string(), framing),
            Item::Raw(text) => frame(&text, framing),
            Item::Done => frame("[DONE]", framing),
            Item::Pause(delay) => {
                steps.push(Step::Pause(delay));
                continue;
            }
            Item::Abort => {
                // Let hyper flush what came before, so the client really
                // receives those chunks before the connection breaks.
                steps.push(Step::Pause(Duration::from_millis(20)));
                steps.push(Step::Abort);
                continue;
            }
        };
        if !framing.pace.is_zero() && !steps.is_empty() {
            steps.push(Step::Pause(framing.pace));
        }
        steps.push(Step::Data(data));
    }
    steps
}

/// Writes `bytes` so that every multi-byte UTF-8 character is split between
/// two writes separated by `pause`: the cut goes right after each leading byte.
pub(crate) fn split_utf8_steps(bytes: &[u8], pause: Duration) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut start = 0;
    for (index, byte) in bytes.iter().enumerate() {
        if *byte >= 0xC0 {
            steps.push(Step::Data(Bytes::copy_from_slice(&bytes[start..=index])));
            steps.push(Step::Pause(pause));
            start = index + 1;
        }
    }
    steps.push(Step::Data(Bytes::copy_from_slice(&bytes[start..])));
    steps
}

/// Data of the steps concatenated (tests and the split scenario use it).
pub(crate) fn concat(steps: &[Step]) -> Vec<u8> {
    let mut out = Vec::new();
    for step in steps {
        if let Step::Data(bytes) = step {
            out.extend_from_slice(bytes);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_utf8_cuts_inside_every_multibyte_char() {
        let text = "aé🙂b";
        let steps = split_utf8_steps(text.as_bytes(), Duration::ZERO);
        let writes: Vec<&[u8]> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Data(b) => Some(b.as_ref()),
                _ => None,
            })
            .collect();
        assert_eq!(writes.len(), 3);
        assert!(writes.iter().all(|w| std::str::from_utf8(w).is_err()));
        assert_eq!(concat(&steps), text.as_bytes());
    }

    #[test]
    fn crlf_framing_has_no_space() {
        let framing = Framing {
            crlf: true,
            pace: Duration::ZERO,
        };
        let bytes = concat(&steps(vec![Item::Done], framing));
        assert_eq!(bytes, b"data:[DONE]\r\n\r\n");
    }
}
