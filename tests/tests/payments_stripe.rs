//! The payment flows through the local API with the Stripe adapter on localstripe: real
//! PaymentIntents, refunds checked on localstripe's charges, and a webhook that localstripe
//! itself signs and sends. DynamoDB and SQLite behave alike here (see `payments.rs`), so these
//! run on the embedded store.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::app::{Backend, TEST_WEBHOOK_SECRET, TestApp, spawn_app_with};
use tests::bookings::{act, booked, day, hosted_property, pay_with, wait_for};
use tests::localstripe;

async fn stripe_app() -> TestApp {
    spawn_app_with(Backend::Sqlite, Arc::new(localstripe::provider())).await
}

/// A guest's booking of a fresh property: (host token, guest token, booking).
async fn a_booking(app: &TestApp, extra: Value, check_in_days: i64) -> (String, String, Value) {
    let (host, property) = hosted_property(app, "Europe/Dublin", extra).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let booking = booked(app, &guest, &property, &day(check_in_days), &day(check_in_days + 3)).await;
    (host, guest, booking)
}

/// What localstripe has refunded of the PaymentIntent `reference`, in minor units.
async fn refunded_at_stripe(reference: &str) -> i64 {
    let intent = localstripe::get(&format!("/v1/payment_intents/{reference}")).await;
    let charge = intent["latest_charge"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| intent["latest_charge"]["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no charge on {intent}"));
    localstripe::get(&format!("/v1/charges/{charge}")).await["amount_refunded"]
        .as_i64()
        .unwrap_or_default()
}

/// Reads the payments until the first one's status is `status` (10 s at most).
async fn payment_reaches(app: &TestApp, token: &str, booking_id: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let body = app
            .get(&format!("/bookings/{booking_id}/payments"), Some(token))
            .await
            .body;
        if body["items"][0]["status"] == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "payment never became {status}: {body:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_pay_decline_retry_and_a_second_payment() {
    let app = stripe_app().await;
    let (_, guest, booking) = a_booking(&app, json!({}), 20).await;
    let id = booking["id"].as_str().unwrap();
    let declined = pay_with(&app, &guest, id, "pm_card_visa_chargeDeclined").await;
    assert_eq!(declined.status, StatusCode::CREATED, "{:?}", declined.body);
    assert_eq!(declined.body["status"], "failed");
    assert_eq!(declined.body["provider"], "stripe");
    let read = app.get(&format!("/bookings/{id}"), Some(&guest)).await;
    assert_eq!(read.body["status"], "pending_payment");

    let paid = pay_with(&app, &guest, id, "pm_card_visa").await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);
    assert_eq!(paid.body["status"], "succeeded");
    let reference = paid.body["providerRef"].as_str().unwrap();
    let intent = localstripe::get(&format!("/v1/payment_intents/{reference}")).await;
    assert_eq!(intent["amount"], booking["price"]["total"]["amount"]);
    assert_eq!(intent["currency"], "eur");
    wait_for(&app, &guest, id, |b| b["status"] == "confirmed").await;
    assert_eq!(
        pay_with(&app, &guest, id, "pm_card_visa").await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_refunds_cancellations_and_declines_exactly() {
    let app = stripe_app().await;
    // Moderate, 2 days ahead: half the nights plus cleaning.
    let (_, guest, booking) = a_booking(&app, json!({}), 2).await;
    let id = booking["id"].as_str().unwrap();
    let paid = pay_with(&app, &guest, id, "pm_card_visa").await;
    wait_for(&app, &guest, id, |b| b["status"] == "confirmed").await;
    let cancelled = act(&app, &guest, id, "cancel").await;
    let refund = cancelled.body["refund"]["amount"].as_i64().unwrap();
    assert_eq!(refund, 15_002 + 2_500);
    payment_reaches(&app, &guest, id, "partially_refunded").await;
    assert_eq!(
        refunded_at_stripe(paid.body["providerRef"].as_str().unwrap()).await,
        refund
    );

    let (host, guest, booking) = a_booking(&app, json!({"instantBook": false}), 20).await;
    let id = booking["id"].as_str().unwrap();
    let paid = pay_with(&app, &guest, id, "pm_card_visa").await;
    wait_for(&app, &guest, id, |b| b["status"] == "awaiting_host").await;
    assert_eq!(act(&app, &host, id, "decline").await.status, StatusCode::OK);
    payment_reaches(&app, &guest, id, "refunded").await;
    assert_eq!(
        refunded_at_stripe(paid.body["providerRef"].as_str().unwrap()).await,
        booking["price"]["total"]["amount"].as_i64().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_three_d_secure_is_settled_by_the_webhook_localstripe_sends() {
    let app = stripe_app().await;
    localstripe::configure_webhook(&format!("http://{}/webhooks/stripe", app.addr), TEST_WEBHOOK_SECRET).await;
    let (_, guest, booking) = a_booking(&app, json!({}), 20).await;
    let id = booking["id"].as_str().unwrap();
    let method = localstripe::three_d_secure_payment_method().await;
    let pending = pay_with(&app, &guest, id, &method).await;
    assert_eq!(pending.status, StatusCode::CREATED, "{:?}", pending.body);
    assert_eq!(pending.body["status"], "pending");
    assert_eq!(pending.body["nextAction"]["type"], "redirect");
    let reference = pending.body["providerRef"].as_str().unwrap();

    // The customer authenticates; localstripe charges and sends payment_intent.succeeded.
    let intent = localstripe::get(&format!("/v1/payment_intents/{reference}")).await;
    let secret = intent["client_secret"].as_str().unwrap();
    localstripe::post(
        &format!("/v1/payment_intents/{reference}/_authenticate"),
        &[("client_secret", secret), ("success", "true")],
    )
    .await;
    wait_for(&app, &guest, id, |b| b["status"] == "confirmed").await;
    let payments = payment_reaches(&app, &guest, id, "succeeded").await;
    assert_eq!(payments["items"].as_array().unwrap().len(), 1);
}
