//! `spawn_app`: the local API's router over a chosen store, on a free loopback port, with
//! typed helpers for the requests tests make.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use embedded::bus::LocalBus;
use embedded::files::LocalPhotoStorage;
use embedded::store::SqliteStore;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::App;
use shared::app::{Settings, WebhookSecret};
use shared::clock::{Clock, ManualClock};
use shared::events::{BusError, Event, EventBus, Queue};
use shared::mail::{Email, MailError, MailLinks, Mailbox, Mailer};
use shared::payments::provider::PaymentProvider;
use shared::payments::sandbox::SandboxProvider;
use shared::photos::storage::{PhotoStorage, PhotoUrls};
use shared::store::Store;

use crate::faults::{FaultPlan, FaultyStore};

/// Which store the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite store (a fresh file per app).
    Sqlite,
    /// DynamoDB on moto_server (a fresh table per app).
    Dynamo,
}

/// The secret test apps sign with; tests forge tokens with other secrets.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret!";

/// The Stripe webhook secret test apps verify with.
pub const TEST_WEBHOOK_SECRET: &str = "whsec_test_roost_webhook_secret";

/// A running app and a client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    /// Which store (and photo storage: local files, or S3 on moto) it runs on.
    pub backend: Backend,
    pub app: &'static App,
    pub clock: Arc<ManualClock>,
    /// The in-process queues the app publishes to.
    pub bus: Arc<LocalBus>,
    /// While set, every publish fails (the queue is unreachable): events stay in the outbox
    /// until the relay publishes them after it is cleared.
    pub publish_fails: Arc<AtomicBool>,
    /// While set, every email fails to send (the mail service is down).
    pub mail_fails: Arc<AtomicBool>,
    pub client: reqwest::Client,
}

/// A response as tests look at it.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The envelope's error code, if this is an error.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// The fields named in the envelope's details.
    pub fn fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|details| {
                details
                    .iter()
                    .filter_map(|d| d["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The store of `backend`, fresh, reading `clock`.
pub async fn store(backend: Backend, clock: Arc<dyn Clock>) -> Arc<dyn Store> {
    match backend {
        Backend::Sqlite => Arc::new(SqliteStore::open_temporary(clock).expect("temporary SQLite store")),
        Backend::Dynamo => crate::moto::dynamo_store(clock).await,
    }
}

/// The app on `backend` with the sandbox payment provider, serving every route of
/// `template.yaml` on 127.0.0.1 port 0.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Arc::new(SandboxProvider::new())).await
}

/// Like [`spawn_app`], taking payments through `payments` (e.g. Stripe on localstripe).
pub async fn spawn_app_with(backend: Backend, payments: Arc<dyn PaymentProvider>) -> TestApp {
    let clock = Arc::new(ManualClock::default());
    let store = store(backend, clock.clone()).await;
    spawn(backend, store, clock, payments, None).await
}

/// Like [`spawn_app`], with the store and the event bus failing the calls `plan` picks
/// (`crate::faults`): requests, consumers, the relay and the sweep all meet the faults.
pub async fn spawn_faulty_app(backend: Backend, plan: Arc<FaultPlan>) -> TestApp {
    let clock = Arc::new(ManualClock::default());
    let store = store(backend, clock.clone()).await;
    let store = Arc::new(FaultyStore::new(store, plan.clone()));
    spawn(backend, store, clock, Arc::new(SandboxProvider::new()), Some(plan)).await
}

/// Like [`spawn_app`] (SQLite's photo storage and mail), over `store` (a store made to fail).
pub async fn spawn_app_on(store: Arc<dyn Store>) -> TestApp {
    spawn(
        Backend::Sqlite,
        store,
        Arc::new(ManualClock::default()),
        Arc::new(SandboxProvider::new()),
        None,
    )
    .await
}

async fn spawn(
    backend: Backend,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    payments: Arc<dyn PaymentProvider>,
    plan: Option<Arc<FaultPlan>>,
) -> TestApp {
    let bus = Arc::new(LocalBus::temporary().expect("temporary bus"));
    let publish_fails = Arc::new(AtomicBool::new(false));
    let switched: Arc<dyn EventBus> = Arc::new(SwitchedBus {
        inner: bus.clone(),
        fail: publish_fails.clone(),
    });
    let faulty: Arc<dyn EventBus> = match plan {
        Some(plan) => Arc::new(crate::faults::FaultyBus::new(switched, plan)),
        None => switched,
    };
    let settings = test_settings();
    let mailbox = Arc::new(
        Mailbox::open(
            std::env::temp_dir().join(format!("roost-test-mail-{}", ulid::Ulid::new())),
            clock.clone(),
        )
        .expect("a mailbox in the temporary directory"),
    );
    let mail_fails = Arc::new(AtomicBool::new(false));
    let mailer = Arc::new(FaultyMailer {
        inner: mailer(backend, mailbox.clone()).await,
        fail: mail_fails.clone(),
    });
    let links = MailLinks::new(TEST_APP_BASE_URL).expect("a valid base URL");
    // Bound first: upload and photo URLs name the address.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let photos = photos(backend, addr).await;
    let app: &'static App = Box::leak(Box::new(
        App::new(store, faulty, clock.clone(), &settings)
            .expect("valid settings")
            .with_payments(payments)
            .with_webhook_secret(shared::secrets::Secret::fixed(WebhookSecret::new(TEST_WEBHOOK_SECRET)))
            .with_mail(mailer, links)
            .with_photos(photos.storage.clone(), photos.urls.clone()),
    ));
    let mut local = local_api::LocalApi::new(app, clock.clone(), None, Some(mailbox), local_api::template::BUILT_IN)
        .expect("template and handlers agree");
    local.attach_consumers(&bus);
    local = local.with_dead_letters(local_api::dead_letters::DeadLetters::Local(bus.clone()));
    match photos.source {
        // Uploads to the local API are announced on the in-process queue.
        PhotoSource::Local(files) => {
            local = local.with_uploads(local_api::uploads::LocalUploads {
                storage: files,
                bus: bus.clone(),
            });
        }
        // Uploads to moto are announced by the bucket's notification on a moto queue, received
        // as Lambda's event source mapping would.
        PhotoSource::Moto { queue_url } => {
            drop(local_api::poller::spawn(
                app,
                crate::sqs::client().await,
                Queue::PhotoEvents,
                queue_url,
                photo_events_consumer(),
            ));
        }
    }
    // The task stops when the bus is dropped, which a leaked app never does.
    drop(bus.spawn_delivery());
    tokio::spawn(local.serve(listener));
    TestApp {
        addr,
        backend,
        app,
        clock,
        bus,
        publish_fails,
        mail_fails,
        client: reqwest::Client::new(),
    }
}

/// Where a test app keeps photo files.
struct Photos {
    storage: Arc<dyn PhotoStorage>,
    urls: PhotoUrls,
    source: PhotoSource,
}

enum PhotoSource {
    Local(Arc<LocalPhotoStorage>),
    Moto { queue_url: String },
}

/// Files under a temporary directory served by the app itself (SQLite), or a bucket on moto
/// notifying a queue of its own (DynamoDB), as the local API runs on each backend.
async fn photos(backend: Backend, addr: SocketAddr) -> Photos {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("roost-test-uploads-{}", ulid::Ulid::new()));
            let files = Arc::new(
                LocalPhotoStorage::open(dir, format!("http://{addr}"), b"test-uploads-secret")
                    .expect("an uploads directory"),
            );
            Photos {
                storage: files.clone(),
                urls: files.urls(),
                source: PhotoSource::Local(files),
            }
        }
        Backend::Dynamo => {
            let (storage, urls, queue_url) = crate::moto::photo_bucket().await;
            Photos {
                storage: Arc::new(storage),
                urls,
                source: PhotoSource::Moto { queue_url },
            }
        }
    }
}

/// The photo-events consumer, as the registry runs it.
fn photo_events_consumer() -> local_api::registry::ConsumerHandler {
    local_api::registry::handlers()
        .into_iter()
        .find_map(|(name, handler)| match handler {
            local_api::registry::Handler::Consumer(consumer) if name == "photo-events-consumer" => Some(consumer),
            _ => None,
        })
        .expect("the registry has the photo-events consumer")
}

/// The base of the links in test emails.
pub const TEST_APP_BASE_URL: &str = "https://roost.test";

/// The mailer of `backend`: the mailbox alone on SQLite; on DynamoDB, SES on moto (with a
/// sender verified there) and then the mailbox, as the local API runs with `ROOST_BACKEND=aws`.
async fn mailer(backend: Backend, mailbox: Arc<Mailbox>) -> Arc<dyn Mailer> {
    match backend {
        Backend::Sqlite => mailbox,
        Backend::Dynamo => {
            let from = format!("no-reply-{}@roost.test", ulid::Ulid::new().to_string().to_lowercase());
            let ses = crate::moto::verified_ses_sender(&from, None).await;
            local_api::mail::ses_then_mailbox(ses, mailbox)
        }
    }
}

/// The mailer, made to fail on demand.
struct FaultyMailer {
    inner: Arc<dyn Mailer>,
    fail: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl Mailer for FaultyMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(MailError::Unavailable("sending is switched off by the test".to_owned()));
        }
        self.inner.send(email).await
    }
}

/// The local bus, made to fail on demand.
struct SwitchedBus {
    inner: Arc<LocalBus>,
    fail: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl EventBus for SwitchedBus {
    async fn publish(&self, queue: Queue, event: &Event) -> Result<(), BusError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(BusError::Unavailable(
                "publishing is switched off by the test".to_owned(),
            ));
        }
        self.inner.publish(queue, event).await
    }
}

/// The status of `GET /users/me` at `base` with `token`: whether that server takes the token.
pub async fn me_status(base: &str, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{base}/users/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
        .status()
}

/// The token settings of test apps: [`TEST_JWT_SECRET`], no previous key.
pub fn test_settings() -> Settings {
    Settings {
        jwt_secret: TEST_JWT_SECRET.as_bytes().to_vec(),
        jwt_previous_secret: None,
        jwt_issuer: "roost".to_owned(),
        jwt_audience: "roost-api".to_owned(),
    }
}

impl TestApp {
    /// Another app on this app's store, bus and clock with `settings`: another Lambda
    /// sandbox (its own caches), or the same deployment after a key rotation.
    pub fn sibling(&self, settings: &Settings) -> &'static App {
        let store: Arc<dyn Store> = self.app.store.clone();
        Box::leak(Box::new(
            App::new(store, self.app.bus.clone(), self.app.clock.clone(), settings).expect("valid settings"),
        ))
    }

    /// Serves `other` (a sibling sandbox) through the local API on a port of its own, on this
    /// app's clock; its base URL.
    pub async fn serve_sibling(&self, other: &'static App) -> String {
        let local = local_api::LocalApi::new(other, self.clock.clone(), None, None, local_api::template::BUILT_IN)
            .expect("template and handlers agree");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(local.serve(listener));
        base
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut request = self.client.request(method, format!("http://{}{}", self.addr, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        Self::answer(response).await
    }

    /// Sends raw bytes with a content type.
    pub async fn raw(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let response = self
            .client
            .request(method, format!("http://{}{}", self.addr, path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        Self::answer(response).await
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    /// Registers a user with a unique email; returns (email, the 201 body).
    pub async fn register(&self, role: &str) -> (String, Value) {
        let email = format!("user-{}@example.com", ulid::Ulid::new().to_string().to_lowercase());
        let answer = self
            .post(
                "/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "firstName": "Ada", "lastName": "Lovelace", "role": role}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        (email, answer.body)
    }

    /// Logs in; returns the token pair body.
    pub async fn login(&self, email: &str) -> Value {
        let answer = self
            .post("/auth/login", None, json!({"email": email, "password": PASSWORD}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.body
    }

    /// Registers and logs in a user; returns (user id, access token, refresh token).
    pub async fn signed_in(&self, role: &str) -> (String, String, String) {
        let (email, user) = self.register(role).await;
        let tokens = self.login(&email).await;
        (
            user["id"].as_str().unwrap_or_default().to_owned(),
            tokens["accessToken"].as_str().unwrap_or_default().to_owned(),
            tokens["refreshToken"].as_str().unwrap_or_default().to_owned(),
        )
    }
}

/// The password every test user has.
pub const PASSWORD: &str = "correct horse battery";
