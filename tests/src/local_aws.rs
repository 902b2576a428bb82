//! The AWS side of a local API on the aws backend, on moto: a table, the template's queues
//! with their dead-letter queues, and a photos bucket, under names of their own, and the
//! backend options that point the local API at them.

use local_api::provisioning::{self, Provisioned};
use shared::events::Queue;

/// What one test provisioned on moto.
pub struct LocalAws {
    pub table: String,
    /// The queues' name prefix.
    pub prefix: String,
    pub bucket: String,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
    /// The photo storage over `bucket`.
    pub photos: shared::photos::s3::S3PhotoStorage,
    /// The queues' and dead-letter queues' URLs.
    pub provisioned: Provisioned,
}

/// Provisions fresh resources named after `label` (and a ULID) from `template`.
///
/// # Panics
/// When moto refuses a call: this is test setup.
pub async fn provision(label: &str, template: &str) -> LocalAws {
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    let names = (
        format!("roost-{label}-{suffix}"),
        format!("{label}-{suffix}-"),
        format!("roost-{label}-photos-{suffix}"),
    );
    reopen(names, template).await
}

/// The resources named `(table, prefix, bucket)`, provisioned again (which changes nothing
/// that is there), as a restarted process finds them.
///
/// # Panics
/// When moto refuses a call.
pub async fn reopen((table, prefix, bucket): (String, String, String), template: &str) -> LocalAws {
    let config = crate::moto::sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let provisioned = provisioning::provision(template, &dynamo, &sqs, &table, &prefix)
        .await
        .expect("table and queues on moto");
    let s3 = shared::photos::s3::client(&config, None);
    provisioning::provision_photos(&s3, &sqs, &bucket, &provisioned.queue_urls[&Queue::PhotoEvents])
        .await
        .expect("the photos bucket on moto");
    let photos = shared::photos::s3::S3PhotoStorage::new(&config, None, bucket.clone())
        .expect("the moto config has credentials and a region");
    LocalAws {
        table,
        prefix,
        bucket,
        dynamo,
        sqs,
        s3,
        photos,
        provisioned,
    }
}

impl LocalAws {
    /// The local API's aws backend over these resources, sending email through `ses` (or
    /// keeping it in the mailbox only).
    pub fn backend(&self, ses: Option<shared::mail::SesMailer>) -> local_api::Backend {
        local_api::Backend::Aws(Box::new(local_api::aws_backend::AwsOptions {
            dynamo: self.dynamo.clone(),
            sqs: self.sqs.clone(),
            table: self.table.clone(),
            queue_urls: self.provisioned.queue_urls.clone(),
            endpoint: crate::moto::endpoint(),
            ses,
            photo_urls: shared::photos::storage::PhotoUrls::new(format!("{}/{}", crate::moto::endpoint(), self.bucket)),
            photos: self.photos.clone(),
        }))
    }
}
