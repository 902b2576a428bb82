//! SQS adapter of the [`EventBus`] port (FIFO queues, and the standard photo-events queue).
//!
//! Every event goes to its queue's URL with the booking id as message group (so the events of
//! one booking are handled in order) and the event id as deduplication id (so a second publish
//! of the same event, by the outbox relay for instance, is dropped by SQS within its 5-minute
//! window).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;

use crate::events::{BusError, Event, EventBus, Queue};

/// Publishes events to SQS FIFO queues.
///
/// Holds the URL of each queue this function may publish to; publishing to any other queue is
/// [`BusError::UnknownQueue`]. Building one makes no network call.
#[derive(Debug, Clone)]
pub struct SqsBus {
    client: Client,
    urls: HashMap<Queue, String>,
}

impl SqsBus {
    /// A bus publishing with `client` to the given queue URLs (a later URL for the same queue
    /// replaces an earlier one).
    pub fn new(client: Client, urls: impl IntoIterator<Item = (Queue, String)>) -> Self {
        Self {
            client,
            urls: urls.into_iter().collect(),
        }
    }

    /// A bus publishing with `client` to the queues whose [`Queue::url_env`] variable is set
    /// (and not empty). Lambda functions only get the variables of the queues they may
    /// publish to, so an unset variable is not an error until something publishes there.
    pub fn from_env(client: Client) -> Self {
        Self::new(client, urls_from(|name| std::env::var(name).ok()))
    }

    /// The URL events for `queue` go to, if this bus may publish there.
    pub fn url(&self, queue: Queue) -> Option<&str> {
        self.urls.get(&queue).map(String::as_str)
    }
}

/// The configured queue URLs, reading each queue's variable through `lookup`.
fn urls_from(lookup: impl Fn(&str) -> Option<String>) -> Vec<(Queue, String)> {
    Queue::ALL
        .into_iter()
        .filter_map(|queue| {
            let url = lookup(queue.url_env())?;
            let url = url.trim();
            // An empty variable is what a template leaves when it has no queue to give: treat
            // it like an unset one rather than sending to an invalid URL.
            (!url.is_empty()).then(|| (queue, url.to_owned()))
        })
        .collect()
}

#[async_trait]
impl EventBus for SqsBus {
    async fn publish(&self, queue: Queue, event: &Event) -> Result<(), BusError> {
        let url = self.url(queue).ok_or(BusError::UnknownQueue(queue.name()))?;
        let body = serde_json::to_string(event)
            .map_err(|err| BusError::Unavailable(format!("event {} is not serialisable: {err}", event.id)))?;
        let mut send = self.client.send_message().queue_url(url).message_body(body);
        // A standard queue has neither groups nor deduplication; its consumer is idempotent
        // by the event id alone.
        if queue.fifo() {
            send = send
                .message_group_id(&event.booking_id)
                .message_deduplication_id(&event.id);
        }
        send.send()
            .await
            // DisplayErrorContext keeps the service error code and message, which the bare
            // Display ("service error") drops.
            .map_err(|err| {
                BusError::Unavailable(format!(
                    "SendMessage to {}: {}",
                    queue.name(),
                    DisplayErrorContext(&err)
                ))
            })?;
        Ok(())
    }
}

/// Moves the messages parked on the dead-letter queue `dead_letters` back onto `queue`, each
/// sent again before it is deleted from the dead-letter queue (so a failure in between leaves
/// a copy on both, never on neither: the consumers are idempotent by event id). On a FIFO
/// queue each keeps its message group and gets a new deduplication id, since the event id
/// it was first sent with would be dropped within SQS's 5-minute window. Returns how many
/// moved.
pub async fn redrive(client: &Client, dead_letters: &str, queue: &str) -> Result<usize, BusError> {
    use aws_sdk_sqs::types::MessageSystemAttributeName;
    let failed = |doing: &str, err: &dyn std::fmt::Display| BusError::Unavailable(format!("{doing}: {err}"));
    let fifo = queue.ends_with(".fifo");
    let mut moved = 0;
    loop {
        let received = client
            .receive_message()
            .queue_url(dead_letters)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .visibility_timeout(60)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .map_err(|err| failed("ReceiveMessage from the dead-letter queue", &DisplayErrorContext(&err)))?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(moved);
        }
        for message in messages {
            let (Some(body), Some(receipt)) = (message.body.as_deref(), message.receipt_handle.as_deref()) else {
                continue;
            };
            let mut send = client.send_message().queue_url(queue).message_body(body);
            if fifo {
                let group = message
                    .attributes
                    .as_ref()
                    .and_then(|attributes| attributes.get(&MessageSystemAttributeName::MessageGroupId))
                    .cloned()
                    .unwrap_or_else(|| "redriven".to_owned());
                send = send
                    .message_group_id(group)
                    .message_deduplication_id(format!("redrive-{}", crate::ids::new_ulid()));
            }
            send.send()
                .await
                .map_err(|err| failed("SendMessage back to the queue", &DisplayErrorContext(&err)))?;
            client
                .delete_message()
                .queue_url(dead_letters)
                .receipt_handle(receipt)
                .send()
                .await
                .map_err(|err| failed("DeleteMessage from the dead-letter queue", &DisplayErrorContext(&err)))?;
            moved += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::config::{BehaviorVersion, Region};
    use chrono::Utc;
    use serde_json::json;

    use crate::events::EventType;

    fn offline_client() -> Client {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .build();
        Client::from_conf(config)
    }

    #[test]
    fn only_set_and_non_empty_variables_configure_a_queue() {
        let urls = urls_from(|name| match name {
            "BOOKING_EVENTS_QUEUE_URL" => Some("https://sqs/booking-events.fifo".into()),
            "PAYMENT_EVENTS_QUEUE_URL" => Some("  ".into()),
            _ => None,
        });
        assert_eq!(
            urls,
            vec![(Queue::BookingEvents, "https://sqs/booking-events.fifo".to_owned())]
        );
    }

    #[test]
    fn new_keeps_the_given_urls() {
        let bus = SqsBus::new(offline_client(), [(Queue::PaymentEvents, "u".to_owned())]);
        assert_eq!(bus.url(Queue::PaymentEvents), Some("u"));
        assert_eq!(bus.url(Queue::BookingEvents), None);
    }

    #[tokio::test]
    async fn publishing_to_an_unconfigured_queue_is_refused_without_network() {
        let bus = SqsBus::new(offline_client(), []);
        let event = Event::new(EventType::BookingCancelled, "B1", Utc::now(), json!({}));
        assert_eq!(
            bus.publish(Queue::ReviewEvents, &event).await,
            Err(BusError::UnknownQueue("review-events"))
        );
    }
}
