//! Lambda entry point of `SQS: booking-events (payment outcomes, hold expiry, host answer deadline)`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_event(booking_events_consumer::handle).await
}
