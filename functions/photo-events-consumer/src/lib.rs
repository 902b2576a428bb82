//! The consumer of the `photo-events` queue: verifies each uploaded file (the photo becomes
//! `ready` or `rejected`), deletes the files of removed photos, drops uploads that never came.

use shared::App;
use shared::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::photos::arrival;

/// Handles a batch, reporting the messages to retry.
pub async fn handle(app: &App, batch: SqsEvent) -> Result<SqsBatchResponse, shared::lambda::Error> {
    Ok(arrival::handle_batch(app, batch).await)
}
