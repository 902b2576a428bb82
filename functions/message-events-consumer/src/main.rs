//! Lambda entry point of `SQS: message-events (system messages and check-in instructions in conversations)`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_event(message_events_consumer::handle).await
}
