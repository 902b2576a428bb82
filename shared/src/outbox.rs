//! The transactional outbox: an event is written as an item in the same transaction as the
//! change it announces, published right after the commit, then deleted. Whatever is left
//! behind (the publish failed, the function died in between) is published by [`relay`].
//!
//! Publishing twice is harmless: SQS FIFO drops a second message with the same deduplication
//! id (the event id) within 5 minutes, and consumers are idempotent. Order is kept per booking
//! as far as this process can see it: once an event of a booking fails to publish, the later
//! events of that booking in the same run wait for the relay, which publishes oldest first.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::events::{Event, EventBus, Queue};
use crate::store::keys::{self, kind};
use crate::store::{Condition, Index, Item, Key, Query, Store, StoreError, TxAction};

/// Most items one relay query asks for.
const RELAY_PAGE_SIZE: usize = 100;

/// What an outbox item holds besides its keys.
#[derive(Debug, Serialize)]
struct OutboxRecordRef<'a> {
    queue: Queue,
    event: &'a Event,
}

/// An outbox item read back.
#[derive(Debug, Deserialize)]
struct OutboxRecord {
    queue: Queue,
    event: Event,
}

/// The gsi1 sort-key time of an event: RFC 3339 in UTC with exactly three fraction digits, so
/// that the lexical order of the index is the chronological order (the default rendering
/// drops zero fractions and would sort `...00Z` after `...00.5Z`).
fn index_time(occurred_at: DateTime<Utc>) -> String {
    occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The outbox item announcing `event` on `queue`.
fn outbox_item(queue: Queue, event: &Event) -> Result<Item, StoreError> {
    let item = Item::new(keys::outbox(&event.id), kind::OUTBOX, &OutboxRecordRef { queue, event })?;
    Ok(item.with_gsi1(keys::outbox_index(&index_time(event.occurred_at), &event.id)))
}

/// The transaction action recording `event` for `queue`: include it in the transaction of the
/// change the event announces, then call [`publish_recorded`] once it has committed.
///
/// The put requires the key to be free, so recording the same event twice fails the
/// transaction instead of silently replacing an unpublished event.
pub fn record(queue: Queue, event: &Event) -> Result<TxAction, StoreError> {
    Ok(TxAction::Put {
        item: outbox_item(queue, event)?,
        condition: Condition::Absent,
    })
}

/// Publishes events just recorded by a committed transaction, deleting each published one
/// from the outbox.
///
/// Never fails: the change is committed whatever happens here, so a failure is logged and the
/// event is left in the outbox for [`relay`]. After a failed publish the later events of the
/// same booking are left too, so that the relay publishes them in order.
pub async fn publish_recorded(store: &dyn Store, bus: &dyn EventBus, recorded: &[(Queue, Event)]) {
    let mut held_back: HashSet<&str> = HashSet::new();
    for (queue, event) in recorded {
        if held_back.contains(event.booking_id.as_str()) {
            tracing::warn!(
                event_id = %event.id,
                booking_id = %event.booking_id,
                "event left for the outbox relay behind an earlier unpublished one"
            );
            continue;
        }
        match bus.publish(*queue, event).await {
            Ok(()) => delete_published(store, &keys::outbox(&event.id), &event.id).await,
            Err(err) => {
                tracing::warn!(
                    event_id = %event.id,
                    queue = queue.name(),
                    error = %err,
                    "event not published; the outbox relay will retry"
                );
                held_back.insert(event.booking_id.as_str());
            }
        }
    }
}

/// Removes the outbox item of a published event. A failure only means the relay publishes the
/// event again, which deduplication makes harmless, so it is logged, not returned.
async fn delete_published(store: &dyn Store, key: &Key, event_id: &str) {
    if let Err(err) = store.delete(key, Condition::Always).await {
        tracing::warn!(
            event_id,
            error = %err,
            "published event left in the outbox; it will be published again"
        );
    }
}

/// What one [`relay`] run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Events published (their outbox item deleted, or its deletion logged as failed).
    pub published: usize,
    /// Events left in the outbox for the next run: the publish failed, the item was
    /// unreadable, or an earlier event of the same booking was left.
    pub failed: usize,
}

/// When the oldest event still in the outbox occurred (`None` when it is empty): one query
/// of one item, for the relay's health metric.
pub async fn oldest(store: &dyn Store) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    let page = store
        .query(Query::partition(Index::Gsi1, keys::OUTBOX_INDEX_PK).limit(1))
        .await?;
    Ok(page
        .items
        .first()
        .and_then(|item| item.gsi1.as_ref())
        .and_then(|key| key.sk.split('#').next())
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.with_timezone(&chrono::Utc)))
}

/// Publishes up to `max` events left in the outbox, oldest first, deleting each published one.
///
/// Fails only when the outbox cannot be read; publish and delete failures are logged and
/// counted in the report.
pub async fn relay(store: &dyn Store, bus: &dyn EventBus, max: usize) -> Result<RelayReport, StoreError> {
    let mut report = RelayReport::default();
    // Bookings with an event left behind in this run: their later events wait, to keep order.
    let mut held_back: HashSet<String> = HashSet::new();
    let mut start = None;
    let mut examined = 0;
    while examined < max {
        let limit = (max - examined).min(RELAY_PAGE_SIZE);
        let page = store
            .query(
                Query::partition(Index::Gsi1, keys::OUTBOX_INDEX_PK)
                    // `limit` is at most RELAY_PAGE_SIZE, far below u32::MAX.
                    .limit(u32::try_from(limit).unwrap_or(u32::MAX))
                    .start(start),
            )
            .await?;
        examined += page.items.len();
        for item in &page.items {
            if relay_one(store, bus, item, &mut held_back).await {
                report.published += 1;
            } else {
                report.failed += 1;
            }
        }
        match page.next {
            Some(next) => start = Some(next),
            None => break,
        }
    }
    if report.published > 0 || report.failed > 0 {
        tracing::info!(published = report.published, failed = report.failed, "outbox relay run");
    }
    Ok(report)
}

/// Publishes one outbox item; true when it was published.
async fn relay_one(store: &dyn Store, bus: &dyn EventBus, item: &Item, held_back: &mut HashSet<String>) -> bool {
    let record: OutboxRecord = match item.record() {
        Ok(record) => record,
        Err(err) => {
            // Left in place for someone to look at: deleting it would lose the event for good.
            tracing::error!(pk = %item.key.pk, error = %err, "unreadable outbox item");
            return false;
        }
    };
    let OutboxRecord { queue, event } = record;
    if held_back.contains(&event.booking_id) {
        return false;
    }
    match bus.publish(queue, &event).await {
        Ok(()) => {
            delete_published(store, &item.key, &event.id).await;
            true
        }
        Err(err) => {
            tracing::warn!(
                event_id = %event.id,
                queue = queue.name(),
                error = %err,
                "outbox relay could not publish"
            );
            held_back.insert(event.booking_id);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::events::{BusError, EventType};
    use crate::store::{Page, ResumeKey, Update};

    fn event_at(booking: &str, millis: i64) -> Event {
        let at = Utc.timestamp_millis_opt(1_800_000_000_000 + millis).single().unwrap();
        Event::new(EventType::PaymentSucceeded, booking, at, json!({"amount": 1}))
    }

    #[test]
    fn index_time_has_fixed_width_millis() {
        let whole = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(index_time(whole), "2026-01-01T00:00:00.000Z");
        let half = whole + chrono::Duration::milliseconds(500);
        assert_eq!(index_time(half), "2026-01-01T00:00:00.500Z");
        assert!(index_time(whole) < index_time(half));
    }

    #[test]
    fn record_puts_an_absent_outbox_item_in_the_index() {
        let event = event_at("B1", 0);
        let action = record(Queue::PaymentEvents, &event).unwrap();
        let TxAction::Put { item, condition } = action else {
            panic!("expected a put, got {action:?}");
        };
        assert_eq!(condition, Condition::Absent);
        assert_eq!(item.key, keys::outbox(&event.id));
        assert_eq!(item.kind, kind::OUTBOX);
        assert_eq!(
            item.gsi1,
            Some(keys::outbox_index(&index_time(event.occurred_at), &event.id))
        );
        assert_eq!(item.attrs["queue"], json!("payment-events"));
        assert_eq!(item.attrs["event"], serde_json::to_value(&event).unwrap());
        let back: OutboxRecord = item.record().unwrap();
        assert_eq!(back.queue, Queue::PaymentEvents);
        assert_eq!(back.event, event);
    }

    /// Just enough of a store for the outbox: puts, deletes and gsi1 queries.
    #[derive(Default)]
    struct FakeStore {
        items: Mutex<BTreeMap<Key, Item>>,
    }

    impl FakeStore {
        fn len(&self) -> usize {
            self.items.lock().unwrap().len()
        }
    }

    #[async_trait]
    impl Store for FakeStore {
        async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
            Ok(self.items.lock().unwrap().get(key).cloned())
        }
        async fn get_eventual(&self, key: &Key) -> Result<Option<Item>, StoreError> {
            self.get(key).await
        }
        async fn put(&self, item: Item, _condition: Condition) -> Result<(), StoreError> {
            self.items.lock().unwrap().insert(item.key.clone(), item);
            Ok(())
        }
        async fn update(&self, _key: &Key, _update: Update, _condition: Condition) -> Result<Item, StoreError> {
            Err(StoreError::InvalidRequest("not in this fake".into()))
        }
        async fn delete(&self, key: &Key, _condition: Condition) -> Result<(), StoreError> {
            self.items.lock().unwrap().remove(key);
            Ok(())
        }
        async fn transact(&self, actions: Vec<TxAction>) -> Result<(), StoreError> {
            for action in actions {
                if let TxAction::Put { item, .. } = action {
                    self.items.lock().unwrap().insert(item.key.clone(), item);
                }
            }
            Ok(())
        }
        async fn query(&self, query: Query) -> Result<Page, StoreError> {
            assert_eq!(query.index, Index::Gsi1);
            let after = query.start.map(|ResumeKey(map)| map["gsi1sk"].clone());
            let mut items: Vec<Item> = self
                .items
                .lock()
                .unwrap()
                .values()
                .filter(|item| item.gsi1.as_ref().is_some_and(|k| k.pk == query.pk))
                .filter(|item| {
                    after
                        .as_ref()
                        .is_none_or(|after| &item.gsi1.as_ref().unwrap().sk > after)
                })
                .cloned()
                .collect();
            items.sort_by(|a, b| a.gsi1.as_ref().unwrap().sk.cmp(&b.gsi1.as_ref().unwrap().sk));
            let more = items.len() > query.limit as usize;
            items.truncate(query.limit as usize);
            let next = more.then(|| {
                let last = items.last().unwrap().gsi1.as_ref().unwrap().sk.clone();
                ResumeKey(BTreeMap::from([("gsi1sk".to_owned(), last)]))
            });
            Ok(Page { items, next })
        }
        async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
            let items = self.items.lock().unwrap();
            Ok(keys.iter().filter_map(|key| items.get(key).cloned()).collect())
        }
        async fn scan(&self, _kind: &str, _start: Option<ResumeKey>, _limit: u32) -> Result<Page, StoreError> {
            Err(StoreError::InvalidRequest("not in this fake".into()))
        }
    }

    /// Records what it publishes; refuses events of the bookings in `down_for`.
    #[derive(Default)]
    struct FakeBus {
        published: Mutex<Vec<String>>,
        down_for: Mutex<HashSet<String>>,
    }

    #[async_trait]
    impl EventBus for FakeBus {
        async fn publish(&self, _queue: Queue, event: &Event) -> Result<(), BusError> {
            if self.down_for.lock().unwrap().contains(&event.booking_id) {
                return Err(BusError::Unavailable("down".into()));
            }
            self.published.lock().unwrap().push(event.id.clone());
            Ok(())
        }
    }

    async fn recorded(store: &FakeStore, events: &[Event]) -> Vec<(Queue, Event)> {
        let actions = events
            .iter()
            .map(|e| record(Queue::BookingEvents, e).unwrap())
            .collect();
        store.transact(actions).await.unwrap();
        events.iter().map(|e| (Queue::BookingEvents, e.clone())).collect()
    }

    #[tokio::test]
    async fn publish_recorded_deletes_what_it_published_and_keeps_booking_order() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let (a1, b1, a2) = (event_at("A", 0), event_at("B", 1), event_at("A", 2));
        let batch = recorded(&store, &[a1.clone(), b1.clone(), a2.clone()]).await;
        bus.down_for.lock().unwrap().insert("A".into());

        publish_recorded(&store, &bus, &batch).await;
        assert_eq!(*bus.published.lock().unwrap(), vec![b1.id.clone()]);
        assert_eq!(store.len(), 2, "A's events stay for the relay");

        bus.down_for.lock().unwrap().clear();
        let report = relay(&store, &bus, 10).await.unwrap();
        assert_eq!(
            report,
            RelayReport {
                published: 2,
                failed: 0
            }
        );
        assert_eq!(*bus.published.lock().unwrap(), vec![b1.id, a1.id, a2.id]);
        assert_eq!(store.len(), 0);
    }

    #[tokio::test]
    async fn relay_pages_oldest_first_up_to_max() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let events: Vec<Event> = (0..250).rev().map(|i| event_at(&format!("B{i}"), i)).collect();
        recorded(&store, &events).await;

        let report = relay(&store, &bus, 120).await.unwrap();
        assert_eq!(
            report,
            RelayReport {
                published: 120,
                failed: 0
            }
        );
        let mut oldest = events;
        oldest.sort_by_key(|e| e.occurred_at);
        let expected: Vec<String> = oldest.iter().take(120).map(|e| e.id.clone()).collect();
        assert_eq!(*bus.published.lock().unwrap(), expected);

        let report = relay(&store, &bus, 1000).await.unwrap();
        assert_eq!(
            report,
            RelayReport {
                published: 130,
                failed: 0
            }
        );
        assert_eq!(relay(&store, &bus, 1000).await.unwrap(), RelayReport::default());
        assert_eq!(relay(&store, &bus, 0).await.unwrap(), RelayReport::default());
    }

    #[tokio::test]
    async fn relay_holds_back_later_events_of_a_failing_booking() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let events = [event_at("A", 0), event_at("B", 1), event_at("A", 2)];
        recorded(&store, &events).await;
        bus.down_for.lock().unwrap().insert("A".into());

        let report = relay(&store, &bus, 10).await.unwrap();
        assert_eq!(
            report,
            RelayReport {
                published: 1,
                failed: 2
            }
        );
        assert_eq!(store.len(), 2);
    }

    #[tokio::test]
    async fn relay_leaves_unreadable_items_in_place() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let junk = Item::new(keys::outbox("X"), kind::OUTBOX, &json!({"queue": "nope"}))
            .unwrap()
            .with_gsi1(keys::outbox_index("2000-01-01T00:00:00.000Z", "X"));
        store.put(junk, Condition::Always).await.unwrap();
        recorded(&store, &[event_at("A", 0)]).await;

        let report = relay(&store, &bus, 10).await.unwrap();
        assert_eq!(
            report,
            RelayReport {
                published: 1,
                failed: 1
            }
        );
        assert_eq!(store.len(), 1);
    }
}
