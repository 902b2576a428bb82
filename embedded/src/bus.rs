//! In-process FIFO queues for the local API: the [`EventBus`] the local API publishes to and
//! the event source that feeds its consumers, behaving like SQS FIFO with a Lambda event
//! source mapping (batches of up to 10, order within a message group, deduplication on the
//! event id for 5 minutes, partial batch responses, a dead-letter list after 3 receives).
//!
//! Messages live in SQLite so that queued events survive a restart of the local API.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::BoxFuture;
use rusqlite::{Connection, Transaction, params};
use shared::clock::{Clock, SystemClock};
use shared::events::{BusError, Event, EventBus, Queue};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// What handles the batches of one queue: the local API's stand-in for a Lambda function with
/// an SQS event source. It reports the ids of the messages it failed in `batchItemFailures`;
/// every other message of the batch counts as handled and is deleted.
pub type Consumer = Arc<dyn Fn(SqsEvent) -> BoxFuture<'static, SqsBatchResponse> + Send + Sync>;

/// Wraps an async function as a [`Consumer`].
pub fn consumer<F, Fut>(handler: F) -> Consumer
where
    F: Fn(SqsEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = SqsBatchResponse> + Send + 'static,
{
    Arc::new(move |event| Box::pin(handler(event)))
}

/// Receives after which a message that still fails moves to the dead-letter list (the
/// queues' `maxReceiveCount`, which the consumers count on too).
pub const MAX_RECEIVES: u32 = shared::consumer::MAX_RECEIVES;

/// Most messages in one batch (the event source mapping's batch size).
pub const BATCH_SIZE: usize = 10;

/// How long a deduplication id suppresses later messages, as in SQS FIFO.
pub const DEDUPLICATION_WINDOW: Duration = Duration::from_secs(5 * 60);

/// Longest wait between two looks at the queues when nothing wakes the delivery loop.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Wait before the first retry of a failed message; it doubles with each receive.
const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(250);

/// The region and account the local queues pretend to live in.
const REGION: &str = "local";
const ACCOUNT_ID: &str = "000000000000";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    group_id TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at INTEGER,
    visible_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_queue ON messages (queue, seq);
CREATE TABLE IF NOT EXISTS deduplication (
    queue TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (queue, dedup_id)
);
CREATE INDEX IF NOT EXISTS deduplication_by_expiry ON deduplication (expires_at);
CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL,
    dead_at INTEGER NOT NULL
);
";

/// Why the queue database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LocalBusError {
    /// The directory of the database file could not be created.
    #[error("cannot create directory {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    /// SQLite refused to open or set up the database.
    #[error("queue database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The local API's event bus: one persistent FIFO queue per [`Queue`], delivered in process.
pub struct LocalBus {
    db: Mutex<Connection>,
    consumers: RwLock<HashMap<Queue, Consumer>>,
    /// One delivery per queue at a time: a batch in a consumer's hands is "in flight", and its
    /// message groups must not be handed out again until it returns.
    delivering: HashMap<Queue, tokio::sync::Mutex<()>>,
    wake: Arc<Notify>,
    clock: Arc<dyn Clock>,
    retry_backoff: Duration,
}

impl std::fmt::Debug for LocalBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBus")
            .field("retry_backoff", &self.retry_backoff)
            .finish_non_exhaustive()
    }
}

/// A message handed to a consumer.
#[derive(Debug, Clone)]
struct Received {
    seq: i64,
    message_id: String,
    group_id: String,
    dedup_id: String,
    body: String,
    sent_at: i64,
    /// Including the receive in progress.
    receive_count: u32,
    first_received_at: i64,
}

impl LocalBus {
    /// Opens (or creates) the queues stored at `path`, e.g. `DATA_DIR/queues.sqlite`, creating
    /// its directory if needed. Messages, deduplication ids and dead letters left by an earlier
    /// run are kept.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LocalBusError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LocalBusError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let db = Connection::open(path)?;
        // WAL keeps a publish from waiting on a reader and makes each commit one append.
        db.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.busy_timeout(Duration::from_secs(5))?;
        Self::with_connection(db)
    }

    /// Queues held in memory only, for tests.
    pub fn temporary() -> Result<Self, LocalBusError> {
        Self::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(db: Connection) -> Result<Self, LocalBusError> {
        db.execute_batch(SCHEMA)?;
        Ok(Self {
            db: Mutex::new(db),
            consumers: RwLock::new(HashMap::new()),
            delivering: Queue::ALL
                .into_iter()
                .map(|queue| (queue, tokio::sync::Mutex::new(())))
                .collect(),
            wake: Arc::new(Notify::new()),
            clock: Arc::new(SystemClock),
            retry_backoff: DEFAULT_RETRY_BACKOFF,
        })
    }

    /// Reads time (send timestamps, deduplication window, retry backoff) from `clock` instead
    /// of the machine's. For tests: the local API keeps the system clock, because moving its
    /// manual clock back would otherwise hide failed messages until the clock caught up.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the wait before the first retry of a failed message (doubled on each later
    /// receive). Tests set it to zero to retry at once.
    pub fn with_retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// Makes `consumer` the handler of `queue` (replacing any earlier one) and wakes delivery,
    /// so messages that waited for a consumer go out now.
    pub fn register(&self, queue: Queue, consumer: Consumer) {
        match self.consumers.write() {
            Ok(mut consumers) => consumers.insert(queue, consumer),
            Err(poisoned) => poisoned.into_inner().insert(queue, consumer),
        };
        self.wake.notify_one();
    }

    /// The ARN the local queue `queue` reports as `eventSourceARN`.
    pub fn queue_arn(queue: Queue) -> String {
        format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{}", queue.sqs_name())
    }

    /// Starts delivering in the background: right after each publish (woken by it) and at
    /// least every 250 ms. The task ends when the bus is dropped, or when aborted.
    pub fn spawn_delivery(self: &Arc<Self>) -> JoinHandle<()> {
        let bus = Arc::downgrade(self);
        let wake = Arc::clone(&self.wake);
        tokio::spawn(async move {
            loop {
                // Holding only a weak reference while waiting lets the bus be dropped.
                let pause = {
                    let Some(bus) = bus.upgrade() else { break };
                    if bus.deliver_once().await > 0 {
                        // More may be waiting behind a full batch: look again at once.
                        None
                    } else {
                        Some(bus.idle_pause())
                    }
                };
                match pause {
                    None => tokio::task::yield_now().await,
                    Some(pause) => {
                        tokio::select! {
                            () = wake.notified() => {}
                            () = tokio::time::sleep(pause) => {}
                        }
                    }
                }
            }
        })
    }

    /// Hands one batch to the consumer of every queue that has one and messages ready, waits
    /// for their responses and settles them (deletes, schedules retries, parks dead letters).
    /// Returns how many messages were handed out.
    pub async fn deliver_once(&self) -> usize {
        let deliveries = Queue::ALL.into_iter().map(|queue| self.deliver_queue(queue));
        futures::future::join_all(deliveries).await.into_iter().sum()
    }

    /// The bodies of the messages of `queue` moved to its dead-letter list, oldest first.
    pub async fn dead_letters(&self, queue: Queue) -> Vec<String> {
        self.read_dead_letters(queue).unwrap_or_else(|err| {
            tracing::error!(queue = queue.name(), error = %err, "cannot read dead letters");
            Vec::new()
        })
    }

    /// Moves every dead letter of `queue` back onto it (at the end of its message group, as
    /// SQS's redrive does), as new messages that the deduplication window does not drop: the
    /// consumers are idempotent by event id, so one that was handled after all is not applied
    /// twice. Returns how many moved.
    pub fn redrive(&self, queue: Queue) -> Result<usize, LocalBusError> {
        let now = self.now_ms();
        let mut db = self.db();
        let tx = db.transaction()?;
        let moved = tx.execute(
            "INSERT INTO messages (queue, message_id, group_id, dedup_id, body, sent_at, visible_at)
             SELECT queue, 'redriven-' || message_id, group_id, dedup_id, body, ?2, ?2
             FROM dead_letters WHERE queue = ?1 ORDER BY seq",
            params![queue.name(), now],
        )?;
        tx.execute("DELETE FROM dead_letters WHERE queue = ?1", [queue.name()])?;
        tx.commit()?;
        drop(db);
        if moved > 0 {
            tracing::info!(queue = queue.name(), moved, "dead letters redriven");
            self.wake.notify_one();
        }
        Ok(moved)
    }

    /// How many messages `queue` holds (waiting, in flight or waiting for a retry).
    pub async fn pending(&self, queue: Queue) -> usize {
        let count = self.db().query_row(
            "SELECT COUNT(*) FROM messages WHERE queue = ?1",
            [queue.name()],
            |row| row.get::<_, i64>(0),
        );
        match count {
            Ok(count) => usize::try_from(count).unwrap_or(0),
            Err(err) => {
                tracing::error!(queue = queue.name(), error = %err, "cannot count messages");
                0
            }
        }
    }

    fn read_dead_letters(&self, queue: Queue) -> rusqlite::Result<Vec<String>> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT body FROM dead_letters WHERE queue = ?1 ORDER BY seq")?;
        let bodies = stmt.query_map([queue.name()], |row| row.get(0))?;
        bodies.collect()
    }

    fn db(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held rolled its transaction back: the data is intact.
        self.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn consumer_of(&self, queue: Queue) -> Option<Consumer> {
        match self.consumers.read() {
            Ok(consumers) => consumers.get(&queue).cloned(),
            Err(poisoned) => poisoned.into_inner().get(&queue).cloned(),
        }
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Sends `body` as it is, the way a service other than the outbox does (S3's notification
    /// that a photo file arrived, on the photo-events queue).
    pub fn send_body(&self, queue: Queue, body: &str) -> Result<(), LocalBusError> {
        let id = new_message_id();
        self.enqueue(queue, &id, &id, body)?;
        self.wake.notify_one();
        Ok(())
    }

    /// Stores `body` unless `dedup_id` was seen on `queue` within the window; true if stored.
    fn enqueue(&self, queue: Queue, group_id: &str, dedup_id: &str, body: &str) -> rusqlite::Result<bool> {
        let now = self.now_ms();
        let window = i64::try_from(DEDUPLICATION_WINDOW.as_millis()).unwrap_or(i64::MAX);
        let mut db = self.db();
        let tx = db.transaction()?;
        tx.execute("DELETE FROM deduplication WHERE expires_at <= ?1", [now])?;
        let fresh = tx.execute(
            "INSERT OR IGNORE INTO deduplication (queue, dedup_id, expires_at) VALUES (?1, ?2, ?3)",
            params![queue.name(), dedup_id, now.saturating_add(window)],
        )?;
        if fresh == 0 {
            tx.commit()?;
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO messages (queue, message_id, group_id, dedup_id, body, sent_at, visible_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![queue.name(), new_message_id(), group_id, dedup_id, body, now],
        )?;
        tx.commit()?;
        Ok(true)
    }

    async fn deliver_queue(&self, queue: Queue) -> usize {
        let Some(consumer) = self.consumer_of(queue) else {
            // No consumer yet: messages stay until one registers.
            return 0;
        };
        let Some(lock) = self.delivering.get(&queue) else {
            return 0;
        };
        let _in_flight = lock.lock().await;
        let batch = match self.receive(queue) {
            Ok(batch) => batch,
            Err(err) => {
                tracing::error!(queue = queue.name(), error = %err, "cannot receive from local queue");
                return 0;
            }
        };
        if batch.is_empty() {
            return 0;
        }
        let event = sqs_event(queue, &batch);
        // Run the consumer in its own task: a panic there fails the batch, like a crashed
        // Lambda invocation, instead of killing the delivery loop.
        let outcome = tokio::spawn(async move { consumer(event).await }).await;
        let failed = match outcome {
            Ok(response) => failed_ids(queue, &batch, &response),
            Err(err) => {
                tracing::error!(queue = queue.name(), error = %err, "consumer failed; whole batch will be retried");
                batch.iter().map(|message| message.message_id.clone()).collect()
            }
        };
        if let Err(err) = self.settle(queue, &batch, &failed) {
            // The batch stays as received; it will be delivered again.
            tracing::error!(queue = queue.name(), error = %err, "cannot settle local queue batch");
        }
        batch.len()
    }

    /// Takes the next batch of `queue`: the oldest visible messages, skipping every group that
    /// has a message waiting for a retry (so a group's later messages never overtake it).
    fn receive(&self, queue: Queue) -> rusqlite::Result<Vec<Received>> {
        let now = self.now_ms();
        let mut db = self.db();
        let tx = db.transaction()?;
        let rows = {
            let mut stmt = tx.prepare(
                "SELECT seq, message_id, group_id, dedup_id, body, sent_at, receive_count,
                        first_received_at, visible_at
                 FROM messages WHERE queue = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query_map([queue.name()], |row| {
                Ok((
                    Received {
                        seq: row.get(0)?,
                        message_id: row.get(1)?,
                        group_id: row.get(2)?,
                        dedup_id: row.get(3)?,
                        body: row.get(4)?,
                        sent_at: row.get(5)?,
                        receive_count: row.get(6)?,
                        first_received_at: row.get::<_, Option<i64>>(7)?.unwrap_or(now),
                    },
                    row.get::<_, i64>(8)?,
                ))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        let mut blocked: HashSet<String> = HashSet::new();
        let mut batch = Vec::new();
        let mut parked = Vec::new();
        for (mut message, visible_at) in rows {
            if batch.len() >= BATCH_SIZE {
                break;
            }
            if blocked.contains(&message.group_id) {
                continue;
            }
            if visible_at > now {
                blocked.insert(message.group_id);
                continue;
            }
            if message.receive_count >= MAX_RECEIVES {
                // Received for the last time when the local API stopped mid-delivery.
                park(&tx, queue, &message, now)?;
                parked.push(message);
                continue;
            }
            message.receive_count += 1;
            tx.execute(
                "UPDATE messages SET receive_count = ?1, first_received_at = ?2 WHERE seq = ?3",
                params![message.receive_count, message.first_received_at, message.seq],
            )?;
            batch.push(message);
        }
        tx.commit()?;
        log_parked(queue, &parked);
        Ok(batch)
    }

    /// Applies a consumer's answer: deletes what it handled, delays what failed, and moves to
    /// the dead-letter list what failed on its last receive.
    fn settle(&self, queue: Queue, batch: &[Received], failed: &HashSet<String>) -> rusqlite::Result<()> {
        let now = self.now_ms();
        let mut db = self.db();
        let tx = db.transaction()?;
        let mut parked = Vec::new();
        for message in batch {
            if !failed.contains(&message.message_id) {
                tx.execute("DELETE FROM messages WHERE seq = ?1", [message.seq])?;
            } else if message.receive_count >= MAX_RECEIVES {
                park(&tx, queue, message, now)?;
                parked.push(message.clone());
            } else {
                let delay = retry_delay(self.retry_backoff, message.receive_count);
                let delay = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
                tx.execute(
                    "UPDATE messages SET visible_at = ?1 WHERE seq = ?2",
                    params![now.saturating_add(delay), message.seq],
                )?;
            }
        }
        tx.commit()?;
        log_parked(queue, &parked);
        Ok(())
    }

    /// How long the delivery loop may sleep: until the next retry is due, at most the poll.
    fn idle_pause(&self) -> Duration {
        let now = self.now_ms();
        let next = self.db().query_row(
            "SELECT MIN(visible_at) FROM messages WHERE visible_at > ?1",
            [now],
            |row| row.get::<_, Option<i64>>(0),
        );
        match next {
            Ok(Some(due)) => {
                let wait = u64::try_from(due.saturating_sub(now)).unwrap_or(0);
                Duration::from_millis(wait).min(POLL_INTERVAL)
            }
            _ => POLL_INTERVAL,
        }
    }
}

#[async_trait]
impl EventBus for LocalBus {
    async fn publish(&self, queue: Queue, event: &Event) -> Result<(), BusError> {
        let body = serde_json::to_string(event)
            .map_err(|err| BusError::Unavailable(format!("event {} is not serialisable: {err}", event.id)))?;
        let stored = self
            .enqueue(queue, &event.booking_id, &event.id, &body)
            .map_err(|err| BusError::Unavailable(format!("local queue {}: {err}", queue.name())))?;
        if stored {
            self.wake.notify_one();
        } else {
            tracing::debug!(queue = queue.name(), event_id = %event.id, "duplicate event dropped");
        }
        Ok(())
    }
}

/// Moves `message` from its queue to the queue's dead-letter list.
fn park(tx: &Transaction<'_>, queue: Queue, message: &Received, now: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO dead_letters (queue, message_id, group_id, dedup_id, body, sent_at, receive_count, dead_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            queue.name(),
            message.message_id,
            message.group_id,
            message.dedup_id,
            message.body,
            message.sent_at,
            message.receive_count,
            now
        ],
    )?;
    tx.execute("DELETE FROM messages WHERE seq = ?1", [message.seq])?;
    Ok(())
}

/// Logged once the move is committed: a dead letter is an event no consumer could handle.
fn log_parked(queue: Queue, parked: &[Received]) {
    for message in parked {
        tracing::error!(
            queue = queue.name(),
            message_id = %message.message_id,
            group_id = %message.group_id,
            event_id = %message.dedup_id,
            receive_count = message.receive_count,
            body = %message.body,
            "message moved to the dead-letter queue"
        );
    }
}

/// The ids the consumer reported as failed. An id that is not in the batch makes the whole
/// batch count as failed, as Lambda does with a malformed partial batch response.
fn failed_ids(queue: Queue, batch: &[Received], response: &SqsBatchResponse) -> HashSet<String> {
    let in_batch: HashSet<&str> = batch.iter().map(|message| message.message_id.as_str()).collect();
    let mut failed = HashSet::new();
    for failure in &response.batch_item_failures {
        if !in_batch.contains(failure.item_identifier.as_str()) {
            tracing::error!(
                queue = queue.name(),
                item_identifier = %failure.item_identifier,
                "batchItemFailures names a message not in the batch; whole batch will be retried"
            );
            return in_batch.into_iter().map(str::to_owned).collect();
        }
        failed.insert(failure.item_identifier.clone());
    }
    failed
}

/// Wait before the next receive of a message that failed its `receive_count`-th receive.
fn retry_delay(backoff: Duration, receive_count: u32) -> Duration {
    backoff.saturating_mul(1 << receive_count.saturating_sub(1).min(16))
}

/// The batch as Lambda's SQS event source would present it.
fn sqs_event(queue: Queue, batch: &[Received]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = batch.iter().map(|message| sqs_message(queue, message)).collect();
    event
}

fn sqs_message(queue: Queue, message: &Received) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = Some(message.message_id.clone());
    record.receipt_handle = Some(format!("{}#{}", ulid::Ulid::new(), message.receive_count));
    record.body = Some(message.body.clone());
    record.attributes = HashMap::from([
        ("ApproximateReceiveCount".to_owned(), message.receive_count.to_string()),
        ("SentTimestamp".to_owned(), message.sent_at.to_string()),
        (
            "ApproximateFirstReceiveTimestamp".to_owned(),
            message.first_received_at.to_string(),
        ),
        ("SenderId".to_owned(), ACCOUNT_ID.to_owned()),
        ("MessageGroupId".to_owned(), message.group_id.clone()),
        ("MessageDeduplicationId".to_owned(), message.dedup_id.clone()),
        ("SequenceNumber".to_owned(), format!("{:020}", message.seq)),
    ]);
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(LocalBus::queue_arn(queue));
    record.aws_region = Some(REGION.to_owned());
    record
}

/// A fresh message id shaped like SQS's (a UUID), from a ULID's 128 bits.
fn new_message_id() -> String {
    let hex = format!("{:032x}", ulid::Ulid::new().0);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::Utc;
    use serde_json::{Value, json};
    use shared::clock::ManualClock;
    use shared::events::EventType;

    use super::*;

    fn event(booking: &str) -> Event {
        Event::new(EventType::BookingCancelled, booking, Utc::now(), json!({"n": 1}))
    }

    /// Records every batch; fails the messages whose event id `fail` picks.
    #[derive(Clone, Default)]
    struct Recorder {
        batches: Arc<Mutex<Vec<SqsEvent>>>,
    }

    impl Recorder {
        fn consumer(&self, fail: impl Fn(&Event) -> bool + Send + Sync + 'static) -> Consumer {
            let batches = Arc::clone(&self.batches);
            let fail = Arc::new(fail);
            consumer(move |batch: SqsEvent| {
                batches.lock().unwrap().push(batch.clone());
                let fail = Arc::clone(&fail);
                async move {
                    let mut response = SqsBatchResponse::default();
                    for record in batch.records {
                        let event: Event = serde_json::from_str(record.body.as_deref().unwrap()).unwrap();
                        if fail(&event) {
                            response.add_failure(record.message_id.unwrap());
                        }
                    }
                    response
                }
            })
        }

        /// Event ids of every delivery, in order.
        fn delivered(&self) -> Vec<String> {
            self.batches
                .lock()
                .unwrap()
                .iter()
                .flat_map(|batch| batch.records.iter())
                .map(|record| record.attributes["MessageDeduplicationId"].clone())
                .collect()
        }

        fn batch_count(&self) -> usize {
            self.batches.lock().unwrap().len()
        }
    }

    fn bus() -> LocalBus {
        LocalBus::temporary().unwrap().with_retry_backoff(Duration::ZERO)
    }

    #[tokio::test]
    async fn batch_is_shaped_like_an_sqs_event() {
        let bus = bus();
        let recorder = Recorder::default();
        bus.register(Queue::BookingEvents, recorder.consumer(|_| false));
        let published = event("B1");
        bus.publish(Queue::BookingEvents, &published).await.unwrap();

        assert_eq!(bus.deliver_once().await, 1);
        let batch = recorder.batches.lock().unwrap()[0].clone();
        let json = serde_json::to_value(&batch).unwrap();
        let record = &json["Records"][0];
        assert_eq!(record["eventSource"], "aws:sqs");
        assert_eq!(
            record["eventSourceARN"],
            "arn:aws:sqs:local:000000000000:booking-events.fifo"
        );
        assert_eq!(record["awsRegion"], "local");
        assert!(record["messageId"].as_str().unwrap().len() == 36);
        assert!(record["receiptHandle"].is_string());
        assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
        assert_eq!(record["attributes"]["MessageGroupId"], "B1");
        assert_eq!(record["attributes"]["MessageDeduplicationId"], published.id.as_str());
        let sent: i64 = record["attributes"]["SentTimestamp"].as_str().unwrap().parse().unwrap();
        assert!((Utc::now().timestamp_millis() - sent).abs() < 60_000);
        let body: Event = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, published);
        // What a Lambda handler would parse.
        let parsed: SqsEvent = serde_json::from_value(json).unwrap();
        assert_eq!(parsed, batch);
        assert_eq!(bus.pending(Queue::BookingEvents).await, 0);
        assert_eq!(bus.deliver_once().await, 0);
    }

    #[tokio::test]
    async fn partial_failure_is_retried_and_parked_after_three_receives() {
        let bus = bus();
        let recorder = Recorder::default();
        let bad = event("B1");
        let bad_id = bad.id.clone();
        bus.register(Queue::PaymentEvents, recorder.consumer(move |e| e.id == bad_id));
        let good = event("B2");
        bus.publish(Queue::PaymentEvents, &bad).await.unwrap();
        bus.publish(Queue::PaymentEvents, &good).await.unwrap();

        assert_eq!(bus.deliver_once().await, 2);
        assert_eq!(bus.deliver_once().await, 1);
        assert_eq!(bus.deliver_once().await, 1);
        assert_eq!(bus.deliver_once().await, 0);
        assert_eq!(
            recorder.delivered(),
            vec![bad.id.clone(), good.id.clone(), bad.id.clone(), bad.id.clone()]
        );
        let counts: Vec<String> = recorder
            .batches
            .lock()
            .unwrap()
            .iter()
            .map(|b| b.records[0].attributes["ApproximateReceiveCount"].clone())
            .collect();
        assert_eq!(counts, ["1", "2", "3"]);
        let dead = bus.dead_letters(Queue::PaymentEvents).await;
        assert_eq!(dead.len(), 1);
        assert_eq!(serde_json::from_str::<Event>(&dead[0]).unwrap(), bad);
        assert!(bus.dead_letters(Queue::BookingEvents).await.is_empty());
        assert_eq!(bus.pending(Queue::PaymentEvents).await, 0);
    }

    #[tokio::test]
    async fn failed_message_waits_for_its_backoff() {
        let clock = Arc::new(ManualClock::default());
        let bus = LocalBus::temporary()
            .unwrap()
            .with_clock(clock.clone())
            .with_retry_backoff(Duration::from_secs(10));
        let recorder = Recorder::default();
        bus.register(Queue::BookingEvents, recorder.consumer(|_| true));
        bus.publish(Queue::BookingEvents, &event("B1")).await.unwrap();

        assert_eq!(bus.deliver_once().await, 1);
        assert_eq!(bus.deliver_once().await, 0, "still backing off");
        clock.advance(chrono::Duration::seconds(11));
        assert_eq!(bus.deliver_once().await, 1);
        clock.advance(chrono::Duration::seconds(11));
        assert_eq!(bus.deliver_once().await, 0, "second backoff is doubled");
        clock.advance(chrono::Duration::seconds(10));
        assert_eq!(bus.deliver_once().await, 1);
        assert_eq!(bus.dead_letters(Queue::BookingEvents).await.len(), 1);
    }

    #[tokio::test]
    async fn same_event_id_is_delivered_once_within_five_minutes() {
        let clock = Arc::new(ManualClock::default());
        let bus = LocalBus::temporary().unwrap().with_clock(clock.clone());
        let recorder = Recorder::default();
        bus.register(Queue::ReviewEvents, recorder.consumer(|_| false));
        let once = event("B1");
        bus.publish(Queue::ReviewEvents, &once).await.unwrap();
        bus.publish(Queue::ReviewEvents, &once).await.unwrap();
        assert_eq!(bus.deliver_once().await, 1);
        // Still a duplicate after the first copy was consumed, as in SQS.
        bus.publish(Queue::ReviewEvents, &once).await.unwrap();
        assert_eq!(bus.deliver_once().await, 0);
        // Another queue has its own deduplication.
        bus.publish(Queue::BookingEvents, &once).await.unwrap();
        assert_eq!(bus.pending(Queue::BookingEvents).await, 1);

        clock.advance(chrono::Duration::minutes(5) + chrono::Duration::seconds(1));
        bus.publish(Queue::ReviewEvents, &once).await.unwrap();
        assert_eq!(bus.deliver_once().await, 1);
        assert_eq!(recorder.delivered(), vec![once.id.clone(), once.id]);
    }

    #[tokio::test]
    async fn a_batch_holds_a_groups_messages_in_order() {
        let bus = bus();
        let recorder = Recorder::default();
        let first_a = event("A");
        let blocker = first_a.id.clone();
        let attempts = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&attempts);
        // The first event of A fails once, then succeeds.
        bus.register(
            Queue::BookingEvents,
            recorder.consumer(move |e| e.id == blocker && seen.fetch_add(1, Ordering::SeqCst) == 0),
        );
        let second_a = event("A");
        let only_b = event("B");
        let third_a = event("A");
        for e in [&first_a, &second_a, &only_b, &third_a] {
            bus.publish(Queue::BookingEvents, e).await.unwrap();
        }
        // One batch holds every ready message; A's later ones are after A's first in it.
        assert_eq!(bus.deliver_once().await, 4);
        // A's first failed: retried; the group's others were reported handled (as SQS would).
        assert_eq!(bus.deliver_once().await, 1);
        assert_eq!(
            recorder.delivered(),
            vec![
                first_a.id.clone(),
                second_a.id.clone(),
                only_b.id.clone(),
                third_a.id.clone(),
                first_a.id.clone()
            ]
        );
    }

    #[tokio::test]
    async fn later_messages_of_a_backing_off_group_are_not_delivered() {
        let clock = Arc::new(ManualClock::default());
        let bus = LocalBus::temporary()
            .unwrap()
            .with_clock(clock.clone())
            .with_retry_backoff(Duration::from_secs(1));
        let recorder = Recorder::default();
        let first_a = event("A");
        let blocker = first_a.id.clone();
        bus.register(Queue::BookingEvents, recorder.consumer(move |e| e.id == blocker));
        bus.publish(Queue::BookingEvents, &first_a).await.unwrap();
        assert_eq!(bus.deliver_once().await, 1);

        let second_a = event("A");
        let only_b = event("B");
        bus.publish(Queue::BookingEvents, &second_a).await.unwrap();
        bus.publish(Queue::BookingEvents, &only_b).await.unwrap();
        assert_eq!(bus.deliver_once().await, 1, "only B: A waits behind its failed message");
        clock.advance(chrono::Duration::seconds(2));
        assert_eq!(bus.deliver_once().await, 2, "A's first again, then A's second");
        assert_eq!(
            recorder.delivered(),
            vec![first_a.id.clone(), only_b.id, first_a.id, second_a.id]
        );
    }

    #[tokio::test]
    async fn batches_hold_at_most_ten_in_order() {
        let bus = bus();
        let recorder = Recorder::default();
        bus.register(Queue::BookingEvents, recorder.consumer(|_| false));
        let events: Vec<Event> = (0..25).map(|_| event("B1")).collect();
        for e in &events {
            bus.publish(Queue::BookingEvents, e).await.unwrap();
        }
        assert_eq!(bus.deliver_once().await, 10);
        assert_eq!(bus.deliver_once().await, 10);
        assert_eq!(bus.deliver_once().await, 5);
        let ids: Vec<String> = events.into_iter().map(|e| e.id).collect();
        assert_eq!(recorder.delivered(), ids);
    }

    #[tokio::test]
    async fn unknown_failure_id_or_panic_fails_the_whole_batch() {
        let bus = bus();
        bus.register(
            Queue::BookingEvents,
            consumer(|_batch: SqsEvent| async {
                let mut response = SqsBatchResponse::default();
                response.add_failure("not-in-the-batch");
                response
            }),
        );
        bus.publish(Queue::BookingEvents, &event("B1")).await.unwrap();
        bus.publish(Queue::BookingEvents, &event("B2")).await.unwrap();
        assert_eq!(bus.deliver_once().await, 2);
        assert_eq!(bus.pending(Queue::BookingEvents).await, 2);

        bus.register(
            Queue::BookingEvents,
            consumer(|batch: SqsEvent| async move {
                assert!(batch.records.is_empty(), "consumer bug");
                SqsBatchResponse::default()
            }),
        );
        assert_eq!(bus.deliver_once().await, 2);
        assert_eq!(bus.pending(Queue::BookingEvents).await, 2);
        assert_eq!(bus.deliver_once().await, 2);
        assert_eq!(bus.dead_letters(Queue::BookingEvents).await.len(), 2);
    }

    #[tokio::test]
    async fn messages_wait_for_a_consumer() {
        let bus = bus();
        bus.publish(Queue::ReviewEvents, &event("B1")).await.unwrap();
        assert_eq!(bus.deliver_once().await, 0);
        assert_eq!(bus.pending(Queue::ReviewEvents).await, 1);
        let recorder = Recorder::default();
        bus.register(Queue::ReviewEvents, recorder.consumer(|_| false));
        assert_eq!(bus.deliver_once().await, 1);
    }

    #[tokio::test]
    async fn messages_survive_a_reopen() {
        let dir = std::env::temp_dir().join(format!("roost-bus-{}", ulid::Ulid::new()));
        let path = dir.join("queues.sqlite");
        let published = event("B1");
        {
            let bus = LocalBus::open(&path).unwrap();
            bus.publish(Queue::BookingEvents, &published).await.unwrap();
            bus.publish(Queue::PaymentEvents, &event("B2")).await.unwrap();
            bus.register(
                Queue::PaymentEvents,
                consumer(|_b: SqsEvent| async { SqsBatchResponse::default() }),
            );
            assert_eq!(bus.deliver_once().await, 1);
        }
        let bus = LocalBus::open(&path).unwrap();
        assert_eq!(bus.pending(Queue::BookingEvents).await, 1);
        assert_eq!(bus.pending(Queue::PaymentEvents).await, 0);
        // The deduplication window survives too.
        bus.publish(Queue::BookingEvents, &published).await.unwrap();
        let recorder = Recorder::default();
        bus.register(Queue::BookingEvents, recorder.consumer(|_| false));
        assert_eq!(bus.deliver_once().await, 1);
        assert_eq!(recorder.delivered(), vec![published.id]);
        drop(bus);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn delivery_loop_delivers_within_milliseconds_of_a_publish() {
        let bus = Arc::new(LocalBus::temporary().unwrap());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
        bus.register(
            Queue::BookingEvents,
            consumer(move |batch: SqsEvent| {
                for record in &batch.records {
                    tx.send(serde_json::from_str(record.body.as_deref().unwrap()).unwrap())
                        .unwrap();
                }
                async { SqsBatchResponse::default() }
            }),
        );
        let task = bus.spawn_delivery();
        // Let the loop reach its wait, so that only the publish's wake-up can be fast.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let published = event("B1");
        let started = std::time::Instant::now();
        bus.publish(Queue::BookingEvents, &published).await.unwrap();
        let received = tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(received["id"], published.id.as_str());

        drop(bus);
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn delivery_loop_retries_after_the_backoff() {
        let bus = Arc::new(
            LocalBus::temporary()
                .unwrap()
                .with_retry_backoff(Duration::from_millis(20)),
        );
        let recorder = Recorder::default();
        bus.register(Queue::BookingEvents, recorder.consumer(|_| true));
        let task = bus.spawn_delivery();
        bus.publish(Queue::BookingEvents, &event("B1")).await.unwrap();
        for _ in 0..100 {
            if !bus.dead_letters(Queue::BookingEvents).await.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(bus.dead_letters(Queue::BookingEvents).await.len(), 1);
        assert_eq!(recorder.batch_count(), 3);
        task.abort();
    }

    #[test]
    fn retry_delay_doubles() {
        let base = Duration::from_millis(250);
        assert_eq!(retry_delay(base, 1), base);
        assert_eq!(retry_delay(base, 2), base * 2);
    }
}
