//! `cargo bench -p bench --bench cost`: what one 3-night booking journey costs on AWS.
//!
//! Walks the journey in process over the embedded store (whose capacity units are reckoned by
//! DynamoDB's rules, `shared::store::capacity`), through the functions' own handlers and
//! `shared::http::serve`: search by city, the property page, a quote, the booking, the payment
//! (sandbox provider), two messages, check-in, check-out and both reviews. The SQS consumers
//! the journey sets off (payment, booking, message and review events, notifications) and the
//! deadline sweeps it needs (check-in instructions, the payout) run in process too, each
//! batch or sweep as one invocation. Setup (two accounts, the listing) is not counted; nor is
//! the outbox relay, which runs on a schedule whatever the bookings (an empty look costs half
//! a read unit a minute).
//!
//! Prints one markdown table: per route, its function, the read and write units, the store
//! round trips and the handler time in process; the Lambda duration estimated for AWS (that
//! time plus [`DYNAMODB_ROUND_TRIP`] per store call, billed per started millisecond) at the
//! function's `MemorySize` from `template.yaml`, its GB-seconds and the dollars per million
//! requests at the [`PRICES`] below; then the journey's total.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use embedded::bus::LocalBus;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use local_api::registry::{ConsumerHandler, Handler, HttpHandler, ScheduledHandler};
use local_api::template::{FunctionSpec, Trigger};
use serde_json::{Value, json};
use shared::App;
use shared::clock::ManualClock;
use shared::events::Queue;
use shared::store::Store;
use shared::store::capacity::{self, Capacity};
use shared::store::counting::CountingStore;
use shared::users::register::{RegisterRequest, register};
use shared::users::session::{LoginRequest, login};

/// List prices used, us-east-1, as published on the AWS pricing pages on 2026-12-02 (unchanged
/// since late 2024, when DynamoDB on-demand was halved).
struct Prices {
    /// Lambda on arm64, per GB-second.
    lambda_gb_second: f64,
    /// Lambda, per request.
    lambda_request: f64,
    /// API Gateway HTTP API, per request (first 300 million a month).
    http_api_request: f64,
    /// DynamoDB on-demand, per read request unit.
    read_unit: f64,
    /// DynamoDB on-demand, per write request unit.
    write_unit: f64,
}

const PRICES: Prices = Prices {
    lambda_gb_second: 0.000_013_333_4,
    lambda_request: 0.20 / 1e6,
    http_api_request: 1.00 / 1e6,
    read_unit: 0.125 / 1e6,
    write_unit: 0.625 / 1e6,
};

/// What one DynamoDB call adds to a Lambda's duration in the same region (an assumption: a
/// few milliseconds is typical for single-item calls; the in-process store answers in µs).
const DYNAMODB_ROUND_TRIP: Duration = Duration::from_millis(4);

/// The template the functions' memory sizes are read from.
const TEMPLATE: &str = include_str!("../../template.yaml");

const PASSWORD: &str = "correct horse battery staple";
/// Nights of the journey's stay.
const NIGHTS: i64 = 3;

/// One invocation and what it cost.
struct Invocation {
    /// `GET /properties/{id}`, or the queue or schedule that started it.
    trigger: String,
    function: String,
    /// Whether API Gateway answered it (it bills per request).
    http: bool,
    spent: Capacity,
    store_calls: u64,
    elapsed: Duration,
}

/// The app, the handlers by binary, and the invocations so far.
struct Journey {
    /// The store's, queues' and mailbox's files, removed at the end.
    dir: std::path::PathBuf,
    app: &'static App,
    clock: Arc<ManualClock>,
    bus: Arc<LocalBus>,
    counting: Arc<CountingStore>,
    routes: Vec<(String, String, String)>,
    handlers: HashMap<&'static str, Handler>,
    invocations: Arc<Mutex<Vec<Invocation>>>,
}

fn main() {
    let runtime = bench::runtime();
    runtime.block_on(journey());
}

async fn journey() {
    let journey = Journey::start();
    let host = journey.account("host").await;
    let guest = journey.account("guest").await;
    let listed = journey
        .untimed(
            "POST",
            "/properties",
            Some(&host.1),
            json!({
                "title": "Cabin on the ridge",
                "description": "A small cabin above the fjord, with a wood stove and a view.",
                "address": {"line1": "Ridge Road 7", "city": "Reykjavik", "country": "IS"},
                "timeZone": "Atlantic/Reykjavik",
                "maxGuests": 4,
                "nightlyPrice": {"amount": 10_001, "currency": "EUR"},
                "cleaningFee": {"amount": 2_500, "currency": "EUR"},
                "maxNights": 60,
                "checkInInstructions": "Key box by the blue door.",
                "cancellationPolicy": "flexible",
            }),
        )
        .await;
    let property = listed["id"].as_str().expect("property id").to_owned();
    journey.settle().await;
    journey.invocations().clear();

    let today = journey.clock_now().date_naive();
    let check_in = today + chrono::Duration::days(6);
    let check_out = check_in + chrono::Duration::days(NIGHTS);
    let (ci, co) = (day(check_in), day(check_out));
    let guest_token = guest.1.clone();
    let host_token = host.1.clone();

    journey
        .call(
            "GET",
            &format!("/properties?city=reykjavik&checkIn={ci}&checkOut={co}&guests=2"),
            None,
            None,
            200,
        )
        .await;
    journey
        .call("GET", &format!("/properties/{property}"), None, None, 200)
        .await;
    journey
        .call(
            "GET",
            &format!("/properties/{property}/quote?checkIn={ci}&checkOut={co}&guests=2"),
            None,
            None,
            200,
        )
        .await;
    let booked = journey
        .call(
            "POST",
            "/bookings",
            Some(&guest_token),
            Some(json!({"propertyId": property, "checkIn": ci, "checkOut": co, "guests": 2})),
            201,
        )
        .await;
    let booking = booked["id"].as_str().expect("booking id").to_owned();
    let conversation = booked["conversationId"].as_str().expect("conversation id").to_owned();
    journey.settle().await;
    journey
        .call(
            "POST",
            &format!("/bookings/{booking}/payments"),
            Some(&guest_token),
            Some(json!({"paymentMethod": "pm_card_visa"})),
            201,
        )
        .await;
    journey.settle().await;
    journey
        .call(
            "POST",
            &format!("/conversations/{conversation}/messages"),
            Some(&guest_token),
            Some(json!({"body": "We arrive by bus around four. Is there a shop nearby?"})),
            201,
        )
        .await;
    journey.settle().await;
    journey
        .call(
            "POST",
            &format!("/conversations/{conversation}/messages"),
            Some(&host_token),
            Some(json!({"body": "Yes, two minutes down the road. See you then!"})),
            201,
        )
        .await;
    journey.settle().await;

    // Two days before: the check-in instructions are due (a sweep posts them).
    journey.move_clock(at(check_in - chrono::Duration::days(2), 12)).await;
    journey.move_clock(at(check_in, 16)).await;
    let guest_token = journey.login(&guest.0).await;
    let host_token = journey.login(&host.0).await;
    journey
        .call(
            "POST",
            &format!("/bookings/{booking}/check-in"),
            Some(&guest_token),
            Some(json!({})),
            200,
        )
        .await;
    journey.settle().await;
    journey.move_clock(at(check_out, 10)).await;
    let guest_token = journey.login(&guest.0).await;
    let host_token_out = journey.login(&host.0).await;
    drop(host_token);
    journey
        .call(
            "POST",
            &format!("/bookings/{booking}/check-out"),
            Some(&host_token_out),
            Some(json!({})),
            200,
        )
        .await;
    journey.settle().await;
    journey
        .call(
            "POST",
            &format!("/bookings/{booking}/reviews"),
            Some(&guest_token),
            Some(json!({"rating": 5, "cleanliness": 4, "comment": "Northern lights from the window."})),
            201,
        )
        .await;
    journey.settle().await;
    journey
        .call(
            "POST",
            &format!("/bookings/{booking}/reviews"),
            Some(&host_token_out),
            Some(json!({"rating": 4, "comment": "Tidy and kind."})),
            201,
        )
        .await;
    journey.settle().await;
    // A day after check-in the payout is due.
    journey.move_clock(at(check_out, 18)).await;

    print_table(&journey.invocations());
    let _ = std::fs::remove_dir_all(&journey.dir);
}

impl Journey {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("roost-cost-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let clock = Arc::new(ManualClock::default());
        let sqlite: Arc<dyn Store> = Arc::new(
            embedded::store::SqliteStore::open(&dir.join("store.sqlite"), clock.clone()).expect("SQLite store"),
        );
        let counting = Arc::new(CountingStore::new(sqlite));
        let bus = Arc::new(
            LocalBus::open(dir.join("queues.sqlite"))
                .expect("local bus")
                .with_clock(clock.clone()),
        );
        let mailbox = Arc::new(shared::mail::Mailbox::open(dir.join("mail"), clock.clone()).expect("mailbox"));
        let links = shared::mail::MailLinks::new("https://roost.test").expect("a base URL");
        let app: &'static App = Box::leak(Box::new(
            App::new(counting.clone(), bus.clone(), clock.clone(), &bench::settings())
                .expect("settings")
                .with_payments(Arc::new(shared::payments::sandbox::SandboxProvider::new()))
                .with_mail(mailbox, links),
        ));
        let specs = local_api::template::functions(TEMPLATE).expect("template.yaml");
        let handlers: HashMap<&'static str, Handler> = local_api::registry::handlers().into_iter().collect();
        let mut routes = Vec::new();
        let invocations = Arc::new(Mutex::new(Vec::new()));
        // One consumer at a time, so that each one's store calls are its own.
        let one_at_a_time = Arc::new(tokio::sync::Mutex::new(()));
        for spec in &specs {
            for trigger in &spec.triggers {
                match trigger {
                    Trigger::Http { method, path } => {
                        routes.push((method.clone(), path.clone(), spec.binary.clone()));
                    }
                    Trigger::Queue { queue } => {
                        let Some(queue) = Queue::ALL.into_iter().find(|known| known.logical_id() == queue) else {
                            continue;
                        };
                        let Some(Handler::Consumer(handler)) = handlers.get(spec.binary.as_str()).copied() else {
                            continue;
                        };
                        bus.register(
                            queue,
                            metered_consumer(
                                app,
                                handler,
                                queue,
                                spec,
                                counting.clone(),
                                invocations.clone(),
                                one_at_a_time.clone(),
                            ),
                        );
                    }
                    Trigger::Schedule => {}
                }
            }
        }
        Self {
            dir,
            app,
            clock,
            bus,
            counting,
            routes,
            handlers,
            invocations,
        }
    }

    fn invocations(&self) -> std::sync::MutexGuard<'_, Vec<Invocation>> {
        self.invocations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn clock_now(&self) -> DateTime<Utc> {
        shared::clock::Clock::now(self.clock.as_ref())
    }

    /// Registers and signs in a `role`: (email, access token). Not counted.
    async fn account(&self, role: &str) -> (String, String) {
        let email = format!("{role}-{}@example.com", ulid::Ulid::new().to_string().to_lowercase());
        register(
            self.app,
            RegisterRequest {
                email: Some(email.clone()),
                password: Some(PASSWORD.to_owned()),
                first_name: Some("Bench".to_owned()),
                last_name: Some(role.to_owned()),
                role: Some(role.to_owned()),
                ..RegisterRequest::default()
            },
        )
        .await
        .expect("register");
        let token = self.login(&email).await;
        (email, token)
    }

    /// A fresh access token for `email` (tokens expire as the clock moves). Not counted.
    async fn login(&self, email: &str) -> String {
        login(
            self.app,
            LoginRequest {
                email: Some(email.to_owned()),
                password: Some(PASSWORD.to_owned()),
            },
        )
        .await
        .expect("log in")
        .access_token
    }

    /// Sends a request through its function's handler, counted; its body.
    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>, status: u16) -> Value {
        let (route, function, request) = self.request(method, path, token, body);
        let Some(Handler::Http(handler)) = self.handlers.get(function.as_str()).copied() else {
            panic!("{function} is not an HTTP function");
        };
        self.counting.take();
        let started = Instant::now();
        let (response, spent) = capacity::measure(serve(self.app, handler, request)).await;
        let elapsed = started.elapsed();
        let store_calls = self.counting.take();
        let answer = answer(response, method, path, status);
        self.invocations().push(Invocation {
            trigger: format!("{method} {route}"),
            function,
            http: true,
            spent,
            store_calls,
            elapsed,
        });
        answer
    }

    /// Sends a request, not counted; its body (which must come with a 201).
    async fn untimed(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
        let (_, function, request) = self.request(method, path, token, Some(body));
        let Some(Handler::Http(handler)) = self.handlers.get(function.as_str()).copied() else {
            panic!("{function} is not an HTTP function");
        };
        answer(serve(self.app, handler, request).await, method, path, 201)
    }

    /// The request for `path`: (route, function, request as API Gateway hands it over).
    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (String, String, lambda_http::Request) {
        let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
        let (route, function, params) = self
            .routes
            .iter()
            .filter(|(m, _, _)| m == method)
            .filter_map(|(_, route, function)| {
                route_params(route, raw_path).map(|(literals, params)| (literals, route, function, params))
            })
            .max_by_key(|(literals, ..)| *literals)
            .map(|(_, route, function, params)| (route.clone(), function.clone(), params))
            .unwrap_or_else(|| panic!("no route for {method} {raw_path}"));
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri(format!("https://api.roost.test{path}"));
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                builder = builder.header("content-type", "application/json");
                Body::Text(body.to_string())
            }
            None => Body::Empty,
        };
        let request = builder
            .body(body)
            .expect("a request")
            .with_path_parameters(params)
            .with_query_string_parameters(query.parse::<QueryMap>().unwrap_or_default())
            .with_request_context(RequestContext::ApiGatewayV2(context(method, &route, raw_path)));
        (route, function, request)
    }

    /// Delivers every message the journey has published so far (and those its consumers
    /// publish in turn), each batch counted as one invocation of its consumer.
    async fn settle(&self) {
        for _ in 0..100 {
            if self.bus.deliver_once().await == 0 {
                return;
            }
        }
        panic!("the queues never emptied");
    }

    /// Moves the clock to `now`, then runs the deadline sweep (counted when it did any work)
    /// and settles what it published.
    async fn move_clock(&self, now: DateTime<Utc>) {
        self.clock.set(now);
        let Some(Handler::Scheduled(sweep)) = self.handlers.get("deadline-sweeper").copied() else {
            panic!("no deadline-sweeper");
        };
        self.scheduled("schedule (deadlines)", "deadline-sweeper", sweep).await;
        self.settle().await;
    }

    async fn scheduled(&self, trigger: &str, function: &str, job: ScheduledHandler) {
        self.counting.take();
        let started = Instant::now();
        let (result, spent) = capacity::measure(job(self.app)).await;
        let elapsed = started.elapsed();
        result.unwrap_or_else(|err| panic!("{function}: {err}"));
        self.invocations().push(Invocation {
            trigger: trigger.to_owned(),
            function: function.to_owned(),
            http: false,
            spent,
            store_calls: self.counting.take(),
            elapsed,
        });
    }
}

/// `handler` behind `serve`, as its Lambda runs it.
async fn serve(app: &'static App, handler: HttpHandler, request: lambda_http::Request) -> shared::http::Response {
    shared::http::serve(request, |request| handler(app, request)).await
}

/// The consumer of `queue` for the bus: `handler`, each batch counted as one invocation.
fn metered_consumer(
    app: &'static App,
    handler: ConsumerHandler,
    queue: Queue,
    spec: &FunctionSpec,
    counting: Arc<CountingStore>,
    invocations: Arc<Mutex<Vec<Invocation>>>,
    one_at_a_time: Arc<tokio::sync::Mutex<()>>,
) -> embedded::bus::Consumer {
    let function = spec.binary.clone();
    embedded::bus::consumer(move |batch| {
        let (function, counting, invocations, one_at_a_time) = (
            function.clone(),
            counting.clone(),
            invocations.clone(),
            one_at_a_time.clone(),
        );
        async move {
            let _turn = one_at_a_time.lock().await;
            let before = counting.calls.load(Ordering::SeqCst);
            let started = Instant::now();
            let (response, spent) = capacity::measure(handler(app, batch)).await;
            let elapsed = started.elapsed();
            let store_calls = counting.calls.load(Ordering::SeqCst) - before;
            invocations
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(Invocation {
                    trigger: format!("queue {}", queue.name()),
                    function,
                    http: false,
                    spent,
                    store_calls,
                    elapsed,
                });
            response
        }
    })
}

/// The body of `response`, which must have `status`.
fn answer(response: shared::http::Response, method: &str, path: &str, status: u16) -> Value {
    let code = response.status().as_u16();
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    assert_eq!(code, status, "{method} {path}: {body}");
    body
}

/// The path parameters of `path` on `route` (`/bookings/{id}`), and how many literal
/// segments matched (the most specific route wins: `/users/me` over `/users/{id}`).
fn route_params(route: &str, path: &str) -> Option<(usize, HashMap<String, String>)> {
    let (route, path): (Vec<&str>, Vec<&str>) = (route.split('/').collect(), path.split('/').collect());
    if route.len() != path.len() {
        return None;
    }
    let mut literals = 0;
    let mut params = HashMap::new();
    for (pattern, segment) in route.iter().zip(&path) {
        match pattern.strip_prefix('{').and_then(|name| name.strip_suffix('}')) {
            Some(name) => {
                params.insert(name.to_owned(), (*segment).to_owned());
            }
            None if pattern == segment => literals += 1,
            None => return None,
        }
    }
    Some((literals, params))
}

fn context(method: &str, route: &str, raw_path: &str) -> ApiGatewayV2httpRequestContext {
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = lambda_http::http::Method::from_bytes(method.as_bytes()).unwrap_or_default();
    http.path = Some(raw_path.to_owned());
    http.protocol = Some("HTTP/1.1".to_owned());
    http.source_ip = Some("127.0.0.1".to_owned());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(format!("{method} {route}"));
    context.request_id = Some(ulid::Ulid::new().to_string());
    context.stage = Some("$default".to_owned());
    context.http = http;
    context
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `date` at `hour`:00 UTC.
fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    date.and_hms_opt(hour, 0, 0).expect("a time").and_utc()
}

/// Each function's `MemorySize` in MB (the template's Globals unless it sets its own).
fn memory_sizes() -> HashMap<String, u64> {
    let doc: serde_yaml::Value = serde_yaml::from_str(TEMPLATE).expect("template.yaml is YAML");
    let global = doc["Globals"]["Function"]["MemorySize"].as_u64().unwrap_or(128);
    let mut sizes = HashMap::new();
    if let Some(resources) = doc["Resources"].as_mapping() {
        for resource in resources.values() {
            if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            if let Some(binary) = resource["Metadata"]["BuildProperties"]["Binary"].as_str() {
                let size = resource["Properties"]["MemorySize"].as_u64().unwrap_or(global);
                sizes.insert(binary.to_owned(), size);
            }
        }
    }
    sizes
}

/// What one invocation costs on AWS.
struct Bill {
    billed_ms: u64,
    memory_mb: u64,
    gb_seconds: f64,
    dollars: f64,
}

fn bill(invocation: &Invocation, memory: &HashMap<String, u64>) -> Bill {
    let memory_mb = memory.get(&invocation.function).copied().unwrap_or(128);
    let estimated = invocation.elapsed + DYNAMODB_ROUND_TRIP * u32::try_from(invocation.store_calls).unwrap_or(0);
    // Lambda bills every started millisecond.
    let billed_ms = u64::try_from(estimated.as_micros().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1);
    let gb_seconds = memory_mb as f64 / 1024.0 * billed_ms as f64 / 1000.0;
    let dollars = PRICES.lambda_request
        + gb_seconds * PRICES.lambda_gb_second
        + if invocation.http { PRICES.http_api_request } else { 0.0 }
        + invocation.spent.read * PRICES.read_unit
        + invocation.spent.write * PRICES.write_unit;
    Bill {
        billed_ms,
        memory_mb,
        gb_seconds,
        dollars,
    }
}

fn print_table(invocations: &[Invocation]) {
    let memory = memory_sizes();
    println!(
        "one {NIGHTS}-night booking journey, in process on the embedded store \
         (units by DynamoDB's rules; est. ms = handler + {} ms per store call)\n",
        DYNAMODB_ROUND_TRIP.as_millis()
    );
    println!("| route / trigger | function | RCU | WCU | store calls | handler ms | est. ms | MB | GB-s | $ per 1M |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut total = (Capacity::default(), 0_u64, Duration::ZERO, 0.0_f64, 0.0_f64);
    for invocation in invocations {
        let bill = bill(invocation, &memory);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.5} | {:.2} |",
            invocation.trigger,
            invocation.function,
            invocation.spent.read,
            invocation.spent.write,
            invocation.store_calls,
            bench::ms(invocation.elapsed),
            bill.billed_ms,
            bill.memory_mb,
            bill.gb_seconds,
            bill.dollars * 1e6,
        );
        total.0 += invocation.spent;
        total.1 += invocation.store_calls;
        total.2 += invocation.elapsed;
        total.3 += bill.gb_seconds;
        total.4 += bill.dollars;
    }
    println!(
        "| **one journey ({} invocations)** | | **{}** | **{}** | {} | {} | | | {:.5} | **{:.2}** |",
        invocations.len(),
        total.0.read,
        total.0.write,
        total.1,
        bench::ms(total.2),
        total.3,
        total.4 * 1e6,
    );
    println!(
        "\n$ per 1M is per million requests of that row; the total row is per million journeys \
         (${:.6} for one).",
        total.4
    );
    println!(
        "prices (us-east-1, list, taken 2026-12-02): Lambda arm64 ${}/GB-s and $0.20 per 1M requests; \
         HTTP API $1.00 per 1M; DynamoDB on-demand $0.125 per 1M RRU and $0.625 per 1M WRU",
        PRICES.lambda_gb_second
    );
}
