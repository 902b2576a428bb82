//! Helpers of `cargo bench -p bench`: latency statistics and the requests the benchmark sends.
//! Everything that is timed lives in `benches/`.

use std::time::Duration;

use lambda_http::http::HeaderValue;
use lambda_http::http::header::{AUTHORIZATION, CONTENT_TYPE};
use lambda_http::{Body, Request};

/// The API Gateway v2 events the requests are made from (the same ones `events/` keeps for
/// `sam local invoke` and the perf harness), so each request carries a well-formed context.
const GET_ME_EVENT: &str = include_str!("../../events/get-me.json");
const LOGIN_EVENT: &str = include_str!("../../events/login.json");
const CREATE_BOOKING_EVENT: &str = include_str!("../../events/create-booking.json");

/// `GET /users/me` with `Authorization: Bearer <token>`.
pub fn get_me(token: &str) -> Request {
    let mut request = lambda_http::request::from_str(GET_ME_EVENT).expect("events/get-me.json is an API Gateway event");
    let bearer = HeaderValue::from_str(&format!("Bearer {token}")).expect("token is a header value");
    request.headers_mut().insert(AUTHORIZATION, bearer);
    request
}

/// `POST /auth/login` with a JSON body of `email` and `password`.
pub fn login(email: &str, password: &str) -> Request {
    let request = lambda_http::request::from_str(LOGIN_EVENT).expect("events/login.json is an API Gateway event");
    with_json(request, &serde_json::json!({ "email": email, "password": password }))
}

/// `POST /bookings` for `token`: `propertyId`, `checkIn` and `checkOut` (`YYYY-MM-DD`) and
/// `guests`, without an `Idempotency-Key`.
pub fn create_booking(token: &str, property_id: &str, check_in: &str, check_out: &str, guests: u32) -> Request {
    let mut request = lambda_http::request::from_str(CREATE_BOOKING_EVENT)
        .expect("events/create-booking.json is an API Gateway event");
    let bearer = HeaderValue::from_str(&format!("Bearer {token}")).expect("token is a header value");
    request.headers_mut().insert(AUTHORIZATION, bearer);
    let body = serde_json::json!({
        "propertyId": property_id,
        "checkIn": check_in,
        "checkOut": check_out,
        "guests": guests,
    });
    with_json(request, &body)
}

/// `request` with `body` as its JSON body (replacing the event's sample body).
fn with_json(mut request: Request, body: &serde_json::Value) -> Request {
    let body = body.to_string();
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("content-length", HeaderValue::from(body.len()));
    *request.body_mut() = Body::Text(body);
    request
}

/// Percentiles of a set of durations.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub min: Duration,
    pub max: Duration,
}

impl Summary {
    /// Nearest-rank percentiles of `samples` (sorted here). `None` when there are none.
    pub fn of(samples: &mut [Duration]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let n = samples.len();
        let rank = |p: f64| samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        Some(Self {
            n,
            p50: rank(0.50),
            p99: rank(0.99),
            min: *samples.first()?,
            max: *samples.last()?,
        })
    }
}

/// The runtime every bench runs on: current-thread, as a Lambda sandbox runs its handler.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The token settings of every bench app.
pub fn settings() -> shared::app::Settings {
    shared::app::Settings {
        jwt_secret: b"bench-secret-bench-secret-bench-secret!".to_vec(),
        jwt_previous_secret: None,
        jwt_issuer: "roost".to_owned(),
        jwt_audience: "roost-api".to_owned(),
    }
}

/// An app on SQLite files in a fresh directory under the system's temp dir named after
/// `name`, its store counted: (the app, the counter, the directory to remove afterwards).
pub fn counted_app(
    name: &str,
) -> (
    &'static shared::App,
    std::sync::Arc<shared::store::counting::CountingStore>,
    std::path::PathBuf,
) {
    use std::sync::Arc;
    let dir = std::env::temp_dir().join(format!("roost-{name}-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let clock = Arc::new(shared::clock::SystemClock);
    let sqlite: Arc<dyn shared::store::Store> =
        Arc::new(embedded::store::SqliteStore::open(&dir.join("store.sqlite"), clock.clone()).expect("store"));
    let counting = Arc::new(shared::store::counting::CountingStore::new(sqlite));
    let bus = Arc::new(embedded::bus::LocalBus::open(dir.join("queues.sqlite")).expect("bus"));
    let app = shared::App::new(counting.clone(), bus, clock, &settings()).expect("settings");
    (Box::leak(Box::new(app)), counting, dir)
}

/// A duration in milliseconds with three decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut samples: Vec<_> = (1..=100).map(Duration::from_micros).collect();
        let summary = Summary::of(&mut samples).expect("samples");
        assert_eq!(summary.p50, Duration::from_micros(50));
        assert_eq!(summary.p99, Duration::from_micros(99));
        assert_eq!(summary.max, Duration::from_micros(100));
        assert!(Summary::of(&mut []).is_none());
    }

    #[test]
    fn requests_carry_the_token_and_body() {
        let request = get_me("abc");
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer abc");
        let request = login("a@example.com", "pw");
        assert!(matches!(request.body(), Body::Text(text) if text.contains("a@example.com")));
        let request = create_booking("xyz", "P1", "2030-01-01", "2030-01-04", 2);
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer xyz");
        assert!(matches!(request.body(), Body::Text(text) if text.contains(r#""checkOut":"2030-01-04""#)));
    }
}
