//! Access tokens: JWT HS256 with issuer, audience and expiry pinned.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::error::ApiError;

/// Access tokens live 15 minutes.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;

/// Shortest accepted signing secret (HS256 wants at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub roles: Vec<Role>,
}

/// Why a signing configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenConfigError {
    #[error("the JWT secret must be at least {MIN_SECRET_BYTES} bytes")]
    SecretTooShort,
}

/// Issues and verifies access tokens. Keys are derived once, at init.
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for AccessTokens {
    // The keys are secrets: never print them, even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokens")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl AccessTokens {
    /// Signs with `secret`; accepts only HS256 tokens from `issuer` for `audience`.
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Result<Self, TokenConfigError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(TokenConfigError::SecretTooShort);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Expiry is checked against the app's clock (which the local API can move), not
        // against the machine's time that jsonwebtoken would read.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// A fresh token for `user_id` with `roles`, valid for [`ACCESS_TOKEN_TTL_SECS`].
    pub fn issue(&self, user_id: &str, roles: &[Role], now: DateTime<Utc>) -> Result<String, ApiError> {
        let iat = now.timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_owned(),
            exp: iat + ACCESS_TOKEN_TTL_SECS,
            iat,
            jti: crate::ids::new_id(),
            roles: roles.to_vec(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(ApiError::internal)
    }

    /// The claims of a valid, unexpired token; anything else is `401`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthorized("invalid access token"))?;
        if data.claims.exp <= now.timestamp() {
            return Err(ApiError::Unauthorized("access token expired"));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn tokens() -> AccessTokens {
        AccessTokens::new(SECRET, "roost", "roost-api").unwrap()
    }

    #[test]
    fn round_trip_and_expiry() {
        let now = Utc::now();
        let token = tokens().issue("U1", &[Role::Guest], now).unwrap();
        let claims = tokens().verify(&token, now).unwrap();
        assert_eq!(claims.sub, "U1");
        assert_eq!(claims.roles, vec![Role::Guest]);
        let later = now + chrono::Duration::seconds(ACCESS_TOKEN_TTL_SECS);
        assert_eq!(tokens().verify(&token, later).unwrap_err().status(), 401);
    }

    #[test]
    fn refuses_other_secrets_issuers_audiences_and_alg_none() {
        let now = Utc::now();
        let other = AccessTokens::new(b"another-secret-another-secret-xx", "roost", "roost-api").unwrap();
        let forged = other.issue("U1", &[Role::Host], now).unwrap();
        assert!(tokens().verify(&forged, now).is_err());

        let wrong_iss = AccessTokens::new(SECRET, "evil", "roost-api")
            .unwrap()
            .issue("U1", &[], now)
            .unwrap();
        assert!(tokens().verify(&wrong_iss, now).is_err());
        let wrong_aud = AccessTokens::new(SECRET, "roost", "other")
            .unwrap()
            .issue("U1", &[], now)
            .unwrap();
        assert!(tokens().verify(&wrong_aud, now).is_err());

        let token = tokens().issue("U1", &[Role::Guest], now).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(tokens().verify(&format!("{none_header}.{payload}."), now).is_err());
        let hs512_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
        let signature = token.split('.').nth(2).unwrap();
        assert!(
            tokens()
                .verify(&format!("{hs512_header}.{payload}.{signature}"), now)
                .is_err()
        );
        assert!(AccessTokens::new(b"short", "roost", "roost-api").is_err());
    }
}
