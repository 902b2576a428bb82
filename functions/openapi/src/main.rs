//! Lambda entry point of `GET /openapi.json`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http_without_app(openapi::handle).await
}
