//! Lambda entry point of `SQS: notifications (the emails of every booking moment, and of accounts)`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_event(notifications_consumer::handle).await
}
