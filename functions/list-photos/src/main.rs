//! Lambda entry point of `GET /properties/{id}/photos`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(list_photos::handle).await
}
