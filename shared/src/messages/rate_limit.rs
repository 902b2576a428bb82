//! Message rate limiting: at most 30 messages per user per minute, counted in a TTL item
//! whose window starts at the first message, so the window ends by itself (as
//! `users::login_limit` does for failed logins).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, Store, StoreError, Update};

/// Messages allowed per window.
pub const MAX_MESSAGES: i64 = 30;
/// Length of a window, from its first message.
pub const WINDOW_SECS: i64 = 60;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageCount {
    count: i64,
    window_start: DateTime<Utc>,
}

/// Counts one message of `user_id`: `429` with the seconds left in the window when the
/// window already holds [`MAX_MESSAGES`]. The count is an atomic add, so concurrent sends
/// never slip past the limit; two racing first messages resolve through the conditional put.
pub async fn count(store: &dyn Store, user_id: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let key = keys::message_rate(user_id);
    for _ in 0..3 {
        match store
            .update(&key, Update::new().add("count", 1), Condition::Exists)
            .await
        {
            Ok(item) => {
                let counted: MessageCount = item.record()?;
                if counted.count <= MAX_MESSAGES {
                    return Ok(());
                }
                let window_end = item.ttl.unwrap_or(now.timestamp() + WINDOW_SECS);
                return Err(ApiError::RateLimited {
                    retry_after_secs: u64::try_from((window_end - now.timestamp()).max(1)).unwrap_or(1),
                });
            }
            Err(StoreError::ConditionFailed) => {}
            Err(err) => return Err(err.into()),
        }
        let record = MessageCount {
            count: 1,
            window_start: now,
        };
        let item = Item::new(key.clone(), kind::MESSAGE_RATE, &record)?.with_ttl(now.timestamp() + WINDOW_SECS);
        match store.put(item, Condition::Absent).await {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::internal("message counter kept changing under us"))
}
