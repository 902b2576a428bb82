//! Lambda entry point of `SQS: payment-events (refunds, payouts)`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_event(payment_events_consumer::handle).await
}
