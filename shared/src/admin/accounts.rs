//! Accounts as admins see and moderate them: find by email, suspend, reinstate.
//!
//! A suspension is one transaction: the user's `suspendedAt` (login and refresh refuse it),
//! a new session epoch (every refresh token stops working, for good), the user's entry in the
//! `SUSPENDED` partition (which every sandbox reads at most once a minute to refuse older
//! access tokens, see [`crate::auth::suspensions`]) and the audit entry.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AuditAction, AuditEntry, ReasonInput, reason};
use crate::App;
use crate::auth::Principal;
use crate::error::{ApiError, Problems};
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, StoreError, TxAction, Update};
use crate::users::email::Email;
use crate::users::register::EmailClaim;
use crate::users::{User, UserView, find_user};

const NOT_FOUND: ApiError = ApiError::NotFound("user not found");

/// Whether an account may act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Active,
    Suspended,
}

/// A user as an admin sees them: the own-profile view plus the account's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminUserView {
    #[serde(flatten)]
    pub user: UserView,
    pub status: AccountStatus,
    /// When the current suspension began (`null` while active).
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub suspended_at: Option<DateTime<Utc>>,
}

impl From<&User> for AdminUserView {
    fn from(user: &User) -> Self {
        Self {
            user: UserView::from(user),
            status: match user.suspended_at {
                Some(_) => AccountStatus::Suspended,
                None => AccountStatus::Active,
            },
            suspended_at: user.suspended_at,
        }
    }
}

/// The user registered with `email` (exact, case-insensitive), as a list of at most one.
pub async fn find_by_email(app: &App, admin: &Principal, email: Option<&str>) -> Result<Vec<User>, ApiError> {
    admin.ensure_admin()?;
    let mut problems = Problems::new();
    let raw = problems.required("email", email.map(str::trim).filter(|raw| !raw.is_empty()));
    problems.finish()?;
    let raw = raw.ok_or_else(|| ApiError::internal("validation passed without an email"))?;
    // An address that could not have been registered matches nobody.
    let Ok(email) = Email::parse(raw) else {
        return Ok(Vec::new());
    };
    let Some(claim) = app.store.get(&keys::email_claim(&email.folded())).await? else {
        return Ok(Vec::new());
    };
    let user_id = claim.record::<EmailClaim>()?.user_id;
    Ok(find_user(app.store.as_ref(), &user_id).await?.into_iter().collect())
}

/// The entry of a suspended user in the list every sandbox reads.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Suspension<'a> {
    user_id: &'a str,
    #[serde(serialize_with = "crate::time::rfc3339")]
    since: DateTime<Utc>,
}

/// A user by id with the item's version, or `404`.
async fn load(app: &App, user_id: &str) -> Result<(User, Item), ApiError> {
    if ulid::Ulid::from_string(user_id).is_err() {
        return Err(NOT_FOUND);
    }
    let item = app.store.get(&keys::user(user_id)).await?.ok_or(NOT_FOUND)?;
    Ok((item.record()?, item))
}

/// Suspends an account (`409` when it already is, or is the admin's own).
pub async fn suspend(
    app: &App,
    admin: &Principal,
    user_id: &str,
    input: Option<ReasonInput>,
) -> Result<User, ApiError> {
    admin.ensure_admin()?;
    let why = reason(AuditAction::SuspendUser, input)?;
    if user_id == admin.user_id {
        return Err(ApiError::conflict("an admin cannot suspend their own account"));
    }
    if ulid::Ulid::from_string(user_id).is_err() {
        return Err(NOT_FOUND);
    }
    let now = app.clock.now();
    let since = serde_json::to_value(now).map_err(ApiError::internal)?;
    let actions = vec![
        TxAction::Update {
            key: keys::user(user_id),
            update: Update::new().set("suspendedAt", since).add("sessionEpoch", 1),
            condition: Condition::AttributeAbsent("suspendedAt".to_owned()),
        },
        TxAction::Put {
            item: Item::new(
                keys::suspension(user_id),
                kind::SUSPENSION,
                &Suspension { user_id, since: now },
            )?,
            condition: Condition::Always,
        },
        AuditEntry::new(admin, AuditAction::SuspendUser, user_id, why, now).record()?,
    ];
    let user = commit(app, user_id, actions, "the account is already suspended").await?;
    tracing::info!(user_id, admin_id = %admin.user_id, "account suspended");
    Ok(user)
}

/// Commits a suspension's or reinstatement's `actions` (the user's write first), makes this
/// process see the change at once, and answers the user as written. The user's condition
/// failing is `404` when there is no such user, else the `409` of `conflict`.
async fn commit(app: &App, user_id: &str, actions: Vec<TxAction>, conflict: &'static str) -> Result<User, ApiError> {
    match app.store.transact(actions).await {
        Ok(()) => {}
        Err(StoreError::TransactionConditionFailed { index: 0 }) => {
            load(app, user_id).await?;
            return Err(ApiError::conflict(conflict));
        }
        Err(err) => return Err(err.into()),
    }
    app.suspensions.forget();
    let (user, _) = load(app, user_id).await?;
    Ok(user)
}

/// Lifts a suspension (`409` when the account is not suspended). Refresh tokens issued
/// before the suspension stay revoked: the user signs in again.
pub async fn reinstate(
    app: &App,
    admin: &Principal,
    user_id: &str,
    input: Option<ReasonInput>,
) -> Result<User, ApiError> {
    admin.ensure_admin()?;
    let why = reason(AuditAction::ReinstateUser, input)?;
    let (_, item) = load(app, user_id).await?;
    // The condition is the suspension read: a reinstatement and a new suspension in between
    // cannot be mistaken for each other.
    let Some(since) = item.attrs.get("suspendedAt").cloned() else {
        return Err(ApiError::conflict("the account is not suspended"));
    };
    let now = app.clock.now();
    let actions = vec![
        TxAction::Update {
            key: keys::user(user_id),
            update: Update::new().remove("suspendedAt"),
            condition: Condition::attribute_equals("suspendedAt", since),
        },
        TxAction::Delete {
            key: keys::suspension(user_id),
            condition: Condition::Always,
        },
        AuditEntry::new(admin, AuditAction::ReinstateUser, user_id, why, now).record()?,
    ];
    let user = commit(app, user_id, actions, "the account is not suspended").await?;
    tracing::info!(user_id, admin_id = %admin.user_id, "account reinstated");
    Ok(user)
}
