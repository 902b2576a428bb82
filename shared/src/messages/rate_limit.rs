//! Message rate limiting: at most 30 messages per user per minute, counted in a TTL item
//! whose window starts at the first message, so the window ends by itself (as
//! `users::login_limit` does for failed logins).

use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::store::keys::{self, kind};
use crate::store::{Store, window_counter};

/// Messages allowed per window.
pub const MAX_MESSAGES: i64 = 30;
/// Length of a window, from its first message.
pub const WINDOW_SECS: i64 = 60;

/// Counts one message of `user_id`: `429` with the seconds left in the window when the
/// window already holds [`MAX_MESSAGES`]. The count is an atomic add, so concurrent sends
/// never slip past the limit; two racing first messages resolve through the conditional put.
pub async fn count(store: &dyn Store, user_id: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let key = keys::message_rate(user_id);
    let Some(counted) = window_counter::count(store, &key, kind::MESSAGE_RATE, WINDOW_SECS, now).await? else {
        return Err(ApiError::internal("message counter kept changing under us"));
    };
    if counted.count <= MAX_MESSAGES {
        return Ok(());
    }
    Err(ApiError::RateLimited {
        retry_after_secs: u64::try_from((counted.window_end - now.timestamp()).max(1)).unwrap_or(1),
    })
}
