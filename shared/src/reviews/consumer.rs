//! The `review-events` consumer: when a stay's review window closes, a review still waiting
//! for the other side is published alone. Check-outs need nothing here (the window is read
//! from the booking when a review is written), so `BookingCheckedOut` is acknowledged.

use super::publish;
use crate::App;
use crate::deadlines::{Deadline, DeadlineKind};
use crate::error::ApiError;
use crate::events::{Event, EventType};

/// Handles one event; an error means "retry it".
pub async fn on_event(app: &App, event: Event) -> Result<(), ApiError> {
    match event.kind {
        EventType::DeadlineReached => {
            let deadline: Deadline = serde_json::from_value(event.data)
                .map_err(|err| ApiError::internal(format!("deadline event {}: {err}", event.id)))?;
            if deadline.kind == DeadlineKind::ReviewWindow {
                publish::publish_booking(app, &deadline.subject_id).await?;
            }
            Ok(())
        }
        EventType::BookingCheckedOut => Ok(()),
        other => {
            tracing::warn!(?other, event_id = %event.id, "event type not handled here; ignored");
            Ok(())
        }
    }
}
