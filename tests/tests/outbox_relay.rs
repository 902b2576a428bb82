//! The outbox relay against a clock that moves: the local API jumps its clock days ahead in
//! one request while other requests are still running, and the relay must not pass an event
//! such a request recorded by the time before the jump (its publish after commit may fail,
//! and then the relay is the only way it goes out).

use std::sync::Arc;

use chrono::Duration;
use serde_json::json;
use shared::App;
use shared::clock::{Clock, ManualClock};
use shared::events::{Event, EventType, Queue};
use shared::outbox;
use shared::store::{Condition, Item, Key, Store, TxAction};
use tests::app::{Backend, store, test_settings};
use tests::recording::RecordingBus;

async fn an_event_in_flight_across_a_clock_jump_is_published(backend: Backend) {
    let clock = Arc::new(ManualClock::default());
    let store: Arc<dyn Store> = store(backend, clock.clone()).await;
    let bus = Arc::new(RecordingBus::default());
    let app = App::new(store.clone(), bus.clone(), clock.clone(), &test_settings()).unwrap();
    let settle = Duration::seconds(1);
    // A quiet run first, so the watermark exists and sits just behind the clock.
    outbox_relay::relay(&app, settle).await.unwrap();

    // A request records its event by the clock as it was...
    let event = Event::new(EventType::BookingConfirmed, "B-JUMP", clock.now(), json!({}));
    let id = ulid::Ulid::new().to_string();
    let change = Item::new(Key::new(format!("TEST#{id}"), "CHANGE"), "test", &json!({})).unwrap();
    let mut actions = vec![TxAction::Put {
        item: change,
        condition: Condition::Absent,
    }];
    actions.extend(outbox::record(clock.as_ref(), &[(Queue::BookingEvents, event.clone())]).unwrap());
    // ...the clock jumps three days while it is in flight, and the relay runs...
    clock.advance(Duration::days(3));
    let report = outbox_relay::relay(&app, settle).await.unwrap();
    assert_eq!(report.published, 0);
    // ...then the request commits (and its own publish is lost).
    store.transact(actions).await.unwrap();
    assert!(bus.take().is_empty());

    // Once the window has passed in real time, the relay publishes it.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let report = outbox_relay::relay(&app, settle).await.unwrap();
    assert_eq!(report.published, 1, "{report:?}");
    assert_eq!(bus.take(), vec![(Queue::BookingEvents, event.clone())]);
    assert_eq!(outbox::unpublished(store.as_ref(), clock.now()).await.unwrap(), 0);
}

tests::scenarios! {
    sqlite_an_event_in_flight_across_a_clock_jump_is_published: an_event_in_flight_across_a_clock_jump_is_published(Backend::Sqlite);
    dynamo_an_event_in_flight_across_a_clock_jump_is_published: an_event_in_flight_across_a_clock_jump_is_published(Backend::Dynamo);
}
