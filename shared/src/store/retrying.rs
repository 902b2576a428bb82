//! Store calls that failed in a way that makes trying again safe, tried again.
//!
//! - **Reads** (`get`, `query`, `batch_get`, `scan`) change nothing, so any transient failure
//!   (throttled, timed out, unreachable) is retried.
//! - **Writes** are retried only when the failed call certainly applied nothing: DynamoDB
//!   throttled it ([`StoreError::Throttled`]), or cancelled it because an item was part of
//!   another transaction in flight (`TransactionConflict`, [`StoreError::Conflict`]). Making it
//!   again is exactly the request arriving a few milliseconds later: its conditions (versions,
//!   claims, event ids) are checked afresh, and whatever they guard stays guarded.
//! - A write that timed out or met a 5xx ([`StoreError::Unavailable`]) may or may not have
//!   taken effect, and a conditional write made again after it would fail on its own first
//!   attempt. So the item is read back (consistently) to learn which: a transaction's
//!   *witness*, its first put of a new item (an outbox record, a booking, a claim: each carries
//!   a fresh id), found exactly as written means the whole transaction committed (they are
//!   atomic), and the call succeeds; not found means nothing was applied, and the transaction
//!   is made again. Single-item writes are read back the same way. When the read cannot tell
//!   (no witness, an item changed by someone else, the read fails too), the error reaches the
//!   caller: the request answers `503`, and the client's retry (with its `Idempotency-Key`, or
//!   a booking move that recognises itself) finds what the first attempt wrote; an event
//!   handler, idempotent by its event id, is handled again whole ([`crate::consumer`]).
//!
//! Retries use full-jitter exponential backoff (so that colliding writers spread out instead
//! of meeting again in lockstep), at most [`ATTEMPTS`] calls in all, and none once
//! [`RETRY_BUDGET`] has passed since the first: the SDK has already retried each call with its
//! own timeouts (`aws_http`), and a function must keep time to answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rand::Rng;

use super::{Condition, Item, Key, Page, Query, ResumeKey, Store, StoreError, TxAction, Update};

/// Calls of one operation at most (the first and three retries).
pub const ATTEMPTS: u32 = 4;
/// No retry starts later than this after the first call began.
pub const RETRY_BUDGET: Duration = Duration::from_millis(1500);
/// The first backoff's ceiling; each retry doubles it, up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_millis(160);

/// Passes every call to the wrapped store, making again those whose failure makes it safe.
pub struct RetryingStore {
    inner: Arc<dyn Store>,
}

impl RetryingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner }
    }
}

/// How long to wait before retry `retry` (0-based): uniform in 0..=min(max, base * 2^retry)
/// ("full jitter").
pub fn backoff(retry: u32) -> Duration {
    let ceiling = BASE_BACKOFF.saturating_mul(1u32 << retry.min(16)).min(MAX_BACKOFF);
    let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rand::rng().random_range(0..=micros))
}

/// Which failures an operation may be retried on.
#[derive(Clone, Copy)]
enum Safe {
    /// A read: any transient failure.
    Read,
    /// A write: only a failure that applied nothing.
    Write,
}

impl Safe {
    fn allows(self, err: &StoreError) -> bool {
        match self {
            Safe::Read => err.is_transient(),
            Safe::Write => err.applied_nothing(),
        }
    }
}

/// Runs `call` until it succeeds, fails in a way `safe` does not retry, has been made
/// [`ATTEMPTS`] times, or [`RETRY_BUDGET`] is spent.
async fn with_retries<T, F, Fut>(safe: Safe, mut call: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let started = Instant::now();
    let mut retry = 0;
    loop {
        match call().await {
            Err(err) if retry + 1 < ATTEMPTS && safe.allows(&err) && started.elapsed() < RETRY_BUDGET => {
                tracing::debug!(error = %err, retry, "store call retried");
                tokio::time::sleep(backoff(retry)).await;
                retry += 1;
            }
            other => return other,
        }
    }
}

/// What reading back a write of unknown outcome told.
enum Outcome {
    /// The write is there, exactly as sent: it took effect.
    Applied,
    /// It certainly did not take effect: making it again is safe.
    NotApplied,
    /// Someone else's write is there: the write, made again, would fail its condition.
    ConditionFailed,
    /// The read cannot tell.
    Unknown,
}

/// Whether `found` is `item` as written (attributes, kind and version; keys match by the read).
fn same_item(found: &Item, item: &Item) -> bool {
    found.kind == item.kind && found.version == item.version && found.attrs == item.attrs
}

impl RetryingStore {
    /// Reads `key` consistently; `None` when even the read fails.
    async fn read_back(&self, key: &Key) -> Option<Option<Item>> {
        self.get(key).await.ok()
    }

    /// What became of `put(item, condition)` whose answer was lost.
    async fn put_outcome(&self, item: &Item, condition: &Condition) -> Outcome {
        match condition {
            // Writing the same whole item again is the same write.
            Condition::Always => Outcome::NotApplied,
            Condition::Absent | Condition::VersionEquals(_) => match self.read_back(&item.key).await {
                Some(Some(found)) if same_item(&found, item) => Outcome::Applied,
                Some(None) if *condition == Condition::Absent => Outcome::NotApplied,
                Some(Some(found)) if *condition == Condition::VersionEquals(found.version) => Outcome::NotApplied,
                Some(_) => Outcome::ConditionFailed,
                None => Outcome::Unknown,
            },
            _ => Outcome::Unknown,
        }
    }

    /// What became of a transaction whose answer was lost, told by its witness: the first put
    /// of an item that must not exist yet. Transactions are atomic, so the witness stands for
    /// every action.
    async fn transaction_outcome(&self, actions: &[TxAction]) -> Outcome {
        let witness = actions.iter().find_map(|action| match action {
            TxAction::Put {
                item,
                condition: Condition::Absent,
            } => Some(item),
            _ => None,
        });
        let Some(item) = witness else {
            return Outcome::Unknown;
        };
        match self.read_back(&item.key).await {
            Some(Some(found)) if same_item(&found, item) => Outcome::Applied,
            Some(None) => Outcome::NotApplied,
            // Someone else's item under the witness's key: the transaction, made again, fails
            // on it; let the caller's own first failure say so.
            Some(Some(_)) | None => Outcome::Unknown,
        }
    }

    /// Runs a write, retrying what [`Safe::Write`] allows, and settling a lost answer with
    /// `outcome` (which reads the table back).
    async fn write<T, F, Fut, O, OFut>(&self, mut call: F, mut outcome: O, applied: T) -> Result<T, StoreError>
    where
        T: Clone,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
        O: FnMut() -> OFut,
        OFut: std::future::Future<Output = Outcome>,
    {
        let started = Instant::now();
        let mut retry = 0;
        loop {
            let may_retry = retry + 1 < ATTEMPTS && started.elapsed() < RETRY_BUDGET;
            match call().await {
                Err(err) if may_retry && Safe::Write.allows(&err) => {}
                Err(StoreError::Unavailable(cause)) => match outcome().await {
                    Outcome::Applied => {
                        tracing::info!(%cause, "a write whose answer was lost was found applied");
                        return Ok(applied);
                    }
                    Outcome::NotApplied if may_retry => {}
                    Outcome::ConditionFailed => return Err(StoreError::ConditionFailed),
                    Outcome::NotApplied | Outcome::Unknown => return Err(StoreError::Unavailable(cause)),
                },
                other => return other,
            }
            tokio::time::sleep(backoff(retry)).await;
            retry += 1;
        }
    }
}

#[async_trait]
impl Store for RetryingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        with_retries(Safe::Read, || self.inner.get(key)).await
    }
    async fn get_eventual(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        with_retries(Safe::Read, || self.inner.get_eventual(key)).await
    }
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.write(
            || self.inner.put(item.clone(), condition.clone()),
            || self.put_outcome(&item, &condition),
            (),
        )
        .await
    }
    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        // An update's result is the item as written, which a read-back cannot tell from a
        // concurrent writer's: only the failures that applied nothing are retried.
        with_retries(Safe::Write, || {
            self.inner.update(key, update.clone(), condition.clone())
        })
        .await
    }
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.write(
            || self.inner.delete(key, condition.clone()),
            // Deleting again is the same delete when it has no condition.
            || async {
                if condition == Condition::Always {
                    Outcome::NotApplied
                } else {
                    Outcome::Unknown
                }
            },
            (),
        )
        .await
    }
    async fn transact(&self, actions: Vec<TxAction>) -> Result<(), StoreError> {
        self.write(
            || self.inner.transact(actions.clone()),
            || self.transaction_outcome(&actions),
            (),
        )
        .await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        with_retries(Safe::Read, || self.inner.query(query.clone())).await
    }
    async fn query_records(&self, query: Query) -> Result<super::record::RecordPage, StoreError> {
        with_retries(Safe::Read, || self.inner.query_records(query.clone())).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        with_retries(Safe::Read, || self.inner.batch_get(keys)).await
    }
    async fn scan(&self, kind: &str, start: Option<ResumeKey>, limit: u32) -> Result<Page, StoreError> {
        with_retries(Safe::Read, || self.inner.scan(kind, start.clone(), limit)).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn backoff_stays_under_its_doubling_ceiling() {
        for retry in 0..8 {
            let ceiling = (BASE_BACKOFF * 2u32.pow(retry)).min(MAX_BACKOFF);
            for _ in 0..200 {
                assert!(backoff(retry) <= ceiling, "retry {retry}");
            }
        }
        // Full jitter: the waits of one retry differ.
        let waits: std::collections::HashSet<_> = (0..50).map(|_| backoff(3)).collect();
        assert!(waits.len() > 10, "{waits:?}");
    }

    /// How many calls `safe` makes when each fails with `err` for the first `failures` calls.
    async fn calls_until(safe: Safe, err: StoreError, failures: u32) -> (Result<u32, StoreError>, u32) {
        let calls = AtomicU32::new(0);
        let result = with_retries(safe, || async {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            if call < failures { Err(err.clone()) } else { Ok(call) }
        })
        .await;
        (result, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn writes_are_made_again_only_when_nothing_was_applied() {
        for err in [StoreError::Conflict, StoreError::Throttled("rate".into())] {
            assert_eq!(calls_until(Safe::Write, err, 2).await, (Ok(2), 3));
        }
        // A timeout may have been applied: a conditional write made again would fail itself.
        let timeout = StoreError::Unavailable("timed out".into());
        assert_eq!(calls_until(Safe::Write, timeout.clone(), 1).await, (Err(timeout), 1));
        assert_eq!(
            calls_until(Safe::Write, StoreError::ConditionFailed, 1).await,
            (Err(StoreError::ConditionFailed), 1)
        );
    }

    #[tokio::test]
    async fn reads_are_made_again_on_any_transient_failure() {
        for err in [
            StoreError::Unavailable("timed out".into()),
            StoreError::Throttled("rate".into()),
        ] {
            assert_eq!(calls_until(Safe::Read, err, 3).await, (Ok(3), 4));
        }
        let refused = StoreError::Refused("no such table".into());
        assert_eq!(calls_until(Safe::Read, refused.clone(), 1).await, (Err(refused), 1));
    }

    #[tokio::test]
    async fn failures_that_persist_reach_the_caller_after_the_last_attempt() {
        assert_eq!(
            calls_until(Safe::Write, StoreError::Conflict, u32::MAX).await,
            (Err(StoreError::Conflict), ATTEMPTS)
        );
    }
}
