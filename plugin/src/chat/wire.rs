//! The router's answer on the wire: streamed chunks and non-streaming completions.
//!
//! Deliberately loose. Every field is optional, and the fields backends disagree about
//! (`content` as text or parts, `finish_reason`, tool-call ids, token counts) read anything:
//! a value of an unexpected type counts as absent, so one backend's oddity costs one field,
//! not the whole chunk. Fields a backend adds (TGI's `choices[].text`, together's
//! `token_id`, usage timings) are skipped.
//!
//! And cheap, because every token of every answer passes through here. A chunk is read
//! straight into one flat [`ChunkParts`] (serde seeds write each field where it belongs, so
//! no nested struct is built and moved up level by level); text borrows from the payload
//! (`Cow<str>` is only owned when the JSON string had escapes); only the first choice is
//! read; and the rarely used parts (usage, errors, tool-call arguments) stay unparsed JSON
//! (`RawValue`) until someone needs them.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::DeserializeSeed;
use serde_json::value::RawValue;

mod loose;
mod scan;
mod seed;

use loose::{LooseId, LooseText};
use seed::ChunkSeed;

/// Which part of a choice holds the answer: streams send `delta`, whole answers `message`
/// (and a server that ignored `stream` may send either, or both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    Delta,
    Message,
}

/// What one chunk (or whole completion) says, as far as the translator cares: the first
/// choice's delta (or message) flattened with the chunk's own fields.
#[derive(Debug, Default)]
pub(crate) struct ChunkParts<'a> {
    /// Whether `choices` was there: schemas that are not OpenAI-compatible lack it.
    pub has_choices: bool,
    pub content: Option<Cow<'a, str>>,
    /// Reasoning under whichever name this backend uses (`reasoning`, then
    /// `reasoning_content`, then `reasoning_text` when several are present).
    pub reasoning: Option<Cow<'a, str>>,
    reasoning_rank: u8,
    pub tool_calls: Vec<WireToolCall<'a>>,
    pub finish_reason: Option<Cow<'a, str>>,
    pub usage: Option<&'a RawValue>,
    /// An in-stream error: a string (with `error_type`) or `{message, type, code}`.
    pub error: Option<&'a RawValue>,
    pub error_type: Option<Cow<'a, str>>,
    /// What a foreign schema calls its events (cohere's `message-start`), for the message
    /// rejecting it.
    pub kind: Option<Cow<'a, str>>,
    /// Whether the text fields came from the picked part (`delta` when streaming) or, so
    /// far, from the other one, which only counts when the picked one is absent.
    source: Source,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    #[default]
    None,
    Other,
    Picked,
}

impl<'a> ChunkParts<'a> {
    /// Reads one whole payload holding one JSON document and nothing else (the usual
    /// case) into this fresh `ChunkParts` with the fast scanner. `false` when it does not
    /// know the payload's shape: this `ChunkParts` is then to be thrown away, and serde
    /// must read the payload ([`ChunkParts::read`]).
    pub(crate) fn scan(&mut self, text: &'a str, pick: Pick) -> bool {
        scan::scan(text, pick, self).is_some()
    }

    /// Reads one JSON document from `de` into a new `ChunkParts`.
    pub(crate) fn read<'de: 'a, R: serde_json::de::Read<'de>>(
        de: &mut serde_json::Deserializer<R>,
        pick: Pick,
    ) -> serde_json::Result<ChunkParts<'a>> {
        let mut parts = ChunkParts::default();
        ChunkSeed {
            parts: &mut parts,
            pick,
        }
        .deserialize(de)?;
        Ok(parts)
    }
}

impl<'a> ChunkParts<'a> {
    /// A delta or message of rank `source` begins: whether to read it. One of lower rank
    /// than what was read already is skipped; one of higher rank replaces what the other
    /// had said.
    fn enter(&mut self, source: Source) -> bool {
        if source < self.source {
            return false;
        }
        if source > self.source {
            self.content = None;
            self.reasoning = None;
            self.reasoning_rank = 0;
            self.tool_calls.clear();
            self.source = source;
        }
        true
    }

    /// Reasoning under a name of `rank`: the first name present in the order
    /// `reasoning` (3), `reasoning_content` (2), `reasoning_text` (1) wins, even with
    /// empty text.
    fn set_reasoning(&mut self, rank: u8, text: Option<Cow<'a, str>>) {
        if text.is_some() && rank > self.reasoning_rank {
            self.reasoning = text;
            self.reasoning_rank = rank;
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireToolCall<'a> {
    pub index: Option<u64>,
    /// A string; TGI's native tool calls number them (`0`).
    #[serde(borrow)]
    pub id: LooseId<'a>,
    #[serde(borrow)]
    pub function: Option<WireFunction<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireFunction<'a> {
    #[serde(borrow)]
    pub name: LooseText<'a>,
    /// Usually a JSON string; a few backends send the object itself, and TGI's native
    /// tool calls send it as `parameters`.
    #[serde(borrow, alias = "parameters")]
    pub arguments: Option<&'a RawValue>,
}

impl WireFunction<'_> {
    /// The arguments as text: a JSON string's value; another JSON value (TGI's
    /// `parameters` object) as its JSON text, as sent; nothing for `null` or absent.
    pub(crate) fn arguments_text(&self) -> String {
        match self.arguments.map(RawValue::get) {
            None | Some("null") => String::new(),
            Some(text) if text.starts_with('"') => {
                serde_json::from_str::<String>(text).unwrap_or_default()
            }
            Some(json) => json.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
