//! SQS queues on moto_server for tests: a client pointed at the emulator, and fresh FIFO
//! queues with a dead-letter queue wired like the deployed ones (redrive after 3 receives).

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::moto;

/// The queues' `maxReceiveCount`, as deployed.
pub const MAX_RECEIVE_COUNT: u32 = 3;

/// An SQS client talking to moto_server (region us-east-1, dummy static credentials).
///
/// # Panics
/// When `ROOST_MOTO_ENDPOINT` is unset: a test that needs moto must fail, never skip silently.
pub async fn client() -> Client {
    Client::new(&moto::sdk_config().await)
}

/// A FIFO queue created for one test, with its FIFO dead-letter queue.
#[derive(Debug, Clone)]
pub struct FifoQueue {
    /// Name, ending in `.fifo`.
    pub name: String,
    pub url: String,
    pub dlq_url: String,
}

/// Creates a FIFO queue named `<prefix>-<unique>.fifo` (explicit deduplication ids, like the
/// deployed queues) whose messages move to a FIFO dead-letter queue after
/// [`MAX_RECEIVE_COUNT`] receives.
///
/// # Panics
/// When moto refuses a call: this is test setup.
pub async fn create_fifo_queue(client: &Client, prefix: &str) -> FifoQueue {
    // moto keeps queues for its whole life and names must be unique: add a ULID.
    let base = format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase());
    let dlq_name = format!("{base}-dlq.fifo");
    let dlq_url = client
        .create_queue()
        .queue_name(&dlq_name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap_or_else(|err| panic!("create queue {dlq_name}: {err:?}"))
        .queue_url
        .unwrap_or_else(|| panic!("no URL for {dlq_name}"));
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap_or_else(|err| panic!("attributes of {dlq_name}: {err:?}"))
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .unwrap_or_else(|| panic!("no ARN for {dlq_name}"));

    let name = format!("{base}.fifo");
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT.to_string(),
    });
    let url = client
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .unwrap_or_else(|err| panic!("create queue {name}: {err:?}"))
        .queue_url
        .unwrap_or_else(|| panic!("no URL for {name}"));
    FifoQueue { name, url, dlq_url }
}

/// Messages on the queue at `url`: those waiting, and with `in_flight` those received and
/// not yet deleted too (SQS's approximate counts, exact on moto).
///
/// # Panics
/// When moto refuses the call.
pub async fn message_count(client: &Client, url: &str, in_flight: bool) -> usize {
    let mut names = vec![QueueAttributeName::ApproximateNumberOfMessages];
    if in_flight {
        names.push(QueueAttributeName::ApproximateNumberOfMessagesNotVisible);
    }
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .set_attribute_names(Some(names.clone()))
        .send()
        .await
        .unwrap_or_else(|err| panic!("attributes of {url}: {err:?}"))
        .attributes
        .unwrap_or_default();
    names
        .iter()
        .map(|name| attributes.get(name).and_then(|n| n.parse::<usize>().ok()).unwrap_or(0))
        .sum()
}
