//! Lambda entry point of `POST /webhooks/stripe`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(stripe_webhook::handle).await
}
