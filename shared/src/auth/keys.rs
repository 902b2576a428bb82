//! The keys a process signs with: access tokens and paging cursors, both from one secret.
//!
//! In Lambda they come from the Secrets Manager secret named by `JWT_KEYS_SECRET_ARN`, whose
//! value is `{"current": "...", "previous": "..."}` (`previous` empty or absent outside a
//! rotation; docs/operations.md, "Rotating the JWT key"). The local API and tests build them
//! from their own secret ([`SigningKeys::from_settings`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::token::{AccessTokens, Claims};
use crate::app::{ConfigError, Settings};
use crate::cursor::CursorKey;
use crate::error::ApiError;
use crate::secrets::{Parse, Secret};

/// The environment variable naming the JWT keys' secret (an ARN or a name).
pub const JWT_KEYS_SECRET_ENV: &str = "JWT_KEYS_SECRET_ARN";

/// Token and cursor keys derived from one version of the secret.
#[derive(Debug)]
pub struct SigningKeys {
    pub tokens: AccessTokens,
    /// Derived from the current key: a rotation ends the cursors handed out before it (a
    /// client asking for the next page then gets `400` and starts the list again).
    pub cursors: CursorKey,
}

#[derive(Deserialize)]
struct KeysSecret {
    current: String,
    #[serde(default)]
    previous: Option<String>,
}

impl SigningKeys {
    /// Keys from the settings' current and previous secrets.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        Self::derive(
            &settings.jwt_secret,
            settings.jwt_previous_secret.as_deref(),
            &settings.jwt_issuer,
            &settings.jwt_audience,
        )
    }

    fn derive(current: &[u8], previous: Option<&[u8]>, issuer: &str, audience: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            tokens: AccessTokens::rotating(current, previous, issuer, audience)?,
            cursors: CursorKey::derive(current).map_err(|err| ConfigError::Invalid(err.to_string()))?,
        })
    }

    /// Reads the secret's JSON value into keys for `issuer` and `audience`.
    pub fn parser(issuer: String, audience: String) -> Parse<Self> {
        Box::new(move |text| {
            // serde's message names the field, never the value.
            let secret: KeysSecret =
                serde_json::from_str(text).map_err(|err| format!("expected {{\"current\", \"previous\"}}: {err}"))?;
            let previous = secret.previous.as_deref().filter(|previous| !previous.is_empty());
            Self::derive(
                secret.current.as_bytes(),
                previous.map(str::as_bytes),
                &issuer,
                &audience,
            )
            .map_err(|err| err.to_string())
        })
    }
}

/// The app's signing keys, fixed or read from Secrets Manager.
pub type Keys = Secret<SigningKeys>;

/// The keys to sign with now (`503` if a first read of the secret fails).
pub async fn current(keys: &Keys) -> Result<Arc<SigningKeys>, ApiError> {
    Ok(keys.get().await?)
}

/// The claims of a valid access token. A token signed by a key the cached keys do not know
/// may come from a rotation this sandbox has not seen yet: the keys are read again once
/// (rate-limited, see [`crate::secrets::Managed::refresh`]) before the token is refused.
pub async fn verify(keys: &Keys, token: &str, now: DateTime<Utc>) -> Result<Claims, ApiError> {
    let cached = current(keys).await?;
    match cached.tokens.verify(token, now) {
        Err(err) if !cached.tokens.knows_signer_of(token) => match keys.refreshed(&cached).await? {
            Some(fresh) => fresh.tokens.verify(token, now),
            None => Err(err),
        },
        verified => verified,
    }
}
