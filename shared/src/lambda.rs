//! Lambda entry points: what every function's `main.rs` calls. Clients are built once here,
//! at init, without any network call (credentials load on first use).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::App;
use crate::app::{
    ConfigError, STRIPE_WEBHOOK_SECRET_ARN_ENV, STRIPE_WEBHOOK_SECRET_ENV, Settings, WebhookSecret,
    jwt_audience_from_env, jwt_issuer_from_env,
};
use crate::auth::keys::{JWT_KEYS_SECRET_ENV, Keys, SigningKeys};
use crate::aws_http;
use crate::bus::sqs::SqsBus;
use crate::clock::SystemClock;
use crate::env::non_empty_var;
use crate::http::{HandlerResult, Request, serve};
use crate::mail::{self, MailLinks, SesMailer};
use crate::payments::stripe::{self, StripeProvider};
use crate::photos::s3::{S3PhotoStorage, S3UploadSigner};
use crate::photos::storage::{PhotoStorage, PhotoUrls};
use crate::secrets::manager::SecretsManager;
use crate::secrets::{Managed, Secret, SecretSource};
use crate::store::dynamo::{DynamoStore, TABLE_ENV};

/// The error type of an entry point (what Lambda reports as an init or invocation error).
pub type Error = lambda_runtime::Error;

/// Builds the app on the AWS adapters from the environment `template.yaml` provides.
pub async fn app_from_env() -> Result<App, ConfigError> {
    let table = std::env::var(TABLE_ENV).map_err(|_| ConfigError::Missing(TABLE_ENV))?;
    // Built from Lambda's environment over our HTTP client (compiled-in Amazon roots, rustls +
    // ring): no CA bundle parsed, and none of aws-config's profile/SSO/STS/IMDS providers
    // linked into the binary. See `crate::aws_http` and docs/performance.md.
    let config =
        aws_http::sdk_config_from_env().map_err(|err| ConfigError::Invalid(format!("AWS SDK config: {err}")))?;
    let (dynamo, sqs) = aws_http::clients(&config);
    // Secrets are read on first use, never here (`crate::secrets`).
    let secrets: Arc<dyn SecretSource> = Arc::new(SecretsManager::from_config(&config));
    let clock = Arc::new(SystemClock);
    let keys = signing_keys_from_env(&secrets, &clock)?;
    let store = DynamoStore::new(dynamo, table, clock.clone());
    let bus = SqsBus::from_env(sqs);
    let mut app = App::with_keys(Arc::new(store), Arc::new(bus), clock.clone(), keys);
    app.photo_urls = PhotoUrls::from_env();
    // Only the functions that charge, refund or receive webhooks get these variables; the
    // Stripe client itself is built on first use, so init makes no connection.
    if non_empty_var(stripe::SECRET_KEY_ARN_ENV).is_some() {
        let provider = StripeProvider::from_secret(secrets.clone(), clock.clone())
            .map_err(|err| ConfigError::Invalid(err.to_string()))?;
        app = app.with_payments(Arc::new(provider));
    } else if non_empty_var(stripe::SECRET_KEY_ENV).is_some() {
        let provider = StripeProvider::from_env().map_err(|err| ConfigError::Invalid(err.to_string()))?;
        app = app.with_payments(Arc::new(provider));
    }
    if let Some(id) = non_empty_var(STRIPE_WEBHOOK_SECRET_ARN_ENV) {
        let secret = Managed::new(secrets.clone(), id, WebhookSecret::parser(), clock.clone());
        app = app.with_webhook_secret(Secret::Managed(secret));
    } else if let Some(secret) = non_empty_var(STRIPE_WEBHOOK_SECRET_ENV) {
        app = app.with_webhook_secret(Secret::fixed(WebhookSecret::new(secret)));
    }
    // Only the notifications consumer sends email; its SES client is built like the others.
    if std::env::var_os(mail::ses::MAIL_FROM_ENV).is_some() {
        let mailer = SesMailer::from_env().map_err(|err| ConfigError::Invalid(err.to_string()))?;
        let links = MailLinks::from_env().map_err(|err| ConfigError::Invalid(err.to_string()))?;
        app = app.with_mail(Arc::new(mailer), links);
    }
    Ok(app)
}

/// The signing keys from the secret `JWT_KEYS_SECRET_ARN` names (Lambda), or else from
/// `JWT_SECRET` and `JWT_PREVIOUS_SECRET` (a function run by hand).
fn signing_keys_from_env(secrets: &Arc<dyn SecretSource>, clock: &Arc<SystemClock>) -> Result<Keys, ConfigError> {
    match non_empty_var(JWT_KEYS_SECRET_ENV) {
        Some(id) => {
            let parse = SigningKeys::parser(jwt_issuer_from_env(), jwt_audience_from_env());
            Ok(Secret::Managed(Managed::new(secrets.clone(), id, parse, clock.clone())))
        }
        None => Ok(Secret::fixed(SigningKeys::from_settings(&Settings::from_env()?)?)),
    }
}

/// [`app_from_env`] with photo files in S3 (`PHOTOS_BUCKET`), read and deleted through the
/// S3 client. Only the photo-events consumer calls it, so only it links the client.
pub async fn photo_app_from_env() -> Result<App, ConfigError> {
    let storage = S3PhotoStorage::from_env().map_err(|err| ConfigError::Invalid(err.to_string()))?;
    Ok(with_storage(app_from_env().await?, Arc::new(storage)))
}

/// [`app_from_env`] with upload slots into S3 (`PHOTOS_BUCKET`), signed without the S3 client
/// ([`S3UploadSigner`]): the HTTP functions that issue slots and touch no file.
pub async fn upload_app_from_env() -> Result<App, ConfigError> {
    let signer = S3UploadSigner::from_env().map_err(|err| ConfigError::Invalid(err.to_string()))?;
    Ok(with_storage(app_from_env().await?, Arc::new(signer)))
}

/// `app` with `storage` for its photo files, at the public URLs it already has.
fn with_storage(app: App, storage: Arc<dyn PhotoStorage>) -> App {
    let urls = app.photo_urls.clone();
    app.with_photos(storage, urls)
}

/// Runs an HTTP function whose handler needs the app (store, bus, clock, tokens).
pub async fn run_http<F, Fut>(handler: F) -> Result<(), Error>
where
    F: Fn(&'static App, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send,
{
    crate::telemetry::init();
    serve_http(app_from_env().await?, handler).await
}

/// Runs an HTTP function that also issues photo upload slots ([`upload_app_from_env`]).
pub async fn run_photo_http<F, Fut>(handler: F) -> Result<(), Error>
where
    F: Fn(&'static App, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send,
{
    crate::telemetry::init();
    serve_http(upload_app_from_env().await?, handler).await
}

async fn serve_http<F, Fut>(app: App, handler: F) -> Result<(), Error>
where
    F: Fn(&'static App, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send,
{
    // Leaked once per process: the app lives as long as the sandbox, and `'static`
    // lets every invocation borrow it without reference counting.
    let app: &'static App = Box::leak(Box::new(app));
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        Ok::<_, Infallible>(serve(req, |req| handler(app, req)).await)
    }))
    .await
}

/// Runs an HTTP function that needs nothing but the request (health, the OpenAPI document).
pub async fn run_http_without_app<F, Fut>(handler: F) -> Result<(), Error>
where
    F: Fn(Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send,
{
    crate::telemetry::init();
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        Ok::<_, Infallible>(serve(req, handler).await)
    }))
    .await
}

/// Runs a function triggered by an event source (SQS, a schedule).
pub async fn run_event<E, R, F, Fut>(handler: F) -> Result<(), Error>
where
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    F: Fn(&'static App, E) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<R, Error>> + Send,
{
    crate::telemetry::init();
    serve_event(app_from_env().await?, handler).await
}

/// Runs an event-triggered function that also handles photo files ([`photo_app_from_env`]).
pub async fn run_photo_event<E, R, F, Fut>(handler: F) -> Result<(), Error>
where
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    F: Fn(&'static App, E) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<R, Error>> + Send,
{
    crate::telemetry::init();
    serve_event(photo_app_from_env().await?, handler).await
}

async fn serve_event<E, R, F, Fut>(app: App, handler: F) -> Result<(), Error>
where
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    F: Fn(&'static App, E) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<R, Error>> + Send,
{
    let app: &'static App = Box::leak(Box::new(app));
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<E>| async move {
        handler(app, event.payload).await
    }))
    .await
}
