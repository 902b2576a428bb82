//! Lambda entry point of `PATCH /properties/{id}/photos/{photoId}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(update_photo::handle).await
}
