//! A store that counts the calls made through it: how benchmarks and tests check what a
//! request costs ("store calls per page").

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Condition, Item, Key, Page, Query, ResumeKey, Store, StoreError, TxAction, Update};
use async_trait::async_trait;

/// Counts every call, then passes it on to the wrapped store.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    /// Calls since the counter was last reset.
    pub calls: AtomicU64,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            calls: AtomicU64::new(0),
        }
    }

    /// Calls so far, and resets the count.
    pub fn take(&self) -> u64 {
        self.calls.swap(0, Ordering::SeqCst)
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Store for CountingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.count();
        self.inner.get(key).await
    }
    async fn get_eventual(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.count();
        self.inner.get_eventual(key).await
    }
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.count();
        self.inner.put(item, condition).await
    }
    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.count();
        self.inner.update(key, update, condition).await
    }
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.count();
        self.inner.delete(key, condition).await
    }
    async fn transact(&self, actions: Vec<TxAction>) -> Result<(), StoreError> {
        self.count();
        self.inner.transact(actions).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.count();
        self.inner.query(query).await
    }
    async fn query_records(&self, query: Query) -> Result<super::record::RecordPage, StoreError> {
        self.count();
        self.inner.query_records(query).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.count();
        self.inner.batch_get(keys).await
    }
    async fn scan(&self, kind: &str, start: Option<ResumeKey>, limit: u32) -> Result<Page, StoreError> {
        self.count();
        self.inner.scan(kind, start, limit).await
    }
}
