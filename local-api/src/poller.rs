//! Plays Lambda's SQS event source mapping for the AWS backend: receives up to 10 messages of
//! a queue, hands them to the queue's consumer as one `SqsEvent`, deletes the ones it did not
//! report in `batchItemFailures`, and makes the failed ones visible again at once (Lambda
//! would wait for the visibility timeout), so SQS redrives a message to its dead-letter queue
//! after its third receive, as in AWS.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use shared::App;
use shared::aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use shared::events::Queue;
use tokio::task::JoinHandle;

use crate::registry::ConsumerHandler;

/// Pause after an empty receive. Short polls, not long ones: a long poll would hold
/// single-threaded emulators (moto_server) for its whole wait.
const IDLE_PAUSE: Duration = Duration::from_millis(200);
/// Pause after a failed receive (the emulator went away, say).
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Starts polling `url` for `queue`'s consumer.
pub fn spawn(
    app: &'static App,
    sqs: aws_sdk_sqs::Client,
    queue: Queue,
    url: String,
    handler: ConsumerHandler,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let pause = match poll_once(app, &sqs, queue, &url, handler).await {
                Ok(0) => IDLE_PAUSE,
                Ok(_) => Duration::ZERO,
                Err(err) => {
                    tracing::warn!(queue = queue.name(), error = %err, "receiving from the queue failed");
                    ERROR_PAUSE
                }
            };
            tokio::time::sleep(pause).await;
        }
    })
}

/// One receive, one batch; returns how many messages it handled.
async fn poll_once(
    app: &'static App,
    sqs: &aws_sdk_sqs::Client,
    queue: Queue,
    url: &str,
    handler: ConsumerHandler,
) -> Result<usize, String> {
    let received = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(0)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|err| aws_sdk_sqs::error::DisplayErrorContext(err).to_string())?;
    let messages = received.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(0);
    }
    let mut batch = SqsEvent::default();
    batch.records = messages.iter().map(|message| record(queue, message)).collect();
    let response = handler(app, batch).await;
    let failed: HashSet<&str> = response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.as_str())
        .collect();
    for message in &messages {
        let (Some(id), Some(receipt)) = (message.message_id.as_deref(), message.receipt_handle.as_deref()) else {
            continue;
        };
        let settled = if failed.contains(id) {
            sqs.change_message_visibility()
                .queue_url(url)
                .receipt_handle(receipt)
                .visibility_timeout(0)
                .send()
                .await
                .map(|_| ())
                .map_err(|err| aws_sdk_sqs::error::DisplayErrorContext(err).to_string())
        } else {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(receipt)
                .send()
                .await
                .map(|_| ())
                .map_err(|err| aws_sdk_sqs::error::DisplayErrorContext(err).to_string())
        };
        if let Err(err) = settled {
            // Either way the message comes back after its visibility timeout; consumers
            // are idempotent, so a second delivery of a handled one is harmless.
            tracing::warn!(queue = queue.name(), message_id = id, error = %err, "settling a message failed");
        }
    }
    Ok(messages.len())
}

/// An SQS message as Lambda hands it over.
fn record(queue: Queue, message: &Message) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = message.message_id.clone();
    record.receipt_handle = message.receipt_handle.clone();
    record.body = message.body.clone();
    record.md5_of_body = message.md5_of_body.clone();
    record.attributes = message
        .attributes
        .as_ref()
        .map(|attributes| {
            attributes
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
                .collect::<HashMap<_, _>>()
        })
        .unwrap_or_default();
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(format!("arn:aws:sqs:local:000000000000:{}", queue.sqs_name()));
    record
}
