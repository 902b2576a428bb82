//! Deadlines come due by the clock: the sweep emits each once, on the right queue, through
//! the outbox; cancelled and rescheduled ones behave; the local API sweeps within a second
//! of a clock move.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use serde_json::json;
use shared::clock::{Clock, ManualClock};
use shared::deadlines::{Deadline, DeadlineKind, cancel, schedule, sweep};
use shared::events::{EventType, Queue};
use shared::store::Store;
use tests::app::{Backend, spawn_app, store};
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

async fn sweeps_emit_each_due_deadline_once(backend: Backend) {
    let clock = Arc::new(ManualClock::default());
    let store: Arc<dyn Store> = store(backend, clock.clone()).await;
    let bus = RecordingBus::default();
    let hold = deadline(DeadlineKind::HoldExpiry, Duration::minutes(15), &clock);
    let payout = deadline(DeadlineKind::Payout, Duration::hours(30), &clock);
    let review = deadline(DeadlineKind::ReviewWindow, Duration::days(20), &clock);
    let cancelled = deadline(DeadlineKind::HostAnswer, Duration::minutes(5), &clock);
    let mut moved = deadline(DeadlineKind::HostAnswer, Duration::minutes(10), &clock);
    let actions = [&hold, &payout, &review, &cancelled, &moved]
        .iter()
        .map(|d| schedule(d, clock.now()).unwrap())
        .collect();
    store.transact(actions).await.unwrap();
    store
        .transact(vec![cancel(DeadlineKind::HostAnswer, &cancelled.subject_id)])
        .await
        .unwrap();
    moved.due_at = clock.now() + Duration::hours(2);
    store
        .transact(vec![schedule(&moved, clock.now()).unwrap()])
        .await
        .unwrap();

    assert_eq!(sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap().emitted, 0);
    clock.advance(Duration::minutes(16));
    assert_eq!(sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap().emitted, 1);
    let published = bus.take();
    assert_eq!(published.len(), 1);
    let (queue, event) = &published[0];
    assert_eq!(*queue, Queue::BookingEvents);
    assert_eq!(event.kind, EventType::DeadlineReached);
    assert_eq!(event.booking_id, hold.booking_id);
    assert_eq!(event.data["kind"], "holdExpiry");
    assert_eq!(event.data["subjectId"], json!(hold.subject_id));
    // Swept deadlines are gone: the same instant emits nothing more.
    assert_eq!(sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap().emitted, 0);

    // A long jump (the sweep was off, or the local clock moved days) still finds every bucket.
    clock.advance(Duration::days(21));
    assert_eq!(sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap().emitted, 3);
    let mut kinds: Vec<_> = bus
        .take()
        .into_iter()
        .map(|(queue, event)| (queue, event.data["kind"].as_str().unwrap().to_owned()))
        .collect();
    kinds.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        kinds,
        [
            (Queue::BookingEvents, "hostAnswer".to_owned()),
            (Queue::PaymentEvents, "payout".to_owned()),
            (Queue::ReviewEvents, "reviewWindow".to_owned()),
        ]
    );
    assert_eq!(sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap().emitted, 0);
}

/// A deadline written after the sweep passed its due hour (an event handled late, after
/// retries or a redrive from the dead-letter queue) is acted on at the next sweep, not lost
/// below the watermark.
async fn a_deadline_written_after_its_hour_was_swept_is_not_lost(backend: Backend) {
    let clock = Arc::new(ManualClock::default());
    let store: Arc<dyn Store> = store(backend, clock.clone()).await;
    let bus = RecordingBus::default();
    // The sweep runs a day later with nothing to do, moving its watermark past the payout's hour.
    let payout = deadline(DeadlineKind::Payout, Duration::hours(2), &clock);
    sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap();
    clock.advance(Duration::days(1));
    assert_eq!(sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap().emitted, 0);
    // Then the late consumer schedules it, due 22 hours ago.
    store
        .transact(vec![schedule(&payout, clock.now()).unwrap()])
        .await
        .unwrap();
    clock.advance(Duration::minutes(1));
    assert_eq!(sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap().emitted, 1);
    let published = bus.take();
    assert_eq!(published[0].1.data["kind"], "payout");
    assert_eq!(
        published[0].1.data["dueAt"],
        json!(payout.due_at),
        "still says when it was due"
    );
}

/// A sweep that was off for 15 days catches up in one run: every deadline that came due in
/// those 360 hour buckets is emitted once. The time it took is printed (the figure in
/// docs/performance.md), not asserted.
async fn a_sweep_fifteen_days_behind_catches_up_at_once(backend: Backend) {
    let clock = Arc::new(ManualClock::default());
    let store: Arc<dyn Store> = store(backend, clock.clone()).await;
    let bus = RecordingBus::default();
    sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap();
    // One deadline every 9 hours over the 15 days, so that 40 buckets hold one.
    let due: Vec<Deadline> = (1..=40)
        .map(|n| deadline(DeadlineKind::Payout, Duration::hours(9 * n), &clock))
        .collect();
    let actions: Vec<_> = due.iter().map(|d| schedule(d, clock.now()).unwrap()).collect();
    for chunk in actions.chunks(20) {
        store.transact(chunk.to_vec()).await.unwrap();
    }
    clock.advance(Duration::days(15));
    let started = Instant::now();
    let report = sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap();
    let took = started.elapsed();
    eprintln!("{backend:?}: a 15-day catch-up (361 buckets, 40 deadlines) took {took:?}");
    assert_eq!(report.emitted, 40);
    let mut emitted: Vec<String> = bus
        .take()
        .into_iter()
        .map(|(_, event)| event.data["subjectId"].as_str().unwrap().to_owned())
        .collect();
    emitted.sort();
    let mut wanted: Vec<String> = due.iter().map(|d| d.subject_id.clone()).collect();
    wanted.sort();
    assert_eq!(emitted, wanted);
    assert_eq!(sweep(store.as_ref(), &bus, clock.as_ref()).await.unwrap().emitted, 0);
}

tests::scenarios! {
    sqlite_a_sweep_fifteen_days_behind_catches_up_at_once: a_sweep_fifteen_days_behind_catches_up_at_once(Backend::Sqlite);
    dynamo_a_sweep_fifteen_days_behind_catches_up_at_once: a_sweep_fifteen_days_behind_catches_up_at_once(Backend::Dynamo);
    sqlite_a_deadline_written_after_its_hour_was_swept_is_not_lost: a_deadline_written_after_its_hour_was_swept_is_not_lost(Backend::Sqlite);
    dynamo_a_deadline_written_after_its_hour_was_swept_is_not_lost: a_deadline_written_after_its_hour_was_swept_is_not_lost(Backend::Dynamo);
    sqlite_sweeps_emit_each_due_deadline_once: sweeps_emit_each_due_deadline_once(Backend::Sqlite);
    dynamo_sweeps_emit_each_due_deadline_once: sweeps_emit_each_due_deadline_once(Backend::Dynamo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_api_sweeps_within_a_second_of_a_clock_move() {
    let app = spawn_app(Backend::Sqlite).await;
    let due = deadline(DeadlineKind::HoldExpiry, Duration::minutes(15), &app.clock);
    app.app
        .store
        .transact(vec![schedule(&due, app.clock.now()).unwrap()])
        .await
        .unwrap();
    // The jobs tick every second; let one pass so the move below is what makes it due.
    tokio::time::sleep(StdDuration::from_millis(1200)).await;
    let key = shared::store::keys::deadline(due.kind.as_str(), &due.subject_id);
    assert!(app.app.store.get(&key).await.unwrap().is_some(), "not due yet");

    let target = (Utc::now() + Duration::minutes(16)).to_rfc3339();
    let moved = app.post("/_local/clock", None, json!({"now": target})).await;
    assert_eq!(moved.status, 200);
    let started = Instant::now();
    // The booking-events consumer takes the event at once, so the sign of the sweep is the
    // deadline item it deleted when it recorded the event.
    while app.app.store.get(&key).await.unwrap().is_some() {
        assert!(
            started.elapsed() < StdDuration::from_secs(1),
            "not swept within a second of the move"
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
