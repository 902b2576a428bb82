//! What every SQS-triggered function shares: reading the events of a batch and reporting the
//! ones that failed (`batchItemFailures`), so that only those come back.
//!
//! The queues are FIFO: once one message of a batch fails, every later one is reported failed
//! too, so that no event of a booking is handled before an earlier one that has to be retried.
//! A body that is not an event fails like any other message and reaches the dead-letter
//! queue after 3 receives, where an operator can look at it.

use std::future::Future;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use crate::events::Event;

/// Hands each event of `batch` to `handle` in order; reports the failed and the later ones.
pub async fn handle_batch<F, Fut, E>(batch: SqsEvent, mut handle: F) -> SqsBatchResponse
where
    F: FnMut(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut response = SqsBatchResponse::default();
    let mut failed = false;
    for record in batch.records {
        let message_id = record.message_id.unwrap_or_default();
        if failed {
            response.add_failure(message_id);
            continue;
        }
        let event = match serde_json::from_str::<Event>(record.body.as_deref().unwrap_or_default()) {
            Ok(event) => event,
            Err(err) => {
                tracing::error!(message_id, error = %err, "message is not an event");
                failed = true;
                response.add_failure(message_id);
                continue;
            }
        };
        let (event_id, kind, booking_id) = (event.id.clone(), event.kind, event.booking_id.clone());
        if let Err(err) = handle(event).await {
            tracing::warn!(message_id, event_id, ?kind, booking_id, error = %err, "event not handled; it will be retried");
            failed = true;
            response.add_failure(message_id);
        }
    }
    response
}
