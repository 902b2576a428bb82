//! Paging cursors: opaque to clients, signed so a modified one is refused (`400`), bound to
//! the list they came from, and short-lived.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::ApiError;

/// How long a cursor stays valid.
pub const CURSOR_TTL_SECS: i64 = 60 * 60;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks cursors with a key of its own (derived, so the token secret's HMACs and
/// the cursors' can never be confused).
#[derive(Clone)]
pub struct CursorKey {
    key: [u8; 32],
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(<redacted>)")
    }
}

#[derive(Serialize, Deserialize)]
struct Sealed<T> {
    /// What list the cursor pages (route and its filters).
    s: String,
    /// Expiry, epoch seconds.
    e: i64,
    /// Where to resume.
    p: T,
}

/// HMAC accepts keys of any length, so this fails only if the library changes its mind.
fn hmac_with(key: &[u8]) -> Result<HmacSha256, ApiError> {
    <HmacSha256 as Mac>::new_from_slice(key).map_err(ApiError::internal)
}

fn bad_cursor() -> ApiError {
    ApiError::bad_request("cursor is malformed, expired or from another query")
}

impl CursorKey {
    /// The cursor key derived from the app's secret.
    pub fn derive(secret: &[u8]) -> Result<Self, ApiError> {
        let mut mac = hmac_with(secret)?;
        mac.update(b"roost paging cursor v1");
        let mut key = [0u8; 32];
        key.copy_from_slice(&mac.finalize().into_bytes());
        Ok(Self { key })
    }

    fn mac(&self, body: &[u8]) -> Result<HmacSha256, ApiError> {
        let mut mac = hmac_with(&self.key)?;
        mac.update(body);
        Ok(mac)
    }

    /// A cursor resuming `position` of the list `scope`.
    pub fn seal<T: Serialize>(&self, scope: &str, position: &T, now: DateTime<Utc>) -> Result<String, ApiError> {
        let body = serde_json::to_vec(&Sealed {
            s: scope.to_owned(),
            e: now.timestamp() + CURSOR_TTL_SECS,
            p: position,
        })
        .map_err(ApiError::internal)?;
        let tag = self.mac(&body)?.finalize().into_bytes();
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&body),
            URL_SAFE_NO_PAD.encode(tag)
        ))
    }

    /// The position in `cursor`, if it is genuine, unexpired and of list `scope`; else `400`.
    pub fn open<T: DeserializeOwned>(&self, cursor: &str, scope: &str, now: DateTime<Utc>) -> Result<T, ApiError> {
        let (body, tag) = cursor.split_once('.').ok_or_else(bad_cursor)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad_cursor())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad_cursor())?;
        // verify_slice compares in constant time.
        self.mac(&body)?.verify_slice(&tag).map_err(|_| bad_cursor())?;
        let sealed: Sealed<T> = serde_json::from_slice(&body).map_err(|_| bad_cursor())?;
        if sealed.s != scope || sealed.e <= now.timestamp() {
            return Err(bad_cursor());
        }
        Ok(sealed.p)
    }

    /// Where a store-paged list resumes: the resume key inside `cursor` (`None` without one).
    pub fn resume(
        &self,
        cursor: Option<&str>,
        scope: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::store::ResumeKey>, ApiError> {
        cursor.map(|cursor| self.open(cursor, scope, now)).transpose()
    }

    /// The cursor of the page after one that ended at `next` (`None` on the last page).
    pub fn next_page(
        &self,
        scope: &str,
        next: Option<crate::store::ResumeKey>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ApiError> {
        next.map(|resume| self.seal(scope, &resume, now)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_tampering_other_lists_and_age() {
        let key = CursorKey::derive(b"secret").unwrap();
        let now = Utc::now();
        let cursor = key.seal("search:CH|zurich", &vec!["a".to_owned()], now).unwrap();
        let back: Vec<String> = key.open(&cursor, "search:CH|zurich", now).unwrap();
        assert_eq!(back, ["a"]);
        assert!(key.open::<Vec<String>>(&cursor, "search:CH|basel", now).is_err());
        let later = now + chrono::Duration::seconds(CURSOR_TTL_SECS);
        assert!(key.open::<Vec<String>>(&cursor, "search:CH|zurich", later).is_err());
        let mut tampered = cursor.clone().into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            key.open::<Vec<String>>(&tampered, "search:CH|zurich", now)
                .unwrap_err()
                .status(),
            400
        );
        assert!(
            CursorKey::derive(b"other")
                .unwrap()
                .open::<Vec<String>>(&cursor, "search:CH|zurich", now)
                .is_err()
        );
        assert!(key.open::<Vec<String>>("garbage", "search:CH|zurich", now).is_err());
    }
}
