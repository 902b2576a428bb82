//! The admin routes of the OpenAPI document.

#![allow(dead_code)]

use super::ErrorResponse;
use crate::admin::ReasonInput;
use crate::admin::accounts::AdminUserView;
use crate::admin::audit::AuditEntry;
use crate::bookings::BookingView;
use crate::properties::PropertyView;
use crate::reviews::model::ReviewView;

/// `{"items": [user...], "nextCursor": null}`: the one user with that email, or none.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct AdminUserList {
    items: Vec<AdminUserView>,
    /// Always `null`: an email matches at most one account.
    next_cursor: Option<String>,
}

/// `{"items": [entry...], "nextCursor": "..." | null}`, newest first.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct AuditPage {
    items: Vec<AuditEntry>,
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/admin/users", tag = "admin", security(("bearer" = [])),
    description = "Finds the account registered with an email (exact, case-insensitive), with its `status`, \
`emailVerified` and `roles`. The `admin` role is granted only by an operator (`local-api admin grant EMAIL`).",
    params(("email" = String, Query, description = "The address, any case")),
    responses(
        (status = 200, description = "The matching user, or no item", body = AdminUserList),
        (status = 403, description = "Signed in without the admin role", body = ErrorResponse),
        (status = 422, description = "Missing email", body = ErrorResponse),
    ))]
fn admin_find_users() {}

#[utoipa::path(post, path = "/admin/users/{id}/suspend", tag = "admin", request_body = ReasonInput,
    security(("bearer" = [])),
    description = "Suspends an account: it cannot log in or refresh (`403 account_suspended`), its access tokens are \
refused by every route within 60 seconds, its refresh tokens are revoked for good, and its properties leave search and \
take no new bookings (their confirmed bookings go on). Recorded in the audit log in the same transaction.",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user, `status: suspended`", body = AdminUserView),
        (status = 403, description = "Signed in without the admin role", body = ErrorResponse),
        (status = 404, description = "No such user", body = ErrorResponse),
        (status = 409, description = "Already suspended, or the admin's own account", body = ErrorResponse),
        (status = 422, description = "Missing reason, or over 500 characters", body = ErrorResponse),
    ))]
fn admin_suspend_user() {}

#[utoipa::path(post, path = "/admin/users/{id}/reinstate", tag = "admin", request_body(content = Option<ReasonInput>),
    security(("bearer" = [])),
    description = "Lifts a suspension; the user signs in again (refresh tokens from before stay revoked).",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user, `status: active`", body = AdminUserView),
        (status = 403, description = "Signed in without the admin role", body = ErrorResponse),
        (status = 404, description = "No such user", body = ErrorResponse),
        (status = 409, description = "Not suspended", body = ErrorResponse),
        (status = 422, description = "Reason over 500 characters", body = ErrorResponse),
    ))]
fn admin_reinstate_user() {}

#[utoipa::path(post, path = "/admin/properties/{id}/unlist", tag = "admin", request_body = ReasonInput,
    security(("bearer" = [])),
    description = "Takes a property out of search (city and map) and closes it to new bookings (`409` on \
`POST /bookings`); its existing bookings go on and it stays readable by id.",
    params(("id" = String, Path, description = "Property id")),
    responses(
        (status = 200, description = "The property, `listingStatus: unlisted`", body = PropertyView),
        (status = 403, description = "Signed in without the admin role", body = ErrorResponse),
        (status = 404, description = "No such property (or deleted)", body = ErrorResponse),
        (status = 409, description = "Already unlisted", body = ErrorResponse),
        (status = 422, description = "Missing reason, or over 500 characters", body = ErrorResponse),
    ))]
fn admin_unlist_property() {}

#[utoipa::path(post, path = "/admin/properties/{id}/relist", tag = "admin", request_body(content = Option<ReasonInput>),
    security(("bearer" = [])),
    description = "Puts an unlisted property back in search and opens it to bookings.",
    params(("id" = String, Path, description = "Property id")),
    responses(
        (status = 200, description = "The property, `listingStatus: listed`", body = PropertyView),
        (status = 403, description = "Signed in without the admin role", body = ErrorResponse),
        (status = 404, description = "No such property (or deleted)", body = ErrorResponse),
        (status = 409, description = "Not unlisted", body = ErrorResponse),
        (status = 422, description = "Reason over 500 characters", body = ErrorResponse),
    ))]
fn admin_relist_property() {}

#[utoipa::path(post, path = "/admin/bookings/{id}/cancel", tag = "admin", request_body = ReasonInput,
    security(("bearer" = [])),
    description = "Cancels a booking that has not begun (`pending_payment`, `awaiting_host` or `confirmed`) with a \
full refund of whatever was paid, through the same refund path as every cancellation; the admin is the history's \
actor and the reason is kept there. Guest and host are told as for any cancellation.",
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 200, description = "The booking, `cancelled`, `refund` the whole total (null if unpaid)", body = BookingView),
        (status = 403, description = "Signed in without the admin role", body = ErrorResponse),
        (status = 404, description = "No such booking", body = ErrorResponse),
        (status = 409, description = "Checked in, or already over", body = ErrorResponse),
        (status = 422, description = "Missing reason, or over 500 characters", body = ErrorResponse),
    ))]
fn admin_cancel_booking() {}

#[utoipa::path(post, path = "/admin/reviews/{id}/remove", tag = "admin", request_body = ReasonInput,
    security(("bearer" = [])),
    description = "Removes a review: it leaves every list, and a published guest review stops counting in its \
property's rating (integer sums and counts decremented in the same transaction, so the rating stays exact).",
    params(("id" = String, Path, description = "Review id")),
    responses(
        (status = 200, description = "The review as it was", body = ReviewView),
        (status = 403, description = "Signed in without the admin role", body = ErrorResponse),
        (status = 404, description = "No such review", body = ErrorResponse),
        (status = 409, description = "Already removed", body = ErrorResponse),
        (status = 422, description = "Missing reason, or over 500 characters", body = ErrorResponse),
    ))]
fn admin_remove_review() {}

#[utoipa::path(get, path = "/admin/audit", tag = "admin", security(("bearer" = [])),
    description = "Every admin action (and every grant or revocation of the role, by `operator`), newest first.",
    params(
        ("from" = Option<String>, Query, description = "RFC 3339 instant, included"),
        ("to" = Option<String>, Query, description = "RFC 3339 instant, excluded"),
        ("limit" = Option<i64>, Query, description = "1..100, default 20"),
        ("cursor" = Option<String>, Query, description = "nextCursor of the previous page"),
    ),
    responses(
        (status = 200, description = "One page, newest first", body = AuditPage),
        (status = 400, description = "A malformed from, to, limit or cursor", body = ErrorResponse),
        (status = 403, description = "Signed in without the admin role", body = ErrorResponse),
        (status = 422, description = "to not after from, limit out of range", body = ErrorResponse),
    ))]
fn admin_list_audit() {}
