//! Sessions: login (a new token family), refresh (rotation with reuse detection) and logout.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::email::Email;
use super::register::EmailClaim;
use super::{User, find_user, login_limit};
use crate::App;
use crate::auth::refresh::{self, RefreshTokenRecord};
use crate::auth::token::{ACCESS_TOKEN_TTL_SECS, AccessTokens};
use crate::auth::{Principal, password};
use crate::error::{ApiError, Problems};
use crate::store::keys;
use crate::store::{Condition, StoreError, TxAction, Update};

const BAD_CREDENTIALS: ApiError = ApiError::Unauthorized("invalid email or password");
const BAD_REFRESH: ApiError = ApiError::Unauthorized("invalid refresh token");

/// Body of `POST /auth/login`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(required, nullable = false, min_length = 1)]
    pub email: Option<String>,
    #[schema(required, nullable = false, min_length = 1)]
    pub password: Option<String>,
}

/// Body of `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshRequest {
    #[schema(required, nullable = false)]
    pub refresh_token: Option<String>,
}

/// What login and refresh answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// Signs a user in: `401` for a wrong password or unknown email alike (same work either
/// way), `429` once the email has used up its failures, whatever the password.
pub async fn login(app: &App, request: LoginRequest) -> Result<TokenPair, ApiError> {
    let mut problems = Problems::new();
    let email = problems.required("email", request.email);
    let password = problems.required("password", request.password);
    problems.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::internal("validation passed with a missing field"));
    };
    let now = app.clock.now();
    // A malformed address cannot be registered; it still goes through the same steps so the
    // answer and its timing match those of any other unknown email.
    let folded = Email::parse(&email).map_or_else(|_| email.trim().to_lowercase(), |e| e.folded());
    login_limit::ensure_allowed(app.store.as_ref(), &folded, now).await?;

    let user = match app.store.get(&keys::email_claim(&folded)).await? {
        Some(claim) => find_user(app.store.as_ref(), &claim.record::<EmailClaim>()?.user_id).await?,
        None => None,
    };
    let stored_hash = user
        .as_ref()
        .map_or_else(|| password::DECOY_HASH.to_owned(), |u| u.password_hash.clone());
    let matches = password::verify(password, stored_hash).await?;
    let Some(user) = user.filter(|_| matches) else {
        login_limit::record_failure(app.store.as_ref(), &folded, now).await?;
        return Err(BAD_CREDENTIALS);
    };
    // Only the right password learns that the account is suspended.
    user.ensure_active()?;
    start_family(app, &user, now).await
}

/// A new family with its first refresh token, and an access token.
async fn start_family(app: &App, user: &User, now: DateTime<Utc>) -> Result<TokenPair, ApiError> {
    let family_id = crate::ids::new_id();
    let token = refresh::generate();
    let actions = vec![
        TxAction::Put {
            item: refresh::family_item(&family_id, &user.id, now)?,
            condition: Condition::Absent,
        },
        TxAction::Put {
            item: refresh::token_item(&token, &user.id, &family_id, user.session_epoch, now)?,
            condition: Condition::Absent,
        },
    ];
    // Read before the write, so that a key that cannot be read leaves nothing written.
    let signing = app.signing_keys().await?;
    app.store.transact(actions).await?;
    token_pair(&signing.tokens, user, token, now)
}

fn token_pair(
    tokens: &AccessTokens,
    user: &User,
    refresh_token: String,
    now: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    Ok(TokenPair {
        access_token: tokens.issue(&user.id, &user.roles, now)?,
        refresh_token,
        token_type: "Bearer".to_owned(),
        expires_in: ACCESS_TOKEN_TTL_SECS,
    })
}

fn required_token(request: RefreshRequest) -> Result<String, ApiError> {
    let mut problems = Problems::new();
    let token = problems.required("refreshToken", request.refresh_token);
    problems.finish()?;
    token.ok_or_else(|| ApiError::internal("validation passed with a missing field"))
}

/// Exchanges a refresh token for a new pair. The old token stops working; presenting it
/// again revokes its whole family (someone else may hold a copy).
pub async fn refresh(app: &App, request: RefreshRequest) -> Result<TokenPair, ApiError> {
    let presented = required_token(request)?;
    let now = app.clock.now();
    let key = keys::refresh_token(&refresh::token_hash(&presented));
    let Some(item) = app.store.get(&key).await? else {
        return Err(BAD_REFRESH);
    };
    let record: RefreshTokenRecord = item.record()?;
    if record.used_at.is_some() {
        revoke_family(app, &record.family_id).await?;
        return Err(BAD_REFRESH);
    }
    let Some(user) = find_user(app.store.as_ref(), &record.user_id).await? else {
        return Err(BAD_REFRESH);
    };
    user.ensure_active()?;
    // Issued before the latest password reset or change: revoked with every other family.
    if record.epoch != user.session_epoch {
        return Err(BAD_REFRESH);
    }

    let next = refresh::generate();
    let actions = vec![
        TxAction::Update {
            key,
            update: Update::new().set("usedAt", serde_json::to_value(now).map_err(ApiError::internal)?),
            condition: Condition::VersionEquals(item.version),
        },
        TxAction::Update {
            key: keys::token_family(&record.family_id),
            update: Update::new().ttl(Some(now.timestamp() + refresh::REFRESH_TOKEN_TTL_SECS)),
            condition: Condition::attribute_equals("revoked", false),
        },
        TxAction::Put {
            item: refresh::token_item(&next, &user.id, &record.family_id, record.epoch, now)?,
            condition: Condition::Absent,
        },
    ];
    let signing = app.signing_keys().await?;
    match app.store.transact(actions).await {
        Ok(()) => token_pair(&signing.tokens, &user, next, now),
        // Another request used this token between our read and write: a reuse.
        Err(StoreError::TransactionConditionFailed { index: 0 }) => {
            revoke_family(app, &record.family_id).await?;
            Err(BAD_REFRESH)
        }
        // The family was revoked (logout or an earlier reuse).
        Err(StoreError::TransactionConditionFailed { index: 1 }) => Err(BAD_REFRESH),
        Err(err) => Err(err.into()),
    }
}

/// Signs out: revokes the family of the given refresh token. Unknown or expired tokens are
/// already unusable, so that is a success too; another user's token is `403`.
pub async fn logout(app: &App, principal: &Principal, request: RefreshRequest) -> Result<(), ApiError> {
    let presented = required_token(request)?;
    let key = keys::refresh_token(&refresh::token_hash(&presented));
    let Some(item) = app.store.get(&key).await? else {
        return Ok(());
    };
    let record: RefreshTokenRecord = item.record()?;
    if record.user_id != principal.user_id {
        return Err(ApiError::Forbidden("that refresh token belongs to another user"));
    }
    revoke_family(app, &record.family_id).await
}

async fn revoke_family(app: &App, family_id: &str) -> Result<(), ApiError> {
    let key = keys::token_family(family_id);
    match app
        .store
        .update(&key, Update::new().set("revoked", true), Condition::Exists)
        .await
    {
        // A family that expired has no live token left to revoke.
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(err) => Err(err.into()),
    }
}
