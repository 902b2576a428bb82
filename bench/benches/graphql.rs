//! `cargo bench -p bench --bench graphql` (what `scripts/bench` runs): p50/p99 of 1,000
//! in-process executions through `graphql::execute` on the embedded SQLite store of
//! - "my trips": 20 bookings, each with `property { title host { firstName } }` (target
//!   p50 < 1.5 ms), with the store calls it made (target at most 3);
//! - `property(id)` with a handful of fields (target p50 < 0.1 ms).

use std::time::{Duration, Instant};

use bench::{Summary, ms};
use chrono::{Duration as Days, Utc};
use serde_json::json;
use shared::auth::{Principal, Role};
use shared::bookings::create::BookingInput;
use shared::properties::input::PropertyInput;
use shared::users::register::{RegisterRequest, register};

// As the local API runs (local-api/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CALLS: usize = 1_000;
const WARMUP: usize = 50;
const TRIPS: usize = 20;

fn main() {
    let runtime = bench::runtime();
    runtime.block_on(latency());
}

async fn latency() {
    let (app, counting, dir) = bench::counted_app("graphql");

    let host = register(
        app,
        RegisterRequest {
            email: Some("host@example.com".into()),
            password: Some("correct horse battery".into()),
            first_name: Some("Ada".into()),
            last_name: Some("Host".into()),
            role: Some("host".into()),
            ..RegisterRequest::default()
        },
    )
    .await
    .expect("a host");
    let host = Principal {
        user_id: host.id,
        roles: vec![Role::Guest, Role::Host],
    };
    let guest = Principal {
        user_id: ulid::Ulid::new().to_string(),
        roles: vec![Role::Guest],
    };
    let mut property_id = String::new();
    for n in 0..TRIPS {
        let input: PropertyInput = serde_json::from_value(json!({
            "title": format!("Cabin {n}"),
            "address": {"line1": "Ridge Road 7", "city": "Zurich", "country": "CH"},
            "timeZone": "Europe/Zurich",
            "maxGuests": 4,
            "nightlyPrice": {"amount": 15_000, "currency": "CHF"},
        }))
        .expect("a property");
        property_id = shared::properties::create(app, &host, None, input)
            .await
            .expect("listed")
            .id()
            .expect("an id");
        let check_in = Utc::now().date_naive() + Days::days(30 + n as i64);
        let booking = BookingInput {
            property_id: Some(property_id.clone()),
            check_in: Some(check_in.format("%Y-%m-%d").to_string()),
            check_out: Some((check_in + Days::days(2)).format("%Y-%m-%d").to_string()),
            guests: Some(2),
        };
        shared::bookings::create::create(app, &guest, None, booking)
            .await
            .expect("booked");
    }

    let trips = json!({"query": "{ myBookings(first: 20) { edges { node { id status checkIn property { title host { firstName } } } } pageInfo { hasNextPage endCursor } } }"}).to_string();
    let property = json!({"query": format!("{{ property(id: \"{property_id}\") {{ id title nightlyPrice {{ amount currency }} maxGuests }} }}")}).to_string();
    println!(
        "{:<28} {:>9} {:>9} {:>12} {:>12}",
        "POST /graphql (in process)", "p50 ms", "p99 ms", "target", "store calls"
    );
    for (name, body, target, caller) in [
        (
            "my trips, 20, nested",
            &trips,
            Duration::from_micros(1_500),
            Ok(guest.clone()),
        ),
        (
            "property(id)",
            &property,
            Duration::from_micros(100),
            Err(shared::error::ApiError::Unauthorized("anonymous")),
        ),
    ] {
        let mut samples = Vec::with_capacity(CALLS);
        let mut calls = 0;
        for i in 0..WARMUP + CALLS {
            counting.take();
            let started = Instant::now();
            let outcome = std::hint::black_box(graphql::execute(app, caller.clone(), body.as_bytes()).await);
            let elapsed = started.elapsed();
            calls = calls.max(counting.take());
            assert!(outcome.body.get("errors").is_none(), "{name}: {}", outcome.body);
            if i >= WARMUP {
                samples.push(elapsed);
            }
        }
        let summary = Summary::of(&mut samples).expect("samples");
        let verdict = if summary.p50 < target { "pass" } else { "FAIL" };
        println!(
            "{name:<28} {:>9} {:>9} {:>12} {calls:>12}",
            ms(summary.p50),
            ms(summary.p99),
            format!("<{} {verdict}", ms(target)),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
