//! Lambda entry point of `POST /properties/{id}/photos`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_photo_http(request_photo_upload::handle).await
}
