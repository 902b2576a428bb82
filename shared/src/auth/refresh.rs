//! Refresh tokens: opaque, single use, 30 days, grouped in families (every token descended
//! from one login). Only their SHA-256 is stored, so a leaked table leaks no usable token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::keys::{self, kind};
use crate::store::{Item, StoreError};

/// Refresh tokens live 30 days.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 30 * 24 * 60 * 60;

/// A refresh token as the client holds it: `rt_` and 256 random bits.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("rt_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The stored record of one refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshTokenRecord {
    pub user_id: String,
    pub family_id: String,
    pub issued_at: DateTime<Utc>,
    /// Set when the token was exchanged; a second use revokes the family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<DateTime<Utc>>,
    /// The user's session epoch when the family began: a password reset or change raises
    /// the user's, and every older token stops working.
    #[serde(default)]
    pub epoch: u64,
}

/// The stored record of a token family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenFamilyRecord {
    pub user_id: String,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
}

/// The item of a new refresh token `token` of `family_id`.
pub fn token_item(
    token: &str,
    user_id: &str,
    family_id: &str,
    epoch: u64,
    now: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let record = RefreshTokenRecord {
        user_id: user_id.to_owned(),
        family_id: family_id.to_owned(),
        issued_at: now,
        used_at: None,
        epoch,
    };
    Ok(
        Item::new(keys::refresh_token(&token_hash(token)), kind::REFRESH_TOKEN, &record)?
            .with_ttl(now.timestamp() + REFRESH_TOKEN_TTL_SECS),
    )
}

/// The item of a new family, living as long as its newest token.
pub fn family_item(family_id: &str, user_id: &str, now: DateTime<Utc>) -> Result<Item, StoreError> {
    let record = TokenFamilyRecord {
        user_id: user_id.to_owned(),
        created_at: now,
        revoked: false,
    };
    Ok(Item::new(keys::token_family(family_id), kind::TOKEN_FAMILY, &record)?
        .with_ttl(now.timestamp() + REFRESH_TOKEN_TTL_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_stored() {
        let a = generate();
        assert!(a.starts_with("rt_") && a.len() == 46);
        assert_ne!(a, generate());
        let item = token_item(&a, "U", "F", 0, Utc::now()).unwrap();
        assert!(!item.key.pk.contains(&a[3..]));
        assert_eq!(item.key.pk, format!("REFRESH#{}", token_hash(&a)));
    }
}
