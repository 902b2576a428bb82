//! The consumer of the `payment-events` queue: refunds cancelled, declined and expired
//! bookings, schedules the host's payout at check-in and pays it when due.

use shared::App;
use shared::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::payments::consumer;

/// Handles a batch, reporting the messages to retry.
pub async fn handle(app: &App, batch: SqsEvent) -> Result<SqsBatchResponse, shared::lambda::Error> {
    Ok(shared::consumer::handle_batch(batch, |event| consumer::on_event(app, event)).await)
}
