//! The end-to-end suite: from registration to reviews through the local API, with the same
//! assertions on both backends: `embedded` (SQLite, in-process queues, sandbox payments) and
//! `aws` (DynamoDB and SQS on moto with the in-process SQS poller, Stripe on localstripe),
//! started the way `cargo run -p local-api` starts them.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::events::Queue;

/// A local API started for one test, and a client for it.
struct Api {
    base: String,
    client: reqwest::Client,
    /// The AWS side, on the aws backend.
    aws: Option<(aws_sdk_sqs::Client, local_api::provisioning::Provisioned)>,
}

const PASSWORD: &str = "correct horse battery";

async fn embedded() -> Api {
    let options = local_api::Options {
        port: 0,
        data_dir: std::env::temp_dir().join(format!("roost-e2e-{}", ulid::Ulid::new())),
        backend: local_api::Backend::Embedded,
        payments: local_api::Payments::Sandbox,
    };
    let running = local_api::start(options).await.expect("the embedded local API starts");
    Api {
        base: format!("http://{}", running.addr),
        client: reqwest::Client::new(),
        aws: None,
    }
}

async fn aws() -> Api {
    let side = tests::local_aws::provision("e2e", local_api::template::BUILT_IN).await;
    let sender = format!("no-reply-{}@roost.test", side.prefix.trim_end_matches('-'));
    let options = local_api::Options {
        port: 0,
        data_dir: std::env::temp_dir().join(format!("roost-{}", side.prefix.trim_end_matches('-'))),
        backend: side.backend(Some(tests::moto::verified_ses_sender(&sender, None).await)),
        payments: local_api::Payments::Stripe(Arc::new(tests::localstripe::provider())),
    };
    let running = local_api::start(options).await.expect("the aws local API starts");
    Api {
        base: format!("http://{}", running.addr),
        client: reqwest::Client::new(),
        aws: Some((side.sqs, side.provisioned)),
    }
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    /// Registers (role `guest` or `host`) and signs in: (user id, email, access token).
    async fn user(&self, role: &str, first_name: &str) -> (String, String, String) {
        let email = format!(
            "{}-{}@example.com",
            first_name.to_lowercase(),
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let (status, user) = self
            .post(
                "/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "firstName": first_name, "lastName": "Test", "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        let token = self.login(&email).await;
        (user["id"].as_str().unwrap().to_owned(), email, token)
    }

    async fn login(&self, email: &str) -> String {
        let (status, tokens) = self
            .post("/auth/login", None, json!({"email": email, "password": PASSWORD}))
            .await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        tokens["accessToken"].as_str().unwrap().to_owned()
    }

    async fn clock(&self, now: &str) {
        let (status, body) = self.post("/_local/clock", None, json!({"now": now})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The emails `to` received whose subject contains `subject`, once there are `count` of
    /// them (20 s at most), newest first.
    async fn mail(&self, to: &str, subject: &str, count: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.get(&format!("/_local/mail?to={to}"), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let found: Vec<Value> = body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject)))
                .cloned()
                .collect();
            if found.len() >= count {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{to} never got {subject:?}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Reads `path` until `done` holds (20 s at most: the aws backend polls SQS).
    async fn until(&self, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.get(path, Some(token)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if done(&body) {
                return body;
            }
            assert!(tokio::time::Instant::now() < deadline, "{path} never got there: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn date(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Register, list, search, quote, ask, book, pay, system messages and check-in instructions,
/// check in, check out, review both ways, rating.
async fn register_through_review(api: Api) {
    let (host_id, host_email, host) = api.user("host", "Hedy").await;
    let (guest_id, guest_email, guest) = api.user("guest", "Grace").await;
    let city = format!("Reykjavík {}", ulid::Ulid::new());
    let (status, property) = api
        .post(
            "/properties",
            Some(&host),
            json!({
                "title": "Harbour loft",
                "address": {"line1": "Hafnarstræti 1", "city": city, "country": "IS"},
                "timeZone": "Atlantic/Reykjavik",
                "maxGuests": 3,
                "nightlyPrice": {"amount": 20_000, "currency": "ISK"},
                "cleaningFee": {"amount": 3_000, "currency": "ISK"},
                "cancellationPolicy": "flexible",
                "checkInInstructions": "Key box by the blue door, code 2413.",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{property}");
    let property_id = property["id"].as_str().unwrap().to_owned();
    let (check_in, check_out) = (date(6), date(8));

    // A photo, sent as a host's script would: `curl -X PUT --upload-file` to the URL the API
    // answered, with its headers (the local API's own URL, or a presigned S3 URL on moto).
    let picture = shared::photos::samples::png(1200, 800);
    let (status, slot) = api
        .post(
            &format!("/properties/{property_id}/photos"),
            Some(&host),
            json!({"contentType": "image/png", "sizeBytes": picture.len(), "caption": "Harbour view"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{slot}");
    let file = std::env::temp_dir().join(format!("roost-e2e-{}.png", ulid::Ulid::new()));
    std::fs::write(&file, &picture).unwrap();
    let mut curl = std::process::Command::new("curl");
    curl.args(["--silent", "--show-error", "--fail", "-X", "PUT", "--upload-file"])
        .arg(&file);
    for (name, value) in slot["upload"]["headers"].as_object().unwrap() {
        curl.arg("-H").arg(format!("{name}: {}", value.as_str().unwrap()));
    }
    curl.arg(slot["upload"]["url"].as_str().unwrap());
    let sent = tokio::task::spawn_blocking(move || curl.output())
        .await
        .unwrap()
        .expect("curl runs");
    assert!(sent.status.success(), "curl: {}", String::from_utf8_lossy(&sent.stderr));
    let shown = api
        .until(&format!("/properties/{property_id}"), &host, |p| {
            p["photos"].as_array().is_some_and(|photos| !photos.is_empty())
        })
        .await;
    assert_eq!(shown["photos"][0]["width"], 1200);
    assert_eq!(shown["photos"][0]["height"], 800);
    assert_eq!(shown["photos"][0]["caption"], "Harbour view");
    let served = reqwest::get(shown["photos"][0]["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap().to_vec(), picture);

    let search = format!(
        "/properties?city={}&country=IS&checkIn={check_in}&checkOut={check_out}&guests=2",
        city.replace(' ', "%20").replace('í', "i")
    );
    let (status, found) = api.get(&search, None).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        found["items"][0]["id"],
        json!(property_id),
        "folded city search finds it"
    );
    assert_eq!(found["items"][0]["coverPhoto"]["width"], 1200, "with its cover");

    let (status, quote) = api
        .get(
            &format!("/properties/{property_id}/quote?checkIn={check_in}&checkOut={check_out}&guests=2"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{quote}");
    // ISK has no minor unit: 2 x 20000, fees 14 % and 3 % of 40000.
    assert_eq!(
        quote["total"],
        json!({"amount": 40_000 + 3_000 + 5_600, "currency": "ISK"})
    );

    // The trip starts with a question; the phone number stays on the platform for now.
    let (status, inquiry) = api
        .post(
            "/conversations",
            Some(&guest),
            json!({"propertyId": property_id, "message": "Is it quiet? Call me on +354 555 1234.", "checkIn": check_in, "checkOut": check_out, "guests": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inquiry}");
    assert_eq!(inquiry["lastMessage"]["body"], "Is it quiet? Call me on [hidden].");
    let conversation = inquiry["id"].as_str().unwrap().to_owned();
    let (_, inbox) = api.get("/conversations", Some(&host)).await;
    assert_eq!(inbox["items"][0]["id"], json!(conversation));
    assert_eq!(inbox["items"][0]["unreadCount"], 1);
    let (status, reply) = api
        .post(
            &format!("/conversations/{conversation}/messages"),
            Some(&host),
            json!({"body": "Very quiet. Welcome!"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let messages = format!("/conversations/{conversation}/messages");
    let events = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|m| m["event"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };

    let (status, booking) = api
        .post(
            "/bookings",
            Some(&guest),
            json!({"propertyId": property_id, "checkIn": check_in, "checkOut": check_out, "guests": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    assert_eq!(booking["price"], quote);
    assert_eq!(
        booking["conversationId"],
        json!(conversation),
        "the booking joins the inquiry"
    );
    let id = booking["id"].as_str().unwrap().to_owned();
    let (status, taken) = api
        .post(
            "/bookings",
            Some(&guest),
            json!({"propertyId": property_id, "checkIn": check_in, "checkOut": check_out, "guests": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{taken}");

    let (status, payment) = api
        .post(
            &format!("/bookings/{id}/payments"),
            Some(&guest),
            json!({"paymentMethod": "pm_card_visa"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{payment}");
    assert_eq!(payment["status"], "succeeded");
    assert_eq!(payment["amount"], quote["total"]);
    api.until(&format!("/bookings/{id}"), &guest, |b| b["status"] == "confirmed")
        .await;
    api.until(&messages, &guest, |page| events(page) == ["booking_confirmed"])
        .await;

    // The eve of the stay: the guest is reminded by email.
    let eve = check_in.parse::<chrono::NaiveDate>().unwrap() - chrono::Duration::days(1);
    api.clock(&format!("{eve}T16:00:00Z")).await;
    api.mail(&guest_email, "Check-in tomorrow at Harbour loft", 1).await;

    // Check in on the day (Reykjavik is UTC all year), check out, review both ways.
    api.clock(&format!("{check_in}T16:00:00Z")).await;
    let (guest, host) = (api.login(&guest_email).await, api.login(&host_email).await);
    let (status, arrived) = api
        .post(&format!("/bookings/{id}/check-in"), Some(&guest), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{arrived}");
    let payments = api
        .until(&format!("/bookings/{id}/payments"), &host, |p| !p["payout"].is_null())
        .await;
    assert_eq!(payments["payout"]["status"], "scheduled");
    assert_eq!(payments["payout"]["amount"], quote["hostPayout"]);
    let (status, left) = api
        .post(&format!("/bookings/{id}/check-out"), Some(&host), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{left}");
    // 48 h before check-in the instructions came; then the stay's own transitions.
    let page = api.until(&messages, &guest, |page| events(page).len() == 4).await;
    let mut posted = events(&page);
    posted.sort();
    // The sweep that posts the instructions and the check-in may land in either order.
    assert_eq!(
        posted,
        [
            "booking_confirmed",
            "check_in_instructions",
            "checked_in",
            "checked_out"
        ]
    );
    let instructions = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["event"] == "check_in_instructions")
        .unwrap();
    assert_eq!(instructions["body"], "Key box by the blue door, code 2413.");
    assert_eq!(instructions["bookingId"], json!(id));
    let (_, public) = api.get(&format!("/properties/{property_id}"), None).await;
    assert!(public.get("checkInInstructions").is_none(), "{public}");

    let (status, guest_review) = api
        .post(
            &format!("/bookings/{id}/reviews"),
            Some(&guest),
            json!({"rating": 5, "cleanliness": 4, "comment": "Northern lights from the window."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{guest_review}");
    assert_eq!(guest_review["published"], false);
    let (_, hidden) = api.get(&format!("/properties/{property_id}/reviews"), None).await;
    assert_eq!(hidden["items"], json!([]));
    let (status, host_review) = api
        .post(
            &format!("/bookings/{id}/reviews"),
            Some(&host),
            json!({"rating": 5, "comment": "Tidy and kind."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{host_review}");
    assert_eq!(host_review["published"], true);
    let (_, published) = api.get(&format!("/properties/{property_id}/reviews"), None).await;
    assert_eq!(published["items"][0]["authorName"], "Grace");
    assert_eq!(published["items"][0]["cleanliness"], 4);
    let (_, about_guest) = api.get(&format!("/users/{guest_id}/reviews"), None).await;
    assert_eq!(about_guest["items"][0]["authorId"], json!(host_id));

    // A day after check-in the payout is paid.
    api.clock(&format!("{check_out}T18:00:00Z")).await;
    let host = api.login(&host_email).await;
    api.until(&format!("/bookings/{id}/payments"), &host, |p| {
        p["payout"]["status"] == "paid"
    })
    .await;
    let (_, listing) = api.get(&format!("/properties/{property_id}"), None).await;
    assert_eq!(listing["rating"], Value::Null, "one review is not a rating yet");

    // Each moment of the journey reached the right mailbox once.
    let once = [
        (&guest_email, "Confirm your email address"),
        (&host_email, "Confirm your email address"),
        (&guest_email, "New message from Hedy"),
        (&guest_email, "Your booking at Harbour loft is confirmed"),
        (&host_email, "Booking confirmed: Harbour loft"),
        (&guest_email, "Check-in tomorrow at Harbour loft"),
        (&guest_email, "reviewed your stay at Harbour loft"),
        (&host_email, "reviewed Harbour loft"),
        (&host_email, "Payout sent"),
    ];
    for (to, subject) in once {
        let found = api.mail(to, subject, 1).await;
        assert_eq!(found.len(), 1, "{to}: {subject}");
        assert!(found[0]["html"].as_str().is_some_and(|html| !html.is_empty()));
    }
    let confirmed = &api.mail(&guest_email, "is confirmed", 1).await[0];
    assert!(confirmed["text"].as_str().unwrap().contains(&format!("/bookings/{id}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_register_through_review() {
    register_through_review(embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_register_through_review() {
    register_through_review(aws().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_a_message_the_consumer_cannot_handle_ends_on_the_dead_letter_queue() {
    let api = aws().await;
    let Some((sqs, provisioned)) = &api.aws else {
        panic!("the aws backend has its queues");
    };
    let url = &provisioned.queue_urls[&Queue::BookingEvents];
    let dead = &provisioned.dead_letter_urls[&Queue::BookingEvents];
    sqs.send_message()
        .queue_url(url)
        .message_body("this is not an event")
        .message_group_id("poison")
        .message_deduplication_id(ulid::Ulid::new().to_string())
        .send()
        .await
        .expect("sent");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let received = sqs
            .receive_message()
            .queue_url(dead)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("DLQ readable");
        if let Some(message) = received.messages.unwrap_or_default().first() {
            assert_eq!(message.body.as_deref(), Some("this is not an event"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the poison message never reached the DLQ"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
