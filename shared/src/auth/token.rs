//! Access tokens: JWT HS256 with issuer, audience and expiry pinned, and key rotation.
//!
//! Each token names its signing key in the header's `kid` (a short hash of the key, so it
//! says nothing of the key itself). Tokens are signed with the current key; the verifier
//! accepts the current one and, during a rotation's overlap, the previous one. Rotating:
//! deploy the new key as current with the old one as previous; once every token the old key
//! signed has expired (15 minutes), deploy without the previous key, which retires it:
//! tokens it signed are `401` from then on. Tokens without a `kid` (issued before keys had
//! ids) are checked against the current key only.

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

/// A key that verifies tokens, by its id.
struct VerifyingKey {
    kid: String,
    decoding: DecodingKey,
}

/// Issues and verifies access tokens. Keys are derived once, at init.
pub struct AccessTokens {
    encoding: EncodingKey,
    /// The current key's id, written in every token's header.
    kid: String,
    /// The current key first, then the previous one during a rotation.
    verifying: Vec<VerifyingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

/// The public id of a signing key: the first 8 bytes of its SHA-256, in hex.
pub fn key_id(secret: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(secret)[..8])
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
        Self::rotating(secret, None, issuer, audience)
    }

    /// Signs with `current`, and also accepts tokens signed with `previous` (a rotation's
    /// overlap).
    pub fn rotating(
        current: &[u8],
        previous: Option<&[u8]>,
        issuer: &str,
        audience: &str,
    ) -> Result<Self, TokenConfigError> {
        let secret = current;
        if secret.len() < MIN_SECRET_BYTES || previous.is_some_and(|p| p.len() < MIN_SECRET_BYTES) {
            return Err(TokenConfigError::SecretTooShort);
        }
        let mut verifying = vec![VerifyingKey {
            kid: key_id(current),
            decoding: DecodingKey::from_secret(current),
        }];
        if let Some(previous) = previous.filter(|previous| *previous != current) {
            verifying.push(VerifyingKey {
                kid: key_id(previous),
                decoding: DecodingKey::from_secret(previous),
            });
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
            kid: key_id(secret),
            verifying,
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
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(ApiError::internal)
    }

    /// Whether `token` names a key these tokens verify with (or none, meaning the current
    /// one): `false` means it may be signed by a key newer than these.
    pub fn knows_signer_of(&self, token: &str) -> bool {
        match jsonwebtoken::decode_header(token).map(|header| header.kid) {
            Ok(Some(kid)) => self.verifying.iter().any(|key| key.kid == kid),
            Ok(None) | Err(_) => true,
        }
    }

    /// The claims of a valid, unexpired token; anything else is `401`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, ApiError> {
        const INVALID: ApiError = ApiError::Unauthorized("invalid access token");
        let header = jsonwebtoken::decode_header(token).map_err(|_| INVALID)?;
        // The named key (current or previous); no name: the current key (older tokens).
        let key = match header.kid.as_deref() {
            Some(kid) => self.verifying.iter().find(|key| key.kid == kid).ok_or(INVALID)?,
            None => self.verifying.first().ok_or(INVALID)?,
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation).map_err(|_| INVALID)?;
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

    const NEXT: &[u8] = b"the-next-secret-the-next-secret-!";

    #[test]
    fn a_rotation_accepts_the_previous_key_until_it_is_retired() {
        let now = Utc::now();
        let old = tokens().issue("U1", &[Role::Guest], now).unwrap();
        let header = jsonwebtoken::decode_header(&old).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key_id(SECRET).as_str()));
        assert_eq!(key_id(SECRET).len(), 16);

        // The overlap: the new key signs, both verify.
        let overlap = AccessTokens::rotating(NEXT, Some(SECRET), "roost", "roost-api").unwrap();
        assert_eq!(overlap.verify(&old, now).unwrap().sub, "U1");
        let new = overlap.issue("U2", &[Role::Host], now).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&new).unwrap().kid.as_deref(),
            Some(key_id(NEXT).as_str())
        );
        assert_eq!(overlap.verify(&new, now).unwrap().sub, "U2");
        // Before the deploy finished, a sandbox still on the old key refuses the new tokens.
        assert_eq!(tokens().verify(&new, now).unwrap_err().status(), 401);

        // Retired: only the new key.
        let retired = AccessTokens::new(NEXT, "roost", "roost-api").unwrap();
        assert_eq!(retired.verify(&old, now).unwrap_err().status(), 401);
        assert_eq!(retired.verify(&new, now).unwrap().sub, "U2");
    }

    #[test]
    fn a_kid_names_one_key_and_a_token_without_one_meets_the_current_key() {
        let now = Utc::now();
        let claims = Claims {
            iss: "roost".into(),
            aud: "roost-api".into(),
            sub: "U1".into(),
            exp: now.timestamp() + 60,
            iat: now.timestamp(),
            jti: "J".into(),
            roles: vec![Role::Guest],
        };
        let sign = |kid: Option<String>, secret: &[u8]| {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = kid;
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap()
        };
        let overlap = AccessTokens::rotating(NEXT, Some(SECRET), "roost", "roost-api").unwrap();
        // No kid: the current key only.
        assert!(overlap.verify(&sign(None, NEXT), now).is_ok());
        assert!(overlap.verify(&sign(None, SECRET), now).is_err());
        // A kid of an unknown key, or a known kid over another key's signature.
        assert!(
            overlap
                .verify(&sign(Some("0011223344556677".into()), NEXT), now)
                .is_err()
        );
        assert!(overlap.verify(&sign(Some(key_id(SECRET)), NEXT), now).is_err());
        assert!(AccessTokens::rotating(NEXT, Some(b"short"), "roost", "roost-api").is_err());
    }
}
