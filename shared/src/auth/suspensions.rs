//! Which accounts are suspended, as one sandbox sees them: the whole (small) list of
//! suspended users, read from the table at most once every [`REFRESH_SECS`] and kept in
//! memory, so refusing a suspended user's older access tokens costs a set lookup per request
//! and one query per sandbox per minute, not a read per request.
//!
//! The list is the `SUSPENDED` partition (one item per suspended user, written in the
//! suspension's transaction and deleted by the reinstatement's). A sandbox that did not make
//! the change sees it within [`REFRESH_SECS`] by the app's clock; the process that made it
//! sees it at once ([`Suspensions::forget`]).

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::store::keys;
use crate::store::{Index, Query, Store, StoreError};

/// How old the copy may get before it is read again.
pub const REFRESH_SECS: i64 = 60;

/// The sandbox's copy of the suspended users.
#[derive(Debug, Default)]
pub struct Suspensions {
    copy: RwLock<Option<Copy>>,
}

#[derive(Debug, Clone)]
struct Copy {
    /// The app clock's epoch milliseconds when the list was read.
    read_at: i64,
    users: Arc<HashSet<String>>,
}

impl Suspensions {
    pub fn new() -> Self {
        Self::default()
    }

    /// The suspended users as of at most [`REFRESH_SECS`] ago (by `now`), read again when the
    /// copy is older, or from the future (a clock moved back).
    pub async fn current(&self, store: &dyn Store, now: DateTime<Utc>) -> Result<Arc<HashSet<String>>, StoreError> {
        let now_ms = now.timestamp_millis();
        if let Some(users) = self.fresh(now_ms) {
            return Ok(users);
        }
        let users = Arc::new(read(store).await?);
        self.replace(Some(Copy {
            read_at: now_ms,
            users: users.clone(),
        }));
        Ok(users)
    }

    /// Whether `user_id` is suspended (as of at most [`REFRESH_SECS`] ago).
    pub async fn is_suspended(&self, store: &dyn Store, user_id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self.current(store, now).await?.contains(user_id))
    }

    /// Drops the copy: this process has just changed the list, and its next request reads it.
    pub fn forget(&self) {
        self.replace(None);
    }

    fn fresh(&self, now_ms: i64) -> Option<Arc<HashSet<String>>> {
        let guard = match self.copy.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard
            .as_ref()
            .filter(|copy| (0..REFRESH_SECS * 1000).contains(&(now_ms - copy.read_at)))
            .map(|copy| copy.users.clone())
    }

    fn replace(&self, copy: Option<Copy>) {
        match self.copy.write() {
            Ok(mut guard) => *guard = copy,
            Err(poisoned) => *poisoned.into_inner() = copy,
        }
    }
}

/// Every suspended user id, paging through the partition.
async fn read(store: &dyn Store) -> Result<HashSet<String>, StoreError> {
    let mut users = HashSet::new();
    let mut start = None;
    loop {
        let page = store
            .query(
                Query::partition(Index::Table, keys::SUSPENDED_PARTITION)
                    .limit(1000)
                    .start(start),
            )
            .await?;
        for item in page.items {
            if let Some(user_id) = item.attrs.get("userId").and_then(|id| id.as_str()) {
                users.insert(user_id.to_owned());
            }
        }
        match page.next {
            Some(next) => start = Some(next),
            None => return Ok(users),
        }
    }
}
