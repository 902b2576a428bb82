//! The sweep of deadlines as written before 2026-12-06: one item a deadline
//! (`DUE#<kind>#<subject>`), in an hour bucket of gsi2, deleted in the transaction that
//! records its event. Nothing writes this form any more; the sweep goes on until the last of
//! them has come due (check-in instructions of stays booked months ahead), and can then go
//! (docs/operations.md, "Deadlines").

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::{Deadline, SweepReport};
use crate::clock::Clock;
use crate::events::{Event, EventBus, EventType};
use crate::outbox;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Index, Item, Query, SortKeyRange, Store, StoreError, TxAction};

/// Most hour buckets one sweep walks (a sweep that was off for longer resumes next run).
const MAX_BUCKETS_PER_SWEEP: i64 = 24 * 120;
/// Most deadlines one sweep emits.
const MAX_DEADLINES_PER_SWEEP: usize = 1_000;

fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).unwrap_or(at)
}

fn bucket_name(hour: DateTime<Utc>) -> String {
    hour.format("%Y-%m-%dT%H").to_string()
}

fn due_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The action that sets `deadline` in the form written before 2026-12-06 (replacing an earlier
/// one of the same kind and subject), written at `now`: what the tests of this sweep write.
///
/// A deadline goes in the bucket of its due hour, or of `now`'s hour when it is already due:
/// the sweep's watermark may have passed its due hour by the time it is written (an event
/// handled late, after retries or a dead-letter redrive, scheduling a payout due an hour ago),
/// and the sweep never walks back further than its watermark. `now`'s bucket is always walked
/// again, so a late deadline is acted on at the next sweep.
pub fn schedule_legacy(deadline: &Deadline, now: DateTime<Utc>) -> Result<TxAction, StoreError> {
    let kind_name = deadline.kind.as_str();
    let item = Item::new(
        keys::deadline(kind_name, &deadline.subject_id),
        kind::DEADLINE,
        deadline,
    )?
    .with_gsi2(keys::deadline_index(
        &bucket_name(hour_of(deadline.due_at.max(now))),
        &due_text(deadline.due_at),
        kind_name,
        &deadline.subject_id,
    ));
    Ok(TxAction::Put {
        item,
        condition: Condition::Always,
    })
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Watermark {
    /// Start of the earliest hour that may still hold deadlines not yet due.
    hour: DateTime<Utc>,
}

/// Emits a `DeadlineReached` event for every deadline due at or before `now`.
///
/// Walks the hour buckets from the watermark (the earliest hour not finished by an earlier
/// sweep, or the previous hour on the first run) to `now`'s, then moves the watermark to
/// `now`'s hour. Each deadline is deleted in the same transaction that records its event, on
/// the condition that it is unchanged, so concurrent sweeps emit it once and a deadline
/// rescheduled meanwhile waits for its new time.
pub async fn sweep(
    store: &dyn Store,
    bus: &dyn EventBus,
    clock: &dyn Clock,
    now: DateTime<Utc>,
) -> Result<SweepReport, StoreError> {
    let now_hour = hour_of(now);
    let watermark = match store.get(&keys::sweep_watermark()).await? {
        Some(item) => Some(item.record::<Watermark>()?.hour),
        None => None,
    };
    // A clock moved back (locally) can leave deadlines below the watermark: start no later
    // than the previous hour.
    let previous_hour = now_hour - Duration::hours(1);
    let first = watermark.map_or(previous_hour, |hour| hour.min(previous_hour));
    let first = first.max(now_hour - Duration::hours(MAX_BUCKETS_PER_SWEEP));
    let until = format!("{}#~", due_text(now));

    let mut report = SweepReport::default();
    // Where the next sweep starts: `now`'s hour (it may still get deadlines not yet due), or
    // the bucket this sweep had to leave unfinished.
    let mut resume_from = now_hour;
    // The buckets' first pages are read [`SWEEP_CONCURRENCY`] at a time, in order: a sweep
    // that fell days behind (an outage, a disabled schedule, a local clock jump) catches up
    // in a few round trips per hundred hours instead of one per hour.
    let hours = std::iter::successors(Some(first), |hour| Some(*hour + Duration::hours(1)))
        .take_while(|hour| *hour <= now_hour);
    let mut first_pages = futures::stream::iter(hours.map(|hour| {
        let until = until.clone();
        async move { (hour, bucket_page(store, hour, until, None).await) }
    }))
    .buffered(SWEEP_CONCURRENCY);
    'buckets: while let Some((hour, page)) = first_pages.next().await {
        let mut page = page?;
        loop {
            for item in page.items {
                if report.emitted >= MAX_DEADLINES_PER_SWEEP {
                    resume_from = hour;
                    break 'buckets;
                }
                match emit(store, bus, clock, &item, now).await? {
                    Some(due_at) => {
                        report.emitted += 1;
                        report.most_overdue_secs = report.most_overdue_secs.max((now - due_at).num_seconds());
                    }
                    None => report.skipped += 1,
                }
            }
            match page.next {
                Some(start) => page = bucket_page(store, hour, until.clone(), Some(start)).await?,
                None => break,
            }
        }
    }
    // Written when it moves (once an hour), not every minute.
    if watermark != Some(resume_from) {
        let mark = Item::new(
            keys::sweep_watermark(),
            kind::SWEEP_WATERMARK,
            &Watermark { hour: resume_from },
        )?;
        store.put(mark, Condition::Always).await?;
    }
    Ok(report)
}

/// Hour buckets whose first page one sweep reads at the same time.
const SWEEP_CONCURRENCY: usize = 16;

/// One page of the deadlines of `hour`'s bucket due until `until`.
async fn bucket_page(
    store: &dyn Store,
    hour: DateTime<Utc>,
    until: String,
    start: Option<crate::store::ResumeKey>,
) -> Result<crate::store::Page, StoreError> {
    let query = Query::partition(Index::Gsi2, keys::deadline_bucket(&bucket_name(hour)))
        .range(SortKeyRange::Until(until))
        .limit(100)
        .start(start);
    store.query(query).await
}

/// Records and publishes the event of one due deadline: its due time, or `None` when it
/// changed meanwhile.
async fn emit(
    store: &dyn Store,
    bus: &dyn EventBus,
    clock: &dyn Clock,
    item: &Item,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let deadline: Deadline = item.record()?;
    let data = serde_json::to_value(&deadline).map_err(|err| StoreError::InvalidItem(err.to_string()))?;
    let event = Event::new(EventType::DeadlineReached, deadline.booking_id.clone(), now, data);
    let recorded = [(deadline.kind.queue(), event)];
    let mut actions = vec![TxAction::Delete {
        key: item.key.clone(),
        condition: Condition::VersionEquals(item.version),
    }];
    actions.extend(outbox::record(clock, &recorded)?);
    match store.transact(actions).await {
        Ok(()) => {
            outbox::publish_recorded(bus, &recorded).await;
            Ok(Some(deadline.due_at))
        }
        Err(StoreError::TransactionConditionFailed { index: 0 }) => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_utc_hours_and_due_times_sort_lexically() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T15:42:07.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(bucket_name(hour_of(at)), "2026-11-24T15");
        assert!(due_text(at) < due_text(at + Duration::milliseconds(1)));
        assert_eq!(due_text(hour_of(at)), "2026-11-24T15:00:00.000Z");
    }
}
