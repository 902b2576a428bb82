//! `SqsBus` and the outbox relay against SQS on moto_server.

use std::sync::Arc;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use chrono::Utc;
use embedded::store::SqliteStore;
use serde_json::json;
use shared::bus::sqs::SqsBus;
use shared::clock::{StoppedClock, SystemClock};
use shared::events::{BusError, Event, EventBus, EventType, Queue};
use shared::outbox::{self, RelayReport};
use shared::store::keys::{self, kind};
use shared::store::{Condition, Item, Key, Store, TxAction};
use tests::sqs::{self, FifoQueue};

fn event(booking: &str) -> Event {
    Event::new(
        EventType::PaymentSucceeded,
        booking,
        Utc::now(),
        json!({"amountCents": 12_500}),
    )
}

/// Receives what is visible now, with every system attribute, making it visible again at once
/// when `hide_for` is 0.
async fn receive(client: &Client, url: &str, hide_for: i32) -> Vec<Message> {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(0)
        .visibility_timeout(hide_for)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

fn attribute(message: &Message, name: MessageSystemAttributeName) -> String {
    message.attributes().unwrap()[&name].clone()
}

async fn setup(prefix: &str) -> (Client, FifoQueue, SqsBus) {
    let client = sqs::client().await;
    let queue = sqs::create_fifo_queue(&client, prefix).await;
    let bus = SqsBus::new(client.clone(), [(Queue::BookingEvents, queue.url.clone())]);
    (client, queue, bus)
}

#[tokio::test]
async fn publish_sends_the_event_with_its_group_and_deduplication_id() {
    let (client, queue, bus) = setup("publish").await;
    let published = event("BOOKING1");
    bus.publish(Queue::BookingEvents, &published).await.unwrap();

    let messages = receive(&client, &queue.url, 30).await;
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(
        attribute(message, MessageSystemAttributeName::MessageGroupId),
        "BOOKING1"
    );
    assert_eq!(
        attribute(message, MessageSystemAttributeName::MessageDeduplicationId),
        published.id
    );
    let body: Event = serde_json::from_str(message.body().unwrap()).unwrap();
    assert_eq!(body, published);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(message.body().unwrap()).unwrap(),
        serde_json::to_value(&published).unwrap()
    );
}

#[tokio::test]
async fn the_same_event_published_twice_is_delivered_once() {
    let (client, queue, bus) = setup("dedup").await;
    let published = event("BOOKING1");
    bus.publish(Queue::BookingEvents, &published).await.unwrap();
    bus.publish(Queue::BookingEvents, &published).await.unwrap();
    let other = event("BOOKING1");
    bus.publish(Queue::BookingEvents, &other).await.unwrap();

    let bodies: Vec<Event> = receive(&client, &queue.url, 30)
        .await
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    assert_eq!(bodies, vec![published, other]);
}

#[tokio::test]
async fn a_message_received_three_times_without_delete_moves_to_the_dlq() {
    let (client, queue, bus) = setup("redrive").await;
    let published = event("BOOKING1");
    bus.publish(Queue::BookingEvents, &published).await.unwrap();

    for receive_count in 1..=sqs::MAX_RECEIVE_COUNT {
        let messages = receive(&client, &queue.url, 0).await;
        assert_eq!(messages.len(), 1, "receive {receive_count}");
        assert_eq!(
            attribute(&messages[0], MessageSystemAttributeName::ApproximateReceiveCount),
            receive_count.to_string()
        );
    }
    assert!(
        receive(&client, &queue.url, 0).await.is_empty(),
        "the 4th receive redrives instead"
    );
    let dead = receive(&client, &queue.dlq_url, 30).await;
    assert_eq!(dead.len(), 1);
    let body: Event = serde_json::from_str(dead[0].body().unwrap()).unwrap();
    assert_eq!(body, published);
}

#[tokio::test]
async fn unconfigured_queue_and_sqs_errors_are_bus_errors() {
    let (client, _queue, bus) = setup("errors").await;
    assert_eq!(
        bus.publish(Queue::PaymentEvents, &event("B")).await,
        Err(BusError::UnknownQueue("payment-events"))
    );
    let missing = format!("{}/000000000000/does-not-exist.fifo", tests::moto::endpoint());
    let broken = SqsBus::new(client, [(Queue::ReviewEvents, missing)]);
    match broken.publish(Queue::ReviewEvents, &event("B")).await {
        Err(BusError::Unavailable(text)) => assert!(!text.is_empty()),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

fn store() -> SqliteStore {
    SqliteStore::open_temporary(Arc::new(SystemClock)).unwrap()
}

/// Whether the outbox item of `event` is stored.
async fn outbox_holds(store: &SqliteStore, event: &Event) -> bool {
    let day = event.occurred_at.format("%Y-%m-%d").to_string();
    let at = event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let key = keys::outbox(&day, &at, &event.id);
    store
        .get(&key)
        .await
        .unwrap()
        .is_some_and(|item| item.kind == kind::OUTBOX)
}

/// A booking item written together with the event that announces it.
fn booking_with_event(event: &Event) -> Vec<TxAction> {
    let booking = Item::new(
        Key::new(format!("BOOKING#{}", event.booking_id), "BOOKING"),
        "booking",
        &json!({"status": "confirmed"}),
    )
    .unwrap();
    let mut actions = vec![TxAction::Put {
        item: booking,
        condition: Condition::Absent,
    }];
    let recorded = [(Queue::BookingEvents, event.clone())];
    actions.extend(outbox::record(&StoppedClock(event.occurred_at), &recorded).unwrap());
    actions
}

fn published(count: usize) -> RelayReport {
    RelayReport {
        published: count,
        ..RelayReport::default()
    }
}

#[tokio::test]
async fn relay_publishes_a_settled_event_once_and_fifo_drops_its_second_copy() {
    let (client, queue, bus) = setup("relay").await;
    let store = store();
    let sent = event("BOOKING1");
    store.transact(booking_with_event(&sent)).await.unwrap();
    assert!(outbox_holds(&store, &sent).await);
    let now = sent.occurred_at;

    // Not settled yet: the relay leaves it to the publish after commit.
    assert_eq!(
        outbox::relay(&store, &bus, now - outbox::SETTLE, 100).await.unwrap(),
        published(0)
    );
    outbox::publish_recorded(&bus, &[(Queue::BookingEvents, sent.clone())]).await;
    assert!(outbox_holds(&store, &sent).await, "kept: TTL removes it, at no cost");

    let settled = now + outbox::SETTLE + chrono::Duration::seconds(1);
    assert_eq!(
        outbox::relay(&store, &bus, settled - outbox::SETTLE, 100)
            .await
            .unwrap(),
        published(1)
    );
    assert_eq!(
        outbox::relay(
            &store,
            &bus,
            settled + chrono::Duration::minutes(1) - outbox::SETTLE,
            100
        )
        .await
        .unwrap(),
        published(0),
        "past the watermark"
    );

    let messages = receive(&client, &queue.url, 30).await;
    assert_eq!(messages.len(), 1, "the relay's copy has the same deduplication id");
    let body: Event = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert_eq!(body, sent);
}

#[tokio::test]
async fn an_event_whose_publish_failed_is_published_by_the_relay_in_order() {
    let (client, queue, bus) = setup("recorded").await;
    let store = store();
    let sent = event("BOOKING1");
    store.transact(booking_with_event(&sent)).await.unwrap();
    outbox::publish_recorded(&bus, &[(Queue::BookingEvents, sent.clone())]).await;

    // A function that may not publish to the queue: the event waits for the relay, which
    // stops at it while it still cannot publish.
    let stuck = event("BOOKING2");
    store.transact(booking_with_event(&stuck)).await.unwrap();
    let no_queues = SqsBus::new(client.clone(), []);
    outbox::publish_recorded(&no_queues, &[(Queue::BookingEvents, stuck.clone())]).await;
    let settled = stuck.occurred_at + outbox::SETTLE + chrono::Duration::seconds(1);
    let report = outbox::relay(&store, &no_queues, settled - outbox::SETTLE, 100)
        .await
        .unwrap();
    assert_eq!((report.published, report.failed), (0, 1));
    assert_eq!(report.behind_since, Some(sent.occurred_at), "stopped at the first one");

    let report = outbox::relay(&store, &bus, settled - outbox::SETTLE, 100)
        .await
        .unwrap();
    assert_eq!(report, published(2));

    let bodies: Vec<Event> = receive(&client, &queue.url, 30)
        .await
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    assert_eq!(bodies, vec![sent, stuck]);
}
