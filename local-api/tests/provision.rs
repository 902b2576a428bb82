//! `local_api::provisioning` against moto_server (`ROOST_MOTO_ENDPOINT`, started by
//! `scripts/test`): the table and queues it creates have template.yaml's shape, a second run
//! changes nothing, and a message received too often ends on its dead-letter queue.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{IndexStatus, TableStatus, TimeToLiveStatus};
use aws_sdk_sqs::types::QueueAttributeName;
use local_api::provisioning::{Provisioned, dead_letter_name, provision, queue_name};
use serde_json::Value;
use shared::events::Queue;

/// moto_server's URL.
///
/// # Panics
/// When `ROOST_MOTO_ENDPOINT` is unset: a test that needs moto must fail, never skip silently.
fn endpoint() -> String {
    match std::env::var("ROOST_MOTO_ENDPOINT") {
        Ok(endpoint) if !endpoint.trim().is_empty() => endpoint,
        _ => panic!("ROOST_MOTO_ENDPOINT is not set: run ./scripts/test, which starts moto_server"),
    }
}

/// Clients on moto with us-east-1 and dummy credentials, as `tests::moto::sdk_config` builds
/// them (that crate is not a dependency here), so the caller's AWS setup is never read.
fn clients() -> (aws_sdk_dynamodb::Client, aws_sdk_sqs::Client) {
    let http = shared::aws_http::http_client().expect("the compiled-in roots parse");
    let credentials = Credentials::new("testing", "testing", None, None, "roost-tests");
    let dynamo = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http.clone())
        .endpoint_url(endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials.clone())
        .build();
    let sqs = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(endpoint())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .build();
    (
        aws_sdk_dynamodb::Client::from_conf(dynamo),
        aws_sdk_sqs::Client::from_conf(sqs),
    )
}

/// A table name and queue prefix no other test (or earlier moto run) uses: moto keeps
/// everything for its whole life.
fn unique_names() -> (String, String) {
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    (format!("roost-provision-{suffix}"), format!("provision-{suffix}-"))
}

async fn provision_built_in(
    dynamo: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    table: &str,
    prefix: &str,
) -> Provisioned {
    provision(local_api::template::BUILT_IN, dynamo, sqs, table, prefix)
        .await
        .expect("provisioning on moto succeeds")
}

async fn queue_attributes(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> std::collections::HashMap<QueueAttributeName, String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("queue attributes readable")
        .attributes
        .unwrap_or_default()
}

#[tokio::test]
async fn the_table_has_both_indexes_and_ttl() {
    let (dynamo, sqs) = clients();
    let (table, prefix) = unique_names();
    let provisioned = provision_built_in(&dynamo, &sqs, &table, &prefix).await;
    assert_eq!(provisioned.table, table);

    let described = dynamo
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("table exists")
        .table
        .expect("table description");
    assert_eq!(described.table_status, Some(TableStatus::Active));
    let mut indexes: Vec<_> = described
        .global_secondary_indexes()
        .iter()
        .map(|index| {
            assert_ne!(index.index_status, Some(IndexStatus::Deleting));
            index.index_name().unwrap_or_default().to_owned()
        })
        .collect();
    indexes.sort();
    assert_eq!(indexes, ["gsi1", "gsi2"]);

    let ttl = dynamo
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .expect("TTL readable")
        .time_to_live_description
        .expect("TTL description");
    assert_eq!(ttl.time_to_live_status, Some(TimeToLiveStatus::Enabled));
    assert_eq!(ttl.attribute_name.as_deref(), Some("ttl"));
}

#[tokio::test]
async fn every_queue_is_fifo_but_photo_events_and_redrives_to_its_dead_letter_queue_after_three_receives() {
    let (dynamo, sqs) = clients();
    let (table, prefix) = unique_names();
    let provisioned = provision_built_in(&dynamo, &sqs, &table, &prefix).await;
    for queue in Queue::ALL {
        let url = &provisioned.queue_urls[&queue];
        let dead = &provisioned.dead_letter_urls[&queue];
        assert!(url.ends_with(&queue_name(&prefix, queue)), "{url}");
        assert!(dead.ends_with(&dead_letter_name(&prefix, queue)), "{dead}");

        let dead_attributes = queue_attributes(&sqs, dead).await;
        let attributes = queue_attributes(&sqs, url).await;
        assert_eq!(dead_attributes[&QueueAttributeName::MessageRetentionPeriod], "1209600");
        if queue.fifo() {
            assert_eq!(dead_attributes[&QueueAttributeName::FifoQueue], "true");
            assert_eq!(attributes[&QueueAttributeName::FifoQueue], "true");
            assert_eq!(attributes[&QueueAttributeName::ContentBasedDeduplication], "false");
        } else {
            // S3 notifies standard queues only.
            assert_eq!(queue, Queue::PhotoEvents);
            assert!(
                !attributes.contains_key(&QueueAttributeName::FifoQueue),
                "{attributes:?}"
            );
            assert!(url.ends_with("photo-events"), "{url}");
        }
        assert_eq!(attributes[&QueueAttributeName::VisibilityTimeout], "60");
        let redrive: Value =
            serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).expect("RedrivePolicy is JSON");
        assert_eq!(
            redrive["deadLetterTargetArn"].as_str(),
            Some(dead_attributes[&QueueAttributeName::QueueArn].as_str())
        );
        // moto may echo the count as a number or a string.
        assert_eq!(redrive["maxReceiveCount"].to_string().trim_matches('"'), "3");
    }
}

#[tokio::test]
async fn provisioning_twice_changes_nothing() {
    let (dynamo, sqs) = clients();
    let (table, prefix) = unique_names();
    let first = provision_built_in(&dynamo, &sqs, &table, &prefix).await;
    let second = provision_built_in(&dynamo, &sqs, &table, &prefix).await;
    assert_eq!(first.table, second.table);
    assert_eq!(first.queue_urls, second.queue_urls);
    assert_eq!(first.dead_letter_urls, second.dead_letter_urls);
}

/// Receives from `url` with a zero visibility timeout, so the message is visible again at once
/// (its receive count still goes up); returns the bodies received.
async fn receive_now(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .expect("queue readable")
        .messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|message| message.body)
        .collect()
}

#[tokio::test]
async fn a_message_received_three_times_without_delete_moves_to_the_dead_letter_queue() {
    let (dynamo, sqs) = clients();
    let (table, prefix) = unique_names();
    let provisioned = provision_built_in(&dynamo, &sqs, &table, &prefix).await;
    let url = &provisioned.queue_urls[&Queue::PaymentEvents];
    let dead = &provisioned.dead_letter_urls[&Queue::PaymentEvents];
    sqs.send_message()
        .queue_url(url)
        .message_body("poison")
        .message_group_id("booking-1")
        .message_deduplication_id(ulid::Ulid::new().to_string())
        .send()
        .await
        .expect("sent");

    for attempt in 1..=3 {
        assert_eq!(receive_now(&sqs, url).await, ["poison"], "receive {attempt}");
    }
    // The fourth receive exceeds maxReceiveCount: moto moves the message instead of returning it.
    assert!(receive_now(&sqs, url).await.is_empty(), "still on the main queue");
    assert_eq!(receive_now(&sqs, dead).await, ["poison"]);
}
