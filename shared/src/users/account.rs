//! Keeping an account: verifying its email, recovering it by email, changing its password.
//!
//! Emails never leave from a request: a request records an event (in the transaction of its
//! change), and the notifications consumer issues the token and sends the email. So a token
//! exists only as its hash in the table and once in the email, and a reset request for an
//! unknown address does exactly what one for a known address does (one write).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::email::Email;
use super::email_token::{self, Purpose};
use super::register::check_password;
use super::{User, find_user, login_limit, profile};
use crate::App;
use crate::auth::{Principal, password};
use crate::error::{ApiError, FieldError, Problems};
use crate::events::{Event, EventType, Queue};
use crate::outbox;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, StoreError, TxAction, Update};

/// The pause between two verification emails of one user.
pub const VERIFY_COOLDOWN_SECS: i64 = 60;

/// Body of `POST /auth/verify-email` and the token part of `POST /auth/password-reset`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The 43-character token of the email's link.
    #[schema(
        required,
        nullable = false,
        min_length = 43,
        max_length = 43,
        pattern = r"^[A-Za-z0-9_-]{43}$"
    )]
    pub token: Option<String>,
}

/// Body of `POST /auth/password-reset/request`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(required, nullable = false, format = Email, min_length = 3, max_length = 254)]
    pub email: Option<String>,
}

/// Body of `POST /auth/password-reset`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The 43-character token of the email's link.
    #[schema(
        required,
        nullable = false,
        min_length = 43,
        max_length = 43,
        pattern = r"^[A-Za-z0-9_-]{43}$"
    )]
    pub token: Option<String>,
    /// 8..128 characters.
    #[schema(required, nullable = false, min_length = 8, max_length = 128)]
    pub password: Option<String>,
}

/// Body of `POST /users/me/password`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PasswordChange {
    #[schema(required, nullable = false, min_length = 1)]
    pub current_password: Option<String>,
    /// 8..128 characters.
    #[schema(required, nullable = false, min_length = 8, max_length = 128)]
    pub new_password: Option<String>,
}

/// The FIFO group of a reset request: a hash, so the queue's group ids name no address (the
/// other account events are grouped by user).
fn address_group(folded: &str) -> String {
    format!("reset-{}", &hex::encode(Sha256::digest(folded.as_bytes()))[..32])
}

/// Records `event` on the notifications queue together with `actions`, commits, publishes.
async fn commit_with_event(app: &App, mut actions: Vec<TxAction>, event: Event) -> Result<(), StoreError> {
    let recorded = [(Queue::Notifications, event)];
    actions.extend(outbox::record(app.clock.as_ref(), &recorded)?);
    app.store.transact(actions).await?;
    outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
    Ok(())
}

/// The event that sends a new account its first verification email (part of registration's
/// transaction).
pub fn registered_event(user: &User) -> Event {
    Event::new(
        EventType::UserRegistered,
        &user.id,
        user.created_at,
        serde_json::json!({ "userId": user.id }),
    )
}

/// `POST /auth/verify-email/request`: another verification email, at most one a minute;
/// `409` once verified.
pub async fn request_verification(app: &App, principal: &Principal) -> Result<(), ApiError> {
    let user = profile::me(app, principal).await?;
    if user.email_verified {
        return Err(ApiError::conflict("email is already verified"));
    }
    let now = app.clock.now();
    let until = now.timestamp() + VERIFY_COOLDOWN_SECS;
    let cooldown = Item::new(
        keys::verify_cooldown(&user.id),
        kind::VERIFY_COOLDOWN,
        &serde_json::json!({ "userId": user.id }),
    )?
    .with_ttl(until);
    let actions = vec![TxAction::Put {
        item: cooldown,
        condition: Condition::Absent,
    }];
    let event = Event::new(
        EventType::EmailVerificationRequested,
        &user.id,
        now,
        serde_json::json!({ "userId": user.id }),
    );
    match commit_with_event(app, actions, event).await {
        Ok(()) => Ok(()),
        Err(StoreError::TransactionConditionFailed { index: 0 }) => {
            let left = match app.store.get(&keys::verify_cooldown(&user.id)).await? {
                Some(item) => item.ttl.unwrap_or(until) - now.timestamp(),
                None => 1,
            };
            Err(ApiError::RateLimited {
                retry_after_secs: left.clamp(1, VERIFY_COOLDOWN_SECS) as u64,
            })
        }
        Err(err) => Err(err.into()),
    }
}

/// `POST /auth/verify-email`: uses a verification token; the user, now verified.
pub async fn verify_email(app: &App, request: VerifyEmailRequest) -> Result<User, ApiError> {
    let mut problems = Problems::new();
    let token = problems.required("token", request.token);
    problems.finish()?;
    let token = token.ok_or_else(|| ApiError::internal("validation passed without a token"))?;
    let now = app.clock.now();
    let valid = email_token::check(app.store.as_ref(), Purpose::VerifyEmail, &token, now).await?;
    let user_key = keys::user(&valid.record.user_id);
    let actions = vec![
        valid.use_up,
        TxAction::Update {
            key: user_key,
            update: Update::new().set("emailVerified", true),
            condition: Condition::Exists,
        },
    ];
    match app.store.transact(actions).await {
        Ok(()) => {}
        // The account is gone: its token is as good as unknown.
        Err(StoreError::TransactionConditionFailed { index: 1 }) => return Err(ApiError::InvalidToken),
        Err(err) => return Err(email_token::used_meanwhile(err)),
    }
    find_user(app.store.as_ref(), &valid.record.user_id)
        .await?
        .ok_or(ApiError::InvalidToken)
}

/// `POST /auth/password-reset/request`: `202` for any well-formed address. The same single
/// write happens for a known and an unknown address; whether an email goes out (an account,
/// and fewer than 3 this hour) is the notifications consumer's business.
pub async fn request_reset(app: &App, request: ResetRequest) -> Result<(), ApiError> {
    let mut problems = Problems::new();
    let email = problems
        .required("email", request.email)
        .and_then(|raw| problems.check("email", Email::parse(&raw)));
    problems.finish()?;
    let email = email.ok_or_else(|| ApiError::internal("validation passed without an email"))?;
    let folded = email.folded();
    let event = Event::new(
        EventType::PasswordResetRequested,
        address_group(&folded),
        app.clock.now(),
        serde_json::json!({ "email": folded }),
    );
    commit_with_event(app, Vec::new(), event).await?;
    Ok(())
}

/// The writes of a new password: the hash, a new session epoch (every refresh family of the
/// user stops working), the failed-login lock cleared, and the "password changed" email.
fn new_password_actions(user: &User, hash: String, condition: Condition) -> Vec<TxAction> {
    vec![
        TxAction::Update {
            key: keys::user(&user.id),
            update: Update::new().set("passwordHash", hash).add("sessionEpoch", 1),
            condition,
        },
        TxAction::Delete {
            key: keys::login_failures(&user.email.to_lowercase()),
            condition: Condition::Always,
        },
    ]
}

fn password_changed_event(user: &User, now: DateTime<Utc>) -> Event {
    Event::new(
        EventType::PasswordChanged,
        &user.id,
        now,
        serde_json::json!({ "userId": user.id }),
    )
}

/// `POST /auth/password-reset`: uses a reset token to set a new password.
pub async fn reset_password(app: &App, request: PasswordReset) -> Result<(), ApiError> {
    let mut problems = Problems::new();
    let token = problems.required("token", request.token);
    let new = problems
        .required("password", request.password)
        .and_then(|raw| problems.check("password", check_password(raw)));
    problems.finish()?;
    let (Some(token), Some(new)) = (token, new) else {
        return Err(ApiError::internal("validation passed with a missing field"));
    };
    let now = app.clock.now();
    let valid = email_token::check(app.store.as_ref(), Purpose::ResetPassword, &token, now).await?;
    let user = find_user(app.store.as_ref(), &valid.record.user_id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let hash = password::hash(new).await?;
    let mut actions = vec![valid.use_up];
    actions.extend(new_password_actions(&user, hash, Condition::Exists));
    match commit_with_event(app, actions, password_changed_event(&user, now)).await {
        Ok(()) => {
            tracing::info!(user_id = %user.id, "password reset");
            Ok(())
        }
        Err(err) => Err(email_token::used_meanwhile(err)),
    }
}

/// `POST /users/me/password`: a wrong current password is `422` naming it, and counts as a
/// failed login (so the lock-out of login guards this door too).
pub async fn change_password(app: &App, principal: &Principal, request: PasswordChange) -> Result<(), ApiError> {
    let mut problems = Problems::new();
    let current = problems.required("currentPassword", request.current_password);
    let new = problems
        .required("newPassword", request.new_password)
        .and_then(|raw| problems.check("newPassword", check_password(raw)));
    problems.finish()?;
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::internal("validation passed with a missing field"));
    };
    let now = app.clock.now();
    let Some(item) = app.store.get(&keys::user(&principal.user_id)).await? else {
        return Err(ApiError::Unauthorized("user no longer exists"));
    };
    let user: User = item.record()?;
    let folded = user.email.to_lowercase();
    login_limit::ensure_allowed(app.store.as_ref(), &folded, now).await?;
    if !password::verify(current, user.password_hash.clone()).await? {
        login_limit::record_failure(app.store.as_ref(), &folded, now).await?;
        return Err(ApiError::Validation(vec![FieldError::new(
            "currentPassword",
            "is not your current password",
        )]));
    }
    let hash = password::hash(new).await?;
    // Conditioned on the version read: a reset or change in between wins, and this one retries.
    let actions = new_password_actions(&user, hash, Condition::VersionEquals(item.version));
    match commit_with_event(app, actions, password_changed_event(&user, now)).await {
        Ok(()) => {
            tracing::info!(user_id = %user.id, "password changed");
            Ok(())
        }
        Err(StoreError::TransactionConditionFailed { index: 0 }) => {
            Err(ApiError::conflict("your password was changed meanwhile; try again"))
        }
        Err(err) => Err(err.into()),
    }
}
