//! The consumer of the `booking-events` queue: payment outcomes and deadlines move bookings
//! on (confirm, await the host, expire, decline for want of an answer).

use shared::App;
use shared::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::bookings::consumer;

/// Handles a batch, reporting the messages to retry.
pub async fn handle(app: &App, batch: SqsEvent) -> Result<SqsBatchResponse, shared::lambda::Error> {
    Ok(shared::consumer::handle_batch(batch, |event| consumer::on_event(app, event)).await)
}
