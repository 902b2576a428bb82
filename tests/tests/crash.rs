//! Crashes survived: the local API runs as its own process and is killed with SIGKILL at
//! random points of the register-to-review journey (while a write is in flight, between a
//! write and its publish, during a consumer batch, during the sweep), then started again on the
//! same `DATA_DIR` (and, on the aws backend, the same table and queues on moto). The client
//! tries again when its connection drops, with the same `Idempotency-Key`, and the journey
//! must complete with the invariants of a run without crashes (`tests::journey::check`),
//! nothing left in the outbox, on a queue or on a dead-letter queue.
//!
//! The kills are placed by the client: at a random share of its writes, after a random delay
//! of 0-40 ms from sending, so they land inside the request, just after its answer (between the
//! write and its publish or its consumer's batch) or in the background work that follows.
//! Each run prints its seed; `ROOST_CRASH_SEED=<seed>` replays the picks (the timing of the
//! processes still differs).
//!
//! The server process is this test binary run again as `child_process`: with
//! `ROOST_CRASH_CHILD_DATA_DIR` set, that "test" serves the local API until it is killed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use shared::events::Queue;
use shared::store::Store;
use tests::app::Answer;
use tests::journey::{self, Client};
use tests::local_aws::LocalAws;

const CHILD_DATA_DIR: &str = "ROOST_CRASH_CHILD_DATA_DIR";
const CHILD_PORT: &str = "ROOST_CRASH_CHILD_PORT";
/// `table prefix bucket` of the aws backend; unset on the embedded one.
const CHILD_AWS: &str = "ROOST_CRASH_CHILD_AWS";

/// Most kills in one journey (the suite stays bounded in time).
const MOST_KILLS: usize = 12;
/// The share of writes that get a kill, in percent.
const KILL_PERCENT: u32 = 30;
/// How long one request may keep failing to reach a server before the test gives up.
const REACH: Duration = Duration::from_secs(60);

/// The queues' visibility timeout on moto in this test: what the template says (60 s) would
/// make every message a kill caught in a consumer's hands wait a minute to come back.
const TEST_VISIBILITY_SECONDS: u32 = 2;

fn test_template() -> String {
    local_api::template::BUILT_IN.replace(
        "VisibilityTimeout: 60",
        &format!("VisibilityTimeout: {TEST_VISIBILITY_SECONDS}"),
    )
}

/// Not a test of its own: the server process of the crash tests (see the module's comment).
/// Run by the suite without its environment, it returns at once.
#[test]
fn child_process() {
    let Some(data_dir) = std::env::var_os(CHILD_DATA_DIR) else {
        return;
    };
    shared::telemetry::init();
    let port: u16 = std::env::var(CHILD_PORT)
        .expect("the parent gives a port")
        .parse()
        .expect("a port");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let backend = match std::env::var(CHILD_AWS) {
            Ok(names) => aws_backend(&names).await,
            Err(_) => local_api::Backend::Embedded,
        };
        let options = local_api::Options {
            port,
            data_dir: PathBuf::from(data_dir),
            backend,
            payments: local_api::Payments::Sandbox,
        };
        let running = local_api::start(options).await.expect("the local API starts");
        eprintln!("child serving on {}", running.addr);
        let ended = running.server.await;
        panic!("the server ended: {ended:?}");
    });
}

/// The aws backend over the table, queues and bucket the parent provisioned.
async fn aws_backend(names: &str) -> local_api::Backend {
    let mut names = names.split(' ').map(str::to_owned);
    let (Some(table), Some(prefix), Some(bucket)) = (names.next(), names.next(), names.next()) else {
        panic!("the parent names a table, a prefix and a bucket: {names:?}");
    };
    tests::local_aws::reopen((table, prefix, bucket), &test_template())
        .await
        .backend(None)
}

/// What the parent provisioned on moto for an aws run, and its store.
struct AwsSide {
    resources: LocalAws,
    store: Arc<dyn Store>,
}

impl AwsSide {
    async fn provision() -> Self {
        let resources = tests::local_aws::provision("crash", &test_template()).await;
        let clock: Arc<dyn shared::clock::Clock> = Arc::new(shared::clock::SystemClock);
        let store = Arc::new(shared::store::dynamo::DynamoStore::new(
            resources.dynamo.clone(),
            resources.table.clone(),
            clock,
        ));
        Self { resources, store }
    }

    /// The names a child process reopens them by.
    fn names(&self) -> String {
        let LocalAws {
            table, prefix, bucket, ..
        } = &self.resources;
        format!("{table} {prefix} {bucket}")
    }
}

/// The server process, killed and started again.
struct Server {
    port: u16,
    data_dir: PathBuf,
    aws: Option<String>,
    child: Mutex<Option<Child>>,
    starts: AtomicUsize,
    kills: AtomicUsize,
}

impl Server {
    fn new(data_dir: PathBuf, aws: Option<String>) -> Arc<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let server = Arc::new(Self {
            port,
            data_dir,
            aws,
            child: Mutex::new(None),
            starts: AtomicUsize::new(0),
            kills: AtomicUsize::new(0),
        });
        server.start();
        server
    }

    fn start(&self) {
        let mut slot = self.child.lock().expect("child lock");
        if slot.is_some() {
            return;
        }
        let start = self.starts.fetch_add(1, Ordering::SeqCst);
        std::fs::create_dir_all(&self.data_dir).expect("data dir");
        let log = std::fs::File::create(self.data_dir.join(format!("child-{start}.log"))).expect("log file");
        let mut command = Command::new(std::env::current_exe().expect("this test binary"));
        command
            .args(["child_process", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DATA_DIR, &self.data_dir)
            .env(CHILD_PORT, self.port.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        match &self.aws {
            Some(names) => command.env(CHILD_AWS, names),
            None => command.env_remove(CHILD_AWS),
        };
        *slot = Some(command.spawn().expect("the server process starts"));
    }

    /// SIGKILL, then wait for the process to be gone.
    fn kill(&self) {
        let mut slot = self.child.lock().expect("child lock");
        if let Some(mut child) = slot.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
            self.kills.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn crash_and_restart(&self) {
        self.kill();
        self.start();
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The last lines the server processes wrote, for a failure message.
    fn logs(&self) -> String {
        let mut text = String::new();
        for start in 0..self.starts.load(Ordering::SeqCst) {
            let path = self.data_dir.join(format!("child-{start}.log"));
            let log = std::fs::read_to_string(&path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            text.push_str(&format!("--- child {start}:\n"));
            for line in tail.into_iter().rev() {
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.child.lock()
            && let Some(mut child) = slot.take()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The client: tries again while the server cannot be reached or answers `503`; with
/// `killing` on, sets a kill off at some of its writes.
struct Crashing {
    server: Arc<Server>,
    http: reqwest::Client,
    rng: Mutex<StdRng>,
    killing: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Client for Crashing {
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let deadline = tokio::time::Instant::now() + REACH;
        loop {
            let url = format!("{}{path}", self.server.base());
            let request = journey::request(&self.http, method.clone(), url, token, key, body.as_ref());
            if method != Method::GET {
                self.maybe_kill();
            }
            let answered = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    response.bytes().await.ok().map(|bytes| (status, bytes))
                }
                Err(_) => None,
            };
            match answered {
                Some((status, bytes)) if status != StatusCode::SERVICE_UNAVAILABLE => {
                    let body_seen: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    assert_ne!(
                        status,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "{method} {path}: {body_seen}\n{}",
                        self.server.logs()
                    );
                    return Answer {
                        status,
                        headers: Default::default(),
                        body: body_seen,
                    };
                }
                // Dropped by a kill, refused while the server starts, or busy: again.
                _ => {}
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{method} {path} never got an answer\n{}",
                self.server.logs()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn diagnose(&self) -> String {
        format!(
            "{} kills; server logs:\n{}",
            self.server.kills.load(Ordering::SeqCst),
            self.server.logs()
        )
    }
}

impl Crashing {
    fn maybe_kill(&self) {
        if !self.killing.load(Ordering::SeqCst) || self.server.kills.load(Ordering::SeqCst) >= MOST_KILLS {
            return;
        }
        let delay = {
            let mut rng = self.rng.lock().expect("rng lock");
            if rng.random_range(0..100) >= KILL_PERCENT {
                return;
            }
            Duration::from_millis(rng.random_range(0..=40))
        };
        let server = self.server.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            tokio::task::spawn_blocking(move || server.crash_and_restart())
                .await
                .expect("restart");
        });
    }
}

fn seed() -> u64 {
    let seed = std::env::var("ROOST_CRASH_SEED")
        .ok()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("crash seed {seed} (ROOST_CRASH_SEED={seed} replays it)");
    seed
}

/// Where the work that outlives a request waits, for checking that nothing is left.
enum Leftovers {
    Embedded { data_dir: PathBuf },
    Aws(Box<AwsSide>),
}

impl Leftovers {
    fn store(&self) -> Arc<dyn Store> {
        match self {
            Leftovers::Embedded { data_dir } => {
                let clock: Arc<dyn shared::clock::Clock> = Arc::new(shared::clock::SystemClock);
                Arc::new(
                    embedded::store::SqliteStore::open(&data_dir.join("roost.sqlite"), clock).expect("the store file"),
                )
            }
            Leftovers::Aws(aws) => aws.store.clone(),
        }
    }

    /// (messages waiting or in flight, messages on dead-letter queues) over every queue.
    async fn messages(&self) -> (usize, HashMap<&'static str, usize>) {
        let mut waiting = 0;
        let mut dead = HashMap::new();
        match self {
            Leftovers::Embedded { data_dir } => {
                let bus = embedded::bus::LocalBus::open(data_dir.join("queues.sqlite")).expect("the queue file");
                for queue in Queue::ALL {
                    waiting += bus.pending(queue).await;
                    dead.insert(queue.name(), bus.dead_letters(queue).await.len());
                }
            }
            Leftovers::Aws(aws) => {
                for queue in Queue::ALL {
                    let LocalAws { sqs, provisioned, .. } = &aws.resources;
                    waiting += tests::sqs::message_count(sqs, &provisioned.queue_urls[&queue], true).await;
                    dead.insert(
                        queue.name(),
                        tests::sqs::message_count(sqs, &provisioned.dead_letter_urls[&queue], true).await,
                    );
                }
            }
        }
        (waiting, dead)
    }
}

/// Waits (the server up) until the outbox and every queue are empty; then no dead letters.
async fn settle(leftovers: &Leftovers, server: &Server, server_now: chrono::DateTime<chrono::Utc>) {
    let store = leftovers.store();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        // The journey moves the server's clock days ahead, and its outbox items sit in the
        // day buckets of that clock: count up to the later of the two.
        let outbox = shared::outbox::unpublished(store.as_ref(), chrono::Utc::now().max(server_now))
            .await
            .expect("outbox query");
        let (waiting, dead) = leftovers.messages().await;
        assert!(
            dead.values().all(|&n| n == 0),
            "dead letters: {dead:?}\n{}",
            server.logs()
        );
        if outbox == 0 && waiting == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{outbox} outbox records and {waiting} messages never settled\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn journey_through_crashes(aws: bool) {
    let data_dir = std::env::temp_dir().join(format!("roost-crash-{}", ulid::Ulid::new()));
    let leftovers = if aws {
        Leftovers::Aws(Box::new(AwsSide::provision().await))
    } else {
        Leftovers::Embedded {
            data_dir: data_dir.clone(),
        }
    };
    let names = match &leftovers {
        Leftovers::Aws(side) => Some(side.names()),
        Leftovers::Embedded { .. } => None,
    };
    let server = Server::new(data_dir.clone(), names);
    let client = Crashing {
        server: server.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client"),
        rng: Mutex::new(StdRng::seed_from_u64(seed())),
        killing: true.into(),
    };

    let trip = journey::run(&client).await;
    client.killing.store(false, Ordering::SeqCst);
    // A kill set off by the last write may still be on its way: let it land.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let kills = server.kills.load(Ordering::SeqCst);
    eprintln!("the journey completed through {kills} kills");
    assert!(kills > 0, "nothing was killed: the run proved nothing");

    journey::mail_sent(&client, &trip).await;
    let server_now = journey::local_now(&client).await;
    settle(&leftovers, &server, server_now).await;
    journey::check(&client, &trip).await;
    server.kill();
    journey::check_rating_totals(leftovers.store().as_ref(), &trip).await;
    drop(server);
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_journey_survives_sigkills() {
    journey_through_crashes(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_journey_survives_sigkills() {
    journey_through_crashes(true).await;
}
