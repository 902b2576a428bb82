//! Messages parked on dead-letter queues, and moving them back once the cause is fixed:
//! `GET|POST /_local/dead-letters` in the local API (never deployed, like the clock), and
//! `local-api redrive QUEUE` (what `scripts/redrive QUEUE` runs) for the local queues of
//! `DATA_DIR` or, with `ROOST_BACKEND=aws`, for SQS (a deployed stack's queues too).
//!
//! A redriven message is sent again at the end of its message group with a new
//! deduplication id; the consumers are idempotent by event id, so one that had been applied
//! before it failed is not applied twice (tests/tests/poison.rs).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::State;
use axum::response::Response as AxumResponse;
use embedded::bus::LocalBus;
use serde::{Deserialize, Serialize};
use shared::error::{ApiError, FieldError};
use shared::events::Queue;
use shared::http::{StatusCode, error_response, json};

use crate::runtime::Runtime;
use crate::server::into_axum;

/// The route's path.
pub const PATH: &str = "/_local/dead-letters";

/// How the command is called.
pub const USAGE: &str = "usage: local-api redrive QUEUE (booking-events, payment-events, review-events, message-events, notifications or photo-events)";

/// Where the process's dead letters are.
#[derive(Clone)]
pub enum DeadLetters {
    /// The in-process queues (the embedded backend).
    Local(Arc<LocalBus>),
    /// SQS: each queue's URL (its dead-letter queue is read from its redrive policy).
    Sqs {
        client: aws_sdk_sqs::Client,
        queues: HashMap<Queue, String>,
    },
}

/// The queue named `name` (its name without prefix or `.fifo`).
pub fn queue_named(name: &str) -> Option<Queue> {
    Queue::ALL.into_iter().find(|queue| queue.name() == name)
}

/// The dead-letter queue of the SQS queue at `queue_url`, from its redrive policy.
pub async fn dead_letter_url(client: &aws_sdk_sqs::Client, queue_url: &str) -> Result<String, String> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let attributes = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .map_err(|err| {
            format!(
                "GetQueueAttributes {queue_url}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(err)
            )
        })?;
    let policy = attributes
        .attributes
        .and_then(|mut all| all.remove(&QueueAttributeName::RedrivePolicy))
        .ok_or_else(|| format!("{queue_url} has no redrive policy"))?;
    let policy: serde_json::Value =
        serde_json::from_str(&policy).map_err(|err| format!("the redrive policy of {queue_url}: {err}"))?;
    let arn = policy["deadLetterTargetArn"]
        .as_str()
        .ok_or_else(|| format!("the redrive policy of {queue_url} names no dead-letter queue"))?;
    // arn:aws:sqs:<region>:<account>:<name>
    let name = arn.rsplit(':').next().unwrap_or_default();
    client
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(|err| format!("GetQueueUrl {name}: {}", aws_sdk_sqs::error::DisplayErrorContext(err)))?
        .queue_url
        .ok_or_else(|| format!("no URL for {name}"))
}

impl DeadLetters {
    /// The parked messages of `queue`: their bodies (local queues), or only how many (SQS,
    /// whose messages cannot be read without receiving them).
    async fn parked(&self, queue: Queue) -> Result<Parked, String> {
        match self {
            DeadLetters::Local(bus) => {
                let bodies = bus.dead_letters(queue).await;
                let messages = bodies
                    .iter()
                    .map(|body| serde_json::from_str(body).unwrap_or_else(|_| serde_json::Value::String(body.clone())))
                    .collect::<Vec<_>>();
                Ok(Parked {
                    count: messages.len(),
                    messages: Some(messages),
                })
            }
            DeadLetters::Sqs { client, queues } => {
                use aws_sdk_sqs::types::QueueAttributeName;
                let url = queues.get(&queue).ok_or("no such queue")?;
                let dlq = dead_letter_url(client, url).await?;
                let attributes = client
                    .get_queue_attributes()
                    .queue_url(&dlq)
                    .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                    .send()
                    .await
                    .map_err(|err| aws_sdk_sqs::error::DisplayErrorContext(err).to_string())?;
                let count = attributes
                    .attributes
                    .and_then(|all| all.get(&QueueAttributeName::ApproximateNumberOfMessages).cloned())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                Ok(Parked { count, messages: None })
            }
        }
    }

    /// Moves every parked message of `queue` back onto it; how many moved.
    pub async fn redrive(&self, queue: Queue) -> Result<usize, String> {
        match self {
            DeadLetters::Local(bus) => bus.redrive(queue).map_err(|err| err.to_string()),
            DeadLetters::Sqs { client, queues } => {
                let url = queues.get(&queue).ok_or("no such queue")?;
                let dlq = dead_letter_url(client, url).await?;
                shared::bus::sqs::redrive(client, &dlq, url)
                    .await
                    .map_err(|err| err.to_string())
            }
        }
    }
}

/// One queue's parked messages.
#[derive(Debug, Serialize)]
struct Parked {
    count: usize,
    /// The events, on the local queues.
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<Vec<serde_json::Value>>,
}

/// `GET /_local/dead-letters`: `{"queues": {"booking-events": {"count", "messages"?}, ...}}`.
pub async fn list(State(runtime): State<Arc<Runtime>>) -> AxumResponse {
    let Some(dead_letters) = &runtime.dead_letters else {
        return into_axum(error_response(&ApiError::NotFound("this process has no queues")));
    };
    let mut queues = BTreeMap::new();
    for queue in Queue::ALL {
        match dead_letters.parked(queue).await {
            Ok(parked) => {
                queues.insert(queue.name(), parked);
            }
            Err(cause) => return into_axum(error_response(&ApiError::unavailable(cause))),
        }
    }
    into_axum(json(StatusCode::OK, &serde_json::json!({ "queues": queues })).unwrap_or_else(|err| error_response(&err)))
}

/// Body of `POST /_local/dead-letters`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedriveRequest {
    queue: String,
}

/// `POST /_local/dead-letters` `{"queue": "booking-events"}`: moves that queue's parked
/// messages back; `{"queue", "redriven": N}`.
pub async fn redrive(State(runtime): State<Arc<Runtime>>, body: axum::body::Bytes) -> AxumResponse {
    let Some(dead_letters) = &runtime.dead_letters else {
        return into_axum(error_response(&ApiError::NotFound("this process has no queues")));
    };
    let Ok(request) = serde_json::from_slice::<RedriveRequest>(&body) else {
        return into_axum(error_response(&ApiError::bad_request("body must be {\"queue\": NAME}")));
    };
    let Some(queue) = queue_named(&request.queue) else {
        return into_axum(error_response(&ApiError::Validation(vec![FieldError::new(
            "queue",
            "must be booking-events, payment-events, review-events, message-events, notifications or photo-events",
        )])));
    };
    match dead_letters.redrive(queue).await {
        Ok(moved) => into_axum(
            json(
                StatusCode::OK,
                &serde_json::json!({"queue": queue.name(), "redriven": moved}),
            )
            .unwrap_or_else(|err| error_response(&err)),
        ),
        Err(cause) => into_axum(error_response(&ApiError::unavailable(cause))),
    }
}

/// `local-api redrive QUEUE`: the dead letters of `DATA_DIR`'s local queues, or with
/// `ROOST_BACKEND=aws` of SQS (the queue's URL from `<QUEUE>_QUEUE_URL`, e.g.
/// `BOOKING_EVENTS_QUEUE_URL` from the stack's outputs, else found by name with
/// `ROOST_QUEUE_PREFIX`), moved back onto their queue.
pub async fn run(args: &[String]) -> Result<(), String> {
    let [name] = args else {
        return Err(USAGE.to_owned());
    };
    let queue = queue_named(name).ok_or_else(|| format!("unknown queue {name}; {USAGE}"))?;
    let (dead_letters, place) = match std::env::var("ROOST_BACKEND").unwrap_or_default().as_str() {
        "" | "embedded" => {
            let data_dir = crate::startup::data_dir_from_env();
            let path = data_dir.join("queues.sqlite");
            if !path.exists() {
                return Err(format!("{} does not exist (set DATA_DIR)", path.display()));
            }
            let bus = LocalBus::open(&path).map_err(|err| err.to_string())?;
            (DeadLetters::Local(Arc::new(bus)), path.display().to_string())
        }
        "aws" => {
            let (_, sqs) = shared::aws_http::clients_from_env().map_err(|err| err.to_string())?;
            let url = crate::aws_backend::queue_url_from_env(&sqs, queue)
                .await
                .map_err(|err| err.to_string())?;
            let place = url.clone();
            (
                DeadLetters::Sqs {
                    client: sqs,
                    queues: HashMap::from([(queue, url)]),
                },
                place,
            )
        }
        other => return Err(format!("ROOST_BACKEND must be embedded or aws, not {other}")),
    };
    let moved = dead_letters.redrive(queue).await?;
    println!("{place}: {moved} dead letters of {} redriven", queue.name());
    Ok(())
}
