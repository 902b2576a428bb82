//! Users and auth, end to end: real HTTP requests to the local API's router, on the SQLite
//! store and on DynamoDB (moto), with the same assertions.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::app::{PASSWORD, TestApp, me_status};

tests::on_both_stores!(
    register_answers_the_user_without_secrets,
    register_names_every_bad_field,
    register_refuses_malformed_bodies,
    email_is_unique_case_insensitively_even_under_races,
    twenty_concurrent_registrations_all_succeed,
    login_issues_tokens_that_open_users_me,
    wrong_password_and_unknown_email_look_alike,
    five_failures_lock_the_email_until_the_window_passes,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_revokes_the_family,
    bad_access_tokens_are_401,
    profile_updates_and_public_view,
    a_rotated_key_keeps_verifying_during_the_overlap_and_is_401_once_retired,
);

async fn register_answers_the_user_without_secrets(app: TestApp) {
    let (_, guest) = app.register("guest").await;
    assert_eq!(guest["roles"], json!(["guest"]));
    assert!(guest.get("passwordHash").is_none() && guest.get("password").is_none());
    for field in ["id", "email", "firstName", "lastName", "phone", "roles", "createdAt"] {
        assert!(guest.get(field).is_some(), "{field} missing from {guest}");
    }
    assert!(guest["createdAt"].as_str().unwrap().ends_with('Z'));
    let (_, host) = app.register("host").await;
    assert_eq!(host["roles"], json!(["guest", "host"]));
}

async fn register_names_every_bad_field(app: TestApp) {
    let answer = app
        .post(
            "/auth/register",
            None,
            json!({"email": "not-an-email", "password": "short", "role": "admin"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "validation_failed");
    let mut fields = answer.fields();
    fields.sort();
    assert_eq!(fields, ["email", "firstName", "lastName", "password", "role"]);

    let long = "x".repeat(129);
    let answer = app
        .post(
            "/auth/register",
            None,
            json!({"email": "a@example.com", "password": long, "firstName": "A", "lastName": "B", "phone": "12"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = answer.fields();
    fields.sort();
    assert_eq!(fields, ["password", "phone"]);
}

async fn register_refuses_malformed_bodies(app: TestApp) {
    let unknown = app
        .post(
            "/auth/register",
            None,
            json!({"email": "a@example.com", "password": PASSWORD, "firstName": "A", "lastName": "B", "isAdmin": true}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.fields(), ["isAdmin"]);
    let wrong_type = app.post("/auth/register", None, json!({"email": 42})).await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_type.fields(), ["email"]);
    let broken = app
        .raw(
            Method::POST,
            "/auth/register",
            "application/json",
            b"{\"email\":".to_vec(),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.code(), "bad_request");
    let huge = format!(r#"{{"email": "{}"}}"#, "a".repeat(70 * 1024));
    let too_large = app
        .raw(Method::POST, "/auth/register", "application/json", huge.into_bytes())
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.code(), "payload_too_large");
    let array = app
        .raw(Method::POST, "/auth/register", "application/json", b"[]".to_vec())
        .await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
}

async fn email_is_unique_case_insensitively_even_under_races(app: TestApp) {
    let (email, _) = app.register("guest").await;
    let again = app
        .post(
            "/auth/register",
            None,
            json!({"email": email.to_uppercase(), "password": PASSWORD, "firstName": "B", "lastName": "C"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.fields(), ["email"]);

    // Each racer is a different person (a different first name), so none of them is a
    // client's retry of another's request, which register answers with the same account.
    let contested = format!("race-{}@example.com", ulid::Ulid::new().to_string().to_lowercase());
    let attempts = (0..20).map(|i| {
        let body = json!({"email": if i % 2 == 0 { contested.clone() } else { contested.to_uppercase() },
            "password": PASSWORD, "firstName": format!("R{i}"), "lastName": "C"});
        app.post("/auth/register", None, body)
    });
    let answers = futures::future::join_all(attempts).await;
    let created = answers.iter().filter(|a| a.status == StatusCode::CREATED).count();
    let conflicts = answers.iter().filter(|a| a.status == StatusCode::CONFLICT).count();
    assert_eq!((created, conflicts), (1, 19), "{answers:?}");
}

/// What once answered one `500` on moto: 20 people registering at the same moment.
async fn twenty_concurrent_registrations_all_succeed(app: TestApp) {
    let run = ulid::Ulid::new().to_string().to_lowercase();
    let attempts = (0..20).map(|i| {
        let body = json!({"email": format!("crowd-{i}-{run}@example.com"), "password": PASSWORD,
            "firstName": "Crowd", "lastName": format!("N{i}")});
        app.post("/auth/register", None, body)
    });
    let answers = futures::future::join_all(attempts).await;
    assert!(answers.iter().all(|a| a.status == StatusCode::CREATED), "{answers:?}");
    let mut ids: Vec<&str> = answers.iter().filter_map(|a| a.body["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20);
}

async fn login_issues_tokens_that_open_users_me(app: TestApp) {
    let (email, user) = app.register("host").await;
    let tokens = app.login(&email.to_uppercase()).await;
    assert_eq!(tokens["tokenType"], "Bearer");
    assert_eq!(tokens["expiresIn"], 900);
    let access = tokens["accessToken"].as_str().unwrap();
    let claims = decode_claims(access);
    for claim in ["iss", "aud", "sub", "exp", "iat", "jti", "roles"] {
        assert!(claims.get(claim).is_some(), "{claim} missing");
    }
    assert_eq!(claims["roles"], json!(["guest", "host"]));
    let me = app.get("/users/me", Some(access)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body, user);
}

async fn wrong_password_and_unknown_email_look_alike(app: TestApp) {
    let (email, _) = app.register("guest").await;
    let wrong = app
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post(
            "/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    let missing = app.post("/auth/login", None, json!({})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn five_failures_lock_the_email_until_the_window_passes(app: TestApp) {
    let (email, _) = app.register("guest").await;
    for _ in 0..5 {
        let answer = app
            .post("/auth/login", None, json!({"email": email, "password": "nope nope"}))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let locked = app
        .post("/auth/login", None, json!({"email": email, "password": PASSWORD}))
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.code(), "rate_limited");
    let retry_after: i64 = locked.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // Another email is not affected.
    let (other, _) = app.register("guest").await;
    app.login(&other).await;

    app.clock.advance(chrono::Duration::seconds(retry_after + 1));
    app.login(&email).await;
}

async fn refresh_rotates_and_reuse_revokes_the_family(app: TestApp) {
    let (_, _, first) = app.signed_in("guest").await;
    let rotated = app.post("/auth/refresh", None, json!({"refreshToken": first})).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let second = rotated.body["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let access = rotated.body["accessToken"].as_str().unwrap();
    assert_eq!(app.get("/users/me", Some(access)).await.status, StatusCode::OK);

    // The old token again: refused, and the whole family with it.
    let reused = app.post("/auth/refresh", None, json!({"refreshToken": first})).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    let descendant = app.post("/auth/refresh", None, json!({"refreshToken": second})).await;
    assert_eq!(descendant.status, StatusCode::UNAUTHORIZED);

    let unknown = app
        .post("/auth/refresh", None, json!({"refreshToken": "rt_nothing"}))
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let missing = app.post("/auth/refresh", None, json!({})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Two concurrent uses of one token: at most one succeeds, and the family ends revoked.
    let (_, _, contested) = app.signed_in("guest").await;
    let uses = (0..4).map(|_| app.post("/auth/refresh", None, json!({"refreshToken": contested})));
    let answers = futures::future::join_all(uses).await;
    let winners: Vec<_> = answers.iter().filter(|a| a.status == StatusCode::OK).collect();
    assert!(winners.len() <= 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| a.status == StatusCode::OK || a.status == StatusCode::UNAUTHORIZED)
    );
}

async fn logout_revokes_the_family(app: TestApp) {
    let (_, access, refresh) = app.signed_in("guest").await;
    let no_token = app.post("/auth/logout", None, json!({"refreshToken": refresh})).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    let (_, other_access, _) = app.signed_in("guest").await;
    let not_theirs = app
        .post("/auth/logout", Some(&other_access), json!({"refreshToken": refresh}))
        .await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN);

    let out = app
        .post("/auth/logout", Some(&access), json!({"refreshToken": refresh}))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = app.post("/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

async fn bad_access_tokens_are_401(app: TestApp) {
    let (user_id, access, _) = app.signed_in("guest").await;
    assert_eq!(app.get("/users/me", None).await.status, StatusCode::UNAUTHORIZED);
    let basic = app
        .client
        .get(format!("http://{}/users/me", app.addr))
        .header("authorization", format!("Basic {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": "roost", "aud": "roost-api", "sub": user_id, "exp": now + 600, "iat": now,
        "jti": "x", "roles": ["guest", "host"]});
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"some-other-secret-some-other-secret"),
    )
    .unwrap();
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    for token in [forged.as_str(), none.as_str(), "garbage", &access[..access.len() - 2]] {
        let answer = app.get("/users/me", Some(token)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(answer.code(), "unauthorized");
    }
    // Expired by the app's clock, not the machine's.
    app.clock.advance(chrono::Duration::minutes(15));
    assert_eq!(
        app.get("/users/me", Some(&access)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn profile_updates_and_public_view(app: TestApp) {
    let (user_id, access, _) = app.signed_in("host").await;
    let updated = app
        .patch(
            "/users/me",
            Some(&access),
            json!({"firstName": " Grace ", "phone": "+44 1234 567890"}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["firstName"], "Grace");
    assert_eq!(updated.body["phone"], "+441234567890");
    assert_eq!(updated.body["lastName"], "Lovelace");

    let bad = app
        .patch(
            "/users/me",
            Some(&access),
            json!({"firstName": "", "lastName": "x".repeat(101), "phone": "abc"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields().len(), 3);
    let email = app
        .patch("/users/me", Some(&access), json!({"email": "x@example.com"}))
        .await;
    assert_eq!(email.status, StatusCode::BAD_REQUEST);
    let cleared = app.patch("/users/me", Some(&access), json!({"phone": null})).await;
    assert_eq!(cleared.body["phone"], serde_json::Value::Null);

    let public = app.get(&format!("/users/{user_id}"), None).await;
    assert_eq!(public.status, StatusCode::OK);
    let mut keys: Vec<_> = public.body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["firstName", "id", "joinedAt", "roles"]);
    assert_eq!(public.body["firstName"], "Grace");
    assert_eq!(public.body["joinedAt"], updated.body["createdAt"]);
    let missing = app.get(&format!("/users/{}", ulid::Ulid::new()), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/users/not-a-ulid", None).await.status, StatusCode::NOT_FOUND);
}

fn decode_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The local API of `app`'s store and clock, signing with `current` and accepting
/// `previous`: the same deployment after a key rotation. Its address.
async fn redeployed(app: &TestApp, current: &str, previous: Option<&str>) -> String {
    let other = app.sibling(&shared::app::Settings {
        jwt_secret: current.as_bytes().to_vec(),
        jwt_previous_secret: previous.map(|p| p.as_bytes().to_vec()),
        ..tests::app::test_settings()
    });
    app.serve_sibling(other).await
}

async fn a_rotated_key_keeps_verifying_during_the_overlap_and_is_401_once_retired(app: TestApp) {
    const NEW: &str = "the-rotated-in-key-the-rotated-in-key!";
    let (_, old_token, refresh) = app.signed_in("guest").await;
    let old_base = format!("http://{}", app.addr);
    let kid = |token: &str| {
        let header = token.split('.').next().unwrap();
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        header["kid"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(
        kid(&old_token),
        shared::auth::token::key_id(tests::app::TEST_JWT_SECRET.as_bytes())
    );

    // The overlap: the new key signs, the previous one still verifies.
    let overlap = redeployed(&app, NEW, Some(tests::app::TEST_JWT_SECRET)).await;
    assert_eq!(me_status(&overlap, &old_token).await, StatusCode::OK);
    let pair: serde_json::Value = reqwest::Client::new()
        .post(format!("{overlap}/auth/refresh"))
        .json(&json!({"refreshToken": refresh}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_token = pair["accessToken"].as_str().expect("refreshed").to_owned();
    assert_eq!(kid(&new_token), shared::auth::token::key_id(NEW.as_bytes()));
    assert_eq!(me_status(&overlap, &new_token).await, StatusCode::OK);
    // A sandbox not yet redeployed knows only the old key.
    assert_eq!(me_status(&old_base, &new_token).await, StatusCode::UNAUTHORIZED);

    // Retired: a token the old key signed is 401, the new key's work.
    let retired = redeployed(&app, NEW, None).await;
    assert_eq!(me_status(&retired, &old_token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&retired, &new_token).await, StatusCode::OK);
    // Sessions go on: refresh tokens are not signed with the key.
    let again = reqwest::Client::new()
        .post(format!("{retired}/auth/refresh"))
        .json(&json!({"refreshToken": pair["refreshToken"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}
