//! HTTP caching over the local API on both stores: strong ETags and public lifetimes on
//! anonymous reads of public resources, `304` for a matching `If-None-Match`, and
//! `private, no-store` for everything signed in.

use reqwest::StatusCode;
use serde_json::json;
use tests::app::TestApp;
use tests::bookings::hosted_property;

tests::on_both_stores!(
    public_reads_carry_a_tag_and_a_lifetime,
    a_matching_tag_is_304_until_the_resource_changes,
    signed_in_answers_are_never_shared,
);

async fn get_with(app: &TestApp, path: &str, header: Option<(&str, &str)>) -> reqwest::Response {
    let mut request = app.client.get(format!("http://{}{path}", app.addr));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    request.send().await.expect("request sent")
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn public_reads_carry_a_tag_and_a_lifetime(app: TestApp) {
    let (_, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    for (path, lifetime) in [
        (format!("/properties/{property}"), "public, max-age=300"),
        (format!("/properties/{property}/reviews"), "public, max-age=300"),
        ("/properties?city=Tarawa".to_owned(), "public, max-age=60"),
        ("/openapi.json".to_owned(), "public, max-age=300"),
    ] {
        let response = get_with(&app, &path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "cache-control"), lifetime, "{path}");
        let tag = header(&response, "etag");
        assert!(tag.starts_with('"') && tag.len() > 10, "{path}: {tag}");
    }
    let missing = get_with(&app, "/properties/01ARZ3NDEKTSV4RRFFQ69G5FAV", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&missing, "cache-control"), "private, no-store");
    assert_eq!(header(&missing, "etag"), "");
}

async fn a_matching_tag_is_304_until_the_resource_changes(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let path = format!("/properties/{property}");
    let first = get_with(&app, &path, None).await;
    let tag = header(&first, "etag");
    let again = get_with(&app, &path, Some(("if-none-match", &tag))).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "etag"), tag);
    assert_eq!(header(&again, "cache-control"), "public, max-age=300");
    assert!(again.bytes().await.unwrap().is_empty());

    let renamed = app.patch(&path, Some(&host), json!({"title": "A new name"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    let changed = get_with(&app, &path, Some(("if-none-match", &tag))).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header(&changed, "etag"), tag);
}

async fn signed_in_answers_are_never_shared(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    let bearer = format!("Bearer {host}");
    for path in [
        format!("/properties/{property}"),
        "/users/me".to_owned(),
        "/users/me/properties".to_owned(),
    ] {
        let response = get_with(&app, &path, Some(("authorization", &bearer))).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "cache-control"), "private, no-store", "{path}");
        assert_eq!(header(&response, "etag"), "", "{path}");
    }
    let write = app
        .post("/auth/login", None, json!({"email": "x@y.zz", "password": "nope nope"}))
        .await;
    assert_eq!(write.headers["cache-control"], "private, no-store");
}
