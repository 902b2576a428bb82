//! `POST /graphql` through the local API on both stores: the register-to-review journey of
//! `e2e.rs` through GraphQL only, authorisation, validation details, idempotency, the limits,
//! and what a nested page costs in store calls.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::App;
use shared::app::Settings;
use shared::auth::{Principal, Role};
use shared::store::Store;
use shared::store::counting::CountingStore;
use tests::app::{Answer, PASSWORD, TEST_JWT_SECRET, TestApp};
use tests::bookings::{day, hosted_property, plus, set_clock};

tests::on_both_stores!(
    register_through_review_through_graphql_only,
    a_field_fails_alone_with_the_code_of_rest,
    validation_errors_name_the_fields_of_the_graphql_input,
    create_booking_and_pay_booking_are_idempotent,
    create_property_and_moves_take_an_idempotency_key,
    every_limit_refuses_before_anything_runs,
    a_nested_page_of_twenty_bookings_costs_three_store_calls,
    map_searches_take_near_and_bbox_and_carry_the_distance,
    check_in_instructions_show_to_the_host_only,
);

/// Sends a GraphQL request.
async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Answer {
    app.post("/graphql", token, json!({"query": query, "variables": variables}))
        .await
}

/// The data of an answer that must have no error.
fn data(answer: &Answer) -> &Value {
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    &answer.body["data"]
}

/// The `extensions.code` of the first error.
fn code(answer: &Answer) -> &str {
    answer.body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

/// The fields named in the first error's `extensions.details`.
fn fields(answer: &Answer) -> Vec<String> {
    let mut fields: Vec<String> = answer.body["errors"][0]["extensions"]["details"]
        .as_array()
        .map(|details| {
            details
                .iter()
                .filter_map(|d| d["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    fields.sort();
    fields
}

const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { user { id email firstName roles } } }";
const LOGIN: &str = "mutation($email: String, $password: String) {
    login(input: {email: $email, password: $password}) { tokens { accessToken refreshToken tokenType } } }";

/// Registers (role `guest` or `host`) and signs in through GraphQL: (user id, email, token).
async fn user(app: &TestApp, role: &str, first_name: &str) -> (String, String, String) {
    let email = format!(
        "{}-{}@example.com",
        first_name.to_lowercase(),
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let input =
        json!({"email": email, "password": PASSWORD, "firstName": first_name, "lastName": "Test", "role": role});
    let registered = gql(app, None, REGISTER, json!({"input": input})).await;
    let user = &data(&registered)["register"]["user"];
    assert_eq!(user["firstName"], first_name);
    let token = login(app, &email).await;
    (user["id"].as_str().unwrap().to_owned(), email, token)
}

async fn login(app: &TestApp, email: &str) -> String {
    let answer = gql(app, None, LOGIN, json!({"email": email, "password": PASSWORD})).await;
    let tokens = &data(&answer)["login"]["tokens"];
    assert_eq!(tokens["tokenType"], "Bearer");
    tokens["accessToken"].as_str().unwrap().to_owned()
}

/// Asks `query` until `done` holds of its data (10 s at most).
async fn until(app: &TestApp, token: &str, query: &str, variables: Value, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answer = gql(app, Some(token), query, variables.clone()).await;
        let found = data(&answer).clone();
        if done(&found) {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "never got there: {found}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const PRICE: &str = "fragment Price on PriceBreakdown { nights nightlyPrice { amount currency }
    subtotal { amount currency } cleaningFee { amount currency } serviceFee { amount currency }
    total { amount currency } hostFee { amount currency } hostPayout { amount currency } }";

/// Register, list, search, quote, book, pay, check in, check out, review both ways, rating:
/// `e2e.rs`'s journey and assertions, through GraphQL only.
async fn register_through_review_through_graphql_only(app: TestApp) {
    let (host_id, host_email, host) = user(&app, "host", "Hedy").await;
    let (guest_id, guest_email, guest) = user(&app, "guest", "Grace").await;
    let city = format!("Reykjavík {}", ulid::Ulid::new());
    let created = gql(
        &app,
        Some(&host),
        "mutation($input: CreatePropertyInput!) { createProperty(input: $input) { property { id title hostId } } }",
        json!({"input": {
            "title": "Harbour loft",
            "address": {"line1": "Hafnarstræti 1", "city": city, "country": "IS"},
            "timeZone": "Atlantic/Reykjavik",
            "maxGuests": 3,
            "nightlyPrice": {"amount": 20_000, "currency": "ISK"},
            "cleaningFee": {"amount": 3_000, "currency": "ISK"},
            "cancellationPolicy": "flexible",
        }}),
    )
    .await;
    let property = &data(&created)["createProperty"]["property"];
    assert_eq!(property["hostId"], json!(host_id));
    let property_id = property["id"].as_str().unwrap().to_owned();
    let (check_in, check_out) = (day(6), day(8));
    let stay = json!({"propertyId": property_id, "checkIn": check_in, "checkOut": check_out, "guests": 2});

    let found = gql(
        &app,
        None,
        "query($city: String, $checkIn: String, $checkOut: String) {
            searchProperties(city: $city, country: \"IS\", checkIn: $checkIn, checkOut: $checkOut, guests: 2) {
                edges { node { property { id } distanceKm } } pageInfo { hasNextPage } } }",
        json!({"city": city.replace('í', "i"), "checkIn": check_in, "checkOut": check_out}),
    )
    .await;
    let hits = &data(&found)["searchProperties"]["edges"];
    assert_eq!(
        hits[0]["node"]["property"]["id"],
        json!(property_id),
        "folded city search finds it"
    );
    assert_eq!(hits[0]["node"]["distanceKm"], Value::Null);

    let quoted = gql(
        &app,
        None,
        &format!(
            "query($propertyId: ID!, $checkIn: String, $checkOut: String) {{
                quote(propertyId: $propertyId, checkIn: $checkIn, checkOut: $checkOut, guests: 2) {{ ...Price }} }} {PRICE}"
        ),
        stay.clone(),
    )
    .await;
    let quote = data(&quoted)["quote"].clone();
    // ISK has no minor unit: 2 x 20000, fees 14 % and 3 % of 40000.
    assert_eq!(
        quote["total"],
        json!({"amount": 40_000 + 3_000 + 5_600, "currency": "ISK"})
    );

    let create_booking = format!(
        "mutation($input: CreateBookingInput!) {{ createBooking(input: $input) {{ booking {{ id status price {{ ...Price }} }} }} }} {PRICE}"
    );
    let booked = gql(&app, Some(&guest), &create_booking, json!({"input": stay})).await;
    let booking = &data(&booked)["createBooking"]["booking"];
    assert_eq!(booking["price"], quote);
    assert_eq!(booking["status"], "pending_payment");
    let id = booking["id"].as_str().unwrap().to_owned();
    let taken = gql(&app, Some(&guest), &create_booking, json!({"input": stay})).await;
    assert_eq!(taken.status, StatusCode::OK);
    assert_eq!(code(&taken), "conflict", "{}", taken.body);
    assert_eq!(taken.body["data"]["createBooking"], Value::Null);

    let paid = gql(
        &app,
        Some(&guest),
        "mutation($id: ID!) { payBooking(input: {bookingId: $id, paymentMethod: \"pm_card_visa\"}) {
            payment { status amount { amount currency } } } }",
        json!({"id": id}),
    )
    .await;
    let payment = &data(&paid)["payBooking"]["payment"];
    assert_eq!(payment["status"], "succeeded");
    assert_eq!(payment["amount"], quote["total"]);
    let status = "query($id: ID!) { booking(id: $id) { status } }";
    until(&app, &guest, status, json!({"id": id}), |d| {
        d["booking"]["status"] == "confirmed"
    })
    .await;

    // The trip in one request: the property, its host, both people and the payments.
    let trip = gql(
        &app,
        Some(&guest),
        "query($id: ID!) { booking(id: $id) { property { title host { firstName } }
            guest { firstName } host { id firstName } payments { items { status } payout { status } } } }",
        json!({"id": id}),
    )
    .await;
    let trip = &data(&trip)["booking"];
    assert_eq!(trip["property"]["title"], "Harbour loft");
    assert_eq!(trip["property"]["host"]["firstName"], "Hedy");
    assert_eq!(trip["guest"]["firstName"], "Grace");
    assert_eq!(trip["host"]["id"], json!(host_id));
    assert_eq!(trip["payments"]["items"][0]["status"], "succeeded");
    assert_eq!(
        trip["payments"]["payout"],
        Value::Null,
        "the payout is the host's to see"
    );

    // Check in on the day (Reykjavik is UTC all year), check out, review both ways.
    set_clock(&app, &format!("{check_in}T16:00:00Z")).await;
    let (guest, host) = (login(&app, &guest_email).await, login(&app, &host_email).await);
    let arrived = gql(
        &app,
        Some(&guest),
        "mutation($id: ID!) { checkInBooking(input: {bookingId: $id}) { booking { status checkedInAt } } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(data(&arrived)["checkInBooking"]["booking"]["status"], "checked_in");
    let payout = "query($id: ID!) { bookingPayments(bookingId: $id) { payout { status amount { amount currency } } } }";
    let payments = until(&app, &host, payout, json!({"id": id}), |d| {
        !d["bookingPayments"]["payout"].is_null()
    })
    .await;
    assert_eq!(payments["bookingPayments"]["payout"]["status"], "scheduled");
    assert_eq!(payments["bookingPayments"]["payout"]["amount"], quote["hostPayout"]);
    let left = gql(
        &app,
        Some(&host),
        "mutation($id: ID!) { checkOutBooking(input: {bookingId: $id, reason: \"keys returned\"}) {
            booking { status history { status reason } } } }",
        json!({"id": id}),
    )
    .await;
    let left = &data(&left)["checkOutBooking"]["booking"];
    assert_eq!(left["status"], "checked_out");
    assert_eq!(
        left["history"].as_array().unwrap().last().unwrap()["reason"],
        "keys returned"
    );

    let review = "mutation($input: CreateReviewInput!) { createReview(input: $input) { review { id published } } }";
    let guest_review = gql(
        &app,
        Some(&guest),
        review,
        json!({"input": {"bookingId": id, "rating": 5, "cleanliness": 4, "comment": "Northern lights from the window."}}),
    )
    .await;
    assert_eq!(data(&guest_review)["createReview"]["review"]["published"], false);
    let reviews = "query($id: ID!) { propertyReviews(propertyId: $id) {
        edges { cursor node { authorName cleanliness author { firstName } } } pageInfo { hasNextPage endCursor } } }";
    let hidden = gql(&app, None, reviews, json!({"id": property_id})).await;
    assert_eq!(data(&hidden)["propertyReviews"]["edges"], json!([]));
    let host_review = gql(
        &app,
        Some(&host),
        review,
        json!({"input": {"bookingId": id, "rating": 5, "comment": "Tidy and kind."}}),
    )
    .await;
    assert_eq!(data(&host_review)["createReview"]["review"]["published"], true);
    let published = gql(&app, None, reviews, json!({"id": property_id})).await;
    let published = &data(&published)["propertyReviews"];
    assert_eq!(published["edges"][0]["node"]["authorName"], "Grace");
    assert_eq!(published["edges"][0]["node"]["cleanliness"], 4);
    assert_eq!(published["edges"][0]["node"]["author"]["firstName"], "Grace");
    assert_eq!(published["pageInfo"], json!({"hasNextPage": false, "endCursor": null}));
    let about_guest = gql(
        &app,
        None,
        "query($id: ID!) { userReviews(userId: $id) { edges { node { authorId } } }
            user(id: $id) { firstName reviews(first: 5) { edges { node { authorId } } } } }",
        json!({"id": guest_id}),
    )
    .await;
    let about_guest = data(&about_guest);
    assert_eq!(
        about_guest["userReviews"]["edges"][0]["node"]["authorId"],
        json!(host_id)
    );
    assert_eq!(
        about_guest["user"]["reviews"]["edges"][0]["node"]["authorId"],
        json!(host_id)
    );

    // A day after check-in the payout is paid.
    set_clock(&app, &format!("{check_out}T18:00:00Z")).await;
    let host = login(&app, &host_email).await;
    until(&app, &host, payout, json!({"id": id}), |d| {
        d["bookingPayments"]["payout"]["status"] == "paid"
    })
    .await;
    let listing = gql(
        &app,
        None,
        "query($id: ID!) { property(id: $id) { rating { average } reviews { edges { node { rating } } } } }",
        json!({"id": property_id}),
    )
    .await;
    let listing = &data(&listing)["property"];
    assert_eq!(listing["rating"], Value::Null, "one review is not a rating yet");
    assert_eq!(listing["reviews"]["edges"][0]["node"]["rating"], 5);
}

/// Another user's booking is `not_found`, a guest changing a property `forbidden`, an
/// anonymous `me` `unauthorized`; each fails alone and the rest of the request resolves.
async fn a_field_fails_alone_with_the_code_of_rest(app: TestApp) {
    let (host, property_id) = hosted_property(&app, "Europe/Zurich", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let (_, stranger, _) = app.signed_in("guest").await;
    let booking = tests::bookings::booked(&app, &guest, &property_id, &day(10), &day(12)).await;
    let id = booking["id"].as_str().unwrap();

    let both = "query($id: ID!, $property: ID!) { booking(id: $id) { id } property(id: $property) { title } }";
    let variables = json!({"id": id, "property": property_id});
    let theirs = gql(&app, Some(&stranger), both, variables.clone()).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(code(&theirs), "not_found", "{}", theirs.body);
    assert_eq!(theirs.body["errors"][0]["path"], json!(["booking"]));
    assert_eq!(theirs.body["data"]["booking"], Value::Null);
    assert_eq!(theirs.body["data"]["property"]["title"], "Cabin on the ridge");
    let own = gql(&app, Some(&guest), both, variables.clone()).await;
    assert_eq!(data(&own)["booking"]["id"], json!(id));
    let hosts = gql(&app, Some(&host), both, variables).await;
    assert_eq!(data(&hosts)["booking"]["id"], json!(id));

    let update =
        "mutation($id: ID!) { updateProperty(input: {propertyId: $id, title: \"Mine now\"}) { property { title } } }";
    let changed = gql(&app, Some(&guest), update, json!({"id": property_id})).await;
    assert_eq!(code(&changed), "forbidden", "{}", changed.body);
    let changed = gql(&app, Some(&host), update, json!({"id": property_id})).await;
    assert_eq!(data(&changed)["updateProperty"]["property"]["title"], "Mine now");

    let me = "query($id: ID!) { me { id } property(id: $id) { title } }";
    for token in [None, Some("not.a.token")] {
        let anonymous = gql(&app, token, me, json!({"id": property_id})).await;
        assert_eq!(
            anonymous.status,
            StatusCode::OK,
            "a bad token leaves the request anonymous"
        );
        assert_eq!(code(&anonymous), "unauthorized", "{}", anonymous.body);
        assert_eq!(anonymous.body["data"]["me"], Value::Null);
        assert_eq!(anonymous.body["data"]["property"]["title"], "Mine now");
    }
    let missing = gql(
        &app,
        None,
        "{ property(id: \"01ARZ3NDEKTSV4RRFFQ69G5FAV\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&missing), "not_found");
    assert!(!missing.body.to_string().contains("PROPERTY#"), "nothing internal");
}

/// `extensions.details` names the bad fields of the GraphQL input, as REST's envelope does;
/// what is not a document, or not valid, fails as a whole.
async fn validation_errors_name_the_fields_of_the_graphql_input(app: TestApp) {
    let (_, host, _) = app.signed_in("host").await;
    let created = gql(
        &app,
        Some(&host),
        "mutation { createProperty(input: {bathrooms: 1.25, address: {city: \"Bern\"}}) { property { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&created), "validation_failed", "{}", created.body);
    assert_eq!(
        fields(&created),
        [
            "address.country",
            "address.line1",
            "bathrooms",
            "maxGuests",
            "nightlyPrice",
            "timeZone",
            "title"
        ]
    );
    assert_eq!(created.body["errors"][0]["path"], json!(["createProperty"]));

    let (_, property_id) = hosted_property(&app, "Europe/Zurich", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let backwards = gql(
        &app,
        Some(&guest),
        "mutation($id: ID!, $in: String, $out: String) {
            createBooking(input: {propertyId: $id, checkIn: $in, checkOut: $out, guests: 99}) { booking { id } } }",
        json!({"id": property_id, "in": day(12), "out": day(10)}),
    )
    .await;
    assert_eq!(code(&backwards), "validation_failed", "{}", backwards.body);
    assert!(
        fields(&backwards).contains(&"checkOut".to_owned()),
        "{}",
        backwards.body
    );

    let bad_key = gql(
        &app,
        Some(&guest),
        "mutation($id: ID!) { createBooking(input: {propertyId: $id}, idempotencyKey: \"with space\") { booking { id } } }",
        json!({"id": property_id}),
    )
    .await;
    assert_eq!(code(&bad_key), "bad_request");
    assert_eq!(fields(&bad_key), ["idempotencyKey"]);

    let page = gql(
        &app,
        Some(&guest),
        "{ myBookings(first: 0) { edges { cursor } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&page), "validation_failed");
    assert_eq!(fields(&page), ["first"]);
    let nowhere = gql(
        &app,
        None,
        "{ searchProperties(guests: 2) { edges { cursor } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&nowhere), "validation_failed", "{}", nowhere.body);
    assert!(!fields(&nowhere).is_empty());
    let me = gql(
        &app,
        Some(&guest),
        "mutation { updateMe(input: {phone: \"12\"}) { user { phone } } }",
        json!({}),
    )
    .await;
    assert_eq!(fields(&me), ["phone"]);

    // Failures of the whole request: no data, 200 for application/json, 400 for
    // application/graphql-response+json.
    for (body, expected) in [
        (json!({"query": "{"}), "bad_request"),
        (json!({"query": "{ nothingHere }"}), "bad_request"),
        (
            json!({"query": "{ quote(propertyId: \"x\", guests: \"two\") { nights } }"}),
            "bad_request",
        ),
        (json!({"nope": 1}), "bad_request"),
    ] {
        for (accept, status) in [
            ("application/json", StatusCode::OK),
            ("application/graphql-response+json", StatusCode::BAD_REQUEST),
        ] {
            let answer = post(&app, accept, serde_json::to_vec(&body).unwrap()).await;
            assert_eq!(answer.status, status, "{body} {}", answer.body);
            assert_eq!(code(&answer), expected, "{}", answer.body);
            assert!(answer.body.get("data").is_none(), "{}", answer.body);
        }
    }
    let not_json = post(&app, "application/json", b"query { me { id } }".to_vec()).await;
    assert_eq!(code(&not_json), "bad_request");

    // The served SDL is the committed file, which a test of the graphql crate keeps equal to
    // the schema of the code.
    let sdl = app.get("/graphql/schema.graphql", None).await;
    assert_eq!(sdl.status, StatusCode::OK);
    assert_eq!(sdl.body, Value::String(graphql::SCHEMA_FILE.to_owned()));
    assert_eq!(graphql::SCHEMA_FILE, graphql::sdl());
}

/// A raw POST with an `Accept` header.
async fn post(app: &TestApp, accept: &str, body: Vec<u8>) -> Answer {
    let response = app
        .client
        .post(format!("http://{}/graphql", app.addr))
        .header("content-type", "application/json")
        .header("accept", accept)
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, headers, body }
}

/// The same `idempotencyKey` gives the first answer again and does nothing twice, in the same
/// scope as REST's `Idempotency-Key`; with another input it is refused.
async fn create_booking_and_pay_booking_are_idempotent(app: TestApp) {
    let (_, property_id) = hosted_property(&app, "Europe/Zurich", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let key = format!("trip-{}", ulid::Ulid::new());
    let stay = json!({"propertyId": property_id, "checkIn": day(20), "checkOut": day(23), "guests": 2});
    let create = "mutation($input: CreateBookingInput!, $key: String) {
        createBooking(input: $input, idempotencyKey: $key) { booking { id createdAt } } }";
    let first = gql(&app, Some(&guest), create, json!({"input": stay, "key": key})).await;
    let again = gql(&app, Some(&guest), create, json!({"input": stay, "key": key})).await;
    assert_eq!(data(&first), data(&again));
    let id = data(&first)["createBooking"]["booking"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let rest = app
        .client
        .post(format!("http://{}/bookings", app.addr))
        .bearer_auth(&guest)
        .header("idempotency-key", &key)
        .json(&stay)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::CREATED);
    let rest: Value = rest.json().await.unwrap();
    assert_eq!(rest["id"], json!(id), "one key scope for both front doors");

    let mut other = stay.clone();
    other["guests"] = json!(3);
    let changed = gql(&app, Some(&guest), create, json!({"input": other, "key": key})).await;
    assert_eq!(code(&changed), "validation_failed", "{}", changed.body);
    assert_eq!(fields(&changed), ["idempotencyKey"]);
    let mine = gql(
        &app,
        Some(&guest),
        "{ myBookings { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(data(&mine)["myBookings"]["edges"].as_array().unwrap().len(), 1);

    let pay = "mutation($id: ID!, $key: String) { payBooking(input: {bookingId: $id, paymentMethod: \"pm_card_visa\"},
        idempotencyKey: $key) { payment { id status } } }";
    let pay_key = format!("pay-{}", ulid::Ulid::new());
    let paid = gql(&app, Some(&guest), pay, json!({"id": id, "key": pay_key})).await;
    let repaid = gql(&app, Some(&guest), pay, json!({"id": id, "key": pay_key})).await;
    assert_eq!(data(&paid)["payBooking"]["payment"]["status"], "succeeded");
    assert_eq!(data(&paid), data(&repaid));
    let payments = gql(
        &app,
        Some(&guest),
        "query($id: ID!) { bookingPayments(bookingId: $id) { items { id } } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(data(&payments)["bookingPayments"]["items"].as_array().unwrap().len(), 1);
}

/// `createProperty` with an `idempotencyKey` lists once (one scope with `POST /properties`),
/// and a move sent again with its key answers the booking instead of an error, while the same
/// move without a key is still `conflict`.
async fn create_property_and_moves_take_an_idempotency_key(app: TestApp) {
    let (_, host, _) = app.signed_in("host").await;
    let listing = tests::bookings::listing("Europe/Zurich", json!({}));
    let key = format!("listing-{}", ulid::Ulid::new());
    let create = "mutation($input: CreatePropertyInput!, $key: String) {
        createProperty(input: $input, idempotencyKey: $key) { property { id title } } }";
    let first = gql(&app, Some(&host), create, json!({"input": listing, "key": key})).await;
    let again = gql(&app, Some(&host), create, json!({"input": listing, "key": key})).await;
    assert_eq!(data(&first), data(&again), "{}", again.body);
    let property_id = data(&first)["createProperty"]["property"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = app
        .client
        .post(format!("http://{}/properties", app.addr))
        .bearer_auth(&host)
        .header("idempotency-key", &key)
        .json(&listing)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::CREATED);
    let rest: Value = rest.json().await.unwrap();
    assert_eq!(rest["id"], json!(property_id), "one key scope for both front doors");
    let mine = gql(
        &app,
        Some(&host),
        "{ myProperties { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(data(&mine)["myProperties"]["edges"].as_array().unwrap().len(), 1);

    let (_, guest, _) = app.signed_in("guest").await;
    let booked = tests::bookings::booked(&app, &guest, &property_id, &day(20), &day(23)).await;
    let id = booked["id"].as_str().unwrap();
    let cancel = "mutation($id: ID!, $key: String) {
        cancelBooking(input: {bookingId: $id, reason: \"plans changed\"}, idempotencyKey: $key) { booking { id status } } }";
    let move_key = format!("cancel-{}", ulid::Ulid::new());
    let cancelled = gql(&app, Some(&guest), cancel, json!({"id": id, "key": move_key})).await;
    assert_eq!(
        data(&cancelled)["cancelBooking"]["booking"]["status"],
        "cancelled",
        "{}",
        cancelled.body
    );
    let repeated = gql(&app, Some(&guest), cancel, json!({"id": id, "key": move_key})).await;
    assert_eq!(data(&repeated), data(&cancelled), "{}", repeated.body);
    let unkeyed = gql(&app, Some(&guest), cancel, json!({"id": id})).await;
    assert_eq!(code(&unkeyed), "conflict", "{}", unkeyed.body);
    let other_key = gql(&app, Some(&guest), cancel, json!({"id": id, "key": "another"})).await;
    assert_eq!(code(&other_key), "conflict", "{}", other_key.body);
    let other_reason = "mutation($id: ID!, $key: String) {
        cancelBooking(input: {bookingId: $id, reason: \"another reason\"}, idempotencyKey: $key) { booking { id } } }";
    let misused = gql(&app, Some(&guest), other_reason, json!({"id": id, "key": move_key})).await;
    assert_eq!(code(&misused), "validation_failed", "{}", misused.body);
}

/// Depth, complexity, aliases, root fields and the body size: refused as a whole with
/// `query_too_complex` (`413` for the body) before any resolver runs.
async fn every_limit_refuses_before_anything_runs(app: TestApp) {
    let (_, guest, _) = app.signed_in("guest").await;
    let deep = "{ myBookings { edges { node { property { host { reviews { edges { node { author {
        reviews { edges { node { id } } } } } } } } } } } } }";
    let costly =
        "{ myBookings(first: 100) { edges { node { property { reviews(first: 100) { edges { node { id } } } } } } } }";
    let aliases: String = (0..51).map(|i| format!("t{i}: title ")).collect();
    let aliased = format!("{{ property(id: \"01ARZ3NDEKTSV4RRFFQ69G5FAV\") {{ {aliases} }} }}");
    let email = format!("never-{}@example.com", ulid::Ulid::new().to_string().to_lowercase());
    let registrations: String = (0..21)
        .map(|i| {
            format!(
                "r{i}: register(input: {{email: \"{i}{email}\", password: \"{PASSWORD}\", firstName: \"N\", lastName: \"N\"}}) {{ user {{ id }} }} "
            )
        })
        .collect();
    let roots = format!("mutation {{ {registrations} }}");
    for query in [deep, costly, &aliased, &roots] {
        for (accept, status) in [
            ("application/json", StatusCode::OK),
            ("application/graphql-response+json", StatusCode::BAD_REQUEST),
        ] {
            let answer = post(&app, accept, serde_json::to_vec(&json!({"query": query})).unwrap()).await;
            assert_eq!(answer.status, status, "{query}: {}", answer.body);
            assert_eq!(code(&answer), "query_too_complex", "{query}: {}", answer.body);
            assert!(answer.body.get("data").is_none());
        }
    }
    // Nothing ran: none of the 21 registrations happened.
    let login = gql(
        &app,
        None,
        LOGIN,
        json!({"email": format!("0{email}"), "password": PASSWORD}),
    )
    .await;
    assert_eq!(code(&login), "unauthorized", "{}", login.body);

    // Within every limit: ten levels, 1,000 points, 50 aliases, 20 root fields.
    let ten = "{ myBookings(first: 2) { edges { node { property { host { reviews(first: 2) { edges { node {
        author { firstName } } } } } } } } } }";
    let within = gql(&app, Some(&guest), ten, json!({})).await;
    assert_eq!(data(&within)["myBookings"]["edges"], json!([]));
    let fifty: String = (0..50).map(|i| format!("t{i}: title ")).collect();
    let within = gql(
        &app,
        None,
        &format!("{{ property(id: \"01ARZ3NDEKTSV4RRFFQ69G5FAV\") {{ {fifty} }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(code(&within), "not_found", "{}", within.body);
    let twenty: String = (0..20).map(|i| format!("t{i}: __typename ")).collect();
    let within = gql(&app, None, &format!("{{ {twenty} }}"), json!({})).await;
    assert_eq!(data(&within)["t19"], "Query");

    let big = json!({"query": format!("{{ __typename }} # {}", "x".repeat(shared::http::MAX_BODY_BYTES))});
    let answer = post(&app, "application/json", serde_json::to_vec(&big).unwrap()).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        answer.body["error"]["code"], "payload_too_large",
        "the envelope of every route"
    );

    // Introspection, whose standard query nests deeper than ten, is served.
    let introspection = gql(
        &app,
        None,
        "{ __schema { types { name fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }",
        json!({}),
    )
    .await;
    assert!(data(&introspection)["__schema"]["types"].is_array());
}

/// "My bookings, 20 of them, each with its property's title and its host's first name": one
/// query of the index, one batch get of the properties, one of the hosts.
async fn a_nested_page_of_twenty_bookings_costs_three_store_calls(app: TestApp) {
    let (_, guest, _) = app.signed_in("guest").await;
    for _ in 0..4 {
        let (_, host, _) = app.signed_in("host").await;
        for _ in 0..5 {
            let listing = tests::bookings::listing("Europe/Zurich", json!({}));
            let created = app.post("/properties", Some(&host), listing).await;
            assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
            let property_id = created.body["id"].as_str().unwrap();
            let check_in = day(30);
            tests::bookings::booked(&app, &guest, property_id, &check_in, &plus(&check_in, 2)).await;
        }
    }
    let guest_id = tests::bookings::user_id(&app, &guest).await;

    // The same store, counted, behind an app of its own (the local API's jobs use the other).
    let counting = Arc::new(CountingStore::new(app.app.store.clone()));
    let settings = Settings {
        jwt_secret: TEST_JWT_SECRET.as_bytes().to_vec(),
        jwt_previous_secret: None,
        jwt_issuer: "roost".to_owned(),
        jwt_audience: "roost-api".to_owned(),
    };
    let counted: &'static App = Box::leak(Box::new(
        App::new(
            counting.clone() as Arc<dyn Store>,
            app.app.bus.clone(),
            app.app.clock.clone(),
            &settings,
        )
        .unwrap(),
    ));
    let principal = Principal {
        user_id: guest_id,
        roles: vec![Role::Guest],
    };
    let query = json!({"query": "{ myBookings(first: 20) { edges { node { id property { title host { firstName } } } }
        pageInfo { hasNextPage } } }"});
    let body = serde_json::to_vec(&query).unwrap();
    counting.take();
    // On the current-thread runtime a Lambda sandbox runs (`functions/graphql`'s main): there
    // a loader's batch cannot start before every sibling field has registered its key. On a
    // multi-thread runtime under load, a batch window can close early and split a level.
    let outcome = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime")
            .block_on(async move { graphql::execute(counted, Ok(principal), &body).await })
    })
    .join()
    .expect("the query ran");
    let calls = counting.take();
    let edges = outcome.body["data"]["myBookings"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges.len(), 20, "{}", outcome.body);
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["property"]["host"]["firstName"] == "Ada")
    );
    assert!(calls <= 3, "the page cost {calls} store calls");
}

/// `near` (with `radiusKm`) and `bbox` reach the search use case as its REST parameters;
/// results of a `near` search carry `distanceKm`; the other filters apply.
async fn map_searches_take_near_and_bbox_and_carry_the_distance(app: TestApp) {
    let (host, property_id) = hosted_property(
        &app,
        "Europe/Zurich",
        json!({"location": {"lat": 47.3769, "lng": 8.5417}, "bedrooms": 2, "amenities": ["wifi", "Kitchen"]}),
    )
    .await;
    let near = "query($bedrooms: Int, $amenities: [String!]) {
        searchProperties(near: {lat: 47.3780, lng: 8.5400}, radiusKm: 2, bedrooms: $bedrooms, amenities: $amenities) {
            edges { node { distanceKm property { id location { lat lng } } } } } }";
    let found = gql(&app, None, near, json!({"bedrooms": 2, "amenities": ["kitchen"]})).await;
    let hit = data(&found)["searchProperties"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["property"]["id"] == json!(property_id))
        .cloned()
        .expect("the property is found near its location");
    assert_eq!(
        hit["node"]["property"]["location"],
        json!({"lat": 47.3769, "lng": 8.5417})
    );
    assert!(hit["node"]["distanceKm"].as_f64().unwrap() < 1.0);
    let fewer = gql(&app, None, near, json!({"bedrooms": 3})).await;
    let ids: Vec<&Value> = data(&fewer)["searchProperties"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["property"]["id"])
        .collect();
    assert!(!ids.contains(&&json!(property_id)), "bedrooms filters");

    let boxed = gql(
        &app,
        None,
        "{ searchProperties(bbox: {minLng: 8.5, minLat: 47.3, maxLng: 8.6, maxLat: 47.4}) {
            edges { node { distanceKm property { id } } } } }",
        json!({}),
    )
    .await;
    let edges = data(&boxed)["searchProperties"]["edges"].as_array().unwrap().clone();
    assert!(edges.iter().any(|e| e["node"]["property"]["id"] == json!(property_id)));
    assert!(edges.iter().all(|e| e["node"]["distanceKm"].is_null()));
    let two_places = gql(
        &app,
        Some(&host),
        "{ searchProperties(city: \"Zurich\", near: {lat: 47.3, lng: 8.5}) { edges { cursor } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&two_places), "validation_failed", "{}", two_places.body);
}

/// The host sees a property's check-in instructions where REST shows them to the host
/// (create, update, their own list); the public `property(id)` never carries them.
async fn check_in_instructions_show_to_the_host_only(app: TestApp) {
    let (_, _, host) = user(&app, "host", "Hedy").await;
    let fields = "id checkInInstructions";
    let created = gql(
        &app,
        Some(&host),
        &format!(
            "mutation($input: CreatePropertyInput!) {{ createProperty(input: $input) {{ property {{ {fields} }} }} }}"
        ),
        json!({"input": {
            "title": "Harbour loft",
            "address": {"line1": "Hafnarstræti 1", "city": "Reykjavík", "country": "IS"},
            "timeZone": "Atlantic/Reykjavik",
            "maxGuests": 3,
            "nightlyPrice": {"amount": 20_000, "currency": "ISK"},
            "checkInInstructions": "Key box 4711, second floor",
        }}),
    )
    .await;
    let property = &data(&created)["createProperty"]["property"];
    assert_eq!(property["checkInInstructions"], "Key box 4711, second floor");
    let id = property["id"].as_str().unwrap().to_owned();
    let mine = gql(
        &app,
        Some(&host),
        &format!("{{ myProperties {{ edges {{ node {{ {fields} }} }} }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(
        data(&mine)["myProperties"]["edges"][0]["node"]["checkInInstructions"],
        "Key box 4711, second floor"
    );
    for token in [None, Some(host.as_str())] {
        let public = gql(
            &app,
            token,
            &format!("{{ property(id: \"{id}\") {{ {fields} }} }}"),
            json!({}),
        )
        .await;
        assert_eq!(data(&public)["property"]["checkInInstructions"], Value::Null);
    }
}
