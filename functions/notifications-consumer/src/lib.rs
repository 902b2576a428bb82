//! The consumer of the `notifications` queue: the email of each booking moment, message,
//! review and account event, once per event and recipient.

use shared::App;
use shared::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::notifications;

/// Handles a batch, reporting the messages to retry.
pub async fn handle(app: &App, batch: SqsEvent) -> Result<SqsBatchResponse, shared::lambda::Error> {
    Ok(shared::consumer::handle_batch(batch, |event| notifications::on_event(app, event)).await)
}
