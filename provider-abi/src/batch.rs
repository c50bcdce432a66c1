//! A batch of completion events, stored the way they cross the boundary.

use crate::chat::ChatEvent;

/// Events of one completion, in order, stored compactly: the text of every
/// [`ChatEvent::Content`] and [`ChatEvent::Reasoning`] one after the other in
/// one string, every other event as itself.
///
/// Most events of an answer are a few bytes of text. Held as one `String`
/// each they would cost an allocation per token on each side of the
/// boundary; held here they cost a copy into a buffer that is handed over
/// whole. A plugin fills a batch with what one read of the answer produced
/// and sends it in one call ([`crate::abi::EventSink::events`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventBatch {
    pub(crate) text: String,
    pub(crate) items: Vec<BatchItem>,
    pub(crate) others: Vec<ChatEvent>,
}

/// One event of a batch: text of this many bytes, or the next of `others`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchItem {
    Content(u32),
    Reasoning(u32),
    Other,
}

impl EventBatch {
    /// An empty batch.
    pub fn new() -> Self {
        EventBatch::default()
    }

    /// Appends answer text (a [`ChatEvent::Content`]); empty text is no event.
    pub fn push_content(&mut self, text: &str) {
        if let Some(len) = self.push_text(text) {
            self.items.push(BatchItem::Content(len));
        }
    }

    /// Appends reasoning text (a [`ChatEvent::Reasoning`]); empty text is no
    /// event.
    pub fn push_reasoning(&mut self, text: &str) {
        if let Some(len) = self.push_text(text) {
            self.items.push(BatchItem::Reasoning(len));
        }
    }

    /// Appends any event. [`ChatEvent::Unknown`] exists only on a host (an
    /// event of a newer plugin) and is not sent on: it is dropped.
    pub fn push(&mut self, event: ChatEvent) {
        match event {
            ChatEvent::Content(text) => self.push_content(&text),
            ChatEvent::Reasoning(text) => self.push_reasoning(&text),
            ChatEvent::Unknown(_) => {}
            other => {
                self.items.push(BatchItem::Other);
                self.others.push(other);
            }
        }
    }

    /// Puts `event` (not text) before every other event of the batch.
    pub fn push_front(&mut self, event: ChatEvent) {
        match event {
            ChatEvent::Content(_) | ChatEvent::Reasoning(_) | ChatEvent::Unknown(_) => {
                let mut rest = std::mem::take(self);
                self.push(event);
                rest.drain_into(self);
            }
            other => {
                self.items.insert(0, BatchItem::Other);
                self.others.insert(0, other);
            }
        }
    }

    /// How many events the batch holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The bytes of text its content and reasoning events hold: most of what
    /// a batch weighs, for a plugin that bounds its batches by size.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The batch, leaving in its place an empty one with room for as much again (the
    /// next read of an answer is usually like the last).
    pub fn take(&mut self) -> EventBatch {
        let room = EventBatch {
            text: String::with_capacity(self.text.len()),
            items: Vec::with_capacity(self.items.len()),
            others: Vec::new(),
        };
        std::mem::replace(self, room)
    }

    /// Empties it, keeping its buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.items.clear();
        self.others.clear();
    }

    /// The events, in order.
    pub fn into_events(self) -> Vec<ChatEvent> {
        let mut events = Vec::with_capacity(self.items.len());
        let mut text = self.text.as_str();
        let mut others = self.others.into_iter();
        for item in self.items {
            let event = match item {
                BatchItem::Content(len) | BatchItem::Reasoning(len) => {
                    let (piece, rest) = text.split_at(len as usize);
                    text = rest;
                    if matches!(item, BatchItem::Content(_)) {
                        ChatEvent::Content(piece.to_string())
                    } else {
                        ChatEvent::Reasoning(piece.to_string())
                    }
                }
                BatchItem::Other => match others.next() {
                    Some(event) => event,
                    None => break,
                },
            };
            events.push(event);
        }
        events
    }

    /// Moves every event of this batch to the end of `to`.
    pub fn drain_into(&mut self, to: &mut EventBatch) {
        to.text.push_str(&self.text);
        to.items.append(&mut self.items);
        to.others.append(&mut self.others);
        self.text.clear();
    }

    /// `None` for empty text (no event), else its length. Text beyond 4 GiB
    /// in one event is cut there: one event is bounded far below that.
    fn push_text(&mut self, text: &str) -> Option<u32> {
        if text.is_empty() {
            return None;
        }
        let mut len = text.len().min(u32::MAX as usize);
        while !text.is_char_boundary(len) {
            len -= 1;
        }
        self.text.push_str(&text[..len]);
        Some(len as u32)
    }
}

impl From<Vec<ChatEvent>> for EventBatch {
    fn from(events: Vec<ChatEvent>) -> Self {
        let mut batch = EventBatch::new();
        for event in events {
            batch.push(event);
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ToolCallDelta;

    #[test]
    fn events_come_back_in_order() {
        let events = vec![
            ChatEvent::ServedBy {
                model: "m".into(),
                backend: None,
                request_id: None,
            },
            ChatEvent::Reasoning("hm".into()),
            ChatEvent::Content("é😀".into()),
            ChatEvent::ToolCall(ToolCallDelta::default()),
            ChatEvent::Content("b".into()),
            ChatEvent::Done {
                finish_reason: "stop".into(),
            },
        ];
        let batch = EventBatch::from(events.clone());
        assert_eq!(batch.len(), events.len());
        assert_eq!(batch.clone().into_events(), events);
    }

    #[test]
    fn empty_text_and_unknown_events_are_no_events() {
        let mut batch = EventBatch::new();
        batch.push_content("");
        batch.push(ChatEvent::Reasoning(String::new()));
        batch.push(ChatEvent::Unknown("from a newer plugin".into()));
        assert!(batch.is_empty());
    }

    #[test]
    fn push_front_puts_an_event_first() {
        let mut batch = EventBatch::new();
        batch.push_content("a");
        batch.push_front(ChatEvent::Done {
            finish_reason: "stop".into(),
        });
        batch.push_front(ChatEvent::Content("z".into()));
        assert_eq!(
            batch.into_events(),
            [
                ChatEvent::Content("z".into()),
                ChatEvent::Done {
                    finish_reason: "stop".into()
                },
                ChatEvent::Content("a".into()),
            ]
        );
    }
}
