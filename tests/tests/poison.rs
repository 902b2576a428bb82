//! A poison message on both kinds of queue (the local API's SQLite queues, and SQS FIFO on
//! moto fed by the local API's poller): it reaches its dead-letter queue after its
//! `MAX_RECEIVES` receives, its message group's later messages wait for those receives only
//! (they are handled on the poison's last one, not sent to the dead-letter queue with it), other
//! groups are not held up at all, and, redriven, it is applied once, also when its effect had
//! been applied before it failed.
//!
//! The consumer is `shared::consumer::handle_batch` over an effect written the way every Roost
//! consumer writes its own: a transaction of "applied" marker (absent) and counter.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use shared::App;
use shared::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::consumer::{MAX_RECEIVES, handle_batch};
use shared::events::{Event, EventBus, EventType, Queue};
use shared::store::{Condition, Item, Key, Query, SortKeyRange, Store, StoreError, TxAction, Update};
use tests::app::{Backend, spawn_app};

/// How an event behaves while its flag item exists.
#[derive(Clone, Copy)]
enum Trouble {
    /// Fails before doing anything.
    Fails,
    /// Applies its effect, then fails (its answer was lost, say).
    AppliesThenFails,
}

fn partition(run: &str) -> String {
    format!("POISON#{run}")
}

fn flag_key(run: &str, event_id: &str) -> Key {
    Key::new(partition(run), format!("FLAG#{event_id}"))
}

fn counter_key(run: &str, event_id: &str) -> Key {
    Key::new(partition(run), format!("APPLIED#{event_id}"))
}

/// One event of the run in group `group`.
fn event(run: &str, group: &str, trouble: Option<Trouble>) -> Event {
    let trouble = match trouble {
        None => "none",
        Some(Trouble::Fails) => "fails",
        Some(Trouble::AppliesThenFails) => "applies-then-fails",
    };
    Event::new(
        EventType::PaymentSucceeded,
        group,
        Utc::now(),
        json!({"run": run, "trouble": trouble}),
    )
}

/// The consumer's work for one event: log the handling, then (unless its flag says it fails
/// first) apply its effect once by its id, then fail if its flag says so.
async fn handle(store: &dyn Store, event: Event) -> Result<(), StoreError> {
    let run = event.data["run"].as_str().unwrap_or_default().to_owned();
    let trouble = event.data["trouble"].as_str().unwrap_or_default().to_owned();
    let log = Item::new(
        // Ordered by the time of handling (nanoseconds: handlings of a batch are sequential).
        Key::new(
            partition(&run),
            format!(
                "LOG#{:020}#{}",
                Utc::now().timestamp_nanos_opt().unwrap_or_default(),
                ulid::Ulid::new()
            ),
        ),
        "test",
        &json!({"eventId": event.id}),
    )?;
    store.put(log, Condition::Absent).await?;
    let flagged = store.get(&flag_key(&run, &event.id)).await?.is_some();
    if flagged && trouble == "fails" {
        return Err(StoreError::InvalidItem(format!("poison event {}", event.id)));
    }
    let marker = Item::new(
        Key::new(partition(&run), format!("MARKER#{}", event.id)),
        "test",
        &json!({}),
    )?;
    let applied = store
        .transact(vec![
            TxAction::Put {
                item: marker,
                condition: Condition::Absent,
            },
            TxAction::Update {
                key: counter_key(&run, &event.id),
                update: Update::new().add("n", 1),
                condition: Condition::Always,
            },
        ])
        .await;
    match applied {
        Ok(()) | Err(StoreError::TransactionConditionFailed { index: 0 }) => {}
        Err(err) => return Err(err),
    }
    if flagged && trouble == "applies-then-fails" {
        return Err(StoreError::InvalidItem(format!(
            "event {} failed after its effect",
            event.id
        )));
    }
    Ok(())
}

fn consume(app: &'static App, batch: SqsEvent) -> BoxFuture<'static, SqsBatchResponse> {
    Box::pin(handle_batch(batch, move |event| handle(app.store.as_ref(), event)))
}

/// The ids of the events in the order they were handled (each handling, failed or not).
async fn handlings(store: &dyn Store, run: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut start = None;
    loop {
        let query = Query::partition(shared::store::Index::Table, partition(run))
            .range(SortKeyRange::Prefix("LOG#".to_owned()))
            .start(start);
        let page = store.query(query).await.expect("log query");
        ids.extend(
            page.items
                .iter()
                .filter_map(|item| item.attrs.get("eventId").and_then(Value::as_str).map(str::to_owned)),
        );
        match page.next {
            Some(next) => start = Some(next),
            None => return ids,
        }
    }
}

async fn applied(store: &dyn Store, run: &str, event: &Event) -> i64 {
    store
        .get(&counter_key(run, &event.id))
        .await
        .expect("counter read")
        .and_then(|item| item.attrs.get("n").and_then(Value::as_i64))
        .unwrap_or(0)
}

/// The bus side of a run: publish, count what is parked, redrive.
#[async_trait::async_trait]
trait Queues {
    async fn publish(&self, event: &Event);
    async fn parked(&self) -> usize;
    async fn redrive(&self) -> usize;
}

struct Local(Arc<embedded::bus::LocalBus>);

#[async_trait::async_trait]
impl Queues for Local {
    async fn publish(&self, event: &Event) {
        self.0.publish(Queue::BookingEvents, event).await.expect("publish");
    }
    async fn parked(&self) -> usize {
        self.0.dead_letters(Queue::BookingEvents).await.len()
    }
    async fn redrive(&self) -> usize {
        self.0.redrive(Queue::BookingEvents).expect("redrive")
    }
}

struct Sqs {
    client: aws_sdk_sqs::Client,
    queue: tests::sqs::FifoQueue,
    bus: shared::bus::sqs::SqsBus,
}

#[async_trait::async_trait]
impl Queues for Sqs {
    async fn publish(&self, event: &Event) {
        self.bus.publish(Queue::BookingEvents, event).await.expect("publish");
    }
    async fn parked(&self) -> usize {
        tests::sqs::message_count(&self.client, &self.queue.dlq_url, false).await
    }
    async fn redrive(&self) -> usize {
        shared::bus::sqs::redrive(&self.client, &self.queue.dlq_url, &self.queue.url)
            .await
            .expect("redrive")
    }
}

/// Waits (20 s at most) until `done` holds of the run's handlings.
async fn until(store: &dyn Store, run: &str, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let seen = handlings(store, run).await;
        if done(&seen) {
            return seen;
        }
        assert!(tokio::time::Instant::now() < deadline, "never {what}: {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn poison_message(store: &dyn Store, queues: &dyn Queues) {
    let run = ulid::Ulid::new().to_string();
    let poison = event(&run, "A", Some(Trouble::Fails));
    let half_done = event(&run, "C", Some(Trouble::AppliesThenFails));
    let (after_1, after_2, other) = (event(&run, "A", None), event(&run, "A", None), event(&run, "B", None));
    for flagged in [&poison, &half_done] {
        store
            .put(
                Item::new(flag_key(&run, &flagged.id), "test", &json!({})).expect("flag"),
                Condition::Absent,
            )
            .await
            .expect("flag");
    }
    for published in [&poison, &after_1, &after_2, &other, &half_done] {
        store
            .put(
                Item::new(counter_key(&run, &published.id), "test", &json!({"n": 0})).expect("counter"),
                Condition::Absent,
            )
            .await
            .expect("counter");
    }
    for published in [&poison, &after_1, &after_2, &other, &half_done] {
        queues.publish(published).await;
    }
    let count = |seen: &[String], event: &Event| seen.iter().filter(|id| **id == event.id).count();
    let seen = until(store, &run, "handled the group after the poison", |seen| {
        count(seen, &after_2) == 1 && count(seen, &poison) == MAX_RECEIVES as usize && count(seen, &other) == 1
    })
    .await;
    let position = |event: &Event, nth: usize| {
        seen.iter()
            .enumerate()
            .filter(|(_, id)| **id == event.id)
            .nth(nth)
            .map(|(at, _)| at)
            .expect("handled")
    };
    // The group's later messages were handled once each, in order, and only on the poison's
    // last receive: they never followed it to the dead-letter queue.
    assert!(
        position(&after_1, 0) > position(&poison, MAX_RECEIVES as usize - 1),
        "{seen:?}"
    );
    assert!(position(&after_2, 0) > position(&after_1, 0), "{seen:?}");
    assert_eq!(count(&seen, &after_1), 1, "{seen:?}");
    // The other group was not held up: handled before the poison's last receive.
    assert!(
        position(&other, 0) < position(&poison, MAX_RECEIVES as usize - 1),
        "{seen:?}"
    );
    let parked_by = tokio::time::Instant::now() + Duration::from_secs(20);
    while queues.parked().await < 2 {
        assert!(
            tokio::time::Instant::now() < parked_by,
            "the poison and the half-done event never parked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(applied(store, &run, &poison).await, 0);
    assert_eq!(applied(store, &run, &half_done).await, 1, "applied before it failed");
    for event in [&after_1, &after_2, &other] {
        assert_eq!(applied(store, &run, event).await, 1);
    }

    // Fixed (the flags gone) and redriven: each applied once, the half-done one not again.
    for flagged in [&poison, &half_done] {
        store
            .delete(&flag_key(&run, &flagged.id), Condition::Always)
            .await
            .expect("unflag");
    }
    assert_eq!(queues.redrive().await, 2);
    until(store, &run, "handled the redriven messages", |seen| {
        count(seen, &poison) == MAX_RECEIVES as usize + 1 && count(seen, &half_done) == MAX_RECEIVES as usize + 1
    })
    .await;
    assert_eq!(applied(store, &run, &poison).await, 1);
    assert_eq!(applied(store, &run, &half_done).await, 1, "not applied twice");
    assert_eq!(queues.parked().await, 0);
    assert_eq!(queues.redrive().await, 0, "nothing left to redrive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_queues_park_a_poison_message_without_holding_up_its_group() {
    let test = spawn_app(Backend::Sqlite).await;
    let app = test.app;
    let bus = Arc::new(
        embedded::bus::LocalBus::temporary()
            .expect("queues")
            .with_retry_backoff(Duration::from_millis(20)),
    );
    bus.register(
        Queue::BookingEvents,
        embedded::bus::consumer(move |batch| consume(app, batch)),
    );
    let delivery = bus.spawn_delivery();
    poison_message(app.store.as_ref(), &Local(bus.clone())).await;
    delivery.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_parks_a_poison_message_without_holding_up_its_group() {
    let test = spawn_app(Backend::Dynamo).await;
    let client = tests::sqs::client().await;
    let queue = tests::sqs::create_fifo_queue(&client, "poison").await;
    let bus = shared::bus::sqs::SqsBus::new(client.clone(), [(Queue::BookingEvents, queue.url.clone())]);
    let poller = local_api::poller::spawn(
        test.app,
        client.clone(),
        Queue::BookingEvents,
        queue.url.clone(),
        consume,
    );
    poison_message(test.app.store.as_ref(), &Sqs { client, queue, bus }).await;
    poller.abort();
}
