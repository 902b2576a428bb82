//! Lambda entry point of `the scheduled outbox relay`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_event(outbox_relay::handle).await
}
