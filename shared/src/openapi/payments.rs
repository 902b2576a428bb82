//! The payments routes of the OpenAPI document.

#![allow(dead_code)]

use super::ErrorResponse;
use crate::payments::model::{PaymentView, PaymentsView};
use crate::payments::pay::PaymentInput;

#[utoipa::path(post, path = "/bookings/{id}/payments", tag = "payments", request_body = PaymentInput,
    security(("bearer" = [])),
    description = "The booking's guest pays its total (never an amount sent by the client) while it is \
`pending_payment` and its hold runs. `201` whatever the card does: `succeeded` (the booking then becomes `confirmed`, \
or `awaiting_host` for a request to book), `failed` with `failureReason` (the booking stays `pending_payment`; try \
again while the hold runs), or `pending` with `nextAction` `{type: redirect, url}` for 3-D Secure (a Stripe webhook \
settles it). A booking is paid once: a second payment is `409`, and a success that loses a race with another is \
refunded at once and answered `409`. `Idempotency-Key` works as for `POST /bookings`; Stripe receives a key derived \
from the booking and the attempt. The local sandbox knows `pm_card_visa`, `pm_card_visa_chargeDeclined` and \
`pm_card_threeDSecure2Required`.",
    params(
        ("id" = String, Path, description = "Booking id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    responses(
        (status = 201, description = "The payment", body = PaymentView),
        (status = 400, description = "Malformed JSON, an unknown field (an amount, say) or a bad Idempotency-Key", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "The host, not the guest", body = ErrorResponse),
        (status = 404, description = "No such booking, or not yours", body = ErrorResponse),
        (status = 409, description = "Not pending payment, the hold has ended, or already paid", body = ErrorResponse),
        (status = 422, description = "paymentMethod missing or refused by the provider, or an Idempotency-Key reused with another body", body = ErrorResponse),
    ))]
fn create_payment() {}

#[utoipa::path(get, path = "/bookings/{id}/payments", tag = "payments", security(("bearer" = [])),
    description = "The booking's payments, oldest first, each with its refunds. `payout` is the host's payout \
(`hostPayout` of the price, `scheduled` 24 h after check-in, then `paid`; lowered by a refund made before then), shown \
to the host only: `null` for the guest and before check-in.",
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 200, description = "Payments and payout", body = PaymentsView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such booking, or not yours", body = ErrorResponse),
    ))]
fn list_payments() {}

#[utoipa::path(post, path = "/webhooks/stripe", tag = "payments",
    description = "Stripe's webhook. `Stripe-Signature` (`t=...,v1=...`, several `v1` allowed) must be the \
HMAC-SHA256 of `t.<raw body>` with the endpoint secret, within 5 minutes of now; otherwise `400`. \
`payment_intent.succeeded` and `payment_intent.payment_failed` settle a pending payment exactly like a synchronous \
answer; an event id seen before, or any other type, is `200` and changes nothing.",
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature header")),
    responses(
        (status = 200, description = "Received"),
        (status = 400, description = "Missing, malformed, forged or stale signature, or a body that is not a Stripe event", body = ErrorResponse),
        (status = 409, description = "The payment changed while the event was applied; Stripe retries", body = ErrorResponse),
    ))]
fn stripe_webhook() {}
