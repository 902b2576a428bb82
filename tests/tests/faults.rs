//! The guarantees under faults: with 10 % and then 30 % of store and event-bus calls failing
//! (throttled, collided, timed out before the call, or timed out *after* a write took effect,
//! as `tests::faults` injects them), on both stores:
//!
//! - every request ends in its expected answer or in `503 unavailable` with `Retry-After`,
//!   never in a `500`;
//! - a client that retries each `503` (with the same `Idempotency-Key` where the route takes
//!   one) reaches the same final state as a run without faults;
//! - and the invariants hold: one listing, one booking, one payment, one payout, each system
//!   message and each email once, at most one booking per night, nothing on a dead-letter
//!   queue, nothing left in the outbox.
//!
//! The client waits 10 ms between tries instead of the `Retry-After` second, to keep the suite
//! fast. Each run prints its fault seed; `ROOST_FAULT_SEED=<seed>` replays its picks (the
//! interleaving of concurrent work may still differ), and `ROOST_FAULT_TRACE=1` prints every
//! request the client sends.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::events::Queue;
use shared::store::keys;
use shared::store::retrying::RetryingStore;
use shared::store::{Condition, Item, Key, Store, StoreError, TxAction, Update};
use tests::app::{Answer, Backend, TestApp, spawn_faulty_app};
use tests::bookings::{day, listing};
use tests::faults::{Fault, FaultPlan, FaultyStore};
use tests::journey::{self, Client, get, post, user};

/// Tries of one request before the test gives up on it.
const TRIES: usize = 80;

/// The client of a faulty app: sends a request again while it answers `503`; every answer
/// must be its expected one or a proper `503`, never a `500`.
struct Retrying<'a>(&'a TestApp);

#[async_trait]
impl Client for Retrying<'_> {
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let app = self.0;
        for _ in 0..TRIES {
            let url = format!("http://{}{path}", app.addr);
            let request = journey::request(&app.client, method.clone(), url, token, key, body.as_ref());
            if std::env::var_os("ROOST_FAULT_TRACE").is_some() {
                eprintln!("-> {method} {path}");
            }
            let response = request.send().await.expect("request sent");
            let status = response.status();
            let retry_after = response.headers().get("retry-after").cloned();
            let bytes = response.bytes().await.expect("body");
            let body_seen: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            assert_ne!(
                status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{method} {path}: {body_seen}"
            );
            if status != StatusCode::SERVICE_UNAVAILABLE {
                return Answer {
                    status,
                    headers: Default::default(),
                    body: body_seen,
                };
            }
            assert_eq!(
                body_seen["error"]["code"], "unavailable",
                "{method} {path}: {body_seen}"
            );
            assert!(retry_after.is_some(), "{method} {path}: a 503 without Retry-After");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{method} {path} answered 503 {TRIES} times");
    }

    async fn diagnose(&self) -> String {
        let mut dead = Vec::new();
        for queue in Queue::ALL {
            dead.extend(self.0.bus.dead_letters(queue).await);
        }
        let watermark = self.0.app.store.get(&keys::deadline_watermark()).await;
        format!("dead letters: {dead:?}\nsweep watermark: {watermark:?}")
    }
}

fn seed() -> u64 {
    let seed = std::env::var("ROOST_FAULT_SEED")
        .ok()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("fault seed {seed} (ROOST_FAULT_SEED={seed} replays it)");
    seed
}

/// Waits until every queue is empty and the outbox has nothing left, with faults off.
async fn settle(app: &TestApp, plan: &FaultPlan) {
    plan.set_percent(0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut pending = 0;
        for queue in Queue::ALL {
            pending += app.bus.pending(queue).await;
        }
        let outbox = shared::outbox::unpublished(app.app.store.as_ref(), app.app.clock.now())
            .await
            .expect("outbox query");
        if pending == 0 && outbox == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{pending} messages and {outbox} outbox records never settled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn assert_no_dead_letters(app: &TestApp) {
    for queue in Queue::ALL {
        let dead = app.bus.dead_letters(queue).await;
        assert!(
            dead.is_empty(),
            "{} dead letters on {}: {dead:?}",
            dead.len(),
            queue.name()
        );
    }
}

/// The journey through faults (`tests::journey`), then the invariants.
async fn journey(backend: Backend, percent: u32) {
    let plan = FaultPlan::new(percent, seed());
    let app = spawn_faulty_app(backend, plan.clone()).await;
    let client = Retrying(&app);
    let trip = journey::run(&client).await;
    journey::mail_sent(&client, &trip).await;
    settle(&app, &plan).await;
    let [throttled, conflicts, before, after] = plan.injected();
    eprintln!(
        "{percent} % of {} calls: {throttled} throttled, {conflicts} conflicts, {before} timeouts before, {after} after the write",
        plan.calls()
    );
    assert!(
        after > 0,
        "no write lost its answer: the run proved nothing about the hard case"
    );
    assert_no_dead_letters(&app).await;
    journey::check(&client, &trip).await;
    journey::check_rating_totals(app.app.store.as_ref(), &trip).await;
}

/// Six guests race for the same nights through faults, each retrying its `503`s with its own
/// key: one booking, five `409`s, and the nights held by that one booking only.
async fn race(backend: Backend, percent: u32) {
    let plan = FaultPlan::new(percent, seed());
    let app = Arc::new(spawn_faulty_app(backend, plan.clone()).await);
    let client = Retrying(&app);
    let (_, _, host) = user(&client, "host", "Hedy").await;
    let listed = post(
        &client,
        "/properties",
        Some(&host),
        Some("listing-1"),
        listing("Europe/Zurich", json!({})),
    )
    .await;
    assert_eq!(listed.status, StatusCode::CREATED, "{}", listed.body);
    let property_id = listed.body["id"].as_str().expect("property id").to_owned();
    let mut guests = Vec::new();
    for n in 0..6 {
        guests.push(user(&client, "guest", &format!("Guest{n}")).await.2);
    }
    let (check_in, check_out) = (day(20), day(23));
    let attempts = guests.iter().enumerate().map(|(n, token)| {
        let (app, token, property_id) = (app.clone(), token.clone(), property_id.clone());
        let (check_in, check_out) = (check_in.clone(), check_out.clone());
        tokio::spawn(async move {
            post(
                &Retrying(&app),
                "/bookings",
                Some(&token),
                Some(&format!("race-{n}")),
                json!({"propertyId": property_id, "checkIn": check_in, "checkOut": check_out, "guests": 2}),
            )
            .await
        })
    });
    let answers: Vec<Answer> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|joined| joined.expect("booking task"))
        .collect();
    let won: Vec<&Answer> = answers.iter().filter(|a| a.status == StatusCode::CREATED).collect();
    assert_eq!(won.len(), 1, "one booking: {answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| a.status == StatusCode::CREATED || (a.status == StatusCode::CONFLICT)),
        "{answers:?}"
    );
    settle(&app, &plan).await;
    let winner = won[0].body["id"].as_str().expect("booking id");
    for token in &guests {
        let trips = get(&client, "/bookings?as=guest", token).await;
        let ids: Vec<&str> = trips["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["id"].as_str())
            .collect();
        assert!(
            ids.is_empty() || ids == [winner],
            "a second booking of the nights: {ids:?}"
        );
    }
    let calendar = get(
        &client,
        &format!("/properties/{property_id}/calendar?from={check_in}&to={check_out}"),
        &host,
    )
    .await;
    let nights = calendar["nights"].as_array().expect("nights");
    assert_eq!(nights.len(), 3);
    assert!(nights.iter().all(|night| night["available"] == false), "{calendar}");
    assert_no_dead_letters(&app).await;
}

/// A counter item's `n`, read straight from the store.
async fn counter(store: &dyn Store, key: &Key) -> Value {
    store
        .get(key)
        .await
        .expect("read")
        .expect("the counter")
        .attrs
        .get("n")
        .cloned()
        .unwrap_or(Value::Null)
}

/// What `RetryingStore` makes of a write whose answer was lost, on a real store under it:
/// found applied by its witness (and not applied twice), made again when it was not applied,
/// and left to the caller when nothing tells.
async fn lost_answers(backend: Backend) {
    let clock: Arc<dyn shared::clock::Clock> = Arc::new(shared::clock::ManualClock::default());
    let real = tests::app::store(backend, clock).await;
    let over = |script: Vec<Option<Fault>>| {
        RetryingStore::new(Arc::new(FaultyStore::new(real.clone(), FaultPlan::scripted(script))))
    };
    let run = ulid::Ulid::new().to_string();
    let count_key = Key::new(format!("FAULTS#{run}"), "COUNTER");
    real.put(
        Item::new(count_key.clone(), "test", &json!({"n": 0})).expect("item"),
        Condition::Absent,
    )
    .await
    .expect("counter");
    let add_one = |witness: Option<&str>| {
        let mut actions = vec![TxAction::Update {
            key: count_key.clone(),
            update: Update::new().add("n", 1),
            condition: Condition::Exists,
        }];
        if let Some(name) = witness {
            let item = Item::new(Key::new(format!("FAULTS#{run}"), name), "test", &json!({"by": name})).expect("item");
            actions.push(TxAction::Put {
                item,
                condition: Condition::Absent,
            });
        }
        actions
    };

    // Applied, its answer lost: the witness is read back, the call succeeds, once.
    let store = over(vec![Some(Fault::TimedOutAfter)]);
    assert_eq!(store.transact(add_one(Some("first"))).await, Ok(()));
    assert_eq!(counter(real.as_ref(), &count_key).await, json!(1));

    // Not applied (timed out before): no witness stored, so it is made again, once.
    let store = over(vec![Some(Fault::TimedOutBefore)]);
    assert_eq!(store.transact(add_one(Some("second"))).await, Ok(()));
    assert_eq!(counter(real.as_ref(), &count_key).await, json!(2));

    // No witness to read: the caller hears of it, and it was applied once.
    let store = over(vec![Some(Fault::TimedOutAfter)]);
    assert!(matches!(
        store.transact(add_one(None)).await,
        Err(StoreError::Unavailable(_))
    ));
    assert_eq!(counter(real.as_ref(), &count_key).await, json!(3));

    // A conditional put whose answer was lost is found; one whose key someone else took is
    // the condition failure a retry would have met.
    let ours = Item::new(Key::new(format!("FAULTS#{run}"), "ours"), "test", &json!({"by": "us"})).expect("item");
    let store = over(vec![Some(Fault::TimedOutAfter)]);
    assert_eq!(store.put(ours.clone(), Condition::Absent).await, Ok(()));
    let theirs_key = Key::new(format!("FAULTS#{run}"), "theirs");
    real.put(
        Item::new(theirs_key.clone(), "test", &json!({"by": "them"})).expect("item"),
        Condition::Absent,
    )
    .await
    .expect("their item");
    let store = over(vec![Some(Fault::TimedOutBefore)]);
    let mine_there = Item::new(theirs_key, "test", &json!({"by": "us"})).expect("item");
    assert_eq!(
        store.put(mine_there, Condition::Absent).await,
        Err(StoreError::ConditionFailed)
    );

    // Throttles and conflicts applied nothing: made again; reads are made again on any
    // transient failure.
    let store = over(vec![Some(Fault::Throttled), Some(Fault::Conflict)]);
    assert_eq!(store.transact(add_one(Some("third"))).await, Ok(()));
    assert_eq!(counter(real.as_ref(), &count_key).await, json!(4));
    let store = over(vec![Some(Fault::TimedOutBefore), Some(Fault::Throttled)]);
    assert_eq!(counter(&store, &count_key).await, json!(4));
}

tests::scenarios! {
    sqlite_a_lost_answer_is_found_and_never_applied_twice: lost_answers(Backend::Sqlite);
    dynamo_a_lost_answer_is_found_and_never_applied_twice: lost_answers(Backend::Dynamo);
    sqlite_journey_at_10_percent: journey(Backend::Sqlite, 10);
    sqlite_journey_at_30_percent: journey(Backend::Sqlite, 30);
    dynamo_journey_at_10_percent: journey(Backend::Dynamo, 10);
    dynamo_journey_at_30_percent: journey(Backend::Dynamo, 30);
    sqlite_booking_race_at_10_percent: race(Backend::Sqlite, 10);
    sqlite_booking_race_at_30_percent: race(Backend::Sqlite, 30);
    dynamo_booking_race_at_10_percent: race(Backend::Dynamo, 10);
    dynamo_booking_race_at_30_percent: race(Backend::Dynamo, 30);
}
