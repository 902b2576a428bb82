//! Lambda entry point of `PATCH /properties/{id}/photos`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(reorder_photos::handle).await
}
