//! The Stripe adapter against localstripe (started by `scripts/test`): charges, declines,
//! 3-D Secure, idempotency keys, refunds, and localstripe's webhook signatures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use shared::money::{Currency, Money};
use shared::payments::provider::{ChargeRequest, ChargeState, PaymentProvider, ProviderError};
use shared::payments::signature;
use tests::localstripe;

fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn key() -> String {
    ulid::Ulid::new().to_string()
}

/// A charge of EUR 100.00 with `payment_method` under a fresh idempotency key.
fn charge_request(payment_method: &str) -> ChargeRequest {
    ChargeRequest {
        idempotency_key: key(),
        amount: eur(10_000),
        payment_method: payment_method.to_owned(),
        booking_id: format!("bk_{}", key()),
        payment_id: format!("pay_{}", key()),
    }
}

/// The charge behind PaymentIntent `reference`, as localstripe has it (amounts, refunds).
async fn latest_charge(reference: &str) -> serde_json::Value {
    let intent = localstripe::get(&format!("/v1/payment_intents/{reference}")).await;
    let charge = intent["latest_charge"]["id"]
        .as_str()
        .or_else(|| intent["latest_charge"].as_str())
        .unwrap_or_else(|| panic!("no latest_charge: {intent}"))
        .to_owned();
    localstripe::get(&format!("/v1/charges/{charge}")).await
}

#[tokio::test]
async fn a_test_card_is_charged() {
    let provider = localstripe::provider();
    let request = charge_request("pm_card_visa");
    let charge = provider.charge(&request).await.unwrap();
    assert!(charge.reference.starts_with("pi_"), "{charge:?}");
    assert_eq!(charge.state, ChargeState::Succeeded);
    assert_eq!(provider.state(&charge.reference).await.unwrap(), ChargeState::Succeeded);

    // What Stripe was sent: minor units, lower-case currency, the booking in the metadata.
    let intent = localstripe::get(&format!("/v1/payment_intents/{}", charge.reference)).await;
    assert_eq!(intent["amount"], 10_000);
    assert_eq!(intent["currency"], "eur");
    assert_eq!(intent["metadata"]["booking_id"], request.booking_id.as_str());
    assert_eq!(intent["metadata"]["payment_id"], request.payment_id.as_str());
}

#[tokio::test]
async fn a_declined_card_fails_with_the_reason() {
    let provider = localstripe::provider();
    let charge = provider
        .charge(&charge_request("pm_card_visa_chargeDeclined"))
        .await
        .unwrap();
    // localstripe's decline names only the charge: the adapter finds the intent through it.
    assert!(charge.reference.starts_with("pi_"), "{charge:?}");
    assert_eq!(
        charge.state,
        ChargeState::Failed {
            reason: "Your card was declined.".to_owned()
        }
    );
    assert_eq!(provider.state(&charge.reference).await.unwrap(), charge.state);
}

#[tokio::test]
async fn a_three_d_secure_card_requires_action() {
    let provider = localstripe::provider();
    let method = localstripe::three_d_secure_payment_method().await;
    let charge = provider.charge(&charge_request(&method)).await.unwrap();
    assert!(charge.reference.starts_with("pi_"), "{charge:?}");
    let ChargeState::RequiresAction { url } = &charge.state else {
        panic!("expected RequiresAction, got {charge:?}");
    };
    // localstripe's action is `use_stripe_sdk`, without a URL: the intent's own stands in.
    assert!(
        url.ends_with(&format!("/v1/payment_intents/{}", charge.reference)),
        "{url}"
    );
    assert_eq!(provider.state(&charge.reference).await.unwrap(), charge.state);
}

#[tokio::test]
async fn the_same_idempotency_key_charges_once() {
    let provider = localstripe::provider();
    let request = charge_request("pm_card_visa");
    let first = provider.charge(&request).await.unwrap();
    let again = provider.charge(&request).await.unwrap();
    assert_eq!(again, first);

    let fresh = provider
        .charge(&ChargeRequest {
            idempotency_key: key(),
            ..request
        })
        .await
        .unwrap();
    assert_ne!(fresh.reference, first.reference);
}

#[tokio::test]
async fn a_declined_charge_is_replayed_under_its_key() {
    let provider = localstripe::provider();
    let request = charge_request("pm_card_visa_chargeDeclined");
    let first = provider.charge(&request).await.unwrap();
    assert!(matches!(first.state, ChargeState::Failed { .. }), "{first:?}");
    assert_eq!(provider.charge(&request).await.unwrap(), first);
}

#[tokio::test]
async fn a_charge_is_refunded_in_full() {
    let provider = localstripe::provider();
    let charge = provider.charge(&charge_request("pm_card_visa")).await.unwrap();
    let refund = provider.refund(&charge.reference, eur(10_000), &key()).await.unwrap();
    assert!(refund.reference.starts_with("re_"), "{refund:?}");
    assert_eq!(refund.status, "succeeded");
    let charged = latest_charge(&charge.reference).await;
    assert_eq!(charged["amount_refunded"], 10_000);
    assert_eq!(charged["refunded"], true);
}

#[tokio::test]
async fn a_charge_is_refunded_in_parts() {
    let provider = localstripe::provider();
    let charge = provider.charge(&charge_request("pm_card_visa")).await.unwrap();
    let first = provider.refund(&charge.reference, eur(3_000), &key()).await.unwrap();
    let second = provider.refund(&charge.reference, eur(2_500), &key()).await.unwrap();
    assert_ne!(first.reference, second.reference);
    assert_eq!(second.status, "succeeded");
    let charged = latest_charge(&charge.reference).await;
    assert_eq!(charged["amount_refunded"], 5_500);
    assert_eq!(charged["refunded"], false);
}

#[tokio::test]
async fn the_same_idempotency_key_refunds_once() {
    let provider = localstripe::provider();
    let charge = provider.charge(&charge_request("pm_card_visa")).await.unwrap();
    let refund_key = key();
    let first = provider
        .refund(&charge.reference, eur(2_500), &refund_key)
        .await
        .unwrap();
    let again = provider
        .refund(&charge.reference, eur(2_500), &refund_key)
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(latest_charge(&charge.reference).await["amount_refunded"], 2_500);
}

#[tokio::test]
async fn an_unknown_payment_method_is_invalid() {
    let provider = localstripe::provider();
    let result = provider.charge(&charge_request("pm_does_not_exist")).await;
    assert!(matches!(result, Err(ProviderError::Invalid(_))), "{result:?}");
}

#[tokio::test]
async fn an_unknown_or_unsafe_reference_is_invalid() {
    let provider = localstripe::provider();
    for reference in ["pi_doesnotexist", "pi_1/../../v1/charges"] {
        let result = provider.state(reference).await;
        assert!(
            matches!(result, Err(ProviderError::Invalid(_))),
            "{reference}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_stripe_is_unavailable() {
    // A port nothing listens on: bound, then released.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let provider = shared::payments::stripe::StripeProvider::new(format!("http://127.0.0.1:{port}"), "sk_test_x");
    let result = provider.charge(&charge_request("pm_card_visa")).await;
    assert!(matches!(result, Err(ProviderError::Unavailable(_))), "{result:?}");
}

/// localstripe signs webhooks as Stripe does: [`signature::verify`] accepts the bytes it sends.
#[tokio::test]
async fn localstripe_webhooks_verify() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/stripe/webhook", listener.local_addr().unwrap());
    let secret = format!("whsec_{}", key());
    localstripe::configure_webhook(&url, &secret).await;

    let charge = localstripe::provider()
        .charge(&charge_request("pm_card_visa"))
        .await
        .unwrap();
    let reference = charge.reference.clone();
    // localstripe waits a second before sending, and sends every test's events here too.
    let (header, body) = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            assert!(Instant::now() < deadline, "no payment_intent.succeeded for {reference}");
            let (header, body) = receive(&listener);
            let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
            if event["type"] == "payment_intent.succeeded" && event["data"]["object"]["id"] == reference.as_str() {
                return (header, body);
            }
        }
    })
    .await
    .unwrap();

    let now = chrono::Utc::now();
    assert_eq!(signature::verify(&secret, header.as_deref(), &body, now), Ok(()));
    assert_eq!(
        signature::verify("whsec_other", header.as_deref(), &body, now),
        Err(signature::SignatureError::Mismatch)
    );
}

/// Accepts one HTTP/1.1 POST on `listener`, answers 200: its `Stripe-Signature` and body.
fn receive(listener: &TcpListener) -> (Option<String>, Vec<u8>) {
    let (stream, _) = listener.accept().unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(stream);
    let mut signature_header = None;
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case(signature::HEADER) {
                signature_header = Some(value.trim().to_owned());
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let mut stream = reader.into_inner();
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    (signature_header, body)
}
