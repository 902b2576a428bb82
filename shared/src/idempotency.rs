//! `Idempotency-Key`: the same key with the same body within 24 h gets the first answer again
//! and does nothing twice; the same key with another body is `422`.
//!
//! The record of the answer is written in the same transaction as the work it answers for
//! (with an "absent" condition), so two concurrent requests with one key cannot both do the
//! work: the second transaction fails on the record and that request answers from it.
//! Only successful answers are recorded: a failed request changed nothing, so running it
//! again is safe and answers from the state of that moment.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::App;
use crate::error::{ApiError, FieldError};
use crate::http::Request;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, Key, StoreError, TxAction};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Longest key accepted.
pub const MAX_KEY_CHARS: usize = 255;
/// How long an answer is kept.
pub const RETENTION: Duration = Duration::hours(24);

/// An answer as recorded and replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAnswer {
    pub status: u16,
    /// The JSON body, exactly as first sent.
    pub body: String,
}

impl StoredAnswer {
    /// The `id` of the resource the answer shows (what callers in process, such as the
    /// benchmarks, need from a `201`).
    pub fn id(&self) -> Option<String> {
        let body: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        body.get("id")?.as_str().map(str::to_owned)
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdempotencyRecord {
    request_hash: String,
    answer: StoredAnswer,
}

/// What to do with a request.
#[derive(Debug)]
pub enum Begin {
    /// Answer with this, do nothing else.
    Replay(StoredAnswer),
    /// Do the work; with a key, record the answer through [`Claim::record`] in its transaction.
    Proceed(Option<Claim>),
}

/// The right to record the answer of a keyed request.
#[derive(Debug, Clone)]
pub struct Claim {
    key: Key,
    request_hash: String,
}

/// A key as a client gave it (the header, or a GraphQL `idempotencyKey` named `field`):
/// 1..=255 visible ASCII characters, else `400` naming `field`.
pub fn parse_key<'a>(raw: &'a str, field: &str) -> Result<&'a str, ApiError> {
    if raw.is_empty() || raw.len() > MAX_KEY_CHARS || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest {
            message: format!("{field} must be 1..255 visible ASCII characters"),
            details: vec![FieldError::new(field, "must be 1..255 visible ASCII characters")],
        });
    }
    Ok(raw)
}

/// The `Idempotency-Key` of `req`, if it has one.
pub fn header_key(req: &Request) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let raw = value.to_str().map_err(|_| ApiError::BadRequest {
        message: "Idempotency-Key must be 1..255 visible ASCII characters".to_owned(),
        details: vec![FieldError::new(
            "Idempotency-Key",
            "must be 1..255 visible ASCII characters",
        )],
    })?;
    parse_key(raw, "Idempotency-Key").map(Some)
}

/// The `422` of a key sent again with another request body.
pub fn key_reused() -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        "Idempotency-Key",
        "was already used with a different request body",
    )])
}

/// A digest naming one keyed request (`key` of `user_id` on `route`) without keeping the key:
/// what a move records so that the same request sent again is recognised.
pub fn request_id(user_id: &str, route: &str, key: &str) -> String {
    let digest = Sha256::digest(keys::idempotency(user_id, route, key).pk.as_bytes());
    hex::encode(&digest[..16])
}

/// A digest of the request's input as parsed: formatting and key order of the body never
/// matter, and REST and GraphQL requests meaning the same input are the same request.
fn request_hash<T: Serialize>(input: &T) -> Result<String, ApiError> {
    let canonical = serde_json::to_value(input).map_err(ApiError::internal)?.to_string();
    Ok(hex::encode(Sha256::digest(canonical.as_bytes())))
}

/// Looks up `key` (already parsed) of `user_id` on `route` (e.g. `POST /bookings`), for a
/// request whose input is `input`.
pub async fn begin<T: Serialize>(
    app: &App,
    key: Option<&str>,
    input: &T,
    user_id: &str,
    route: &str,
) -> Result<Begin, ApiError> {
    let Some(key) = key else {
        return Ok(Begin::Proceed(None));
    };
    let claim = Claim {
        key: keys::idempotency(user_id, route, key),
        request_hash: request_hash(input)?,
    };
    match claim.recorded(app).await? {
        Some(answer) => Ok(Begin::Replay(answer)),
        None => Ok(Begin::Proceed(Some(claim))),
    }
}

impl Claim {
    /// A stable digest of the user, route and key: what a retry of the same request shares
    /// with the first try (e.g. to derive the payment provider's own idempotency key).
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.key.pk.as_bytes());
        hex::encode(&digest[..16])
    }

    /// The transaction action recording `answer` (fails the transaction if the key was
    /// recorded meanwhile).
    pub fn record(&self, answer: &StoredAnswer, now: DateTime<Utc>) -> Result<TxAction, StoreError> {
        let record = IdempotencyRecord {
            request_hash: self.request_hash.clone(),
            answer: answer.clone(),
        };
        let item = Item::new(self.key.clone(), kind::IDEMPOTENCY, &record)?.with_ttl((now + RETENTION).timestamp());
        Ok(TxAction::Put {
            item,
            condition: Condition::Absent,
        })
    }

    /// The answer recorded under this key: `None` if there is none, `422` if it answers a
    /// different body.
    pub async fn recorded(&self, app: &App) -> Result<Option<StoredAnswer>, ApiError> {
        let Some(item) = app.store.get(&self.key).await? else {
            return Ok(None);
        };
        let record: IdempotencyRecord = item.record()?;
        if record.request_hash != self.request_hash {
            return Err(key_reused());
        }
        Ok(Some(record.answer))
    }

    /// After the transaction failed on the record: the concurrent request's answer.
    pub async fn answer_of_concurrent_request(&self, app: &App) -> Result<StoredAnswer, ApiError> {
        self.recorded(app)
            .await?
            .ok_or_else(|| ApiError::conflict("a request with this Idempotency-Key is in progress; try again"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_input_hashes_equal_whatever_its_layout() {
        let parse = |raw: &str| serde_json::from_str::<serde_json::Value>(raw).unwrap();
        assert_eq!(
            request_hash(&parse(r#"{"a":1,"b":[2,3]}"#)).unwrap(),
            request_hash(&parse("{ \"b\": [2, 3],\n \"a\": 1 }")).unwrap()
        );
        assert_ne!(
            request_hash(&parse(r#"{"a":1}"#)).unwrap(),
            request_hash(&parse(r#"{"a":2}"#)).unwrap()
        );
    }

    #[test]
    fn keys_are_visible_ascii_of_1_to_255() {
        assert!(parse_key("k-1", "idempotencyKey").is_ok());
        for bad in ["", "with space", "é", &"k".repeat(256)] {
            let err = parse_key(bad, "idempotencyKey").unwrap_err();
            assert_eq!(err.status(), 400);
        }
    }
}
