//! The `booking-events` consumer: payment outcomes and deadlines move bookings on.
//!
//! Every event is checked against the booking's current state, so a repeated or late event
//! changes nothing: a second `PaymentSucceeded` finds the booking no longer awaiting payment,
//! a hold-expiry deadline finds it paid, and so on.

use super::lifecycle::{self, Move, MoveError, Transition};
use super::model::SYSTEM_ACTOR;
use crate::App;
use crate::deadlines::{Deadline, DeadlineKind};
use crate::error::ApiError;
use crate::events::{Event, EventType};

/// Handles one event; an error means "retry it".
pub async fn on_event(app: &App, event: Event) -> Result<(), ApiError> {
    match event.kind {
        // Confirmed (instant book) or awaiting the host (request to book), by the booking's terms.
        EventType::PaymentSucceeded => system_move(app, &event.booking_id, Transition::Pay, None).await,
        EventType::PaymentFailed => {
            // The booking stays pending; the guest may try again while the hold runs.
            tracing::info!(booking_id = %event.booking_id, "payment failed; booking stays pending");
            Ok(())
        }
        EventType::DeadlineReached => {
            let deadline: Deadline = serde_json::from_value(event.data)
                .map_err(|err| ApiError::internal(format!("deadline event {}: {err}", event.id)))?;
            match deadline.kind {
                DeadlineKind::HoldExpiry => system_move(app, &deadline.subject_id, Transition::Expire, None).await,
                DeadlineKind::HostAnswer => {
                    let reason = Some("the host did not answer within 24 hours".to_owned());
                    system_move(app, &deadline.subject_id, Transition::Decline, reason).await
                }
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

/// Makes a move as the system; a booking already past it is left alone.
async fn system_move(
    app: &App,
    booking_id: &str,
    transition: Transition,
    reason: Option<String>,
) -> Result<(), ApiError> {
    let step = Move {
        transition,
        actor: SYSTEM_ACTOR.to_owned(),
        reason,
        request: None,
        also: Vec::new(),
    };
    // A declined request was paid; an expiring booking may have been paid at the last moment.
    let refund = |booking: &super::Booking, _now| match transition {
        Transition::Decline => Some(booking.price.total),
        Transition::Expire => booking.paid_by.as_ref().map(|_| booking.price.total),
        _ => None,
    };
    match lifecycle::apply(app, booking_id, step, |_, _| Ok(()), refund).await {
        Ok(_) => Ok(()),
        Err(MoveError::Illegal { from, .. }) => {
            tracing::info!(
                booking_id,
                from = from.as_str(),
                ?transition,
                "event no longer applies; ignored"
            );
            Ok(())
        }
        Err(MoveError::NotFound) => {
            tracing::error!(booking_id, ?transition, "event for an unknown booking ignored");
            Ok(())
        }
        Err(MoveError::Api(err)) => Err(err),
    }
}
