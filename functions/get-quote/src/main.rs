//! Lambda entry point of `GET /properties/{id}/quote`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(get_quote::handle).await
}
