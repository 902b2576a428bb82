//! Photo uploads as a client makes them: ask for a slot, `PUT` the bytes to its URL with its
//! headers (to the local API, or to moto behind a presigned URL), wait for the verdict.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::app::{Answer, TestApp};

/// `POST /properties/{id}/photos`.
pub async fn request_slot(app: &TestApp, token: &str, property: &str, content_type: &str, size: usize) -> Answer {
    app.post(
        &format!("/properties/{property}/photos"),
        Some(token),
        json!({"contentType": content_type, "sizeBytes": size, "caption": "The living room"}),
    )
    .await
}

/// Sends `bytes` as the slot says (method, URL, headers), except `Content-Length`, which
/// is the real one: a client sending more or less than declared is what some tests are about.
pub async fn send_file(app: &TestApp, slot: &Value, bytes: Vec<u8>) -> StatusCode {
    let method = reqwest::Method::from_bytes(slot["method"].as_str().expect("a method").as_bytes()).expect("a method");
    let mut request = app.client.request(method, slot["url"].as_str().expect("an upload URL"));
    for (name, value) in slot["headers"].as_object().expect("headers") {
        if !name.eq_ignore_ascii_case("content-length") {
            request = request.header(name, value.as_str().expect("a header value"));
        }
    }
    request.body(bytes).send().await.expect("upload sent").status()
}

/// Declares and sends a file; returns the photo id and the upload's status.
pub async fn upload(
    app: &TestApp,
    token: &str,
    property: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (String, StatusCode) {
    let slot = request_slot(app, token, property, content_type, bytes.len()).await;
    assert_eq!(slot.status, StatusCode::CREATED, "{:?}", slot.body);
    let id = slot.body["photo"]["id"].as_str().expect("a photo id").to_owned();
    let sent = send_file(app, &slot.body["upload"], bytes).await;
    (id, sent)
}

/// The host's photo list.
pub async fn photos(app: &TestApp, token: &str, property: &str) -> Vec<Value> {
    let list = app.get(&format!("/properties/{property}/photos"), Some(token)).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    list.body["items"].as_array().cloned().unwrap_or_default()
}

/// Reads the host's photo until it is no longer pending (10 s at most).
pub async fn verdict(app: &TestApp, token: &str, property: &str, photo: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = photos(app, token, property)
            .await
            .into_iter()
            .find(|p| p["id"] == photo);
        match found {
            Some(photo) if photo["status"] != "pending" => return photo,
            other => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "photo {photo} is still {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Uploads a PNG of `width` x `height` and waits for it to be ready.
pub async fn ready_photo(app: &TestApp, token: &str, property: &str, width: u32, height: u32) -> String {
    let (id, sent) = upload(
        app,
        token,
        property,
        "image/png",
        shared::photos::samples::png(width, height),
    )
    .await;
    assert_eq!(sent, StatusCode::OK);
    let photo = verdict(app, token, property, &id).await;
    assert_eq!(photo["status"], "ready", "{photo:?}");
    id
}

/// Whether the photo's file is still stored (local files or the bucket on moto).
pub async fn file_exists(app: &TestApp, property: &str, photo: &str) -> bool {
    let key = shared::photos::storage::object_key(property, photo);
    app.app
        .photo_storage
        .head(&key, 1)
        .await
        .expect("the photo storage answers")
        .is_some()
}

/// Waits until the photo's file is gone (10 s at most).
pub async fn wait_file_gone(app: &TestApp, property: &str, photo: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while file_exists(app, property, photo).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the file of {photo} is still stored"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
