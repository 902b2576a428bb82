//! The booking state machine: one table of allowed moves, and the single transaction that
//! makes a move (the booking's write conditioned on the version read, plus what the move
//! implies for nights, the property's counter, deadlines and events).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::model::{Booking, BookingStatus, HistoryEntry};
use crate::App;
use crate::clock::Clock;
use crate::deadlines::{self, Deadline, DeadlineKind};
use crate::error::ApiError;
use crate::events::{Event, EventType, Queue};
use crate::money::Money;
use crate::outbox;
use crate::properties::availability;
use crate::properties::calendar::{self, state};
use crate::store::keys;
use crate::store::{Condition, StoreError, TxAction, Update};

/// A move of a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// Paid: becomes [`Transition::PayInstantBook`] or [`Transition::PayRequestToBook`] by the
    /// booking's terms when the move is made (it has no row of its own in the table).
    Pay,
    /// Paid, at a property that books instantly.
    PayInstantBook,
    /// Paid, at a property that takes requests: the host answers within 24 h.
    PayRequestToBook,
    Accept,
    /// By the host, or by the system when the host did not answer in time.
    Decline,
    /// By the guest or the host, before check-in.
    Cancel,
    /// Unpaid when the hold ended.
    Expire,
    CheckIn,
    CheckOut,
}

use BookingStatus::*;
use Transition::*;

/// Every allowed move: `(from, transition, to)`. Anything else is `409`.
pub const TRANSITIONS: [(BookingStatus, Transition, BookingStatus); 10] = [
    (PendingPayment, PayInstantBook, Confirmed),
    (PendingPayment, PayRequestToBook, AwaitingHost),
    (PendingPayment, Expire, Expired),
    (PendingPayment, Cancel, Cancelled),
    (AwaitingHost, Accept, Confirmed),
    (AwaitingHost, Decline, Declined),
    (AwaitingHost, Cancel, Cancelled),
    (Confirmed, Cancel, Cancelled),
    (Confirmed, CheckIn, CheckedIn),
    (CheckedIn, CheckOut, CheckedOut),
];

/// Where `transition` takes a booking in `from`, if it may.
pub fn target(from: BookingStatus, transition: Transition) -> Option<BookingStatus> {
    TRANSITIONS
        .iter()
        .find(|(state, step, _)| *state == from && *step == transition)
        .map(|(_, _, to)| *to)
}

/// Whether `booking`'s last move is `step` itself, sent again: a keyed request (the same
/// user, route and `Idempotency-Key`) made it, `step.transition` leads where the booking is,
/// and its history ends there, by the same actor, for the same reason. A client retrying a
/// request whose answer was lost is answered by this instead of `409`; the same move without
/// a key, or with another key, stays the illegal transition it is.
pub fn is_last_move(booking: &Booking, step: &Move) -> bool {
    let leads_here = TRANSITIONS
        .iter()
        .any(|(_, transition, to)| *transition == step.transition && *to == booking.status);
    made_by_its_request(booking, step)
        && leads_here
        && booking.history.last().is_some_and(|entry| {
            entry.status == booking.status && entry.actor == step.actor && entry.reason == step.reason
        })
}

/// Whether `booking`'s last move was made by `step`'s keyed request (the same user, route and
/// `Idempotency-Key`), whatever that request said.
pub fn made_by_its_request(booking: &Booking, step: &Move) -> bool {
    step.request.is_some() && booking.last_request == step.request
}

impl Transition {
    /// What the move is called in messages.
    pub fn verb(self) -> &'static str {
        match self {
            Pay | PayInstantBook | PayRequestToBook => "pay for",
            Accept => "accept",
            Decline => "decline",
            Cancel => "cancel",
            Expire => "expire",
            CheckIn => "check in",
            CheckOut => "check out",
        }
    }

    /// The event announcing the move, and the queue whose consumer acts on it.
    fn event(self) -> Option<(EventType, Queue)> {
        match self {
            Decline => Some((EventType::BookingDeclined, Queue::PaymentEvents)),
            Cancel => Some((EventType::BookingCancelled, Queue::PaymentEvents)),
            Expire => Some((EventType::BookingExpired, Queue::PaymentEvents)),
            CheckIn => Some((EventType::BookingCheckedIn, Queue::PaymentEvents)),
            CheckOut => Some((EventType::BookingCheckedOut, Queue::ReviewEvents)),
            Pay | PayInstantBook | PayRequestToBook | Accept => None,
        }
    }

    /// The event that posts the move's system message in the booking's conversation (on the
    /// `message-events` queue; see `messages::consumer`).
    fn message_event(self) -> Option<EventType> {
        match self {
            PayInstantBook | Accept => Some(EventType::BookingConfirmed),
            PayRequestToBook => Some(EventType::BookingRequested),
            Decline => Some(EventType::BookingDeclined),
            Cancel => Some(EventType::BookingCancelled),
            Expire => Some(EventType::BookingExpired),
            CheckIn => Some(EventType::BookingCheckedIn),
            CheckOut => Some(EventType::BookingCheckedOut),
            Pay => None,
        }
    }

    /// The event that emails the guest or host of the move (on the `notifications` queue).
    fn notification_event(self) -> Option<EventType> {
        match self {
            PayInstantBook | Accept => Some(EventType::BookingConfirmed),
            PayRequestToBook => Some(EventType::BookingRequested),
            Decline => Some(EventType::BookingDeclined),
            Cancel => Some(EventType::BookingCancelled),
            Expire => Some(EventType::BookingExpired),
            Pay | CheckIn | CheckOut => None,
        }
    }

    /// Whether the booking's nights are given back.
    fn releases_nights(self) -> bool {
        matches!(self, Decline | Cancel | Expire)
    }
}

/// How long a host has to answer a request to book.
pub const HOST_ANSWER_WINDOW: Duration = Duration::hours(24);
/// How long before the check-in instant a confirmed stay gets its check-in instructions.
pub const INSTRUCTIONS_LEAD: Duration = Duration::hours(48);
/// How long before the check-in instant the guest is reminded by email.
pub const REMINDER_LEAD: Duration = Duration::hours(24);

/// A move as asked for: who makes it, why, and the refund it carries (cancel, decline).
#[derive(Debug, Clone)]
pub struct Move {
    pub transition: Transition,
    /// A user id, or [`super::model::SYSTEM_ACTOR`].
    pub actor: String,
    pub reason: Option<String>,
    /// The keyed request making the move ([`crate::idempotency::request_id`]), if any.
    pub request: Option<String>,
    /// Writes that commit with the move, or not at all (an admin's audit entry).
    pub also: Vec<TxAction>,
}

/// The `data` of a booking event: enough for the payments and reviews consumers to act
/// without reading the booking first.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingChange {
    pub status: BookingStatus,
    pub actor: String,
    pub reason: Option<String>,
    pub property_id: String,
    pub guest_id: String,
    pub host_id: String,
    /// What the guest is to get back (cancel, decline, a payment that came too late).
    pub refund: Option<Money>,
    pub total: Money,
    pub host_payout: Money,
    #[serde(serialize_with = "crate::time::rfc3339_opt", default)]
    pub checked_in_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::time::rfc3339_opt", default)]
    pub checked_out_at: Option<DateTime<Utc>>,
    /// The scheduled check-out instant (the review window opens then at the latest).
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub check_out_at: DateTime<Utc>,
    /// The stay's dates (for the system message); absent in events recorded before them.
    #[serde(default)]
    pub check_in: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub check_out: Option<chrono::NaiveDate>,
}

/// Why a move did not happen.
#[derive(Debug)]
pub enum MoveError {
    /// The booking is absent.
    NotFound,
    /// The booking is not in a state the move starts from (`409` for people, a no-op for
    /// a late or repeated event).
    Illegal {
        from: BookingStatus,
        /// The booking as it was read.
        current: Box<Booking>,
    },
    Api(ApiError),
}

impl From<ApiError> for MoveError {
    fn from(err: ApiError) -> Self {
        MoveError::Api(err)
    }
}

impl From<StoreError> for MoveError {
    fn from(err: StoreError) -> Self {
        MoveError::Api(err.into())
    }
}

/// Attempts before a booking that keeps changing under a move gives up.
const ATTEMPTS: u32 = 4;

/// Reads a booking with its version.
pub async fn load(app: &App, booking_id: &str) -> Result<Option<(Booking, u64)>, ApiError> {
    if ulid::Ulid::from_string(booking_id).is_err() {
        return Ok(None);
    }
    match app.store.get(&keys::booking(booking_id)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// Makes `step` on the booking: `check` runs on each fresh read (permissions, time rules)
/// and `refund` says what the guest gets back. The booking's write, the nights it releases
/// or books, the property's counter, deadlines and the event commit together or not at all.
pub async fn apply<C, R>(app: &App, booking_id: &str, step: Move, check: C, refund: R) -> Result<Booking, MoveError>
where
    C: Fn(&Booking, DateTime<Utc>) -> Result<(), ApiError>,
    R: Fn(&Booking, DateTime<Utc>) -> Option<Money>,
{
    for _ in 1..=ATTEMPTS {
        let (current, version) = load(app, booking_id).await?.ok_or(MoveError::NotFound)?;
        let now = app.clock.now();
        check(&current, now)?;
        let mut step = step.clone();
        if step.transition == Pay {
            step.transition = if current.terms.instant_book {
                PayInstantBook
            } else {
                PayRequestToBook
            };
        }
        let Some(mut to) = target(current.status, step.transition) else {
            return Err(MoveError::Illegal {
                from: current.status,
                current: Box::new(current),
            });
        };
        let mut refund_now = refund(&current, now);

        let mut actions = Vec::new();
        let paying = matches!(step.transition, PayInstantBook | PayRequestToBook);
        // Only a payment (holds become bookings) and an exit (nights are released) touch the
        // nights; other moves skip the read.
        let ours: Vec<_> = if paying || step.transition.releases_nights() {
            calendar::night_items(app, &current.property_id, &current.stay())
                .await?
                .into_iter()
                .filter(|(_, item)| item.attrs.get("bookingId").and_then(|v| v.as_str()) == Some(current.id.as_str()))
                .collect()
        } else {
            Vec::new()
        };
        if paying && ours.len() != current.stay().dates().count() {
            // The hold ended before the payment's outcome arrived and a night may have gone
            // to someone else: the booking expires and the payment is to be refunded.
            step.transition = Expire;
            step.reason = Some("the hold ended before the payment was confirmed".to_owned());
            to = Expired;
            refund_now = Some(current.price.total);
        }

        let next = moved(&current, &step, to, refund_now, now);
        let mut item = next.to_item()?;
        item.version = version + 1;
        actions.push(TxAction::Put {
            item,
            condition: Condition::VersionEquals(version),
        });
        // The property's own view of its nights moves with the night items (see
        // `properties::availability`), in the same update as its counter.
        let mut property = Update::new();
        let mut property_changes = false;
        let mut booked = Vec::new();
        for (date, night) in &ours {
            let is_ours = Condition::attribute_equals("bookingId", current.id.clone());
            if step.transition.releases_nights() {
                actions.push(TxAction::Delete {
                    key: night.key.clone(),
                    condition: is_ours,
                });
                if night.ttl.is_none() {
                    booked.push(*date);
                }
            } else if paying {
                actions.push(TxAction::Update {
                    key: night.key.clone(),
                    update: Update::new().set("state", state::BOOKED).remove("holdUntil").ttl(None),
                    condition: is_ours,
                });
                booked.push(*date);
            }
        }
        let hold_end = current.hold_expires_at.timestamp();
        if step.transition.releases_nights() {
            // Lapsed holds are no longer live night items, so their entries go by the
            // booking's own hold end.
            property = availability::untake(availability::release_holds(property, &current.stay(), hold_end), booked);
            property_changes = true;
        } else if paying {
            property = availability::take(availability::release_holds(property, &current.stay(), hold_end), booked);
            property_changes = true;
        }
        if current.status.is_open() && !to.is_open() {
            property = property.add("openBookings", -1);
            property_changes = true;
        }
        if property_changes {
            actions.push(TxAction::Update {
                key: keys::property(&current.property_id),
                update: property,
                condition: Condition::Exists,
            });
        }
        actions.extend(deadline_actions(&current, step.transition, now, app.clock.as_ref())?);
        actions.extend(step.also.iter().cloned());
        let mut recorded = Vec::new();
        let change = serde_json::to_value(change_of(&next, &step)).map_err(ApiError::internal)?;
        if let Some((kind, queue)) = step.transition.event() {
            recorded.push((queue, Event::new(kind, next.id.clone(), now, change.clone())));
        }
        // Its own event (and id) on its own queue, so the conversation's consumer retries and
        // fails apart from payments and reviews.
        if let Some(kind) = step.transition.message_event() {
            recorded.push((
                Queue::MessageEvents,
                Event::new(kind, next.id.clone(), now, change.clone()),
            ));
        }
        // And its own again for the emails, so a failing mail service delays nothing else.
        if let Some(kind) = step.transition.notification_event() {
            recorded.push((Queue::Notifications, Event::new(kind, next.id.clone(), now, change)));
        }
        actions.extend(outbox::record(app.clock.as_ref(), &recorded)?);

        match app.store.transact(actions).await {
            Ok(()) => {
                outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
                tracing::info!(
                    booking_id = %next.id,
                    from = current.status.as_str(),
                    to = next.status.as_str(),
                    actor = %step.actor,
                    "booking moved"
                );
                return Ok(next);
            }
            // The booking or one of its nights changed since the read: read again.
            Err(StoreError::TransactionConditionFailed { .. }) => {}
            // A collision the store's retries did not get past: transient, `503`.
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::unavailable("the booking kept changing").into())
}

/// The booking after the move.
fn moved(current: &Booking, step: &Move, to: BookingStatus, refund: Option<Money>, now: DateTime<Utc>) -> Booking {
    let mut next = current.clone();
    next.status = to;
    match step.transition {
        CheckIn => next.checked_in_at = Some(now),
        CheckOut => next.checked_out_at = Some(now),
        Decline | Cancel | Expire => next.refund = refund,
        Pay | PayInstantBook | PayRequestToBook | Accept => {}
    }
    next.history.push(HistoryEntry {
        status: to,
        actor: step.actor.clone(),
        at: now,
        reason: step.reason.clone(),
    });
    next.last_request = step.request.clone();
    next
}

/// Deadlines a move sets or makes moot.
fn deadline_actions(
    current: &Booking,
    transition: Transition,
    now: DateTime<Utc>,
    clock: &dyn Clock,
) -> Result<Vec<TxAction>, StoreError> {
    let id = current.id.as_str();
    let mut actions = Vec::new();
    // Check-in instructions are posted 48 h before the check-in instant, or at once when the
    // stay is confirmed later than that.
    let instructions = || {
        deadlines::schedule(
            &Deadline {
                kind: DeadlineKind::CheckInInstructions,
                subject_id: id.to_owned(),
                booking_id: id.to_owned(),
                due_at: (current.terms.check_in_at(current.check_in) - INSTRUCTIONS_LEAD).max(now),
            },
            clock,
        )
    };
    let reminder = || {
        deadlines::schedule(
            &Deadline {
                kind: DeadlineKind::CheckInReminder,
                subject_id: id.to_owned(),
                booking_id: id.to_owned(),
                due_at: (current.terms.check_in_at(current.check_in) - REMINDER_LEAD).max(now),
            },
            clock,
        )
    };
    // Nothing is cancelled: a deadline a move made moot (the hold of a paid booking, the
    // answer to a request, the instructions of a stay that ended) comes and finds nothing to
    // do (`shared::deadlines`).
    match transition {
        PayInstantBook | Accept => {
            actions.push(instructions()?);
            actions.push(reminder()?);
        }
        PayRequestToBook => {
            actions.push(deadlines::schedule(
                &Deadline {
                    kind: DeadlineKind::HostAnswer,
                    subject_id: id.to_owned(),
                    booking_id: id.to_owned(),
                    due_at: now + HOST_ANSWER_WINDOW,
                },
                clock,
            )?);
        }
        Pay | Decline | Cancel | Expire | CheckIn | CheckOut => {}
    }
    Ok(actions)
}

fn change_of(booking: &Booking, step: &Move) -> BookingChange {
    BookingChange {
        status: booking.status,
        actor: step.actor.clone(),
        reason: step.reason.clone(),
        property_id: booking.property_id.clone(),
        guest_id: booking.guest_id.clone(),
        host_id: booking.host_id.clone(),
        refund: booking.refund,
        total: booking.price.total,
        host_payout: booking.price.host_payout,
        checked_in_at: booking.checked_in_at,
        checked_out_at: booking.checked_out_at,
        check_out_at: booking.terms.check_out_at(booking.check_out),
        check_in: Some(booking.check_in),
        check_out: Some(booking.check_out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_allows_exactly_the_documented_moves() {
        let all = [
            PayInstantBook,
            PayRequestToBook,
            Accept,
            Decline,
            Cancel,
            Expire,
            CheckIn,
            CheckOut,
        ];
        let mut allowed = 0;
        for from in BookingStatus::ALL {
            for step in all {
                if let Some(to) = target(from, step) {
                    allowed += 1;
                    assert!(from.is_open(), "{from:?} is final");
                    assert_ne!(from, to);
                }
            }
        }
        assert_eq!(allowed, TRANSITIONS.len());
        for end in [CheckedOut, Expired, Declined, Cancelled] {
            assert!(all.iter().all(|step| target(end, *step).is_none()), "{end:?} is final");
        }
        assert_eq!(target(Confirmed, Cancel), Some(Cancelled));
        assert_eq!(target(CheckedIn, Cancel), None, "no cancelling after check-in");
        assert_eq!(target(AwaitingHost, CheckIn), None);
        assert_eq!(target(PendingPayment, Accept), None);
    }
}
