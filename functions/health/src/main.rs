//! Lambda entry point of `GET /health`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http_without_app(health::handle).await
}
