//! Payments through the local API with the sandbox provider, on both stores: pay, decline and
//! retry, 3-D Secure settled by a signed webhook, refunds of cancellations and declines by the
//! payment-events consumer, the payout, and an event that survives a lost publish.

use std::sync::atomic::Ordering;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::events::Queue;
use shared::payments::signature;
use tests::app::{TEST_WEBHOOK_SECRET, TestApp};
use tests::bookings::{
    act, advance, booked, day, hosted_property, pay_with, reissue, set_clock, user_id, wait_for, wait_within,
};

tests::on_both_stores!(
    a_good_card_confirms_the_booking_and_a_second_payment_is_refused,
    a_declined_card_leaves_the_booking_pending_and_a_retry_pays,
    three_d_secure_waits_for_a_signed_webhook,
    only_the_guest_pays_while_the_hold_runs,
    a_payment_idempotency_key_charges_once,
    cancellations_and_declines_are_refunded_by_the_consumer,
    check_in_schedules_the_payout_and_it_is_paid_a_day_later,
    an_event_whose_publish_was_lost_arrives_through_the_relay,
    a_refund_that_keeps_failing_waits_on_the_dead_letter_queue,
);

async fn payments(app: &TestApp, token: &str, booking_id: &str) -> Value {
    let answer = app.get(&format!("/bookings/{booking_id}/payments"), Some(token)).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

/// Reads the payments until `done` holds (5 s at most).
async fn payments_until(app: &TestApp, token: &str, booking_id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let body = payments(app, token, booking_id).await;
        if done(&body) {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "payments never got there: {body:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// A guest's booking of a fresh property: (host token, guest id, guest token, booking).
async fn a_booking(app: &TestApp, extra: Value, check_in_days: i64) -> (String, String, String, Value) {
    let (host, property) = hosted_property(app, "Europe/Vienna", extra).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let booking = booked(app, &guest, &property, &day(check_in_days), &day(check_in_days + 3)).await;
    (host, guest_id, guest, booking)
}

async fn a_good_card_confirms_the_booking_and_a_second_payment_is_refused(app: TestApp) {
    let (host, _, guest, booking) = a_booking(&app, json!({}), 20).await;
    let id = booking["id"].as_str().unwrap();
    let paid = pay_with(&app, &guest, id, "pm_card_visa").await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);
    assert_eq!(paid.body["status"], "succeeded");
    assert_eq!(
        paid.body["amount"], booking["price"]["total"],
        "the amount is the booking's total"
    );
    assert_eq!(paid.body["provider"], "sandbox");
    assert_eq!(paid.body["bookingId"], json!(id));
    assert!(paid.body["providerRef"].as_str().unwrap().starts_with("pi_"));
    assert_eq!(paid.body["refunds"], json!([]));
    let confirmed = wait_for(&app, &guest, id, |b| b["status"] == "confirmed").await;
    assert_eq!(confirmed["refund"], Value::Null);

    let again = pay_with(&app, &guest, id, "pm_card_visa").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    let listed = payments(&app, &guest, id).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0], paid.body);
    assert_eq!(listed["payout"], Value::Null);
    assert_eq!(
        payments(&app, &host, id).await["payout"],
        Value::Null,
        "no payout before check-in"
    );
}

async fn a_declined_card_leaves_the_booking_pending_and_a_retry_pays(app: TestApp) {
    let (_, _, guest, booking) = a_booking(&app, json!({}), 20).await;
    let id = booking["id"].as_str().unwrap();
    let declined = pay_with(&app, &guest, id, "pm_card_visa_chargeDeclined").await;
    assert_eq!(declined.status, StatusCode::CREATED, "{:?}", declined.body);
    assert_eq!(declined.body["status"], "failed");
    assert!(declined.body["failureReason"].as_str().unwrap().contains("declined"));
    // The PaymentFailed event is handled and changes nothing.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.bus.pending(Queue::BookingEvents).await > 0 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let read = app.get(&format!("/bookings/{id}"), Some(&guest)).await;
    assert_eq!(read.body["status"], "pending_payment");

    let paid = pay_with(&app, &guest, id, "pm_card_visa").await;
    assert_eq!(paid.body["status"], "succeeded");
    wait_for(&app, &guest, id, |b| b["status"] == "confirmed").await;
    let listed = payments(&app, &guest, id).await;
    let statuses: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["failed", "succeeded"]);
}

/// Sends a webhook body signed at `at` with `secret`.
async fn webhook(app: &TestApp, body: &Value, secret: &str, at: chrono::DateTime<chrono::Utc>) -> StatusCode {
    let payload = serde_json::to_vec(body).unwrap();
    let header = signature::sign(secret, &payload, at);
    app.client
        .post(format!("http://{}/webhooks/stripe", app.addr))
        .header("content-type", "application/json")
        .header("stripe-signature", header)
        .body(payload)
        .send()
        .await
        .unwrap()
        .status()
}

async fn three_d_secure_waits_for_a_signed_webhook(app: TestApp) {
    let (_, _, guest, booking) = a_booking(&app, json!({}), 20).await;
    let id = booking["id"].as_str().unwrap();
    let pending = pay_with(&app, &guest, id, "pm_card_threeDSecure2Required").await;
    assert_eq!(pending.status, StatusCode::CREATED, "{:?}", pending.body);
    assert_eq!(pending.body["status"], "pending");
    assert_eq!(pending.body["nextAction"]["type"], "redirect");
    assert!(
        pending.body["nextAction"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let reference = pending.body["providerRef"].as_str().unwrap();

    let event = json!({
        "id": format!("evt_{}", ulid::Ulid::new()),
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": reference, "object": "payment_intent", "status": "succeeded"}},
    });
    let now = app.app.clock.now();
    assert_eq!(
        webhook(&app, &event, "whsec_forged", now).await,
        StatusCode::BAD_REQUEST
    );
    let stale = now - chrono::Duration::minutes(6);
    assert_eq!(
        webhook(&app, &event, TEST_WEBHOOK_SECRET, stale).await,
        StatusCode::BAD_REQUEST
    );
    let unsigned = app.post("/webhooks/stripe", None, event.clone()).await;
    assert_eq!(unsigned.status, StatusCode::BAD_REQUEST);
    let read = app.get(&format!("/bookings/{id}"), Some(&guest)).await;
    assert_eq!(
        read.body["status"], "pending_payment",
        "rejected webhooks change nothing"
    );

    assert_eq!(webhook(&app, &event, TEST_WEBHOOK_SECRET, now).await, StatusCode::OK);
    wait_for(&app, &guest, id, |b| b["status"] == "confirmed").await;
    let listed = payments(&app, &guest, id).await;
    assert_eq!(listed["items"][0]["status"], "succeeded");
    assert!(listed["items"][0].get("nextAction").is_none());

    // A replay, and a type the project does not use: 200, nothing changes.
    assert_eq!(webhook(&app, &event, TEST_WEBHOOK_SECRET, now).await, StatusCode::OK);
    let other = json!({"id": "evt_other", "type": "customer.created", "data": {"object": {"id": "cus_1"}}});
    assert_eq!(webhook(&app, &other, TEST_WEBHOOK_SECRET, now).await, StatusCode::OK);
    assert_eq!(payments(&app, &guest, id).await, listed);
}

async fn only_the_guest_pays_while_the_hold_runs(app: TestApp) {
    let (host, guest_id, guest, booking) = a_booking(&app, json!({}), 20).await;
    let id = booking["id"].as_str().unwrap();
    let (_, stranger, _) = app.signed_in("guest").await;
    assert_eq!(
        pay_with(&app, &host, id, "pm_card_visa").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        pay_with(&app, &stranger, id, "pm_card_visa").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/bookings/{id}/payments"), Some(&stranger))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let missing = app
        .post(&format!("/bookings/{id}/payments"), Some(&guest), json!({}))
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.fields(), ["paymentMethod"]);
    let unknown = pay_with(&app, &guest, id, "pm_card_unknown").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let priced = app
        .post(
            &format!("/bookings/{id}/payments"),
            Some(&guest),
            json!({"paymentMethod": "pm_card_visa", "amount": {"amount": 1, "currency": "EUR"}}),
        )
        .await;
    assert_eq!(
        priced.status,
        StatusCode::BAD_REQUEST,
        "amounts never come from the client"
    );

    advance(&app, 15 * 60 + 1).await;
    let guest = reissue(&app, &guest_id);
    let late = pay_with(&app, &guest, id, "pm_card_visa").await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert_eq!(payments(&app, &guest, id).await["items"], json!([]));
}

async fn a_payment_idempotency_key_charges_once(app: TestApp) {
    let (_, _, guest, booking) = a_booking(&app, json!({}), 20).await;
    let id = booking["id"].as_str().unwrap();
    let send = || async {
        let response = app
            .client
            .post(format!("http://{}/bookings/{id}/payments", app.addr))
            .bearer_auth(&guest)
            .header("Idempotency-Key", "pay-once")
            .json(&json!({"paymentMethod": "pm_card_visa"}))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    let first = send().await;
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
    assert_eq!(send().await, first);
    assert_eq!(payments(&app, &guest, id).await["items"].as_array().unwrap().len(), 1);
}

async fn cancellations_and_declines_are_refunded_by_the_consumer(app: TestApp) {
    // Moderate policy, 2 days ahead: half the nights plus cleaning.
    let (_, _, guest, booking) = a_booking(&app, json!({}), 2).await;
    let id = booking["id"].as_str().unwrap();
    pay_with(&app, &guest, id, "pm_card_visa").await;
    wait_for(&app, &guest, id, |b| b["status"] == "confirmed").await;
    let cancelled = act(&app, &guest, id, "cancel").await;
    let refund = cancelled.body["refund"].clone();
    assert_eq!(refund, json!({"amount": 15_002 + 2_500, "currency": "EUR"}));
    let listed = payments_until(&app, &guest, id, |p| p["items"][0]["status"] == "partially_refunded").await;
    let refunds = listed["items"][0]["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["amount"], refund);
    assert_eq!(refunds[0]["status"], "succeeded");

    // Declined request to book: everything back.
    let (host, _, guest, booking) = a_booking(&app, json!({"instantBook": false}), 20).await;
    let id = booking["id"].as_str().unwrap();
    pay_with(&app, &guest, id, "pm_card_visa").await;
    wait_for(&app, &guest, id, |b| b["status"] == "awaiting_host").await;
    assert_eq!(act(&app, &host, id, "decline").await.status, StatusCode::OK);
    let listed = payments_until(&app, &host, id, |p| p["items"][0]["status"] == "refunded").await;
    assert_eq!(listed["items"][0]["refunds"][0]["amount"], booking["price"]["total"]);
}

async fn check_in_schedules_the_payout_and_it_is_paid_a_day_later(app: TestApp) {
    let (host, guest_id, guest, booking) = a_booking(&app, json!({}), 3).await;
    let host_id = user_id(&app, &host).await;
    let id = booking["id"].as_str().unwrap();
    pay_with(&app, &guest, id, "pm_card_visa").await;
    wait_for(&app, &guest, id, |b| b["status"] == "confirmed").await;
    // Vienna is UTC+1 in winter, UTC+2 in summer: noon UTC is inside the check-in day.
    set_clock(&app, &format!("{}T12:00:00Z", day(3))).await;
    let (guest, host) = (reissue(&app, &guest_id), reissue(&app, &host_id));
    let checked_in = act(&app, &guest, id, "check-in").await;
    assert_eq!(checked_in.status, StatusCode::OK, "{:?}", checked_in.body);
    let listed = payments_until(&app, &host, id, |p| !p["payout"].is_null()).await;
    let checked_in_at: chrono::DateTime<chrono::Utc> =
        checked_in.body["checkedInAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        listed["payout"],
        json!({
            "amount": booking["price"]["hostPayout"],
            "status": "scheduled",
            "availableAt": (checked_in_at + chrono::Duration::hours(24)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    );
    assert_eq!(
        payments(&app, &guest, id).await["payout"],
        Value::Null,
        "the guest never sees it"
    );
    advance(&app, 24 * 3600 + 5).await;
    let host = reissue(&app, &host_id);
    payments_until(&app, &host, id, |p| p["payout"]["status"] == "paid").await;
}

async fn an_event_whose_publish_was_lost_arrives_through_the_relay(app: TestApp) {
    let (_, _, guest, booking) = a_booking(&app, json!({}), 20).await;
    let id = booking["id"].as_str().unwrap();
    app.publish_fails.store(true, Ordering::SeqCst);
    let paid = pay_with(&app, &guest, id, "pm_card_visa").await;
    assert_eq!(
        paid.status,
        StatusCode::CREATED,
        "the payment commits whatever the queue does"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let read = app.get(&format!("/bookings/{id}"), Some(&guest)).await;
    assert_eq!(
        read.body["status"], "pending_payment",
        "the event is waiting in the outbox"
    );
    app.publish_fails.store(false, Ordering::SeqCst);
    // The relay runs every second in the local API, on what is older than its window.
    let patience = std::time::Duration::from_secs(20);
    wait_within(&app, &guest, id, patience, |b| b["status"] == "confirmed").await;
}

async fn a_refund_that_keeps_failing_waits_on_the_dead_letter_queue(app: TestApp) {
    let (_, _, guest, booking) = a_booking(&app, json!({}), 20).await;
    let id = booking["id"].as_str().unwrap();
    let paid = pay_with(&app, &guest, id, "pm_card_visa").await;
    wait_for(&app, &guest, id, |b| b["status"] == "confirmed").await;
    // The provider no longer knows the charge: every refund attempt fails.
    let payment_key = shared::store::keys::payment(id, paid.body["id"].as_str().unwrap());
    app.app
        .store
        .update(
            &payment_key,
            shared::store::Update::new().set("providerRef", "pi_unknown_to_the_provider"),
            shared::store::Condition::Exists,
        )
        .await
        .unwrap();
    assert_eq!(act(&app, &guest, id, "cancel").await.status, StatusCode::OK);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let dead = app.bus.dead_letters(Queue::PaymentEvents).await;
        if let Some(body) = dead.first() {
            assert!(body.contains("BookingCancelled"), "{body}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the failing refund never reached the DLQ"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        payments(&app, &guest, id).await["items"][0]["status"],
        "succeeded",
        "nothing recorded"
    );
}
