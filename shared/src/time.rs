//! Timestamps as the API writes them: RFC 3339 in UTC, whole seconds (`2026-11-24T15:00:00Z`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// Serialises an instant as RFC 3339 UTC with whole seconds.
pub fn rfc3339<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339_text(*at))
}

/// An instant as the API writes it.
pub fn rfc3339_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Like [`rfc3339`] for an optional instant (`null` when absent).
pub fn rfc3339_opt<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// Fixed-width RFC 3339 with milliseconds: lexical order is time order (for sort keys).
pub fn sortable(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
