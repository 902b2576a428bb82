//! `POST /bookings/{id}/payments`: the guest pays the booking's total while its hold runs.
//!
//! The charge is made first (the provider deduplicates on an idempotency key derived from the
//! booking and the attempt), then one transaction records the payment with its consequence:
//! a success also writes the booking's paid claim (a put that requires no claim yet, so a
//! booking is paid once whatever races) and marks the booking `paidBy`, conditioned on it still
//! awaiting payment; the outcome event goes through the outbox for the booking consumer. A
//! success that loses that race is refunded at once and answered `409`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{NextAction, Payment, PaymentStatus, PaymentView};
use super::provider::{ChargeRequest, ChargeState, ProviderError};
use crate::App;
use crate::auth::Principal;
use crate::bookings::lifecycle;
use crate::bookings::{Booking, BookingStatus};
use crate::clock::Clock;
use crate::error::{ApiError, FieldError};
use crate::events::{Event, EventType, Queue};
use crate::idempotency::{self, Begin, Claim, StoredAnswer};
use crate::outbox;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, StoreError, TxAction, Update};

/// Longest payment method id accepted.
const MAX_METHOD_CHARS: usize = 255;

/// Body of `POST /bookings/{id}/payments`. The amount is the booking's total, never the client's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PaymentInput {
    /// A payment method id, e.g. `pm_card_visa`.
    #[schema(required, nullable = false, min_length = 1, max_length = 255)]
    pub payment_method: Option<String>,
}

/// The `data` of `PaymentSucceeded` / `PaymentFailed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentOutcome {
    pub payment_id: String,
    pub amount: crate::money::Money,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The record of a booking paid by a payment.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PaidClaim<'a> {
    payment_id: &'a str,
}

/// Pays a booking for its guest; the answer is `201` with the payment (succeeded, failed or
/// pending), or the first answer again for a repeated `Idempotency-Key`.
pub async fn pay(
    app: &App,
    principal: &Principal,
    idempotency_key: Option<&str>,
    booking_id: &str,
    input: PaymentInput,
) -> Result<StoredAnswer, ApiError> {
    let (booking, _) = lifecycle::load(app, booking_id)
        .await?
        .ok_or(crate::bookings::NOT_FOUND)?;
    if !booking.involves(&principal.user_id) {
        return Err(crate::bookings::NOT_FOUND);
    }
    if booking.guest_id != principal.user_id {
        return Err(ApiError::Forbidden("only the booking's guest pays for it"));
    }
    let route = format!("POST /bookings/{}/payments", booking.id);
    let claim = match idempotency::begin(app, idempotency_key, &input, &principal.user_id, &route).await? {
        Begin::Replay(answer) => return Ok(answer),
        Begin::Proceed(claim) => claim,
    };
    let method = payment_method(input)?;
    let now = app.clock.now();
    payable(&booking, now)?;

    let payment_id = crate::ids::new_id();
    // A retry with the same Idempotency-Key reaches the provider with the same key, so a
    // charge made before a crash is found again instead of made twice.
    let attempt = claim.as_ref().map_or_else(|| payment_id.clone(), Claim::fingerprint);
    let request = ChargeRequest {
        idempotency_key: format!("roost-{}-{attempt}", booking.id),
        amount: booking.price.total,
        payment_method: method,
        booking_id: booking.id.clone(),
        payment_id: payment_id.clone(),
    };
    let charge = app.payments.charge(&request).await.map_err(|err| match err {
        ProviderError::Invalid(message) => ApiError::Validation(vec![FieldError::new(
            "paymentMethod",
            format!("was refused: {message}"),
        )]),
        ProviderError::Unavailable(cause) => ApiError::unavailable(format!("payment provider: {cause}")),
    })?;
    let (status, next_action, failure_reason) = match charge.state {
        ChargeState::Succeeded => (PaymentStatus::Succeeded, None, None),
        ChargeState::Failed { reason } => (PaymentStatus::Failed, None, Some(reason)),
        ChargeState::RequiresAction { url } => (
            PaymentStatus::Pending,
            Some(NextAction {
                kind: "redirect".to_owned(),
                url,
            }),
            None,
        ),
        ChargeState::Processing => (PaymentStatus::Pending, None, None),
    };
    let payment = Payment {
        id: payment_id,
        booking_id: booking.id.clone(),
        amount: booking.price.total,
        status,
        provider: app.payments.name(),
        provider_ref: charge.reference,
        failure_reason,
        next_action,
        refunds: Vec::new(),
        created_at: now,
    };
    let answer = StoredAnswer {
        status: 201,
        body: serde_json::to_string(&PaymentView::from(&payment)).map_err(ApiError::internal)?,
    };
    record_new(app, &payment, claim.as_ref(), &answer, now).await
}

fn payment_method(input: PaymentInput) -> Result<String, ApiError> {
    let method = input.payment_method.map(|m| m.trim().to_owned()).unwrap_or_default();
    if method.is_empty() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "paymentMethod",
            "is required",
        )]));
    }
    if method.chars().count() > MAX_METHOD_CHARS {
        return Err(ApiError::Validation(vec![FieldError::new(
            "paymentMethod",
            format!("must be at most {MAX_METHOD_CHARS} characters"),
        )]));
    }
    Ok(method)
}

/// `409` unless the booking awaits payment with its hold running and nothing paid it yet.
fn payable(booking: &Booking, now: DateTime<Utc>) -> Result<(), ApiError> {
    if booking.status != BookingStatus::PendingPayment {
        return Err(ApiError::conflict(format!(
            "the booking is {}, not awaiting payment",
            booking.status.as_str()
        )));
    }
    if booking.paid_by.is_some() {
        return Err(ApiError::conflict("the booking is already paid"));
    }
    if now >= booking.hold_expires_at {
        return Err(ApiError::conflict("the hold on the nights has ended; book again"));
    }
    Ok(())
}

/// Events recorded in a transaction, to publish once it commits.
type Recorded = Vec<(Queue, Event)>;

/// The actions and events that record a payment's outcome (after the payment's own action).
pub(crate) fn outcome(
    clock: &dyn Clock,
    payment: &Payment,
    now: DateTime<Utc>,
) -> Result<(Vec<TxAction>, Recorded), StoreError> {
    let mut actions = Vec::new();
    let data = |reason: Option<String>| {
        serde_json::to_value(PaymentOutcome {
            payment_id: payment.id.clone(),
            amount: payment.amount,
            reason,
        })
        .map_err(|err| StoreError::InvalidItem(err.to_string()))
    };
    let event = match payment.status {
        PaymentStatus::Succeeded => {
            actions.push(TxAction::Put {
                item: Item::new(
                    keys::paid_claim(&payment.booking_id),
                    kind::PAID_CLAIM,
                    &PaidClaim {
                        payment_id: &payment.id,
                    },
                )?,
                condition: Condition::Absent,
            });
            actions.push(TxAction::Update {
                key: keys::booking(&payment.booking_id),
                update: Update::new().set("paidBy", payment.id.clone()),
                condition: Condition::attribute_equals("status", BookingStatus::PendingPayment.as_str()),
            });
            Some(Event::new(
                EventType::PaymentSucceeded,
                payment.booking_id.clone(),
                now,
                data(None)?,
            ))
        }
        PaymentStatus::Failed => Some(Event::new(
            EventType::PaymentFailed,
            payment.booking_id.clone(),
            now,
            data(payment.failure_reason.clone())?,
        )),
        _ => None,
    };
    let mut recorded = Vec::new();
    if let Some(event) = event {
        // A failed payment is also emailed to the guest: its own event on its own queue.
        let mail = (event.kind == EventType::PaymentFailed)
            .then(|| Event::new(event.kind, event.booking_id.clone(), now, event.data.clone()));
        recorded.push((Queue::BookingEvents, event));
        if let Some(mail) = mail {
            recorded.push((Queue::Notifications, mail));
        }
    }
    actions.extend(outbox::record(clock, &recorded)?);
    Ok((actions, recorded))
}

/// Counts a settled payment in the `PaymentsSucceeded` or `PaymentsFailed` metric.
pub(crate) fn count_outcome(payment: &Payment, now: DateTime<Utc>) {
    match payment.status {
        PaymentStatus::Succeeded => crate::metrics::count(crate::metrics::Metric::PaymentsSucceeded, now),
        PaymentStatus::Failed => crate::metrics::count(crate::metrics::Metric::PaymentsFailed, now),
        _ => {}
    }
}

/// Records a new payment and its outcome in one transaction.
async fn record_new(
    app: &App,
    payment: &Payment,
    claim: Option<&Claim>,
    answer: &StoredAnswer,
    now: DateTime<Utc>,
) -> Result<StoredAnswer, ApiError> {
    let mut actions = vec![TxAction::Put {
        item: payment.to_item()?,
        condition: Condition::Absent,
    }];
    let (outcome_actions, recorded) = outcome(app.clock.as_ref(), payment, now)?;
    let paid_positions = if payment.status == PaymentStatus::Succeeded {
        1..3
    } else {
        0..0
    };
    actions.extend(outcome_actions);
    let claim_position = actions.len();
    if let Some(claim) = claim {
        actions.push(claim.record(answer, now)?);
    }
    match app.store.transact(actions).await {
        Ok(()) => {
            outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
            tracing::info!(payment_id = %payment.id, booking_id = %payment.booking_id, status = ?payment.status, "payment recorded");
            count_outcome(payment, now);
            Ok(answer.clone())
        }
        Err(StoreError::TransactionConditionFailed { index }) if paid_positions.contains(&index) => {
            // Paid by another payment meanwhile, or no longer awaiting payment: this charge
            // must not stand.
            give_back(app, payment, now).await;
            Err(ApiError::conflict(
                "the booking was paid or changed meanwhile; this payment was refunded",
            ))
        }
        Err(StoreError::TransactionConditionFailed { index }) if index == claim_position && claim.is_some() => {
            match claim {
                Some(claim) => claim.answer_of_concurrent_request(app).await,
                None => Err(ApiError::internal("idempotency position without a claim")),
            }
        }
        Err(err) => {
            tracing::error!(
                payment_id = %payment.id,
                booking_id = %payment.booking_id,
                provider_ref = %payment.provider_ref,
                status = ?payment.status,
                error = %err,
                "charge made but not recorded; a retry with the same Idempotency-Key finds it again"
            );
            Err(err.into())
        }
    }
}

/// Refunds a charge that cannot stand (the booking was paid by another one, or left
/// `pending_payment`) and records the payment as refunded. Failures are logged for an
/// operator: the charge is at the provider with the booking id in its metadata.
pub(crate) async fn give_back(app: &App, payment: &Payment, now: DateTime<Utc>) {
    let key = format!("roost-undo-{}", payment.id);
    match app.payments.refund(&payment.provider_ref, payment.amount, &key).await {
        Ok(refund) => {
            let mut refunded = payment.clone();
            refunded.status = PaymentStatus::Refunded;
            refunded.refunds.push(super::model::RefundRecord {
                amount: payment.amount,
                status: refund.status,
                created_at: now,
                reference: refund.reference,
                event_id: key,
            });
            match refunded.to_item() {
                Ok(item) => {
                    if let Err(err) = app.store.put(item, Condition::Always).await {
                        tracing::error!(payment_id = %payment.id, error = %err, "refunded payment not recorded");
                    }
                }
                Err(err) => tracing::error!(payment_id = %payment.id, error = %err, "refunded payment not recorded"),
            }
            tracing::warn!(payment_id = %payment.id, booking_id = %payment.booking_id, "second charge refunded");
        }
        Err(err) => tracing::error!(
            payment_id = %payment.id,
            provider_ref = %payment.provider_ref,
            error = %err,
            "a charge that cannot stand was not refunded: refund it by hand"
        ),
    }
}
