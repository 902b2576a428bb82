//! moto_server, the DynamoDB and SQS emulator that `scripts/test` starts: its endpoint, an SDK
//! config pointed at it, and fresh DynamoDB stores.

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use shared::clock::Clock;
use shared::store::Store;
use shared::store::dynamo::{DynamoStore, create_table};

/// Environment variable holding moto_server's URL.
pub const ENDPOINT_ENV: &str = "ROOST_MOTO_ENDPOINT";

/// The moto_server endpoint from `ROOST_MOTO_ENDPOINT`.
///
/// # Panics
/// When the variable is unset: a test that needs moto must fail, never skip silently.
pub fn endpoint() -> String {
    match std::env::var(ENDPOINT_ENV) {
        Ok(endpoint) if !endpoint.trim().is_empty() => endpoint,
        _ => panic!("ROOST_MOTO_ENDPOINT is not set: run ./scripts/test, which starts moto_server"),
    }
}

/// An SDK config for moto: its endpoint, us-east-1 and static dummy credentials, so tests never
/// read (or depend on) the caller's AWS profile or environment.
///
/// # Panics
/// When `ROOST_MOTO_ENDPOINT` is unset.
pub async fn sdk_config() -> SdkConfig {
    let client = shared::aws_http::http_client().expect("the compiled-in roots parse");
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(client)
        .endpoint_url(endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "roost-tests"))
        .load()
        .await
}

/// A DynamoDB client talking to moto.
///
/// # Panics
/// When `ROOST_MOTO_ENDPOINT` is unset.
pub async fn dynamo_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
}

/// A [`DynamoStore`] on a table of its own (`roost-test-<ulid>`, laid out as in production),
/// reading time from `clock`.
///
/// # Panics
/// When `ROOST_MOTO_ENDPOINT` is unset or moto refuses to create the table: this is test setup.
pub async fn dynamo_store(clock: Arc<dyn Clock>) -> Arc<dyn Store> {
    let client = dynamo_client().await;
    // moto keeps tables for its whole life; a ULID keeps every test's data apart.
    let table = format!("roost-test-{}", ulid::Ulid::new().to_string().to_lowercase());
    if let Err(err) = create_table(&client, &table).await {
        panic!("creating table {table} on moto ({}): {err}", endpoint());
    }
    Arc::new(DynamoStore::new(client, table, clock))
}

/// An SES adapter on moto sending from `from`, verified there first (moto's SES refuses
/// unverified senders, as SES does).
///
/// # Panics
/// When `ROOST_MOTO_ENDPOINT` is unset or moto refuses the identity: this is test setup.
pub async fn verified_ses_sender(from: &str, configuration_set: Option<String>) -> shared::mail::SesMailer {
    let ses = shared::mail::SesMailer::from_config(&sdk_config().await, from, configuration_set);
    ses.client()
        .create_email_identity()
        .email_identity(from)
        .send()
        .await
        .unwrap_or_else(|err| panic!("verifying {from} on moto: {err:?}"));
    ses
}

/// Photo storage on moto for one app: a bucket of its own whose uploads under `properties/`
/// notify a standard queue of its own (as `PhotosBucket` notifies `PhotoEventsQueue`), with its
/// dead-letter queue after 3 receives. Returns the storage, its public URLs and the queue URL.
///
/// # Panics
/// When moto refuses a call: this is test setup.
pub async fn photo_bucket() -> (
    shared::photos::s3::S3PhotoStorage,
    shared::photos::storage::PhotoUrls,
    String,
) {
    use aws_sdk_sqs::types::QueueAttributeName;
    let unique = ulid::Ulid::new().to_string().to_lowercase();
    let bucket = format!("roost-photos-{unique}");
    let sqs = crate::sqs::client().await;
    let dlq = sqs
        .create_queue()
        .queue_name(format!("photo-events-{unique}-dlq"))
        .send()
        .await
        .expect("creating the photo-events dead-letter queue on moto")
        .queue_url
        .unwrap_or_default();
    let dlq_arn = local_api::provisioning::queue_arn(&sqs, &dlq)
        .await
        .unwrap_or_else(|err| panic!("the dead-letter queue's ARN: {err}"));
    let redrive = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": crate::sqs::MAX_RECEIVE_COUNT});
    let queue = sqs
        .create_queue()
        .queue_name(format!("photo-events-{unique}"))
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .expect("creating the photo-events queue on moto")
        .queue_url
        .unwrap_or_default();
    let config = sdk_config().await;
    let s3 = shared::photos::s3::client(&config, None);
    local_api::provisioning::provision_photos(&s3, &sqs, &bucket, &queue)
        .await
        .unwrap_or_else(|err| panic!("the photos bucket on moto: {err}"));
    let urls = shared::photos::storage::PhotoUrls::new(format!("{}/{bucket}", endpoint()));
    let storage = shared::photos::s3::S3PhotoStorage::new(&config, None, bucket)
        .expect("the moto config has credentials and a region");
    (storage, urls, queue)
}

/// A Secrets Manager source talking to moto (the adapter the functions use).
///
/// # Panics
/// When `ROOST_MOTO_ENDPOINT` is unset.
pub async fn secrets_manager() -> shared::secrets::manager::SecretsManager {
    shared::secrets::manager::SecretsManager::new(aws_sdk_secretsmanager::Client::new(&sdk_config().await))
}
