//! The register-to-review journey as one client lives it, for the tests that prove the
//! guarantees under trouble (`faults.rs`: injected store and bus faults; `crash.rs`: the local
//! API killed and restarted). Each harness gives a [`Client`] with its own way of trying again
//! (a `503`, a dropped connection); the journey and the invariants a client can see are here,
//! once.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::store::{Store, keys};

use crate::app::{Answer, PASSWORD};
use crate::bookings::{day, listing};

/// Sends requests the way a harness's client does: tries again where its trouble allows, and
/// answers the request's final answer (never a `500`: a harness's client fails the test on it).
#[async_trait]
pub trait Client: Send + Sync {
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer;

    /// What the harness can say about work left undone, when a wait runs out.
    async fn diagnose(&self) -> String {
        String::new()
    }
}

/// The request a [`Client`] sends: `method` to `url` with the bearer `token`, the
/// `Idempotency-Key` and the JSON `body` it has.
pub fn request(
    http: &reqwest::Client,
    method: Method,
    url: String,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<&Value>,
) -> reqwest::RequestBuilder {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request
}

/// Longest wait for background work (a consumer, the relay, the sweep) to show.
const PATIENCE: Duration = Duration::from_secs(45);

pub async fn post(client: &dyn Client, path: &str, token: Option<&str>, key: Option<&str>, body: Value) -> Answer {
    client.send(Method::POST, path, token, key, Some(body)).await
}

pub async fn get(client: &dyn Client, path: &str, token: &str) -> Value {
    let answer = client.send(Method::GET, path, Some(token), None, None).await;
    assert_eq!(answer.status, StatusCode::OK, "GET {path}: {}", answer.body);
    answer.body
}

/// Reads `path` until `done` holds.
pub async fn until(client: &dyn Client, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let body = get(client, path, token).await;
        if done(&body) {
            return body;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("{path} never got there: {body}\n{}", client.diagnose().await);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs in: an access token.
pub async fn login(client: &dyn Client, email: &str) -> String {
    let tokens = post(
        client,
        "/auth/login",
        None,
        None,
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    tokens.body["accessToken"].as_str().expect("token").to_owned()
}

/// Registers and signs in: (user id, email, access token).
pub async fn user(client: &dyn Client, role: &str, first_name: &str) -> (String, String, String) {
    let email = format!(
        "{}-{}@example.com",
        first_name.to_lowercase(),
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let registered = post(
        client,
        "/auth/register",
        None,
        None,
        json!({"email": email, "password": PASSWORD, "firstName": first_name, "lastName": "Test", "role": role}),
    )
    .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.body);
    let token = login(client, &email).await;
    (
        registered.body["id"].as_str().expect("user id").to_owned(),
        email,
        token,
    )
}

pub async fn set_clock(client: &dyn Client, now: &str) {
    let moved = post(client, "/_local/clock", None, None, json!({"now": now})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
}

/// The local clock's time (`GET /_local/clock`), which [`set_clock`] moves.
pub async fn local_now(client: &dyn Client) -> chrono::DateTime<chrono::Utc> {
    let clock = client.send(Method::GET, "/_local/clock", None, None, None).await;
    assert_eq!(clock.status, StatusCode::OK, "{}", clock.body);
    clock.body["now"]
        .as_str()
        .and_then(|now| chrono::DateTime::parse_from_rfc3339(now).ok())
        .expect("the local clock's time")
        .with_timezone(&chrono::Utc)
}

/// The system messages (`event`) of a conversation page, sorted.
fn system_events(page: &Value) -> Vec<String> {
    let mut events: Vec<String> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["event"].as_str().map(str::to_owned))
        .collect();
    events.sort();
    events
}

/// Who and what one journey made.
#[derive(Debug, Clone)]
pub struct Trip {
    pub host_id: String,
    pub host_email: String,
    pub guest_id: String,
    pub guest_email: String,
    pub property_id: String,
    pub booking_id: String,
    pub conversation_id: String,
    pub review_id: String,
}

/// Register, list, book, pay, check in and out, review both ways, respond, payout: every step
/// as a client that tries again with the same `Idempotency-Key` where the route takes one.
pub async fn run(client: &dyn Client) -> Trip {
    let (host_id, host_email, host) = user(client, "host", "Hedy").await;
    let (guest_id, guest_email, guest) = user(client, "guest", "Grace").await;

    let listed = post(
        client,
        "/properties",
        Some(&host),
        Some("listing-1"),
        listing(
            "Atlantic/Reykjavik",
            json!({"checkInInstructions": "Key box by the blue door.", "cancellationPolicy": "flexible"}),
        ),
    )
    .await;
    assert_eq!(listed.status, StatusCode::CREATED, "{}", listed.body);
    let property_id = listed.body["id"].as_str().expect("property id").to_owned();

    let (check_in, check_out) = (day(6), day(8));
    let booked = post(
        client,
        "/bookings",
        Some(&guest),
        Some("booking-1"),
        json!({"propertyId": property_id, "checkIn": check_in, "checkOut": check_out, "guests": 2}),
    )
    .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    let booking_id = booked.body["id"].as_str().expect("booking id").to_owned();
    let conversation_id = booked.body["conversationId"]
        .as_str()
        .expect("conversation id")
        .to_owned();
    let paid = post(
        client,
        &format!("/bookings/{booking_id}/payments"),
        Some(&guest),
        Some("payment-1"),
        json!({"paymentMethod": "pm_card_visa"}),
    )
    .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
    assert_eq!(paid.body["status"], "succeeded");
    until(client, &format!("/bookings/{booking_id}"), &guest, |b| {
        b["status"] == "confirmed"
    })
    .await;

    // The day of the stay (Reykjavik is UTC): check in, check out, review both ways.
    set_clock(client, &format!("{check_in}T16:00:00Z")).await;
    let (guest, host) = (login(client, &guest_email).await, login(client, &host_email).await);
    // The instructions were due 48 h before: posted (by a sweep that may have to try again)
    // before the guest arrives, as on a real timeline.
    until(
        client,
        &format!("/conversations/{conversation_id}/messages"),
        &guest,
        |page| system_events(page).iter().any(|event| event == "check_in_instructions"),
    )
    .await;
    let arrived = post(
        client,
        &format!("/bookings/{booking_id}/check-in"),
        Some(&guest),
        Some("arrival"),
        json!({}),
    )
    .await;
    assert_eq!(arrived.status, StatusCode::OK, "{}", arrived.body);
    let left = post(
        client,
        &format!("/bookings/{booking_id}/check-out"),
        Some(&host),
        Some("departure"),
        json!({}),
    )
    .await;
    assert_eq!(left.status, StatusCode::OK, "{}", left.body);
    assert_eq!(left.body["status"], "checked_out");
    let guest_review = post(
        client,
        &format!("/bookings/{booking_id}/reviews"),
        Some(&guest),
        None,
        json!({"rating": 5, "cleanliness": 4, "comment": "Northern lights from the window."}),
    )
    .await;
    assert_eq!(guest_review.status, StatusCode::CREATED, "{}", guest_review.body);
    let host_review = post(
        client,
        &format!("/bookings/{booking_id}/reviews"),
        Some(&host),
        None,
        json!({"rating": 4, "comment": "Tidy and kind."}),
    )
    .await;
    assert_eq!(host_review.status, StatusCode::CREATED, "{}", host_review.body);
    let review_id = guest_review.body["id"].as_str().expect("review id").to_owned();
    let reviews = until(client, &format!("/properties/{property_id}/reviews"), &guest, |page| {
        page["items"].as_array().is_some_and(|items| items.len() == 1)
    })
    .await;
    assert_eq!(reviews["items"][0]["id"], json!(review_id));
    let responded = post(
        client,
        &format!("/reviews/{review_id}/response"),
        Some(&host),
        None,
        json!({"comment": "Come back in winter."}),
    )
    .await;
    assert_eq!(responded.status, StatusCode::CREATED, "{}", responded.body);

    // A day after check-in the payout is paid.
    set_clock(client, &format!("{check_out}T18:00:00Z")).await;
    let host = login(client, &host_email).await;
    until(client, &format!("/bookings/{booking_id}/payments"), &host, |p| {
        p["payout"]["status"] == "paid"
    })
    .await;
    Trip {
        host_id,
        host_email,
        guest_id,
        guest_email,
        property_id,
        booking_id,
        conversation_id,
        review_id,
    }
}

/// The emails each side must have got by the journey's end.
const GUEST_MAIL: [&str; 3] = ["Confirm your email address", "is confirmed", "reviewed your stay"];
const HOST_MAIL: [&str; 4] = [
    "Confirm your email address",
    "Booking confirmed",
    "reviewed Cabin on the ridge",
    "Payout sent",
];

async fn subjects(client: &dyn Client, to: &str) -> Vec<String> {
    let answer = client
        .send(
            Method::GET,
            &format!("/_local/mail?to={}", crate::mail::urlencode(to)),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|mail| mail["subject"].as_str().map(str::to_owned))
        .collect()
}

/// Waits until every email of the journey was sent (the last ones leave after the payout).
pub async fn mail_sent(client: &dyn Client, trip: &Trip) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    for (to, required) in [(&trip.guest_email, &GUEST_MAIL[..]), (&trip.host_email, &HOST_MAIL[..])] {
        loop {
            let got = subjects(client, to).await;
            if required
                .iter()
                .all(|wanted| got.iter().any(|subject| subject.contains(wanted)))
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{to} never got all of {required:?}: {got:?}\n{}",
                client.diagnose().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The state a run without trouble reaches, as the client sees it: one listing, one booking,
/// checked out, one payment, the payout paid, both reviews, the response, each system message
/// once, and each email once. Call it when the background work has settled.
pub async fn check(client: &dyn Client, trip: &Trip) {
    let guest = login(client, &trip.guest_email).await;
    let host = login(client, &trip.host_email).await;
    let mine = get(client, "/users/me/properties", &host).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "one listing: {mine}");
    let trips = get(client, "/bookings?as=guest", &guest).await;
    assert_eq!(trips["items"].as_array().map(Vec::len), Some(1), "one booking: {trips}");
    assert_eq!(trips["items"][0]["status"], "checked_out");
    let payments = get(client, &format!("/bookings/{}/payments", trip.booking_id), &host).await;
    assert_eq!(
        payments["items"].as_array().map(Vec::len),
        Some(1),
        "one payment: {payments}"
    );
    assert_eq!(payments["items"][0]["status"], "succeeded");
    assert_eq!(payments["payout"]["status"], "paid");
    let about_guest = get(client, &format!("/users/{}/reviews", trip.guest_id), &host).await;
    assert_eq!(about_guest["items"].as_array().map(Vec::len), Some(1), "{about_guest}");
    let published = get(client, &format!("/properties/{}/reviews", trip.property_id), &host).await;
    assert_eq!(published["items"].as_array().map(Vec::len), Some(1), "{published}");
    assert_eq!(published["items"][0]["id"], json!(trip.review_id));
    assert_eq!(published["items"][0]["response"]["comment"], "Come back in winter.");

    let inbox = get(client, "/conversations", &guest).await;
    assert_eq!(inbox["items"].as_array().map(Vec::len), Some(1), "{inbox}");
    assert_eq!(inbox["items"][0]["id"], json!(trip.conversation_id));
    let messages = get(
        client,
        &format!("/conversations/{}/messages?limit=100", trip.conversation_id),
        &guest,
    )
    .await;
    assert_eq!(
        system_events(&messages),
        [
            "booking_confirmed",
            "check_in_instructions",
            "checked_in",
            "checked_out"
        ],
        "each system message once"
    );

    for (to, required) in [(&trip.guest_email, &GUEST_MAIL[..]), (&trip.host_email, &HOST_MAIL[..])] {
        let subjects = subjects(client, to).await;
        let mut unique = subjects.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            subjects.len(),
            "an email sent twice to {to}: {subjects:?}"
        );
        for wanted in required {
            assert!(
                subjects.iter().any(|subject| subject.contains(wanted)),
                "{to} never got {wanted:?}: {subjects:?}"
            );
        }
    }
}

/// The property's rating totals count the guest's review once (the view shows them only from
/// 3 reviews on, so they are read from the store).
pub async fn check_rating_totals(store: &dyn Store, trip: &Trip) {
    let stored = store
        .get(&keys::property(&trip.property_id))
        .await
        .expect("property read")
        .expect("the property");
    for (total, value) in [
        ("ratingCount", 1),
        ("ratingSum", 5),
        ("cleanlinessCount", 1),
        ("cleanlinessSum", 4),
    ] {
        assert_eq!(
            stored.attrs.get(total),
            Some(&json!(value)),
            "{total}: {:?}",
            stored.attrs
        );
    }
}
