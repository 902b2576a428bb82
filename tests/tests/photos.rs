//! Listing photos over HTTP and GraphQL on both backends: the bytes go straight to storage (the
//! local API's own upload URL, or a presigned S3 URL on moto), the arrival is verified by the
//! photo-events consumer, and the photo shows on the property, in search and at its URL; bad
//! files are refused with nothing left behind; order, captions, limits and deletion.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::photos::samples::{jpeg, png};
use tests::app::{Backend, TestApp};
use tests::bookings::{advance, hosted_property, reissue, user_id};
use tests::photos::{file_exists, photos, ready_photo, request_slot, send_file, upload, verdict, wait_file_gone};

tests::on_both_stores!(
    an_uploaded_png_shows_with_its_dimensions,
    bad_files_are_rejected_and_removed,
    an_expired_upload_url_never_shows,
    only_the_host_manages_photos_and_bad_input_is_refused,
    order_and_captions,
    fifty_photos_then_409,
    deleting_a_photo_deletes_its_file,
    an_upload_that_never_comes_is_dropped_after_a_day,
    graphql_manages_the_same_photos,
);

async fn an_uploaded_png_shows_with_its_dimensions(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let bytes = png(640, 480);
    let slot = request_slot(&app, &host, &property, "image/png", bytes.len()).await;
    assert_eq!(slot.status, StatusCode::CREATED, "{:?}", slot.body);
    assert_eq!(slot.body["photo"]["status"], "pending");
    assert_eq!(slot.body["photo"]["caption"], "The living room");
    let upload = &slot.body["upload"];
    assert_eq!(upload["method"], "PUT");
    assert_eq!(upload["headers"]["content-type"], "image/png");
    assert!(
        upload["expiresAt"].as_str().is_some_and(|at| at.ends_with('Z')),
        "{upload:?}"
    );
    if app.backend == Backend::Dynamo {
        let url = upload["url"].as_str().unwrap();
        assert!(
            url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=900"),
            "{url}"
        );
        assert_eq!(upload["headers"]["content-length"], bytes.len().to_string());
    }
    let id = slot.body["photo"]["id"].as_str().unwrap().to_owned();
    assert_eq!(photos(&app, &host, &property).await[0]["status"], "pending");
    // Not shown before it is verified.
    let before = app.get(&format!("/properties/{property}"), None).await;
    assert_eq!(before.body["photos"], json!([]));

    assert_eq!(send_file(&app, upload, bytes.clone()).await, StatusCode::OK);
    let photo = verdict(&app, &host, &property, &id).await;
    assert_eq!(photo["status"], "ready", "{photo:?}");
    assert_eq!(
        (photo["width"].clone(), photo["height"].clone()),
        (json!(640), json!(480))
    );
    assert_eq!(photo["rejectReason"], Value::Null);

    let shown = app.get(&format!("/properties/{property}"), None).await;
    let listed = &shown.body["photos"];
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{:?}", shown.body);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["width"], 640);
    assert_eq!(listed[0]["caption"], "The living room");
    let url = listed[0]["url"].as_str().unwrap().to_owned();
    assert_eq!(photo["url"], url.as_str());
    assert!(url.ends_with(&format!("properties/{property}/photos/{id}")), "{url}");

    // The URL serves the very bytes, as an image.
    let served = app.client.get(&url).send().await.expect("photo fetched");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(served.bytes().await.unwrap().to_vec(), bytes);

    // Search shows it as the cover.
    let found = app.get("/properties?city=Tarawa", None).await;
    let item = found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == property.as_str())
        .cloned()
        .expect("the property is found");
    assert_eq!(item["coverPhoto"]["id"], id.as_str());
    assert_eq!(item["coverPhoto"]["url"], url.as_str());
}

async fn bad_files_are_rejected_and_removed(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let picture = png(32, 32);
    let cases: Vec<(&str, &str, Vec<u8>, usize, &str)> = vec![
        // (declared type, sent type, bytes, declared size, reason)
        (
            "image/jpeg",
            "image/jpeg",
            picture.clone(),
            picture.len(),
            "not an image of the declared type",
        ),
        (
            "image/png",
            "image/png",
            picture[..picture.len() - 20].to_vec(),
            picture.len(),
            "smaller than the declared size",
        ),
        (
            "image/png",
            "image/png",
            picture.clone(),
            picture.len() - 10,
            "larger than the declared size",
        ),
        (
            "image/png",
            "image/png",
            b"plain text, not a picture".to_vec(),
            25,
            "not a JPEG, PNG or WebP",
        ),
        (
            "image/png",
            "image/png",
            png(8_001, 1),
            png(8_001, 1).len(),
            "more than 8,000 pixels",
        ),
    ];
    for (declared, sent, bytes, size, reason) in cases {
        let slot = request_slot(&app, &host, &property, declared, size).await;
        assert_eq!(slot.status, StatusCode::CREATED, "{:?}", slot.body);
        assert_eq!(slot.body["upload"]["headers"]["content-type"], sent);
        let id = slot.body["photo"]["id"].as_str().unwrap().to_owned();
        assert_eq!(send_file(&app, &slot.body["upload"], bytes).await, StatusCode::OK);
        let photo = verdict(&app, &host, &property, &id).await;
        assert_eq!(photo["status"], "rejected", "{reason}: {photo:?}");
        assert!(
            photo["rejectReason"].as_str().unwrap().contains(reason),
            "{reason}: {photo:?}"
        );
        assert_eq!(photo["url"], Value::Null);
        wait_file_gone(&app, &property, &id).await;
    }
    // Nothing shows, and rejected photos gave their slots back (listed last, for a week).
    let shown = app.get(&format!("/properties/{property}"), None).await;
    assert_eq!(shown.body["photos"], json!([]));
    assert_eq!(photos(&app, &host, &property).await.len(), 5);
    let item = app
        .app
        .store
        .get(&shared::store::keys::property(&property))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.attrs["photoSlots"], 0);

    // A rejected photo can be deleted (it has no file left to delete).
    let rejected = photos(&app, &host, &property).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = app
        .request(
            reqwest::Method::DELETE,
            &format!("/properties/{property}/photos/{rejected}"),
            Some(&host),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(photos(&app, &host, &property).await.len(), 4);
}

async fn an_expired_upload_url_never_shows(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let host_id = user_id(&app, &host).await;
    // The slot is issued 16 minutes ago: its URL expired a minute ago.
    advance(&app, -16 * 60).await;
    let host = reissue(&app, &host_id);
    let bytes = png(10, 10);
    let slot = request_slot(&app, &host, &property, "image/png", bytes.len()).await;
    assert_eq!(slot.status, StatusCode::CREATED, "{:?}", slot.body);
    let id = slot.body["photo"]["id"].as_str().unwrap().to_owned();
    advance(&app, 16 * 60).await;
    let host = reissue(&app, &host_id);
    let sent = send_file(&app, &slot.body["upload"], bytes).await;
    match app.backend {
        // The local API refuses an expired URL as S3 does.
        Backend::Sqlite => {
            assert_eq!(sent, StatusCode::FORBIDDEN);
            assert_eq!(photos(&app, &host, &property).await[0]["status"], "pending");
        }
        // moto does not enforce a presigned URL's expiry: the consumer refuses the late file.
        Backend::Dynamo => {
            assert_eq!(sent, StatusCode::OK);
            let photo = verdict(&app, &host, &property, &id).await;
            assert_eq!(photo["status"], "rejected", "{photo:?}");
            assert!(photo["rejectReason"].as_str().unwrap().contains("expired"), "{photo:?}");
        }
    }
    wait_file_gone(&app, &property, &id).await;
    assert_eq!(
        app.get(&format!("/properties/{property}"), None).await.body["photos"],
        json!([])
    );
}

async fn only_the_host_manages_photos_and_bad_input_is_refused(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let (other_host, _) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let photo = ready_photo(&app, &host, &property, 20, 10).await;
    let collection = format!("/properties/{property}/photos");
    let one = format!("/properties/{property}/photos/{photo}");
    let body = json!({"contentType": "image/png", "sizeBytes": 100});

    // Anonymous: 401; another host or a guest: 403; on every route.
    for token in [None, Some(other_host.as_str()), Some(guest.as_str())] {
        let expected = if token.is_none() {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(app.post(&collection, token, body.clone()).await.status, expected);
        assert_eq!(app.get(&collection, token).await.status, expected);
        assert_eq!(
            app.patch(&collection, token, json!({"order": [photo]})).await.status,
            expected
        );
        assert_eq!(
            app.patch(&one, token, json!({"caption": "mine now"})).await.status,
            expected
        );
        assert_eq!(
            app.request(reqwest::Method::DELETE, &one, token, None).await.status,
            expected
        );
    }
    // Unknown property or photo: 404.
    let missing = "01JCXW4Y6Z5V1TESTPR0PERTY1";
    assert_eq!(
        app.post(&format!("/properties/{missing}/photos"), Some(&host), body.clone())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.patch(&format!("{collection}/{missing}"), Some(&host), json!({"caption": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.request(
            reqwest::Method::DELETE,
            &format!("{collection}/nope"),
            Some(&host),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // Invalid declarations: 422 naming the field; malformed bodies: 400.
    for (bad, field) in [
        (json!({"contentType": "image/gif", "sizeBytes": 100}), "contentType"),
        (json!({"sizeBytes": 100}), "contentType"),
        (json!({"contentType": "image/png", "sizeBytes": 0}), "sizeBytes"),
        (
            json!({"contentType": "image/png", "sizeBytes": 10_485_761}),
            "sizeBytes",
        ),
        (json!({"contentType": "image/png"}), "sizeBytes"),
        (
            json!({"contentType": "image/png", "sizeBytes": 100, "caption": "x".repeat(201)}),
            "caption",
        ),
        (
            json!({"contentType": "image/png", "sizeBytes": 100, "caption": "two\nlines"}),
            "caption",
        ),
    ] {
        let refused = app.post(&collection, Some(&host), bad.clone()).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            refused.body
        );
        assert_eq!(refused.fields(), [field], "{bad}");
    }
    for bad in [
        json!({"contentType": "image/png", "sizeBytes": "big"}),
        json!({"contentType": "image/png", "sizeBytes": 1, "extra": 1}),
        json!([1]),
    ] {
        let refused = app.post(&collection, Some(&host), bad.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", refused.body);
    }
    assert_eq!(
        app.patch(&one, Some(&host), json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.patch(&collection, Some(&host), json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Nothing was added by the refusals.
    assert_eq!(photos(&app, &host, &property).await.len(), 1);
}

async fn order_and_captions(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let a = ready_photo(&app, &host, &property, 10, 10).await;
    let b = ready_photo(&app, &host, &property, 20, 10).await;
    let c = ready_photo(&app, &host, &property, 30, 10).await;
    let pending = request_slot(&app, &host, &property, "image/png", 100).await.body["photo"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = |items: &[Value]| {
        items
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // Arrival order, the pending one last.
    assert_eq!(
        ids(&photos(&app, &host, &property).await),
        [a.as_str(), &b, &c, &pending]
    );

    let collection = format!("/properties/{property}/photos");
    for bad in [
        json!([a, b]),
        json!([a, b, c, c]),
        json!([a, b, pending]),
        json!([a, b, c, pending]),
        json!([a, a, b]),
    ] {
        let refused = app.patch(&collection, Some(&host), json!({"order": bad})).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            refused.body
        );
        assert_eq!(refused.fields(), ["order"]);
    }
    let reordered = app.patch(&collection, Some(&host), json!({"order": [c, a, b]})).await;
    assert_eq!(reordered.status, StatusCode::OK, "{:?}", reordered.body);
    assert_eq!(
        ids(reordered.body["items"].as_array().unwrap()),
        [c.as_str(), &a, &b, &pending]
    );
    let shown = app.get(&format!("/properties/{property}"), None).await;
    assert_eq!(ids(shown.body["photos"].as_array().unwrap()), [c.as_str(), &a, &b]);
    assert_eq!(shown.body["photos"][0]["width"], 30, "the cover is the first");

    let captioned = app
        .patch(
            &format!("{collection}/{a}"),
            Some(&host),
            json!({"caption": "  Sea view  "}),
        )
        .await;
    assert_eq!(captioned.status, StatusCode::OK, "{:?}", captioned.body);
    assert_eq!(captioned.body["caption"], "Sea view");
    assert_eq!(captioned.body["status"], "ready");
    let shown = app.get(&format!("/properties/{property}"), None).await;
    assert_eq!(shown.body["photos"][1]["caption"], "Sea view");
    // A pending photo's caption changes too, and shows once it is ready.
    let recaptioned = app
        .patch(&format!("{collection}/{pending}"), Some(&host), json!({"caption": ""}))
        .await;
    assert_eq!(recaptioned.status, StatusCode::OK);
    assert_eq!(recaptioned.body["caption"], "");
}

async fn fifty_photos_then_409(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    for n in 0..47 {
        let slot = request_slot(&app, &host, &property, "image/webp", 1000).await;
        assert_eq!(slot.status, StatusCode::CREATED, "slot {n}: {:?}", slot.body);
    }
    // The last three slots, asked for six times at once: exactly three are given.
    let racing =
        futures::future::join_all((0..6).map(|_| request_slot(&app, &host, &property, "image/webp", 1000))).await;
    let given = racing
        .iter()
        .filter(|answer| answer.status == StatusCode::CREATED)
        .count();
    assert_eq!(given, 3, "{:?}", racing.iter().map(|a| a.status).collect::<Vec<_>>());
    for refused in racing.iter().filter(|answer| answer.status != StatusCode::CREATED) {
        assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
        assert_eq!(refused.code(), "conflict");
    }
    assert_eq!(photos(&app, &host, &property).await.len(), 50);
    // Deleting a pending one frees its slot.
    let first = photos(&app, &host, &property).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = app
        .request(
            reqwest::Method::DELETE,
            &format!("/properties/{property}/photos/{first}"),
            Some(&host),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        request_slot(&app, &host, &property, "image/webp", 1000).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        request_slot(&app, &host, &property, "image/webp", 1000).await.status,
        StatusCode::CONFLICT
    );
}

async fn deleting_a_photo_deletes_its_file(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let kept = ready_photo(&app, &host, &property, 10, 10).await;
    let gone = ready_photo(&app, &host, &property, 20, 20).await;
    assert!(file_exists(&app, &property, &gone).await);
    let path = format!("/properties/{property}/photos/{gone}");
    let deleted = app.request(reqwest::Method::DELETE, &path, Some(&host), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);
    // Gone from the property at once, and its file soon after.
    let shown = app.get(&format!("/properties/{property}"), None).await;
    assert_eq!(shown.body["photos"].as_array().unwrap().len(), 1);
    assert_eq!(shown.body["photos"][0]["id"], kept.as_str());
    wait_file_gone(&app, &property, &gone).await;
    assert!(file_exists(&app, &property, &kept).await);
    assert_eq!(
        app.request(reqwest::Method::DELETE, &path, Some(&host), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let item = app
        .app
        .store
        .get(&shared::store::keys::property(&property))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.attrs["photoSlots"], 1);
}

async fn an_upload_that_never_comes_is_dropped_after_a_day(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let host_id = user_id(&app, &host).await;
    let slot = request_slot(&app, &host, &property, "image/jpeg", 5000).await;
    assert_eq!(slot.status, StatusCode::CREATED);
    advance(&app, 23 * 3600).await;
    let host = reissue(&app, &host_id);
    assert_eq!(
        photos(&app, &host, &property).await.len(),
        1,
        "still waiting after 23 h"
    );
    advance(&app, 3600 + 60).await;
    let host = reissue(&app, &host_id);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !photos(&app, &host, &property).await.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pending photo was not dropped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let item = app
        .app
        .store
        .get(&shared::store::keys::property(&property))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.attrs["photoSlots"], 0);
    // A JPEG of the right size still becomes ready in a new slot.
    let (id, sent) = upload(&app, &host, &property, "image/jpeg", jpeg(400, 300, 1000)).await;
    assert_eq!(sent, StatusCode::OK);
    assert_eq!(verdict(&app, &host, &property, &id).await["width"], 400);
}

async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let answer = app
        .post("/graphql", token, json!({"query": query, "variables": variables}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

async fn graphql_manages_the_same_photos(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let bytes = png(300, 200);
    let asked = gql(
        &app,
        Some(&host),
        "mutation($input: RequestPhotoUploadInput!) { requestPhotoUpload(input: $input) { photo { id status caption } upload { method url headers { name value } expiresAt } } }",
        json!({"input": {"propertyId": property, "contentType": "image/png", "sizeBytes": bytes.len(), "caption": "Garden"}}),
    )
    .await;
    let payload = &asked["data"]["requestPhotoUpload"];
    assert_eq!(payload["photo"]["status"], "pending", "{asked:?}");
    let id = payload["photo"]["id"].as_str().unwrap().to_owned();
    // The same slot as REST, its headers as name/value pairs.
    let headers: serde_json::Map<String, Value> = payload["upload"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["name"].as_str().unwrap().to_owned(), h["value"].clone()))
        .collect();
    let slot = json!({"method": payload["upload"]["method"], "url": payload["upload"]["url"], "headers": headers});
    assert_eq!(send_file(&app, &slot, bytes).await, StatusCode::OK);
    verdict(&app, &host, &property, &id).await;

    let listed = gql(
        &app,
        Some(&host),
        "query($id: ID!) { propertyPhotos(propertyId: $id) { id status width height url rejectReason } }",
        json!({"id": property}),
    )
    .await;
    assert_eq!(listed["data"]["propertyPhotos"][0]["status"], "ready", "{listed:?}");
    assert_eq!(listed["data"]["propertyPhotos"][0]["width"], 300);
    let refused = gql(
        &app,
        Some(&guest),
        "query($id: ID!) { propertyPhotos(propertyId: $id) { id } }",
        json!({"id": property}),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "forbidden");

    let public = gql(
        &app,
        None,
        "query($id: ID!) { property(id: $id) { photos { id url width height caption } } searchProperties(city: \"Tarawa\") { edges { node { coverPhoto { id } property { id } } } } }",
        json!({"id": property}),
    )
    .await;
    assert_eq!(
        public["data"]["property"]["photos"][0]["caption"], "Garden",
        "{public:?}"
    );
    let rest = app.get(&format!("/properties/{property}"), None).await;
    assert_eq!(public["data"]["property"]["photos"], rest.body["photos"]);
    let node = public["data"]["searchProperties"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .find(|node| node["property"]["id"] == property.as_str())
        .expect("found");
    assert_eq!(node["coverPhoto"]["id"], id.as_str());

    let second = ready_photo(&app, &host, &property, 50, 50).await;
    let bad = gql(
        &app,
        Some(&host),
        "mutation($input: ReorderPhotosInput!) { reorderPhotos(input: $input) { photos { id } } }",
        json!({"input": {"propertyId": property, "order": [id]}}),
    )
    .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "validation_failed");
    let reordered = gql(
        &app,
        Some(&host),
        "mutation($input: ReorderPhotosInput!) { reorderPhotos(input: $input) { photos { id } } }",
        json!({"input": {"propertyId": property, "order": [second, id]}}),
    )
    .await;
    assert_eq!(
        reordered["data"]["reorderPhotos"]["photos"][0]["id"],
        second.as_str(),
        "{reordered:?}"
    );
    let captioned = gql(
        &app,
        Some(&host),
        "mutation($input: UpdatePhotoInput!) { updatePhoto(input: $input) { photo { caption } } }",
        json!({"input": {"propertyId": property, "photoId": id, "caption": "Lawn"}}),
    )
    .await;
    assert_eq!(captioned["data"]["updatePhoto"]["photo"]["caption"], "Lawn");
    let deleted = gql(
        &app,
        Some(&host),
        "mutation($input: DeletePhotoInput!) { deletePhoto(input: $input) { deletedPhotoId } }",
        json!({"input": {"propertyId": property, "photoId": id}}),
    )
    .await;
    assert_eq!(deleted["data"]["deletePhoto"]["deletedPhotoId"], id.as_str());
    wait_file_gone(&app, &property, &id).await;
    assert_eq!(
        app.get(&format!("/properties/{property}"), None).await.body["photos"][0]["id"],
        second.as_str()
    );
}
