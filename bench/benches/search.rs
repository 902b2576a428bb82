//! `cargo bench -p bench --bench search -- [latency | seed DATA_DIR]` (what `scripts/bench`
//! runs).
//!
//! - `latency [NAME]`: 5,000 properties in one city and 5,000 spread over a 300 km square (all with a
//!   location), half of each set with one night of the benchmark stay blocked. Then p50/p99
//!   of 1,000 in-process `GET /properties` pages of 20 through `shared::http::serve` and the
//!   function's own handler, on the embedded SQLite store, for a city search, a 10 km `near`
//!   search and a 20 km `bbox`, each without and with dates; and the store calls each page
//!   made (at most the partitions it touched plus two). With `NAME`, only the searches whose
//!   name starts with it (`latency city`), for a profile of one kind.
//! - `seed DATA_DIR`: the same data in `DATA_DIR/roost.sqlite`, for the local API to serve to
//!   `wrk` (`scripts/bench` does that).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bench::{Summary, ms, settings};
use chrono::{Duration as Days, NaiveDate, Utc};
use embedded::bus::LocalBus;
use embedded::store::SqliteStore;
use lambda_http::http::HeaderValue;
use serde_json::json;
use shared::App;
use shared::auth::{Principal, Role};
use shared::clock::SystemClock;
use shared::properties::calendar::BlocksInput;
use shared::properties::input::PropertyInput;
use shared::store::Store;

// As the local API runs (local-api/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Properties per set.
const PER_SET: usize = 5_000;
/// Timed pages per search.
const CALLS: usize = 1_000;
/// Untimed pages first.
const WARMUP: usize = 50;
/// Centre of the spread set's square, and its side.
const CENTER: (f64, f64) = (46.8, 8.2);
const SQUARE_KM: f64 = 300.0;
/// The city set's city.
const CITY: &str = "Lisbon";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|arg| arg != "--bench").collect();
    let runtime = bench::runtime();
    match args.first().map(String::as_str) {
        None | Some("latency") => runtime.block_on(latency(args.get(1).map(String::as_str))),
        Some("seed") => {
            let dir = std::path::PathBuf::from(args.get(1).expect("seed DATA_DIR"));
            runtime.block_on(seed_dir(&dir));
        }
        Some(other) => panic!("unknown mode {other:?}: latency | seed DATA_DIR"),
    }
}

/// The first night of the benchmark stay (3 nights), 30 days out.
fn check_in() -> NaiveDate {
    Utc::now().date_naive() + Days::days(30)
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A small deterministic generator (xorshift64*), so every run seeds the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in 0..1.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Lists both sets through the use cases, blocking one night of the stay on every second
/// property of each.
async fn seed(app: &App) {
    let host = Principal {
        user_id: ulid::Ulid::new().to_string(),
        roles: vec![Role::Guest, Role::Host],
    };
    let mut rng = Rng(0x5EED_0FC0_FFEE);
    let lat_span = SQUARE_KM / 111.2;
    let lng_span = SQUARE_KM / (111.2 * CENTER.0.to_radians().cos());
    let started = Instant::now();
    for set in 0..2 {
        for n in 0..PER_SET {
            let (city, lat, lng) = if set == 0 {
                (CITY.to_owned(), 38.72 + rng.unit() * 0.1, -9.14 + rng.unit() * 0.1)
            } else {
                (
                    format!("Town {}", n % 200),
                    CENTER.0 - lat_span / 2.0 + rng.unit() * lat_span,
                    CENTER.1 - lng_span / 2.0 + rng.unit() * lng_span,
                )
            };
            let body = json!({
                "title": format!("Bench flat {n}"),
                "address": {"line1": "Rua 1", "city": city, "country": if set == 0 { "PT" } else { "CH" }},
                "timeZone": "Europe/Lisbon",
                "maxGuests": 4,
                "amenities": ["wifi", "kitchen"],
                "nightlyPrice": {"amount": 5_000 + (rng.next() % 20_000) as i64, "currency": "EUR"},
                "location": {"lat": lat, "lng": lng},
            });
            let input: PropertyInput = serde_json::from_value(body).expect("a property body");
            let property_id = shared::properties::create(app, &host, None, input)
                .await
                .expect("list")
                .id()
                .expect("an id");
            if n % 2 == 0 {
                let night = check_in() + Days::days((n % 3) as i64);
                let blocks = BlocksInput {
                    from: Some(day(night)),
                    to: Some(day(night + Days::days(1))),
                    blocked: Some(true),
                };
                shared::properties::calendar::set_blocks(app, &host, &property_id, blocks)
                    .await
                    .expect("block a night");
            }
        }
    }
    println!(
        "seeded {} properties in {:.1} s",
        2 * PER_SET,
        started.elapsed().as_secs_f64()
    );
}

/// Seeds `dir/roost.sqlite`, the local API's store file, and records the search backfill as
/// done (there is nothing older to bring up to date).
async fn seed_dir(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("data directory");
    let clock = Arc::new(SystemClock);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("roost.sqlite"), clock.clone()).expect("store"));
    let bus = Arc::new(LocalBus::open(dir.join("seed-queues.sqlite")).expect("bus"));
    let app = App::new(store.clone(), bus, clock, &settings()).expect("settings");
    seed(&app).await;
    shared::properties::backfill::run(store.as_ref(), Utc::now())
        .await
        .expect("backfill record");
}

/// A `GET /properties?<query>` request.
fn search_request(query: &str) -> lambda_http::Request {
    let mut request = lambda_http::request::from_str(include_str!("../../events/search-properties.json"))
        .expect("events/search-properties.json is an API Gateway event");
    let params: std::collections::HashMap<String, Vec<String>> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .fold(Default::default(), |mut map, (k, v)| {
            map.entry(k.to_owned()).or_default().push(v.replace("%2C", ","));
            map
        });
    use lambda_http::RequestExt;
    request = request.with_query_string_parameters(params);
    request
        .headers_mut()
        .insert("accept", HeaderValue::from_static("application/json"));
    request
}

/// Times every search, or only those whose name starts with `only` (`latency city`, for a
/// profile of one kind).
async fn latency(only: Option<&str>) {
    let (app, counting, dir) = bench::counted_app("search");
    seed(app).await;

    let stay = format!(
        "checkIn={}&checkOut={}",
        day(check_in()),
        day(check_in() + Days::days(3))
    );
    let (lat, lng) = CENTER;
    let dlat = 10.0 / 111.2;
    let dlng = 10.0 / (111.2 * lat.to_radians().cos());
    let bbox = format!("{},{},{},{}", lng - dlng, lat - dlat, lng + dlng, lat + dlat);
    let searches = [
        ("city", format!("city={CITY}&limit=20"), 0.3),
        ("city + dates", format!("city={CITY}&limit=20&{stay}"), 0.3),
        ("near 10 km", format!("near={lat},{lng}&radiusKm=10&limit=20"), 1.0),
        (
            "near 10 km + dates",
            format!("near={lat},{lng}&radiusKm=10&limit=20&{stay}"),
            1.0,
        ),
        ("bbox 20 km", format!("bbox={bbox}&limit=20"), 1.0),
        ("bbox 20 km + dates", format!("bbox={bbox}&limit=20&{stay}"), 1.0),
    ];
    println!(
        "{:<20} {:>9} {:>9} {:>7} {:>7} {:>11} {:>9}",
        "GET /properties", "p50 ms", "p99 ms", "target", "items", "store calls", "cells"
    );
    for (name, query, target_ms) in searches {
        if only.is_some_and(|only| !name.starts_with(only)) {
            continue;
        }
        let mut samples = Vec::with_capacity(CALLS);
        let mut calls_max = 0;
        let mut items = 0;
        for i in 0..WARMUP + CALLS {
            let request = search_request(&query);
            counting.calls.store(0, Ordering::SeqCst);
            let started = Instant::now();
            let response =
                std::hint::black_box(shared::http::serve(request, |r| search_properties::handle(app, r)).await);
            let elapsed = started.elapsed();
            assert_eq!(response.status(), 200, "{name}: {:?}", response.body());
            calls_max = calls_max.max(counting.calls.load(Ordering::SeqCst));
            if i == 0 {
                let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).expect("a JSON page");
                items = body["items"].as_array().map_or(0, Vec::len);
            }
            if i >= WARMUP {
                samples.push(elapsed);
            }
        }
        let summary = Summary::of(&mut samples).expect("samples");
        let cells = cells_of(&query);
        let verdict = if summary.p50 < Duration::from_secs_f64(target_ms / 1e3) {
            "pass"
        } else {
            "FAIL"
        };
        println!(
            "{name:<20} {:>9} {:>9} {:>7} {items:>7} {calls_max:>11} {cells:>9}",
            ms(summary.p50),
            ms(summary.p99),
            format!("<{target_ms} {verdict}"),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Index partitions a query touches: one for a city, the cover's cells for a map search.
fn cells_of(query: &str) -> usize {
    let value = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .map(|v| v.split(',').filter_map(|n| n.parse::<f64>().ok()).collect::<Vec<_>>())
    };
    if let Some(near) = value("near") {
        let radius = value("radiusKm").and_then(|r| r.first().copied()).unwrap_or(10.0);
        let center = shared::geo::Point::new(near[0], near[1]).expect("a point");
        return shared::geo::cover(&shared::geo::BBox::around(center, radius)).1.len();
    }
    if let Some(b) = value("bbox") {
        let bbox = shared::geo::BBox {
            min_lng: b[0],
            min_lat: b[1],
            max_lng: b[2],
            max_lat: b[3],
        };
        return shared::geo::cover(&bbox).1.len();
    }
    1
}
