//! Reviews: after a stay the guest reviews the property and the host the guest, once each,
//! inside a 14-day window; reviews stay hidden until both sides have spoken or the window
//! closes, and published guest reviews make the property's rating.

pub mod consumer;
pub mod list;
pub mod model;
pub mod publish;
pub mod remove;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use self::model::{Review, ReviewResponse, Side, SubRatings};
use crate::App;
use crate::auth::Principal;
use crate::bookings::{Booking, BookingStatus, lifecycle};
use crate::deadlines::{self, Deadline, DeadlineKind};
use crate::error::{ApiError, Problems};
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, StoreError, TxAction, Update};

/// How long the review window stays open.
pub const WINDOW: Duration = Duration::days(14);
/// Longest review comment.
pub const MAX_COMMENT_CHARS: usize = 2000;
/// Longest host response.
pub const MAX_RESPONSE_CHARS: usize = 1000;

const NOT_FOUND: ApiError = ApiError::NotFound("review not found");

/// Body of `POST /bookings/{id}/reviews`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReviewInput {
    /// Overall, 1..5.
    #[schema(required, nullable = false, minimum = 1, maximum = 5)]
    pub rating: Option<i64>,
    /// 1..5, guest reviews only.
    #[schema(minimum = 1, maximum = 5)]
    pub cleanliness: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    pub accuracy: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    pub check_in: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    pub communication: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    pub location: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    pub value: Option<i64>,
    /// 1..2000 characters.
    #[schema(
        required,
        nullable = false,
        min_length = 1,
        max_length = 2000,
        pattern = r"[^\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub comment: Option<String>,
}

/// Body of `POST /reviews/{id}/response`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    /// 1..1000 characters.
    #[schema(
        required,
        nullable = false,
        min_length = 1,
        max_length = 1000,
        pattern = r"[^\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub comment: Option<String>,
}

/// The claim of one side on a booking's review.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReviewClaim<'a> {
    review_id: &'a str,
}

/// A claim read back.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredReviewClaim {
    review_id: String,
}

/// The review `principal` already wrote on this side of `booking_id`, when it says exactly
/// what `wanted` says: the same review sent again (a retry of a request whose answer was
/// lost), which gets its first answer instead of `409`.
async fn same_review_again(
    app: &App,
    booking_id: &str,
    side: Side,
    wanted: &Review,
) -> Result<Option<Review>, ApiError> {
    let Some(claim) = app.store.get(&keys::review_claim(booking_id, side.as_str())).await? else {
        return Ok(None);
    };
    let claim: StoredReviewClaim = claim.record()?;
    Ok(publish::load(app, &claim.review_id)
        .await?
        .map(|(review, _)| review)
        .filter(|review| {
            review.author_id == wanted.author_id
                && review.rating == wanted.rating
                && review.sub_ratings == wanted.sub_ratings
                && review.comment == wanted.comment
        }))
}

/// When a booking's review window opens and closes: from check-out (or the scheduled
/// check-out instant of a stay that was confirmed or checked in but never checked out) for
/// 14 days. `None` for a booking that never became a stay.
pub fn window(booking: &Booking) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let opens = match booking.status {
        BookingStatus::CheckedOut => booking.checked_out_at?,
        BookingStatus::Confirmed | BookingStatus::CheckedIn => booking.terms.check_out_at(booking.check_out),
        _ => return None,
    };
    Some((opens, opens + WINDOW))
}

fn score(problems: &mut Problems, field: &str, raw: Option<i64>) -> Option<u8> {
    let value = raw?;
    match u8::try_from(value) {
        Ok(score @ 1..=5) => Some(score),
        _ => {
            problems.add(field, "must be an integer from 1 to 5");
            None
        }
    }
}

fn text(problems: &mut Problems, field: &str, raw: Option<String>, max: usize) -> Option<String> {
    let Some(raw) = raw else {
        problems.add(field, "is required");
        return None;
    };
    let trimmed = raw.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > max {
        problems.add(field, format!("must be 1..{max} characters"));
        return None;
    }
    Some(trimmed.to_owned())
}

/// Validates a review body for `side` (`422` naming every bad field).
fn checked(input: ReviewInput, side: Side) -> Result<(u8, SubRatings, String), ApiError> {
    let mut problems = Problems::new();
    if input.rating.is_none() {
        problems.add("rating", "is required");
    }
    let rating = score(&mut problems, "rating", input.rating);
    let sub_ratings = SubRatings {
        cleanliness: score(&mut problems, "cleanliness", input.cleanliness),
        accuracy: score(&mut problems, "accuracy", input.accuracy),
        check_in: score(&mut problems, "checkIn", input.check_in),
        communication: score(&mut problems, "communication", input.communication),
        location: score(&mut problems, "location", input.location),
        value: score(&mut problems, "value", input.value),
    };
    if side == Side::Host {
        for (field, _) in sub_ratings.given() {
            problems.add(field, "only a guest's review rates categories");
        }
    }
    let comment = text(&mut problems, "comment", input.comment, MAX_COMMENT_CHARS);
    problems.finish()?;
    match (rating, comment) {
        (Some(rating), Some(comment)) => Ok((rating, sub_ratings, comment)),
        _ => Err(ApiError::internal("validation passed without a rating")),
    }
}

/// `POST /bookings/{id}/reviews`: the guest or host reviews the stay, once, inside the window.
/// The review is hidden until the other side has reviewed too (then both are published in
/// one transaction) or the window closes.
pub async fn create(
    app: &App,
    principal: &Principal,
    booking_id: &str,
    input: ReviewInput,
) -> Result<Review, ApiError> {
    let (booking, _) = lifecycle::load(app, booking_id)
        .await?
        .filter(|(booking, _)| booking.involves(&principal.user_id))
        .ok_or(crate::bookings::NOT_FOUND)?;
    let side = if booking.guest_id == principal.user_id {
        Side::Guest
    } else {
        Side::Host
    };
    let (rating, sub_ratings, comment) = checked(input, side)?;
    let now = app.clock.now();
    let Some((opens, closes)) = window(&booking) else {
        return Err(ApiError::conflict(format!(
            "a booking that is {} has no stay to review",
            booking.status.as_str()
        )));
    };
    if now < opens {
        return Err(ApiError::conflict(format!(
            "reviews open at check-out ({})",
            opens.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )));
    }
    if now >= closes {
        return Err(ApiError::conflict("the review window of this stay has closed"));
    }
    let author = crate::users::find_user(app.store.as_ref(), &principal.user_id)
        .await?
        .ok_or(ApiError::Unauthorized("the signed-in user no longer exists"))?;
    let review = Review {
        id: crate::ids::new_id(),
        booking_id: booking.id.clone(),
        property_id: booking.property_id.clone(),
        side,
        author_id: principal.user_id.clone(),
        author_name: author.first_name,
        subject_id: match side {
            Side::Guest => booking.property_id.clone(),
            Side::Host => booking.guest_id.clone(),
        },
        rating,
        sub_ratings,
        comment,
        response: None,
        created_at: now,
        published_at: None,
        removed_at: None,
    };
    let actions = vec![
        TxAction::Put {
            item: Item::new(
                keys::review_claim(&booking.id, side.as_str()),
                kind::REVIEW_CLAIM,
                &ReviewClaim { review_id: &review.id },
            )?,
            condition: Condition::Absent,
        },
        TxAction::Put {
            item: review.to_item()?,
            condition: Condition::Absent,
        },
        // The window's end publishes whatever is still hidden (both sides write the same one).
        deadlines::schedule(
            &Deadline {
                kind: DeadlineKind::ReviewWindow,
                subject_id: booking.id.clone(),
                booking_id: booking.id.clone(),
                due_at: closes,
            },
            app.clock.as_ref(),
        )?,
    ];
    let review = match app.store.transact(actions).await {
        Ok(()) => review,
        // A retry of this same review goes on to the publication below, which its first
        // attempt may not have reached.
        Err(StoreError::TransactionConditionFailed { index: 0 }) => {
            match same_review_again(app, &booking.id, side, &review).await? {
                Some(first) => first,
                None => return Err(ApiError::conflict("you have already reviewed this stay")),
            }
        }
        Err(err) => return Err(err.into()),
    };
    // Both sides have spoken (whichever wrote second, or both at once): publish together.
    if app
        .store
        .get(&keys::review_claim(&booking.id, side.other().as_str()))
        .await?
        .is_some()
    {
        publish::publish_booking(app, &booking.id).await?;
    }
    Ok(publish::load(app, &review.id)
        .await?
        .map_or(review, |(review, _)| review))
}

/// `POST /reviews/{id}/response`: the reviewed property's host answers a published guest
/// review, once (`409` after).
pub async fn respond(
    app: &App,
    principal: &Principal,
    review_id: &str,
    input: ResponseInput,
) -> Result<Review, ApiError> {
    let mut problems = Problems::new();
    let comment = text(&mut problems, "comment", input.comment, MAX_RESPONSE_CHARS);
    problems.finish()?;
    let comment = comment.ok_or_else(|| ApiError::internal("validation passed without a comment"))?;
    // A hidden review does not exist for anyone but its author.
    let (review, _) = publish::load(app, review_id)
        .await?
        .filter(|(review, _)| review.published_at.is_some())
        .ok_or(NOT_FOUND)?;
    let (booking, _) = lifecycle::load(app, &review.booking_id).await?.ok_or(NOT_FOUND)?;
    if review.side != Side::Guest || booking.host_id != principal.user_id {
        return Err(ApiError::Forbidden("only the reviewed property's host responds"));
    }
    let response = ReviewResponse {
        comment,
        created_at: app.clock.now(),
    };
    let update = Update::new().set("response", serde_json::to_value(&response).map_err(ApiError::internal)?);
    match app
        .store
        .update(
            &keys::review(&review.id),
            update,
            Condition::AttributeAbsent("response".to_owned()),
        )
        .await
    {
        Ok(item) => Ok(item.record()?),
        // The same response sent again (its first answer was lost) gets that answer again.
        Err(StoreError::ConditionFailed) => match publish::load(app, &review.id).await? {
            Some((review, _)) if review.response.as_ref().is_some_and(|r| r.comment == response.comment) => Ok(review),
            _ => Err(ApiError::conflict("this review already has a response")),
        },
        Err(err) => Err(err.into()),
    }
}
