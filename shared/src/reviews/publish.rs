//! Publishing: a review becomes visible, and a guest's review counts in its property's rating,
//! in one transaction. Each review's write requires it to be still unpublished, so however
//! publications race (the second review, the window's end), a review is published and counted
//! once; the rating counters are atomic adds of integers, so concurrent publications on one
//! property never lose an update.

use chrono::{DateTime, Utc};

use super::model::{Review, Side};
use crate::App;
use crate::error::ApiError;
use crate::events::{Event, EventType, Queue};
use crate::outbox;
use crate::store::keys;
use crate::store::{Condition, StoreError, TxAction, Update};

/// Attempts when publications collide.
const ATTEMPTS: u32 = 6;

/// Reads a review with its version; one an admin removed exists for nobody.
pub async fn load(app: &App, review_id: &str) -> Result<Option<(Review, u64)>, ApiError> {
    Ok(load_any(app, review_id)
        .await?
        .filter(|(review, _)| review.removed_at.is_none()))
}

/// Reads a review with its version, removed or not.
pub async fn load_any(app: &App, review_id: &str) -> Result<Option<(Review, u64)>, ApiError> {
    if ulid::Ulid::from_string(review_id).is_err() {
        return Ok(None);
    }
    match app.store.get(&keys::review(review_id)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// The reviews of a booking, by side.
pub async fn of_booking(app: &App, booking_id: &str) -> Result<Vec<Review>, ApiError> {
    let mut reviews = Vec::new();
    for side in [Side::Guest, Side::Host] {
        if let Some(claim) = app.store.get(&keys::review_claim(booking_id, side.as_str())).await? {
            let review_id = claim
                .attrs
                .get("reviewId")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            if let Some((review, _)) = load(app, &review_id).await? {
                reviews.push(review);
            }
        }
    }
    Ok(reviews)
}

/// The actions publishing `review` at `now`.
fn actions(review: &Review, now: DateTime<Utc>) -> Result<Vec<TxAction>, ApiError> {
    let index = review.published_index(now);
    let mut update = Update::new().set("publishedAt", serde_json::to_value(now).map_err(ApiError::internal)?);
    update = match review.side {
        Side::Guest => update.gsi1(Some(index)),
        Side::Host => update.gsi2(Some(index)),
    };
    let mut actions = vec![TxAction::Update {
        key: keys::review(&review.id),
        update,
        // Still hidden, and not removed by an admin since it was read.
        condition: Condition::All(vec![
            Condition::AttributeAbsent("publishedAt".to_owned()),
            Condition::AttributeAbsent("removedAt".to_owned()),
        ]),
    }];
    if review.side == Side::Guest {
        actions.push(rating_change(review, 1));
    }
    Ok(actions)
}

/// The atomic change of the property's rating totals when a guest review starts (`sign` 1)
/// or stops (`sign` -1) counting: integer sums and counts, so concurrent publications and
/// removals never lose an update and the averages stay exact.
pub fn rating_change(review: &Review, sign: i64) -> TxAction {
    let mut counters = Update::new()
        .add("ratingCount", sign)
        .add("ratingSum", sign * i64::from(review.rating));
    for (category, value) in review.sub_ratings.given() {
        counters = counters
            .add(format!("{category}Sum"), sign * i64::from(value))
            .add(format!("{category}Count"), sign);
    }
    TxAction::Update {
        key: keys::property(&review.property_id),
        update: counters,
        condition: Condition::Exists,
    }
}

/// Publishes every still-hidden review of `booking_id` together; returns how many it published.
pub async fn publish_booking(app: &App, booking_id: &str) -> Result<usize, ApiError> {
    for _ in 1..=ATTEMPTS {
        let hidden: Vec<Review> = of_booking(app, booking_id)
            .await?
            .into_iter()
            .filter(|review| review.published_at.is_none())
            .collect();
        if hidden.is_empty() {
            return Ok(0);
        }
        let now = app.clock.now();
        let mut all = Vec::new();
        let mut recorded = Vec::new();
        for review in &hidden {
            all.extend(actions(review, now)?);
            // The reviewed side hears of it by email, once the review is visible.
            let event = Event::new(
                EventType::ReviewPublished,
                booking_id,
                now,
                serde_json::json!({"reviewId": review.id}),
            );
            recorded.push((Queue::Notifications, event));
        }
        all.extend(outbox::record(app.clock.as_ref(), &recorded)?);
        match app.store.transact(all).await {
            Ok(()) => {
                outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
                tracing::info!(booking_id, published = hidden.len(), "reviews published");
                return Ok(hidden.len());
            }
            // Published by a concurrent publication meanwhile: look again.
            Err(StoreError::TransactionConditionFailed { .. }) => {}
            // A collision the store's retries did not get past: transient, `503`.
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::unavailable("the reviews kept changing"))
}
