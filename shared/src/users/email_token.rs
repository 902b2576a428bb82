//! The tokens that emails carry (verification, password reset): 256 random bits, shown once
//! in a link and stored only as their SHA-256, with a `ttl`. A token is used by deleting its
//! item under a version condition inside the transaction of what it allows, so two uses of
//! one token at once succeed once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, Store, StoreError, TxAction};

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    /// How long a token of this purpose lives.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::hours(24),
            Purpose::ResetPassword => Duration::hours(1),
        }
    }
}

/// A token as stored (under the hash of its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    pub purpose: Purpose,
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
}

/// A token found valid, and the action that uses it up (to put in the caller's transaction).
#[derive(Debug)]
pub struct ValidToken {
    pub record: TokenRecord,
    pub use_up: TxAction,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh token value: 32 random bytes, URL-safe base64 (43 characters).
fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Stores a new token of `purpose` for `user_id` and returns its value (the only copy).
pub async fn issue(store: &dyn Store, purpose: Purpose, user_id: &str, now: DateTime<Utc>) -> Result<String, ApiError> {
    let token = generate();
    let expires_at = now + purpose.lifetime();
    let record = TokenRecord {
        purpose,
        user_id: user_id.to_owned(),
        expires_at,
    };
    let item =
        Item::new(keys::email_token(&hash(&token)), kind::EMAIL_TOKEN, &record)?.with_ttl(expires_at.timestamp());
    store.put(item, Condition::Absent).await?;
    Ok(token)
}

/// The live token of `purpose` with value `presented`, or `invalid_token`. A token that does
/// not look like one of ours never reaches the store.
pub async fn check(
    store: &dyn Store,
    purpose: Purpose,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<ValidToken, ApiError> {
    let well_formed = presented.len() == 43
        && presented
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(ApiError::InvalidToken);
    }
    let key = keys::email_token(&hash(presented));
    let Some(item) = store.get(&key).await? else {
        return Err(ApiError::InvalidToken);
    };
    let record: TokenRecord = item.record()?;
    // The table's TTL deletes lazily: the expiry is checked here too.
    if record.purpose != purpose || record.expires_at <= now {
        return Err(ApiError::InvalidToken);
    }
    Ok(ValidToken {
        record,
        use_up: TxAction::Delete {
            key,
            condition: Condition::VersionEquals(item.version),
        },
    })
}

/// Maps the failure of a transaction whose first action used a token: the token was used
/// meanwhile (or expired) is `invalid_token`.
pub fn used_meanwhile(err: StoreError) -> ApiError {
    match err {
        StoreError::TransactionConditionFailed { index: 0 } => ApiError::InvalidToken,
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_and_only_hashes_are_keys() {
        let token = generate();
        assert_eq!(token.len(), 43);
        assert_ne!(token, generate());
        let key = keys::email_token(&hash(&token));
        assert!(!key.pk.contains(&token));
        assert_eq!(key.pk.len(), "EMAILTOKEN#".len() + 64);
    }

    #[test]
    fn lifetimes_follow_the_contract() {
        assert_eq!(Purpose::VerifyEmail.lifetime(), Duration::hours(24));
        assert_eq!(Purpose::ResetPassword.lifetime(), Duration::hours(1));
    }
}
