//! Lambda entry point of `GET /docs` and `GET /docs/{asset}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http_without_app(docs::handle).await
}
