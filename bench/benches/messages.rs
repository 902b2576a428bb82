//! `cargo bench -p bench --bench messages` (what `scripts/bench` runs): p50/p99 of 1,000
//! in-process `messages::send` calls on the embedded SQLite store (the participant read, the
//! rate-limit counter, and one transaction of the message and both inbox entries; target
//! p50 < 0.5 ms), with the store calls each made, and of an inbox page of 20.

use std::time::{Duration, Instant};

use bench::{Summary, ms};
use serde_json::json;
use shared::auth::{Principal, Role};
use shared::messages::{self, MessageInput, StartInput};
use shared::properties::input::PropertyInput;

// As the local API runs (local-api/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Guests, each in their own conversation; each sends fewer than the 30 a minute allowed.
const GUESTS: usize = 44;
const PER_GUEST: usize = 24;
const WARMUP: usize = 50;

fn main() {
    let runtime = bench::runtime();
    runtime.block_on(latency());
}

fn principal(roles: Vec<Role>) -> Principal {
    Principal {
        user_id: ulid::Ulid::new().to_string(),
        roles,
    }
}

async fn latency() {
    let (app, counting, dir) = bench::counted_app("messages");
    let host = principal(vec![Role::Guest, Role::Host]);
    let input: PropertyInput = serde_json::from_value(json!({
        "title": "Cabin", "address": {"line1": "Ridge Road 7", "city": "Zurich", "country": "CH"},
        "timeZone": "Europe/Zurich", "maxGuests": 4, "nightlyPrice": {"amount": 15_000, "currency": "CHF"},
    }))
    .expect("a property");
    let property_id = shared::properties::create(app, &host, None, input)
        .await
        .expect("listed")
        .id()
        .expect("an id");
    let mut conversations = Vec::new();
    for _ in 0..GUESTS {
        let guest = principal(vec![Role::Guest]);
        let start = StartInput {
            property_id: Some(property_id.clone()),
            message: Some("Is the flat quiet?".into()),
            ..StartInput::default()
        };
        let started = messages::start(app, &guest, start).await.expect("an inquiry");
        conversations.push((guest, started.conversation.parties.conversation_id));
    }

    let mut samples = Vec::new();
    let mut calls = 0;
    for n in 0..GUESTS * PER_GUEST {
        let (guest, conversation) = &conversations[n % GUESTS];
        let input = MessageInput {
            body: Some(format!("Message {n}: call me at the door")),
        };
        counting.take();
        let started = Instant::now();
        std::hint::black_box(messages::send(app, guest, conversation, input).await.expect("sent"));
        let elapsed = started.elapsed();
        calls = calls.max(counting.take());
        if n >= WARMUP {
            samples.push(elapsed);
        }
    }
    let send = Summary::of(&mut samples).expect("samples");

    let mut inbox = Vec::new();
    for n in 0..WARMUP + 1_000 {
        counting.take();
        let started = Instant::now();
        std::hint::black_box(messages::list(app, &host, 20, None).await.expect("an inbox page"));
        let elapsed = started.elapsed();
        assert_eq!(counting.take(), 1, "an inbox page is one query");
        if n >= WARMUP {
            inbox.push(elapsed);
        }
    }
    let inbox = Summary::of(&mut inbox).expect("samples");
    println!(
        "{:<30} {:>9} {:>9} {:>14} {:>12}",
        "messages (in process)", "p50 ms", "p99 ms", "target", "store calls"
    );
    let target = Duration::from_micros(500);
    println!(
        "{:<30} {:>9} {:>9} {:>14} {calls:>12}",
        "send a message",
        ms(send.p50),
        ms(send.p99),
        format!("<0.500 {}", if send.p50 < target { "pass" } else { "FAIL" }),
    );
    println!(
        "{:<30} {:>9} {:>9} {:>14} {:>12}",
        "inbox page of 20 (host)",
        ms(inbox.p50),
        ms(inbox.p99),
        "-",
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}
