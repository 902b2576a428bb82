//! Properties: create, read, update, soft delete and the host's own list, over HTTP on both
//! stores.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::store::{Condition, Update};
use tests::app::TestApp;

tests::on_both_stores!(
    hosts_create_with_defaults_and_anyone_reads,
    only_hosts_create_and_every_bad_field_is_named,
    only_the_host_updates_and_patches_merge,
    delete_hides_the_property_unless_bookings_are_open,
    the_hosts_list_pages_with_signed_cursors,
);

fn listing() -> Value {
    json!({
        "title": "Loft by the lake",
        "address": {"line1": "Seestrasse 1", "city": "Zürich", "country": "CH"},
        "timeZone": "Europe/Zurich",
        "maxGuests": 4,
        "nightlyPrice": {"amount": 18000, "currency": "CHF"}
    })
}

/// A host's view of a property as the public sees it: without the check-in instructions.
fn public(host_view: &Value) -> Value {
    let mut view = host_view.clone();
    if let Some(fields) = view.as_object_mut() {
        fields.remove("checkInInstructions");
    }
    view
}

async fn create(app: &TestApp, token: &str) -> Value {
    let answer = app.post("/properties", Some(token), listing()).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body
}

async fn hosts_create_with_defaults_and_anyone_reads(app: TestApp) {
    let (host_id, token, _) = app.signed_in("host").await;
    let created = create(&app, &token).await;
    assert_eq!(created["hostId"], json!(host_id));
    assert_eq!(created["address"]["country"], "CH");
    assert_eq!(created["cleaningFee"], json!({"amount": 0, "currency": "CHF"}));
    assert_eq!(created["minNights"], 1);
    assert_eq!(created["maxNights"], 30);
    assert_eq!(created["checkInTime"], "15:00");
    assert_eq!(created["checkOutTime"], "11:00");
    assert_eq!(created["instantBook"], true);
    assert_eq!(created["cancellationPolicy"], "moderate");
    assert_eq!(created["bathrooms"], 1.0);
    assert_eq!(created["amenities"], json!([]));
    assert_eq!(created["rating"], Value::Null);
    for internal in ["openBookings", "deletedAt", "version"] {
        assert!(created.get(internal).is_none(), "{internal} leaked");
    }
    let id = created["id"].as_str().unwrap();
    let read = app.get(&format!("/properties/{id}"), None).await;
    assert_eq!(read.status, StatusCode::OK);
    // The host's answer adds the host-only check-in instructions to the public view.
    assert_eq!(created["checkInInstructions"], "");
    assert_eq!(read.body, public(&created));
    assert_eq!(
        app.get(&format!("/properties/{}", ulid::Ulid::new()), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/properties/not-an-id", None).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn only_hosts_create_and_every_bad_field_is_named(app: TestApp) {
    let (_, guest, _) = app.signed_in("guest").await;
    assert_eq!(
        app.post("/properties", Some(&guest), listing()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/properties", None, listing()).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (_, host, _) = app.signed_in("host").await;
    let answer = app
        .post(
            "/properties",
            Some(&host),
            json!({"address": {"country": "Switzerland"}, "maxGuests": 0, "bathrooms": 1.3,
                   "nightlyPrice": {"amount": 100, "currency": "XYZ"}, "maxNights": 91}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = answer.fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "address.city",
            "address.country",
            "address.line1",
            "bathrooms",
            "maxGuests",
            "maxNights",
            "nightlyPrice",
            "timeZone",
            "title"
        ]
    );
    let mut priced = listing();
    priced["nightlyPrice"] = json!({"amount": 120.5, "currency": "CHF"});
    assert_eq!(
        app.post("/properties", Some(&host), priced).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut extra = listing();
    extra["rating"] = json!(5);
    let answer = app.post("/properties", Some(&host), extra).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.fields(), ["rating"]);
}

async fn only_the_host_updates_and_patches_merge(app: TestApp) {
    let (_, host, _) = app.signed_in("host").await;
    let created = create(&app, &host).await;
    let path = format!("/properties/{}", created["id"].as_str().unwrap());
    let patched = app
        .patch(
            &path,
            Some(&host),
            json!({"nightlyPrice": {"amount": 19500, "currency": "CHF"}, "maxNights": 7}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["nightlyPrice"]["amount"], 19500);
    assert_eq!(patched.body["maxNights"], 7);
    assert_eq!(patched.body["title"], created["title"]);
    assert_eq!(patched.body["createdAt"], created["createdAt"]);
    assert_eq!(app.get(&path, None).await.body, public(&patched.body));

    let conflict = app.patch(&path, Some(&host), json!({"minNights": 10})).await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(conflict.fields(), ["maxNights"]);
    let currency = app
        .patch(
            &path,
            Some(&host),
            json!({"cleaningFee": {"amount": 10, "currency": "EUR"}}),
        )
        .await;
    assert_eq!(currency.fields(), ["cleaningFee"]);
    let read_only = app.patch(&path, Some(&host), json!({"hostId": "someone"})).await;
    assert_eq!(read_only.status, StatusCode::BAD_REQUEST);

    let (_, other_host, _) = app.signed_in("host").await;
    assert_eq!(
        app.patch(&path, Some(&other_host), json!({"title": "Mine"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.patch(&path, None, json!({"title": "Mine"})).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn delete_hides_the_property_unless_bookings_are_open(app: TestApp) {
    let (_, host, _) = app.signed_in("host").await;
    let created = create(&app, &host).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/properties/{id}");
    let (_, other_host, _) = app.signed_in("host").await;
    assert_eq!(
        app.request(reqwest::Method::DELETE, &path, Some(&other_host), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // A booking not yet over (the bookings area keeps this counter) blocks the delete.
    let key = shared::store::keys::property(&id);
    app.app
        .store
        .update(&key, Update::new().add("openBookings", 1), Condition::Exists)
        .await
        .unwrap();
    let refused = app.request(reqwest::Method::DELETE, &path, Some(&host), None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    app.app
        .store
        .update(&key, Update::new().add("openBookings", -1), Condition::Exists)
        .await
        .unwrap();

    let deleted = app.request(reqwest::Method::DELETE, &path, Some(&host), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND);
    let mine = app.get("/users/me/properties", Some(&host)).await;
    assert_eq!(mine.body["items"], json!([]));
    assert_eq!(
        app.request(reqwest::Method::DELETE, &path, Some(&host), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // It left search: nothing is in its place partition any more.
    let stored = app.app.store.get(&key).await.unwrap().unwrap();
    assert!(stored.gsi1.is_none() && stored.gsi2.is_none());
}

async fn the_hosts_list_pages_with_signed_cursors(app: TestApp) {
    let (_, host, _) = app.signed_in("host").await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(create(&app, &host).await["id"].as_str().unwrap().to_owned());
    }
    let (_, other, _) = app.signed_in("host").await;
    create(&app, &other).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/users/me/properties?limit=2&cursor={c}"),
            None => "/users/me/properties?limit=2".to_owned(),
        };
        let page = app.get(&path, Some(&host)).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    // Oldest first; two created in the same millisecond come in id order, so compare as sets
    // and check there are no repeats.
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    sorted_seen.dedup();
    created.sort();
    assert_eq!(sorted_seen, created, "every property exactly once");
    assert_eq!(seen.len(), created.len());

    let first = app.get("/users/me/properties?limit=1", Some(&host)).await;
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let answer = app
        .get(&format!("/users/me/properties?cursor={tampered}"), Some(&host))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    // Another host cannot use it to read this host's list.
    let answer = app
        .get(&format!("/users/me/properties?cursor={cursor}"), Some(&other))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/users/me/properties?limit=0", Some(&host)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/users/me/properties?limit=x", Some(&host)).await.status,
        StatusCode::BAD_REQUEST
    );
    let (_, guest, _) = app.signed_in("guest").await;
    assert_eq!(
        app.get("/users/me/properties", Some(&guest)).await.status,
        StatusCode::FORBIDDEN
    );
}
