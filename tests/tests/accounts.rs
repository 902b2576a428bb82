//! Accounts over HTTP on both stores: email verification, password reset and change (with
//! every old refresh token revoked), email preferences, and the booking emails, each once.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

use shared::events::{Event, EventType, Queue};
use tests::app::{PASSWORD, TestApp};
use tests::bookings::{act, advance, booked, day, hosted_property, pay, plus, user_id};
use tests::mail::{settled_mail, token_in, wait_for_mail};

tests::on_both_stores!(
    registration_sends_a_verification_link_that_works_once,
    verification_requests_wait_a_minute_and_stop_once_verified,
    two_uses_of_one_token_at_once_succeed_once,
    reset_answers_alike_for_unknown_addresses_and_revokes_every_session,
    reset_emails_stop_at_three_an_hour,
    change_password_checks_the_current_one_and_revokes_sessions,
    bad_account_input_is_a_clear_4xx,
    preferences_default_on_and_turn_emails_off,
    booking_moments_email_each_side_once,
    graphql_reaches_the_same_account_actions,
    a_failing_mail_service_leaves_the_event_on_the_dead_letter_queue,
    security_emails_go_whatever_the_preferences,
);

const VERIFY: &str = "Confirm your email address";
const RESET: &str = "Reset your Roost password";
const CHANGED: &str = "Your Roost password was changed";

async fn email_of(app: &TestApp, token: &str) -> String {
    let me = app.get("/users/me", Some(token)).await;
    me.body["email"].as_str().expect("an email").to_owned()
}

async fn registration_sends_a_verification_link_that_works_once(app: TestApp) {
    let (email, user) = app.register("guest").await;
    assert_eq!(user["emailVerified"], false);
    let mails = wait_for_mail(&app, &email, VERIFY, 1).await;
    let mail = &mails[0];
    assert!(mail["text"].as_str().unwrap().contains("/verify-email?token="));
    assert!(mail["html"].as_str().unwrap().contains("Ada"));
    let token = token_in(mail, "/verify-email");
    // Only the hash is stored: the token appears nowhere in the table's keys.
    assert_eq!(token.len(), 43);

    let verified = app.post("/auth/verify-email", None, json!({"token": token})).await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    assert_eq!(verified.body["emailVerified"], true);
    assert_eq!(verified.body["email"], email);
    let tokens = app.login(&email).await;
    let me = app.get("/users/me", tokens["accessToken"].as_str()).await;
    assert_eq!(me.body["emailVerified"], true);

    let again = app.post("/auth/verify-email", None, json!({"token": token})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.code(), "invalid_token");
}

async fn verification_requests_wait_a_minute_and_stop_once_verified(app: TestApp) {
    let (email, _) = app.register("guest").await;
    let tokens = app.login(&email).await;
    let access = tokens["accessToken"].as_str().unwrap();
    wait_for_mail(&app, &email, VERIFY, 1).await;

    let first = app.post("/auth/verify-email/request", Some(access), json!({})).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{:?}", first.body);
    let second = app.post("/auth/verify-email/request", Some(access), json!({})).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", second.body);
    let retry: u64 = second.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let mails = wait_for_mail(&app, &email, VERIFY, 2).await;

    advance(&app, 61).await;
    let third = app.post("/auth/verify-email/request", Some(access), json!({})).await;
    assert_eq!(third.status, StatusCode::ACCEPTED, "{:?}", third.body);
    wait_for_mail(&app, &email, VERIFY, 3).await;

    // Any live link verifies; then asking again is 409.
    let token = token_in(&mails[0], "/verify-email");
    let verified = app.post("/auth/verify-email", None, json!({"token": token})).await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    advance(&app, 61).await;
    let done = app.post("/auth/verify-email/request", Some(access), json!({})).await;
    assert_eq!(done.status, StatusCode::CONFLICT, "{:?}", done.body);

    // Anonymous callers are refused.
    let anonymous = app.post("/auth/verify-email/request", None, json!({})).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn two_uses_of_one_token_at_once_succeed_once(app: TestApp) {
    let (email, _) = app.register("guest").await;
    let reset = app
        .post("/auth/password-reset/request", None, json!({"email": email}))
        .await;
    assert_eq!(reset.status, StatusCode::ACCEPTED);
    let token = token_in(&wait_for_mail(&app, &email, RESET, 1).await[0], "/reset-password");
    let attempts = (0..4).map(|i| {
        let app = &app;
        let token = token.clone();
        async move {
            app.post(
                "/auth/password-reset",
                None,
                json!({"token": token, "password": format!("brand new passphrase {i}")}),
            )
            .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let won: Vec<_> = answers.iter().filter(|a| a.status == StatusCode::NO_CONTENT).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    for answer in answers.iter().filter(|a| a.status != StatusCode::NO_CONTENT) {
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
        assert_eq!(answer.code(), "invalid_token");
    }
}

async fn reset_answers_alike_for_unknown_addresses_and_revokes_every_session(app: TestApp) {
    let (email, _) = app.register("guest").await;
    let first = app.login(&email).await;
    let second = app.login(&email).await;

    let known = app
        .post(
            "/auth/password-reset/request",
            None,
            json!({"email": email.to_uppercase()}),
        )
        .await;
    let stranger = format!("nobody-{}@example.com", ulid::Ulid::new().to_string().to_lowercase());
    let unknown = app
        .post("/auth/password-reset/request", None, json!({"email": stranger}))
        .await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert!(settled_mail(&app, &stranger, "").await.is_empty());

    let mail = &wait_for_mail(&app, &email, RESET, 1).await[0];
    let token = token_in(mail, "/reset-password");
    let reset = app
        .post(
            "/auth/password-reset",
            None,
            json!({"token": token, "password": "a much newer passphrase"}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{:?}", reset.body);

    let old = app
        .post("/auth/login", None, json!({"email": email, "password": PASSWORD}))
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    for family in [&first, &second] {
        let refreshed = app
            .post("/auth/refresh", None, json!({"refreshToken": family["refreshToken"]}))
            .await;
        assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED, "{:?}", refreshed.body);
    }
    let new = app
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": "a much newer passphrase"}),
        )
        .await;
    assert_eq!(new.status, StatusCode::OK, "{:?}", new.body);
    // A session started after the reset refreshes.
    let refreshed = app
        .post("/auth/refresh", None, json!({"refreshToken": new.body["refreshToken"]}))
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{:?}", refreshed.body);
    wait_for_mail(&app, &email, CHANGED, 1).await;

    let reused = app
        .post(
            "/auth/password-reset",
            None,
            json!({"token": token, "password": "yet another one!"}),
        )
        .await;
    assert_eq!(reused.code(), "invalid_token");

    // A reset link lives an hour.
    app.post("/auth/password-reset/request", None, json!({"email": email}))
        .await;
    let late = token_in(&wait_for_mail(&app, &email, RESET, 2).await[0], "/reset-password");
    advance(&app, 3_601).await;
    let expired = app
        .post(
            "/auth/password-reset",
            None,
            json!({"token": late, "password": "too late for this"}),
        )
        .await;
    assert_eq!(expired.code(), "invalid_token", "{:?}", expired.body);
}

async fn reset_emails_stop_at_three_an_hour(app: TestApp) {
    let (email, _) = app.register("guest").await;
    for _ in 0..5 {
        let answer = app
            .post("/auth/password-reset/request", None, json!({"email": email}))
            .await;
        assert_eq!(answer.status, StatusCode::ACCEPTED);
    }
    wait_for_mail(&app, &email, RESET, 3).await;
    assert_eq!(settled_mail(&app, &email, RESET).await.len(), 3);
    advance(&app, 3_601).await;
    app.post("/auth/password-reset/request", None, json!({"email": email}))
        .await;
    wait_for_mail(&app, &email, RESET, 4).await;
}

async fn change_password_checks_the_current_one_and_revokes_sessions(app: TestApp) {
    let (_, access, refresh) = app.signed_in("guest").await;
    let email = email_of(&app, &access).await;

    let wrong = app
        .post(
            "/users/me/password",
            Some(&access),
            json!({"currentPassword": "not my password", "newPassword": "a fresh passphrase"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.fields(), vec!["currentPassword"]);
    let short = app
        .post(
            "/users/me/password",
            Some(&access),
            json!({"currentPassword": PASSWORD, "newPassword": "short"}),
        )
        .await;
    assert_eq!(short.fields(), vec!["newPassword"]);

    let changed = app
        .post(
            "/users/me/password",
            Some(&access),
            json!({"currentPassword": PASSWORD, "newPassword": "a fresh passphrase"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    let old = app.post("/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let login = app
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": "a fresh passphrase"}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    wait_for_mail(&app, &email, CHANGED, 1).await;

    // Wrong current passwords count as failed logins (the change above cleared the earlier
    // one): after 5 the account is locked out, for login and for this route alike.
    for _ in 0..5 {
        app.post(
            "/users/me/password",
            Some(&access),
            json!({"currentPassword": "guess", "newPassword": "whatever it is"}),
        )
        .await;
    }
    let locked = app
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": "a fresh passphrase"}),
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", locked.body);
    let also = app
        .post(
            "/users/me/password",
            Some(&access),
            json!({"currentPassword": "a fresh passphrase", "newPassword": "whatever it is"}),
        )
        .await;
    assert_eq!(also.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", also.body);
}

async fn bad_account_input_is_a_clear_4xx(app: TestApp) {
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "/auth/verify-email",
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "/auth/verify-email",
            json!({"token": 7}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/auth/verify-email",
            json!({"token": "nope"}),
            StatusCode::BAD_REQUEST,
            "invalid_token",
        ),
        (
            "/auth/verify-email",
            json!({"token": "A".repeat(43)}),
            StatusCode::BAD_REQUEST,
            "invalid_token",
        ),
        (
            "/auth/password-reset/request",
            json!({"email": "not-an-email"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "/auth/password-reset/request",
            json!({"email": "a@b.co", "x": 1}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/auth/password-reset",
            json!({"token": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "/auth/password-reset",
            json!({"token": "B".repeat(43), "password": "long enough pass"}),
            StatusCode::BAD_REQUEST,
            "invalid_token",
        ),
    ];
    for (path, body, status, code) in cases {
        let answer = app.post(path, None, body.clone()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{path} {body}: {:?}",
            answer.body
        );
    }
    let (_, access, _) = app.signed_in("guest").await;
    let missing = app.post("/users/me/password", Some(&access), json!({})).await;
    assert_eq!(missing.fields(), vec!["currentPassword", "newPassword"]);
    let malformed = app
        .raw(
            reqwest::Method::POST,
            "/auth/password-reset",
            "application/json",
            b"{".to_vec(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

async fn preferences_default_on_and_turn_emails_off(app: TestApp) {
    let (_, access, _) = app.signed_in("guest").await;
    let defaults = app.get("/users/me/notifications", Some(&access)).await;
    assert_eq!(defaults.status, StatusCode::OK);
    assert_eq!(
        defaults.body,
        json!({"bookingUpdates": true, "messages": true, "reviews": true})
    );
    let off = app
        .patch("/users/me/notifications", Some(&access), json!({"messages": false}))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{:?}", off.body);
    assert_eq!(
        off.body,
        json!({"bookingUpdates": true, "messages": false, "reviews": true})
    );
    let read = app.get("/users/me/notifications", Some(&access)).await;
    assert_eq!(read.body, off.body);
    let wrong_type = app
        .patch("/users/me/notifications", Some(&access), json!({"messages": "no"}))
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    let unknown = app
        .patch("/users/me/notifications", Some(&access), json!({"security": false}))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let anonymous = app.get("/users/me/notifications", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn booking_moments_email_each_side_once(app: TestApp) {
    // A request-to-book stay: requested (host), confirmed (both); a second one declined.
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({"instantBook": false})).await;
    let host_email = email_of(&app, &host).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let guest_email = email_of(&app, &guest).await;
    let check_in = day(30);

    let booking = booked(&app, &guest, &property, &check_in, &plus(&check_in, 3)).await;
    let id = booking["id"].as_str().unwrap();
    pay(&app, &guest, id).await;
    let requested = wait_for_mail(&app, &host_email, "New booking request", 1).await;
    assert!(
        requested[0]["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().ends_with(&format!("/bookings/{id}")))
    );
    let accepted = act(&app, &host, id, "accept").await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    wait_for_mail(&app, &guest_email, "is confirmed", 1).await;
    wait_for_mail(&app, &host_email, "Booking confirmed", 1).await;

    // A message emails the other side; the guest turned message emails off.
    let off = app
        .patch("/users/me/notifications", Some(&guest), json!({"messages": false}))
        .await;
    assert_eq!(off.status, StatusCode::OK);
    let conversation = booked_conversation(&app, &guest, id).await;
    let sent = app
        .post(
            &format!("/conversations/{conversation}/messages"),
            Some(&host),
            json!({"body": "See you soon!"}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    let guest_sent = app
        .post(
            &format!("/conversations/{conversation}/messages"),
            Some(&guest),
            json!({"body": "Can't wait"}),
        )
        .await;
    assert_eq!(guest_sent.status, StatusCode::CREATED, "{:?}", guest_sent.body);
    wait_for_mail(&app, &host_email, "New message from", 1).await;
    assert!(settled_mail(&app, &guest_email, "New message from").await.is_empty());

    let second = booked(&app, &guest, &property, &plus(&check_in, 10), &plus(&check_in, 12)).await;
    let second_id = second["id"].as_str().unwrap();
    pay(&app, &guest, second_id).await;
    wait_for_mail(&app, &host_email, "New booking request", 2).await;
    let declined = act(&app, &host, second_id, "decline").await;
    assert_eq!(declined.status, StatusCode::OK, "{:?}", declined.body);
    wait_for_mail(&app, &guest_email, "was declined", 1).await;

    // A redelivered event sends nothing twice: one event handled twice emails once more.
    let event = Event::new(EventType::BookingConfirmed, id, chrono::Utc::now(), json!({}));
    for _ in 0..2 {
        shared::notifications::on_event(app.app, event.clone())
            .await
            .expect("handled");
    }
    assert_eq!(wait_for_mail(&app, &guest_email, "is confirmed", 2).await.len(), 2);
    assert_eq!(settled_mail(&app, &guest_email, "is confirmed").await.len(), 2);
    assert_eq!(settled_mail(&app, &host_email, "New booking request").await.len(), 2);
    assert_eq!(settled_mail(&app, &guest_email, "was declined").await.len(), 1);
    let _ = user_id(&app, &guest).await;
}

/// The conversation a booking joined.
async fn booked_conversation(app: &TestApp, token: &str, booking_id: &str) -> String {
    let booking = app.get(&format!("/bookings/{booking_id}"), Some(token)).await;
    booking.body["conversationId"]
        .as_str()
        .unwrap_or_else(|| panic!("no conversation on {:?}", booking.body))
        .to_owned()
}

/// Sends a GraphQL request; the whole answer body.
async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let answer = app
        .post("/graphql", token, json!({"query": query, "variables": variables}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

async fn graphql_reaches_the_same_account_actions(app: TestApp) {
    let (_, access, refresh) = app.signed_in("guest").await;
    let email = email_of(&app, &access).await;
    let verify_link = token_in(&wait_for_mail(&app, &email, VERIFY, 1).await[0], "/verify-email");

    // Verification: request (202 there, accepted here), the minute's wait, then the link.
    let request = "mutation { requestEmailVerification { accepted } }";
    let first = gql(&app, Some(&access), request, json!({})).await;
    assert_eq!(first["data"]["requestEmailVerification"]["accepted"], true, "{first}");
    let again = gql(&app, Some(&access), request, json!({})).await;
    assert_eq!(error_code(&again), "rate_limited", "{again}");
    let anonymous = gql(&app, None, request, json!({})).await;
    assert_eq!(error_code(&anonymous), "unauthorized");
    let verify = "mutation($t: String) { verifyEmail(input: {token: $t}) { user { email emailVerified } } }";
    let verified = gql(&app, None, verify, json!({"t": verify_link})).await;
    assert_eq!(
        verified["data"]["verifyEmail"]["user"]["emailVerified"], true,
        "{verified}"
    );
    let reused = gql(&app, None, verify, json!({"t": verify_link})).await;
    assert_eq!(error_code(&reused), "invalid_token", "{reused}");
    let missing = gql(&app, None, verify, json!({})).await;
    assert_eq!(error_code(&missing), "validation_failed", "{missing}");
    assert_eq!(missing["errors"][0]["extensions"]["details"][0]["field"], "token");
    let me = gql(&app, Some(&access), "{ me { emailVerified } }", json!({})).await;
    assert_eq!(me["data"]["me"]["emailVerified"], true);

    // Preferences.
    let prefs = gql(
        &app,
        Some(&access),
        "{ notificationPreferences { bookingUpdates messages reviews } }",
        json!({}),
    )
    .await;
    assert_eq!(
        prefs["data"]["notificationPreferences"],
        json!({"bookingUpdates": true, "messages": true, "reviews": true})
    );
    let update = "mutation { updateNotificationPreferences(input: {reviews: false}) { preferences { bookingUpdates messages reviews } } }";
    let updated = gql(&app, Some(&access), update, json!({})).await;
    assert_eq!(
        updated["data"]["updateNotificationPreferences"]["preferences"],
        json!({"bookingUpdates": true, "messages": true, "reviews": false})
    );

    // Change: a wrong current password names its field; the right one revokes sessions.
    let change = "mutation($c: String, $n: String) { changePassword(input: {currentPassword: $c, newPassword: $n}) { changed } }";
    let wrong = gql(
        &app,
        Some(&access),
        change,
        json!({"c": "nope", "n": "graphql passphrase"}),
    )
    .await;
    assert_eq!(error_code(&wrong), "validation_failed");
    assert_eq!(
        wrong["errors"][0]["extensions"]["details"][0]["field"],
        "currentPassword"
    );
    let changed = gql(
        &app,
        Some(&access),
        change,
        json!({"c": PASSWORD, "n": "graphql passphrase"}),
    )
    .await;
    assert_eq!(changed["data"]["changePassword"]["changed"], true, "{changed}");
    let old = app.post("/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);

    // Reset: the same answer for an unknown address; the link sets a new password.
    let ask = "mutation($e: String) { requestPasswordReset(input: {email: $e}) { accepted } }";
    let known = gql(&app, None, ask, json!({"e": email})).await;
    let unknown = gql(&app, None, ask, json!({"e": "nobody-graphql@example.com"})).await;
    assert_eq!(known, unknown);
    let link = token_in(&wait_for_mail(&app, &email, RESET, 1).await[0], "/reset-password");
    let reset = "mutation($t: String, $p: String) { resetPassword(input: {token: $t, password: $p}) { changed } }";
    let done = gql(&app, None, reset, json!({"t": link, "p": "reset through graphql"})).await;
    assert_eq!(done["data"]["resetPassword"]["changed"], true, "{done}");
    let login = app
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": "reset through graphql"}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let twice = gql(&app, None, reset, json!({"t": link, "p": "reset through graphql"})).await;
    assert_eq!(error_code(&twice), "invalid_token");
}

async fn a_failing_mail_service_leaves_the_event_on_the_dead_letter_queue(app: TestApp) {
    let (email, _) = app.register("guest").await;
    wait_for_mail(&app, &email, VERIFY, 1).await;
    app.mail_fails.store(true, Ordering::SeqCst);
    let asked = app
        .post("/auth/password-reset/request", None, json!({"email": email}))
        .await;
    assert_eq!(
        asked.status,
        StatusCode::ACCEPTED,
        "the answer does not wait for the email"
    );
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let dead = app.bus.dead_letters(Queue::Notifications).await;
        if let Some(body) = dead.first() {
            assert!(body.contains("PasswordResetRequested"), "{body}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the failing email never reached the DLQ"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.mail_fails.store(false, Ordering::SeqCst);
    assert!(settled_mail(&app, &email, RESET).await.is_empty());
    // The failed attempts used up none of the hour's three reset emails.
    for _ in 0..3 {
        app.post("/auth/password-reset/request", None, json!({"email": email}))
            .await;
    }
    wait_for_mail(&app, &email, RESET, 3).await;
}

async fn security_emails_go_whatever_the_preferences(app: TestApp) {
    let (_, access, _) = app.signed_in("guest").await;
    let email = email_of(&app, &access).await;
    let off = app
        .patch(
            "/users/me/notifications",
            Some(&access),
            json!({"bookingUpdates": false, "messages": false, "reviews": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);
    app.post("/auth/password-reset/request", None, json!({"email": email}))
        .await;
    wait_for_mail(&app, &email, RESET, 1).await;
    let changed = app
        .post(
            "/users/me/password",
            Some(&access),
            json!({"currentPassword": PASSWORD, "newPassword": "still emailed to me"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);
    wait_for_mail(&app, &email, CHANGED, 1).await;

    // A booking email, by contrast, stays home.
    let (host, property) = hosted_property(&app, "Europe/Lisbon", json!({})).await;
    // The access token outlives the change (15 minutes); only refresh tokens were revoked.
    let guest = access;
    let check_in = day(40);
    let booking = booked(&app, &guest, &property, &check_in, &plus(&check_in, 2)).await;
    pay(&app, &guest, booking["id"].as_str().unwrap()).await;
    let host_email = email_of(&app, &host).await;
    wait_for_mail(&app, &host_email, "Booking confirmed", 1).await;
    assert!(settled_mail(&app, &email, "is confirmed").await.is_empty());
}
