//! Granting and revoking the admin role: an operator's command against the store
//! (`local-api admin grant|revoke EMAIL`), never an API route. The change and its audit
//! entry commit together; tokens issued afterwards carry the new roles.

use crate::admin::audit::{AuditAction, AuditEntry, OPERATOR};
use crate::auth::Role;
use crate::clock::Clock;
use crate::store::keys;
use crate::store::{Condition, Store, StoreError, TxAction, Update};
use crate::users::User;
use crate::users::email::Email;
use crate::users::register::EmailClaim;

/// What the operator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    Grant,
    Revoke,
}

/// Why the role could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("`{0}` is not an email address")]
    BadEmail(String),
    #[error("no account is registered with {0}")]
    NoSuchUser(String),
    #[error("the account kept changing; try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Grants or revokes the admin role of the account registered with `email`; answers the
/// user as written, and whether anything changed (granting twice is a no-op).
pub async fn change(
    store: &dyn Store,
    clock: &dyn Clock,
    email: &str,
    change: RoleChange,
) -> Result<(User, bool), RoleError> {
    let folded = Email::parse(email)
        .map_err(|_| RoleError::BadEmail(email.to_owned()))?
        .folded();
    let claim = store
        .get(&keys::email_claim(&folded))
        .await?
        .ok_or_else(|| RoleError::NoSuchUser(email.to_owned()))?;
    let user_id = claim.record::<EmailClaim>()?.user_id;
    for _ in 0..5 {
        let item = store
            .get(&keys::user(&user_id))
            .await?
            .ok_or_else(|| RoleError::NoSuchUser(email.to_owned()))?;
        let mut user: User = item.record()?;
        let had = user.roles.contains(&Role::Admin);
        match change {
            RoleChange::Grant if !had => user.roles.push(Role::Admin),
            RoleChange::Revoke if had => user.roles.retain(|role| *role != Role::Admin),
            _ => return Ok((user, false)),
        }
        let action = match change {
            RoleChange::Grant => AuditAction::GrantAdmin,
            RoleChange::Revoke => AuditAction::RevokeAdmin,
        };
        let roles = serde_json::to_value(&user.roles).map_err(|err| StoreError::InvalidItem(err.to_string()))?;
        let actions = vec![
            TxAction::Update {
                key: keys::user(&user_id),
                update: Update::new().set("roles", roles),
                condition: Condition::VersionEquals(item.version),
            },
            AuditEntry::by(OPERATOR, action, &user_id, None, clock.now()).record()?,
        ];
        match store.transact(actions).await {
            Ok(()) => return Ok((user, true)),
            // Changed in between (a profile edit, a login failure does not touch it): again.
            Err(StoreError::TransactionConditionFailed { index: 0 }) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(RoleError::Busy)
}
