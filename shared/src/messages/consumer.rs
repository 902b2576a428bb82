//! The `message-events` consumer: each booking transition of the contract's list becomes one
//! system message in the booking's conversation, and a confirmed stay's check-in deadline
//! posts the property's check-in instructions.
//!
//! A system message's id is the id of the event that caused it and its time the event's
//! time, so its key is fixed by the event: a redelivered event finds the message there (the
//! put's condition fails) and posts nothing twice.

use chrono::{DateTime, Utc};

use super::model::{Message, MessageKind, Parties, SYSTEM_SENDER, SystemEvent};
use crate::App;
use crate::bookings::lifecycle::{self, BookingChange};
use crate::bookings::{Booking, BookingStatus};
use crate::deadlines::{Deadline, DeadlineKind};
use crate::error::ApiError;
use crate::events::{Event, EventType};
use crate::properties::Property;
use crate::store::keys;

/// The system message a booking event posts, if any.
pub fn system_event(kind: EventType) -> Option<SystemEvent> {
    match kind {
        EventType::BookingRequested => Some(SystemEvent::BookingRequested),
        EventType::BookingConfirmed => Some(SystemEvent::BookingConfirmed),
        EventType::BookingDeclined => Some(SystemEvent::BookingDeclined),
        EventType::BookingCancelled => Some(SystemEvent::BookingCancelled),
        EventType::BookingExpired => Some(SystemEvent::BookingExpired),
        EventType::BookingCheckedIn => Some(SystemEvent::CheckedIn),
        EventType::BookingCheckedOut => Some(SystemEvent::CheckedOut),
        _ => None,
    }
}

/// What a system message says.
fn text(event: SystemEvent, change: &BookingChange) -> String {
    let dates = match (change.check_in, change.check_out) {
        (Some(check_in), Some(check_out)) => format!(" for {check_in} to {check_out}"),
        _ => String::new(),
    };
    let reason = change
        .reason
        .as_ref()
        .map(|reason| format!(" Reason: {reason}"))
        .unwrap_or_default();
    match event {
        SystemEvent::BookingRequested => {
            format!("Booking requested{dates}. The host has 24 hours to accept or decline.")
        }
        SystemEvent::BookingConfirmed => format!("Booking confirmed{dates}."),
        SystemEvent::BookingDeclined => format!("Booking declined{dates}; the guest is refunded in full.{reason}"),
        SystemEvent::BookingCancelled => format!("Booking cancelled{dates}.{reason}"),
        SystemEvent::BookingExpired => format!("Booking expired{dates}: it was not paid in time."),
        SystemEvent::CheckedIn => "The guest has checked in.".to_owned(),
        SystemEvent::CheckedOut => "The guest has checked out. Reviews are open for 14 days.".to_owned(),
        SystemEvent::CheckInInstructions => String::new(),
    }
}

fn system_message(event: &Event, parties: &Parties, kind: SystemEvent, body: String, booking_id: &str) -> Message {
    Message {
        id: event.id.clone(),
        conversation_id: parties.conversation_id.clone(),
        sender_id: SYSTEM_SENDER.to_owned(),
        kind: MessageKind::System,
        body,
        event: Some(kind),
        booking_id: Some(booking_id.to_owned()),
        created_at: event.occurred_at,
    }
}

/// Handles one event; an error means "retry it".
pub async fn on_event(app: &App, event: Event) -> Result<(), ApiError> {
    if event.kind == EventType::DeadlineReached {
        let deadline: Deadline = serde_json::from_value(event.data.clone())
            .map_err(|err| ApiError::internal(format!("deadline event {}: {err}", event.id)))?;
        if deadline.kind == DeadlineKind::CheckInInstructions {
            return instructions(app, &event, &deadline).await;
        }
        tracing::warn!(kind = ?deadline.kind, "deadline for another queue ignored");
        return Ok(());
    }
    let Some(kind) = system_event(event.kind) else {
        tracing::warn!(kind = ?event.kind, event_id = %event.id, "event type not handled here; ignored");
        return Ok(());
    };
    let change: BookingChange = serde_json::from_value(event.data.clone())
        .map_err(|err| ApiError::internal(format!("booking event {}: {err}", event.id)))?;
    let parties = super::ensure(app, &change.property_id, &change.guest_id, &change.host_id).await?;
    let message = system_message(&event, &parties, kind, text(kind, &change), &event.booking_id);
    if !super::post_system(app, &parties, &message).await? {
        tracing::info!(event_id = %event.id, "system message already posted; redelivery ignored");
    }
    Ok(())
}

/// Whether the booking was a confirmed stay when `at` came: confirmed by then, and not
/// cancelled, declined or expired at or before it. Read from its history, so an event
/// handled late (the stay already checked in or out) still posts what was due.
fn confirmed_at(booking: &Booking, at: DateTime<Utc>) -> bool {
    let confirmed = booking
        .history
        .iter()
        .any(|entry| entry.status == BookingStatus::Confirmed && entry.at <= at);
    let ended = booking.history.iter().any(|entry| {
        entry.at <= at
            && matches!(
                entry.status,
                BookingStatus::Cancelled | BookingStatus::Declined | BookingStatus::Expired
            )
    });
    confirmed && !ended
}

/// Posts a confirmed stay's check-in instructions (the property's current ones, when not
/// empty); a booking that ended before they were due gets none (its cancellation also
/// removed the deadline).
async fn instructions(app: &App, event: &Event, deadline: &Deadline) -> Result<(), ApiError> {
    let booking_id = deadline.subject_id.as_str();
    let Some((booking, _)) = lifecycle::load(app, booking_id).await? else {
        tracing::error!(booking_id, "check-in instructions for an unknown booking ignored");
        return Ok(());
    };
    if !confirmed_at(&booking, deadline.due_at.max(event.occurred_at)) {
        tracing::info!(
            booking_id,
            status = booking.status.as_str(),
            "no check-in instructions for this booking"
        );
        return Ok(());
    }
    let Some(item) = app.store.get(&keys::property(&booking.property_id)).await? else {
        return Ok(());
    };
    let property: Property = item.into_record()?;
    let body = property.check_in_instructions.trim();
    if body.is_empty() {
        return Ok(());
    }
    let parties = conversation_of(app, &booking).await?;
    let message = system_message(
        event,
        &parties,
        SystemEvent::CheckInInstructions,
        body.to_owned(),
        &booking.id,
    );
    super::post_system(app, &parties, &message).await?;
    Ok(())
}

async fn conversation_of(app: &App, booking: &Booking) -> Result<Parties, ApiError> {
    super::ensure(app, &booking.property_id, &booking.guest_id, &booking.host_id).await
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;
    use crate::bookings::model::{HistoryEntry, Terms};
    use crate::bookings::price::PriceBreakdown;
    use crate::money::{Currency, Money};
    use crate::properties::model::CancellationPolicy;

    fn booking(history: &[(BookingStatus, &str)]) -> Booking {
        let eur = |amount| Money::new(amount, Currency::parse("EUR").unwrap());
        let at = |raw: &str| raw.parse::<DateTime<Utc>>().unwrap();
        Booking {
            id: "B".into(),
            property_id: "P".into(),
            guest_id: "guest".into(),
            host_id: "host".into(),
            check_in: NaiveDate::from_ymd_opt(2027, 3, 10).unwrap(),
            check_out: NaiveDate::from_ymd_opt(2027, 3, 12).unwrap(),
            guests: 2,
            status: history.last().unwrap().0,
            price: PriceBreakdown::compute(eur(10_000), eur(2_000), 2).unwrap(),
            terms: Terms {
                time_zone: "Europe/Oslo".into(),
                check_in_time: "15:00".into(),
                check_out_time: "11:00".into(),
                cancellation_policy: CancellationPolicy::Flexible,
                instant_book: true,
            },
            hold_expires_at: at("2027-03-01T00:15:00Z"),
            checked_in_at: None,
            checked_out_at: None,
            refund: None,
            paid_by: None,
            conversation_id: None,
            created_at: at("2027-03-01T00:00:00Z"),
            history: history
                .iter()
                .map(|(status, when)| HistoryEntry {
                    status: *status,
                    actor: "system".into(),
                    at: at(when),
                    reason: None,
                })
                .collect(),
            last_request: None,
        }
    }

    #[test]
    fn instructions_go_to_stays_confirmed_when_due_whatever_happened_since() {
        use BookingStatus::*;
        let due = "2027-03-08T14:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let confirmed = [
            (PendingPayment, "2027-03-01T00:00:00Z"),
            (Confirmed, "2027-03-01T00:01:00Z"),
        ];
        assert!(confirmed_at(&booking(&confirmed), due));
        let mut later = confirmed.to_vec();
        later.extend([
            (CheckedIn, "2027-03-10T16:00:00Z"),
            (CheckedOut, "2027-03-12T10:00:00Z"),
        ]);
        assert!(confirmed_at(&booking(&later), due), "handled late, after the stay");
        let mut cancelled = confirmed.to_vec();
        cancelled.push((Cancelled, "2027-03-05T09:00:00Z"));
        assert!(!confirmed_at(&booking(&cancelled), due));
        let pending = [
            (PendingPayment, "2027-03-01T00:00:00Z"),
            (Expired, "2027-03-01T00:15:00Z"),
        ];
        assert!(!confirmed_at(&booking(&pending), due));
        let requested = [
            (PendingPayment, "2027-03-01T00:00:00Z"),
            (AwaitingHost, "2027-03-01T00:01:00Z"),
        ];
        assert!(!confirmed_at(&booking(&requested), due));
        assert!(!confirmed_at(&booking(&confirmed), due - Duration::days(30)));
    }
}
