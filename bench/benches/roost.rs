//! `cargo bench -p bench -- [latency | race [ROUNDS] | init-probe [N]]` (what `scripts/bench`
//! runs; no mode runs `latency` then `race`).
//!
//! - `latency`: p50/p99 of 1,000 in-process calls each of `GET /users/me` and
//!   `POST /auth/login`, and of 500 3-night and 200 30-night `POST /bookings`, through
//!   `shared::http::serve` and the functions' own handlers, on the embedded SQLite store in a
//!   temporary directory. No Lambda runtime, no network. Every booking is for nights nobody
//!   holds yet (stays laid end to end on a few properties), so every answer is a `201`.
//! - `race [ROUNDS]`: the local API on the embedded store, in process on a loopback port;
//!   per round, 50 guests at once `POST /bookings` for overlapping nights of one property.
//!   Prints the successes (exactly 1, or the bench fails) and the wall time of each round.
//! - `init-probe [N]`: how long building the AWS SDK config and the DynamoDB and SQS clients
//!   takes in a fresh process, N processes per variant, interleaved. The variants are
//!   `shared::aws_http::sdk_config_from_env` (what the functions use) and `sdk_config` (the
//!   `aws_config` loader over the same client). The SDK's own default client is not linked.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench::{Summary, ms, settings};
use chrono::{NaiveDate, Utc};
use embedded::bus::LocalBus;
use embedded::store::SqliteStore;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::App;
use shared::auth::Principal;
use shared::clock::{ManualClock, SystemClock};
use shared::properties::input::PropertyInput;
use shared::users::register::{RegisterRequest, register};
use shared::users::session::{LoginRequest, login};

/// Calls timed per endpoint.
const CALLS: usize = 1_000;
/// Untimed calls first, so that caches, the allocator and SQLite's pages are warm.
const WARMUP: usize = 50;
/// The target of `GET /users/me` (p50, in process).
const GET_ME_TARGET: Duration = Duration::from_micros(200);
/// Timed `POST /bookings` per stay length (nights, calls), each call for fresh nights.
const STAYS: [(i64, usize); 2] = [(3, 500), (30, 200)];
/// The target of a 3-night `POST /bookings` (p50, in process).
const CREATE_3_NIGHTS_TARGET: Duration = Duration::from_millis(2);
/// How far ahead the stays laid end to end on one property may reach, in days.
const CALENDAR_DAYS: i64 = 360;
/// Concurrent `POST /bookings` per race round, one guest each.
const RACERS: usize = 50;
/// Race rounds when none are asked for.
const RACE_ROUNDS: usize = 5;

const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "correct horse battery staple";

fn main() {
    // `cargo bench` passes `--bench`; anything else is ours.
    let args: Vec<String> = std::env::args().skip(1).filter(|arg| arg != "--bench").collect();
    let runtime = bench::runtime();
    match args.first().map(String::as_str) {
        None => {
            runtime.block_on(latency());
            race(RACE_ROUNDS);
        }
        Some("latency") => runtime.block_on(latency()),
        Some("race") => race(
            args.get(1)
                .map_or(Ok(RACE_ROUNDS), |n| n.parse())
                .expect("ROUNDS is a number"),
        ),
        Some("init-probe") => init_probe(args.get(1).map_or(Ok(30), |n| n.parse()).expect("N is a number")),
        Some("init-once") => runtime.block_on(init_once(args.get(1).expect("a variant"))),
        Some(other) => panic!("unknown mode {other:?}: latency | race [ROUNDS] | init-probe [N]"),
    }
}

/// The app as `tests/src/app.rs` builds it, on SQLite files in `dir`, with the system clock.
fn app(dir: &std::path::Path) -> &'static App {
    let clock = Arc::new(SystemClock);
    let store = SqliteStore::open(&dir.join("store.sqlite"), clock.clone()).expect("SQLite store");
    let bus = LocalBus::open(dir.join("queues.sqlite")).expect("local bus");
    let app = App::new(Arc::new(store), Arc::new(bus), clock, &settings()).expect("valid settings");
    Box::leak(Box::new(app))
}

async fn latency() {
    let dir = std::env::temp_dir().join(format!("roost-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let app = app(&dir);

    register(
        app,
        RegisterRequest {
            email: Some(EMAIL.to_owned()),
            password: Some(PASSWORD.to_owned()),
            first_name: Some("Bench".to_owned()),
            last_name: Some("Mark".to_owned()),
            ..RegisterRequest::default()
        },
    )
    .await
    .expect("register the bench user");
    let tokens = login(
        app,
        LoginRequest {
            email: Some(EMAIL.to_owned()),
            password: Some(PASSWORD.to_owned()),
        },
    )
    .await
    .expect("log the bench user in");

    let get_me = time(
        CALLS,
        200,
        |_| bench::get_me(&tokens.access_token),
        |request| shared::http::serve(request, |r| get_me::handle(app, r)),
    )
    .await;
    let log_in = time(
        CALLS,
        200,
        |_| bench::login(EMAIL, PASSWORD),
        |request| shared::http::serve(request, |r| login::handle(app, r)),
    )
    .await;

    // The bench user books; a host lists the properties.
    let host = register(
        app,
        RegisterRequest {
            email: Some("bench-host@example.com".to_owned()),
            password: Some(PASSWORD.to_owned()),
            first_name: Some("Bench".to_owned()),
            last_name: Some("Host".to_owned()),
            role: Some("host".to_owned()),
            ..RegisterRequest::default()
        },
    )
    .await
    .expect("register the bench host");
    let host = Principal {
        user_id: host.id,
        roles: host.roles,
    };
    let mut bookings = Vec::with_capacity(STAYS.len());
    for (nights, calls) in STAYS {
        // Stays laid end to end, `per_property` on each property, from the day after
        // tomorrow (UTC) on: a check-in no time zone sees in the past, and no night twice.
        let per_property = usize::try_from((CALENDAR_DAYS / nights).max(1)).expect("a count");
        let total = WARMUP + calls;
        let mut properties = Vec::new();
        for _ in 0..total.div_ceil(per_property) {
            properties.push(list_property(app, &host, nights).await);
        }
        let first = Utc::now().date_naive() + chrono::Duration::days(2);
        let samples = time(
            calls,
            201,
            |i| {
                let slot = i64::try_from(i % per_property).expect("a slot");
                let check_in = first + chrono::Duration::days(slot * nights);
                let check_out = check_in + chrono::Duration::days(nights);
                bench::create_booking(
                    &tokens.access_token,
                    &properties[i / per_property],
                    &day(check_in),
                    &day(check_out),
                    2,
                )
            },
            |request| shared::http::serve(request, |r| create_booking::handle(app, r)),
        )
        .await;
        bookings.push((nights, samples));
    }
    let suspension = suspension_check(app, &tokens.access_token).await;
    let get_me_suspended = time(
        CALLS,
        200,
        |_| bench::get_me(&tokens.access_token),
        |request| shared::http::serve(request, |r| get_me::handle(app, r)),
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);

    println!("in-process latency after {WARMUP} warm-up calls each (ms)");
    println!(
        "{:<24} {:>5} {:>8} {:>8} {:>8} {:>8}  target",
        "endpoint", "calls", "p50", "p99", "min", "max"
    );
    let mut rows = vec![
        ("GET /users/me".to_owned(), get_me, Some(GET_ME_TARGET)),
        (
            format!("  ..{SUSPENDED_USERS} suspended"),
            get_me_suspended,
            Some(GET_ME_TARGET),
        ),
        ("authenticate (1,000 susp.)".to_owned(), suspension, None),
        ("POST /auth/login".to_owned(), log_in, None),
    ];
    for (nights, samples) in bookings {
        let target = (nights == 3).then_some(CREATE_3_NIGHTS_TARGET);
        rows.push((format!("POST /bookings {nights}-night"), samples, target));
    }
    for (name, mut samples, target) in rows {
        let s = Summary::of(&mut samples).expect("samples");
        let verdict = match target {
            Some(target) if s.p50 < target => format!("p50 < {} ms: PASS", ms(target)),
            Some(target) => format!("p50 < {} ms: FAIL", ms(target)),
            None => "-".to_owned(),
        };
        println!(
            "{name:<24} {:>5} {:>8} {:>8} {:>8} {:>8}  {verdict}",
            s.n,
            ms(s.p50),
            ms(s.p99),
            ms(s.min),
            ms(s.max)
        );
    }
}

/// Suspended accounts in the list while the check is timed: a marketplace's worth.
const SUSPENDED_USERS: usize = 1_000;
/// The target of the suspension check's share of `GET /users/me` (p50, in process).
const SUSPENSION_CHECK_TARGET: Duration = Duration::from_micros(50);

/// What refusing suspended accounts' older tokens costs a signed-in request (issue 21): the
/// token check alone, the same with the suspension check (`shared::auth::authenticate`, its
/// copy of the list fresh, with [`SUSPENDED_USERS`] entries), the difference, and the read of
/// the list a sandbox makes once a minute. Prints its table; answers nothing to the caller.
async fn suspension_check(app: &'static App, token: &str) -> Vec<Duration> {
    use shared::store::keys;
    let since = Utc::now();
    for n in 0..SUSPENDED_USERS {
        let user_id = ulid::Ulid::new().to_string();
        let item = shared::store::Item::new(
            keys::suspension(&user_id),
            keys::kind::SUSPENSION,
            &json!({"userId": user_id, "since": since, "n": n}),
        )
        .expect("an item");
        app.store
            .put(item, shared::store::Condition::Always)
            .await
            .expect("a suspension entry");
    }
    app.suspensions.forget();
    let request = bench::get_me(token);
    let mut verify = Vec::with_capacity(CALLS);
    let mut authenticate = Vec::with_capacity(CALLS);
    for i in 0..WARMUP + CALLS {
        let now = app.clock.now();
        let started = Instant::now();
        let claims =
            std::hint::black_box(shared::auth::keys::verify(&app.keys, std::hint::black_box(token), now).await);
        let verified = started.elapsed();
        assert!(claims.is_ok());
        let started = Instant::now();
        let principal = std::hint::black_box(shared::auth::authenticate(app, &request).await);
        let authenticated = started.elapsed();
        assert!(principal.is_ok());
        if i >= WARMUP {
            verify.push(verified);
            authenticate.push(authenticated);
        }
    }
    let mut reads = Vec::with_capacity(20);
    for _ in 0..20 {
        let fresh = shared::auth::suspensions::Suspensions::new();
        let started = Instant::now();
        let list = fresh
            .current(app.store.as_ref(), app.clock.now())
            .await
            .expect("the list");
        reads.push(started.elapsed());
        assert_eq!(list.len(), SUSPENDED_USERS);
    }
    let mut verify_sorted = verify.clone();
    let mut authenticate_sorted = authenticate.clone();
    let v = Summary::of(&mut verify_sorted).expect("samples");
    let a = Summary::of(&mut authenticate_sorted).expect("samples");
    let r = Summary::of(&mut reads).expect("samples");
    let added = a.p50.saturating_sub(v.p50);
    let verdict = if added < SUSPENSION_CHECK_TARGET {
        "PASS"
    } else {
        "FAIL"
    };
    let us = |d: Duration| format!("{:.2} µs", d.as_nanos() as f64 / 1000.0);
    println!("suspension check of a signed-in request, {SUSPENDED_USERS} suspended accounts");
    println!(
        "  token check alone              p50 {:>10} p99 {:>10}",
        us(v.p50),
        us(v.p99)
    );
    println!(
        "  token + suspension check       p50 {:>10} p99 {:>10}",
        us(a.p50),
        us(a.p99)
    );
    println!(
        "  added by the suspension check  p50 {:>10}  target < {}: {verdict}",
        us(added),
        us(SUSPENSION_CHECK_TARGET)
    );
    println!(
        "  the list's read (once a minute per sandbox) p50 {} ms, p99 {} ms",
        ms(r.p50),
        ms(r.p99)
    );
    authenticate
}

/// A listing that takes stays of up to `max_nights` nights (30 at least) and 4 guests.
fn listing(max_nights: i64) -> Value {
    json!({
        "title": "Bench cabin",
        "address": {"line1": "Ridge Road 7", "city": "Zurich", "country": "CH"},
        "timeZone": "Europe/Zurich",
        "maxGuests": 4,
        "nightlyPrice": {"amount": 15_000, "currency": "CHF"},
        "cleaningFee": {"amount": 5_000, "currency": "CHF"},
        "maxNights": max_nights.max(30),
    })
}

/// Lists a property for `host` straight through `shared::properties` (untimed); its id.
async fn list_property(app: &App, host: &Principal, max_nights: i64) -> String {
    let input: PropertyInput = serde_json::from_value(listing(max_nights)).expect("a property body");
    shared::properties::create(app, host, None, input)
        .await
        .expect("list a bench property")
        .id()
        .expect("an id")
}

/// `date` as `YYYY-MM-DD`.
fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Times `calls` calls of `call`, each on a fresh request from `make` (given the call's
/// index, warm-up included; built untimed: `lambda_http::Request` is not `Clone`), after
/// [`WARMUP`] untimed ones. Every response must have status `expected`.
async fn time<M, C, F>(calls: usize, expected: u16, make: M, call: C) -> Vec<Duration>
where
    M: FnMut(usize) -> lambda_http::Request,
    C: Fn(lambda_http::Request) -> F,
    F: Future<Output = lambda_http::Response<lambda_http::Body>>,
{
    let requests: Vec<_> = (0..WARMUP + calls).map(make).collect();
    let mut samples = Vec::with_capacity(calls);
    for (i, request) in requests.into_iter().enumerate() {
        let started = Instant::now();
        let response = std::hint::black_box(call(request).await);
        let elapsed = started.elapsed();
        assert_eq!(response.status(), expected, "call {i}: {:?}", response.body());
        if i >= WARMUP {
            samples.push(elapsed);
        }
    }
    samples
}

/// The local API (every route of `template.yaml`) on a fresh in-memory SQLite store, served
/// in process on 127.0.0.1 port 0, as `tests/src/app.rs` spawns it; the clock is real time.
struct LocalApi {
    base: String,
    client: reqwest::Client,
}

impl LocalApi {
    async fn spawn() -> Self {
        let clock = Arc::new(ManualClock::default());
        let store = SqliteStore::open_temporary(clock.clone()).expect("temporary SQLite store");
        let bus = Arc::new(LocalBus::temporary().expect("temporary bus"));
        let app: &'static App = Box::leak(Box::new(
            App::new(Arc::new(store), bus.clone(), clock.clone(), &settings()).expect("valid settings"),
        ));
        let local = local_api::LocalApi::new(app, clock, None, None, local_api::template::BUILT_IN)
            .expect("template and handlers agree");
        local.attach_consumers(&bus);
        // The task stops when the bus is dropped, which a leaked app never does.
        drop(bus.spawn_delivery());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(local.serve(listener));
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
        }
    }

    /// `POST path` with a JSON body: the status and the body.
    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Registers a user with `role` and logs them in: their access token.
    async fn signed_in(&self, email: &str, role: &str) -> String {
        let user =
            json!({"email": email, "password": PASSWORD, "firstName": "Race", "lastName": "Runner", "role": role});
        let (status, body) = self.post("/auth/register", None, &user).await;
        assert_eq!(status, StatusCode::CREATED, "register {email}: {body}");
        let (status, body) = self
            .post("/auth/login", None, &json!({"email": email, "password": PASSWORD}))
            .await;
        assert_eq!(status, StatusCode::OK, "log {email} in: {body}");
        body["accessToken"].as_str().expect("an access token").to_owned()
    }
}

/// The race: [`RACERS`] guests at once ask the local API for 3 nights of one property, every
/// stay covering one common night, `rounds` times on fresh nights. Exactly one may win each
/// round (`201`), every other must lose with `409`; anything else fails the bench.
fn race(rounds: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let api = Arc::new(LocalApi::spawn().await);
        let host = api.signed_in("race-host@example.com", "host").await;
        let (status, property) = api.post("/properties", Some(&host), &listing(30)).await;
        assert_eq!(status, StatusCode::CREATED, "list the race property: {property}");
        let property = property["id"].as_str().expect("a property id").to_owned();
        // Registering and logging in hash a password each: on every worker at once.
        let guests: Vec<_> = (0..RACERS)
            .map(|n| {
                let api = Arc::clone(&api);
                tokio::spawn(async move { api.signed_in(&format!("racer-{n}@example.com"), "guest").await })
            })
            .collect();
        let mut tokens = Vec::with_capacity(RACERS);
        for guest in guests {
            tokens.push(guest.await.expect("a guest signed in"));
        }

        println!("booking race over the local API (embedded SQLite store, 127.0.0.1)");
        println!("{RACERS} guests at once, 3 nights each of one property, all covering one night; exactly 1 must win");
        println!(
            "{:<6} {:<12} {:>9} {:>9} {:>9}  verdict",
            "round", "common night", "successes", "conflicts", "wall ms"
        );
        let first = Utc::now().date_naive() + chrono::Duration::days(10);
        for round in 0..rounds {
            // Check-ins on base, base+1 and base+2: night base+2 is in every stay.
            let base = first + chrono::Duration::days(10 * i64::try_from(round).expect("a round"));
            let requests: Vec<_> = tokens
                .iter()
                .enumerate()
                .map(|(n, token)| {
                    let check_in = base + chrono::Duration::days(i64::try_from(n % 3).expect("an offset"));
                    let body = json!({
                        "propertyId": property,
                        "checkIn": day(check_in),
                        "checkOut": day(check_in + chrono::Duration::days(3)),
                        "guests": 2,
                    });
                    api.client
                        .post(format!("{}/bookings", api.base))
                        .bearer_auth(token)
                        .json(&body)
                })
                .collect();
            let started = Instant::now();
            let attempts: Vec<_> = requests
                .into_iter()
                .map(|request| {
                    tokio::spawn(async move {
                        let response = request.send().await.expect("request sent");
                        let status = response.status();
                        (status, response.text().await.unwrap_or_default())
                    })
                })
                .collect();
            let mut answers = Vec::with_capacity(RACERS);
            for attempt in attempts {
                answers.push(attempt.await.expect("a booking attempt"));
            }
            let wall = started.elapsed();
            let won = answers
                .iter()
                .filter(|(status, _)| *status == StatusCode::CREATED)
                .count();
            let lost = answers
                .iter()
                .filter(|(status, _)| *status == StatusCode::CONFLICT)
                .count();
            let verdict = if won == 1 && won + lost == RACERS {
                "PASS"
            } else {
                "FAIL"
            };
            println!(
                "{:<6} {:<12} {won:>9} {lost:>9} {:>9}  {verdict}",
                round + 1,
                day(base + chrono::Duration::days(2)),
                ms(wall)
            );
            let unexpected: Vec<_> = answers
                .iter()
                .filter(|(status, _)| *status != StatusCode::CREATED && *status != StatusCode::CONFLICT)
                .collect();
            assert!(
                unexpected.is_empty(),
                "round {}: answers other than 201 or 409: {unexpected:?}",
                round + 1
            );
            assert_eq!(won, 1, "round {}: exactly one booking must win", round + 1);
        }
    });
}

/// The init variants `init-probe` compares.
/// (The SDK's own default client is no longer linked: `aws-config` is built without it.)
const VARIANTS: [&str; 2] = ["aws_http::sdk_config_from_env", "aws_http::sdk_config"];

/// Runs `init-once` in `n` fresh processes per variant, interleaved, and prints the spread.
fn init_probe(n: usize) {
    let exe: PathBuf = std::env::current_exe().expect("own path");
    let mut results: Vec<Vec<Duration>> = vec![Vec::new(); VARIANTS.len()];
    for _ in 0..n {
        for (variant, samples) in VARIANTS.iter().zip(results.iter_mut()) {
            let output = Command::new(&exe)
                .args(["init-once", variant])
                // What Lambda (and the perf harness) provide; a caller's own values win.
                .env(
                    "AWS_REGION",
                    std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
                )
                .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
                .env("AWS_SECRET_ACCESS_KEY", "bench")
                .env("AWS_SESSION_TOKEN", "bench")
                .output()
                .expect("run init-once");
            let micros: u64 = String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("init-once {variant}: {}", String::from_utf8_lossy(&output.stderr)));
            samples.push(Duration::from_micros(micros));
        }
    }
    println!("SDK config + DynamoDB and SQS clients, fresh process each, {n} per variant (ms)");
    println!("{:<32} {:>8} {:>8} {:>8}", "variant", "p50", "min", "max");
    for (variant, samples) in VARIANTS.iter().zip(results.iter_mut()) {
        let s = Summary::of(samples).expect("samples");
        println!("{variant:<32} {:>8} {:>8} {:>8}", ms(s.p50), ms(s.min), ms(s.max));
    }
}

/// Builds one variant's config and both clients, and prints how long that took in µs.
async fn init_once(variant: &str) {
    let started = Instant::now();
    let config = match variant {
        "aws_http::sdk_config" => shared::aws_http::sdk_config().await.expect("sdk config"),
        "aws_http::sdk_config_from_env" => shared::aws_http::sdk_config_from_env().expect("sdk config"),
        other => panic!("unknown variant {other:?}"),
    };
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let elapsed = started.elapsed();
    std::hint::black_box((dynamo, sqs));
    println!("{}", elapsed.as_micros());
}
