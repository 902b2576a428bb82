//! Search, calendars and host blocks, end to end: real HTTP requests to the local API's
//! router, on the SQLite store and on DynamoDB (moto), with the same assertions.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::clock::Clock;
use shared::properties::availability;
use shared::properties::search::MAX_CANDIDATES_PER_REQUEST;
use shared::store::keys::{self, kind};
use shared::store::{Condition, Item, TxAction, Update};
use tests::app::{Answer, TestApp};
use tests::search::{all_pages, ids};

tests::on_both_stores!(
    search_matches_the_folded_city_and_drops_deleted_properties,
    search_price_bounds_are_inclusive_and_currency_filters,
    search_orders_by_price_then_id,
    search_keeps_properties_with_room_for_the_guests,
    search_with_dates_keeps_free_stays_within_min_and_max_nights,
    search_pages_through_cursors_collect_every_match_once,
    search_refuses_bad_queries_and_foreign_or_tampered_cursors,
    calendar_defaults_to_30_nights_from_today_in_the_property_zone,
    calendar_enforces_its_range_limits,
    blocks_close_and_reopen_nights,
    blocks_are_for_the_host_only,
    blocks_refuse_held_or_booked_nights_naming_the_date,
    blocks_validate_the_range,
);

/// A listing in `city` at `amount` minor units of `currency`, with `extra` fields merged in.
fn listing(city: &str, amount: i64, currency: &str, extra: Value) -> Value {
    let mut body = json!({
        "title": format!("Flat in {city}"),
        "address": {"line1": "Bahnhofstrasse 1", "city": city, "country": "CH"},
        "timeZone": "Europe/Zurich",
        "maxGuests": 2,
        "nightlyPrice": {"amount": amount, "currency": currency},
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

/// Lists a property as `token`'s host; returns its id.
async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let answer = app.post("/properties", Some(token), body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body["id"].as_str().unwrap().to_owned()
}

/// A signed-in host's access token.
async fn host(app: &TestApp) -> String {
    app.signed_in("host").await.1
}

/// Percent-encodes a query value (cursors are URL-safe already; cities may not be).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn put_blocks(app: &TestApp, token: Option<&str>, id: &str, body: Value) -> Answer {
    app.request(
        Method::PUT,
        &format!("/properties/{id}/calendar/blocks"),
        token,
        Some(body),
    )
    .await
}

/// The dates of a calendar answer that are not available.
fn unavailable(answer: &Answer) -> Vec<String> {
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body["nights"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|night| night["available"] == false)
        .map(|night| night["date"].as_str().unwrap().to_owned())
        .collect()
}

/// Writes a night item as a booking would (`held` with a ttl, or `booked`), with the
/// property's own view of it in the same transaction.
async fn take_night(app: &TestApp, id: &str, date: &str, state: &str, ttl: Option<i64>) {
    let mut item = Item::new(
        keys::night(id, date),
        kind::NIGHT,
        &json!({"state": state, "bookingId": "01JBOOKINGSAMPLE0000000000"}),
    )
    .unwrap();
    let night: chrono::NaiveDate = date.parse().unwrap();
    let view = match ttl {
        Some(until) => {
            item = item.with_ttl(until);
            Update::new().add_to_set(availability::HELD_NIGHTS, [availability::held_entry(night, until)])
        }
        None => availability::take(Update::new(), [night]),
    };
    app.app
        .store
        .transact(vec![
            TxAction::Put {
                item,
                condition: Condition::Absent,
            },
            TxAction::Update {
                key: keys::property(id),
                update: view,
                condition: Condition::Exists,
            },
        ])
        .await
        .unwrap();
}

async fn search_matches_the_folded_city_and_drops_deleted_properties(app: TestApp) {
    let token = host(&app).await;
    let zurich = create(&app, &token, listing("Zürich", 15000, "CHF", json!({}))).await;
    let gone = create(&app, &token, listing("ZÜRICH", 16000, "CHF", json!({}))).await;
    create(&app, &token, listing("Basel", 15000, "CHF", json!({}))).await;
    let deleted = app
        .request(Method::DELETE, &format!("/properties/{gone}"), Some(&token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    for city in ["zurich", "Zürich", "ZURICH", "  zürich "] {
        let answer = app
            .get(&format!("/properties?city={}&country=ch", encode(city)), None)
            .await;
        assert_eq!(ids(&answer), vec![zurich.clone()], "{city}");
        assert_eq!(answer.body["nextCursor"], Value::Null);
        let item = &answer.body["items"][0];
        assert_eq!(item["address"]["city"], "Zürich");
        assert_eq!(item["nightlyPrice"], json!({"amount": 15000, "currency": "CHF"}));
        assert!(item["hostId"].is_string() && item.get("openBookings").is_none());
    }
    let elsewhere = app.get("/properties?city=zurich&country=AT", None).await;
    assert!(ids(&elsewhere).is_empty());
}

async fn search_price_bounds_are_inclusive_and_currency_filters(app: TestApp) {
    let token = host(&app).await;
    let low = create(&app, &token, listing("Bern", 1000, "CHF", json!({}))).await;
    let mid = create(&app, &token, listing("Bern", 2000, "CHF", json!({}))).await;
    let high = create(&app, &token, listing("Bern", 3000, "CHF", json!({}))).await;
    let euro = create(&app, &token, listing("Bern", 2000, "EUR", json!({}))).await;
    let mut at_2000 = vec![mid.clone(), euro.clone()];
    at_2000.sort();

    let both = ids(&app
        .get("/properties?city=bern&country=CH&minPrice=2000&maxPrice=3000", None)
        .await);
    assert_eq!(both, [at_2000.clone(), vec![high.clone()]].concat());
    let up_to = ids(&app.get("/properties?city=bern&country=CH&maxPrice=2000", None).await);
    assert_eq!(up_to, [vec![low.clone()], at_2000.clone()].concat());
    let from = ids(&app.get("/properties?city=bern&country=CH&minPrice=3000", None).await);
    assert_eq!(from, vec![high.clone()]);
    let exact = ids(&app
        .get("/properties?city=bern&country=CH&minPrice=1000&maxPrice=1000", None)
        .await);
    assert_eq!(exact, vec![low.clone()]);
    assert!(ids(&app.get("/properties?city=bern&country=CH&minPrice=3001", None).await).is_empty());

    let eur = ids(&app.get("/properties?city=bern&country=CH&currency=EUR", None).await);
    assert_eq!(eur, vec![euro.clone()]);
    let chf = ids(&app
        .get("/properties?city=bern&country=CH&currency=CHF&minPrice=2000", None)
        .await);
    assert_eq!(chf, [mid, high]);
}

async fn search_orders_by_price_then_id(app: TestApp) {
    let token = host(&app).await;
    let mut expected = Vec::new();
    for amount in [3000, 1000, 2000, 1000, 2500, 1000] {
        let id = create(&app, &token, listing("Luzern", amount, "CHF", json!({}))).await;
        expected.push((amount, id));
    }
    expected.sort();
    let answer = app.get("/properties?city=luzern&country=CH", None).await;
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids(&answer), expected);
}

async fn search_keeps_properties_with_room_for_the_guests(app: TestApp) {
    let token = host(&app).await;
    let small = create(&app, &token, listing("Chur", 1000, "CHF", json!({"maxGuests": 2}))).await;
    let large = create(&app, &token, listing("Chur", 2000, "CHF", json!({"maxGuests": 6}))).await;
    assert_eq!(
        ids(&app.get("/properties?city=chur&country=CH&guests=2", None).await),
        [small, large.clone()]
    );
    assert_eq!(
        ids(&app.get("/properties?city=chur&country=CH&guests=3", None).await),
        vec![large.clone()]
    );
    assert_eq!(
        ids(&app.get("/properties?city=chur&country=CH&guests=6", None).await),
        [large]
    );
    assert!(ids(&app.get("/properties?city=chur&country=CH&guests=7", None).await).is_empty());
}

async fn search_with_dates_keeps_free_stays_within_min_and_max_nights(app: TestApp) {
    let token = host(&app).await;
    let city = |amount| listing("Sion", amount, "CHF", json!({}));
    let free = create(&app, &token, city(1000)).await;
    let blocked_inside = create(&app, &token, city(1100)).await;
    let blocked_on_check_out = create(&app, &token, city(1200)).await;
    let blocked_before = create(&app, &token, city(1300)).await;
    let too_short = create(
        &app,
        &token,
        listing("Sion", 1400, "CHF", json!({"minNights": 4, "maxNights": 10})),
    )
    .await;
    let too_long = create(
        &app,
        &token,
        listing("Sion", 1500, "CHF", json!({"minNights": 1, "maxNights": 2})),
    )
    .await;
    let expired_hold = create(&app, &token, city(1600)).await;
    let live_hold = create(&app, &token, city(1700)).await;
    let booked = create(&app, &token, city(1800)).await;

    for (id, from, to) in [
        (&blocked_inside, "2030-03-11", "2030-03-12"),
        (&blocked_on_check_out, "2030-03-13", "2030-03-14"),
        (&blocked_before, "2030-03-09", "2030-03-10"),
    ] {
        let answer = put_blocks(&app, Some(&token), id, json!({"from": from, "to": to, "blocked": true})).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    }
    let now = app.clock.now().timestamp();
    take_night(&app, &expired_hold, "2030-03-12", "held", Some(now - 60)).await;
    take_night(&app, &live_hold, "2030-03-10", "held", Some(now + 900)).await;
    take_night(&app, &booked, "2030-03-12", "booked", None).await;

    // Three nights: the 10th, 11th and 12th; the 13th is check-out day.
    let answer = app
        .get(
            "/properties?city=sion&country=CH&checkIn=2030-03-10&checkOut=2030-03-13",
            None,
        )
        .await;
    assert_eq!(
        ids(&answer),
        [free.clone(), blocked_on_check_out, blocked_before, expired_hold]
    );
    assert!(!ids(&answer).contains(&too_short) && !ids(&answer).contains(&too_long));

    // Four nights suit minNights 4 (the 13th is blocked for another one).
    let answer = app
        .get(
            "/properties?city=sion&country=CH&checkIn=2030-03-20&checkOut=2030-03-24&maxPrice=1400",
            None,
        )
        .await;
    assert!(ids(&answer).contains(&too_short));
    let answer = app
        .get(
            "/properties?city=sion&country=CH&checkIn=2030-03-20&checkOut=2030-03-22",
            None,
        )
        .await;
    assert!(ids(&answer).contains(&too_long) && !ids(&answer).contains(&too_short));
    assert!(ids(&answer).contains(&free) && ids(&answer).contains(&live_hold));
}

async fn search_pages_through_cursors_collect_every_match_once(app: TestApp) {
    let token = host(&app).await;
    let count = MAX_CANDIDATES_PER_REQUEST as usize + 5;
    let mut all = Vec::new();
    let mut roomy = Vec::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(10) {
        let created = futures::future::join_all(chunk.iter().map(|n| {
            let guests = if n % 7 == 0 { 5 } else { 2 };
            let body = listing(
                "Thun",
                1000 + (*n as i64 % 9) * 100,
                "CHF",
                json!({"maxGuests": guests}),
            );
            let token = token.clone();
            let app = &app;
            async move { (guests, create(app, &token, body).await) }
        }))
        .await;
        for (guests, id) in created {
            if guests == 5 {
                roomy.push(id.clone());
            }
            all.push(id);
        }
    }

    // One in seven matches: the first page stops at the per-request bound of candidates,
    // short of its limit, and says more may follow.
    let first = app.get("/properties?city=thun&guests=5&limit=100", None).await;
    assert!(ids(&first).len() < 100, "{:?}", ids(&first).len());
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    let second = app
        .get(
            &format!("/properties?city=thun&guests=5&limit=100&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(ids(&first).len() + ids(&second).len(), roomy.len());
    assert_eq!(second.body["nextCursor"], Value::Null);

    for (query, expected) in [
        ("city=thun&country=CH&limit=100", &all),
        ("city=thun&country=CH&limit=7", &all),
        ("city=thun&country=CH&guests=5&limit=100", &roomy),
        ("city=thun&country=CH&guests=5&limit=3", &roomy),
    ] {
        let (seen, prices) = all_pages(&app, query).await;
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{query} repeated a property");
        assert_eq!(unique, expected.iter().collect::<BTreeSet<_>>(), "{query}");
        let mut sorted = prices.clone();
        sorted.sort();
        assert_eq!(prices, sorted, "{query} is not in price, id order");
    }
}

async fn search_refuses_bad_queries_and_foreign_or_tampered_cursors(app: TestApp) {
    let token = host(&app).await;
    for amount in [1000, 2000, 3000] {
        create(&app, &token, listing("Aarau", amount, "CHF", json!({}))).await;
    }
    let first = app.get("/properties?city=aarau&country=CH&limit=1", None).await;
    assert_eq!(ids(&first).len(), 1);
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    let next = app
        .get(
            &format!("/properties?city=aarau&country=CH&limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(ids(&next).len(), 1);
    assert_ne!(ids(&next), ids(&first));

    let mut tampered = cursor.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let answer = app
        .get(
            &format!("/properties?city=aarau&country=CH&limit=1&cursor={tampered}"),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "bad_request");
    for other in [
        "city=aarau&country=CH&limit=1&minPrice=1",
        "city=bern&country=CH&limit=1",
        "city=aarau&country=CH&limit=1&currency=CHF",
    ] {
        let answer = app.get(&format!("/properties?{other}&cursor={cursor}"), None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{other}");
    }
    // The limit is not part of the query a cursor is bound to.
    let answer = app
        .get(
            &format!("/properties?city=Aarau&country=ch&limit=5&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(ids(&answer).len(), 2);

    let answer = app.get("/properties", None).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.fields(), ["city", "near", "bbox"]);
    let answer = app.get("/properties?country=CH", None).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.fields(), ["city", "near", "bbox", "country"]);
    let answer = app
        .get(
            "/properties?city=aarau&country=XX&currency=ABC&guests=0&minPrice=500&maxPrice=100&checkIn=2030-01-05",
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = answer.fields();
    fields.sort();
    assert_eq!(fields, ["checkOut", "country", "currency", "guests", "maxPrice"]);
    let answer = app
        .get(
            "/properties?city=aarau&country=CH&checkIn=2030-01-05&checkOut=2030-01-05",
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.fields(), ["checkOut"]);

    let answer = app
        .get(
            "/properties?city=aarau&country=CH&guests=two&minPrice=1.5&checkIn=2030-1-5",
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let mut fields = answer.fields();
    fields.sort();
    assert_eq!(fields, ["checkIn", "guests", "minPrice"]);
    let answer = app.get("/properties?city=aarau&country=CH&limit=0", None).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn calendar_defaults_to_30_nights_from_today_in_the_property_zone(app: TestApp) {
    // Noon UTC is already tomorrow at UTC+14 and still today at UTC-11.
    let noon: DateTime<Utc> = "2030-01-01T12:00:00Z".parse().unwrap();
    app.clock.set(noon);
    let token = host(&app).await;
    let ahead = create(
        &app,
        &token,
        listing("Kiritimati", 9000, "USD", json!({"timeZone": "Pacific/Kiritimati"})),
    )
    .await;
    let behind = create(
        &app,
        &token,
        listing("Pago Pago", 9000, "USD", json!({"timeZone": "Pacific/Pago_Pago"})),
    )
    .await;

    for (id, first, last) in [
        (&ahead, "2030-01-02", "2030-01-31"),
        (&behind, "2030-01-01", "2030-01-30"),
    ] {
        let answer = app.get(&format!("/properties/{id}/calendar"), None).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        let nights = answer.body["nights"].as_array().unwrap();
        assert_eq!(nights.len(), 30);
        assert_eq!(nights[0]["date"], first);
        assert_eq!(nights[29]["date"], last);
        assert!(nights.iter().all(|night| night["available"] == true));
        assert_eq!(nights[0]["price"], json!({"amount": 9000, "currency": "USD"}));
    }
    // Only `from`: 30 nights from it; only `to`: from today up to it.
    let answer = app
        .get(&format!("/properties/{ahead}/calendar?from=2030-02-01"), None)
        .await;
    assert_eq!(answer.body["nights"].as_array().unwrap().len(), 30);
    let answer = app
        .get(&format!("/properties/{ahead}/calendar?to=2030-01-05"), None)
        .await;
    let dates: Vec<&str> = answer.body["nights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|night| night["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2030-01-02", "2030-01-03", "2030-01-04"]);
}

async fn calendar_enforces_its_range_limits(app: TestApp) {
    let token = host(&app).await;
    let id = create(&app, &token, listing("Genf", 12000, "CHF", json!({}))).await;
    let path = |query: &str| format!("/properties/{id}/calendar?{query}");

    let answer = app.get(&path("from=2030-01-01&to=2031-01-02"), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["nights"].as_array().unwrap().len(), 366);
    let answer = app.get(&path("from=2030-01-01&to=2031-01-03"), None).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.fields(), ["to"]);
    for inverted in ["from=2030-01-05&to=2030-01-05", "from=2030-01-05&to=2030-01-04"] {
        let answer = app.get(&path(inverted), None).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{inverted}");
    }
    let answer = app.get(&path("from=2030-13-01&to=tomorrow"), None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    let unknown = app
        .get(
            "/properties/01JCXW4Y6Z5V1SAMPLEPR0PRTY/calendar?from=2030-01-01&to=2030-01-02",
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let deleted = app
        .request(Method::DELETE, &format!("/properties/{id}"), Some(&token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let answer = app.get(&path("from=2030-01-01&to=2030-01-02"), None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-01-01", "to": "2030-01-02", "blocked": true}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

async fn blocks_close_and_reopen_nights(app: TestApp) {
    let token = host(&app).await;
    let id = create(&app, &token, listing("Lugano", 14000, "CHF", json!({}))).await;
    let calendar = format!("/properties/{id}/calendar?from=2030-05-01&to=2030-05-08");

    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-05-02", "to": "2030-05-05", "blocked": true}),
    )
    .await;
    assert_eq!(unavailable(&answer).len(), 3);
    assert_eq!(answer.body["nights"].as_array().unwrap().len(), 3);
    assert_eq!(
        answer.body["nights"][0]["price"],
        json!({"amount": 14000, "currency": "CHF"})
    );
    let shown = app.get(&calendar, None).await;
    assert_eq!(unavailable(&shown), ["2030-05-02", "2030-05-03", "2030-05-04"]);

    // Overlapping an existing block is fine: the blocked nights are left as they are.
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-05-04", "to": "2030-05-07", "blocked": true}),
    )
    .await;
    assert_eq!(unavailable(&answer), ["2030-05-04", "2030-05-05", "2030-05-06"]);
    let shown = app.get(&calendar, None).await;
    assert_eq!(unavailable(&shown).len(), 5);

    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-05-03", "to": "2030-05-06", "blocked": false}),
    )
    .await;
    assert!(unavailable(&answer).is_empty());
    let shown = app.get(&calendar, None).await;
    assert_eq!(unavailable(&shown), ["2030-05-02", "2030-05-06"]);
    // Opening nights that are already open changes nothing.
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-05-03", "to": "2030-05-06", "blocked": false}),
    )
    .await;
    assert!(unavailable(&answer).is_empty());

    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-06-01", "to": "2030-08-30", "blocked": true}),
    )
    .await;
    assert_eq!(unavailable(&answer).len(), 90);
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-06-01", "to": "2030-08-30", "blocked": false}),
    )
    .await;
    assert!(unavailable(&answer).is_empty());
}

async fn blocks_are_for_the_host_only(app: TestApp) {
    let token = host(&app).await;
    let other = host(&app).await;
    let guest = app.signed_in("guest").await.1;
    let id = create(&app, &token, listing("Basel", 11000, "CHF", json!({}))).await;
    let body = json!({"from": "2030-05-02", "to": "2030-05-05", "blocked": true});

    assert_eq!(
        put_blocks(&app, Some(&other), &id, body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put_blocks(&app, Some(&guest), &id, body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put_blocks(&app, None, &id, body.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        put_blocks(&app, Some("forged"), &id, body.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );
    let unknown = put_blocks(&app, Some(&token), "01JCXW4Y6Z5V1SAMPLEPR0PRTY", body.clone()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let shown = app
        .get(
            &format!("/properties/{id}/calendar?from=2030-05-01&to=2030-05-08"),
            None,
        )
        .await;
    assert!(unavailable(&shown).is_empty());
}

async fn blocks_refuse_held_or_booked_nights_naming_the_date(app: TestApp) {
    let token = host(&app).await;
    let id = create(&app, &token, listing("Davos", 20000, "CHF", json!({}))).await;
    let now = app.clock.now().timestamp();
    take_night(&app, &id, "2030-02-03", "held", Some(now + 900)).await;
    take_night(&app, &id, "2030-02-10", "booked", None).await;
    take_night(&app, &id, "2030-02-20", "held", Some(now - 1)).await;

    for (from, to, blocked, night) in [
        ("2030-02-01", "2030-02-05", true, "2030-02-03"),
        ("2030-02-01", "2030-02-05", false, "2030-02-03"),
        ("2030-02-08", "2030-02-12", true, "2030-02-10"),
        ("2030-02-10", "2030-02-11", false, "2030-02-10"),
    ] {
        let answer = put_blocks(
            &app,
            Some(&token),
            &id,
            json!({"from": from, "to": to, "blocked": blocked}),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{from}..{to}");
        assert_eq!(answer.code(), "conflict");
        assert_eq!(answer.fields(), [night], "{:?}", answer.body);
    }
    // All or nothing: the free nights around the taken one stayed open.
    let shown = app
        .get(
            &format!("/properties/{id}/calendar?from=2030-02-01&to=2030-02-13"),
            None,
        )
        .await;
    assert_eq!(unavailable(&shown), ["2030-02-03", "2030-02-10"]);
    // Check-out day is not a night: the range may end on the taken night.
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-02-04", "to": "2030-02-10", "blocked": true}),
    )
    .await;
    assert_eq!(unavailable(&answer).len(), 6);
    // A hold that ran out is a free night.
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-02-20", "to": "2030-02-21", "blocked": true}),
    )
    .await;
    assert_eq!(unavailable(&answer), ["2030-02-20"]);
}

async fn blocks_validate_the_range(app: TestApp) {
    let token = host(&app).await;
    let id = create(&app, &token, listing("Zug", 13000, "CHF", json!({}))).await;

    let answer = put_blocks(&app, Some(&token), &id, json!({})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.fields(), ["from", "to", "blocked"]);
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-06-01", "to": "2030-08-31", "blocked": true}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.fields(), ["to"]);
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-06-05", "to": "2030-06-05", "blocked": true}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "5 June", "to": "2030-02-30", "blocked": true}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.fields(), ["from", "to"]);
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-06-01", "to": "2030-06-02", "blocked": "yes"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = put_blocks(
        &app,
        Some(&token),
        &id,
        json!({"from": "2030-06-01", "to": "2030-06-02", "blocked": true, "state": "booked"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}
