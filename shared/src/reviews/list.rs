//! The published reviews of a property (gsi1) and of a user as a guest (gsi2), newest first.

use super::model::Review;
use crate::App;
use crate::error::ApiError;
use crate::store::keys;
use crate::store::{Index, Query};

/// One page of an index partition of published reviews, newest first.
async fn page(
    app: &App,
    index: Index,
    partition: String,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<Review>, Option<String>), ApiError> {
    let scope = format!("reviews:{partition}");
    let now = app.clock.now();
    let start = app.signing_keys().await?.cursors.resume(cursor, &scope, now)?;
    let page = app
        .store
        .query(
            Query::partition(index, partition)
                .limit(limit)
                .start(start)
                .descending(),
        )
        .await?;
    let reviews = page
        .items
        .iter()
        .map(|item| item.record())
        .collect::<Result<Vec<Review>, _>>()?;
    let next = app.signing_keys().await?.cursors.next_page(&scope, page.next, now)?;
    Ok((reviews, next))
}

/// `GET /properties/{id}/reviews`: a property's published guest reviews (also once the
/// property is deleted); `404` for a property that never existed.
pub async fn of_property(
    app: &App,
    property_id: &str,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<Review>, Option<String>), ApiError> {
    let exists =
        ulid::Ulid::from_string(property_id).is_ok() && app.store.get(&keys::property(property_id)).await?.is_some();
    if !exists {
        return Err(ApiError::NotFound("property not found"));
    }
    page(app, Index::Gsi1, keys::property_reviews(property_id), limit, cursor).await
}

/// `GET /users/{id}/reviews`: the published reviews hosts wrote about a user as a guest.
pub async fn of_user(
    app: &App,
    user_id: &str,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<Review>, Option<String>), ApiError> {
    let exists = ulid::Ulid::from_string(user_id).is_ok()
        && crate::users::find_user(app.store.as_ref(), user_id).await?.is_some();
    if !exists {
        return Err(ApiError::NotFound("user not found"));
    }
    page(app, Index::Gsi2, keys::user_reviews(user_id), limit, cursor).await
}
