//! The consumer of the `message-events` queue: booking transitions become system messages
//! in their conversation, and check-in deadlines post the property's instructions.

use shared::App;
use shared::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::messages::consumer;

/// Handles a batch, reporting the messages to retry.
pub async fn handle(app: &App, batch: SqsEvent) -> Result<SqsBatchResponse, shared::lambda::Error> {
    Ok(shared::consumer::handle_batch(batch, |event| consumer::on_event(app, event)).await)
}
