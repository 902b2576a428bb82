//! Failed-login limiting: 5 failures per email within a 15-minute window, kept in a TTL item
//! so the window ends by itself.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::ApiError;
use crate::store::keys::{self, kind};
use crate::store::{Store, window_counter};

/// Failures allowed per window.
pub const MAX_FAILURES: i64 = 5;
/// Length of a window, from its first failure.
pub const WINDOW_SECS: i64 = 15 * 60;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginFailures {
    count: i64,
}

/// `429` with the seconds left in the window when `folded_email` used up its failures.
pub async fn ensure_allowed(store: &dyn Store, folded_email: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let Some(item) = store.get(&keys::login_failures(folded_email)).await? else {
        return Ok(());
    };
    let failures: LoginFailures = item.record()?;
    if failures.count < MAX_FAILURES {
        return Ok(());
    }
    let window_end = item.ttl.unwrap_or(now.timestamp() + WINDOW_SECS);
    Err(ApiError::RateLimited {
        retry_after_secs: (window_end - now.timestamp()).max(1) as u64,
    })
}

/// Counts one failed login. Opens a window when none is live; two racing first failures
/// resolve through the conditional put (the loser adds to the winner's count).
pub async fn record_failure(store: &dyn Store, folded_email: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let key = keys::login_failures(folded_email);
    match window_counter::count(store, &key, kind::LOGIN_FAILURES, WINDOW_SECS, now).await? {
        Some(_) => Ok(()),
        // Every attempt met a concurrent writer: transient, as a collided transaction is.
        None => Err(ApiError::unavailable("login failure counter kept changing under us")),
    }
}
