//! Domain events, the queues they travel on, and the event-bus port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What happened. Serialised as the `type` field of the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    PaymentSucceeded,
    PaymentFailed,
    DeadlineReached,
    BookingCancelled,
    BookingDeclined,
    BookingExpired,
    BookingCheckedIn,
    BookingCheckedOut,
    /// Paid, at a property that takes requests: the host is to answer.
    BookingRequested,
    /// Paid at an instant-book property, or accepted by the host.
    BookingConfirmed,
    /// A host's payout was paid (group: the booking).
    PayoutPaid,
    /// A review was published (both sides' reviews of a stay at once, or one at the window's end).
    ReviewPublished,
    /// A guest or host wrote in a conversation (group: the conversation).
    MessageSent,
    /// A new account, to be asked to verify its email (group: the user).
    UserRegistered,
    /// The user asked for another verification email (group: the user).
    EmailVerificationRequested,
    /// Someone asked to reset the password of an address, known or not (group: the address's
    /// hash); whether an email goes out is decided by the notifications consumer.
    PasswordResetRequested,
    /// A user's password was reset or changed (group: the user).
    PasswordChanged,
}

/// The envelope every event travels in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    /// ULID; also the FIFO deduplication id.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub occurred_at: DateTime<Utc>,
    /// FIFO message group: events of one booking are handled in order.
    pub booking_id: String,
    pub data: Value,
}

impl Event {
    /// A new event with a fresh id.
    pub fn new(kind: EventType, booking_id: impl Into<String>, occurred_at: DateTime<Utc>, data: Value) -> Self {
        Self {
            id: ulid::Ulid::new().to_string(),
            kind,
            occurred_at,
            booking_id: booking_id.into(),
            data,
        }
    }
}

/// The FIFO queues (each with its dead-letter queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Queue {
    BookingEvents,
    PaymentEvents,
    ReviewEvents,
    MessageEvents,
    /// Emails: fed by the events of every other queue that someone hears of, and by account events.
    Notifications,
}

impl Queue {
    pub const ALL: [Queue; 5] = [
        Queue::BookingEvents,
        Queue::PaymentEvents,
        Queue::ReviewEvents,
        Queue::MessageEvents,
        Queue::Notifications,
    ];

    /// The queue's name without `.fifo` (also the local API's name for it).
    pub fn name(self) -> &'static str {
        match self {
            Queue::BookingEvents => "booking-events",
            Queue::PaymentEvents => "payment-events",
            Queue::ReviewEvents => "review-events",
            Queue::MessageEvents => "message-events",
            Queue::Notifications => "notifications",
        }
    }

    /// The queue's logical id in `template.yaml`.
    pub fn logical_id(self) -> &'static str {
        match self {
            Queue::BookingEvents => "BookingEventsQueue",
            Queue::PaymentEvents => "PaymentEventsQueue",
            Queue::ReviewEvents => "ReviewEventsQueue",
            Queue::MessageEvents => "MessageEventsQueue",
            Queue::Notifications => "NotificationsQueue",
        }
    }

    /// The environment variable holding the queue's URL in Lambda.
    pub fn url_env(self) -> &'static str {
        match self {
            Queue::BookingEvents => "BOOKING_EVENTS_QUEUE_URL",
            Queue::PaymentEvents => "PAYMENT_EVENTS_QUEUE_URL",
            Queue::ReviewEvents => "REVIEW_EVENTS_QUEUE_URL",
            Queue::MessageEvents => "MESSAGE_EVENTS_QUEUE_URL",
            Queue::Notifications => "NOTIFICATIONS_QUEUE_URL",
        }
    }
}

/// Why publishing failed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BusError {
    #[error("queue {0} is not configured")]
    UnknownQueue(&'static str),
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
}

/// The event-bus port: hands an event to a queue. Delivery is at least once; consumers are
/// idempotent and the queue deduplicates on the event id.
#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, queue: Queue, event: &Event) -> Result<(), BusError>;
}
