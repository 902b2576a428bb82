//! Deadlines: hold expiry, the host's answer, payouts, review windows, check-in instructions,
//! reminders, photo uploads. SQS FIFO has no per-message delay, so a deadline is filed like an
//! outbox item at the time it comes due (`DEADLINES#<day>`, sorted by time, one
//! `DeadlineReached` event each), and the sweep (every minute in AWS; every second, and at
//! once after a clock move, locally) publishes what has come due, in time order, from its
//! watermark: the outbox relay's walk ([`outbox::relay_feed`]) up to the sweep's now.
//!
//! Nothing is deleted or cancelled, so a deadline costs its one put (2 write units in its
//! transaction, no index entry; TTL removes it a month after it came due). A deadline that
//! became moot (a hold that was paid, a request the host answered, the instructions of a
//! cancelled stay, a photo whose file arrived) is published all the same, and its consumer,
//! which acts only on what the booking or photo says by then, does nothing: every consumer
//! of `DeadlineReached` already had to, since an event can arrive late or twice.
//!
//! No rule depends on the sweep being on time: it only tells consumers to act on what the
//! clock already allows (an expired hold is free for new bookings whether swept or not).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::events::{Event, EventBus, EventType, Queue};
use crate::outbox::{self, Feed};
use crate::store::{Store, StoreError, TxAction};

pub mod legacy;

/// What comes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeadlineKind {
    /// An unpaid booking's hold ends (15 minutes).
    HoldExpiry,
    /// A request to book gets no answer from the host (24 hours).
    HostAnswer,
    /// The host's payout becomes due (24 hours after check-in).
    Payout,
    /// A stay's review window closes (14 days after check-out).
    ReviewWindow,
    /// A confirmed stay's check-in instructions are posted (48 hours before check-in).
    CheckInInstructions,
    /// A confirmed stay's guest is reminded by email (24 hours before check-in).
    CheckInReminder,
    /// A listing photo's file has not arrived (24 hours after its slot): the photo is dropped.
    /// Subject: the photo id; group: the property id.
    PhotoUploadExpiry,
}

impl DeadlineKind {
    /// Its name in keys and events.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::HoldExpiry => "holdExpiry",
            DeadlineKind::HostAnswer => "hostAnswer",
            DeadlineKind::Payout => "payout",
            DeadlineKind::ReviewWindow => "reviewWindow",
            DeadlineKind::CheckInInstructions => "checkInInstructions",
            DeadlineKind::CheckInReminder => "checkInReminder",
            DeadlineKind::PhotoUploadExpiry => "photoUploadExpiry",
        }
    }

    /// The queue whose consumer acts on it.
    pub fn queue(self) -> Queue {
        match self {
            DeadlineKind::HoldExpiry | DeadlineKind::HostAnswer => Queue::BookingEvents,
            DeadlineKind::Payout => Queue::PaymentEvents,
            DeadlineKind::ReviewWindow => Queue::ReviewEvents,
            DeadlineKind::CheckInInstructions => Queue::MessageEvents,
            DeadlineKind::CheckInReminder => Queue::Notifications,
            DeadlineKind::PhotoUploadExpiry => Queue::PhotoEvents,
        }
    }
}

/// A deadline as stored, and as the `data` of its `DeadlineReached` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// What it is about (a booking id, a payout's booking id, ...).
    pub subject_id: String,
    /// The FIFO group of its event.
    pub booking_id: String,
    pub due_at: DateTime<Utc>,
}

/// Most deadlines one sweep publishes; the next sweep takes the rest.
const MAX_DEADLINES_PER_SWEEP: usize = 1_000;

/// The action that files `deadline`, written at `clock`'s now: at its due time, or the
/// clock's [`Clock::commit_window`] after now when it is due before that (2 minutes in
/// Lambda, 5 s locally). The sweep publishes up to its own now, so it must never pass a time
/// at which a transaction still in flight can file a deadline. Filing the same deadline again
/// (both reviews of a stay set its review window) writes the same item again.
pub fn schedule(deadline: &Deadline, clock: &dyn Clock) -> Result<TxAction, StoreError> {
    let at = deadline.due_at.max(clock.now() + clock.commit_window());
    let data = serde_json::to_value(deadline).map_err(|err| StoreError::InvalidItem(err.to_string()))?;
    let event = Event {
        id: event_id(deadline),
        kind: EventType::DeadlineReached,
        occurred_at: at,
        booking_id: deadline.booking_id.clone(),
        data,
    };
    outbox::file_deadline(deadline.kind.queue(), event, at)
}

/// The id of `deadline`'s event: a ULID of its due time whose random part is a hash of what it
/// is (kind, subject, due time), so that one deadline filed twice, even at two times (a
/// consumer that scheduled it late, then again after a retry), is one event for SQS FIFO
/// deduplication and for the consumers.
fn event_id(deadline: &Deadline) -> String {
    let millis = deadline.due_at.timestamp_millis();
    let mut hash = Sha256::new();
    hash.update(deadline.kind.as_str());
    hash.update([0]);
    hash.update(&deadline.subject_id);
    hash.update([0]);
    hash.update(millis.to_be_bytes());
    let digest = hash.finalize();
    let mut random = [0u8; 16];
    random.copy_from_slice(&digest[..16]);
    ulid::Ulid::from_parts(u64::try_from(millis).unwrap_or(0), u128::from_be_bytes(random)).to_string()
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Deadlines turned into events.
    pub emitted: usize,
    /// Deadlines of the earlier form changed or removed while the sweep looked at them (left
    /// alone).
    pub skipped: usize,
    /// How long after the time it was filed at the most overdue deadline published was
    /// handled, or how long the one the sweep had to leave has waited, in seconds (0 when
    /// there was none): the sweep's lag.
    pub most_overdue_secs: i64,
}

/// Publishes every deadline due at or before the clock's now that earlier sweeps did not, then
/// the due deadlines of the earlier form ([`legacy`]).
///
/// Stops at a deadline it cannot publish: the next sweep starts there again (the lag grows,
/// and its alarm fires after 5 minutes).
pub async fn sweep(store: &dyn Store, bus: &dyn EventBus, clock: &dyn Clock) -> Result<SweepReport, StoreError> {
    let now = clock.now();
    let filed = outbox::relay_feed(Feed::Deadlines, store, bus, now, MAX_DEADLINES_PER_SWEEP).await?;
    let mut report = legacy::sweep(store, bus, clock, now).await?;
    report.emitted += filed.report.published;
    let late_since = [filed.earliest_published, filed.report.behind_since];
    for since in late_since.into_iter().flatten() {
        report.most_overdue_secs = report.most_overdue_secs.max((now - since).num_seconds());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::clock::StoppedClock;
    use crate::store::Condition;
    use crate::store::keys::kind;

    fn deadline(kind: DeadlineKind, due_at: DateTime<Utc>) -> Deadline {
        Deadline {
            kind,
            subject_id: "01KBOOKING".to_owned(),
            booking_id: "01KBOOKING".to_owned(),
            due_at,
        }
    }

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 24, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_deadline_is_filed_at_its_due_time_in_its_day_without_an_index_entry() {
        let due = deadline(DeadlineKind::CheckInInstructions, noon());
        let TxAction::Put { item, condition } = schedule(&due, &StoppedClock(noon() - Duration::days(3))).unwrap()
        else {
            panic!("a put");
        };
        assert_eq!(condition, Condition::Always, "filing it again replaces it");
        assert_eq!(item.key.pk, "DEADLINES#2026-12-24");
        let id = event_id(&due);
        assert_eq!(item.key.sk, format!("2026-12-24T12:00:00.000Z#{id}"));
        assert_eq!(item.kind, kind::DEADLINE);
        assert_eq!((item.gsi1.as_ref(), item.gsi2.as_ref()), (None, None));
        assert_eq!(item.ttl, Some((noon() + Duration::days(30)).timestamp()));
        let events = item.attrs["events"].as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["queue"], "message-events");
        assert_eq!(events[0]["type"], "DeadlineReached");
        assert_eq!(events[0]["data"]["kind"], "checkInInstructions");
    }

    #[test]
    fn a_deadline_due_within_the_lead_is_filed_the_lead_after_it_was_written() {
        let written = noon();
        let due = deadline(DeadlineKind::Payout, written - Duration::hours(22));
        let TxAction::Put { item, .. } = schedule(&due, &StoppedClock(written)).unwrap() else {
            panic!("a put");
        };
        assert!(item.key.sk.starts_with("2026-12-24T12:02:00.000Z#"), "{}", item.key.sk);
        // It still says when it was due.
        let events = item.attrs["events"].as_array().unwrap();
        assert_eq!(events[0]["data"]["dueAt"], "2026-12-23T14:00:00Z");
    }

    #[test]
    fn one_deadline_is_one_event_id_and_another_is_another() {
        let due = deadline(DeadlineKind::ReviewWindow, noon());
        assert_eq!(event_id(&due), event_id(&due.clone()));
        let id: ulid::Ulid = event_id(&due).parse().unwrap();
        assert_eq!(id.timestamp_ms(), noon().timestamp_millis() as u64);
        let mut later = due.clone();
        later.due_at += Duration::milliseconds(1);
        let mut other = due.clone();
        other.kind = DeadlineKind::Payout;
        let mut elsewhere = due.clone();
        elsewhere.subject_id = "01KOTHER".to_owned();
        for different in [later, other, elsewhere] {
            assert_ne!(event_id(&different), event_id(&due), "{different:?}");
        }
    }

    #[test]
    fn each_kind_goes_to_the_queue_that_acts_on_it() {
        assert_eq!(DeadlineKind::HoldExpiry.queue(), Queue::BookingEvents);
        assert_eq!(DeadlineKind::Payout.queue(), Queue::PaymentEvents);
        assert_eq!(DeadlineKind::ReviewWindow.queue(), Queue::ReviewEvents);
        assert_eq!(DeadlineKind::CheckInInstructions.queue(), Queue::MessageEvents);
    }
}
