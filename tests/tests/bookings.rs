//! Bookings over HTTP on both stores: quotes, holds and the race for nights, idempotency,
//! payment outcomes through the queue, the host's answer, cancellation refunds, check-in and
//! check-out times, expiry by the clock, and the lists.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::events::Queue;
use tests::app::TestApp;
use tests::bookings::{
    act, advance, book, booked, day, hosted_property, pay, payment_succeeded, plus, reissue, set_clock, user_id,
    wait_for,
};

tests::on_both_stores!(
    quotes_price_a_stay_and_refuse_what_a_booking_would,
    a_booking_holds_its_nights_and_the_loser_learns_the_first_taken_night,
    concurrent_overlapping_bookings_let_exactly_one_win,
    an_idempotency_key_replays_the_first_answer,
    an_unpaid_booking_expires_with_its_hold,
    payment_confirms_and_a_replayed_event_changes_nothing,
    requests_to_book_wait_for_the_host,
    cancellation_refunds_follow_the_policy,
    check_in_and_check_out_follow_the_clock_of_the_property,
    lists_by_guest_and_host_with_filters_and_cursors,
    only_the_guest_and_host_see_a_booking,
    a_move_sent_again_with_its_key_answers_the_booking,
);

fn money(amount: i64) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

async fn quotes_price_a_stay_and_refuse_what_a_booking_would(app: TestApp) {
    let (_, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let (check_in, check_out) = (day(10), day(13));
    let path = |query: &str| format!("/properties/{property}/quote?{query}");
    let quote = app
        .get(
            &path(&format!("checkIn={check_in}&checkOut={check_out}&guests=2")),
            None,
        )
        .await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    // 3 x 100.01 = 300.03; service 14 % = 42.0042 -> 42.00; host 3 % = 9.0009 -> 9.00.
    assert_eq!(
        quote.body,
        json!({
            "nights": 3,
            "nightlyPrice": money(10_001),
            "subtotal": money(30_003),
            "cleaningFee": money(2_500),
            "serviceFee": money(4_200),
            "total": money(30_003 + 2_500 + 4_200),
            "hostFee": money(900),
            "hostPayout": money(30_003 + 2_500 - 900),
        })
    );

    let sent_price = app
        .get(
            &path(&format!("checkIn={check_in}&checkOut={check_out}&guests=2&price=1")),
            None,
        )
        .await;
    assert_eq!(sent_price.status, StatusCode::BAD_REQUEST, "{:?}", sent_price.body);
    assert_eq!(sent_price.fields(), ["price"]);
    let malformed = app
        .get(&path("checkIn=10.01.2027&checkOut=2027-01-13&guests=2"), None)
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);

    let past = app
        .get(
            &path(&format!("checkIn={}&checkOut={check_out}&guests=9", day(-3))),
            None,
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(past.fields(), ["checkIn", "guests"]);
    let missing = app.get(&path(""), None).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.fields(), ["checkIn", "checkOut", "guests"]);
    let inverted = app
        .get(
            &path(&format!("checkIn={check_out}&checkOut={check_in}&guests=1")),
            None,
        )
        .await;
    assert_eq!(inverted.fields(), ["checkOut"]);
    let too_long = app
        .get(
            &path(&format!("checkIn={check_in}&checkOut={}&guests=1", plus(&check_in, 61))),
            None,
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_long.fields(), ["checkOut"]);

    let (_, guest, _) = app.signed_in("guest").await;
    booked(&app, &guest, &property, &plus(&check_in, 2), &plus(&check_in, 4)).await;
    let taken = app
        .get(
            &path(&format!("checkIn={check_in}&checkOut={check_out}&guests=2")),
            None,
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.fields(), [plus(&check_in, 2)]);
    let unknown = app
        .get(
            &format!(
                "/properties/{}/quote?checkIn={check_in}&checkOut={check_out}&guests=2",
                ulid::Ulid::new()
            ),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn a_booking_holds_its_nights_and_the_loser_learns_the_first_taken_night(app: TestApp) {
    let (host, property) = hosted_property(&app, "Pacific/Kiritimati", json!({})).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let (check_in, check_out) = (day(20), day(23));
    let quote = app
        .get(
            &format!("/properties/{property}/quote?checkIn={check_in}&checkOut={check_out}&guests=2"),
            None,
        )
        .await;
    let created = booked(&app, &guest, &property, &check_in, &check_out).await;
    assert_eq!(created["status"], "pending_payment");
    assert_eq!(created["guestId"], json!(guest_id));
    assert_eq!(created["price"], quote.body, "the booking costs what the quote said");
    assert_eq!(created["refund"], Value::Null);
    assert_eq!(created["checkedInAt"], Value::Null);
    let hold: chrono::DateTime<chrono::Utc> = created["holdExpiresAt"].as_str().unwrap().parse().unwrap();
    let booked_at: chrono::DateTime<chrono::Utc> = created["createdAt"].as_str().unwrap().parse().unwrap();
    assert!((hold - booked_at - chrono::Duration::minutes(15)).num_seconds().abs() <= 1);
    assert_eq!(created["history"].as_array().unwrap().len(), 1);
    assert_eq!(created["history"][0]["actor"], json!(guest_id));
    for internal in ["terms", "version", "openBookings"] {
        assert!(created.get(internal).is_none(), "{internal} leaked");
    }

    // Overlapping from either side: 409 naming the first night both want.
    let (_, other, _) = app.signed_in("guest").await;
    let later = book(&app, &other, &property, &plus(&check_in, 1), &plus(&check_out, 2)).await;
    assert_eq!(later.status, StatusCode::CONFLICT, "{:?}", later.body);
    assert_eq!(later.fields(), [plus(&check_in, 1)]);
    let earlier = book(&app, &other, &property, &plus(&check_in, -2), &plus(&check_in, 1)).await;
    assert_eq!(earlier.fields(), [check_in.as_str()]);
    // The check-out day is not a night: the next stay may start on it.
    booked(&app, &other, &property, &check_out, &plus(&check_out, 2)).await;

    let calendar = app
        .get(
            &format!(
                "/properties/{property}/calendar?from={}&to={}",
                plus(&check_in, -1),
                plus(&check_out, 3)
            ),
            None,
        )
        .await;
    let free: Vec<bool> = calendar.body["nights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|night| night["available"].as_bool().unwrap())
        .collect();
    assert_eq!(free, [true, false, false, false, false, false, true]);

    let own = book(&app, &host, &property, &day(40), &day(42)).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let priced = app
        .post(
            "/bookings",
            Some(&guest),
            json!({"propertyId": property, "checkIn": day(40), "checkOut": day(42), "guests": 2, "total": {"amount": 1, "currency": "EUR"}}),
        )
        .await;
    assert_eq!(priced.status, StatusCode::BAD_REQUEST, "a client never sends a price");
    let invalid = app
        .post(
            "/bookings",
            Some(&guest),
            json!({"propertyId": ulid::Ulid::new().to_string(), "checkIn": "2027-13-01", "guests": 2}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.fields(), ["checkIn", "propertyId"]);
    let crowd = app
        .post(
            "/bookings",
            Some(&guest),
            json!({"propertyId": property, "checkIn": day(40), "checkOut": day(42), "guests": 5}),
        )
        .await;
    assert_eq!(crowd.fields(), ["guests"]);
    assert_eq!(
        app.post("/bookings", None, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Open bookings keep the property from being deleted.
    let delete = app
        .request(
            reqwest::Method::DELETE,
            &format!("/properties/{property}"),
            Some(&host),
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
}

async fn concurrent_overlapping_bookings_let_exactly_one_win(app: TestApp) {
    let (_, property) = hosted_property(&app, "Europe/Berlin", json!({})).await;
    let mut guests = Vec::new();
    for _ in 0..12 {
        guests.push(app.signed_in("guest").await.1);
    }
    let base = day(30);
    let attempts = guests.iter().enumerate().map(|(n, token)| {
        let app = &app;
        let property = property.clone();
        // Every stay covers night base+3; their starts and lengths differ.
        let check_in = plus(&base, (n % 4) as i64);
        let check_out = plus(&base, 4 + (n % 3) as i64);
        async move { book(app, token, &property, &check_in, &check_out).await.status }
    });
    let statuses = futures::future::join_all(attempts).await;
    let won = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let lost = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((won, lost), (1, statuses.len() - 1), "{statuses:?}");
}

async fn an_idempotency_key_replays_the_first_answer(app: TestApp) {
    let (_, property) = hosted_property(&app, "Europe/Paris", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let body = json!({"propertyId": property, "checkIn": day(50), "checkOut": day(52), "guests": 2});
    let send = |key: &'static str, body: Value| {
        let app = &app;
        let guest = guest.clone();
        async move {
            let response = app
                .client
                .post(format!("http://{}/bookings", app.addr))
                .bearer_auth(guest)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let first = send("key-1", body.clone()).await;
    assert_eq!(first.0, StatusCode::CREATED);
    let again = send("key-1", body.clone()).await;
    assert_eq!(again, first, "same status, same body byte for byte");
    let mut other = body.clone();
    other["guests"] = json!(3);
    let changed = send("key-1", other).await;
    assert_eq!(changed.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", changed.1);

    // Concurrent repeats of a new key: one booking, every answer the same.
    let body = json!({"propertyId": property, "checkIn": day(60), "checkOut": day(62), "guests": 2});
    let answers = futures::future::join_all((0..6).map(|_| send("key-2", body.clone()))).await;
    let created: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), answers.len(), "{answers:?}");
    assert!(created.iter().all(|answer| answer.1 == created[0].1));
    let mine = app.get(&format!("/bookings?from={}", day(59)), Some(&guest)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1, "{:?}", mine.body);

    for bad in ["", &"k".repeat(256)] {
        let response = app
            .client
            .post(format!("http://{}/bookings", app.addr))
            .bearer_auth(&guest)
            .header("Idempotency-Key", bad)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "key {bad:?}");
    }
}

async fn an_unpaid_booking_expires_with_its_hold(app: TestApp) {
    let (_, property) = hosted_property(&app, "America/Lima", json!({})).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let (check_in, check_out) = (day(15), day(18));
    let booking = booked(&app, &guest, &property, &check_in, &check_out).await;
    let id = booking["id"].as_str().unwrap();
    let (_, other, _) = app.signed_in("guest").await;
    assert_eq!(
        book(&app, &other, &property, &check_in, &check_out).await.status,
        StatusCode::CONFLICT
    );

    advance(&app, 15 * 60 + 5).await;
    let guest = reissue(&app, &guest_id);
    let other = app.signed_in("guest").await.1;
    let expired = wait_for(&app, &guest, id, |b| b["status"] == "expired").await;
    let last = expired["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "system");
    assert_eq!(expired["holdExpiresAt"], Value::Null);
    // The nights are free again, and the property may go.
    booked(&app, &other, &property, &check_in, &check_out).await;
    assert_eq!(
        act(&app, &guest, id, "cancel").await.status,
        StatusCode::CONFLICT,
        "an expired booking cannot be cancelled"
    );
    let late_payment = pay_and_settle(&app, &guest, id).await;
    assert_eq!(late_payment["status"], "expired", "a late payment changes nothing");
}

/// Publishes a payment and gives the consumer time to handle it even if nothing changes.
async fn pay_and_settle(app: &TestApp, token: &str, booking_id: &str) -> Value {
    app.app
        .bus
        .publish(Queue::BookingEvents, &payment_succeeded(booking_id))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.bus.pending(Queue::BookingEvents).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the queue never drained");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.get(&format!("/bookings/{booking_id}"), Some(token)).await.body
}

async fn payment_confirms_and_a_replayed_event_changes_nothing(app: TestApp) {
    let (host, property) = hosted_property(&app, "Asia/Tokyo", json!({})).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let (check_in, check_out) = (day(25), day(27));
    let booking = booked(&app, &guest, &property, &check_in, &check_out).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let event = payment_succeeded(&id);
    app.app.bus.publish(Queue::BookingEvents, &event).await.unwrap();
    let confirmed = wait_for(&app, &guest, &id, |b| b["status"] == "confirmed").await;
    assert_eq!(confirmed["holdExpiresAt"], Value::Null);
    assert_eq!(confirmed["history"][1]["actor"], "system");

    // The same event handed to the consumer twice more (a redelivery): nothing changes.
    for _ in 0..2 {
        shared::bookings::consumer::on_event(app.app, event.clone())
            .await
            .unwrap();
    }
    let after = app.get(&format!("/bookings/{id}"), Some(&host)).await;
    assert_eq!(after.body, confirmed);

    // Paid nights stay taken when the hold's time passes; the hold deadline does nothing.
    advance(&app, 20 * 60).await;
    let guest = reissue(&app, &guest_id);
    let (_, other, _) = app.signed_in("guest").await;
    let taken = book(&app, &other, &property, &check_in, &check_out).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{:?}", taken.body);
    let still = app.get(&format!("/bookings/{id}"), Some(&guest)).await;
    assert_eq!(still.body["status"], "confirmed");

    // A failed payment leaves a booking pending.
    let pending = booked(&app, &other, &property, &day(35), &day(36)).await;
    let pending_id = pending["id"].as_str().unwrap();
    let failed = shared::events::Event::new(
        shared::events::EventType::PaymentFailed,
        pending_id,
        chrono::Utc::now(),
        json!({}),
    );
    shared::bookings::consumer::on_event(app.app, failed).await.unwrap();
    let read = app.get(&format!("/bookings/{pending_id}"), Some(&other)).await;
    assert_eq!(read.body["status"], "pending_payment");
}

async fn requests_to_book_wait_for_the_host(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/London", json!({"instantBook": false})).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let first = booked(&app, &guest, &property, &day(20), &day(22)).await;
    let first_id = first["id"].as_str().unwrap();
    assert_eq!(
        act(&app, &host, first_id, "accept").await.status,
        StatusCode::CONFLICT,
        "nothing to accept before payment"
    );
    let waiting = pay(&app, &guest, first_id).await;
    assert_eq!(waiting["status"], "awaiting_host");
    assert_eq!(
        act(&app, &guest, first_id, "accept").await.status,
        StatusCode::FORBIDDEN
    );
    let accepted = act(&app, &host, first_id, "accept").await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    assert_eq!(accepted.body["status"], "confirmed");
    assert_eq!(act(&app, &host, first_id, "accept").await.status, StatusCode::CONFLICT);

    // Declined by the host, with a reason: refunded in full, nights free again.
    let second = booked(&app, &guest, &property, &day(30), &day(33)).await;
    let second_id = second["id"].as_str().unwrap();
    pay(&app, &guest, second_id).await;
    let declined = app
        .post(
            &format!("/bookings/{second_id}/decline"),
            Some(&host),
            json!({"reason": "Closed for repairs"}),
        )
        .await;
    assert_eq!(declined.status, StatusCode::OK, "{:?}", declined.body);
    assert_eq!(declined.body["status"], "declined");
    assert_eq!(declined.body["refund"], second["price"]["total"]);
    let last = declined.body["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["reason"], "Closed for repairs");
    booked(&app, &guest, &property, &day(30), &day(33)).await;
    let long_reason = app
        .post(
            &format!("/bookings/{first_id}/cancel"),
            Some(&guest),
            json!({"reason": "x".repeat(501)}),
        )
        .await;
    assert_eq!(long_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(long_reason.fields(), ["reason"]);

    // No answer within 24 hours: declined by the system, refunded in full.
    let third = booked(&app, &guest, &property, &day(40), &day(41)).await;
    let third_id = third["id"].as_str().unwrap();
    pay(&app, &guest, third_id).await;
    advance(&app, 24 * 3600 + 60).await;
    let guest = reissue(&app, &guest_id);
    let auto = wait_for(&app, &guest, third_id, |b| b["status"] == "declined").await;
    assert_eq!(auto["refund"], third["price"]["total"]);
    let last = auto["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "system");
}

async fn cancellation_refunds_follow_the_policy(app: TestApp) {
    let (host, moderate) = hosted_property(&app, "Europe/Madrid", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    // Moderate, 10 days ahead: everything back.
    let far = booked(&app, &guest, &moderate, &day(10), &day(13)).await;
    let far_id = far["id"].as_str().unwrap();
    pay(&app, &guest, far_id).await;
    let cancelled = act(&app, &guest, far_id, "cancel").await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["refund"], far["price"]["total"]);
    assert_eq!(act(&app, &guest, far_id, "cancel").await.status, StatusCode::CONFLICT);

    // Moderate, 2 days ahead: half the nights plus cleaning, no service fee.
    let near = booked(&app, &guest, &moderate, &day(2), &day(5)).await;
    let near_id = near["id"].as_str().unwrap();
    pay(&app, &guest, near_id).await;
    let half = act(&app, &guest, near_id, "cancel").await;
    assert_eq!(half.body["refund"], money(15_002 + 2_500));

    // The host cancels: everything back, whatever the policy.
    let (_, firm) = {
        let (_, token, _) = app.signed_in("host").await;
        let answer = app
            .post(
                "/properties",
                Some(&token),
                tests::bookings::listing("Europe/Madrid", json!({"cancellationPolicy": "firm"})),
            )
            .await;
        (token, answer.body["id"].as_str().unwrap().to_owned())
    };
    let firm_stay = booked(&app, &guest, &firm, &day(10), &day(13)).await;
    let firm_id = firm_stay["id"].as_str().unwrap();
    pay(&app, &guest, firm_id).await;
    // Firm, 10 days ahead: half.
    let firm_cancel = act(&app, &guest, firm_id, "cancel").await;
    assert_eq!(firm_cancel.body["refund"], money(15_002 + 2_500));

    let hosted = booked(&app, &guest, &moderate, &day(3), &day(4)).await;
    let hosted_id = hosted["id"].as_str().unwrap();
    pay(&app, &guest, hosted_id).await;
    let by_host = act(&app, &host, hosted_id, "cancel").await;
    assert_eq!(by_host.body["refund"], hosted["price"]["total"]);

    // Nothing paid yet: nothing to refund.
    let unpaid = booked(&app, &guest, &moderate, &day(20), &day(21)).await;
    let unpaid_cancel = act(&app, &guest, unpaid["id"].as_str().unwrap(), "cancel").await;
    assert_eq!(unpaid_cancel.body["status"], "cancelled");
    assert_eq!(unpaid_cancel.body["refund"], Value::Null);

    // Every booking is over: the property may be deleted now.
    let delete = app
        .request(
            reqwest::Method::DELETE,
            &format!("/properties/{moderate}"),
            Some(&host),
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT, "{:?}", delete.body);
}

async fn check_in_and_check_out_follow_the_clock_of_the_property(app: TestApp) {
    // UTC+14: the check-in day starts at 10:00 UTC the day before.
    let (host, property) = hosted_property(&app, "Pacific/Kiritimati", json!({})).await;
    let host_id = user_id(&app, &host).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let check_in = day(5);
    let check_out = plus(&check_in, 2);
    let booking = booked(&app, &guest, &property, &check_in, &check_out).await;
    let id = booking["id"].as_str().unwrap();
    pay(&app, &guest, id).await;

    let opens = format!("{}T10:00:00Z", plus(&check_in, -1));
    let just_before = format!("{}T09:59:50Z", plus(&check_in, -1));
    set_clock(&app, &just_before).await;
    let guest = reissue(&app, &guest_id);
    assert_eq!(act(&app, &guest, id, "check-in").await.status, StatusCode::CONFLICT);
    assert_eq!(act(&app, &guest, id, "check-out").await.status, StatusCode::CONFLICT);
    set_clock(&app, &opens).await;
    let (guest, host) = (reissue(&app, &guest_id), reissue(&app, &host_id));
    let checked_in = act(&app, &host, id, "check-in").await;
    assert_eq!(checked_in.status, StatusCode::OK, "{:?}", checked_in.body);
    assert_eq!(checked_in.body["status"], "checked_in");
    assert!(
        checked_in.body["checkedInAt"]
            .as_str()
            .unwrap()
            .starts_with(&plus(&check_in, -1))
    );
    assert_eq!(act(&app, &guest, id, "check-in").await.status, StatusCode::CONFLICT);
    assert_eq!(act(&app, &guest, id, "cancel").await.status, StatusCode::CONFLICT);
    let checked_out = act(&app, &guest, id, "check-out").await;
    assert_eq!(checked_out.status, StatusCode::OK);
    assert_eq!(checked_out.body["status"], "checked_out");
    assert!(checked_out.body["checkedOutAt"].is_string());
    let statuses: Vec<&str> = checked_out.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pending_payment", "confirmed", "checked_in", "checked_out"]);

    // Check-in closes at the check-out instant (check-out date, 11:00 local = 21:00 UTC the
    // day before).
    let second = booked(&app, &guest, &property, &plus(&check_in, 10), &plus(&check_in, 11)).await;
    let second_id = second["id"].as_str().unwrap();
    pay(&app, &guest, second_id).await;
    set_clock(&app, &format!("{}T21:00:00Z", plus(&check_in, 10))).await;
    let guest = reissue(&app, &guest_id);
    assert_eq!(
        act(&app, &guest, second_id, "check-in").await.status,
        StatusCode::CONFLICT
    );
    set_clock(&app, &format!("{}T20:59:00Z", plus(&check_in, 10))).await;
    let guest = reissue(&app, &guest_id);
    assert_eq!(act(&app, &guest, second_id, "check-in").await.status, StatusCode::OK);
}

async fn lists_by_guest_and_host_with_filters_and_cursors(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Rome", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let booking = booked(&app, &guest, &property, &day(10 + 3 * n), &day(11 + 3 * n)).await;
        ids.push(booking["id"].as_str().unwrap().to_owned());
    }
    pay(&app, &guest, &ids[1]).await;
    let ids_of = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mine = app.get("/bookings", Some(&guest)).await;
    assert_eq!(ids_of(&mine.body), ids, "ascending check-in");
    assert_eq!(mine.body["nextCursor"], Value::Null);
    let hosted = app.get("/bookings?as=host", Some(&host)).await;
    assert_eq!(ids_of(&hosted.body), ids);
    assert!(ids_of(&app.get("/bookings?as=host", Some(&guest)).await.body).is_empty());

    let confirmed = app.get("/bookings?status=confirmed", Some(&guest)).await;
    assert_eq!(ids_of(&confirmed.body), [ids[1].clone()]);
    // Arrivals from day 13 (included) to day 19 (excluded): the 2nd and 3rd stays.
    let arrivals = app
        .get(
            &format!("/bookings?as=host&from={}&to={}", day(13), day(19)),
            Some(&host),
        )
        .await;
    assert_eq!(ids_of(&arrivals.body), ids[1..3]);

    let mut seen = Vec::new();
    let mut path = "/bookings?limit=2".to_owned();
    loop {
        let page = app.get(&path, Some(&guest)).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(ids_of(&page.body));
        match page.body["nextCursor"].as_str() {
            Some(cursor) => path = format!("/bookings?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    let first = app.get("/bookings?limit=2", Some(&guest)).await;
    let cursor = first.body["nextCursor"].as_str().unwrap();
    let foreign = app
        .get(&format!("/bookings?as=host&limit=2&cursor={cursor}"), Some(&host))
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::BAD_REQUEST,
        "a cursor is bound to its query"
    );
    let mut tampered = cursor.to_owned();
    tampered.replace_range(5..6, if &cursor[5..6] == "A" { "B" } else { "A" });
    assert_eq!(
        app.get(&format!("/bookings?limit=2&cursor={tampered}"), Some(&guest))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    let bad = app.get("/bookings?as=owner&status=paid", Some(&guest)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), ["as", "status"]);
    assert_eq!(
        app.get("/bookings?from=tomorrow", Some(&guest)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.get("/bookings", None).await.status, StatusCode::UNAUTHORIZED);
}

async fn only_the_guest_and_host_see_a_booking(app: TestApp) {
    let (host, property) = hosted_property(&app, "Australia/Sydney", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let (_, stranger, _) = app.signed_in("guest").await;
    let booking = booked(&app, &guest, &property, &day(12), &day(14)).await;
    let id = booking["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/bookings/{id}"), Some(&guest)).await.body, booking);
    assert_eq!(app.get(&format!("/bookings/{id}"), Some(&host)).await.body, booking);
    for action in ["cancel", "accept", "check-in"] {
        assert_eq!(
            act(&app, &stranger, id, action).await.status,
            StatusCode::NOT_FOUND,
            "{action}"
        );
    }
    assert_eq!(
        app.get(&format!("/bookings/{id}"), Some(&stranger)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/bookings/not-an-id", Some(&guest)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/bookings/{id}"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// A move sent again with the `Idempotency-Key` it was made with (a client retrying a lost
/// answer) gets the booking as it is, and the move is not made twice; without that key, or
/// with another, or by someone else, it is still `409`.
async fn a_move_sent_again_with_its_key_answers_the_booking(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Zurich", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let booking = booked(&app, &guest, &property, &day(12), &day(14)).await;
    let id = booking["id"].as_str().unwrap();
    pay(&app, &guest, id).await;
    let cancel_because = |token: String, key: Option<&'static str>, reason: &'static str| {
        let app = &app;
        async move {
            let mut request = app
                .client
                .post(format!("http://{}/bookings/{id}/cancel", app.addr))
                .bearer_auth(token)
                .json(&json!({"reason": reason}));
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let cancel = |token: String, key: Option<&'static str>| cancel_because(token, key, "plans changed");
    let (status, first) = cancel(guest.clone(), Some("cancel-1")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["status"], "cancelled");
    let (status, again) = cancel(guest.clone(), Some("cancel-1")).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, first, "the booking as the first answer left it");
    let history = again["history"].as_array().unwrap();
    assert_eq!(history.iter().filter(|entry| entry["status"] == "cancelled").count(), 1);
    assert!(again.get("lastRequest").is_none(), "the request digest is never shown");
    for (token, key) in [
        (guest.clone(), None),
        (guest.clone(), Some("cancel-2")),
        (host.clone(), Some("cancel-1")),
    ] {
        let (status, body) = cancel(token, key).await;
        assert_eq!(status, StatusCode::CONFLICT, "{key:?}: {body}");
    }
    // The same key with another body is the key's misuse, as on every keyed route.
    let (status, body) = cancel_because(guest.clone(), Some("cancel-1"), "another reason").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "Idempotency-Key");
}
