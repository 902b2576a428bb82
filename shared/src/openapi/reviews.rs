//! The reviews routes of the OpenAPI document.

#![allow(dead_code)]

use super::ErrorResponse;
use crate::reviews::model::ReviewView;
use crate::reviews::{ResponseInput, ReviewInput};

/// `{"items": [review...], "nextCursor": "..." | null}`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct ReviewPage {
    items: Vec<ReviewView>,
    next_cursor: Option<String>,
}

#[utoipa::path(post, path = "/bookings/{id}/reviews", tag = "reviews", request_body = ReviewInput,
    security(("bearer" = [])),
    description = "The booking's guest reviews the property (with optional 1..5 sub-ratings), its host reviews the \
guest (no sub-ratings). Only inside the window: from check-out (`checkedOutAt`, or the scheduled check-out instant of a \
confirmed or checked-in stay nobody checked out) for 14 days. One per side, never edited. The review stays hidden \
(`published: false`) until the other side has reviewed (both are published together) or the window closes (it is \
published alone). Hidden reviews appear in no list and cannot be answered.",
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 201, description = "The review as written", body = ReviewView),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such booking, or not yours", body = ErrorResponse),
        (status = 409, description = "Outside the window, no stay to review, or already reviewed by this side", body = ErrorResponse),
        (status = 422, description = "rating missing or not 1..5, a sub-rating not 1..5 or from a host, comment missing or over 2000 characters: all named", body = ErrorResponse),
    ))]
fn create_review() {}

#[utoipa::path(get, path = "/properties/{id}/reviews", tag = "reviews",
    description = "The property's published guest reviews, newest first (also after the property was deleted).",
    params(
        ("id" = String, Path, description = "Property id"),
        ("limit" = Option<i64>, Query, description = "1..100, default 20"),
        ("cursor" = Option<String>, Query, description = "nextCursor of the previous page"),
    ),
    responses(
        (status = 200, description = "One page", body = ReviewPage),
        (status = 400, description = "A malformed limit or cursor", body = ErrorResponse),
        (status = 404, description = "No such property", body = ErrorResponse),
    ))]
fn list_property_reviews() {}

#[utoipa::path(get, path = "/users/{id}/reviews", tag = "reviews",
    description = "The published reviews hosts wrote about the user as a guest, newest first.",
    params(
        ("id" = String, Path, description = "User id"),
        ("limit" = Option<i64>, Query, description = "1..100, default 20"),
        ("cursor" = Option<String>, Query, description = "nextCursor of the previous page"),
    ),
    responses(
        (status = 200, description = "One page", body = ReviewPage),
        (status = 400, description = "A malformed limit or cursor", body = ErrorResponse),
        (status = 404, description = "No such user", body = ErrorResponse),
    ))]
fn list_user_reviews() {}

#[utoipa::path(post, path = "/reviews/{id}/response", tag = "reviews", request_body = ResponseInput,
    security(("bearer" = [])),
    description = "The reviewed property's host answers a published guest review, publicly and once.",
    params(("id" = String, Path, description = "Review id")),
    responses(
        (status = 201, description = "The review with its response", body = ReviewView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not the reviewed property's host, or a review of a guest", body = ErrorResponse),
        (status = 404, description = "No such published review", body = ErrorResponse),
        (status = 409, description = "Already answered", body = ErrorResponse),
        (status = 422, description = "comment missing or over 1000 characters", body = ErrorResponse),
    ))]
fn respond_to_review() {}
