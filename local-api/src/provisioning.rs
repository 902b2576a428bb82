//! Creates the table and the queues of `template.yaml` on an emulator (moto, DynamoDB Local),
//! from the template's own definitions, for `ROOST_BACKEND=aws` and the end-to-end tests. It
//! never runs against a real account: [`run_from_env`] refuses endpoints off loopback.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_yaml::Value;
use shared::events::Queue;

use crate::template::queue_logical_id;

/// Why provisioning failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("template.yaml: {0}")]
    Template(String),
    #[error("DynamoDB: {0}")]
    Dynamo(String),
    #[error("SQS: {0}")]
    Sqs(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Setup(String),
}

/// What exists after provisioning.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub table: String,
    pub queue_urls: HashMap<Queue, String>,
    pub dead_letter_urls: HashMap<Queue, String>,
}

/// `{prefix}booking-events.fifo`, ..., `{prefix}photo-events`
pub fn queue_name(prefix: &str, queue: Queue) -> String {
    format!("{prefix}{}", queue.sqs_name())
}

/// `{prefix}booking-events-dlq.fifo`, ..., `{prefix}photo-events-dlq`
pub fn dead_letter_name(prefix: &str, queue: Queue) -> String {
    format!("{prefix}{}", queue.dlq_sqs_name())
}

fn template_error(message: impl Into<String>) -> ProvisionError {
    ProvisionError::Template(message.into())
}

fn resource<'a>(resources: &'a Value, logical_id: &str) -> Result<&'a Value, ProvisionError> {
    resources
        .get(logical_id)
        .and_then(|r| r.get("Properties"))
        .ok_or_else(|| template_error(format!("no resource {logical_id} with Properties")))
}

fn text<'a>(value: &'a Value, field: &str) -> Result<&'a str, ProvisionError> {
    value
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| template_error(format!("missing {field}")))
}

fn key_schema(value: &Value) -> Result<Vec<KeySchemaElement>, ProvisionError> {
    let elements = value
        .get("KeySchema")
        .and_then(Value::as_sequence)
        .ok_or_else(|| template_error("missing KeySchema"))?;
    elements
        .iter()
        .map(|element| {
            KeySchemaElement::builder()
                .attribute_name(text(element, "AttributeName")?)
                .key_type(KeyType::from(text(element, "KeyType")?))
                .build()
                .map_err(|err| template_error(err.to_string()))
        })
        .collect()
}

/// Creates the `Table` resource as `table` (an existing one is fine) with its TTL.
async fn create_table(table: &str, spec: &Value, dynamo: &aws_sdk_dynamodb::Client) -> Result<(), ProvisionError> {
    let mut request = dynamo
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(spec)?));
    for definition in spec
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .ok_or_else(|| template_error("missing AttributeDefinitions"))?
    {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(text(definition, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(text(definition, "AttributeType")?))
                .build()
                .map_err(|err| template_error(err.to_string()))?,
        );
    }
    for index in spec
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default()
    {
        let projection = index
            .get("Projection")
            .and_then(|p| p.get("ProjectionType"))
            .and_then(Value::as_str)
            .unwrap_or("ALL");
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(text(&index, "IndexName")?)
                .set_key_schema(Some(key_schema(&index)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(projection))
                        .build(),
                )
                .build()
                .map_err(|err| template_error(err.to_string()))?,
        );
    }
    match request.send().await {
        Ok(_) => println!("created table {table}"),
        Err(err) => {
            let context = aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string();
            if !context.contains("ResourceInUse") && !context.contains("already exists") {
                return Err(ProvisionError::Dynamo(context));
            }
            println!("table {table} exists");
        }
    }
    if let Some(ttl) = spec.get("TimeToLiveSpecification") {
        let attribute = text(ttl, "AttributeName")?;
        let specification = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()
            .map_err(|err| template_error(err.to_string()))?;
        if let Err(err) = dynamo
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(specification)
            .send()
            .await
        {
            let context = aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string();
            // Enabling it twice is an error in DynamoDB; it is on either way.
            if !context.contains("already enabled") {
                return Err(ProvisionError::Dynamo(context));
            }
        }
    }
    Ok(())
}

fn number(spec: &Value, field: &str) -> Option<String> {
    spec.get(field).and_then(Value::as_i64).map(|n| n.to_string())
}

/// Creates one queue with the template's attributes (FIFO or standard); returns its URL and ARN.
async fn create_queue(
    name: &str,
    spec: &Value,
    redrive: Option<String>,
    sqs: &aws_sdk_sqs::Client,
) -> Result<(String, String), ProvisionError> {
    let mut request = sqs.create_queue().queue_name(name);
    if spec.get("FifoQueue").and_then(Value::as_bool) == Some(true) {
        request = request.attributes(QueueAttributeName::FifoQueue, "true");
    }
    if let Some(dedup) = spec.get("ContentBasedDeduplication").and_then(Value::as_bool) {
        request = request.attributes(QueueAttributeName::ContentBasedDeduplication, dedup.to_string());
    }
    if let Some(timeout) = number(spec, "VisibilityTimeout") {
        request = request.attributes(QueueAttributeName::VisibilityTimeout, timeout);
    }
    if let Some(retention) = number(spec, "MessageRetentionPeriod") {
        request = request.attributes(QueueAttributeName::MessageRetentionPeriod, retention);
    }
    if let Some(redrive) = &redrive {
        request = request.attributes(QueueAttributeName::RedrivePolicy, redrive.clone());
    }
    let url = match request.send().await {
        Ok(out) => out.queue_url.unwrap_or_default(),
        // Created before with other attributes: keep it, but give it the template's redrive.
        Err(_) => {
            let url = sqs
                .get_queue_url()
                .queue_name(name)
                .send()
                .await
                .map_err(|err| ProvisionError::Sqs(aws_sdk_sqs::error::DisplayErrorContext(err).to_string()))?
                .queue_url
                .unwrap_or_default();
            if let Some(redrive) = redrive {
                sqs.set_queue_attributes()
                    .queue_url(&url)
                    .attributes(QueueAttributeName::RedrivePolicy, redrive)
                    .send()
                    .await
                    .map_err(|err| ProvisionError::Sqs(aws_sdk_sqs::error::DisplayErrorContext(err).to_string()))?;
            }
            url
        }
    };
    let arn = queue_arn(sqs, &url).await?;
    println!("queue {name}: {url}");
    Ok((url, arn))
}

/// Creates the table (as `table`) and every queue of the template with its dead-letter queue
/// (named with `queue_prefix`). Running it again changes nothing.
pub async fn provision(
    template_yaml: &str,
    dynamo: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    table: &str,
    queue_prefix: &str,
) -> Result<Provisioned, ProvisionError> {
    let template: Value = serde_yaml::from_str(template_yaml).map_err(|err| template_error(err.to_string()))?;
    let resources = template
        .get("Resources")
        .ok_or_else(|| template_error("no Resources"))?;
    create_table(table, resource(resources, "Table")?, dynamo).await?;
    let mut queue_urls = HashMap::new();
    let mut dead_letter_urls = HashMap::new();
    for queue in Queue::ALL {
        let spec = resource(resources, queue.logical_id())?;
        let policy = spec
            .get("RedrivePolicy")
            .ok_or_else(|| template_error(format!("{} has no RedrivePolicy", queue.logical_id())))?;
        let dlq_id = queue_logical_id(
            policy
                .get("deadLetterTargetArn")
                .ok_or_else(|| template_error("RedrivePolicy without deadLetterTargetArn"))?,
        );
        let max_receives = policy
            .get("maxReceiveCount")
            .and_then(Value::as_i64)
            .ok_or_else(|| template_error("RedrivePolicy without maxReceiveCount"))?;
        let (dlq_url, dlq_arn) = create_queue(
            &dead_letter_name(queue_prefix, queue),
            resource(resources, &dlq_id)?,
            None,
            sqs,
        )
        .await?;
        let redrive = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives}).to_string();
        let (url, _) = create_queue(&queue_name(queue_prefix, queue), spec, Some(redrive), sqs).await?;
        queue_urls.insert(queue, url);
        dead_letter_urls.insert(queue, dlq_url);
    }
    Ok(Provisioned {
        table: table.to_owned(),
        queue_urls,
        dead_letter_urls,
    })
}

/// The ARN of the queue at `url`.
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, ProvisionError> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|err| ProvisionError::Sqs(aws_sdk_sqs::error::DisplayErrorContext(err).to_string()))?
        .attributes
        .and_then(|attributes| attributes.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| ProvisionError::Sqs(format!("queue {url} has no ARN")))
}

/// Creates the photos bucket (an existing one is fine) and has it notify the photo-events
/// queue of every file stored under `properties/`, as `PhotosBucket` does in the template.
pub async fn provision_photos(
    s3: &aws_sdk_s3::Client,
    sqs: &aws_sdk_sqs::Client,
    bucket: &str,
    queue_url: &str,
) -> Result<(), ProvisionError> {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
        QueueConfiguration, S3KeyFilter,
    };
    let setup = |what: &str, err: String| ProvisionError::Setup(format!("{what}: {err}"));
    if let Err(err) = s3.create_bucket().bucket(bucket).send().await {
        let context = aws_sdk_s3::error::DisplayErrorContext(&err).to_string();
        if !context.contains("BucketAlreadyOwnedByYou") && !context.contains("BucketAlreadyExists") {
            return Err(setup(&format!("creating bucket {bucket}"), context));
        }
    }
    let arn = queue_arn(sqs, queue_url).await?;
    let filter = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value("properties/")
                        .build(),
                )
                .build(),
        )
        .build();
    let queue = QueueConfiguration::builder()
        .queue_arn(arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .filter(filter)
        .build()
        .map_err(|err| setup("notification", err.to_string()))?;
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(NotificationConfiguration::builder().queue_configurations(queue).build())
        .send()
        .await
        .map_err(|err| {
            setup(
                &format!("notifications of {bucket}"),
                aws_sdk_s3::error::DisplayErrorContext(err).to_string(),
            )
        })?;
    // On the emulator, anyone may read the photos, as the CDN lets anyone read them in AWS.
    let public_read = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PhotosAreServedToAnyoneLikeTheCdn",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/properties/*"),
        }],
    });
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(public_read.to_string())
        .send()
        .await
        .map_err(|err| {
            setup(
                &format!("policy of {bucket}"),
                aws_sdk_s3::error::DisplayErrorContext(err).to_string(),
            )
        })?;
    println!("bucket {bucket}: uploads under properties/ notify {queue_url}");
    Ok(())
}

/// Whether `endpoint` is on this machine (`127.0.0.1`, `localhost`, `[::1]`).
pub fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))
        .unwrap_or(endpoint);
    let host = rest.split('/').next().unwrap_or_default();
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default().to_owned()
    };
    matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

/// `local-api --provision-aws`: provisions `TABLE_NAME` (default `roost`) and the queues with
/// `ROOST_QUEUE_PREFIX` (default `roost-`) on the emulator of `AWS_ENDPOINT_URL` (or
/// `AWS_ENDPOINT_URL_DYNAMODB` and `_SQS`), and prints the variables the API needs. Refuses any
/// endpoint off loopback, so it can never create resources in a real account.
pub async fn run_from_env() -> Result<(), ProvisionError> {
    let general = std::env::var("AWS_ENDPOINT_URL").ok().filter(|url| !url.is_empty());
    for service in ["DYNAMODB", "SQS", "SESV2", "S3"] {
        let endpoint = shared::aws_http::service_endpoint(service).or_else(|| general.clone());
        match endpoint {
            Some(url) if is_loopback(&url) => {}
            other => {
                return Err(ProvisionError::Refused(format!(
                    "refusing to create resources outside a local emulator ({service} endpoint: {})",
                    other.unwrap_or_else(|| "the real AWS".to_owned())
                )));
            }
        }
    }
    for variable in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        if std::env::var(variable).map_or(true, |value| value.is_empty()) {
            return Err(ProvisionError::Setup(format!(
                "{variable} is not set: for an emulator, export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing"
            )));
        }
    }
    let options = shared::aws_http::clients_from_env().map_err(|err| ProvisionError::Setup(err.to_string()))?;
    let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| crate::aws_backend::DEFAULT_TABLE.to_owned());
    let prefix =
        std::env::var("ROOST_QUEUE_PREFIX").unwrap_or_else(|_| crate::aws_backend::DEFAULT_QUEUE_PREFIX.to_owned());
    let template = match std::env::var_os("ROOST_TEMPLATE") {
        Some(path) => std::fs::read_to_string(&path)
            .map_err(|err| ProvisionError::Setup(format!("ROOST_TEMPLATE {}: {err}", path.to_string_lossy())))?,
        None => crate::template::BUILT_IN.to_owned(),
    };
    let provisioned = provision(&template, &options.0, &options.1, &table, &prefix).await?;
    let bucket = std::env::var(shared::photos::s3::PHOTOS_BUCKET_ENV)
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| crate::aws_backend::DEFAULT_PHOTOS_BUCKET.to_owned());
    let photo_queue = provisioned
        .queue_urls
        .get(&Queue::PhotoEvents)
        .ok_or_else(|| ProvisionError::Setup("no photo-events queue was provisioned".to_owned()))?;
    let config = shared::aws_http::sdk_config_from_env().map_err(|err| ProvisionError::Setup(err.to_string()))?;
    let s3 = shared::photos::s3::client(&config, shared::aws_http::service_endpoint("S3"));
    provision_photos(&s3, &options.1, &bucket, photo_queue).await?;
    println!("export TABLE_NAME={}", provisioned.table);
    println!("export PHOTOS_BUCKET={bucket}");
    for queue in Queue::ALL {
        if let Some(url) = provisioned.queue_urls.get(&queue) {
            println!("export {}={url}", queue.url_env());
        }
    }
    // The sender the local API sends from through SES (`MAIL_FROM`), verified on the emulator.
    if std::env::var_os(shared::mail::ses::MAIL_FROM_ENV).is_some() {
        let ses = shared::mail::SesMailer::from_env().map_err(|err| ProvisionError::Setup(err.to_string()))?;
        ses.client()
            .create_email_identity()
            .email_identity(ses.from())
            .send()
            .await
            .map_err(|err| ProvisionError::Setup(format!("verifying {} on the emulator: {err}", ses.from())))?;
        println!("export MAIL_FROM={}", ses.from());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_endpoints_are_emulators() {
        for local in ["http://127.0.0.1:5000", "http://localhost:4566/", "http://[::1]:5000"] {
            assert!(is_loopback(local), "{local}");
        }
        for remote in [
            "https://dynamodb.us-east-1.amazonaws.com",
            "http://10.0.0.5:5000",
            "http://127.0.0.1.evil.example:80",
            "",
        ] {
            assert!(!is_loopback(remote), "{remote}");
        }
    }

    #[test]
    fn the_built_in_template_names_every_queue_and_its_dead_letter_queue() {
        let template: Value = serde_yaml::from_str(crate::template::BUILT_IN).unwrap();
        let resources = template.get("Resources").unwrap();
        for queue in Queue::ALL {
            let spec = resource(resources, queue.logical_id()).unwrap();
            let dlq = queue_logical_id(spec.get("RedrivePolicy").unwrap().get("deadLetterTargetArn").unwrap());
            assert!(resource(resources, &dlq).is_ok(), "{dlq}");
        }
        assert_eq!(queue_name("roost-", Queue::BookingEvents), "roost-booking-events.fifo");
    }
}
