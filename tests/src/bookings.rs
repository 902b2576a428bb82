//! Helpers for booking flows: a listed property, stays relative to today, payments as the
//! payments area will publish them, and waiting for consumers.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::events::{Event, EventType, Queue};

use crate::app::{Answer, TestApp};

/// A listing with a cleaning fee, in `time_zone`, with extra fields merged in.
pub fn listing(time_zone: &str, extra: Value) -> Value {
    let mut body = json!({
        "title": "Cabin on the ridge",
        "address": {"line1": "Ridge Road 7", "city": "Tarawa", "country": "KI"},
        "timeZone": time_zone,
        "maxGuests": 4,
        "nightlyPrice": {"amount": 10_001, "currency": "EUR"},
        "cleaningFee": {"amount": 2_500, "currency": "EUR"},
        "maxNights": 60,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (name, value) in extra {
            body.insert(name.clone(), value.clone());
        }
    }
    body
}

/// A host with a listed property: (host token, property id).
pub async fn hosted_property(app: &TestApp, time_zone: &str, extra: Value) -> (String, String) {
    let (_, token, _) = app.signed_in("host").await;
    let answer = app.post("/properties", Some(&token), listing(time_zone, extra)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    (token, answer.body["id"].as_str().expect("property id").to_owned())
}

/// The date `days` after today (UTC), as `YYYY-MM-DD`.
pub fn day(days: i64) -> String {
    (Utc::now().date_naive() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// `date` plus `days`.
pub fn plus(date: &str, days: i64) -> String {
    let date: NaiveDate = date.parse().expect("a date");
    (date + chrono::Duration::days(days)).format("%Y-%m-%d").to_string()
}

/// Asks for a booking.
pub async fn book(app: &TestApp, token: &str, property_id: &str, check_in: &str, check_out: &str) -> Answer {
    app.post(
        "/bookings",
        Some(token),
        json!({"propertyId": property_id, "checkIn": check_in, "checkOut": check_out, "guests": 2}),
    )
    .await
}

/// A booking that must succeed: its body.
pub async fn booked(app: &TestApp, token: &str, property_id: &str, check_in: &str, check_out: &str) -> Value {
    let answer = book(app, token, property_id, check_in, check_out).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body
}

/// The event the payments area publishes when a booking's payment succeeded.
pub fn payment_succeeded(booking_id: &str) -> Event {
    Event::new(
        EventType::PaymentSucceeded,
        booking_id,
        Utc::now(),
        json!({"paymentId": ulid::Ulid::new().to_string()}),
    )
}

/// Publishes a successful payment of `booking_id` to the booking-events queue and waits for
/// the consumer to move the booking on; returns the booking.
pub async fn pay(app: &TestApp, token: &str, booking_id: &str) -> Value {
    app.app
        .bus
        .publish(Queue::BookingEvents, &payment_succeeded(booking_id))
        .await
        .expect("published");
    wait_for(app, token, booking_id, |b| b["status"] != "pending_payment").await
}

/// Reads the booking until `done` holds (5 s at most).
pub async fn wait_for(app: &TestApp, token: &str, booking_id: &str, done: impl Fn(&Value) -> bool) -> Value {
    wait_within(app, token, booking_id, Duration::from_secs(5), done).await
}

/// [`wait_for`] with its own patience: what goes through the outbox relay waits out its
/// settling window (`outbox_relay::LOCAL_SETTLE`) first.
pub async fn wait_within(
    app: &TestApp,
    token: &str,
    booking_id: &str,
    patience: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let answer = app.get(&format!("/bookings/{booking_id}"), Some(token)).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        if done(&answer.body) {
            return answer.body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "booking never got there: {:?}",
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Moves the local clock by `seconds` through `/_local/clock` (due work runs at once).
pub async fn advance(app: &TestApp, seconds: i64) {
    let moved = app
        .post("/_local/clock", None, json!({"advanceSeconds": seconds}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
}

/// Sets the local clock to `now` (RFC 3339).
pub async fn set_clock(app: &TestApp, now: &str) {
    let moved = app.post("/_local/clock", None, json!({"now": now})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
}

/// POSTs an action (`accept`, `cancel`, ...) on a booking.
pub async fn act(app: &TestApp, token: &str, booking_id: &str, action: &str) -> Answer {
    app.request(
        reqwest::Method::POST,
        &format!("/bookings/{booking_id}/{action}"),
        Some(token),
        None,
    )
    .await
}

/// A fresh access token for `user_id`, issued at the app's current clock: tokens last 15
/// minutes, so a test that moves the clock further signs its users in again.
pub fn reissue(app: &TestApp, user_id: &str) -> String {
    use shared::auth::Role;
    app.app
        .keys
        .fixed_value()
        .expect("a test app's keys are fixed")
        .tokens
        .issue(user_id, &[Role::Guest, Role::Host], app.app.clock.now())
        .expect("token")
}

/// The user id behind an access token.
pub async fn user_id(app: &TestApp, token: &str) -> String {
    let me = app.get("/users/me", Some(token)).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    me.body["id"].as_str().expect("user id").to_owned()
}

/// POSTs a payment of `booking_id` with `method` (a test payment method id).
pub async fn pay_with(app: &TestApp, token: &str, booking_id: &str, method: &str) -> Answer {
    app.post(
        &format!("/bookings/{booking_id}/payments"),
        Some(token),
        json!({"paymentMethod": method}),
    )
    .await
}
