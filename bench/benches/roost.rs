//! `cargo bench -p bench -- [latency | init-probe [N]]` (what `scripts/bench` runs).
//!
//! - `latency` (default): p50/p99 of 1,000 in-process calls each of `GET /users/me` and
//!   `POST /auth/login`, through `shared::http::serve` and the functions' own handlers, on the
//!   embedded SQLite store in a temporary directory. No Lambda runtime, no network.
//! - `init-probe [N]`: how long building the AWS SDK config and the DynamoDB and SQS clients
//!   takes in a fresh process, N processes per variant, interleaved. The variants are
//!   `shared::aws_http::sdk_config_from_env` (what the functions use) and `sdk_config` (the
//!   `aws_config` loader over the same client). The SDK's own default client is not linked.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench::{Summary, ms};
use embedded::bus::LocalBus;
use embedded::store::SqliteStore;
use shared::App;
use shared::app::Settings;
use shared::clock::SystemClock;
use shared::users::register::{RegisterRequest, register};
use shared::users::session::{LoginRequest, login};

/// Calls timed per endpoint.
const CALLS: usize = 1_000;
/// Untimed calls first, so that caches, the allocator and SQLite's pages are warm.
const WARMUP: usize = 50;
/// The target of `GET /users/me` (p50, in process).
const GET_ME_TARGET: Duration = Duration::from_micros(200);

const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "correct horse battery staple";

fn main() {
    // `cargo bench` passes `--bench`; anything else is ours.
    let args: Vec<String> = std::env::args().skip(1).filter(|arg| arg != "--bench").collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match args.first().map(String::as_str) {
        None | Some("latency") => runtime.block_on(latency()),
        Some("init-probe") => init_probe(args.get(1).map_or(Ok(30), |n| n.parse()).expect("N is a number")),
        Some("init-once") => runtime.block_on(init_once(args.get(1).expect("a variant"))),
        Some(other) => panic!("unknown mode {other:?}: latency | init-probe [N]"),
    }
}

/// The app as `tests/src/app.rs` builds it, on SQLite files in `dir`, with the system clock.
fn app(dir: &std::path::Path) -> &'static App {
    let clock = Arc::new(SystemClock);
    let store = SqliteStore::open(&dir.join("store.sqlite"), clock.clone()).expect("SQLite store");
    let bus = LocalBus::open(dir.join("queues.sqlite")).expect("local bus");
    let settings = Settings {
        jwt_secret: b"bench-secret-bench-secret-bench-secret!".to_vec(),
        jwt_issuer: "roost".to_owned(),
        jwt_audience: "roost-api".to_owned(),
    };
    let app = App::new(Arc::new(store), Arc::new(bus), clock, &settings).expect("valid settings");
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

    let mut get_me = time(
        CALLS,
        || bench::get_me(&tokens.access_token),
        |request| shared::http::serve(request, |r| get_me::handle(app, r)),
    )
    .await;
    let mut log_in = time(
        CALLS,
        || bench::login(EMAIL, PASSWORD),
        |request| shared::http::serve(request, |r| login::handle(app, r)),
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);

    println!("in-process latency, {CALLS} calls each after {WARMUP} warm-up calls (ms)");
    println!(
        "{:<18} {:>8} {:>8} {:>8} {:>8}  target",
        "endpoint", "p50", "p99", "min", "max"
    );
    for (name, samples, target) in [
        ("GET /users/me", &mut get_me, Some(GET_ME_TARGET)),
        ("POST /auth/login", &mut log_in, None),
    ] {
        let s = Summary::of(samples).expect("samples");
        let verdict = match target {
            Some(target) if s.p50 < target => format!("p50 < {} ms: PASS", ms(target)),
            Some(target) => format!("p50 < {} ms: FAIL", ms(target)),
            None => "-".to_owned(),
        };
        println!(
            "{name:<18} {:>8} {:>8} {:>8} {:>8}  {verdict}",
            ms(s.p50),
            ms(s.p99),
            ms(s.min),
            ms(s.max)
        );
    }
}

/// Times `calls` calls of `call`, each on a fresh request from `make` (built untimed:
/// `lambda_http::Request` is not `Clone`), after [`WARMUP`] untimed ones. Every response
/// must be a 200.
async fn time<M, C, F>(calls: usize, make: M, call: C) -> Vec<Duration>
where
    M: Fn() -> lambda_http::Request,
    C: Fn(lambda_http::Request) -> F,
    F: Future<Output = lambda_http::Response<lambda_http::Body>>,
{
    let requests: Vec<_> = (0..WARMUP + calls).map(|_| make()).collect();
    let mut samples = Vec::with_capacity(calls);
    for (i, request) in requests.into_iter().enumerate() {
        let started = Instant::now();
        let response = std::hint::black_box(call(request).await);
        let elapsed = started.elapsed();
        assert_eq!(response.status(), 200, "{:?}", response.body());
        if i >= WARMUP {
            samples.push(elapsed);
        }
    }
    samples
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
