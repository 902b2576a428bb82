//! Search the way guests look: a city in any country, a circle or a map box, bedrooms and
//! amenities, and dates answered from the property's own view of its nights; end to end over
//! HTTP on the SQLite store and on DynamoDB (moto), with the same assertions.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::properties::backfill;
use shared::store::keys::{self, kind};
use shared::store::{Condition, IndexKey, Item};
use tests::app::TestApp;
use tests::bookings::{act, booked, day, pay, plus};
use tests::search::{all_pages, ids};

tests::on_both_stores!(
    a_city_alone_finds_it_in_every_country_in_price_order,
    near_finds_exactly_the_circle_with_distances,
    bbox_finds_exactly_the_box_across_the_antimeridian,
    map_pages_visit_every_match_once_in_price_order,
    bedrooms_and_amenities_filter_on_city_and_map,
    a_moved_unlocated_or_deleted_property_leaves_the_map,
    dated_search_agrees_with_the_calendar_through_bookings_and_blocks,
    every_bad_place_is_refused_naming_its_field,
    a_city_cursor_is_refused_by_a_map_search,
    the_backfill_moves_older_properties_to_the_city_index_once,
);

/// Zürich Hauptbahnhof.
const CENTER: (f64, f64) = (47.3779, 8.5403);

/// A listing in `city`/`country` at `amount` CHF, with `extra` fields merged in.
fn listing(city: &str, country: &str, amount: i64, extra: Value) -> Value {
    let mut body = json!({
        "title": format!("Flat in {city}"),
        "address": {"line1": "Main 1", "city": city, "country": country},
        "timeZone": "Europe/Zurich",
        "maxGuests": 4,
        "maxNights": 60,
        "nightlyPrice": {"amount": amount, "currency": "CHF"},
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

/// A listing at `(lat, lng)`.
fn at(lat: f64, lng: f64, amount: i64) -> Value {
    listing("Zürich", "CH", amount, json!({"location": {"lat": lat, "lng": lng}}))
}

async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let answer = app.post("/properties", Some(token), body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn a_city_alone_finds_it_in_every_country_in_price_order(app: TestApp) {
    let (_, token, _) = app.signed_in("host").await;
    let mut expected = Vec::new();
    for (country, amount) in [("FR", 3000), ("US", 1000), ("FR", 2000), ("US", 4000), ("FR", 1000)] {
        let id = create(&app, &token, listing("Paris", country, amount, json!({}))).await;
        expected.push((amount, id, country));
    }
    create(&app, &token, listing("Lyon", "FR", 1500, json!({}))).await;
    expected.sort();
    let every: Vec<String> = expected.iter().map(|(_, id, _)| id.clone()).collect();
    assert_eq!(ids(&app.get("/properties?city=paris", None).await), every);
    let us: Vec<String> = expected
        .iter()
        .filter(|(_, _, country)| *country == "US")
        .map(|(_, id, _)| id.clone())
        .collect();
    assert_eq!(ids(&app.get("/properties?city=PARIS&country=us", None).await), us);
    let (paged, prices) = all_pages(&app, "city=paris&limit=2").await;
    assert_eq!(paged, every);
    let mut sorted = prices.clone();
    sorted.sort();
    assert_eq!(prices, sorted);
    // A property without a location is still found by its city.
    let zurich = create(&app, &token, listing("Zürich", "CH", 1000, json!({}))).await;
    assert_eq!(
        ids(&app.get("/properties?city=zurich", None).await),
        vec![zurich.clone()]
    );
    let answer = app.get(&format!("/properties/{zurich}"), None).await;
    assert_eq!(answer.body["location"], Value::Null);
}

async fn near_finds_exactly_the_circle_with_distances(app: TestApp) {
    let (_, token, _) = app.signed_in("host").await;
    let (lat, lng) = CENTER;
    // Due north: a degree of latitude is 111.19 km.
    let inside = [
        (create(&app, &token, at(lat + 0.01, lng, 3000)).await, 1.1),
        (create(&app, &token, at(lat + 0.05, lng, 1000)).await, 5.6),
        (create(&app, &token, at(lat + 0.085, lng, 2000)).await, 9.5),
        (create(&app, &token, at(lat, lng, 2500)).await, 0.0),
    ];
    let outside = create(&app, &token, at(lat + 0.095, lng, 1500)).await;
    create(&app, &token, at(lat - 0.3, lng + 0.3, 1200)).await;
    let unlocated = create(&app, &token, listing("Zürich", "CH", 900, json!({}))).await;

    let answer = app.get(&format!("/properties?near={lat},{lng}"), None).await;
    let found = ids(&answer);
    let mut expected: Vec<(i64, String)> = Vec::new();
    for item in answer.body["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let (_, km) = inside.iter().find(|(i, _)| i == id).expect("only properties inside");
        assert_eq!(item["distanceKm"].as_f64().unwrap(), *km, "{id}");
        expected.push((item["nightlyPrice"]["amount"].as_i64().unwrap(), id.to_owned()));
    }
    assert_eq!(found.len(), inside.len(), "{found:?}");
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(expected, sorted, "price order");
    assert!(!found.contains(&outside) && !found.contains(&unlocated));

    // A wider circle takes the one at 10.6 km; a tiny one only the centre.
    let wide = ids(&app
        .get(&format!("/properties?near={lat},{lng}&radiusKm=10.7"), None)
        .await);
    assert!(wide.contains(&outside) && wide.len() == inside.len() + 1);
    let tiny = app
        .get(&format!("/properties?near={lat},{lng}&radiusKm=0.1"), None)
        .await;
    assert_eq!(ids(&tiny), vec![inside[3].0.clone()]);
    // A city search carries no distance.
    let by_city = app.get("/properties?city=zurich", None).await;
    assert!(by_city.body["items"][0].get("distanceKm").is_none());
}

async fn bbox_finds_exactly_the_box_across_the_antimeridian(app: TestApp) {
    let (_, token, _) = app.signed_in("host").await;
    let fiji_east = create(
        &app,
        &token,
        listing("Suva", "FJ", 2000, json!({"location": {"lat": -17.0, "lng": 179.6}})),
    )
    .await;
    let fiji_west = create(
        &app,
        &token,
        listing("Suva", "FJ", 1000, json!({"location": {"lat": -16.5, "lng": -179.8}})),
    )
    .await;
    let too_far_west = create(
        &app,
        &token,
        listing("Suva", "FJ", 1500, json!({"location": {"lat": -17.0, "lng": 178.5}})),
    )
    .await;
    let too_far_south = create(
        &app,
        &token,
        listing("Suva", "FJ", 1700, json!({"location": {"lat": -18.5, "lng": 179.9}})),
    )
    .await;

    let across = ids(&app.get("/properties?bbox=179,-18,-179,-16", None).await);
    assert_eq!(across, [fiji_west.clone(), fiji_east.clone()]);
    // The same area as one side of the antimeridian only.
    let east_only = ids(&app.get("/properties?bbox=179,-18,180,-16", None).await);
    assert_eq!(east_only, vec![fiji_east.clone()]);
    let wider = ids(&app.get("/properties?bbox=178,-19,-179,-16", None).await);
    assert_eq!(wider.len(), 4);
    assert!(wider.contains(&too_far_west) && wider.contains(&too_far_south));

    // On the equator and the prime meridian.
    let gulf = create(
        &app,
        &token,
        listing("Null Island", "GH", 800, json!({"location": {"lat": 0.0, "lng": 0.0}})),
    )
    .await;
    assert_eq!(
        ids(&app.get("/properties?bbox=-0.5,-0.5,0.5,0.5", None).await),
        vec![gulf.clone()]
    );
    assert_eq!(
        ids(&app.get("/properties?near=0.001,-0.001&radiusKm=1", None).await),
        [gulf]
    );
    // Near the pole, where every meridian meets.
    let pole = create(
        &app,
        &token,
        listing(
            "Longyearbyen",
            "SJ",
            900,
            json!({"location": {"lat": 89.95, "lng": 100.0}}),
        ),
    )
    .await;
    assert_eq!(
        ids(&app.get("/properties?near=89.99,-80&radiusKm=20", None).await),
        [pole]
    );
}

async fn map_pages_visit_every_match_once_in_price_order(app: TestApp) {
    let (_, token, _) = app.signed_in("host").await;
    let (lat, lng) = CENTER;
    // A 6 x 6 grid about 1.7 km apart over four geohash cells' worth of map, prices repeating.
    let mut inside = BTreeSet::new();
    let mut bodies = Vec::new();
    for row in 0..6 {
        for col in 0..6 {
            let point = (
                lat - 0.045 + f64::from(row) * 0.015,
                lng - 0.07 + f64::from(col) * 0.023,
            );
            bodies.push((point, 1000 + (row * 6 + col) % 5 * 100));
        }
    }
    for chunk in bodies.chunks(12) {
        let created = futures::future::join_all(chunk.iter().map(|&((plat, plng), amount)| {
            let token = token.clone();
            let app = &app;
            async move { (plat, plng, create(app, &token, at(plat, plng, i64::from(amount))).await) }
        }))
        .await;
        for (plat, plng, id) in created {
            if (lat - 0.03..=lat + 0.03).contains(&plat) && (lng - 0.05..=lng + 0.05).contains(&plng) {
                inside.insert(id);
            }
        }
    }
    let bbox = format!("{},{},{},{}", lng - 0.05, lat - 0.03, lng + 0.05, lat + 0.03);
    for limit in [1, 3, 100] {
        let (seen, prices) = all_pages(&app, &format!("bbox={bbox}&limit={limit}")).await;
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "limit {limit} repeated a property");
        assert_eq!(unique, inside, "limit {limit}");
        let mut sorted = prices.clone();
        sorted.sort();
        assert_eq!(prices, sorted, "limit {limit} is not in price, id order");
    }
    let (seen, _) = all_pages(&app, &format!("near={lat},{lng}&radiusKm=3&limit=4")).await;
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len());
    assert!(!seen.is_empty() && seen.len() < 36);
}

async fn bedrooms_and_amenities_filter_on_city_and_map(app: TestApp) {
    let (_, token, _) = app.signed_in("host").await;
    let (lat, lng) = CENTER;
    let located = |amount, extra: Value| {
        let mut body = at(lat, lng, amount);
        if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
            body.extend(extra);
        }
        body
    };
    let studio = create(
        &app,
        &token,
        located(1000, json!({"bedrooms": 0, "amenities": ["WiFi"]})),
    )
    .await;
    let flat = create(
        &app,
        &token,
        located(2000, json!({"bedrooms": 2, "amenities": ["wifi", "Kitchen"]})),
    )
    .await;
    let house = create(
        &app,
        &token,
        // An amenity with escapes in its stored JSON: search reads it without decoding the
        // whole item first (borrowed where it can be, copied here).
        located(
            3000,
            json!({"bedrooms": 4, "amenities": ["Garden", "Fire \"pit\" \\ here"]}),
        ),
    )
    .await;
    for place in ["city=zurich".to_owned(), format!("near={lat},{lng}")] {
        let query = |filters: &str| format!("/properties?{place}&{filters}");
        assert_eq!(
            ids(&app.get(&query("bedrooms=2"), None).await),
            [flat.clone(), house.clone()],
            "{place}"
        );
        assert_eq!(ids(&app.get(&query("bedrooms=0"), None).await).len(), 3, "{place}");
        assert_eq!(
            ids(&app.get(&query("amenities=wifi"), None).await),
            [studio.clone(), flat.clone()],
            "{place}"
        );
        assert_eq!(
            ids(&app.get(&query("amenities=KITCHEN,WiFi"), None).await),
            vec![flat.clone()],
            "{place}"
        );
        assert_eq!(
            ids(&app.get(&query("amenities=fire%20%22PIT%22%20%5C%20here"), None).await),
            vec![house.clone()],
            "{place}"
        );
        assert!(
            ids(&app.get(&query("amenities=wifi,garden"), None).await).is_empty(),
            "{place}"
        );
        assert_eq!(
            ids(&app.get(&query("amenities=garden&bedrooms=3"), None).await),
            vec![house.clone()]
        );
    }
}

async fn a_moved_unlocated_or_deleted_property_leaves_the_map(app: TestApp) {
    let (_, token, _) = app.signed_in("host").await;
    let (lat, lng) = CENTER;
    let id = create(&app, &token, at(lat, lng, 1000)).await;
    let near_here = format!("/properties?near={lat},{lng}&radiusKm=1");
    let near_bern = "/properties?near=46.948,7.447&radiusKm=1";
    assert_eq!(ids(&app.get(&near_here, None).await), vec![id.clone()]);

    let moved = app
        .patch(
            &format!("/properties/{id}"),
            Some(&token),
            json!({"location": {"lat": 46.948, "lng": 7.447}, "nightlyPrice": {"amount": 1100, "currency": "CHF"}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["location"], json!({"lat": 46.948, "lng": 7.447}));
    assert!(ids(&app.get(&near_here, None).await).is_empty());
    let found = app.get(near_bern, None).await;
    assert_eq!(ids(&found), vec![id.clone()]);
    assert_eq!(found.body["items"][0]["nightlyPrice"]["amount"], 1100);

    // An unrelated patch keeps the location; `null` removes it.
    let renamed = app
        .patch(&format!("/properties/{id}"), Some(&token), json!({"title": "Renamed"}))
        .await;
    assert_eq!(renamed.body["location"], json!({"lat": 46.948, "lng": 7.447}));
    let unlocated = app
        .patch(&format!("/properties/{id}"), Some(&token), json!({"location": null}))
        .await;
    assert_eq!(unlocated.status, StatusCode::OK, "{:?}", unlocated.body);
    assert_eq!(unlocated.body["location"], Value::Null);
    assert!(ids(&app.get(near_bern, None).await).is_empty());
    assert_eq!(ids(&app.get("/properties?city=zurich", None).await), vec![id.clone()]);

    let relocated = app
        .patch(
            &format!("/properties/{id}"),
            Some(&token),
            json!({"location": {"lat": lat, "lng": lng}}),
        )
        .await;
    assert_eq!(relocated.status, StatusCode::OK);
    assert_eq!(ids(&app.get(&near_here, None).await), vec![id.clone()]);
    let deleted = app
        .request(Method::DELETE, &format!("/properties/{id}"), Some(&token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(ids(&app.get(&near_here, None).await).is_empty());
    assert!(ids(&app.get("/properties?city=zurich", None).await).is_empty());

    let bad = app
        .patch(
            &format!("/properties/{}", create(&app, &token, at(lat, lng, 1000)).await),
            Some(&token),
            json!({"location": {"lat": 91, "lng": 0}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), ["location.lat"]);
    let bad = app
        .post(
            "/properties",
            Some(&token),
            listing("Zürich", "CH", 1000, json!({"location": {"lat": 1}})),
        )
        .await;
    assert_eq!(bad.fields(), ["location.lng"]);
}

/// The nights of `id` from `from` for `nights` nights that a one-night dated search finds free.
async fn free_by_search(app: &TestApp, query_place: &str, id: &str, from: &str, nights: i64) -> Vec<bool> {
    let mut free = Vec::new();
    for n in 0..nights {
        let check_in = plus(from, n);
        let check_out = plus(from, n + 1);
        let found = ids(&app
            .get(
                &format!("/properties?{query_place}&checkIn={check_in}&checkOut={check_out}&limit=100"),
                None,
            )
            .await);
        free.push(found.iter().any(|found| found == id));
    }
    free
}

/// The same nights as the calendar (the night items) tells them.
async fn free_by_calendar(app: &TestApp, id: &str, from: &str, nights: i64) -> Vec<bool> {
    let answer = app
        .get(
            &format!("/properties/{id}/calendar?from={from}&to={}", plus(from, nights)),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body["nights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["available"] == true)
        .collect()
}

async fn dated_search_agrees_with_the_calendar_through_bookings_and_blocks(app: TestApp) {
    let (_, host, _) = app.signed_in("host").await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let (lat, lng) = CENTER;
    let id = create(&app, &host, at(lat, lng, 1000)).await;
    let from = day(20);
    let nights = 14;
    let places = ["city=zurich".to_owned(), format!("near={lat},{lng}&radiusKm=1")];
    let agree = |label: &'static str| {
        let app = &app;
        let id = &id;
        let from = &from;
        let places = &places;
        async move {
            let calendar = free_by_calendar(app, id, from, nights).await;
            for place in places {
                assert_eq!(
                    free_by_search(app, place, id, from, nights).await,
                    calendar,
                    "{label}, {place}"
                );
            }
            calendar
        }
    };
    assert!(agree("untouched").await.iter().all(|free| *free));

    // A hold (unpaid), a paid booking, a block.
    let held = booked(&app, &guest, &id, &plus(&from, 0), &plus(&from, 2)).await;
    let paid = booked(&app, &guest, &id, &plus(&from, 3), &plus(&from, 5)).await;
    pay(&app, &guest, paid["id"].as_str().unwrap()).await;
    let block = app
        .request(
            Method::PUT,
            &format!("/properties/{id}/calendar/blocks"),
            Some(&host),
            Some(json!({"from": plus(&from, 6), "to": plus(&from, 8), "blocked": true})),
        )
        .await;
    assert_eq!(block.status, StatusCode::OK, "{:?}", block.body);
    let calendar = agree("held, paid and blocked").await;
    assert_eq!(calendar.iter().filter(|free| !**free).count(), 6);

    // Cancelling frees the paid nights, unblocking the blocked ones, and the unpaid hold
    // lapses when its time passes.
    let cancelled = act(&app, &guest, paid["id"].as_str().unwrap(), "cancel").await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let unblock = app
        .request(
            Method::PUT,
            &format!("/properties/{id}/calendar/blocks"),
            Some(&host),
            Some(json!({"from": plus(&from, 7), "to": plus(&from, 8), "blocked": false})),
        )
        .await;
    assert_eq!(unblock.status, StatusCode::OK);
    let calendar = agree("cancelled and partly unblocked").await;
    assert_eq!(calendar.iter().filter(|free| !**free).count(), 3);
    tests::bookings::advance(&app, 3600).await;
    let guest = tests::bookings::reissue(&app, &guest_id);
    tests::bookings::wait_for(&app, &guest, held["id"].as_str().unwrap(), |b| b["status"] == "expired").await;
    let calendar = agree("hold lapsed").await;
    assert_eq!(calendar.iter().filter(|free| !**free).count(), 1);
    // The freed nights can be booked again, and then are taken again.
    booked(&app, &guest, &id, &plus(&from, 0), &plus(&from, 1)).await;
    let calendar = agree("booked again").await;
    assert_eq!(calendar.iter().filter(|free| !**free).count(), 2);
}

async fn every_bad_place_is_refused_naming_its_field(app: TestApp) {
    let cases: &[(&str, StatusCode, &[&str])] = &[
        ("", StatusCode::UNPROCESSABLE_ENTITY, &["city", "near", "bbox"]),
        (
            "city=Paris&near=1,2",
            StatusCode::UNPROCESSABLE_ENTITY,
            &["city", "near"],
        ),
        (
            "near=1,2&bbox=1,1,2,2",
            StatusCode::UNPROCESSABLE_ENTITY,
            &["near", "bbox"],
        ),
        (
            "country=FR",
            StatusCode::UNPROCESSABLE_ENTITY,
            &["city", "near", "bbox", "country"],
        ),
        ("near=1,2&country=FR", StatusCode::UNPROCESSABLE_ENTITY, &["country"]),
        ("city=Paris&country=ZZ", StatusCode::UNPROCESSABLE_ENTITY, &["country"]),
        ("near=abc", StatusCode::BAD_REQUEST, &["near"]),
        ("near=1", StatusCode::BAD_REQUEST, &["near"]),
        ("near=1,2,3", StatusCode::BAD_REQUEST, &["near"]),
        ("near=NaN,2", StatusCode::BAD_REQUEST, &["near"]),
        ("near=1,2&radiusKm=far", StatusCode::BAD_REQUEST, &["radiusKm"]),
        ("bbox=1,2,3", StatusCode::BAD_REQUEST, &["bbox"]),
        ("bbox=1,2,3,x", StatusCode::BAD_REQUEST, &["bbox"]),
        ("city=Paris&bedrooms=two", StatusCode::BAD_REQUEST, &["bedrooms"]),
        ("near=91,0", StatusCode::UNPROCESSABLE_ENTITY, &["near"]),
        ("near=0,-181", StatusCode::UNPROCESSABLE_ENTITY, &["near"]),
        (
            "near=0,0&radiusKm=0.05",
            StatusCode::UNPROCESSABLE_ENTITY,
            &["radiusKm"],
        ),
        ("near=0,0&radiusKm=101", StatusCode::UNPROCESSABLE_ENTITY, &["radiusKm"]),
        ("city=Paris&radiusKm=5", StatusCode::UNPROCESSABLE_ENTITY, &["radiusKm"]),
        ("bbox=0,-91,1,1", StatusCode::UNPROCESSABLE_ENTITY, &["bbox"]),
        ("bbox=0,0,190,1", StatusCode::UNPROCESSABLE_ENTITY, &["bbox"]),
        ("bbox=0,2,1,1", StatusCode::UNPROCESSABLE_ENTITY, &["bbox"]),
        ("bbox=0,0,10,1", StatusCode::UNPROCESSABLE_ENTITY, &["bbox"]),
        ("bbox=179,0,-175,1", StatusCode::UNPROCESSABLE_ENTITY, &["bbox"]),
        (
            "city=Paris&bedrooms=-1",
            StatusCode::UNPROCESSABLE_ENTITY,
            &["bedrooms"],
        ),
    ];
    for (query, status, fields) in cases {
        let answer = app.get(&format!("/properties?{query}"), None).await;
        assert_eq!(answer.status, *status, "{query}: {:?}", answer.body);
        assert_eq!(answer.fields(), *fields, "{query}");
    }
    let long = "x".repeat(51);
    let answer = app
        .get(&format!("/properties?city=Paris&amenities=wifi,{long}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.fields(), ["amenities"]);
    // The widest allowed box and radius are fine, and so is a box across the antimeridian.
    for query in [
        "bbox=179,0,-177,1",
        "near=0,0&radiusKm=100",
        "bbox=8,47,9,48",
        "near=-90,0&radiusKm=100",
    ] {
        assert_eq!(
            app.get(&format!("/properties?{query}"), None).await.status,
            StatusCode::OK,
            "{query}"
        );
    }
}

async fn a_city_cursor_is_refused_by_a_map_search(app: TestApp) {
    let (_, token, _) = app.signed_in("host").await;
    let (lat, lng) = CENTER;
    for amount in [1000, 2000] {
        create(&app, &token, at(lat, lng, amount)).await;
    }
    let city = app.get("/properties?city=zurich&limit=1", None).await;
    let cursor = city.body["nextCursor"].as_str().unwrap().to_owned();
    for other in [
        format!("near={lat},{lng}&limit=1"),
        format!("bbox={},{},{},{}&limit=1", lng - 0.1, lat - 0.1, lng + 0.1, lat + 0.1),
        "city=zurich&country=CH&limit=1".to_owned(),
    ] {
        let answer = app.get(&format!("/properties?{other}&cursor={cursor}"), None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{other}");
    }
    let map = app.get(&format!("/properties?near={lat},{lng}&limit=1"), None).await;
    let cursor = map.body["nextCursor"].as_str().unwrap().to_owned();
    let answer = app
        .get(
            &format!("/properties?near={lat},{lng}&radiusKm=11&limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = app
        .get(&format!("/properties?near={lat},{lng}&limit=1&cursor={cursor}"), None)
        .await;
    assert_eq!(ids(&answer).len(), 1);
}

async fn the_backfill_moves_older_properties_to_the_city_index_once(app: TestApp) {
    let (_, token, _) = app.signed_in("host").await;
    let id = create(&app, &token, listing("Genève", "CH", 1000, json!({}))).await;
    // Make it look as the index was before cities spanned countries.
    let key = keys::property(&id);
    let mut item = app.app.store.get(&key).await.unwrap().unwrap();
    item.gsi1 = Some(IndexKey::new("PLACE#CH#geneve", format!("PRICE#000000001000#{id}")));
    app.app.store.put(item, Condition::Always).await.unwrap();
    let deleted_id = create(&app, &token, listing("Genève", "CH", 1000, json!({}))).await;
    let deleted = app
        .request(Method::DELETE, &format!("/properties/{deleted_id}"), Some(&token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let marker = Item::new(keys::migration("unrelated"), kind::MIGRATION, &json!({})).unwrap();
    app.app.store.put(marker, Condition::Always).await.unwrap();
    assert!(ids(&app.get("/properties?city=geneve", None).await).is_empty());

    assert!(backfill::needed(app.app.store.as_ref()).await.unwrap());
    let now = chrono::Utc::now();
    let first = backfill::run(app.app.store.as_ref(), now).await.unwrap();
    assert_eq!((first.examined, first.rewritten), (2, 1));
    assert_eq!(ids(&app.get("/properties?city=geneve", None).await), vec![id.clone()]);
    assert!(!backfill::needed(app.app.store.as_ref()).await.unwrap());
    let again = backfill::run(app.app.store.as_ref(), now).await.unwrap();
    assert_eq!((again.examined, again.rewritten), (2, 0));
    assert_eq!(ids(&app.get("/properties?city=geneve", None).await), [id]);
}
