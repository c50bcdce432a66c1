//! The serde path: seeds that read a chunk straight into a [`ChunkParts`], for the
//! payloads the fast scanner leaves (and whole answers).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::loose::{LooseText, OneOrMany, Text};
use super::{ChunkParts, Pick, Source, WireToolCall};

/// A set of field names a reader looks for, one set per level of the chunk so that each
/// name read is compared with a few candidates only; any other name is `Other` and its
/// value skipped.
macro_rules! keys {
    ($name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum $name {
            $($variant,)*
            Other,
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct KeyVisitor;

                impl Visitor<'_> for KeyVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a field name")
                    }

                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok(match v {
                            $($text => $name::$variant,)*
                            _ => $name::Other,
                        })
                    }
                }

                d.deserialize_identifier(KeyVisitor)
            }
        }
    };
}

keys!(ChunkKey {
    Choices = "choices",
    Usage = "usage",
    Error = "error",
    ErrorType = "error_type",
    Type = "type",
});

keys!(ChoiceKey {
    Delta = "delta",
    Message = "message",
    FinishReason = "finish_reason",
});

keys!(DeltaKey {
    Content = "content",
    Reasoning = "reasoning",
    ReasoningContent = "reasoning_content",
    ReasoningText = "reasoning_text",
    ToolCalls = "tool_calls",
});

/// Not an object (or `null` where one was expected): nothing to read.
fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The chunk's top level.
pub(super) struct ChunkSeed<'p, 'a> {
    pub(super) parts: &'p mut ChunkParts<'a>,
    pub(super) pick: Pick,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for ChunkSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for ChunkSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chat completion chunk (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let parts = self.parts;
        while let Some(key) = map.next_key::<ChunkKey>()? {
            match key {
                ChunkKey::Choices => {
                    // `null` counts as absent.
                    parts.has_choices |= map.next_value_seed(ChoicesSeed {
                        parts: &mut *parts,
                        pick: self.pick,
                    })?;
                }
                ChunkKey::Usage => parts.usage = map.next_value()?,
                ChunkKey::Error => parts.error = map.next_value()?,
                ChunkKey::ErrorType => parts.error_type = map.next_value::<LooseText<'de>>()?.0,
                ChunkKey::Type => parts.kind = map.next_value::<LooseText<'de>>()?.0,
                ChunkKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `choices`: the first one is read (we never ask for `n > 1`), the others skipped.
/// `true` when it was a list.
struct ChoicesSeed<'p, 'a> {
    parts: &'p mut ChunkParts<'a>,
    pick: Pick,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for ChoicesSeed<'_, 'a> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for ChoicesSeed<'_, 'a> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of choices")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        seq.next_element_seed(ChoiceSeed {
            parts: self.parts,
            pick: self.pick,
        })?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(true)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// One choice.
struct ChoiceSeed<'p, 'a> {
    parts: &'p mut ChunkParts<'a>,
    pick: Pick,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for ChoiceSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for ChoiceSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a choice (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let parts = self.parts;
        while let Some(key) = map.next_key::<ChoiceKey>()? {
            let source = match (key, self.pick) {
                (ChoiceKey::Delta, Pick::Delta) | (ChoiceKey::Message, Pick::Message) => {
                    Source::Picked
                }
                (ChoiceKey::Delta | ChoiceKey::Message, _) => Source::Other,
                (ChoiceKey::FinishReason, _) => {
                    parts.finish_reason = map.next_value::<LooseText<'de>>()?.0;
                    continue;
                }
                (ChoiceKey::Other, _) => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            map.next_value_seed(DeltaSeed {
                parts: &mut *parts,
                source,
            })?;
        }
        Ok(())
    }
}

/// A delta or a message. A part of lower rank than the one already read is skipped; one
/// of higher rank replaces what the other had said.
struct DeltaSeed<'p, 'a> {
    parts: &'p mut ChunkParts<'a>,
    source: Source,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for DeltaSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for DeltaSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a delta (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let parts = self.parts;
        if !parts.enter(self.source) {
            return skip_map(map);
        }
        while let Some(key) = map.next_key::<DeltaKey>()? {
            let rank = match key {
                DeltaKey::Content => {
                    parts.content = map.next_value::<Text<'de>>()?.0;
                    continue;
                }
                DeltaKey::ToolCalls => {
                    if let Some(calls) = map.next_value::<Option<OneOrMany<WireToolCall<'de>>>>()? {
                        parts.tool_calls = calls.0;
                    }
                    continue;
                }
                DeltaKey::Reasoning => 3,
                DeltaKey::ReasoningContent => 2,
                DeltaKey::ReasoningText => 1,
                DeltaKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            parts.set_reasoning(rank, map.next_value::<Text<'de>>()?.0);
        }
        Ok(())
    }

    // `null`, or a value that is no delta: as if absent.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}
