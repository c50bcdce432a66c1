//! A stream that is not read holds about the plugin's high-water mark, not
//! the whole answer: host-sdk counts what its queue holds unread and reports
//! it to the plugin (`EventSink::backlog`), and a plugin of interface 2.2
//! (here `compat/plugin`'s `flood:<n>`, across a real dlopen) waits while it
//! is high. Reading again lets everything through, in order.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::time::{Duration, Instant};

use common::{compat_plugin, provider};
use host_sdk::{ChatEvent, ChatRequest, Message, Plugin};

/// plugin-sdk's `BACKLOG_HIGH_WATER` (a host never links plugin-sdk): above
/// it, a plugin reads no further.
const BACKLOG_HIGH_WATER: u64 = 256 * 1024;
/// What one batch of `flood:<n>` holds (64 KiB of one letter).
const BATCH: usize = 64 * 1024;
/// 16 MiB in all: 64 times the high-water mark.
const BATCHES: usize = 256;

#[tokio::test]
async fn an_unread_stream_holds_about_the_high_water_mark_then_everything_arrives_in_order() {
    let plugin = Plugin::load(compat_plugin(&[])).unwrap();
    let provider = provider(&plugin, serde_json::json!({}));
    let mut stream = provider.complete(ChatRequest::new(
        format!("compat/flood:{BATCHES}"),
        vec![Message::user("hi")],
    ));

    // Nothing read for a while: the queue fills up to the mark, then stays.
    let bound = BACKLOG_HIGH_WATER + 2 * BATCH as u64;
    let mut most = 0;
    let until = Instant::now() + Duration::from_millis(600);
    while Instant::now() < until {
        most = most.max(stream.queued_bytes());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        most > BACKLOG_HIGH_WATER / 2,
        "the plugin never filled the queue: {most} bytes"
    );
    assert!(
        most <= bound,
        "{most} bytes queued unread, more than the high-water mark {BACKLOG_HIGH_WATER} and a batch"
    );

    // Reading again: every batch, in order, and the queue empties.
    let mut text = String::new();
    let mut done = false;
    while let Some(item) = stream.next().await {
        match item.unwrap() {
            ChatEvent::Content(piece) => text.push_str(&piece),
            ChatEvent::Done { .. } => done = true,
            other => panic!("unexpected event {other:?}"),
        }
        assert!(stream.queued_bytes() <= bound);
    }
    assert!(done);
    assert_eq!(text.len(), BATCHES * BATCH);
    for (i, batch) in text.as_bytes().chunks(BATCH).enumerate() {
        let letter = b'a' + (i % 26) as u8;
        assert!(batch.iter().all(|&b| b == letter), "batch {i} out of order");
    }
    assert_eq!(stream.queued_bytes(), 0);
}
