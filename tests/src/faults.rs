//! Faults on demand: a store and an event bus that fail a chosen share of calls, the way
//! DynamoDB and SQS fail after the SDK's own retries, over any real adapter.
//!
//! A store call picked to fail fails with one of:
//! - **throttled** before it reaches the store (`StoreError::Throttled`: nothing applied);
//! - **conflict** before it reaches the store, for writes (`StoreError::Conflict`, as DynamoDB
//!   cancels a write whose item is in another transaction);
//! - **timed out before** the store saw it (`StoreError::Unavailable`, nothing applied);
//! - **timed out after** the store applied it, for writes: the write took effect and the caller
//!   hears `Unavailable`, the hard case that a retry must not apply twice.
//!
//! Reads fail only before (a read that took effect changed nothing). A publish picked to fail
//! fails before the message is sent or after it was sent (then the outbox relay sends it again
//! and the queue's deduplication or the consumer's event-id idempotency must absorb it).
//!
//! The picks come from one seeded generator, so a failing run can be replayed with its seed
//! (printed by the tests).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::events::{BusError, Event, EventBus, Queue};
use shared::store::{Condition, Item, Key, Page, Query, ResumeKey, Store, StoreError, TxAction, Update};

/// How a picked call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttled,
    Conflict,
    TimedOutBefore,
    TimedOutAfter,
}

/// The share of calls to fail, the generator that picks them, and what was injected.
pub struct FaultPlan {
    /// Calls failed per thousand.
    per_mille: AtomicU32,
    rng: Mutex<StdRng>,
    pub seed: u64,
    /// Faults injected so far, by kind: throttled, conflict, timed out before, timed out after.
    injected: [AtomicU64; 4],
    /// Calls seen so far.
    calls: AtomicU64,
    /// Faults (or `None`: no fault) for the next calls, in order, before any random pick.
    script: Mutex<std::collections::VecDeque<Option<Fault>>>,
}

impl FaultPlan {
    /// A plan failing `percent` % of calls, picked by a generator seeded with `seed`.
    pub fn new(percent: u32, seed: u64) -> Arc<Self> {
        Arc::new(Self {
            per_mille: AtomicU32::new(percent * 10),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            seed,
            injected: Default::default(),
            calls: AtomicU64::new(0),
            script: Mutex::default(),
        })
    }

    /// A plan that fails exactly as `script` says for the next calls (then none).
    pub fn scripted(script: impl IntoIterator<Item = Option<Fault>>) -> Arc<Self> {
        let plan = Self::new(0, 0);
        plan.script.lock().expect("fault script").extend(script);
        plan
    }

    /// Changes the share of calls that fail (0 turns faults off).
    pub fn set_percent(&self, percent: u32) {
        self.per_mille.store(percent * 10, Ordering::SeqCst);
    }

    /// Faults injected so far: (throttled, conflict, timed out before, timed out after).
    pub fn injected(&self) -> [u64; 4] {
        [0, 1, 2, 3].map(|i| self.injected[i].load(Ordering::SeqCst))
    }

    /// Calls seen so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Whether this call fails, and how; `write` says whether it changes anything.
    fn pick(&self, write: bool) -> Option<Fault> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(scripted) = self.script.lock().expect("fault script").pop_front() {
            return scripted;
        }
        let per_mille = self.per_mille.load(Ordering::SeqCst);
        let mut rng = self.rng.lock().expect("fault generator");
        if rng.random_range(0..1000) >= per_mille {
            return None;
        }
        let fault = if write {
            // The hard case first and most often: the first write fault of a run always loses
            // the answer of a write that took effect, and a third of the later ones do.
            if self.injected[3].load(Ordering::SeqCst) == 0 {
                Fault::TimedOutAfter
            } else {
                [
                    Fault::Throttled,
                    Fault::Conflict,
                    Fault::TimedOutBefore,
                    Fault::TimedOutAfter,
                    Fault::TimedOutAfter,
                    Fault::Conflict,
                ][rng.random_range(0..6)]
            }
        } else {
            [Fault::Throttled, Fault::TimedOutBefore][rng.random_range(0..2)]
        };
        let index = match fault {
            Fault::Throttled => 0,
            Fault::Conflict => 1,
            Fault::TimedOutBefore => 2,
            Fault::TimedOutAfter => 3,
        };
        self.injected[index].fetch_add(1, Ordering::SeqCst);
        Some(fault)
    }
}

fn before(fault: Fault) -> StoreError {
    match fault {
        Fault::Throttled => StoreError::Throttled("injected: throughput exceeded".into()),
        Fault::Conflict => StoreError::Conflict,
        Fault::TimedOutBefore | Fault::TimedOutAfter => StoreError::Unavailable("injected: timed out".into()),
    }
}

/// A store failing the calls its plan picks.
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    plan: Arc<FaultPlan>,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn Store>, plan: Arc<FaultPlan>) -> Self {
        Self { inner, plan }
    }

    async fn read<T>(&self, call: impl std::future::Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        match self.plan.pick(false) {
            Some(fault) => Err(before(fault)),
            None => call.await,
        }
    }

    async fn write<T>(&self, call: impl std::future::Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        match self.plan.pick(true) {
            // The write takes effect; its answer is lost.
            Some(Fault::TimedOutAfter) => call.await.and(Err(StoreError::Unavailable(
                "injected: timed out after the write".into(),
            ))),
            Some(fault) => Err(before(fault)),
            None => call.await,
        }
    }
}

#[async_trait]
impl Store for FaultyStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.read(self.inner.get(key)).await
    }
    async fn get_eventual(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.read(self.inner.get_eventual(key)).await
    }
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.write(self.inner.put(item, condition)).await
    }
    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.write(self.inner.update(key, update, condition)).await
    }
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.write(self.inner.delete(key, condition)).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.read(self.inner.batch_get(keys)).await
    }
    async fn transact(&self, actions: Vec<TxAction>) -> Result<(), StoreError> {
        self.write(self.inner.transact(actions)).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.read(self.inner.query(query)).await
    }
    async fn query_records(&self, query: Query) -> Result<shared::store::record::RecordPage, StoreError> {
        self.read(self.inner.query_records(query)).await
    }
    async fn scan(&self, kind: &str, start: Option<ResumeKey>, limit: u32) -> Result<Page, StoreError> {
        self.read(self.inner.scan(kind, start, limit)).await
    }
}

/// An event bus failing the publishes its plan picks, before or after sending.
pub struct FaultyBus {
    inner: Arc<dyn EventBus>,
    plan: Arc<FaultPlan>,
}

impl FaultyBus {
    pub fn new(inner: Arc<dyn EventBus>, plan: Arc<FaultPlan>) -> Self {
        Self { inner, plan }
    }
}

#[async_trait]
impl EventBus for FaultyBus {
    async fn publish(&self, queue: Queue, event: &Event) -> Result<(), BusError> {
        match self.plan.pick(true) {
            Some(Fault::TimedOutAfter) => {
                self.inner.publish(queue, event).await?;
                Err(BusError::Unavailable("injected: timed out after sending".into()))
            }
            Some(_) => Err(BusError::Unavailable("injected: throttled".into())),
            None => self.inner.publish(queue, event).await,
        }
    }
}
