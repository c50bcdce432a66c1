//! A batch of events as it crosses the boundary (added in interface 2.1.0),
//! and its conversions: from the idiomatic [`EventBatch`] (plugins), to
//! [`ChatEvent`]s (hosts), and to single events (the default body of
//! [`super::EventSink::events`], for hosts of 2.0).

use abi_stable::{
    StableAbi,
    std_types::{RString, RVec},
};

use super::AbiChatEvent_NE;
use crate::ChatEvent;
use crate::batch::{BatchItem, EventBatch};

/// Events of one completion, in order (see [`EventBatch`]): the text of
/// every content and reasoning event in one string, the other events as
/// themselves.
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct AbiEventBatch {
    /// The text of the batch's content and reasoning events, one after the other.
    pub text: RString,
    /// The batch's events, in order.
    pub items: RVec<AbiBatchItem>,
    /// The events that are not text, in order: one per item of kind
    /// [`AbiBatchItem::EVENT`].
    pub events: RVec<AbiChatEvent_NE>,
}

/// One event of an [`AbiEventBatch`].
///
/// `kind` is a plain byte rather than an enum so that no value a plugin
/// sends can be undefined behaviour on the host; a host reports a kind it
/// does not know as an unknown event.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiBatchItem {
    /// [`AbiBatchItem::CONTENT`], [`AbiBatchItem::REASONING`] or [`AbiBatchItem::EVENT`].
    pub kind: u8,
    /// For text: its length in bytes in `text` (the next bytes after the
    /// previous text item's). Otherwise 0.
    pub len: u32,
}

impl AbiBatchItem {
    /// Answer text.
    pub const CONTENT: u8 = 0;
    /// Reasoning text.
    pub const REASONING: u8 = 1;
    /// The next event of `events`.
    pub const EVENT: u8 = 2;
}

impl From<EventBatch> for AbiEventBatch {
    fn from(batch: EventBatch) -> Self {
        // Same size and alignment: collected in place, without a new buffer.
        let items = batch
            .items
            .into_iter()
            .map(|item| match item {
                BatchItem::Content(len) => AbiBatchItem {
                    kind: AbiBatchItem::CONTENT,
                    len,
                },
                BatchItem::Reasoning(len) => AbiBatchItem {
                    kind: AbiBatchItem::REASONING,
                    len,
                },
                BatchItem::Other => AbiBatchItem {
                    kind: AbiBatchItem::EVENT,
                    len: 0,
                },
            })
            .collect::<Vec<_>>();
        // `EventBatch::push` keeps `Unknown` (the one event without an ABI
        // form) out, so every event converts and the items stay in step.
        let events = batch
            .others
            .into_iter()
            .filter_map(|event| AbiChatEvent_NE::try_from(event).ok())
            .collect::<Vec<_>>();
        AbiEventBatch {
            text: RString::from(batch.text),
            items: RVec::from(items),
            events: RVec::from(events),
        }
    }
}

/// What one item of a batch is, read defensively: the batch comes from
/// another binary.
// An event is moved straight on to its consumer; boxing it would cost an
// allocation per event, which is what batches exist to avoid.
#[allow(clippy::large_enum_variant)]
enum Item<'t> {
    Content(&'t str),
    Reasoning(&'t str),
    Event(AbiChatEvent_NE),
    Malformed(String),
}

impl AbiEventBatch {
    /// How many events the batch holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// About how many bytes the batch holds: its text, its items and its
    /// other events (not what those events point to, which is small next to
    /// the text). What a host counts as queued while the batch waits for its
    /// reader (see [`super::EventSink::backlog`]).
    pub fn bytes(&self) -> usize {
        self.text.len()
            + self.items.len() * std::mem::size_of::<AbiBatchItem>()
            + self.events.len() * std::mem::size_of::<AbiChatEvent_NE>()
    }

    /// The events, in order, each converted when it is taken (a host's
    /// reading): a batch waiting in a queue keeps its text in one buffer. An
    /// item that does not fit the batch (text it does not hold, a kind this
    /// host does not know) becomes a [`ChatEvent::Unknown`] saying so.
    pub fn into_events(self) -> BatchEvents {
        let AbiEventBatch {
            text,
            items,
            events,
        } = self;
        BatchEvents {
            text,
            items,
            next: 0,
            at: 0,
            events: events.into_iter(),
        }
    }

    /// All the events at once; see [`AbiEventBatch::into_events`].
    pub fn into_chat_events(self) -> Vec<ChatEvent> {
        self.into_events().collect()
    }

    /// The events one by one, as a host of interface 2.0 receives them (the
    /// default body of `EventSink::events`). Malformed items cannot come
    /// from [`AbiEventBatch::from`] and are dropped.
    pub fn into_abi_events(self) -> Vec<AbiChatEvent_NE> {
        use super::AbiChatEvent;
        let mut events = self.into_events();
        let mut out = Vec::with_capacity(events.len());
        while let Some(item) = events.next_item() {
            match item {
                Item::Content(text) => {
                    out.push(AbiChatEvent_NE::new(AbiChatEvent::Content(text.into())));
                }
                Item::Reasoning(text) => {
                    out.push(AbiChatEvent_NE::new(AbiChatEvent::Reasoning(text.into())));
                }
                Item::Event(event) => out.push(event),
                Item::Malformed(_) => {}
            }
        }
        out
    }
}

/// The events of an [`AbiEventBatch`], converted one at a time.
pub struct BatchEvents {
    text: RString,
    items: RVec<AbiBatchItem>,
    /// The next item to read, and where its text starts.
    next: usize,
    at: usize,
    events: abi_stable::std_types::vec::IntoIter<AbiChatEvent_NE>,
}

impl std::fmt::Debug for BatchEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchEvents")
            .field("left", &(self.items.len() - self.next))
            .finish()
    }
}

impl BatchEvents {
    fn next_item(&mut self) -> Option<Item<'_>> {
        let item = *self.items.get(self.next)?;
        self.next += 1;
        Some(match item.kind {
            AbiBatchItem::CONTENT | AbiBatchItem::REASONING => {
                let end = self.at.saturating_add(item.len as usize);
                let piece = self.text.get(self.at..end);
                self.at = end;
                match (piece, item.kind) {
                    (Some(piece), AbiBatchItem::CONTENT) => Item::Content(piece),
                    (Some(piece), _) => Item::Reasoning(piece),
                    (None, _) => {
                        Item::Malformed("a batched text event that its batch does not hold".into())
                    }
                }
            }
            AbiBatchItem::EVENT => match self.events.next() {
                Some(event) => Item::Event(event),
                None => Item::Malformed("a batched event that its batch does not hold".into()),
            },
            kind => Item::Malformed(format!(
                "a batched event of a kind ({kind}) this host does not know"
            )),
        })
    }
}

impl Iterator for BatchEvents {
    type Item = ChatEvent;

    fn next(&mut self) -> Option<ChatEvent> {
        self.next_item().map(|item| match item {
            Item::Content(text) => ChatEvent::Content(text.to_owned()),
            Item::Reasoning(text) => ChatEvent::Reasoning(text.to_owned()),
            Item::Event(event) => ChatEvent::from(event),
            Item::Malformed(what) => ChatEvent::Unknown(what),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.items.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for BatchEvents {}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<ChatEvent> {
        vec![
            ChatEvent::Reasoning("hm".into()),
            ChatEvent::Content("é😀".into()),
            ChatEvent::Done {
                finish_reason: "stop".into(),
            },
        ]
    }

    #[test]
    fn a_batch_crosses_whole() {
        let abi = AbiEventBatch::from(EventBatch::from(sample()));
        assert_eq!(abi.len(), 3);
        assert_eq!(abi.into_chat_events(), sample());
        let singles: Vec<ChatEvent> = AbiEventBatch::from(EventBatch::from(sample()))
            .into_abi_events()
            .into_iter()
            .map(ChatEvent::from)
            .collect();
        assert_eq!(singles, sample());
    }

    #[test]
    fn a_malformed_batch_is_reported_not_trusted() {
        let abi = AbiEventBatch {
            text: "abc".into(),
            items: RVec::from(vec![
                AbiBatchItem {
                    kind: AbiBatchItem::CONTENT,
                    len: 2,
                },
                AbiBatchItem {
                    kind: AbiBatchItem::CONTENT,
                    len: 5,
                },
                AbiBatchItem { kind: 9, len: 0 },
                AbiBatchItem {
                    kind: AbiBatchItem::EVENT,
                    len: 0,
                },
            ]),
            events: RVec::new(),
        };
        let events = abi.into_chat_events();
        assert_eq!(events[0], ChatEvent::Content("ab".into()));
        assert!(
            events[1..]
                .iter()
                .all(|e| matches!(e, ChatEvent::Unknown(_)))
        );
        assert_eq!(events.len(), 4);
    }
}
