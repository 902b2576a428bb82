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
    /// A listing photo was deleted, or its upload refused: its stored file is to be removed
    /// (group: the property; `data`: [`crate::photos::PhotoRemoved`]).
    PhotoRemoved,
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
            id: crate::ids::new_id(),
            kind,
            occurred_at,
            booking_id: booking_id.into(),
            data,
        }
    }
}

/// The queues (each with its dead-letter queue): FIFO but for [`Queue::PhotoEvents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Queue {
    BookingEvents,
    PaymentEvents,
    ReviewEvents,
    MessageEvents,
    /// Emails: fed by the events of every other queue that someone hears of, and by account events.
    Notifications,
    /// Listing photo files: S3's `ObjectCreated` notifications (an upload arrived), and the
    /// outbox's photo removals and upload expiries. A standard queue, since S3 cannot notify
    /// a FIFO one; nothing on it depends on order.
    PhotoEvents,
}

impl Queue {
    pub const ALL: [Queue; 6] = [
        Queue::BookingEvents,
        Queue::PaymentEvents,
        Queue::ReviewEvents,
        Queue::MessageEvents,
        Queue::Notifications,
        Queue::PhotoEvents,
    ];

    /// Whether it is a FIFO queue (message groups, deduplication ids, a `.fifo` name).
    pub fn fifo(self) -> bool {
        !matches!(self, Queue::PhotoEvents)
    }

    /// The queue's name as SQS knows it, less any prefix: `booking-events.fifo`, `photo-events`.
    pub fn sqs_name(self) -> String {
        if self.fifo() {
            format!("{}.fifo", self.name())
        } else {
            self.name().to_owned()
        }
    }

    /// Its dead-letter queue's name, less any prefix: `booking-events-dlq.fifo`, `photo-events-dlq`.
    pub fn dlq_sqs_name(self) -> String {
        if self.fifo() {
            format!("{}-dlq.fifo", self.name())
        } else {
            format!("{}-dlq", self.name())
        }
    }

    /// The queue's name without `.fifo` (also the local API's name for it).
    pub fn name(self) -> &'static str {
        match self {
            Queue::BookingEvents => "booking-events",
            Queue::PaymentEvents => "payment-events",
            Queue::ReviewEvents => "review-events",
            Queue::MessageEvents => "message-events",
            Queue::Notifications => "notifications",
            Queue::PhotoEvents => "photo-events",
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
            Queue::PhotoEvents => "PhotoEventsQueue",
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
            Queue::PhotoEvents => "PHOTO_EVENTS_QUEUE_URL",
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
