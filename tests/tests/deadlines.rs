//! Deadlines come due by the clock: the sweep publishes each once, on the right queue, at its
//! time (or the lead after it was written, when it was due sooner); one filed twice is one
//! event; deadlines of the earlier form are still swept; the local API sweeps within a
//! second or two of a clock move.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;
use shared::clock::{Clock, ManualClock};
use shared::deadlines::{Deadline, DeadlineKind, legacy, schedule, sweep};
use shared::events::{EventType, Queue};
use shared::store::Store;
use tests::app::{Backend, spawn_app, store};
use tests::bookings::{booked, day, hosted_property, reissue};
use tests::recording::RecordingBus;

fn deadline(kind: DeadlineKind, due_in: Duration, clock: &ManualClock) -> Deadline {
    let id = ulid::Ulid::new().to_string();
    Deadline {
        kind,
        subject_id: id.clone(),
        booking_id: id,
        due_at: clock.now() + due_in,
    }
}

/// A clock, a store of `backend` on it, and a bus that records what is published.
async fn setup(backend: Backend) -> (Arc<ManualClock>, Arc<dyn Store>, RecordingBus) {
    let clock = Arc::new(ManualClock::default());
    let store: Arc<dyn Store> = store(backend, clock.clone()).await;
    (clock, store, RecordingBus::default())
}

async fn emitted(store: &dyn Store, bus: &RecordingBus, clock: &ManualClock) -> usize {
    sweep(store, bus, clock).await.unwrap().emitted
}

async fn sweeps_publish_each_due_deadline_once(backend: Backend) {
    let (clock, store, bus) = setup(backend).await;
    let hold = deadline(DeadlineKind::HoldExpiry, Duration::minutes(15), &clock);
    let answer = deadline(DeadlineKind::HostAnswer, Duration::minutes(5), &clock);
    let payout = deadline(DeadlineKind::Payout, Duration::hours(30), &clock);
    let review = deadline(DeadlineKind::ReviewWindow, Duration::days(20), &clock);
    let actions = [&hold, &answer, &payout, &review]
        .iter()
        .map(|d| schedule(d, clock.as_ref()).unwrap())
        .collect();
    store.transact(actions).await.unwrap();
    // Both reviews of a stay set its window: filed again, it is still one deadline.
    store
        .transact(vec![schedule(&review, clock.as_ref()).unwrap()])
        .await
        .unwrap();

    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 0);
    clock.advance(Duration::minutes(16));
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 2);
    let published = bus.take();
    let (queue, event) = &published[1];
    assert_eq!(*queue, Queue::BookingEvents);
    assert_eq!(event.kind, EventType::DeadlineReached);
    assert_eq!(event.booking_id, hold.booking_id);
    assert_eq!(event.data["kind"], "holdExpiry");
    assert_eq!(event.data["subjectId"], json!(hold.subject_id));
    assert_eq!(published[0].1.data["kind"], "hostAnswer", "in the order they came due");
    // Published deadlines stay behind the watermark: the same instant publishes nothing more.
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 0);

    // A long jump (the sweep was off, or the local clock moved days) still finds every day.
    clock.advance(Duration::days(21));
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 2);
    let kinds: Vec<_> = bus
        .take()
        .into_iter()
        .map(|(queue, event)| (queue, event.data["kind"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Queue::PaymentEvents, "payout".to_owned()),
            (Queue::ReviewEvents, "reviewWindow".to_owned()),
        ]
    );
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 0);
}

/// A deadline written when it is already due (an event handled late, after retries or a
/// redrive from the dead-letter queue) goes out the lead after it was written, still saying
/// when it was due; written again later, it is the same event.
async fn a_deadline_written_late_goes_out_after_the_lead(backend: Backend) {
    let (clock, store, bus) = setup(backend).await;
    let payout = deadline(DeadlineKind::Payout, Duration::hours(2), &clock);
    sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap();
    clock.advance(Duration::days(1));
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 0);
    // The late consumer schedules it, due 22 hours ago; a retry of it schedules it again.
    store
        .transact(vec![schedule(&payout, clock.as_ref()).unwrap()])
        .await
        .unwrap();
    clock.advance(Duration::seconds(1));
    store
        .transact(vec![schedule(&payout, clock.as_ref()).unwrap()])
        .await
        .unwrap();
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 0, "not before the lead");
    clock.advance(clock.commit_window() + Duration::minutes(1));
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 2);
    let published = bus.take();
    assert_eq!(published[0].1.data["kind"], "payout");
    assert_eq!(
        published[0].1.data["dueAt"],
        json!(payout.due_at),
        "still says when it was due"
    );
    let ids: BTreeSet<_> = published.iter().map(|(_, event)| event.id.clone()).collect();
    assert_eq!(
        ids.len(),
        1,
        "one event, which FIFO deduplication and consumers see once"
    );
}

/// A sweep that was off for 15 days catches up in one run: every deadline that came due in
/// those 16 day buckets is published once. The time it took is printed (the figure in
/// docs/performance.md), not asserted.
async fn a_sweep_fifteen_days_behind_catches_up_at_once(backend: Backend) {
    let (clock, store, bus) = setup(backend).await;
    sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap();
    // One deadline every 9 hours over the 15 days.
    let due: Vec<Deadline> = (1..=40)
        .map(|n| deadline(DeadlineKind::Payout, Duration::hours(9 * n), &clock))
        .collect();
    let actions: Vec<_> = due.iter().map(|d| schedule(d, clock.as_ref()).unwrap()).collect();
    for chunk in actions.chunks(20) {
        store.transact(chunk.to_vec()).await.unwrap();
    }
    clock.advance(Duration::days(15));
    let started = Instant::now();
    let report = sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap();
    let took = started.elapsed();
    eprintln!("{backend:?}: a 15-day catch-up (40 deadlines) took {took:?}");
    assert_eq!(report.emitted, 40);
    let emitted_ids: Vec<String> = bus
        .take()
        .into_iter()
        .map(|(_, event)| event.data["subjectId"].as_str().unwrap().to_owned())
        .collect();
    let wanted: Vec<String> = due.iter().map(|d| d.subject_id.clone()).collect();
    assert_eq!(emitted_ids, wanted, "in the order they came due");
    assert!(report.most_overdue_secs >= 14 * 24 * 3600, "{report:?}");
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 0);
}

/// Deadlines written in the form before 2026-12-06 (an item each, in gsi2) still come due,
/// beside the filed ones, and are deleted as they go.
async fn deadlines_of_the_earlier_form_are_still_swept(backend: Backend) {
    let (clock, store, bus) = setup(backend).await;
    let old = deadline(DeadlineKind::HoldExpiry, Duration::minutes(15), &clock);
    let new = deadline(DeadlineKind::HoldExpiry, Duration::minutes(15), &clock);
    store
        .transact(vec![
            legacy::schedule_legacy(&old, clock.now()).unwrap(),
            schedule(&new, clock.as_ref()).unwrap(),
        ])
        .await
        .unwrap();
    let key = shared::store::keys::deadline(old.kind.as_str(), &old.subject_id);
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 0);
    assert!(store.get(&key).await.unwrap().is_some());
    clock.advance(Duration::minutes(16));
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 2);
    let subjects: BTreeSet<String> = bus
        .take()
        .into_iter()
        .map(|(_, event)| event.data["subjectId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        subjects,
        BTreeSet::from([old.subject_id.clone(), new.subject_id.clone()])
    );
    assert!(store.get(&key).await.unwrap().is_none(), "deleted as it went");
    assert_eq!(emitted(store.as_ref(), &bus, &clock).await, 0);
}

tests::scenarios! {
    sqlite_a_sweep_fifteen_days_behind_catches_up_at_once: a_sweep_fifteen_days_behind_catches_up_at_once(Backend::Sqlite);
    dynamo_a_sweep_fifteen_days_behind_catches_up_at_once: a_sweep_fifteen_days_behind_catches_up_at_once(Backend::Dynamo);
    sqlite_a_deadline_written_late_goes_out_after_the_lead: a_deadline_written_late_goes_out_after_the_lead(Backend::Sqlite);
    dynamo_a_deadline_written_late_goes_out_after_the_lead: a_deadline_written_late_goes_out_after_the_lead(Backend::Dynamo);
    sqlite_sweeps_publish_each_due_deadline_once: sweeps_publish_each_due_deadline_once(Backend::Sqlite);
    dynamo_sweeps_publish_each_due_deadline_once: sweeps_publish_each_due_deadline_once(Backend::Dynamo);
    sqlite_deadlines_of_the_earlier_form_are_still_swept: deadlines_of_the_earlier_form_are_still_swept(Backend::Sqlite);
    dynamo_deadlines_of_the_earlier_form_are_still_swept: deadlines_of_the_earlier_form_are_still_swept(Backend::Dynamo);
}

/// Through the local API: a booking's hold ends by a clock move, and the sweep that runs at
/// the move publishes its deadline, which the booking consumer acts on at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_api_sweeps_at_a_clock_move() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, property) = hosted_property(&app, "UTC", json!({})).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let booking = booked(&app, &guest, &property, &day(20), &day(22)).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    // The jobs tick every second; let one pass so the move below is what makes it due.
    tokio::time::sleep(StdDuration::from_millis(1200)).await;
    let read = app.get(&format!("/bookings/{id}"), Some(&guest)).await;
    assert_eq!(read.body["status"], "pending_payment", "not due yet");

    let target = (Utc::now() + Duration::minutes(16)).to_rfc3339();
    let moved = app.post("/_local/clock", None, json!({"now": target})).await;
    assert_eq!(moved.status, 200);
    let started = Instant::now();
    let guest = reissue(&app, &guest_id);
    loop {
        let read = app.get(&format!("/bookings/{id}"), Some(&guest)).await;
        assert_eq!(read.status, StatusCode::OK);
        if read.body["status"] == "expired" {
            break;
        }
        assert!(
            started.elapsed() < StdDuration::from_secs(2),
            "not expired within two seconds of the move: {:?}",
            read.body
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    let bad = app.post("/_local/clock", None, json!({"now": "yesterday"})).await;
    assert_eq!(bad.status, 422);
    let both = app
        .post("/_local/clock", None, json!({"now": target, "advanceSeconds": 1}))
        .await;
    assert_eq!(both.status, 422);
}
