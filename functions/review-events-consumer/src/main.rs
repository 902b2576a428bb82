//! Lambda entry point of `SQS: review-events (publishes lone reviews when the window closes)`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_event(review_events_consumer::handle).await
}
