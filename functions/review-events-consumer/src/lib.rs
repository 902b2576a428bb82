//! The consumer of the `review-events` queue: publishes a lone review when its stay's review
//! window closes.

use shared::App;
use shared::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::reviews::consumer;

/// Handles a batch, reporting the messages to retry.
pub async fn handle(app: &App, batch: SqsEvent) -> Result<SqsBatchResponse, shared::lambda::Error> {
    Ok(shared::consumer::handle_batch(batch, |event| consumer::on_event(app, event)).await)
}
