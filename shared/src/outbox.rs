//! The transactional outbox: the events of a change are written as one item in the same
//! transaction as the change they announce, and published right after the commit. Nothing is
//! deleted on the way: an outbox item costs its one put (a delete, and a secondary index entry
//! to find what is left, cost three times that again), and DynamoDB's TTL removes it, at no
//! cost, a month later.
//!
//! What a publish after commit missed (it failed, the function died in between) is published
//! by [`relay`], every minute: items sit in day buckets of the table (`OUTBOX#<YYYY-MM-DD>`,
//! sorted by time: a day rather than an hour, so that a walk over a local clock moved days
//! ahead, or after an outage, is a few queries), and the relay publishes again every event of the buckets since its watermark
//! once it is [`SETTLE`] old. Publishing twice is harmless: SQS FIFO drops a second message
//! with the same deduplication id (the event id) within 5 minutes, which a relay a few
//! minutes behind stays inside, and consumers are idempotent by event id besides. Order is
//! kept per booking as far as this process can see it: once an event of a booking fails to
//! publish, the later events of that booking in the same batch wait for the relay, which
//! publishes in time order and stops at the first failure.

use std::collections::HashSet;

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::Clock;
use crate::events::{Event, EventBus, Queue};
use crate::store::keys::{self, kind};
use crate::store::{
    Condition, Index, Item, Key, Query, ResumeKey, SortKeyRange, Store, StoreError, TxAction, json_object,
};

/// How long after its event an outbox item is kept: TTL then removes it. Far longer than any
/// relay outage the outbox-age alarm (5 minutes) would let go unnoticed, and than the local
/// clock moves of a journey (days at once, faster than a relay run: an event still waiting
/// must not expire by the moved clock before the relay reaches it). A month of items costs
/// storage only: about 9 KB a booking journey.
const RETENTION: Duration = Duration::days(30);

/// How far back a first run (no watermark yet) starts: the relay is deployed with the
/// functions that record events, so nothing older can be waiting for it.
const FIRST_RUN_LOOKBACK: Duration = Duration::days(1);

/// How old an outbox item is before the relay in AWS passes it: by then the transaction that
/// recorded it has committed or failed (every function's timeout, at most 45 s, is shorter,
/// as `tests/tests/template_and_events.rs` checks), and an eventually consistent read sees it.
pub const SETTLE: Duration = Duration::minutes(2);

/// What the relay walks: the events of the outbox, or the deadlines filed by
/// [`crate::deadlines::schedule`] at the time they come due. Both are day buckets of items in
/// the outbox's layout, each with its own watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    Outbox,
    Deadlines,
}

impl Feed {
    fn bucket(self, day: &str) -> String {
        match self {
            Feed::Outbox => keys::outbox_bucket(day),
            Feed::Deadlines => keys::deadline_day(day),
        }
    }

    fn item_key(self, day: &str, at: &str, event_id: &str) -> Key {
        match self {
            Feed::Outbox => keys::outbox(day, at, event_id),
            Feed::Deadlines => keys::deadline_entry(day, at, event_id),
        }
    }

    /// The `kind` of its items.
    fn kind(self) -> &'static str {
        match self {
            Feed::Outbox => kind::OUTBOX,
            Feed::Deadlines => kind::DEADLINE,
        }
    }

    fn watermark(self) -> Key {
        match self {
            Feed::Outbox => keys::outbox_watermark(),
            Feed::Deadlines => keys::deadline_watermark(),
        }
    }

    /// Most day buckets one run reads: one or two normally, two or three on a first run; a
    /// local clock moved months ahead walks on at the next runs. Deadlines walk further at
    /// once: a clock moved to a stay months ahead reaches its deadlines in one run.
    fn max_buckets_per_run(self) -> i64 {
        match self {
            Feed::Outbox => 60,
            Feed::Deadlines => 120,
        }
    }
}

/// Publishes of one event a relay run tries before it stops there: one refused send does not
/// hold up the whole outbox for a minute.
const PUBLISH_ATTEMPTS: u32 = 3;

/// Most events one relay page holds.
const RELAY_PAGE_SIZE: u32 = 100;

/// What an outbox item holds besides its keys (`events`): the events of one transaction, in
/// the order they are published, whatever their number (in a transaction every item is billed
/// twice, a unit a KB each). Each is its [`Event`] envelope with its `queue` beside the
/// envelope's fields, and without `data` when that is the previous event's: a booking move's
/// two events carry the same.
const EVENTS: &str = "events";
const QUEUE: &str = "queue";
const DATA: &str = "data";

/// An outbox item read back.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OutboxRecord {
    Events {
        events: Vec<Map<String, Value>>,
    },
    /// One event an item, as written before 2026-12-03 (still read, for a deploy over it).
    One(Entry),
}

/// An event to publish and its queue.
#[derive(Debug, PartialEq, Deserialize)]
struct Entry {
    queue: Queue,
    event: Event,
}

/// `event` as an outbox item stores it.
fn stored_entry(queue: Queue, event: &Event, data_as_previous: bool) -> Result<Value, StoreError> {
    let mut entry = json_object(event)?;
    if data_as_previous {
        entry.remove(DATA);
    }
    let queue = serde_json::to_value(queue).map_err(|err| StoreError::InvalidItem(err.to_string()))?;
    entry.insert(QUEUE.to_owned(), queue);
    Ok(Value::Object(entry))
}

impl OutboxRecord {
    /// The events, in the order they are published.
    fn entries(self) -> Result<Vec<Entry>, StoreError> {
        let stored = match self {
            Self::Events { events } => events,
            Self::One(entry) => return Ok(vec![entry]),
        };
        let unreadable = |why: String| StoreError::InvalidItem(format!("outbox event: {why}"));
        let mut entries: Vec<Entry> = Vec::with_capacity(stored.len());
        for mut entry in stored {
            let queue = entry.remove(QUEUE).ok_or_else(|| unreadable("no queue".into()))?;
            let queue: Queue = serde_json::from_value(queue).map_err(|err| unreadable(err.to_string()))?;
            if !entry.contains_key(DATA) {
                let previous = entries
                    .last()
                    .ok_or_else(|| unreadable("the first has no data".into()))?;
                entry.insert(DATA.to_owned(), previous.event.data.clone());
            }
            let event = serde_json::from_value(Value::Object(entry)).map_err(|err| unreadable(err.to_string()))?;
            entries.push(Entry { queue, event });
        }
        Ok(entries)
    }
}

/// How far the relay has published: every item of its bucket with a sort key up to
/// `through`, and every item of the buckets before.
#[derive(Debug, Serialize, Deserialize)]
struct Watermark {
    through: String,
}

/// The bucket and sort-key time of an event: RFC 3339 in UTC with exactly three fraction
/// digits, so that lexical order is chronological order (the default rendering drops zero
/// fractions and would sort `...00Z` after `...00.5Z`).
fn index_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn day_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::days(1)).unwrap_or(at)
}

fn bucket_name(day: DateTime<Utc>) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The sort key above every item recorded at or before `at`.
fn through_time(at: DateTime<Utc>) -> String {
    format!("{}#~", index_time(at))
}

/// The day a watermark's sort key falls in (`None` when it is not one of ours).
fn day_of_sort_key(sort_key: &str) -> Option<DateTime<Utc>> {
    let at = sort_key.split('#').next()?;
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|at| day_of(at.with_timezone(&Utc)))
}

/// The outbox item announcing `events` (`None` when there are none), filed under
/// `recorded_at` and the first event's id.
fn outbox_item(events: &[(Queue, Event)], recorded_at: DateTime<Utc>) -> Result<Option<Item>, StoreError> {
    feed_item(Feed::Outbox, events, recorded_at)
}

/// The item of `feed` holding `events`, filed under `at` and the first event's id.
fn feed_item(feed: Feed, events: &[(Queue, Event)], at: DateTime<Utc>) -> Result<Option<Item>, StoreError> {
    let Some((_, first)) = events.first() else {
        return Ok(None);
    };
    let key = feed.item_key(&bucket_name(day_of(at)), &index_time(at), &first.id);
    let mut stored = Vec::with_capacity(events.len());
    let mut previous: Option<&Value> = None;
    for (queue, event) in events {
        stored.push(stored_entry(*queue, event, previous == Some(&event.data))?);
        previous = Some(&event.data);
    }
    // The entries are JSON already: put in as they are, not serialized a second time.
    let attrs = Map::from_iter([(EVENTS.to_owned(), Value::Array(stored))]);
    let item = Item::of_attrs(key, feed.kind(), attrs);
    Ok(Some(item.with_ttl((at + RETENTION).timestamp())))
}

/// The transaction action recording `events` (`None` when there are none): include it in the
/// transaction of the change they announce, then call [`publish_recorded`] with the same
/// events once it has committed. A transaction's events share one item, and are published
/// in their order.
///
/// The item is filed under the time read from `clock` here, not the event's own time: the
/// relay passes a time once [`SETTLE`] has gone by, so what matters is how long after this
/// read the transaction can still commit, and the reads and retries a use case makes after
/// it took its time (seconds, under throttling) do not count against that.
///
/// The put requires the key to be free, so recording the same event twice fails the
/// transaction instead of silently replacing it.
pub fn record(clock: &dyn Clock, events: &[(Queue, Event)]) -> Result<Option<TxAction>, StoreError> {
    Ok(outbox_item(events, clock.now())?.map(|item| TxAction::Put {
        item,
        condition: Condition::Absent,
    }))
}

/// The transaction action filing `event` in [`Feed::Deadlines`] under `at`, when it is to
/// be published: a put that replaces the same deadline filed again (same time and event id),
/// kept a month past `at` and then removed by TTL.
pub fn file_deadline(queue: Queue, event: Event, at: DateTime<Utc>) -> Result<TxAction, StoreError> {
    let item = feed_item(Feed::Deadlines, &[(queue, event)], at)?
        .ok_or_else(|| StoreError::InvalidItem("a deadline without its event".to_owned()))?;
    Ok(TxAction::Put {
        item,
        condition: Condition::Always,
    })
}

/// Publishes events just recorded by a committed transaction.
///
/// Never fails: the change is committed whatever happens here, so a failure is logged and the
/// event is left for [`relay`]. After a failed publish the later events of the same booking
/// are left too, so that the relay publishes them in order.
pub async fn publish_recorded(bus: &dyn EventBus, recorded: &[(Queue, Event)]) {
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
        if let Err(err) = bus.publish(*queue, event).await {
            tracing::warn!(
                event_id = %event.id,
                queue = queue.name(),
                error = %err,
                "event not published; the outbox relay will publish it"
            );
            held_back.insert(event.booking_id.as_str());
        }
    }
}

/// What one [`relay`] run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Events published (again, for most: their publish after commit had worked).
    pub published: usize,
    /// Events the run stopped at: a publish failed or the item was unreadable (0 or 1).
    pub failed: usize,
    /// When the oldest event the run left behind occurred: the one it stopped at, or the next
    /// one after `max`; `None` when it published everything settled.
    pub behind_since: Option<DateTime<Utc>>,
}

/// Publishes, in time order, up to `max` of the events recorded since the relay's watermark
/// up to `until`, then moves the watermark past them. The caller picks `until` so that no
/// transaction still in flight can record an event at or before it: [`SETTLE`] ago in AWS.
///
/// Stops at the first event it cannot publish (or read), so that nothing after it is
/// skipped: the next run starts there again. Fails when the outbox cannot be read or the
/// watermark written; what it got through before a failed read is kept (the watermark is
/// written first), so that a long walk (a first run, the buckets after an outage or a moved
/// clock) that keeps meeting failures still advances instead of starting over each time.
pub async fn relay(
    store: &dyn Store,
    bus: &dyn EventBus,
    until: DateTime<Utc>,
    max: usize,
) -> Result<RelayReport, StoreError> {
    Ok(relay_feed(Feed::Outbox, store, bus, until, max).await?.report)
}

/// What one [`relay_feed`] run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedReport {
    pub report: RelayReport,
    /// The earliest time an item published by the run was filed under (`None` when it
    /// published nothing): for deadlines, how late the most overdue one went out.
    pub earliest_published: Option<DateTime<Utc>>,
}

/// [`relay`] over `feed`.
pub async fn relay_feed(
    feed: Feed,
    store: &dyn Store,
    bus: &dyn EventBus,
    until: DateTime<Utc>,
    max: usize,
) -> Result<FeedReport, StoreError> {
    let until_key = through_time(until);
    let mut stored = load_watermark(store, feed).await?;
    let first_stored = stored.clone();
    // A first run starts a day back; a clock moved back (locally) starts at the new time. Otherwise the walk starts at the watermark however old it is: an event
    // is never skipped for its age (a relay down for longer than the retention finds what TTL
    // has not removed yet, and a local clock moved weeks ahead still finds what was recorded
    // before the move).
    let through = stored
        .clone()
        .unwrap_or_else(|| through_time(until - FIRST_RUN_LOOKBACK))
        .min(until_key.clone());
    let first_day = day_of_sort_key(&through).unwrap_or_else(|| day_of(until));
    // One or two buckets a run, normally; a long walk goes on at the next run.
    let last_day = day_of(until).min(first_day + Duration::days(feed.max_buckets_per_run() - 1));

    let mut report = RelayReport::default();
    let mut earliest_published: Option<DateTime<Utc>> = None;
    let mut unread: Option<StoreError> = None;
    let mut done = through.clone();
    let mut day = first_day;
    'buckets: while day <= last_day {
        let range = if day_of_sort_key(&through) == Some(day) {
            // Just above the watermark's key (no sort key holds a control character).
            let from = format!("{through}\u{1}");
            if from > until_key {
                break;
            }
            SortKeyRange::Between(from, until_key.clone())
        } else {
            SortKeyRange::Until(until_key.clone())
        };
        let mut start: Option<ResumeKey> = None;
        loop {
            let query = Query::partition(Index::Table, feed.bucket(&bucket_name(day)))
                .range(range.clone())
                .eventually_consistent()
                .limit(RELAY_PAGE_SIZE)
                .start(start);
            let page = match store.query(query).await {
                Ok(page) => page,
                Err(err) => {
                    unread = Some(err);
                    break 'buckets;
                }
            };
            for item in &page.items {
                if report.published >= max {
                    report.behind_since = occurred_at(item);
                    break 'buckets;
                }
                match relay_one(bus, item).await {
                    Ok(events) => {
                        report.published += events;
                        if earliest_published.is_none() {
                            earliest_published = occurred_at(item);
                        }
                        done.clone_from(&item.key.sk);
                    }
                    Err(at) => {
                        report.failed = 1;
                        report.behind_since = Some(at.unwrap_or(until));
                        break 'buckets;
                    }
                }
            }
            match page.next {
                Some(next) => {
                    // A busy run keeps its progress page by page (a write per 100 events):
                    // one cut short by its timeout does not publish them all again.
                    if stored.as_deref() != Some(done.as_str()) && !page.items.is_empty() {
                        save_watermark(store, feed, &done).await?;
                        stored = Some(done.clone());
                    }
                    start = Some(next);
                }
                None => break,
            }
        }
        // The whole bucket, as far as `until`, is done.
        done = if day == day_of(until) {
            until_key.clone()
        } else {
            through_time(day + Duration::days(1) - Duration::milliseconds(1))
        };
        day += Duration::days(1);
    }
    if report.behind_since.is_none() && last_day < day_of(until) {
        // The walk stopped at its bucket limit: what it did not reach is behind.
        report.behind_since = Some(last_day + Duration::days(1));
    }
    // An idle relay writes its watermark once a day, not every minute: the range it reads
    // again meanwhile is empty. It is written whenever it moved back (the clock did, locally:
    // left ahead, it would hide the events recorded until the clock caught up) and after a
    // failed read (a first run's start is then kept, not taken again from a later clock).
    let moved_on = first_stored.as_ref().and_then(|key| day_of_sort_key(key)) != day_of_sort_key(&done);
    let moved_back = first_stored.as_deref().is_some_and(|key| done.as_str() < key);
    let worth_writing = report.published > 0 || report.failed > 0 || moved_on || moved_back || unread.is_some();
    if stored.as_deref() != Some(done.as_str()) && worth_writing {
        save_watermark(store, feed, &done).await?;
    }
    if report.published > 0 || report.failed > 0 {
        tracing::info!(published = report.published, failed = report.failed, "outbox relay run");
    }
    match unread {
        Some(err) => Err(err),
        None => Ok(FeedReport {
            report,
            earliest_published,
        }),
    }
}

/// How far the relay has published (`None` before its first run).
async fn load_watermark(store: &dyn Store, feed: Feed) -> Result<Option<String>, StoreError> {
    match store.get(&feed.watermark()).await? {
        Some(item) => Ok(Some(item.record::<Watermark>()?.through)),
        None => Ok(None),
    }
}

async fn save_watermark(store: &dyn Store, feed: Feed, through: &str) -> Result<(), StoreError> {
    let mark = Item::new(
        feed.watermark(),
        kind::SWEEP_WATERMARK,
        &Watermark {
            through: through.to_owned(),
        },
    )?;
    store.put(mark, Condition::Always).await
}

/// How many outbox items (up to 10 a day bucket; an item holds a transaction's events) were
/// recorded after the relay's watermark, up to `now`: what relay runs have yet to pass (tests
/// wait for none).
pub async fn unpublished(store: &dyn Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    unpublished_in(Feed::Outbox, store, now).await
}

/// [`unpublished`] in `feed`.
pub async fn unpublished_in(feed: Feed, store: &dyn Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let through = load_watermark(store, feed).await?;
    let first_day = through
        .as_deref()
        .and_then(day_of_sort_key)
        .unwrap_or_else(|| day_of(now - FIRST_RUN_LOOKBACK));
    let mut count = 0;
    let mut day = first_day;
    while day <= day_of(now) {
        // From just past the watermark: the first items of its bucket may all be published
        // while a later one is not.
        let range = match &through {
            Some(through) if day_of_sort_key(through) == Some(day) => SortKeyRange::From(format!("{through}\u{1}")),
            _ => SortKeyRange::All,
        };
        let query = Query::partition(Index::Table, feed.bucket(&bucket_name(day)))
            .range(range)
            .limit(10);
        count += store.query(query).await?.items.len();
        day += Duration::days(1);
    }
    Ok(count)
}

/// When an outbox item's event occurred, by its sort key.
fn occurred_at(item: &Item) -> Option<DateTime<Utc>> {
    let at = item.key.sk.split('#').next()?;
    DateTime::parse_from_rfc3339(at).ok().map(|at| at.with_timezone(&Utc))
}

/// Publishes the events of one outbox item, in order: how many; on failure, when the event
/// it stopped at occurred (if readable). Those before it go again with the item at the next
/// run, and are dropped as duplicates.
async fn relay_one(bus: &dyn EventBus, item: &Item) -> Result<usize, Option<DateTime<Utc>>> {
    let entries = match item.record::<OutboxRecord>().and_then(OutboxRecord::entries) {
        Ok(entries) => entries,
        Err(err) => {
            // The relay stops here, and the outbox-age alarm fires: skipping it would lose
            // the event for good. Mend or delete the item (docs/operations.md).
            tracing::error!(pk = %item.key.pk, sk = %item.key.sk, error = %err, "unreadable outbox item");
            return Err(occurred_at(item));
        }
    };
    for Entry { queue, event } in &entries {
        let mut attempt = 1;
        loop {
            match bus.publish(*queue, event).await {
                Ok(()) => break,
                Err(_) if attempt < PUBLISH_ATTEMPTS => attempt += 1,
                Err(err) => {
                    tracing::warn!(
                        event_id = %event.id,
                        queue = queue.name(),
                        error = %err,
                        "outbox relay could not publish"
                    );
                    return Err(Some(event.occurred_at));
                }
            }
        }
    }
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::clock::StoppedClock;
    use crate::events::{BusError, EventType};
    use crate::store::{Key, Page, Update};

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, 10, 0, 0).unwrap()
    }

    fn event_at(booking: &str, millis: i64) -> Event {
        let at = start() + Duration::milliseconds(millis);
        Event::new(EventType::PaymentSucceeded, booking, at, json!({"amount": 1}))
    }

    /// When every event up to `millis` is settled.
    fn settled(millis: i64) -> DateTime<Utc> {
        start() + Duration::milliseconds(millis) + SETTLE
    }

    #[test]
    fn index_time_has_fixed_width_millis() {
        let whole = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(index_time(whole), "2026-01-01T00:00:00.000Z");
        let half = whole + Duration::milliseconds(500);
        assert_eq!(index_time(half), "2026-01-01T00:00:00.500Z");
        assert!(index_time(whole) < index_time(half));
    }

    #[test]
    fn record_files_an_absent_item_under_the_recording_time_in_its_day_bucket_that_ttl_removes() {
        let event = event_at("B1", 1_500);
        // Recorded 1.5 s after the event took its time (reads and retries in between).
        let recorded_at = start() + Duration::milliseconds(3_000);
        // Data like the previous event's is stored once; different data again.
        let mail = event_at("B1", 1_500);
        let other = Event::new(EventType::PaymentFailed, "B1", start(), json!({"amount": 2}));
        let events = [
            (Queue::PaymentEvents, event.clone()),
            (Queue::Notifications, mail.clone()),
            (Queue::Notifications, other.clone()),
        ];
        let action = record(&StoppedClock(recorded_at), &events).unwrap().unwrap();
        let TxAction::Put { item, condition } = action else {
            panic!("expected a put, got {action:?}");
        };
        assert_eq!(condition, Condition::Absent);
        assert_eq!(
            item.key,
            Key::new("OUTBOX#2027-03-01", format!("2027-03-01T10:00:03.000Z#{}", event.id))
        );
        assert_eq!(item.kind, kind::OUTBOX);
        assert_eq!((item.gsi1.as_ref(), item.gsi2.as_ref()), (None, None), "no index entry");
        assert_eq!(item.ttl, Some((recorded_at + Duration::days(30)).timestamp()));
        let stored = item.attrs["events"].as_array().unwrap();
        let with_data: Vec<bool> = stored.iter().map(|entry| entry.get("data").is_some()).collect();
        assert_eq!(with_data, [true, false, true], "the same data once");
        let back: OutboxRecord = item.record().unwrap();
        let expected = vec![
            Entry {
                queue: Queue::PaymentEvents,
                event,
            },
            Entry {
                queue: Queue::Notifications,
                event: mail,
            },
            Entry {
                queue: Queue::Notifications,
                event: other,
            },
        ];
        assert_eq!(
            back.entries().ok(),
            Some(expected),
            "one item for the transaction's events, in order"
        );
        assert_eq!(record(&StoppedClock(recorded_at), &[]).unwrap(), None);

        // Data that is `null` is stored as such, not taken for left out.
        let bare = Event::new(EventType::PaymentFailed, "B1", start(), Value::Null);
        let item = outbox_item(&[(Queue::Notifications, bare.clone())], recorded_at)
            .unwrap()
            .unwrap();
        let back: OutboxRecord = item.record().unwrap();
        assert_eq!(back.entries().expect("readable")[0].event, bare);
    }

    /// Just enough of a store for the outbox: gets, puts and table queries of a partition.
    #[derive(Default)]
    struct FakeStore {
        items: Mutex<BTreeMap<Key, Item>>,
        writes: Mutex<usize>,
        /// A partition whose queries fail (throttled), as a read that ran out of retries.
        unreadable: Mutex<Option<String>>,
    }

    impl FakeStore {
        fn writes(&self) -> usize {
            *self.writes.lock().unwrap()
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
            *self.writes.lock().unwrap() += 1;
            self.items.lock().unwrap().insert(item.key.clone(), item);
            Ok(())
        }
        async fn update(&self, _key: &Key, _update: Update, _condition: Condition) -> Result<Item, StoreError> {
            Err(StoreError::InvalidRequest("not in this fake".into()))
        }
        async fn delete(&self, _key: &Key, _condition: Condition) -> Result<(), StoreError> {
            Err(StoreError::InvalidRequest("the outbox deletes nothing".into()))
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
            assert_eq!(query.index, Index::Table);
            if self.unreadable.lock().unwrap().as_deref() == Some(query.pk.as_str()) {
                return Err(StoreError::Throttled("injected".into()));
            }
            let after = query.start.map(|ResumeKey(map)| map["sk"].clone());
            let in_range = |sk: &str| match &query.range {
                SortKeyRange::All => true,
                SortKeyRange::Between(from, to) => {
                    assert!(from <= to, "DynamoDB refuses BETWEEN with bounds reversed");
                    sk >= from.as_str() && sk <= to.as_str()
                }
                SortKeyRange::Until(to) => sk <= to.as_str(),
                SortKeyRange::From(from) => sk >= from.as_str(),
                other => panic!("not in this fake: {other:?}"),
            };
            let mut items: Vec<Item> = self
                .items
                .lock()
                .unwrap()
                .values()
                .filter(|item| item.key.pk == query.pk && in_range(&item.key.sk))
                .filter(|item| after.as_ref().is_none_or(|after| &item.key.sk > after))
                .cloned()
                .collect();
            items.sort_by(|a, b| a.key.sk.cmp(&b.key.sk));
            let more = items.len() > query.limit as usize;
            items.truncate(query.limit as usize);
            let next = more.then(|| {
                let last = items.last().unwrap().key.sk.clone();
                ResumeKey(BTreeMap::from([("sk".to_owned(), last)]))
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

    /// Records what it publishes; refuses events of the bookings in `down_for`, and the next
    /// `refusals` publishes of any.
    #[derive(Default)]
    struct FakeBus {
        published: Mutex<Vec<String>>,
        down_for: Mutex<HashSet<String>>,
        refusals: Mutex<u32>,
    }

    impl FakeBus {
        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.published.lock().unwrap())
        }
    }

    #[async_trait]
    impl EventBus for FakeBus {
        async fn publish(&self, _queue: Queue, event: &Event) -> Result<(), BusError> {
            if self.down_for.lock().unwrap().contains(&event.booking_id) {
                return Err(BusError::Unavailable("down".into()));
            }
            let mut refusals = self.refusals.lock().unwrap();
            if *refusals > 0 {
                *refusals -= 1;
                return Err(BusError::Unavailable("refused once".into()));
            }
            self.published.lock().unwrap().push(event.id.clone());
            Ok(())
        }
    }

    async fn recorded(store: &FakeStore, events: &[Event]) -> Vec<(Queue, Event)> {
        let actions = events
            .iter()
            .filter_map(|e| record(&StoppedClock(e.occurred_at), &[(Queue::BookingEvents, e.clone())]).unwrap())
            .collect();
        store.transact(actions).await.unwrap();
        events.iter().map(|e| (Queue::BookingEvents, e.clone())).collect()
    }

    fn ids(events: &[Event]) -> Vec<String> {
        events.iter().map(|e| e.id.clone()).collect()
    }

    async fn run(store: &FakeStore, bus: &FakeBus, now: DateTime<Utc>, max: usize) -> RelayReport {
        relay(store, bus, now - SETTLE, max).await.unwrap()
    }

    fn published(count: usize) -> RelayReport {
        RelayReport {
            published: count,
            ..RelayReport::default()
        }
    }

    #[tokio::test]
    async fn publish_recorded_keeps_the_items_and_holds_back_a_failing_booking() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let (a1, b1, a2) = (event_at("A", 0), event_at("B", 1), event_at("A", 2));
        let batch = recorded(&store, &[a1.clone(), b1.clone(), a2.clone()]).await;
        bus.down_for.lock().unwrap().insert("A".into());

        publish_recorded(&bus, &batch).await;
        assert_eq!(bus.take(), vec![b1.id.clone()]);
        assert_eq!(store.items.lock().unwrap().len(), 3, "nothing deleted");

        bus.down_for.lock().unwrap().clear();
        assert_eq!(run(&store, &bus, settled(2), 10).await, published(3));
        assert_eq!(bus.take(), ids(&[a1, b1, a2]), "in time order, B1 again");
    }

    #[tokio::test]
    async fn relay_publishes_settled_events_once_in_time_order() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let early = event_at("A", 0);
        let late = event_at("B", 60_000);
        recorded(&store, &[late.clone(), early.clone()]).await;

        assert_eq!(
            run(&store, &bus, start() + Duration::seconds(30), 10).await,
            published(0)
        );
        assert_eq!(
            run(&store, &bus, settled(0), 10).await,
            published(1),
            "only the settled one"
        );
        assert_eq!(bus.take(), ids(&[early]));
        assert_eq!(run(&store, &bus, settled(60_000), 10).await, published(1));
        assert_eq!(bus.take(), ids(&[late]));
        assert_eq!(
            run(&store, &bus, settled(120_000), 10).await,
            published(0),
            "past the watermark"
        );
        assert!(bus.take().is_empty());
    }

    #[tokio::test]
    async fn relay_walks_day_buckets_up_to_max_and_resumes_where_it_stopped() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        run(&store, &bus, start(), 10).await;
        // 250 events over five day buckets, one each 25 minutes, recorded newest first.
        let events: Vec<Event> = (0..250)
            .rev()
            .map(|i| event_at(&format!("B{i}"), i * 1_500_000))
            .collect();
        recorded(&store, &events).await;
        let now = settled(250 * 1_500_000);
        assert_eq!(unpublished(&store, now).await.unwrap(), 50, "up to 10 a bucket");

        let report = run(&store, &bus, now, 120).await;
        assert_eq!((report.published, report.failed), (120, 0));
        let mut oldest = events;
        oldest.sort_by_key(|e| e.occurred_at);
        assert_eq!(report.behind_since, Some(oldest[120].occurred_at));
        assert_eq!(bus.take(), ids(&oldest[..120]));

        assert_eq!(run(&store, &bus, now, 1000).await, published(130));
        assert_eq!(bus.take(), ids(&oldest[120..]));
        assert_eq!(unpublished(&store, now).await.unwrap(), 0);
        assert_eq!(run(&store, &bus, now, 1000).await, published(0));
    }

    #[tokio::test]
    async fn unpublished_counts_what_follows_the_watermark_in_its_bucket() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        run(&store, &bus, start(), 10).await;
        // Twelve events a minute apart, one day bucket; the relay passes the first eleven.
        let events: Vec<Event> = (0..12).map(|i| event_at(&format!("C{i}"), i * 60_000)).collect();
        recorded(&store, &events).await;
        let now = settled(11 * 60_000);
        assert_eq!(run(&store, &bus, now, 11).await.published, 11);
        // The bucket's first ten items are all at or before the watermark: the twelfth is
        // still to publish, and a test waiting for none must keep waiting.
        assert_eq!(unpublished(&store, now).await.unwrap(), 1);
        assert_eq!(run(&store, &bus, now, 10).await, published(1));
        assert_eq!(unpublished(&store, now).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn relay_stops_at_the_first_failure_and_starts_there_next_time() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let events = [event_at("A", 0), event_at("B", 1), event_at("A", 2)];
        recorded(&store, &events).await;
        bus.down_for.lock().unwrap().insert("B".into());

        let report = run(&store, &bus, settled(2), 10).await;
        assert_eq!(
            report,
            RelayReport {
                published: 1,
                failed: 1,
                behind_since: Some(events[1].occurred_at),
            }
        );
        assert_eq!(bus.take(), ids(&events[..1]));
        assert_eq!(unpublished(&store, settled(2)).await.unwrap(), 2);

        bus.down_for.lock().unwrap().clear();
        assert_eq!(run(&store, &bus, settled(2), 10).await, published(2));
        assert_eq!(bus.take(), ids(&events[1..]));
    }

    #[tokio::test]
    async fn a_transactions_events_share_one_item_and_go_out_again_from_its_start() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let (move_event, mail) = (event_at("A", 0), event_at("C", 0));
        let events = [
            (Queue::BookingEvents, move_event.clone()),
            (Queue::Notifications, mail.clone()),
        ];
        let action = record(&StoppedClock(start()), &events).unwrap().unwrap();
        store.transact(vec![action]).await.unwrap();
        assert_eq!(store.items.lock().unwrap().len(), 1, "one item for both");
        bus.down_for.lock().unwrap().insert("C".into());

        let report = run(&store, &bus, settled(0), 10).await;
        assert_eq!((report.published, report.failed), (0, 1), "{report:?}");
        assert_eq!(
            bus.take(),
            ids(std::slice::from_ref(&move_event)),
            "in order, up to the failure"
        );
        bus.down_for.lock().unwrap().clear();
        assert_eq!(run(&store, &bus, settled(0), 10).await, published(2));
        assert_eq!(bus.take(), ids(&[move_event, mail]), "the whole item again");
    }

    #[tokio::test]
    async fn an_item_of_one_event_as_written_before_is_still_published() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let event = event_at("A", 0);
        let old = Item::new(
            keys::outbox("2027-03-01", "2027-03-01T10:00:00.000Z", &event.id),
            kind::OUTBOX,
            &json!({"queue": Queue::BookingEvents, "event": event}),
        )
        .unwrap();
        store.put(old, Condition::Absent).await.unwrap();
        assert_eq!(run(&store, &bus, settled(0), 10).await, published(1));
        assert_eq!(bus.take(), ids(&[event]));
    }

    #[tokio::test]
    async fn relay_tries_a_refused_publish_again_before_it_stops() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let event = event_at("A", 0);
        recorded(&store, std::slice::from_ref(&event)).await;
        *bus.refusals.lock().unwrap() = PUBLISH_ATTEMPTS - 1;
        assert_eq!(run(&store, &bus, settled(0), 10).await, published(1));
        assert_eq!(bus.take(), ids(&[event]));
    }

    #[tokio::test]
    async fn relay_stops_at_an_unreadable_item() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        let junk = Item::new(
            keys::outbox("2027-03-01", "2027-03-01T10:00:00.000Z", "0"),
            kind::OUTBOX,
            &json!({"queue": "nope"}),
        )
        .unwrap();
        store.put(junk, Condition::Always).await.unwrap();
        let event = event_at("A", 1);
        recorded(&store, std::slice::from_ref(&event)).await;

        let report = run(&store, &bus, settled(1), 10).await;
        assert_eq!((report.published, report.failed), (0, 1));
        assert_eq!(report.behind_since, Some(start()));
        assert!(bus.take().is_empty(), "nothing after it is skipped");
    }

    #[tokio::test]
    async fn an_idle_relay_writes_its_watermark_once_a_day() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        // The first run walks from a day back and marks how far it came; then one
        // each ten minutes of the day (10:00 to 23:50).
        run(&store, &bus, settled(0), 10).await;
        let first = store.writes();
        assert_eq!(first, 1);
        for step in 1..84 {
            run(&store, &bus, settled(step * 600_000), 10).await;
        }
        assert_eq!(store.writes(), first, "nothing new in the same day");
        let next_day = 15 * 3_600_000;
        run(&store, &bus, settled(next_day), 10).await;
        assert_eq!(store.writes(), first + 1);
        // An event after all that is still found.
        let event = event_at("A", next_day + 60_000);
        recorded(&store, std::slice::from_ref(&event)).await;
        assert_eq!(run(&store, &bus, settled(next_day + 60_000), 10).await, published(1));
    }

    #[tokio::test]
    async fn a_clock_moved_back_still_finds_new_events() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        run(&store, &bus, start() + Duration::days(3), 10).await;
        let event = event_at("A", 0);
        recorded(&store, std::slice::from_ref(&event)).await;
        assert_eq!(
            run(&store, &bus, start() - Duration::minutes(1), 10).await,
            published(0)
        );
        assert_eq!(run(&store, &bus, settled(0), 10).await, published(1));
    }

    #[tokio::test]
    async fn a_clock_moved_back_within_the_day_still_finds_new_events() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        run(&store, &bus, settled(20 * 60_000), 10).await;
        // Back ten minutes, same day: events from then on are found as the clock catches up.
        let event = event_at("A", 10 * 60_000 + 1);
        recorded(&store, std::slice::from_ref(&event)).await;
        assert_eq!(run(&store, &bus, settled(10 * 60_000), 10).await, published(0));
        assert_eq!(run(&store, &bus, settled(10 * 60_000 + 1), 10).await, published(1));
        assert_eq!(bus.take(), ids(&[event]));
    }

    #[tokio::test]
    async fn a_busy_run_keeps_its_progress_page_by_page() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        run(&store, &bus, start(), 10).await;
        let before = store.writes();
        let events: Vec<Event> = (0..250).map(|i| event_at(&format!("B{i}"), i)).collect();
        recorded(&store, &events).await;
        // The third page's first event cannot be sent: the two pages before it are kept.
        bus.down_for.lock().unwrap().insert("B200".into());
        let report = run(&store, &bus, settled(250), 1000).await;
        assert_eq!((report.published, report.failed), (200, 1));
        assert_eq!(store.writes() - before, 2, "after the first and the second page");
        let mark = load_watermark(&store, Feed::Outbox).await.unwrap().unwrap();
        assert_eq!(
            mark,
            outbox_item(&[(Queue::BookingEvents, events[199].clone())], events[199].occurred_at)
                .unwrap()
                .unwrap()
                .key
                .sk
        );
    }

    #[tokio::test]
    async fn a_long_walk_goes_on_at_the_next_run() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        run(&store, &bus, settled(0), 10).await;
        let later = 70 * 24 * 3_600_000;
        let event = event_at("A", later);
        recorded(&store, std::slice::from_ref(&event)).await;
        let now = settled(later);
        let report = run(&store, &bus, now, 10).await;
        assert_eq!(report.published, 0);
        assert_eq!(
            report.behind_since,
            Some(day_of(start()) + Duration::days(60)),
            "the buckets it left"
        );
        assert_eq!(run(&store, &bus, now, 10).await, published(1));
        assert_eq!(bus.take(), ids(&[event]));
    }

    #[tokio::test]
    async fn a_failed_read_keeps_what_the_walk_got_through() {
        let store = FakeStore::default();
        let bus = FakeBus::default();
        run(&store, &bus, settled(0), 10).await;
        // Five days on (a local clock move), the walk cannot read the third day's bucket: the
        // days it did read are kept.
        let stuck = start() + Duration::days(3);
        let event = Event::new(EventType::PaymentSucceeded, "A", stuck, json!({}));
        recorded(&store, std::slice::from_ref(&event)).await;
        *store.unreadable.lock().unwrap() = Some(keys::outbox_bucket(&bucket_name(day_of(stuck))));
        let now = settled(0) + Duration::days(5);
        assert!(relay(&store, &bus, now - SETTLE, 10).await.is_err());
        let mark = load_watermark(&store, Feed::Outbox).await.unwrap().unwrap();
        assert_eq!(day_of_sort_key(&mark), Some(day_of(stuck) - Duration::days(1)));

        // Its event is still published once the bucket reads again, however far the clock
        // has moved meanwhile: the walk goes by the watermark, not by age.
        *store.unreadable.lock().unwrap() = None;
        let report = run(&store, &bus, now + Duration::days(40), 10).await;
        assert_eq!(report.published, 1);
        assert_eq!(bus.take(), ids(&[event]));
    }
}
