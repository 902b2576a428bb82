//! `ROOST_BACKEND=aws`: the local API over the production adapters (DynamoDB store, SQS bus),
//! pointed at emulators or a dev account through the standard `AWS_ENDPOINT_URL*` variables.
//! Nothing is created here: `scripts/local-aws` provisions an emulator. Start-up checks that
//! the table and every queue answer, so a wrong endpoint is an error at start, not a 500 at
//! the first request.

use std::collections::HashMap;

use shared::events::Queue;
use shared::photos::s3::{PHOTOS_BUCKET_ENV, S3PhotoStorage};
use shared::photos::storage::PhotoUrls;

use crate::startup::StartError;

/// The AWS side of the local API.
#[derive(Clone)]
pub struct AwsOptions {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub table: String,
    /// Every queue of the template, by name.
    pub queue_urls: HashMap<Queue, String>,
    /// Where the clients point, for the start-up line.
    pub endpoint: String,
    /// Sends email through SES (when `MAIL_FROM` is set); each email is kept in the local
    /// mailbox too. `None`: the mailbox only.
    pub ses: Option<shared::mail::SesMailer>,
    /// Photo files: the bucket `PHOTOS_BUCKET` (default [`DEFAULT_PHOTOS_BUCKET`]), its
    /// uploads announced on the photo-events queue by the bucket's notification.
    pub photos: S3PhotoStorage,
    /// `PHOTOS_BASE_URL`, or else the bucket's own path-style URL on the endpoint (an emulator
    /// serves objects to anyone).
    pub photo_urls: PhotoUrls,
}

/// Default photos bucket when `PHOTOS_BUCKET` is unset (what `scripts/local-aws` creates).
pub const DEFAULT_PHOTOS_BUCKET: &str = "roost-photos";

/// Default table name when `TABLE_NAME` is unset (what `scripts/local-aws` creates).
pub const DEFAULT_TABLE: &str = "roost";
/// Default queue-name prefix when `ROOST_QUEUE_PREFIX` is unset.
pub const DEFAULT_QUEUE_PREFIX: &str = "roost-";

fn aws_error(what: &str, err: impl std::fmt::Display) -> StartError {
    StartError::Backend(format!("{what}: {err}"))
}

/// An SDK error in one line: the service's code and message, or else the whole chain (a
/// connection refused has no code).
fn sdk_error<E, R>(err: aws_sdk_sqs::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_sqs::error::ProvideErrorMetadata;
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => aws_sdk_sqs::error::DisplayErrorContext(err).to_string(),
    }
}

/// `TABLE_NAME`, default [`DEFAULT_TABLE`].
pub fn table_from_env() -> String {
    std::env::var("TABLE_NAME")
        .ok()
        .filter(|table| !table.is_empty())
        .unwrap_or_else(|| DEFAULT_TABLE.to_owned())
}

/// The URL of `queue`: its `*_QUEUE_URL`, or else looked up by name (`ROOST_QUEUE_PREFIX` +
/// `booking-events.fifo`, ...).
pub async fn queue_url_from_env(sqs: &aws_sdk_sqs::Client, queue: Queue) -> Result<String, StartError> {
    if let Some(url) = std::env::var(queue.url_env()).ok().filter(|url| !url.is_empty()) {
        return Ok(url);
    }
    let prefix = std::env::var("ROOST_QUEUE_PREFIX").unwrap_or_else(|_| DEFAULT_QUEUE_PREFIX.to_owned());
    let name = format!("{prefix}{}", queue.sqs_name());
    sqs.get_queue_url()
        .queue_name(&name)
        .send()
        .await
        .map_err(|err| {
            aws_error(
                &format!("queue {name} (set {} or run scripts/local-aws)", queue.url_env()),
                sdk_error(err),
            )
        })?
        .queue_url
        .ok_or_else(|| aws_error(&format!("queue {name}"), "no URL in the answer"))
}

impl AwsOptions {
    /// Clients from the environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL*`), the
    /// table from `TABLE_NAME` and each queue from its `*_QUEUE_URL`, or else looked up by
    /// name (`ROOST_QUEUE_PREFIX` + `booking-events.fifo`, ...).
    pub async fn from_env() -> Result<Self, StartError> {
        let (dynamo, sqs) = shared::aws_http::clients_from_env().map_err(|err| aws_error("AWS configuration", err))?;
        let endpoint = shared::aws_http::service_endpoint("DYNAMODB")
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .unwrap_or_else(|| "the AWS region's endpoints".to_owned());
        let mut queue_urls = HashMap::new();
        for queue in Queue::ALL {
            queue_urls.insert(queue, queue_url_from_env(&sqs, queue).await?);
        }
        let ses = match std::env::var_os(shared::mail::ses::MAIL_FROM_ENV) {
            Some(_) => Some(shared::mail::SesMailer::from_env().map_err(|err| aws_error("SES configuration", err))?),
            None => None,
        };
        let bucket = std::env::var(PHOTOS_BUCKET_ENV)
            .ok()
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_PHOTOS_BUCKET.to_owned());
        let config = shared::aws_http::sdk_config_from_env().map_err(|err| aws_error("AWS configuration", err))?;
        let s3_endpoint = shared::aws_http::service_endpoint("S3").or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        let photo_urls = match std::env::var(shared::photos::storage::PHOTOS_BASE_URL_ENV) {
            Ok(base) if !base.trim().is_empty() => PhotoUrls::new(base),
            _ => match &s3_endpoint {
                Some(endpoint) => PhotoUrls::new(format!("{}/{bucket}", endpoint.trim_end_matches('/'))),
                None => PhotoUrls::new(format!("https://{bucket}.s3.amazonaws.com")),
            },
        };
        let photos =
            S3PhotoStorage::new(&config, s3_endpoint, bucket).map_err(|err| aws_error("AWS configuration", err))?;
        Ok(Self {
            photos,
            photo_urls,
            dynamo,
            sqs,
            table: table_from_env(),
            queue_urls,
            endpoint,
            ses,
        })
    }

    /// Fails unless the table and every queue answer.
    pub async fn check(&self) -> Result<(), StartError> {
        self.dynamo
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|err| {
                aws_error(
                    &format!(
                        "table {} at {} (run scripts/local-aws on an emulator)",
                        self.table, self.endpoint
                    ),
                    sdk_error(err),
                )
            })?;
        self.photos
            .client()
            .head_bucket()
            .bucket(self.photos.bucket())
            .send()
            .await
            .map_err(|err| {
                aws_error(
                    &format!(
                        "photos bucket {} (set PHOTOS_BUCKET or run scripts/local-aws)",
                        self.photos.bucket()
                    ),
                    aws_sdk_s3::error::DisplayErrorContext(err),
                )
            })?;
        for (queue, url) in &self.queue_urls {
            self.sqs
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await
                .map_err(|err| aws_error(&format!("queue {} at {url}", queue.name()), sdk_error(err)))?;
        }
        Ok(())
    }
}
