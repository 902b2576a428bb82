//! Dead letters moved back onto their queue: `GET|POST /_local/dead-letters` of the local API,
//! and `local-api redrive QUEUE` (what `scripts/redrive` runs) on the local queues of a
//! `DATA_DIR` and, with `ROOST_BACKEND=aws`, on SQS FIFO queues on moto, found through the
//! queue's redrive policy. One test, alone in its binary: the command reads the environment.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use embedded::bus::{LocalBus, MAX_RECEIVES};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::events::{Event, EventBus, EventType, Queue};
use tests::app::{Backend, spawn_app};

/// A consumer that fails every message: what a bug in a real one does.
fn failing() -> embedded::bus::Consumer {
    embedded::bus::consumer(|batch: SqsEvent| async move {
        let mut response = SqsBatchResponse::default();
        for record in batch.records {
            if let Some(id) = record.message_id {
                response.add_failure(id);
            }
        }
        response
    })
}

fn event() -> Event {
    Event::new(
        EventType::PaymentSucceeded,
        ulid::Ulid::new().to_string(),
        Utc::now(),
        json!({"paymentId": "P"}),
    )
}

/// Publishes `n` events on booking-events and delivers them until they are parked.
async fn park(bus: &LocalBus, n: usize) {
    for _ in 0..n {
        bus.publish(Queue::BookingEvents, &event()).await.expect("published");
    }
    for _ in 0..MAX_RECEIVES * 2 {
        bus.deliver_once().await;
    }
    assert_eq!(bus.dead_letters(Queue::BookingEvents).await.len(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_and_redriven_locally_and_on_sqs() {
    // The route, on a local API whose queues park what its failing consumer cannot handle.
    let app = spawn_app(Backend::Sqlite).await;
    let bus = Arc::new(LocalBus::temporary().expect("bus").with_retry_backoff(Duration::ZERO));
    bus.register(Queue::BookingEvents, failing());
    park(&bus, 2).await;
    let local = local_api::LocalApi::new(app.app, app.clock.clone(), None, None, local_api::template::BUILT_IN)
        .expect("template and handlers agree")
        .with_dead_letters(local_api::dead_letters::DeadLetters::Local(bus.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(local.serve(listener));
    let client = reqwest::Client::new();
    let listed: Value = client
        .get(format!("{base}/_local/dead-letters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["queues"]["booking-events"]["count"], 2, "{listed}");
    assert_eq!(
        listed["queues"]["booking-events"]["messages"][0]["type"], "PaymentSucceeded",
        "{listed}"
    );
    assert_eq!(listed["queues"]["notifications"]["count"], 0);
    let unknown = client
        .post(format!("{base}/_local/dead-letters"))
        .json(&json!({"queue": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let malformed = client
        .post(format!("{base}/_local/dead-letters"))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let redriven: Value = client
        .post(format!("{base}/_local/dead-letters"))
        .json(&json!({"queue": "booking-events"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(redriven, json!({"queue": "booking-events", "redriven": 2}));
    assert!(bus.dead_letters(Queue::BookingEvents).await.is_empty());
    assert_eq!(bus.pending(Queue::BookingEvents).await, 2, "back on their queue");

    // The command on a DATA_DIR's queues.
    let data_dir = std::env::temp_dir().join(format!("roost-redrive-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&data_dir).unwrap();
    {
        let on_disk = LocalBus::open(data_dir.join("queues.sqlite"))
            .expect("bus")
            .with_retry_backoff(Duration::ZERO);
        on_disk.register(Queue::BookingEvents, failing());
        park(&on_disk, 3).await;
    }
    // SAFETY: this binary runs this one test; nothing else reads the environment meanwhile.
    unsafe {
        std::env::set_var("DATA_DIR", &data_dir);
        std::env::remove_var("ROOST_BACKEND");
    }
    assert!(local_api::dead_letters::run(&["nope".to_owned()]).await.is_err());
    assert!(local_api::dead_letters::run(&[]).await.is_err());
    local_api::dead_letters::run(&["booking-events".to_owned()])
        .await
        .expect("redriven");
    let reopened = LocalBus::open(data_dir.join("queues.sqlite")).expect("bus");
    assert!(reopened.dead_letters(Queue::BookingEvents).await.is_empty());
    assert_eq!(reopened.pending(Queue::BookingEvents).await, 3);

    // The command on SQS: the template's queues on moto, the dead-letter queue found from the
    // queue's redrive policy.
    let aws = tests::local_aws::provision("redrive", local_api::template::BUILT_IN).await;
    let url = aws.provisioned.queue_urls[&Queue::BookingEvents].clone();
    let dlq = aws.provisioned.dead_letter_urls[&Queue::BookingEvents].clone();
    for n in 0..4 {
        aws.sqs
            .send_message()
            .queue_url(&dlq)
            .message_body(serde_json::to_string(&event()).unwrap())
            .message_group_id(format!("group-{}", n % 2))
            .message_deduplication_id(ulid::Ulid::new().to_string())
            .send()
            .await
            .expect("parked on moto");
    }
    assert_eq!(tests::sqs::message_count(&aws.sqs, &dlq, true).await, 4);
    let endpoint = std::env::var("ROOST_MOTO_ENDPOINT").expect("ROOST_MOTO_ENDPOINT (scripts/test starts moto)");
    // SAFETY: as above.
    unsafe {
        std::env::set_var("ROOST_BACKEND", "aws");
        std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
        std::env::set_var(Queue::BookingEvents.url_env(), &url);
    }
    local_api::dead_letters::run(&["booking-events".to_owned()])
        .await
        .expect("redriven on SQS");
    assert_eq!(tests::sqs::message_count(&aws.sqs, &dlq, true).await, 0);
    assert_eq!(tests::sqs::message_count(&aws.sqs, &url, true).await, 4);
    // Found by name (the prefix) when no URL is given: nothing is left to move.
    unsafe {
        std::env::remove_var(Queue::BookingEvents.url_env());
        std::env::set_var("ROOST_QUEUE_PREFIX", &aws.prefix);
    }
    local_api::dead_letters::run(&["booking-events".to_owned()])
        .await
        .expect("found by name");
    assert_eq!(tests::sqs::message_count(&aws.sqs, &url, true).await, 4);
    unsafe {
        std::env::remove_var("ROOST_BACKEND");
    }
}
