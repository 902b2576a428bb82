//! Trust and safety over HTTP and GraphQL on both stores: who may call the admin routes, what
//! a suspension refuses (login, refresh, older tokens within a minute, bookings of the host's
//! properties, search), unlisting and relisting, an admin's cancellation with a full refund,
//! review removal that keeps ratings exact under concurrency, and the audit log.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::App;
use shared::admin::roles::{self, RoleChange};
use shared::auth::Role;
use shared::reviews::model::SubRatings;
use shared::store::keys;
use tests::app::{Answer, PASSWORD, TestApp};
use tests::bookings::{act, booked, day, hosted_property, pay, pay_with, reissue, set_clock, user_id, wait_for};

tests::on_both_stores!(
    every_admin_route_is_401_anonymous_403_for_guests_and_hosts_and_2xx_for_admins,
    a_suspended_account_cannot_log_in_refresh_or_use_its_tokens,
    another_sandbox_refuses_the_tokens_within_a_minute_and_bookings_at_once,
    a_suspended_hosts_properties_leave_search_and_take_no_bookings,
    an_unlisted_property_leaves_every_search_and_its_bookings_go_on,
    an_admin_cancellation_refunds_in_full_with_the_admin_as_actor,
    removed_reviews_leave_lists_and_ratings_stay_exact_under_concurrency,
    the_audit_log_pages_newest_first_within_a_time_range,
    the_admin_routes_work_through_graphql_with_the_same_rules,
);

/// An admin: registered, granted the role as an operator would, signed in: (id, token).
async fn admin(app: &TestApp) -> (String, String) {
    let (email, user) = app.register("guest").await;
    let (granted, changed) = roles::change(
        app.app.store.as_ref(),
        app.app.clock.as_ref(),
        &email,
        RoleChange::Grant,
    )
    .await
    .expect("granted");
    assert!(changed);
    assert!(granted.roles.contains(&Role::Admin));
    let tokens = app.login(&email).await;
    let token = tokens["accessToken"].as_str().unwrap().to_owned();
    let me = app.get("/users/me", Some(&token)).await;
    assert_eq!(
        me.body["roles"],
        json!(["guest", "admin"]),
        "the role is in tokens issued after"
    );
    (user["id"].as_str().unwrap().to_owned(), token)
}

fn reason(text: &str) -> Value {
    json!({"reason": text})
}

/// A stay's parties and a property in Lisbon, at (38.72, -9.14).
struct Stay {
    host: String,
    host_id: String,
    property: String,
    guest: String,
    guest_id: String,
}

async fn stay(app: &TestApp) -> Stay {
    let (host, property) = hosted_property(
        app,
        "Europe/Lisbon",
        json!({"address": {"line1": "Rua 1", "city": "Lisbon", "country": "PT"}, "location": {"lat": 38.72, "lng": -9.14}}),
    )
    .await;
    let host_id = user_id(app, &host).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    Stay {
        host,
        host_id,
        property,
        guest,
        guest_id,
    }
}

/// The property ids a search finds.
async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let answer = app.get(&format!("/properties?{query}"), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{query}: {:?}", answer.body);
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

const CITY: &str = "city=lisbon";
const MAP: &str = "near=38.72,-9.14&radiusKm=5";

async fn every_admin_route_is_401_anonymous_403_for_guests_and_hosts_and_2xx_for_admins(app: TestApp) {
    let (_, admin_token) = admin(&app).await;
    let stay = stay(&app).await;
    let (email, target) = app.register("guest").await;
    let target = target["id"].as_str().unwrap().to_owned();
    let booking = booked(&app, &stay.guest, &stay.property, &day(30), &day(32)).await;
    let booking = booking["id"].as_str().unwrap().to_owned();
    let review = hidden_review(&app, &stay, 4).await;
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/admin/users?email={}", email.to_uppercase()), None),
        ("POST", format!("/admin/users/{target}/suspend"), Some(reason("spam"))),
        ("POST", format!("/admin/users/{target}/reinstate"), None),
        (
            "POST",
            format!("/admin/properties/{}/unlist", stay.property),
            Some(reason("scam")),
        ),
        (
            "POST",
            format!("/admin/properties/{}/relist", stay.property),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/admin/bookings/{booking}/cancel"),
            Some(reason("fraud")),
        ),
        ("POST", format!("/admin/reviews/{review}/remove"), Some(reason("abuse"))),
        ("GET", "/admin/audit".to_owned(), None),
    ];
    let app = &app;
    let send = |method: &str, path: &str, token: Option<&str>, body: Option<Value>| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let path = path.to_owned();
        let token = token.map(str::to_owned);
        async move { app.request(method, &path, token.as_deref(), body).await }
    };
    for (method, path, body) in &routes {
        let anonymous = send(method, path, None, body.clone()).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        let forged = send(method, path, Some("not.a.token"), body.clone()).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        for token in [&stay.guest, &stay.host] {
            let refused = send(method, path, Some(token), body.clone()).await;
            assert_eq!(
                refused.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {:?}",
                refused.body
            );
            assert_eq!(refused.code(), "forbidden");
        }
        // A token naming the role but signed with another key is no admin either.
        let forged_admin =
            shared::auth::token::AccessTokens::new(b"another-secret-another-secret-xx", "roost", "roost-api")
                .unwrap()
                .issue(&stay.guest_id, &[Role::Admin], app.app.clock.now())
                .unwrap();
        let refused = send(method, path, Some(&forged_admin), body.clone()).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    for (method, path, body) in &routes {
        let done = send(method, path, Some(&admin_token), body.clone()).await;
        assert_eq!(done.status, StatusCode::OK, "{method} {path}: {:?}", done.body);
    }
    let found = app
        .get(
            &format!("/admin/users?email={}", email.to_uppercase()),
            Some(&admin_token),
        )
        .await;
    let item = &found.body["items"][0];
    assert_eq!(item["id"], json!(target));
    assert_eq!(item["status"], "active", "reinstated");
    assert_eq!(item["emailVerified"], false);
    assert_eq!(item["roles"], json!(["guest"]));
    let none = app
        .get("/admin/users?email=nobody@example.com", Some(&admin_token))
        .await;
    assert_eq!(none.body["items"], json!([]));
    let missing = app.get("/admin/users", Some(&admin_token)).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.fields(), ["email"]);

    // Bad input is a 4xx naming the field; a non-admin learns nothing of it.
    for body in [json!({}), json!({"reason": "  "}), json!({"reason": "x".repeat(501)})] {
        let answer = app
            .post(&format!("/admin/users/{target}/suspend"), Some(&admin_token), body)
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", answer.body);
        assert_eq!(answer.fields(), ["reason"]);
    }
    let unknown = app
        .post(
            &format!("/admin/users/{target}/suspend"),
            Some(&admin_token),
            json!({"reason": "x", "ban": true}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let nobody = app
        .post(
            &format!("/admin/users/{}/suspend", ulid::Ulid::new()),
            Some(&admin_token),
            reason("x"),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let twice = app
        .post(
            &format!("/admin/reviews/{review}/remove"),
            Some(&admin_token),
            reason("again"),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    // Registering as an admin stays impossible.
    let registered = app
        .post(
            "/auth/register",
            None,
            json!({"email": "boss@example.com", "password": PASSWORD, "firstName": "B", "lastName": "C", "role": "admin"}),
        )
        .await;
    assert_eq!(registered.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(registered.fields(), ["role"]);
}

async fn a_suspended_account_cannot_log_in_refresh_or_use_its_tokens(app: TestApp) {
    let (admin_id, admin_token) = admin(&app).await;
    let (email, user) = app.register("host").await;
    let user_id = user["id"].as_str().unwrap().to_owned();
    let tokens = app.login(&email).await;
    let (access, refresh) = (
        tokens["accessToken"].as_str().unwrap().to_owned(),
        tokens["refreshToken"].as_str().unwrap().to_owned(),
    );
    assert_eq!(app.get("/users/me", Some(&access)).await.status, StatusCode::OK);

    let suspended = app
        .post(
            &format!("/admin/users/{user_id}/suspend"),
            Some(&admin_token),
            reason("chargebacks"),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{:?}", suspended.body);
    assert_eq!(suspended.body["status"], "suspended");
    assert!(suspended.body["suspendedAt"].is_string());
    assert_eq!(suspended.body["email"], json!(email));
    let again = app
        .post(
            &format!("/admin/users/{user_id}/suspend"),
            Some(&admin_token),
            reason("again"),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let own = app
        .post(
            &format!("/admin/users/{admin_id}/suspend"),
            Some(&admin_token),
            reason("oops"),
        )
        .await;
    assert_eq!(own.status, StatusCode::CONFLICT, "an admin cannot lock themselves out");

    let login = app
        .post("/auth/login", None, json!({"email": email, "password": PASSWORD}))
        .await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
    assert_eq!(login.code(), "account_suspended");
    let wrong = app
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": "not the password"}),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNAUTHORIZED,
        "only the right password learns of it"
    );
    let refreshed = app.post("/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(refreshed.status, StatusCode::FORBIDDEN);
    assert_eq!(refreshed.code(), "account_suspended");
    // This process made the change, so its older tokens are refused at once on every route.
    for path in ["/users/me", "/bookings", "/users/me/properties", "/conversations"] {
        let answer = app.get(path, Some(&access)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(answer.code(), "account_suspended", "{path}");
    }
    let listed = app
        .post(
            "/properties",
            Some(&access),
            tests::bookings::listing("Europe/Lisbon", json!({})),
        )
        .await;
    assert_eq!(listed.code(), "account_suspended");
    let me = app
        .post("/graphql", Some(&access), json!({"query": "{ me { id } }"}))
        .await;
    assert_eq!(
        me.body["errors"][0]["extensions"]["code"], "account_suspended",
        "{}",
        me.body
    );
    // Anonymous reads still answer: the token does not make them fail.
    assert_eq!(app.get(&format!("/users/{user_id}"), None).await.status, StatusCode::OK);

    let reinstated = app
        .post(
            &format!("/admin/users/{user_id}/reinstate"),
            Some(&admin_token),
            json!({}),
        )
        .await;
    assert_eq!(reinstated.status, StatusCode::OK);
    assert_eq!(reinstated.body["status"], "active");
    assert_eq!(reinstated.body["suspendedAt"], Value::Null);
    let not_suspended = app
        .post(
            &format!("/admin/users/{user_id}/reinstate"),
            Some(&admin_token),
            json!({}),
        )
        .await;
    assert_eq!(not_suspended.status, StatusCode::CONFLICT);
    assert_eq!(app.get("/users/me", Some(&access)).await.status, StatusCode::OK);
    let refreshed = app.post("/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(
        refreshed.status,
        StatusCode::UNAUTHORIZED,
        "refresh tokens from before the suspension stay revoked"
    );
    app.login(&email).await;
}

/// The app of another Lambda sandbox: the same table and clock, a cache of its own.
fn another_sandbox(app: &TestApp) -> &'static App {
    app.sibling(&tests::app::test_settings())
}

fn bearer(token: &str) -> shared::http::Request {
    lambda_http::http::Request::builder()
        .uri("/users/me")
        .header("authorization", format!("Bearer {token}"))
        .body(lambda_http::Body::Empty)
        .unwrap()
}

async fn another_sandbox_refuses_the_tokens_within_a_minute_and_bookings_at_once(app: TestApp) {
    let (_, admin_token) = admin(&app).await;
    let stay = stay(&app).await;
    let other = another_sandbox(&app);
    let (_, someone, _) = app.signed_in("guest").await;
    // The other sandbox has read the (empty) list of suspended accounts.
    let guest = shared::auth::authenticate(other, &bearer(&stay.guest))
        .await
        .expect("the guest's token works");
    let started = app.app.clock.now();
    for (id, token) in [(&stay.guest_id, &stay.guest), (&stay.host_id, &stay.host)] {
        let answer = app
            .post(
                &format!("/admin/users/{id}/suspend"),
                Some(&admin_token),
                reason("ring of fake accounts"),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        assert_eq!(app.get("/users/me", Some(token)).await.code(), "account_suspended");
    }
    // Its copy is still fresh: the token passes, but a booking at the suspended host's
    // property is refused by the booking's own transaction.
    let booking = shared::bookings::create::BookingInput {
        property_id: Some(stay.property.clone()),
        check_in: Some(day(20)),
        check_out: Some(day(22)),
        guests: Some(1),
    };
    let someone = shared::auth::authenticate(other, &bearer(&someone)).await.unwrap();
    let refused = shared::bookings::create::create(other, &someone, None, booking)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), 409, "{refused:?}");
    assert!(shared::auth::authenticate(other, &bearer(&stay.guest)).await.is_ok());
    assert_eq!(guest.user_id, stay.guest_id);
    // Up to a minute after it read the list, the other sandbox still knows nothing...
    let elapsed = app.app.clock.now() - started;
    app.clock.advance(chrono::Duration::seconds(59) - elapsed);
    assert!(shared::auth::authenticate(other, &bearer(&stay.guest)).await.is_ok());
    // ...and from then on refuses the token.
    app.clock.advance(chrono::Duration::seconds(1));
    let refused = shared::auth::authenticate(other, &bearer(&stay.guest))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "account_suspended");
    assert_eq!(refused.status(), 403);
}

async fn a_suspended_hosts_properties_leave_search_and_take_no_bookings(app: TestApp) {
    let (_, admin_token) = admin(&app).await;
    let stay = stay(&app).await;
    // A confirmed booking made before the suspension goes on.
    let confirmed = booked(&app, &stay.guest, &stay.property, &day(10), &day(12)).await;
    let confirmed = confirmed["id"].as_str().unwrap().to_owned();
    pay(&app, &stay.guest, &confirmed).await;
    wait_for(&app, &stay.guest, &confirmed, |b| b["status"] == "confirmed").await;
    assert_eq!(found(&app, CITY).await, std::slice::from_ref(&stay.property));
    assert_eq!(found(&app, MAP).await, std::slice::from_ref(&stay.property));

    let answer = app
        .post(
            &format!("/admin/users/{}/suspend", stay.host_id),
            Some(&admin_token),
            reason("scam host"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(found(&app, CITY).await.is_empty());
    assert!(found(&app, MAP).await.is_empty());
    assert!(
        found(&app, &format!("{CITY}&checkIn={}&checkOut={}", day(40), day(41)))
            .await
            .is_empty()
    );
    let (_, other_guest, _) = app.signed_in("guest").await;
    let refused = tests::bookings::book(&app, &other_guest, &stay.property, &day(20), &day(22)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    let quote = app
        .get(
            &format!(
                "/properties/{}/quote?checkIn={}&checkOut={}&guests=1",
                stay.property,
                day(20),
                day(22)
            ),
            None,
        )
        .await;
    assert_eq!(quote.status, StatusCode::CONFLICT);
    let kept = app.get(&format!("/bookings/{confirmed}"), Some(&stay.guest)).await;
    assert_eq!(kept.body["status"], "confirmed", "confirmed bookings go on");
    assert_eq!(
        app.get(&format!("/properties/{}", stay.property), None).await.status,
        StatusCode::OK
    );

    let answer = app
        .post(
            &format!("/admin/users/{}/reinstate", stay.host_id),
            Some(&admin_token),
            json!({}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(found(&app, CITY).await, std::slice::from_ref(&stay.property));
    let booked_again = tests::bookings::book(&app, &other_guest, &stay.property, &day(20), &day(22)).await;
    assert_eq!(booked_again.status, StatusCode::CREATED, "{:?}", booked_again.body);
}

async fn an_unlisted_property_leaves_every_search_and_its_bookings_go_on(app: TestApp) {
    let (admin_id, admin_token) = admin(&app).await;
    let stay = stay(&app).await;
    let pending = booked(&app, &stay.guest, &stay.property, &day(10), &day(12)).await;
    let pending = pending["id"].as_str().unwrap().to_owned();

    let unlisted = app
        .post(
            &format!("/admin/properties/{}/unlist", stay.property),
            Some(&admin_token),
            reason("stolen photos"),
        )
        .await;
    assert_eq!(unlisted.status, StatusCode::OK, "{:?}", unlisted.body);
    assert_eq!(unlisted.body["listingStatus"], "unlisted");
    assert_eq!(unlisted.body["id"], json!(stay.property));
    let twice = app
        .post(
            &format!("/admin/properties/{}/unlist", stay.property),
            Some(&admin_token),
            reason("x"),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert!(found(&app, CITY).await.is_empty());
    assert!(found(&app, MAP).await.is_empty());
    assert!(found(&app, "bbox=-9.2,38.7,-9.1,38.8").await.is_empty());
    let shown = app.get(&format!("/properties/{}", stay.property), None).await;
    assert_eq!(shown.body["listingStatus"], "unlisted", "still readable by id");
    let refused = tests::bookings::book(&app, &stay.guest, &stay.property, &day(20), &day(22)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    // The host's edits do not bring it back to search.
    let patched = app
        .patch(
            &format!("/properties/{}", stay.property),
            Some(&stay.host),
            json!({"title": "Renamed", "location": {"lat": 38.73, "lng": -9.15}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["listingStatus"], "unlisted");
    assert!(found(&app, CITY).await.is_empty());
    assert!(found(&app, MAP).await.is_empty());
    // The booking made before goes on: it can be paid and confirmed.
    pay(&app, &stay.guest, &pending).await;
    wait_for(&app, &stay.guest, &pending, |b| b["status"] == "confirmed").await;

    let relisted = app
        .post(
            &format!("/admin/properties/{}/relist", stay.property),
            Some(&admin_token),
            json!({}),
        )
        .await;
    assert_eq!(relisted.status, StatusCode::OK, "{:?}", relisted.body);
    assert_eq!(relisted.body["listingStatus"], "listed");
    assert_eq!(relisted.body["title"], "Renamed");
    assert_eq!(found(&app, CITY).await, std::slice::from_ref(&stay.property));
    assert_eq!(found(&app, MAP).await, std::slice::from_ref(&stay.property));
    let again = app
        .post(
            &format!("/admin/properties/{}/relist", stay.property),
            Some(&admin_token),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let booked_again = tests::bookings::book(&app, &stay.guest, &stay.property, &day(20), &day(22)).await;
    assert_eq!(booked_again.status, StatusCode::CREATED);

    let audit = app.get("/admin/audit", Some(&admin_token)).await;
    let items = audit.body["items"].as_array().unwrap();
    let actions: Vec<&str> = items.iter().map(|i| i["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["relist_property", "unlist_property", "grant_admin"]);
    assert_eq!(items[1]["reason"], "stolen photos");
    assert_eq!(items[1]["adminId"], json!(admin_id));
    assert_eq!(items[1]["subjectId"], json!(stay.property));
    assert_eq!(items[2]["adminId"], "operator");
    assert_eq!(items.len(), 3, "refused actions recorded nothing");
}

async fn an_admin_cancellation_refunds_in_full_with_the_admin_as_actor(app: TestApp) {
    let (admin_id, _) = admin(&app).await;
    // Strict, and a day before check-in: the guest's own cancellation would refund nothing.
    let (_, property) = hosted_property(&app, "Europe/Lisbon", json!({"cancellationPolicy": "strict"})).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let booking = booked(&app, &guest, &property, &day(3), &day(5)).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let paid = pay_with(&app, &guest, &id, "pm_card_visa").await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);
    wait_for(&app, &guest, &id, |b| b["status"] == "confirmed").await;
    set_clock(&app, &format!("{}T10:00:00Z", day(2))).await;
    let (guest, admin_token) = (reissue(&app, &guest_id), reissue_admin(&app, &admin_id));

    let missing = app
        .post(&format!("/admin/bookings/{id}/cancel"), Some(&admin_token), json!({}))
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cancelled = app
        .post(
            &format!("/admin/bookings/{id}/cancel"),
            Some(&admin_token),
            reason("host is a fraud"),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(
        cancelled.body["refund"], cancelled.body["price"]["total"],
        "a full refund"
    );
    let last = cancelled.body["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], json!(admin_id));
    assert_eq!(last["reason"], "host is a fraud");
    // Through the same refund path as every cancellation: the payment is refunded in full.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let payments = app.get(&format!("/bookings/{id}/payments"), Some(&guest)).await;
        if payments.body["items"][0]["status"] == "refunded" {
            assert_eq!(
                payments.body["items"][0]["refunds"][0]["amount"],
                cancelled.body["price"]["total"]
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never refunded: {:?}",
            payments.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let again = app
        .post(
            &format!("/admin/bookings/{id}/cancel"),
            Some(&admin_token),
            reason("again"),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let unknown = app
        .post(
            &format!("/admin/bookings/{}/cancel", ulid::Ulid::new()),
            Some(&admin_token),
            reason("x"),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // A stay that has begun is not cancelled.
    let started = booked(&app, &guest, &property, &day(2), &day(4)).await;
    let started = started["id"].as_str().unwrap().to_owned();
    pay(&app, &guest, &started).await;
    wait_for(&app, &guest, &started, |b| b["status"] == "confirmed").await;
    assert_eq!(act(&app, &guest, &started, "check-in").await.status, StatusCode::OK);
    let refused = app
        .post(
            &format!("/admin/bookings/{started}/cancel"),
            Some(&admin_token),
            reason("x"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
}

/// A fresh admin token for `user_id` at the app's clock (tokens last 15 minutes).
fn reissue_admin(app: &TestApp, user_id: &str) -> String {
    app.app
        .keys
        .fixed_value()
        .expect("a test app's keys are fixed")
        .tokens
        .issue(user_id, &[Role::Guest, Role::Admin], app.app.clock.now())
        .expect("token")
}

/// A hidden guest review of the stay's property by its guest; its id.
async fn hidden_review(app: &TestApp, stay: &Stay, rating: u8) -> String {
    let sub_ratings = SubRatings {
        cleanliness: Some(rating),
        ..SubRatings::default()
    };
    tests::reviews::hidden_guest_review(app, &stay.property, &stay.guest_id, rating, sub_ratings)
        .await
        .id
}

async fn removed_reviews_leave_lists_and_ratings_stay_exact_under_concurrency(app: TestApp) {
    let (admin_id, admin_token) = admin(&app).await;
    let stay = stay(&app).await;
    let admin_principal = shared::auth::Principal {
        user_id: admin_id,
        roles: vec![Role::Guest, Role::Admin],
    };
    // Twenty hidden reviews; each is published (as its second review or window end would)
    // while half of them are removed, all at once, in both orders.
    let mut reviews = Vec::new();
    for n in 0..20u8 {
        let rating = n % 5 + 1;
        let id = hidden_review(&app, &stay, rating).await;
        let booking = app.app.store.get(&keys::review(&id)).await.unwrap().unwrap().attrs["bookingId"]
            .as_str()
            .unwrap()
            .to_owned();
        reviews.push((id, booking, rating));
    }
    let app_ref = app.app;
    let mut runs = Vec::new();
    for (n, (id, booking, _)) in reviews.iter().enumerate() {
        let booking = booking.clone();
        runs.push(tokio::spawn(async move {
            shared::reviews::publish::publish_booking(app_ref, &booking)
                .await
                .map(drop)
        }));
        if n % 2 == 0 {
            let (id, admin) = (id.clone(), admin_principal.clone());
            let input = shared::admin::ReasonInput {
                reason: Some("fake review".into()),
            };
            runs.push(tokio::spawn(async move {
                shared::reviews::remove::remove(app_ref, &admin, &id, Some(input))
                    .await
                    .map(drop)
            }));
        }
    }
    for run in futures::future::join_all(runs).await {
        run.unwrap().unwrap();
    }
    let kept: Vec<&(String, String, u8)> = reviews
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 2 == 1)
        .map(|(_, r)| r)
        .collect();
    let sum: u64 = kept.iter().map(|(_, _, rating)| u64::from(*rating)).sum();
    let property = app
        .app
        .store
        .get(&keys::property(&stay.property))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(property.attrs["ratingCount"], 10);
    assert_eq!(property.attrs["ratingSum"], sum);
    assert_eq!(property.attrs["cleanlinessSum"], sum);
    assert_eq!(property.attrs["cleanlinessCount"], 10);
    let listed = app
        .get(&format!("/properties/{}/reviews?limit=100", stay.property), None)
        .await;
    let mut ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut want: Vec<&str> = kept.iter().map(|(id, _, _)| id.as_str()).collect();
    ids.sort_unstable();
    want.sort_unstable();
    assert_eq!(ids, want, "exactly the reviews left are listed");

    // Over HTTP: removing a published review recomputes the shown rating at once.
    let (first, _, rating) = kept[0];
    let removed = app
        .post(
            &format!("/admin/reviews/{first}/remove"),
            Some(&admin_token),
            reason("off topic"),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert_eq!(removed.body["id"], json!(first));
    let shown = app.get(&format!("/properties/{}", stay.property), None).await;
    let left = sum - u64::from(*rating);
    assert_eq!(shown.body["rating"]["count"], 9);
    assert_eq!(
        shown.body["rating"]["average"],
        json!((left as f64 / 9.0 * 100.0).round() / 100.0)
    );
    let response = app
        .post(
            &format!("/reviews/{first}/response"),
            Some(&stay.host),
            json!({"comment": "Thanks"}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NOT_FOUND,
        "a removed review exists for nobody"
    );
    let unknown = app
        .post(
            &format!("/admin/reviews/{}/remove", ulid::Ulid::new()),
            Some(&admin_token),
            reason("x"),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn the_audit_log_pages_newest_first_within_a_time_range(app: TestApp) {
    let (_, admin_token) = admin(&app).await;
    let mut targets = Vec::new();
    let start = app.app.clock.now();
    for _ in 0..5 {
        let (_, user) = app.register("guest").await;
        let id = user["id"].as_str().unwrap().to_owned();
        app.clock.advance(chrono::Duration::seconds(10));
        let answer = app
            .post(
                &format!("/admin/users/{id}/suspend"),
                Some(&admin_token),
                reason("spam"),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        targets.push(id);
    }
    let admin_token = reissue_admin(&app, &user_id(&app, &admin_token).await);
    let mut seen = Vec::new();
    let mut path = "/admin/audit?limit=2".to_owned();
    loop {
        let page = app.get(&path, Some(&admin_token)).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            seen.push((
                item["action"].as_str().unwrap().to_owned(),
                item["subjectId"].as_str().unwrap().to_owned(),
            ));
            assert!(item["at"].as_str().unwrap().ends_with('Z'));
            assert!(item["id"].is_string());
        }
        match page.body["nextCursor"].as_str() {
            Some(cursor) => path = format!("/admin/audit?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected: Vec<(String, String)> = targets
        .iter()
        .rev()
        .map(|id| ("suspend_user".to_owned(), id.clone()))
        .collect();
    assert_eq!(&seen[..5], &expected[..]);
    assert_eq!(seen[5].0, "grant_admin");
    assert_eq!(seen.len(), 6);

    // The second to fourth suspension: `from` included, `to` excluded.
    let at = |seconds: i64| {
        (start + chrono::Duration::seconds(seconds))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            .replace('+', "%2B")
    };
    let ranged = app
        .get(
            &format!("/admin/audit?from={}&to={}", at(15), at(45)),
            Some(&admin_token),
        )
        .await;
    assert_eq!(ranged.status, StatusCode::OK, "{:?}", ranged.body);
    let subjects: Vec<&str> = ranged.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["subjectId"].as_str().unwrap())
        .collect();
    expected.reverse();
    let want: Vec<&str> = expected[1..4].iter().rev().map(|(_, id)| id.as_str()).collect();
    assert_eq!(subjects, want);

    let malformed = app.get("/admin/audit?from=yesterday", Some(&admin_token)).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let inverted = app
        .get(
            &format!("/admin/audit?from={}&to={}", at(45), at(15)),
            Some(&admin_token),
        )
        .await;
    assert_eq!(inverted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(inverted.fields(), ["to"]);
    let tampered = app.get("/admin/audit?cursor=abc.def", Some(&admin_token)).await;
    assert_eq!(tampered.status, StatusCode::BAD_REQUEST);
}

async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Answer {
    app.post("/graphql", token, json!({"query": query, "variables": variables}))
        .await
}

fn gql_code(answer: &Answer) -> &str {
    answer.body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

async fn the_admin_routes_work_through_graphql_with_the_same_rules(app: TestApp) {
    let (_, admin_token) = admin(&app).await;
    let stay = stay(&app).await;
    let (email, target) = app.register("guest").await;
    let target = target["id"].as_str().unwrap().to_owned();
    let find = "query($email: String!) { adminUsers(email: $email) { id status emailVerified roles suspendedAt } }";
    let suspend = "mutation($id: ID!, $reason: String) { suspendUser(input: {userId: $id, reason: $reason}) { user { id status } } }";
    for token in [None, Some(stay.guest.as_str()), Some(stay.host.as_str())] {
        let answer = gql(&app, token, find, json!({"email": email})).await;
        assert_eq!(answer.body["data"]["adminUsers"], Value::Null);
        let want = if token.is_none() { "unauthorized" } else { "forbidden" };
        assert_eq!(gql_code(&answer), want, "{}", answer.body);
        let answer = gql(&app, token, suspend, json!({"id": target, "reason": "x"})).await;
        assert_eq!(gql_code(&answer), want, "{}", answer.body);
    }
    let answer = gql(&app, Some(&admin_token), find, json!({"email": email.to_uppercase()})).await;
    assert_eq!(
        answer.body["data"]["adminUsers"][0]["status"], "active",
        "{}",
        answer.body
    );
    let missing = gql(&app, Some(&admin_token), suspend, json!({"id": target})).await;
    assert_eq!(gql_code(&missing), "validation_failed");
    assert_eq!(missing.body["errors"][0]["extensions"]["details"][0]["field"], "reason");
    let suspended = gql(
        &app,
        Some(&admin_token),
        suspend,
        json!({"id": target, "reason": "spam"}),
    )
    .await;
    assert_eq!(
        suspended.body["data"]["suspendUser"]["user"]["status"], "suspended",
        "{}",
        suspended.body
    );
    let login = gql(
        &app,
        None,
        "mutation($e: String, $p: String) { login(input: {email: $e, password: $p}) { tokens { accessToken } } }",
        json!({"e": email, "p": PASSWORD}),
    )
    .await;
    assert_eq!(gql_code(&login), "account_suspended", "{}", login.body);
    let reinstated = gql(
        &app,
        Some(&admin_token),
        "mutation($id: ID!) { reinstateUser(input: {userId: $id}) { user { status suspendedAt } } }",
        json!({"id": target}),
    )
    .await;
    assert_eq!(
        reinstated.body["data"]["reinstateUser"]["user"]["status"], "active",
        "{}",
        reinstated.body
    );

    let unlist = gql(
        &app,
        Some(&admin_token),
        "mutation($id: ID!) { unlistProperty(input: {propertyId: $id, reason: \"scam\"}) { property { id listingStatus } } }",
        json!({"id": stay.property}),
    )
    .await;
    assert_eq!(
        unlist.body["data"]["unlistProperty"]["property"]["listingStatus"], "unlisted",
        "{}",
        unlist.body
    );
    let searched = gql(
        &app,
        None,
        "{ searchProperties(city: \"Lisbon\") { edges { node { property { id } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        searched.body["data"]["searchProperties"]["edges"],
        json!([]),
        "{}",
        searched.body
    );
    let relist = gql(
        &app,
        Some(&admin_token),
        "mutation($id: ID!) { relistProperty(input: {propertyId: $id}) { property { listingStatus } } }",
        json!({"id": stay.property}),
    )
    .await;
    assert_eq!(
        relist.body["data"]["relistProperty"]["property"]["listingStatus"],
        "listed"
    );

    let booking = booked(&app, &stay.guest, &stay.property, &day(30), &day(31)).await;
    let cancel = gql(
        &app,
        Some(&admin_token),
        "mutation($id: ID!) { adminCancelBooking(input: {bookingId: $id, reason: \"fraud\"}) { booking { status history { actor reason } } } }",
        json!({"id": booking["id"]}),
    )
    .await;
    assert_eq!(
        cancel.body["data"]["adminCancelBooking"]["booking"]["status"], "cancelled",
        "{}",
        cancel.body
    );

    let review = hidden_review(&app, &stay, 5).await;
    let removed = gql(
        &app,
        Some(&admin_token),
        "mutation($id: ID!) { removeReview(input: {reviewId: $id, reason: \"abuse\"}) { removedReviewId } }",
        json!({"id": review}),
    )
    .await;
    assert_eq!(
        removed.body["data"]["removeReview"]["removedReviewId"],
        json!(review),
        "{}",
        removed.body
    );
    let twice = gql(
        &app,
        Some(&admin_token),
        "mutation($id: ID!) { removeReview(input: {reviewId: $id, reason: \"abuse\"}) { removedReviewId } }",
        json!({"id": review}),
    )
    .await;
    assert_eq!(gql_code(&twice), "conflict");

    let audit = gql(
        &app,
        Some(&admin_token),
        "{ auditLog(first: 10) { edges { node { action adminId subjectId reason at } } pageInfo { hasNextPage } } }",
        json!({}),
    )
    .await;
    let actions: Vec<&str> = audit.body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", audit.body))
        .iter()
        .map(|edge| edge["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "remove_review",
            "cancel_booking",
            "relist_property",
            "unlist_property",
            "reinstate_user",
            "suspend_user",
            "grant_admin"
        ]
    );
    let guest_audit = gql(
        &app,
        Some(&stay.guest),
        "{ auditLog { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(gql_code(&guest_audit), "forbidden");
}
