//! Whether a property takes guests: an admin unlists it (out of search, no new bookings; its
//! bookings go on) or lists it again, and a suspended host's properties take no bookings.

use super::{Property, find, index};
use crate::App;
use crate::admin::{AuditAction, AuditEntry, ReasonInput, reason};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::store::keys;
use crate::store::{Condition, StoreError, TxAction, Update};

const NOT_FOUND: ApiError = ApiError::NotFound("property not found");

/// Attempts when bookings keep changing the property under a (un)listing.
const ATTEMPTS: u32 = 4;

/// `409` unless the property takes new bookings: listed, and its host not suspended (as of
/// at most a minute ago; the booking's transaction checks the host's account exactly).
pub async fn ensure_bookable(app: &App, property: &Property) -> Result<(), ApiError> {
    if property.unlisted_at.is_some() {
        return Err(unlisted());
    }
    if app
        .suspensions
        .is_suspended(app.store.as_ref(), &property.host_id, app.clock.now())
        .await?
    {
        return Err(host_suspended());
    }
    Ok(())
}

/// The `409` of a booking at an unlisted property.
pub fn unlisted() -> ApiError {
    ApiError::conflict("the property is unlisted and takes no bookings")
}

/// The `409` of a booking at a suspended host's property.
pub fn host_suspended() -> ApiError {
    ApiError::conflict("the property's host cannot take bookings at the moment")
}

/// What an admin does to a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Unlist,
    Relist,
}

/// `POST /admin/properties/{id}/unlist`: out of search (city and map) and closed to new
/// bookings; `409` when already unlisted.
pub async fn unlist(
    app: &App,
    admin: &Principal,
    property_id: &str,
    input: Option<ReasonInput>,
) -> Result<Property, ApiError> {
    admin.ensure_admin()?;
    let why = reason(AuditAction::UnlistProperty, input)?;
    change(app, admin, property_id, Change::Unlist, why).await
}

/// `POST /admin/properties/{id}/relist`: back in search and open to bookings; `409` unless
/// unlisted.
pub async fn relist(
    app: &App,
    admin: &Principal,
    property_id: &str,
    input: Option<ReasonInput>,
) -> Result<Property, ApiError> {
    admin.ensure_admin()?;
    let why = reason(AuditAction::RelistProperty, input)?;
    change(app, admin, property_id, Change::Relist, why).await
}

/// The property's write (conditioned on the version read, so its map entries move exactly
/// with it), its map entries, and the audit entry, in one transaction.
async fn change(
    app: &App,
    admin: &Principal,
    property_id: &str,
    change: Change,
    why: Option<String>,
) -> Result<Property, ApiError> {
    for _ in 0..ATTEMPTS {
        let (current, version) = find(app, property_id).await?.ok_or(NOT_FOUND)?;
        let now = app.clock.now();
        let mut next = current.clone();
        let (update, action) = match (change, current.unlisted_at) {
            (Change::Unlist, None) => {
                next.unlisted_at = Some(now);
                let at = serde_json::to_value(now).map_err(ApiError::internal)?;
                (
                    Update::new().set("unlistedAt", at).gsi1(None),
                    AuditAction::UnlistProperty,
                )
            }
            (Change::Relist, Some(_)) => {
                next.unlisted_at = None;
                (
                    Update::new().remove("unlistedAt").gsi1(Some(next.city_index())),
                    AuditAction::RelistProperty,
                )
            }
            (Change::Unlist, Some(_)) => return Err(ApiError::conflict("the property is already unlisted")),
            (Change::Relist, None) => return Err(ApiError::conflict("the property is not unlisted")),
        };
        let mut actions = vec![TxAction::Update {
            key: keys::property(property_id),
            update,
            condition: Condition::VersionEquals(version),
        }];
        actions.extend(index::moves(Some(&current), Some(&next))?);
        actions.push(AuditEntry::new(admin, action, property_id, why.clone(), now).record()?);
        match app.store.transact(actions).await {
            Ok(()) => {
                tracing::info!(property_id, admin_id = %admin.user_id, action = ?action, "listing changed");
                return Ok(next);
            }
            // A booking, a review or the host changed it since the read: read again.
            Err(StoreError::TransactionConditionFailed { index: 0 }) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::unavailable("the property kept changing"))
}
