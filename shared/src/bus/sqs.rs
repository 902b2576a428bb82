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
