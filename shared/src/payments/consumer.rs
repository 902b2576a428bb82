//! The `payment-events` consumer: refunds what cancelled, declined and expired bookings carry,
//! schedules the host's payout at check-in and pays it out when it comes due.
//!
//! Each refund is made with the provider idempotency key `refund-<event id>` and recorded on
//! the payment with that event id, so a redelivered event neither refunds nor records twice.
//! A refund the provider refuses or cannot make is an error: the message comes back and, after
//! 3 receives, waits on the dead-letter queue for an operator instead of being dropped.

use chrono::{DateTime, Duration, Utc};

use super::model::{Payment, PaymentStatus, Payout, PayoutStatus, RefundRecord};
use super::provider::ProviderError;
use crate::App;
use crate::bookings::lifecycle::{self, BookingChange};
use crate::deadlines::{self, Deadline, DeadlineKind};
use crate::error::ApiError;
use crate::events::{Event, EventType, Queue};
use crate::money::Money;
use crate::outbox;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, StoreError, TxAction, Update};

/// How long after check-in the host is paid.
pub const PAYOUT_DELAY: Duration = Duration::hours(24);
/// Attempts when the payment changes while a refund is recorded.
const ATTEMPTS: usize = 4;

/// Why an event could not be handled (the message is retried).
#[derive(Debug, thiserror::Error)]
pub enum PaymentEventError {
    #[error("event {event_id}: {message}")]
    Malformed { event_id: String, message: String },
    #[error("refund for booking {booking_id} failed: {cause}")]
    Refund { booking_id: String, cause: ProviderError },
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::consumer::Transient for PaymentEventError {
    fn is_transient(&self) -> bool {
        match self {
            // Refunds are keyed, so asking again is safe; a refund refused as invalid will be
            // refused again.
            PaymentEventError::Refund { cause, .. } => matches!(cause, ProviderError::Unavailable(_)),
            PaymentEventError::Api(err) => err.is_transient(),
            PaymentEventError::Store(err) => err.is_transient(),
            PaymentEventError::Malformed { .. } => false,
        }
    }
}

/// Handles one event of the `payment-events` queue.
pub async fn on_event(app: &App, event: Event) -> Result<(), PaymentEventError> {
    match event.kind {
        EventType::BookingCancelled | EventType::BookingDeclined | EventType::BookingExpired => {
            let change = change_of(&event)?;
            match change.refund.filter(|refund| refund.amount > 0) {
                Some(amount) => refund(app, &event, amount).await,
                None => Ok(()),
            }
        }
        EventType::BookingCheckedIn => schedule_payout(app, &event).await,
        EventType::DeadlineReached => {
            let deadline: Deadline =
                serde_json::from_value(event.data.clone()).map_err(|err| malformed(&event, err))?;
            match deadline.kind {
                DeadlineKind::Payout => pay_out(app, &deadline.subject_id).await,
                other => {
                    tracing::warn!(?other, "deadline for another queue ignored");
                    Ok(())
                }
            }
        }
        other => {
            tracing::warn!(?other, event_id = %event.id, "event type not handled here; ignored");
            Ok(())
        }
    }
}

fn malformed(event: &Event, err: impl std::fmt::Display) -> PaymentEventError {
    PaymentEventError::Malformed {
        event_id: event.id.clone(),
        message: err.to_string(),
    }
}

fn change_of(event: &Event) -> Result<BookingChange, PaymentEventError> {
    serde_json::from_value(event.data.clone()).map_err(|err| malformed(event, err))
}

/// The payment that paid `booking_id`, with its version.
async fn paying_payment(app: &App, booking_id: &str) -> Result<Option<(Payment, u64)>, PaymentEventError> {
    let Some((booking, _)) = lifecycle::load(app, booking_id).await? else {
        return Ok(None);
    };
    let Some(payment_id) = booking.paid_by else {
        return Ok(None);
    };
    match app.store.get(&keys::payment(booking_id, &payment_id)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// Refunds `amount` of the booking's payment for `event`, once.
async fn refund(app: &App, event: &Event, amount: Money) -> Result<(), PaymentEventError> {
    let booking_id = event.booking_id.as_str();
    let key = format!("refund-{}", event.id);
    for _ in 0..ATTEMPTS {
        let Some((payment, version)) = paying_payment(app, booking_id).await? else {
            tracing::info!(booking_id, "nothing was paid; nothing to refund");
            return Ok(());
        };
        if payment.refunds.iter().any(|r| r.event_id == key) {
            return Ok(());
        }
        let left = payment.amount.amount - payment.refunded();
        let amount = Money::new(amount.amount.min(left), amount.currency);
        if amount.amount <= 0 {
            return Ok(());
        }
        let made = app
            .payments
            .refund(&payment.provider_ref, amount, &key)
            .await
            .map_err(|cause| PaymentEventError::Refund {
                booking_id: booking_id.to_owned(),
                cause,
            })?;
        let now = app.clock.now();
        let mut next = payment.clone();
        next.refunds.push(RefundRecord {
            amount,
            status: made.status,
            created_at: now,
            reference: made.reference,
            event_id: key.clone(),
        });
        next.status = if next.refunded() >= next.amount.amount {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        };
        let mut item = next.to_item()?;
        item.version = version + 1;
        let mut actions = vec![TxAction::Put {
            item,
            condition: Condition::VersionEquals(version),
        }];
        if let Some(lower) = lower_payout(app, booking_id, amount).await? {
            actions.push(lower);
        }
        match app.store.transact(actions).await {
            Ok(()) => {
                tracing::info!(booking_id, amount = amount.amount, "refund made");
                crate::metrics::count(crate::metrics::Metric::Refunds, now);
                return Ok(());
            }
            // Changed meanwhile: read again; the provider key keeps the refund single.
            Err(StoreError::TransactionConditionFailed { .. } | StoreError::Conflict) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::conflict("the payment kept changing").into())
}

/// A scheduled payout is lowered by what is refunded before it is paid.
async fn lower_payout(app: &App, booking_id: &str, refunded: Money) -> Result<Option<TxAction>, PaymentEventError> {
    let Some(item) = app.store.get(&keys::payout(booking_id)).await? else {
        return Ok(None);
    };
    let payout: Payout = item.record()?;
    if payout.status != PayoutStatus::Scheduled {
        return Ok(None);
    }
    Ok(Some(TxAction::Update {
        key: keys::payout(booking_id),
        update: Update::new().add("amountMinor", -refunded.amount),
        condition: Condition::attribute_equals("status", "scheduled"),
    }))
}

/// At check-in: the host's payout, due 24 hours later.
async fn schedule_payout(app: &App, event: &Event) -> Result<(), PaymentEventError> {
    let change = change_of(event)?;
    let checked_in_at: DateTime<Utc> = change.checked_in_at.unwrap_or(event.occurred_at);
    let payout = Payout {
        booking_id: event.booking_id.clone(),
        host_id: change.host_id.clone(),
        amount_minor: change.host_payout.amount,
        currency: change.host_payout.currency,
        status: PayoutStatus::Scheduled,
        available_at: checked_in_at + PAYOUT_DELAY,
        paid_at: None,
    };
    let actions = vec![
        TxAction::Put {
            item: Item::new(keys::payout(&event.booking_id), kind::PAYOUT, &payout)?,
            condition: Condition::Absent,
        },
        deadlines::schedule(
            &Deadline {
                kind: DeadlineKind::Payout,
                subject_id: event.booking_id.clone(),
                booking_id: event.booking_id.clone(),
                due_at: payout.available_at,
            },
            app.clock.as_ref(),
        )?,
    ];
    match app.store.transact(actions).await {
        // Index 0 failing means the payout exists: the event was handled before.
        Ok(()) | Err(StoreError::TransactionConditionFailed { index: 0 }) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// When the payout comes due: marked paid (once), at the time it is handled. That is also
/// its event's time, as the outbox requires (the relay finds an event by the time it was
/// recorded): the deadline's own event may have waited on the queue for minutes.
async fn pay_out(app: &App, booking_id: &str) -> Result<(), PaymentEventError> {
    let at = app.clock.now();
    let update = Update::new()
        .set("status", "paid")
        .set("paidAt", serde_json::to_value(at).map_err(ApiError::internal)?);
    // The host hears of it by email: the event is part of the payout's own write.
    let recorded = [(
        Queue::Notifications,
        Event::new(EventType::PayoutPaid, booking_id, at, serde_json::json!({})),
    )];
    let mut actions = vec![TxAction::Update {
        key: keys::payout(booking_id),
        update,
        condition: Condition::attribute_equals("status", "scheduled"),
    }];
    actions.extend(outbox::record(app.clock.as_ref(), &recorded)?);
    match app.store.transact(actions).await {
        Ok(()) => {
            outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
            tracing::info!(booking_id, "payout paid");
            Ok(())
        }
        Err(StoreError::TransactionConditionFailed { index: 0 }) => Ok(()),
        Err(err) => Err(err.into()),
    }
}
