//! Lambda entry point of `SQS: photo-events (S3 upload notifications, photo removals and upload expiries)`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_photo_event(photo_events_consumer::handle).await
}
