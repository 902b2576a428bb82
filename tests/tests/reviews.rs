//! Reviews over HTTP on both stores: the window, one review per side, hidden until both sides
//! speak or the window closes, exact property ratings, and concurrent publications.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::reviews::model::SubRatings;
use shared::store::keys;
use tests::app::TestApp;
use tests::bookings::{act, advance, booked, day, hosted_property, pay, reissue, set_clock, user_id};
use tests::reviews::hidden_guest_review;

tests::on_both_stores!(
    reviews_open_at_check_out_and_each_side_reviews_once,
    both_reviews_publish_together_and_hidden_ones_never_show,
    the_window_closing_publishes_a_lone_review,
    the_rating_is_the_exact_average_after_3_4_and_5_reviews,
    concurrent_publications_keep_the_rating_exact,
);

/// Users of a stay.
struct Stay {
    host_id: String,
    guest_id: String,
    property: String,
}

async fn stay(app: &TestApp) -> Stay {
    let (host, property) = hosted_property(app, "Europe/Oslo", json!({})).await;
    let host_id = user_id(app, &host).await;
    let (guest_id, _, _) = app.signed_in("guest").await;
    Stay {
        host_id,
        guest_id,
        property,
    }
}

/// A paid booking of `check_in_days`..+`nights` for the stay's guest: its id.
async fn paid_booking(app: &TestApp, stay: &Stay, check_in_days: i64, nights: i64) -> String {
    let guest = reissue(app, &stay.guest_id);
    let booking = booked(
        app,
        &guest,
        &stay.property,
        &day(check_in_days),
        &day(check_in_days + nights),
    )
    .await;
    let id = booking["id"].as_str().unwrap().to_owned();
    pay(app, &guest, &id).await;
    id
}

async fn review(app: &TestApp, token: &str, booking_id: &str, body: Value) -> tests::app::Answer {
    app.post(&format!("/bookings/{booking_id}/reviews"), Some(token), body)
        .await
}

fn guest_review(rating: u8) -> Value {
    json!({"rating": rating, "cleanliness": rating, "location": 5, "comment": "Lovely place, would come back."})
}

fn host_review() -> Value {
    json!({"rating": 5, "comment": "A considerate guest."})
}

async fn reviews_open_at_check_out_and_each_side_reviews_once(app: TestApp) {
    let stay = stay(&app).await;
    let id = paid_booking(&app, &stay, 5, 2).await;
    set_clock(&app, &format!("{}T12:00:00Z", day(5))).await;
    let (guest, host) = (reissue(&app, &stay.guest_id), reissue(&app, &stay.host_id));
    assert_eq!(act(&app, &guest, &id, "check-in").await.status, StatusCode::OK);
    let early = review(&app, &guest, &id, guest_review(5)).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "before check-out: {:?}", early.body);

    let bad = review(&app, &guest, &id, json!({"rating": 6, "cleanliness": 0})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), ["rating", "cleanliness", "comment"]);
    let host_categories = review(&app, &host, &id, json!({"rating": 4, "value": 3, "comment": "ok"})).await;
    assert_eq!(host_categories.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(host_categories.fields(), ["value"]);
    let (_, stranger, _) = app.signed_in("guest").await;
    assert_eq!(
        review(&app, &stranger, &id, host_review()).await.status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(act(&app, &guest, &id, "check-out").await.status, StatusCode::OK);
    let written = review(&app, &guest, &id, guest_review(4)).await;
    assert_eq!(written.status, StatusCode::CREATED, "{:?}", written.body);
    assert_eq!(written.body["published"], false);
    assert_eq!(written.body["publishedAt"], Value::Null);
    assert_eq!(written.body["subjectId"], json!(stay.property));
    assert_eq!(written.body["authorName"], "Ada");
    assert_eq!(written.body["cleanliness"], 4);
    assert_eq!(written.body["response"], Value::Null);
    let again = review(&app, &guest, &id, guest_review(5)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "one review per side");

    // A cancelled booking has no stay to review; a closed window takes no review.
    let other = paid_booking(&app, &stay, 30, 1).await;
    assert_eq!(act(&app, &guest, &other, "cancel").await.status, StatusCode::OK);
    assert_eq!(
        review(&app, &guest, &other, guest_review(5)).await.status,
        StatusCode::CONFLICT
    );
    advance(&app, 15 * 24 * 3600).await;
    let host = reissue(&app, &stay.host_id);
    assert_eq!(
        review(&app, &host, &id, host_review()).await.status,
        StatusCode::CONFLICT
    );
}

async fn list(app: &TestApp, path: &str) -> Vec<Value> {
    let answer = app.get(path, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body["items"].as_array().unwrap().clone()
}

async fn both_reviews_publish_together_and_hidden_ones_never_show(app: TestApp) {
    let stay = stay(&app).await;
    let id = paid_booking(&app, &stay, 5, 2).await;
    // A confirmed stay nobody checked out: the window opens at the scheduled check-out.
    set_clock(&app, &format!("{}T12:00:00Z", day(7))).await;
    let (guest, host) = (reissue(&app, &stay.guest_id), reissue(&app, &stay.host_id));
    let guests = review(&app, &guest, &id, guest_review(4)).await;
    assert_eq!(guests.status, StatusCode::CREATED, "{:?}", guests.body);
    let review_id = guests.body["id"].as_str().unwrap().to_owned();
    let property_reviews = format!("/properties/{}/reviews", stay.property);
    let user_reviews = format!("/users/{}/reviews", stay.guest_id);
    assert!(list(&app, &property_reviews).await.is_empty(), "hidden");
    let responded = app
        .post(
            &format!("/reviews/{review_id}/response"),
            Some(&host),
            json!({"comment": "Thanks!"}),
        )
        .await;
    assert_eq!(
        responded.status,
        StatusCode::NOT_FOUND,
        "a hidden review does not exist for others"
    );
    let (other_guest_id, _, _) = app.signed_in("guest").await;
    let other = reissue(&app, &other_guest_id);
    for path in [format!("/bookings/{id}"), format!("/bookings/{id}/payments")] {
        assert_eq!(app.get(&path, Some(&other)).await.status, StatusCode::NOT_FOUND);
    }

    let hosts = review(&app, &host, &id, host_review()).await;
    assert_eq!(hosts.status, StatusCode::CREATED);
    assert_eq!(hosts.body["published"], true, "the second review publishes both");
    assert_eq!(hosts.body["subjectId"], json!(stay.guest_id));
    let on_property = list(&app, &property_reviews).await;
    assert_eq!(on_property.len(), 1);
    assert_eq!(on_property[0]["id"], json!(review_id));
    assert_eq!(on_property[0]["published"], true);
    assert_eq!(on_property[0]["authorName"], "Ada");
    let on_user = list(&app, &user_reviews).await;
    assert_eq!(on_user.len(), 1);
    assert_eq!(on_user[0]["id"], hosts.body["id"]);

    let answer = app
        .post(
            &format!("/reviews/{review_id}/response"),
            Some(&guest),
            json!({"comment": "Me?"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let empty = app
        .post(
            &format!("/reviews/{review_id}/response"),
            Some(&host),
            json!({"comment": " "}),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let answer = app
        .post(
            &format!("/reviews/{review_id}/response"),
            Some(&host),
            json!({"comment": "Thank you!"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["response"]["comment"], "Thank you!");
    let twice = app
        .post(
            &format!("/reviews/{review_id}/response"),
            Some(&host),
            json!({"comment": "Again"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(
        list(&app, &property_reviews).await[0]["response"]["comment"],
        "Thank you!"
    );
    assert_eq!(
        app.get(&format!("/properties/{}/reviews", ulid::Ulid::new()), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn the_window_closing_publishes_a_lone_review(app: TestApp) {
    let stay = stay(&app).await;
    let id = paid_booking(&app, &stay, 5, 2).await;
    set_clock(&app, &format!("{}T12:00:00Z", day(8))).await;
    let guest = reissue(&app, &stay.guest_id);
    assert_eq!(
        review(&app, &guest, &id, guest_review(3)).await.status,
        StatusCode::CREATED
    );
    let path = format!("/properties/{}/reviews", stay.property);
    advance(&app, 12 * 24 * 3600).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(list(&app, &path).await.is_empty(), "the window is still open");
    advance(&app, 2 * 24 * 3600).await;
    // The sweep walks one hourly bucket per query from where it stopped: after a jump of two
    // weeks that is 336 queries, about 4 s on moto.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let published = list(&app, &path).await;
        if !published.is_empty() {
            assert_eq!(published[0]["rating"], 3);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lone review was never published"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let property = app.get(&format!("/properties/{}", stay.property), None).await;
    assert_eq!(property.body["rating"], Value::Null, "fewer than 3 reviews");
}

async fn the_rating_is_the_exact_average_after_3_4_and_5_reviews(app: TestApp) {
    let stay = stay(&app).await;
    // Five stays within 10 days, so every window is open at once on day 20.
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(paid_booking(&app, &stay, 8 + 2 * n, 1).await);
    }
    set_clock(&app, &format!("{}T12:00:00Z", day(20))).await;
    let (guest, host) = (reissue(&app, &stay.guest_id), reissue(&app, &stay.host_id));
    let ratings = [5u8, 4, 4, 2, 3];
    let mut expected: Vec<Value> = vec![Value::Null, Value::Null];
    let mut sum = 0u32;
    for (n, rating) in ratings.iter().enumerate() {
        sum += u32::from(*rating);
        if n >= 2 {
            let count = n as u32 + 1;
            let average = (f64::from(sum) / f64::from(count) * 100.0).round() / 100.0;
            let cleanliness = average;
            expected.push(json!({
                "average": average,
                "count": count,
                "categories": {"cleanliness": cleanliness, "accuracy": null, "checkIn": null, "communication": null, "location": 5.0, "value": null},
            }));
        }
    }
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(
            review(&app, &guest, id, guest_review(ratings[n])).await.status,
            StatusCode::CREATED
        );
        assert_eq!(review(&app, &host, id, host_review()).await.status, StatusCode::CREATED);
        let property = app.get(&format!("/properties/{}", stay.property), None).await;
        assert_eq!(property.body["rating"], expected[n], "after {} reviews", n + 1);
    }
    // 5+4+4+2+3 = 18 / 5 = 3.6; after 3: 13/3 = 4.33; after 4: 15/4 = 3.75.
    assert_eq!(expected[2]["average"], 4.33);
    assert_eq!(expected[3]["average"], 3.75);
    assert_eq!(expected[4]["average"], 3.6);
    let listed = list(&app, &format!("/properties/{}/reviews?limit=2", stay.property)).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["rating"], 3, "newest first");
}

async fn concurrent_publications_keep_the_rating_exact(app: TestApp) {
    // Twenty stays' guest reviews waiting on one property, published all at once (as twenty
    // window ends or second reviews would): every count and sum must land.
    let stay = stay(&app).await;
    let mut bookings = Vec::new();
    let mut expected_sum = 0i64;
    for n in 0..20u8 {
        let rating = n % 5 + 1;
        expected_sum += i64::from(rating);
        let sub_ratings = SubRatings {
            value: Some(rating),
            ..SubRatings::default()
        };
        let review = hidden_guest_review(&app, &stay.property, &stay.guest_id, rating, sub_ratings).await;
        bookings.push(review.booking_id);
    }
    let app_ref = app.app;
    let runs = bookings.iter().map(|booking_id| {
        let booking_id = booking_id.clone();
        tokio::spawn(async move { shared::reviews::publish::publish_booking(app_ref, &booking_id).await })
    });
    for run in futures::future::join_all(runs).await {
        assert_eq!(run.unwrap().unwrap(), 1);
    }
    let property = app
        .app
        .store
        .get(&keys::property(&stay.property))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(property.attrs["ratingCount"], 20);
    assert_eq!(property.attrs["ratingSum"], expected_sum);
    assert_eq!(property.attrs["valueSum"], expected_sum);
    assert_eq!(property.attrs["valueCount"], 20);
    let shown = app.get(&format!("/properties/{}", stay.property), None).await;
    assert_eq!(shown.body["rating"]["count"], 20);
    assert_eq!(shown.body["rating"]["average"], 3.0);
    assert_eq!(
        list(&app, &format!("/properties/{}/reviews?limit=100", stay.property))
            .await
            .len(),
        20
    );
}
