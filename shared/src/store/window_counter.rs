//! A counter in a fixed window that starts at its first count and ends by itself: a TTL item
//! `{count, windowStart}` whose `ttl` is the window's end. The count is an atomic add, so
//! concurrent counts never slip past a limit; two racing first counts resolve through the
//! conditional put. Failed logins, messages per minute and reset emails per hour use it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Condition, Item, Key, Store, StoreError, Update};

/// The counter after one more count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub count: i64,
    /// When the window ends (epoch seconds).
    pub window_end: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FirstCount {
    count: i64,
    window_start: DateTime<Utc>,
}

/// Adds one to the counter at `key` (record kind `kind`), opening a window of `window_secs`
/// when there is none; `None` when it kept changing under three attempts.
pub async fn count(
    store: &dyn Store,
    key: &Key,
    kind: &str,
    window_secs: i64,
    now: DateTime<Utc>,
) -> Result<Option<Counted>, StoreError> {
    for _ in 0..3 {
        match store
            .update(key, Update::new().add("count", 1), Condition::Exists)
            .await
        {
            Ok(item) => {
                return Ok(Some(Counted {
                    count: item.attrs.get("count").and_then(|v| v.as_i64()).unwrap_or(i64::MAX),
                    window_end: item.ttl.unwrap_or(now.timestamp() + window_secs),
                }));
            }
            Err(StoreError::ConditionFailed) => {}
            Err(err) => return Err(err),
        }
        let first = FirstCount {
            count: 1,
            window_start: now,
        };
        let window_end = now.timestamp() + window_secs;
        let item = Item::new(key.clone(), kind, &first)?.with_ttl(window_end);
        match store.put(item, Condition::Absent).await {
            Ok(()) => return Ok(Some(Counted { count: 1, window_end })),
            Err(StoreError::ConditionFailed) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(None)
}
