//! Builds the local API from configuration in one place: embedded adapters under
//! `DATA_DIR`, the handlers matched against `template.yaml`, the background jobs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use embedded::bus::LocalBus;
use embedded::files::LocalPhotoStorage;
use embedded::store::SqliteStore;
use rand::RngCore;
use shared::App;
use shared::app::{ConfigError, STRIPE_WEBHOOK_SECRET_ENV, Settings, WebhookSecret};
use shared::bus::sqs::SqsBus;
use shared::clock::{Clock, ManualClock};
use shared::events::EventBus;
use shared::events::Queue;
use shared::mail::Mailbox;
use shared::payments::provider::PaymentProvider;
use shared::payments::sandbox::SandboxProvider;
use shared::payments::stripe::StripeProvider;
use shared::photos::storage::{PhotoStorage, PhotoUrls};
use shared::store::Store;
use shared::store::dynamo::DynamoStore;

use crate::aws_backend::AwsOptions;
use crate::poller;

use crate::registry::{ConsumerHandler, Handler, ScheduledHandler, handlers};
use crate::runtime::Runtime;
use crate::server::{Route, router};
use crate::template::{self, FunctionSpec, Trigger};

/// How often scheduled jobs run without a clock move (EventBridge's `rate(1 minute)` is
/// too slow to try flows by hand; running more often changes no outcome).
const JOB_TICK: Duration = Duration::from_secs(1);

/// Why the local API did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error(
        "template.yaml and the local API disagree:\n{0}\nAdd the missing function crate to local-api/src/registry.rs, or the function to template.yaml."
    )]
    Drift(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open the data directory {path}: {cause}")]
    Data { path: PathBuf, cause: String },
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: SocketAddr, cause: std::io::Error },
    #[error("server stopped: {0}")]
    Serve(std::io::Error),
    #[error("backend: {0}")]
    Backend(String),
}

/// The local API's routes and jobs, matched with the template.
pub struct LocalApi {
    pub runtime: Arc<Runtime>,
    routes: Vec<Route>,
    jobs: Vec<Job>,
    pub(crate) consumers: Vec<QueueConsumer>,
}

/// A named scheduled job.
pub type Job = (&'static str, ScheduledHandler);

/// The consumer of a queue.
pub type QueueConsumer = (Queue, ConsumerHandler);

/// What the template's functions become in this process.
pub struct Matched {
    pub routes: Vec<Route>,
    pub jobs: Vec<Job>,
    pub consumers: Vec<QueueConsumer>,
}

/// Matches the template's functions with this build's handlers, both ways: a route without
/// a handler, or a handler without a route, is an error naming each one.
pub fn match_template(specs: &[FunctionSpec]) -> Result<Matched, StartError> {
    let known: HashMap<&'static str, Handler> = handlers().into_iter().collect();
    let mut problems = Vec::new();
    let mut routes = Vec::new();
    let mut jobs = Vec::new();
    let mut consumers = Vec::new();
    for spec in specs {
        let Some((name, handler)) = known.get_key_value(spec.binary.as_str()) else {
            problems.push(format!(
                "- {} (binary `{}`) is in template.yaml but has no handler",
                spec.logical_id, spec.binary
            ));
            continue;
        };
        for trigger in &spec.triggers {
            match (trigger, handler) {
                (Trigger::Http { method, path }, Handler::Http(http)) => routes.push(Route {
                    method: method.clone(),
                    path: path.clone(),
                    handler: *http,
                }),
                (Trigger::Schedule, Handler::Scheduled(job)) => jobs.push((*name, *job)),
                (Trigger::Queue { queue }, Handler::Consumer(consumer)) => {
                    match Queue::ALL.into_iter().find(|known| known.logical_id() == queue) {
                        Some(known) => consumers.push((known, *consumer)),
                        None => problems.push(format!(
                            "- {} (binary `{}`) consumes {queue}, which is not a queue of this build",
                            spec.logical_id, spec.binary
                        )),
                    }
                }
                (trigger, _) => problems.push(format!(
                    "- {} (binary `{}`): its handler cannot serve trigger {trigger:?}",
                    spec.logical_id, spec.binary
                )),
            }
        }
    }
    for name in known.keys() {
        if !specs.iter().any(|spec| spec.binary == *name) {
            problems.push(format!("- handler `{name}` has no function in template.yaml"));
        }
    }
    if problems.is_empty() {
        Ok(Matched {
            routes,
            jobs,
            consumers,
        })
    } else {
        problems.sort();
        Err(StartError::Drift(problems.join("\n")))
    }
}

impl LocalApi {
    /// The local API of `app`, whose clock is `clock`, serving the functions of `template_yaml`.
    pub fn new(
        app: &'static App,
        clock: Arc<ManualClock>,
        clock_file: Option<PathBuf>,
        mailbox: Option<Arc<shared::mail::Mailbox>>,
        template_yaml: &str,
    ) -> Result<Self, StartError> {
        let Matched {
            routes,
            jobs,
            consumers,
        } = match_template(&template::functions(template_yaml)?)?;
        let runtime = Arc::new(Runtime {
            app,
            clock,
            clock_file,
            due_work: tokio::sync::watch::Sender::new(0),
            mailbox,
            uploads: None,
            dead_letters: None,
        });
        Ok(Self {
            runtime,
            routes,
            jobs,
            consumers,
        })
    }

    /// Serves `/_local/uploads` and `/_local/photos` from `uploads` (the embedded backend).
    pub fn with_uploads(mut self, uploads: crate::uploads::LocalUploads) -> Self {
        match Arc::get_mut(&mut self.runtime) {
            Some(runtime) => runtime.uploads = Some(uploads),
            None => tracing::error!("the runtime is shared already; uploads are not served"),
        }
        self
    }

    /// Lists and redrives the dead letters of `dead_letters` at `/_local/dead-letters`.
    pub fn with_dead_letters(mut self, dead_letters: crate::dead_letters::DeadLetters) -> Self {
        match Arc::get_mut(&mut self.runtime) {
            Some(runtime) => runtime.dead_letters = Some(dead_letters),
            None => tracing::error!("the runtime is shared already; dead letters are not served"),
        }
        self
    }

    /// Makes the template's consumers the handlers of their queues on `bus`.
    pub fn attach_consumers(&self, bus: &LocalBus) {
        let app = self.runtime.app;
        for (queue, handler) in &self.consumers {
            let handler = *handler;
            bus.register(*queue, embedded::bus::consumer(move |batch| handler(app, batch)));
        }
    }

    /// The HTTP router.
    pub fn router(&self) -> axum::Router {
        router(Arc::clone(&self.runtime), self.routes.clone())
    }

    /// Runs each scheduled job every [`JOB_TICK`], and at once when the clock moves: each in
    /// its own task, as each is its own function on its own schedule in AWS (a long sweep
    /// after a clock move does not hold up the outbox relay). Aborting the handle stops them.
    pub fn spawn_jobs(&self) -> tokio::task::JoinHandle<()> {
        let mut tasks = tokio::task::JoinSet::new();
        for (name, job) in self.jobs.clone() {
            let app = self.runtime.app;
            let mut moved = self.runtime.due_work.subscribe();
            tasks.spawn(async move {
                loop {
                    if let Err(err) = job(app).await {
                        tracing::warn!(job = name, error = %err, "scheduled job failed");
                    }
                    tokio::select! {
                        () = tokio::time::sleep(JOB_TICK) => {}
                        _ = moved.changed() => {}
                    }
                }
            });
        }
        tokio::spawn(async move { while tasks.join_next().await.is_some() {} })
    }

    /// Serves on `listener` until the process ends.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> Result<(), StartError> {
        let _jobs = self.spawn_jobs();
        axum::serve(listener, self.router()).await.map_err(StartError::Serve)
    }
}

/// Which adapters the local API runs on.
#[derive(Clone)]
pub enum Backend {
    /// SQLite store and in-process queues under `DATA_DIR` (the default).
    Embedded,
    /// DynamoDB and SQS (emulators or a dev account), with an in-process SQS poller.
    Aws(Box<AwsOptions>),
    /// `Aws`, configured from the environment when the API starts.
    AwsFromEnv,
    /// A `ROOST_BACKEND` value that names no backend (refused at start).
    Unknown(String),
}

/// Which payment provider the local API charges through.
#[derive(Clone)]
pub enum Payments {
    /// Offline, Stripe's test payment methods (the default).
    Sandbox,
    /// Stripe's API (`STRIPE_API_BASE`, `STRIPE_SECRET_KEY`): a test account or localstripe.
    Stripe(Arc<StripeProvider>),
    /// `Stripe`, configured from the environment when the API starts.
    StripeFromEnv,
    /// A `ROOST_PAYMENTS` value that names no provider (refused at start).
    Unknown(String),
}

/// Settings of `cargo run -p local-api`.
#[derive(Clone)]
pub struct Options {
    pub port: u16,
    pub data_dir: PathBuf,
    pub backend: Backend,
    pub payments: Payments,
}

/// `DATA_DIR`, default `./.data`: the local API's files, which its commands work on too.
pub fn data_dir_from_env() -> PathBuf {
    std::env::var_os("DATA_DIR").map_or_else(|| PathBuf::from(".data"), PathBuf::from)
}

impl Options {
    /// `PORT` (default 3000), `DATA_DIR` (default `./.data`), `ROOST_BACKEND` (`embedded`,
    /// the default, or `aws`) and `ROOST_PAYMENTS` (`sandbox`, the default, or `stripe`).
    pub fn from_env() -> Self {
        let backend = match std::env::var("ROOST_BACKEND").unwrap_or_default().as_str() {
            "" | "embedded" => Backend::Embedded,
            "aws" => Backend::AwsFromEnv,
            other => Backend::Unknown(other.to_owned()),
        };
        let payments = match std::env::var("ROOST_PAYMENTS").unwrap_or_default().as_str() {
            "" | "sandbox" => Payments::Sandbox,
            "stripe" => Payments::StripeFromEnv,
            other => Payments::Unknown(other.to_owned()),
        };
        Self {
            port: std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000),
            data_dir: data_dir_from_env(),
            backend,
            payments,
        }
    }

    /// Resolves what the environment only named.
    async fn resolved(mut self) -> Result<Self, StartError> {
        self.backend = match self.backend {
            Backend::AwsFromEnv => Backend::Aws(Box::new(AwsOptions::from_env().await?)),
            Backend::Unknown(other) => {
                return Err(StartError::Backend(format!(
                    "ROOST_BACKEND must be embedded or aws, not {other}"
                )));
            }
            known => known,
        };
        self.payments = match self.payments {
            Payments::StripeFromEnv => Payments::Stripe(Arc::new(
                StripeProvider::from_env().map_err(|err| StartError::Backend(err.to_string()))?,
            )),
            Payments::Unknown(other) => {
                return Err(StartError::Backend(format!(
                    "ROOST_PAYMENTS must be sandbox or stripe, not {other}"
                )));
            }
            known => known,
        };
        Ok(self)
    }
}

/// The ports a backend provides.
struct Adapters {
    store: Arc<dyn Store>,
    bus: Arc<dyn EventBus>,
    /// The in-process queues, on the embedded backend.
    local_bus: Option<Arc<LocalBus>>,
    /// For the start-up line.
    description: String,
}

/// A started local API.
pub struct Running {
    pub addr: SocketAddr,
    pub app: &'static App,
    /// Ends when the server stops.
    pub server: tokio::task::JoinHandle<Result<(), StartError>>,
}

/// Starts the local API on the embedded adapters and serves until the process ends.
pub async fn run(options: Options) -> Result<(), StartError> {
    let running = start(options).await?;
    running
        .server
        .await
        .map_err(|err| StartError::Serve(std::io::Error::other(err.to_string())))?
}

/// Builds the app on the chosen backend, checks it answers, binds `127.0.0.1:<port>` (0 for a
/// free port) and serves in the background.
pub async fn start(options: Options) -> Result<Running, StartError> {
    let options = options.resolved().await?;
    let data_error = |cause: String| StartError::Data {
        path: options.data_dir.clone(),
        cause,
    };
    std::fs::create_dir_all(&options.data_dir).map_err(|err| data_error(err.to_string()))?;
    // Bound first: upload URLs and photo URLs name the address the API really listens on.
    let addr = SocketAddr::from(([127, 0, 0, 1], options.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|cause| StartError::Bind { addr, cause })?;
    let addr = listener
        .local_addr()
        .map_err(|cause| StartError::Bind { addr, cause })?;
    let clock_file = options.data_dir.join("clock.json");
    let clock = Arc::new(ManualClock::with_offset(load_clock_offset(&clock_file)));
    let settings = local_settings(&options.data_dir).map_err(|err| data_error(err.to_string()))?;
    let webhook_secret = local_secret(&options.data_dir, STRIPE_WEBHOOK_SECRET_ENV, "stripe-webhook-secret")
        .map_err(|err| data_error(err.to_string()))?;
    let (payments, payments_line): (Arc<dyn PaymentProvider>, String) = match &options.payments {
        Payments::Sandbox => (
            Arc::new(
                SandboxProvider::persistent(options.data_dir.join("payments.json"))
                    .map_err(|err| data_error(err.to_string()))?,
            ),
            "sandbox (offline)".to_owned(),
        ),
        Payments::Stripe(stripe) => (stripe.clone(), format!("stripe at {}", stripe.base_url())),
        Payments::StripeFromEnv | Payments::Unknown(_) => {
            return Err(StartError::Backend("payments not resolved".into()));
        }
    };

    let template = match std::env::var_os("ROOST_TEMPLATE") {
        Some(path) => std::fs::read_to_string(&path).map_err(|err| StartError::Data {
            path: PathBuf::from(path),
            cause: err.to_string(),
        })?,
        None => template::BUILT_IN.to_owned(),
    };

    let Adapters {
        store,
        bus,
        local_bus,
        description: backend_line,
    } = match &options.backend {
        Backend::Embedded => {
            let store = SqliteStore::open(&options.data_dir.join("roost.sqlite"), clock.clone())
                .map_err(|err| data_error(err.to_string()))?;
            let bus = Arc::new(
                LocalBus::open(options.data_dir.join("queues.sqlite")).map_err(|err| data_error(err.to_string()))?,
            );
            let line = format!(
                "embedded (SQLite store and in-process queues in {})",
                options.data_dir.display()
            );
            Adapters {
                store: Arc::new(store),
                bus: bus.clone(),
                local_bus: Some(bus),
                description: line,
            }
        }
        Backend::Aws(aws) => {
            aws.check().await?;
            let store = DynamoStore::new(aws.dynamo.clone(), aws.table.clone(), clock.clone());
            let bus = SqsBus::new(aws.sqs.clone(), aws.queue_urls.clone());
            let mut queues: Vec<String> = aws.queue_urls.values().cloned().collect();
            queues.sort();
            let line = format!(
                "aws (DynamoDB table {} and SQS queues {} at {})",
                aws.table,
                queues.join(", "),
                aws.endpoint
            );
            Adapters {
                store: Arc::new(store),
                bus: Arc::new(bus),
                local_bus: None,
                description: line,
            }
        }
        Backend::AwsFromEnv | Backend::Unknown(_) => {
            return Err(StartError::Backend("backend not resolved".into()));
        }
    };
    // Data written before search spanned countries and maps gets its new index keys once.
    let backfill_error = |err: shared::store::StoreError| StartError::Backend(format!("search index backfill: {err}"));
    if shared::properties::backfill::needed(store.as_ref())
        .await
        .map_err(backfill_error)?
    {
        let report = shared::properties::backfill::run(store.as_ref(), clock.now())
            .await
            .map_err(backfill_error)?;
        tracing::info!(
            examined = report.examined,
            rewritten = report.rewritten,
            "search index backfill ran"
        );
    }
    let mailbox = Arc::new(
        Mailbox::open(options.data_dir.join("mail"), clock.clone()).map_err(|err| data_error(err.to_string()))?,
    );
    let (mailer, mail_line) = crate::mail::mailer(&options.backend, mailbox.clone());
    let links = crate::mail::links()?;
    let (photo_storage, photo_urls, local_files): (Arc<dyn PhotoStorage>, PhotoUrls, Option<Arc<LocalPhotoStorage>>) =
        match &options.backend {
            Backend::Aws(aws) => (Arc::new(aws.photos.clone()), aws.photo_urls.clone(), None),
            _ => {
                let secret = local_secret(&options.data_dir, "ROOST_UPLOADS_SECRET", "uploads-secret")
                    .map_err(|err| data_error(err.to_string()))?;
                let files = Arc::new(
                    LocalPhotoStorage::open(
                        options.data_dir.join("uploads"),
                        format!("http://{addr}"),
                        secret.as_bytes(),
                    )
                    .map_err(|err| data_error(err.to_string()))?,
                );
                (files.clone(), files.urls(), Some(files))
            }
        };
    let app: &'static App = Box::leak(Box::new(
        App::new(store, bus, clock.clone(), &settings)?
            .with_payments(payments)
            .with_webhook_secret(shared::secrets::Secret::fixed(WebhookSecret::new(webhook_secret)))
            .with_mail(mailer, links)
            .with_photos(photo_storage, photo_urls),
    ));
    let mut local = LocalApi::new(app, clock, Some(clock_file), Some(mailbox), &template)?;
    if let (Some(files), Some(bus)) = (local_files, &local_bus) {
        local = local.with_uploads(crate::uploads::LocalUploads {
            storage: files,
            bus: bus.clone(),
        });
    }
    local = local.with_dead_letters(match (&options.backend, &local_bus) {
        (Backend::Aws(aws), _) => crate::dead_letters::DeadLetters::Sqs {
            client: aws.sqs.clone(),
            queues: aws.queue_urls.clone(),
        },
        (_, Some(bus)) => crate::dead_letters::DeadLetters::Local(bus.clone()),
        _ => return Err(StartError::Backend("backend without its queues".into())),
    });
    match (&options.backend, local_bus) {
        (Backend::Aws(aws), _) => {
            for (queue, handler) in &local.consumers {
                let url = aws.queue_urls.get(queue).cloned().ok_or_else(|| {
                    StartError::Backend(format!("no URL for queue {} of template.yaml", queue.name()))
                })?;
                drop(poller::spawn(app, aws.sqs.clone(), *queue, url, *handler));
            }
        }
        (Backend::Embedded, Some(bus)) => {
            local.attach_consumers(&bus);
            drop(bus.spawn_delivery());
        }
        _ => return Err(StartError::Backend("backend without its queues".into())),
    }

    tracing::info!(
        %addr,
        backend = %backend_line,
        payments = %payments_line,
        mail = %mail_line,
        "Roost local API listening on http://{addr}: backend {backend_line}; payments {payments_line}; mail {mail_line}"
    );
    let server = tokio::spawn(local.serve(listener));
    Ok(Running { addr, app, server })
}

/// `JWT_SECRET` if set; otherwise a secret made once and kept in the data directory, so
/// tokens survive a restart and no two checkouts share one.
fn local_settings(data_dir: &Path) -> std::io::Result<Settings> {
    if let Ok(settings) = Settings::from_env() {
        return Ok(settings);
    }
    let secret = local_secret(data_dir, "JWT_SECRET", "jwt-secret")?;
    Ok(Settings {
        jwt_secret: secret.into_bytes(),
        jwt_previous_secret: shared::app::previous_secret_from_env(),
        jwt_issuer: std::env::var("JWT_ISSUER").unwrap_or_else(|_| "roost".to_owned()),
        jwt_audience: std::env::var("JWT_AUDIENCE").unwrap_or_else(|_| "roost-api".to_owned()),
    })
}

/// A secret from `env`, or else the one kept in `DATA_DIR/<file>` (made on first start), so
/// tokens and webhook signatures stay valid across restarts.
fn local_secret(data_dir: &Path, env: &str, file: &str) -> std::io::Result<String> {
    if let Ok(secret) = std::env::var(env)
        && !secret.is_empty()
    {
        return Ok(secret);
    }
    let path = data_dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(secret) if secret.trim().len() >= 32 => Ok(secret.trim().to_owned()),
        _ => {
            let mut bytes = [0u8; 48];
            rand::rng().fill_bytes(&mut bytes);
            let secret = URL_SAFE_NO_PAD.encode(bytes);
            std::fs::write(&path, &secret)?;
            Ok(secret)
        }
    }
}

pub(crate) fn load_clock_offset(path: &Path) -> chrono::Duration {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|value| value.get("offsetMillis").and_then(serde_json::Value::as_i64))
        .map_or_else(chrono::Duration::zero, chrono::Duration::milliseconds)
}

/// Keeps the clock's offset so a restart resumes at the moved time.
pub fn save_clock(runtime: &Runtime) {
    let Some(path) = &runtime.clock_file else {
        return;
    };
    let body = serde_json::json!({
        "offsetMillis": runtime.clock.offset().num_milliseconds(),
        "now": runtime.clock.now(),
    });
    if let Err(err) = std::fs::write(path, body.to_string()) {
        tracing::warn!(error = %err, "could not save the local clock");
    }
}
