//! What every SQS-triggered function shares: reading the events of a batch and reporting the
//! ones that failed (`batchItemFailures`), so that only those come back.
//!
//! The queues are FIFO: once one message of a batch fails, the later ones of its message group
//! are reported failed too, so that no event of a booking is handled before an earlier one
//! that has to be retried. A body that is not an event fails like any other message and
//! reaches the dead-letter queue after 3 receives, where an operator can look at it.
//!
//! Every handler is idempotent by its event id, so an event whose handling met a transient
//! failure (a throttled or timed-out store, an unreachable provider) is handled again at once,
//! a few times with jittered backoff, before it is reported failed: a short outage then costs
//! milliseconds instead of a visibility timeout, and the message's group is not held up.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use crate::error::ApiError;
use crate::events::Event;
use crate::store::StoreError;
use crate::store::retrying::backoff;

/// Handlings of one event per receive at most, while its failures are transient.
pub const EVENT_ATTEMPTS: u32 = 3;
/// No new handling of an event starts later than this after its first (the function's
/// timeout is 10 s; a batch holds up to 10 events).
const EVENT_RETRY_BUDGET: Duration = Duration::from_millis(800);

/// Whether a failure may pass if the same work is done again now.
pub trait Transient {
    fn is_transient(&self) -> bool;
}

impl Transient for ApiError {
    fn is_transient(&self) -> bool {
        matches!(self, ApiError::Unavailable { .. })
    }
}

impl Transient for StoreError {
    fn is_transient(&self) -> bool {
        StoreError::is_transient(self)
    }
}

/// Receives of a message after which SQS moves it to its dead-letter queue (the template's
/// `maxReceiveCount`; the local queues use it too).
pub const MAX_RECEIVES: u32 = 3;

/// Hands each event of `batch` to `handle` in order; reports the failed ones and, after a
/// failed one, the later ones of its message group (other groups go on: FIFO orders a group,
/// not a queue). A message on its last receive that fails goes to the dead-letter queue, so
/// its group's later messages are handled at once instead of following it there: a poison
/// message holds its group up for its own receives only.
pub async fn handle_batch<F, Fut, E>(batch: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: FnMut(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display + Transient,
{
    // The batch's capacity units go out as one EMF line when metrics are on.
    crate::metrics::metered(handle_events(batch, handle)).await
}

/// [`handle_batch`] without the metering.
async fn handle_events<F, Fut, E>(batch: SqsEvent, mut handle: F) -> SqsBatchResponse
where
    F: FnMut(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display + Transient,
{
    let mut response = SqsBatchResponse::default();
    let mut held: Vec<String> = Vec::new();
    for mut record in batch.records {
        let message_id = record.message_id.unwrap_or_default();
        // A standard queue (no group) orders nothing, so its failures hold nothing up.
        let group = record.attributes.remove("MessageGroupId");
        if group.as_ref().is_some_and(|group| held.contains(group)) {
            response.add_failure(message_id);
            continue;
        }
        let last_receive = record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|count| count.parse::<u32>().ok())
            .is_some_and(|count| count >= MAX_RECEIVES);
        let mut fail = |response: &mut SqsBatchResponse| {
            response.add_failure(message_id.clone());
            if let Some(group) = &group
                && !last_receive
            {
                held.push(group.clone());
            }
        };
        let event = match serde_json::from_str::<Event>(record.body.as_deref().unwrap_or_default()) {
            Ok(event) => event,
            Err(err) => {
                tracing::error!(message_id, error = %err, "message is not an event");
                fail(&mut response);
                continue;
            }
        };
        let (event_id, kind, booking_id) = (event.id.clone(), event.kind, event.booking_id.clone());
        if let Err(err) = handle_with_retries(event, &mut handle).await {
            tracing::warn!(message_id, event_id, ?kind, booking_id, last_receive, error = %err, "event not handled; it will be retried");
            fail(&mut response);
        }
    }
    response
}

/// Handles `event`, again while it fails transiently, at most [`EVENT_ATTEMPTS`] times.
async fn handle_with_retries<F, Fut, E>(event: Event, handle: &mut F) -> Result<(), E>
where
    F: FnMut(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display + Transient,
{
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        match handle(event.clone()).await {
            Err(err) if err.is_transient() && attempt < EVENT_ATTEMPTS && started.elapsed() < EVENT_RETRY_BUDGET => {
                tracing::info!(event_id = %event.id, attempt, error = %err, "event handled again after a transient failure");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_lambda_events::event::sqs::SqsMessage;
    use chrono::Utc;

    use super::*;
    use crate::events::EventType;

    fn record(group: Option<&str>, receives: u32, event: &Event) -> SqsMessage {
        let mut record = SqsMessage::default();
        record.message_id = Some(event.id.clone());
        record.body = Some(serde_json::to_string(event).unwrap());
        let mut attributes = HashMap::from([("ApproximateReceiveCount".to_owned(), receives.to_string())]);
        if let Some(group) = group {
            attributes.insert("MessageGroupId".to_owned(), group.to_owned());
        }
        record.attributes = attributes;
        record
    }

    fn event(booking: &str) -> Event {
        Event::new(EventType::PaymentSucceeded, booking, Utc::now(), serde_json::json!({}))
    }

    /// Runs a batch of (group, event) where the `poison` event always fails for good.
    async fn run(records: Vec<SqsMessage>, poison: &str) -> (Vec<String>, Vec<String>) {
        let mut handled = Vec::new();
        let mut batch = SqsEvent::default();
        batch.records = records;
        let response = handle_batch(batch, |event: Event| {
            let fails = event.id == poison;
            if !fails {
                handled.push(event.id.clone());
            }
            async move {
                if fails {
                    Err(StoreError::InvalidItem("poison".into()))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        let failed = response
            .batch_item_failures
            .into_iter()
            .map(|failure| failure.item_identifier)
            .collect();
        (handled, failed)
    }

    #[tokio::test]
    async fn a_failure_holds_up_its_own_group_only() {
        let (a1, a2, b1) = (event("A"), event("A"), event("B"));
        let (handled, failed) = run(
            vec![
                record(Some("A"), 1, &a1),
                record(Some("A"), 1, &a2),
                record(Some("B"), 1, &b1),
            ],
            &a1.id,
        )
        .await;
        assert_eq!(handled, [b1.id.as_str()]);
        assert_eq!(failed, [a1.id.as_str(), a2.id.as_str()]);
    }

    #[tokio::test]
    async fn on_its_last_receive_a_failure_lets_its_group_go_on() {
        let (a1, a2) = (event("A"), event("A"));
        let (handled, failed) = run(
            vec![
                record(Some("A"), MAX_RECEIVES, &a1),
                record(Some("A"), MAX_RECEIVES, &a2),
            ],
            &a1.id,
        )
        .await;
        assert_eq!(
            handled,
            [a2.id.as_str()],
            "a2 does not follow a1 to the dead-letter queue"
        );
        assert_eq!(failed, [a1.id.as_str()]);
    }

    #[tokio::test]
    async fn a_standard_queue_failure_holds_up_nothing() {
        let (one, two) = (event("A"), event("A"));
        let (handled, failed) = run(vec![record(None, 1, &one), record(None, 1, &two)], &one.id).await;
        assert_eq!(handled, [two.id.as_str()]);
        assert_eq!(failed, [one.id.as_str()]);
    }

    #[tokio::test]
    async fn a_body_that_is_not_an_event_fails_like_a_poison_event() {
        let (bad, after) = (event("A"), event("A"));
        let mut garbled = record(Some("A"), 1, &bad);
        garbled.body = Some("not json".to_owned());
        let (handled, failed) = run(vec![garbled, record(Some("A"), 1, &after)], "none").await;
        assert!(handled.is_empty());
        assert_eq!(failed, [bad.id.as_str(), after.id.as_str()]);
    }
}
