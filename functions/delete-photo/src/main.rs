//! Lambda entry point of `DELETE /properties/{id}/photos/{photoId}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(delete_photo::handle).await
}
