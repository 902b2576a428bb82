//! Messages over HTTP (and GraphQL) on both stores: one conversation per guest and property
//! however concurrent the first inquiries, the inbox by latest message with unread counters,
//! paging, masking until a stay, the rate limit, bookings joining their conversation, system
//! messages once per event, and check-in instructions.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::events::{Event, EventType};
use tests::app::{Answer, TestApp};
use tests::bookings::{act, advance, booked, day, hosted_property, pay, reissue, user_id};

tests::on_both_stores!(
    concurrent_first_inquiries_make_one_conversation,
    strangers_get_404_and_bad_input_is_refused,
    the_inbox_lists_latest_first_with_unread_counts,
    contact_details_are_hidden_until_a_stay,
    thirty_messages_a_minute_then_429,
    bookings_join_their_conversation_and_post_system_messages_once,
    check_in_instructions_reach_confirmed_stays_only,
    graphql_reaches_the_same_conversations,
);

async fn start(app: &TestApp, token: &str, property: &str, message: &str) -> Answer {
    app.post(
        "/conversations",
        Some(token),
        json!({"propertyId": property, "message": message}),
    )
    .await
}

async fn send(app: &TestApp, token: &str, conversation: &str, body: &str) -> Answer {
    app.post(
        &format!("/conversations/{conversation}/messages"),
        Some(token),
        json!({"body": body}),
    )
    .await
}

async fn messages(app: &TestApp, token: &str, conversation: &str) -> Vec<Value> {
    let page = app
        .get(
            &format!("/conversations/{conversation}/messages?limit=100"),
            Some(token),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    page.body["items"].as_array().cloned().unwrap_or_default()
}

/// Reads the conversation's messages until `done` holds (5 s at most).
async fn wait_messages(app: &TestApp, token: &str, conversation: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let items = messages(app, token, conversation).await;
        if done(&items) {
            return items;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "messages never got there: {items:#?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn events(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter_map(|m| m["event"].as_str().map(str::to_owned))
        .collect()
}

async fn concurrent_first_inquiries_make_one_conversation(app: TestApp) {
    let (_, property) = hosted_property(&app, "Europe/Oslo", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let answers = futures::future::join_all((0..4).map(|i| {
        let (app, guest, property) = (&app, guest.clone(), property.clone());
        async move { start(app, &guest, &property, &format!("Is it quiet? ({i})")).await }
    }))
    .await;
    let created = answers.iter().filter(|a| a.status == StatusCode::CREATED).count();
    let added = answers.iter().filter(|a| a.status == StatusCode::OK).count();
    assert_eq!((created, added), (1, 3), "{answers:#?}");
    let id = answers[0].body["id"].as_str().unwrap().to_owned();
    assert!(answers.iter().all(|a| a.body["id"] == id.as_str()));
    let items = messages(&app, &guest, &id).await;
    assert_eq!(items.len(), 4);
    assert!(
        items
            .windows(2)
            .all(|w| w[0]["createdAt"].as_str() >= w[1]["createdAt"].as_str())
    );
    let inbox = app.get("/conversations", Some(&guest)).await;
    assert_eq!(inbox.body["items"].as_array().unwrap().len(), 1);
}

async fn strangers_get_404_and_bad_input_is_refused(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Oslo", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let (_, stranger, _) = app.signed_in("guest").await;

    let own = start(&app, &host, &property, "Hello me").await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{:?}", own.body);

    let started = start(&app, &guest, &property, "  Hello  ").await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    assert_eq!(started.body["lastMessage"]["body"], "Hello");
    let id = started.body["id"].as_str().unwrap().to_owned();
    for answer in [
        app.get(&format!("/conversations/{id}"), Some(&stranger)).await,
        app.get(&format!("/conversations/{id}/messages"), Some(&stranger)).await,
        send(&app, &stranger, &id, "hi").await,
        send(&app, &stranger, &id, "").await,
        app.post(&format!("/conversations/{id}/read"), Some(&stranger), json!({}))
            .await,
        app.get("/conversations/01JCXW4Y6Z5V1N0SUCHC0NV000", Some(&guest)).await,
        app.get("/conversations/not-an-id", Some(&guest)).await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{:?}", answer.body);
    }
    assert_eq!(app.get("/conversations", None).await.status, StatusCode::UNAUTHORIZED);

    let long = "x".repeat(5001);
    for body in ["", "   \n ", long.as_str()] {
        let bad = send(&app, &guest, &id, body).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
        assert_eq!(bad.fields(), ["body"]);
    }
    assert_eq!(
        send(&app, &guest, &id, &"é".repeat(5000)).await.status,
        StatusCode::CREATED
    );
    let unknown_field = app
        .post(
            &format!("/conversations/{id}/messages"),
            Some(&guest),
            json!({"body": "hi", "to": "x"}),
        )
        .await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);

    let backwards = app
        .post(
            "/conversations",
            Some(&guest),
            json!({"propertyId": property, "message": "", "checkIn": day(10), "checkOut": day(9)}),
        )
        .await;
    assert_eq!(
        backwards.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        backwards.body
    );
    assert_eq!(backwards.fields(), ["message", "checkOut"]);
    let unknown = start(&app, &guest, "01JCXW4Y6Z5V1N0SUCHPR0P000", "hi").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.fields(), ["propertyId"]);

    // An inquiry about dates is recorded, and holds nothing.
    let (check_in, check_out) = (day(20), day(23));
    let inquiry = app
        .post(
            "/conversations",
            Some(&guest),
            json!({"propertyId": property, "message": "Free then?", "checkIn": check_in, "checkOut": check_out, "guests": 2}),
        )
        .await;
    assert_eq!(inquiry.status, StatusCode::OK, "{:?}", inquiry.body);
    assert_eq!(
        inquiry.body["inquiry"],
        json!({"checkIn": check_in, "checkOut": check_out, "guests": 2})
    );
    let (_, other_guest, _) = app.signed_in("guest").await;
    booked(&app, &other_guest, &property, &check_in, &check_out).await;
}

async fn the_inbox_lists_latest_first_with_unread_counts(app: TestApp) {
    let (host, first_property) = hosted_property(&app, "Europe/Oslo", json!({})).await;
    let second = app
        .post(
            "/properties",
            Some(&host),
            tests::bookings::listing("Europe/Oslo", json!({"title": "Second"})),
        )
        .await;
    let second_property = second.body["id"].as_str().unwrap().to_owned();
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let first = start(&app, &guest, &first_property, "About the first").await.body;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = start(&app, &guest, &second_property, "About the second").await.body;
    let (first_id, second_id) = (first["id"].as_str().unwrap(), second["id"].as_str().unwrap());
    assert_eq!(first["guestId"], guest_id.as_str());
    assert_eq!(first["unreadCount"], 0, "the guest's own message");

    let inbox = |token: String| {
        let app = &app;
        async move {
            let page = app.get("/conversations", Some(&token)).await;
            assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
            page.body["items"].as_array().cloned().unwrap()
        }
    };
    let ids = |items: &[Value]| {
        items
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&inbox(host.clone()).await), [second_id, first_id]);

    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        send(&app, &guest, first_id, "And one more").await.status,
        StatusCode::CREATED
    );
    let host_inbox = inbox(host.clone()).await;
    assert_eq!(ids(&host_inbox), [first_id, second_id]);
    assert_eq!(host_inbox[0]["unreadCount"], 2);
    assert_eq!(host_inbox[0]["lastMessage"]["body"], "And one more");
    assert_eq!(host_inbox[1]["unreadCount"], 1);

    let read = app
        .post(&format!("/conversations/{first_id}/read"), Some(&host), json!({}))
        .await;
    assert_eq!(read.status, StatusCode::NO_CONTENT);
    let seen = app.get(&format!("/conversations/{first_id}"), Some(&host)).await;
    assert_eq!(seen.body["unreadCount"], 0);
    assert_eq!(
        send(&app, &host, first_id, "Welcome!").await.status,
        StatusCode::CREATED
    );
    let guest_view = app.get(&format!("/conversations/{first_id}"), Some(&guest)).await;
    assert_eq!(guest_view.body["unreadCount"], 1);
    assert_eq!(
        guest_view.body["lastMessage"]["senderId"],
        user_id(&app, &host).await.as_str()
    );

    // Paging: newest first, signed cursors.
    let page = app
        .get(&format!("/conversations/{first_id}/messages?limit=2"), Some(&guest))
        .await;
    let bodies: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Welcome!", "And one more"]);
    let cursor = page.body["nextCursor"].as_str().unwrap().to_owned();
    let rest = app
        .get(
            &format!("/conversations/{first_id}/messages?limit=2&cursor={cursor}"),
            Some(&guest),
        )
        .await;
    assert_eq!(rest.body["items"][0]["body"], "About the first");
    assert_eq!(rest.body["nextCursor"], Value::Null);
    let tampered = format!("{cursor}x");
    let bad = app
        .get(
            &format!("/conversations/{first_id}/messages?cursor={tampered}"),
            Some(&guest),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let stolen = app
        .get(
            &format!("/conversations/{second_id}/messages?cursor={cursor}"),
            Some(&guest),
        )
        .await;
    assert_eq!(
        stolen.status,
        StatusCode::BAD_REQUEST,
        "a cursor of another conversation"
    );
    let one = app.get("/conversations?limit=1", Some(&host)).await;
    let next = one.body["nextCursor"].as_str().unwrap();
    let two = app
        .get(&format!("/conversations?limit=1&cursor={next}"), Some(&host))
        .await;
    assert_eq!(two.body["items"][0]["id"], second_id);
}

async fn contact_details_are_hidden_until_a_stay(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Oslo", json!({})).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let contact = "Write to ana@example.com or call +41 79 123 45 67, see www.ana.ch. We come 2027-03-01.";
    let started = start(&app, &guest, &property, contact).await;
    assert_eq!(
        started.body["lastMessage"]["body"],
        "Write to [hidden] or call [hidden], see [hidden]. We come 2027-03-01."
    );
    let id = started.body["id"].as_str().unwrap().to_owned();
    let reply = send(&app, &host, &id, "My number: (555) 123-4567").await;
    assert_eq!(reply.body["body"], "My number: [hidden]");

    // A booking alone (unpaid) changes nothing; a confirmed one does.
    let booking = booked(&app, &guest, &property, &day(5), &day(7)).await;
    let booking_id = booking["id"].as_str().unwrap().to_owned();
    assert_eq!(booking["conversationId"], id.as_str());
    assert_eq!(
        send(&app, &guest, &id, "ana@example.com").await.body["body"],
        "[hidden]"
    );
    pay(&app, &guest, &booking_id).await;
    let guest = reissue(&app, &guest_id);
    let open = send(&app, &guest, &id, "ana@example.com").await;
    assert_eq!(open.status, StatusCode::CREATED);
    assert_eq!(open.body["body"], "ana@example.com");
    let stored = messages(&app, &guest, &id).await;
    assert!(
        stored
            .iter()
            .any(|m| m["body"] == "Write to [hidden] or call [hidden], see [hidden]. We come 2027-03-01.")
    );
}

async fn thirty_messages_a_minute_then_429(app: TestApp) {
    let (_, property) = hosted_property(&app, "Europe/Oslo", json!({})).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    let id = start(&app, &guest, &property, "1").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for n in 2..=30 {
        let sent = send(&app, &guest, &id, &n.to_string()).await;
        assert_eq!(sent.status, StatusCode::CREATED, "message {n}: {:?}", sent.body);
    }
    let limited = send(&app, &guest, &id, "31").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", limited.body);
    assert_eq!(limited.code(), "rate_limited");
    let retry: i64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        messages(&app, &guest, &id).await.len(),
        30,
        "the refused message was not stored"
    );
    advance(&app, 61).await;
    let guest = reissue(&app, &guest_id);
    assert_eq!(send(&app, &guest, &id, "later").await.status, StatusCode::CREATED);
}

async fn bookings_join_their_conversation_and_post_system_messages_once(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Oslo", json!({"instantBook": false})).await;
    let host_id = user_id(&app, &host).await;
    let (guest_id, guest, _) = app.signed_in("guest").await;
    // No inquiry first: the booking creates the conversation.
    let first = booked(&app, &guest, &property, &day(5), &day(7)).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    let conversation = first["conversationId"].as_str().unwrap().to_owned();
    let second = booked(&app, &guest, &property, &day(9), &day(11)).await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    assert_eq!(second["conversationId"], conversation.as_str());
    let view = app.get(&format!("/conversations/{conversation}"), Some(&host)).await;
    assert_eq!(view.status, StatusCode::OK, "{:?}", view.body);
    assert_eq!(view.body["bookingIds"], json!([first_id, second_id]));
    assert_eq!(view.body["hostId"], host_id.as_str());
    let got = app.get(&format!("/bookings/{first_id}"), Some(&guest)).await;
    assert_eq!(got.body["conversationId"], conversation.as_str());

    // Request to book: requested, then confirmed by the host, then cancelled by the guest.
    pay(&app, &guest, &first_id).await;
    wait_messages(&app, &guest, &conversation, |m| events(m) == ["booking_requested"]).await;
    let host = reissue(&app, &host_id);
    assert_eq!(act(&app, &host, &first_id, "accept").await.status, StatusCode::OK);
    let guest = reissue(&app, &guest_id);
    assert_eq!(act(&app, &guest, &first_id, "cancel").await.status, StatusCode::OK);
    let items = wait_messages(&app, &guest, &conversation, |m| m.len() == 3).await;
    assert_eq!(
        events(&items),
        ["booking_cancelled", "booking_confirmed", "booking_requested"]
    );
    assert!(items.iter().all(|m| m["kind"] == "system" && m["senderId"] == "system"));
    assert!(items.iter().all(|m| m["bookingId"] == first_id.as_str()));
    let unread = app.get(&format!("/conversations/{conversation}"), Some(&guest)).await;
    assert_eq!(unread.body["unreadCount"], 3, "system messages count for both sides");

    // A redelivered event posts nothing twice.
    let change = json!({
        "status": "checked_in", "actor": guest_id, "reason": null, "propertyId": property,
        "guestId": guest_id, "hostId": host_id, "refund": null,
        "total": {"amount": 1, "currency": "EUR"}, "hostPayout": {"amount": 1, "currency": "EUR"},
        "checkedInAt": null, "checkedOutAt": null, "checkOutAt": "2030-01-01T10:00:00Z",
    });
    let event = Event::new(
        EventType::BookingCheckedIn,
        second_id.clone(),
        app.app.clock.now(),
        change,
    );
    for _ in 0..2 {
        shared::messages::consumer::on_event(app.app, event.clone())
            .await
            .unwrap();
    }
    let items = messages(&app, &guest, &conversation).await;
    assert_eq!(items.iter().filter(|m| m["id"] == event.id.as_str()).count(), 1);
    assert_eq!(items[0]["event"], "checked_in");
}

async fn check_in_instructions_reach_confirmed_stays_only(app: TestApp) {
    let (host, property) = hosted_property(
        &app,
        "Europe/Oslo",
        json!({"checkInInstructions": "Door code 4321, key box left of the door."}),
    )
    .await;
    let public = app.get(&format!("/properties/{property}"), None).await;
    assert!(public.body.get("checkInInstructions").is_none(), "{:?}", public.body);
    let mine = app.get("/users/me/properties", Some(&host)).await;
    assert_eq!(
        mine.body["items"][0]["checkInInstructions"],
        "Door code 4321, key box left of the door."
    );
    let long = app
        .patch(
            &format!("/properties/{property}"),
            Some(&host),
            json!({"checkInInstructions": "x".repeat(2001)}),
        )
        .await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(long.fields(), ["checkInInstructions"]);

    let (guest_id, guest, _) = app.signed_in("guest").await;
    let stay = booked(&app, &guest, &property, &day(10), &day(12)).await;
    let stay_id = stay["id"].as_str().unwrap().to_owned();
    let conversation = stay["conversationId"].as_str().unwrap().to_owned();
    pay(&app, &guest, &stay_id).await;
    let (other_id, other, _) = app.signed_in("guest").await;
    let cancelled = booked(&app, &other, &property, &day(14), &day(16)).await;
    let cancelled_id = cancelled["id"].as_str().unwrap().to_owned();
    let other_conversation = cancelled["conversationId"].as_str().unwrap().to_owned();
    pay(&app, &other, &cancelled_id).await;
    assert_eq!(act(&app, &other, &cancelled_id, "cancel").await.status, StatusCode::OK);
    wait_messages(&app, &guest, &conversation, |m| events(m) == ["booking_confirmed"]).await;

    // Not before 48 h ahead of check-in; then once.
    advance(&app, 6 * 24 * 3600).await;
    let guest = reissue(&app, &guest_id);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        events(&messages(&app, &guest, &conversation).await),
        ["booking_confirmed"]
    );
    advance(&app, 3 * 24 * 3600).await;
    let guest = reissue(&app, &guest_id);
    let items = wait_messages(&app, &guest, &conversation, |m| m.len() == 2).await;
    assert_eq!(items[0]["event"], "check_in_instructions");
    assert_eq!(items[0]["body"], "Door code 4321, key box left of the door.");
    assert_eq!(items[0]["bookingId"], stay_id.as_str());

    // The cancelled stay never gets them, even once its own time has come.
    advance(&app, 5 * 24 * 3600).await;
    let other = reissue(&app, &other_id);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let theirs = wait_messages(&app, &other, &other_conversation, |m| m.len() >= 2).await;
    assert_eq!(events(&theirs), ["booking_cancelled", "booking_confirmed"]);
}

async fn gql(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let answer = app
        .post("/graphql", Some(token), json!({"query": query, "variables": variables}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

async fn graphql_reaches_the_same_conversations(app: TestApp) {
    let (host, property) = hosted_property(&app, "Europe/Oslo", json!({})).await;
    let (_, guest, _) = app.signed_in("guest").await;
    let started = gql(
        &app,
        &guest,
        "mutation($input: StartConversationInput!) { startConversation(input: $input) { created conversation { id unreadCount lastMessage { body kind } } } }",
        json!({"input": {"propertyId": property, "message": "Mail me: ana@example.com"}}),
    )
    .await;
    let payload = &started["data"]["startConversation"];
    assert_eq!(payload["created"], true, "{started:?}");
    assert_eq!(payload["conversation"]["lastMessage"]["body"], "Mail me: [hidden]");
    let id = payload["conversation"]["id"].as_str().unwrap().to_owned();

    let empty = gql(
        &app,
        &host,
        "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
        json!({"input": {"conversationId": id, "body": "  "}}),
    )
    .await;
    assert_eq!(empty["errors"][0]["extensions"]["code"], "validation_failed");
    assert_eq!(empty["errors"][0]["extensions"]["details"][0]["field"], "body");
    let sent = gql(
        &app,
        &host,
        "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { body senderId kind } } }",
        json!({"input": {"conversationId": id, "body": "Sure, it is quiet."}}),
    )
    .await;
    assert_eq!(sent["data"]["sendMessage"]["message"]["kind"], "text");

    let inbox = gql(
        &app,
        &guest,
        "{ conversations(first: 10) { edges { node { id unreadCount property { id } messages(first: 1) { edges { node { body } } pageInfo { hasNextPage } } } } } }",
        json!({}),
    )
    .await;
    let node = &inbox["data"]["conversations"]["edges"][0]["node"];
    assert_eq!(node["id"], id.as_str());
    assert_eq!(node["unreadCount"], 1);
    assert_eq!(node["property"]["id"], property.as_str());
    assert_eq!(node["messages"]["edges"][0]["node"]["body"], "Sure, it is quiet.");
    assert_eq!(node["messages"]["pageInfo"]["hasNextPage"], true);

    let read = gql(
        &app,
        &guest,
        "mutation($input: MarkConversationReadInput!) { markConversationRead(input: $input) { conversationId } }",
        json!({"input": {"conversationId": id}}),
    )
    .await;
    assert_eq!(read["data"]["markConversationRead"]["conversationId"], id.as_str());
    let (_, stranger, _) = app.signed_in("guest").await;
    let hidden = gql(
        &app,
        &stranger,
        "query($id: ID!) { conversation(id: $id) { id } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(hidden["errors"][0]["extensions"]["code"], "not_found");
    let seen = gql(
        &app,
        &guest,
        "query($id: ID!) { conversation(id: $id) { unreadCount } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(seen["data"]["conversation"]["unreadCount"], 0);

    let booking = booked(&app, &guest, &property, &day(5), &day(7)).await;
    let with = gql(
        &app,
        &guest,
        "query($id: ID!) { booking(id: $id) { conversationId conversation { id bookingIds } } }",
        json!({"id": booking["id"]}),
    )
    .await;
    assert_eq!(with["data"]["booking"]["conversation"]["id"], id.as_str(), "{with:?}");
    assert_eq!(
        with["data"]["booking"]["conversation"]["bookingIds"],
        json!([booking["id"]])
    );
}
