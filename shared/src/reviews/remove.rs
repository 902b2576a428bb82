//! An admin removes a review: it leaves every list, and a published guest review stops
//! counting in its property's rating, in one transaction with the audit entry.
//!
//! The review's write is conditioned on the version read, and a publication requires the
//! review not to be removed, so a removal and a publication racing on one review end in one
//! of two states, each exact: removed before publication (never counted) or published and then
//! removed (counted, then taken off by the same integers).

use super::model::{Review, Side};
use super::publish::{load_any, rating_change};
use crate::App;
use crate::admin::{AuditAction, AuditEntry, ReasonInput, reason};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::store::keys;
use crate::store::{Condition, StoreError, TxAction, Update};

/// Attempts when publications or other removals keep changing the review.
const ATTEMPTS: u32 = 6;

/// `POST /admin/reviews/{id}/remove`: `404` for no such review, `409` once removed.
pub async fn remove(
    app: &App,
    admin: &Principal,
    review_id: &str,
    input: Option<ReasonInput>,
) -> Result<Review, ApiError> {
    admin.ensure_admin()?;
    let why = reason(AuditAction::RemoveReview, input)?;
    for _ in 0..ATTEMPTS {
        let (mut review, version) = load_any(app, review_id)
            .await?
            .ok_or(ApiError::NotFound("review not found"))?;
        if review.removed_at.is_some() {
            return Err(ApiError::conflict("the review is already removed"));
        }
        let now = app.clock.now();
        let mut update = Update::new().set("removedAt", serde_json::to_value(now).map_err(ApiError::internal)?);
        if review.published_at.is_some() {
            update = match review.side {
                Side::Guest => update.gsi1(None),
                Side::Host => update.gsi2(None),
            };
        }
        let mut actions = vec![TxAction::Update {
            key: keys::review(&review.id),
            update,
            condition: Condition::VersionEquals(version),
        }];
        if review.published_at.is_some() && review.side == Side::Guest {
            actions.push(rating_change(&review, -1));
        }
        actions.push(AuditEntry::new(admin, AuditAction::RemoveReview, &review.id, why.clone(), now).record()?);
        match app.store.transact(actions).await {
            Ok(()) => {
                tracing::info!(review_id, admin_id = %admin.user_id, "review removed");
                review.removed_at = Some(now);
                return Ok(review);
            }
            // Published (or removed) since the read: read again.
            Err(StoreError::TransactionConditionFailed { index: 0 }) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::unavailable("the review kept changing"))
}
