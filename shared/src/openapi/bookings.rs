//! The bookings routes of the OpenAPI document.

#![allow(dead_code)]

use super::ErrorResponse;
use crate::bookings::actions::ActionInput;
use crate::bookings::create::BookingInput;
use crate::bookings::{BookingView, PriceBreakdown};

/// `{"items": [booking...], "nextCursor": "..." | null}`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct BookingPage {
    items: Vec<BookingView>,
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/properties/{id}/quote", tag = "bookings",
    description = "The server-computed price of a stay, in the property's currency and minor units: `subtotal` = \
nights x nightly price; `serviceFee` (the guest's) = 14 % of the subtotal and `hostFee` = 3 %, each rounded half up; \
`total` = subtotal + cleaning fee + service fee; `hostPayout` = subtotal + cleaning fee - host fee. Answers like \
`POST /bookings` would for the same stay. Only `checkIn`, `checkOut` and `guests` are accepted: any other parameter \
(a price, say) is 400.",
    params(
        ("id" = String, Path, description = "Property id"),
        ("checkIn" = String, Query, description = "First night, YYYY-MM-DD in the property's time zone"),
        ("checkOut" = String, Query, description = "Departure day (not a night), YYYY-MM-DD"),
        ("guests" = i64, Query, minimum = 1, maximum = 50, description = "Party size, 1..maxGuests"),
    ),
    responses(
        (status = 200, description = "The price breakdown", body = PriceBreakdown),
        (status = 400, description = "A malformed date or number, or an unknown parameter", body = ErrorResponse),
        (status = 404, description = "No such property (or deleted)", body = ErrorResponse),
        (status = 409, description = "A night is taken (details[0].field is the first taken night), or the property takes no bookings (unlisted by an admin, or its host suspended)", body = ErrorResponse),
        (status = 422, description = "Missing values, check-in in the past, checkOut not after checkIn, nights outside min/max, too many guests: all named", body = ErrorResponse),
    ))]
fn get_quote() {}

#[utoipa::path(post, path = "/bookings", tag = "bookings", request_body = BookingInput,
    security(("bearer" = [])),
    description = "Books a stay: the booking, a 15-minute hold on every night and the idempotency record are written \
in one transaction, so of two requests for overlapping nights exactly one succeeds. The booking answers in \
`pending_payment` with `holdExpiresAt`; unpaid by then, it expires and its nights are free. Prices are computed by \
the server (a price field is 400). `Idempotency-Key` (1..255 visible ASCII characters, per user): the same key with \
the same body within 24 h answers the first 201 again and books nothing; with another body it is 422. Failed requests \
are not recorded (they changed nothing), so repeating one is answered afresh.",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Booked, awaiting payment", body = BookingView),
        (status = 400, description = "Malformed JSON, a wrong type, an unknown field (prices included) or a bad Idempotency-Key", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "The property's own host", body = ErrorResponse),
        (status = 409, description = "A night is taken (details[0].field is the first taken night, YYYY-MM-DD), or the property takes no bookings (unlisted by an admin, or its host suspended)", body = ErrorResponse),
        (status = 422, description = "Missing or invalid fields, an unknown property, a rule of the stay broken, or an Idempotency-Key reused with another body", body = ErrorResponse),
    ))]
fn create_booking() {}

#[utoipa::path(get, path = "/bookings/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 200, description = "The booking, for its guest or host", body = BookingView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such booking, or not yours (the same answer, so nothing leaks)", body = ErrorResponse),
    ))]
fn get_booking() {}

/// Whose bookings `GET /bookings` lists.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub(super) enum Side {
    Guest,
    Host,
}

#[utoipa::path(get, path = "/bookings", tag = "bookings", security(("bearer" = [])),
    description = "The signed-in user's bookings as guest (default) or as host of their properties, in ascending \
check-in date then id. `from` (included) and `to` (excluded) bound the check-in date: a host's arrivals of a range.",
    params(
        ("as" = Option<Side>, Query, description = "`guest` (default) or `host`"),
        ("status" = Option<crate::bookings::model::BookingStatus>, Query, description = "Only bookings in this status"),
        ("from" = Option<String>, Query, description = "Earliest check-in date, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "Check-in dates before this one, YYYY-MM-DD"),
        ("limit" = Option<i64>, Query, description = "1..100, default 20"),
        ("cursor" = Option<String>, Query, description = "nextCursor of the previous page"),
    ),
    responses(
        (status = 200, description = "One page", body = BookingPage),
        (status = 400, description = "A malformed date, limit or cursor", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 422, description = "Unknown `as` or `status`, `to` not after `from`, limit out of range", body = ErrorResponse),
    ))]
fn list_bookings() {}

#[utoipa::path(post, path = "/bookings/{id}/accept", tag = "bookings", request_body(content = Option<ActionInput>),
    security(("bearer" = [])),
    description = "The host accepts a paid request to book (`awaiting_host` -> `confirmed`). Unanswered for 24 hours, \
a request is declined by the system and refunded in full.",
    params(
        ("id" = String, Path, description = "Booking id"),
        ("Idempotency-Key" = Option<String>, Header, description = "The same move sent again with the same key (a retry of a lost answer) answers the booking as it is instead of 409; the same key with another reason is 422"),
    ),
    responses(
        (status = 200, description = "Confirmed", body = BookingView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "The guest, not the host", body = ErrorResponse),
        (status = 404, description = "No such booking, or not yours", body = ErrorResponse),
        (status = 409, description = "Not awaiting the host", body = ErrorResponse),
        (status = 422, description = "Reason over 500 characters, or the Idempotency-Key of this move sent with another reason", body = ErrorResponse),
    ))]
fn accept_booking() {}

#[utoipa::path(post, path = "/bookings/{id}/decline", tag = "bookings", request_body(content = Option<ActionInput>),
    security(("bearer" = [])),
    description = "The host declines a paid request to book; `refund` is the whole total and the nights are free again.",
    params(
        ("id" = String, Path, description = "Booking id"),
        ("Idempotency-Key" = Option<String>, Header, description = "The same move sent again with the same key (a retry of a lost answer) answers the booking as it is instead of 409; the same key with another reason is 422"),
    ),
    responses(
        (status = 200, description = "Declined", body = BookingView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "The guest, not the host", body = ErrorResponse),
        (status = 404, description = "No such booking, or not yours", body = ErrorResponse),
        (status = 409, description = "Not awaiting the host", body = ErrorResponse),
        (status = 422, description = "Reason over 500 characters, or the Idempotency-Key of this move sent with another reason", body = ErrorResponse),
    ))]
fn decline_booking() {}

#[utoipa::path(post, path = "/bookings/{id}/cancel", tag = "bookings", request_body(content = Option<ActionInput>),
    security(("bearer" = [])),
    description = "The guest or the host cancels before check-in; the nights are free again. `refund`: `null` while \
the booking was unpaid; the whole total when the host cancels or the guest withdraws a request the host has not \
accepted; otherwise the policy's refund, measured to the check-in instant in the property's zone: full (the total), \
half (50 % of the nightly subtotal, rounded half up, plus the cleaning fee) or nothing. flexible: full until 24 h \
before; moderate: full until 5 days before, then half until check-in; firm: full until 30 days, half until 7 days \
before; strict: full within 48 h of booking if at least 14 days before, half until 7 days before.",
    params(
        ("id" = String, Path, description = "Booking id"),
        ("Idempotency-Key" = Option<String>, Header, description = "The same move sent again with the same key (a retry of a lost answer) answers the booking as it is instead of 409; the same key with another reason is 422"),
    ),
    responses(
        (status = 200, description = "Cancelled, with the refund", body = BookingView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such booking, or not yours", body = ErrorResponse),
        (status = 409, description = "Checked in, or already over", body = ErrorResponse),
        (status = 422, description = "Reason over 500 characters, or the Idempotency-Key of this move sent with another reason", body = ErrorResponse),
    ))]
fn cancel_booking() {}

#[utoipa::path(post, path = "/bookings/{id}/check-in", tag = "bookings", request_body(content = Option<ActionInput>),
    security(("bearer" = [])),
    description = "The guest or the host records the arrival of a confirmed stay, from 00:00 of the check-in day \
until the check-out instant (check-out date at checkOutTime), both in the property's time zone.",
    params(
        ("id" = String, Path, description = "Booking id"),
        ("Idempotency-Key" = Option<String>, Header, description = "The same move sent again with the same key (a retry of a lost answer) answers the booking as it is instead of 409; the same key with another reason is 422"),
    ),
    responses(
        (status = 200, description = "Checked in, with checkedInAt", body = BookingView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such booking, or not yours", body = ErrorResponse),
        (status = 409, description = "Not confirmed, too early or too late", body = ErrorResponse),
        (status = 422, description = "Reason over 500 characters, or the Idempotency-Key of this move sent with another reason", body = ErrorResponse),
    ))]
fn check_in_booking() {}

#[utoipa::path(post, path = "/bookings/{id}/check-out", tag = "bookings", request_body(content = Option<ActionInput>),
    security(("bearer" = [])),
    description = "The guest or the host records the departure of a checked-in stay.",
    params(
        ("id" = String, Path, description = "Booking id"),
        ("Idempotency-Key" = Option<String>, Header, description = "The same move sent again with the same key (a retry of a lost answer) answers the booking as it is instead of 409; the same key with another reason is 422"),
    ),
    responses(
        (status = 200, description = "Checked out, with checkedOutAt", body = BookingView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such booking, or not yours", body = ErrorResponse),
        (status = 409, description = "Not checked in", body = ErrorResponse),
        (status = 422, description = "Reason over 500 characters, or the Idempotency-Key of this move sent with another reason", body = ErrorResponse),
    ))]
fn check_out_booking() {}
