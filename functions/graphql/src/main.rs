//! Lambda entry point of `POST /graphql` and `GET /graphql/schema.graphql`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    // Built at init, not on the first request.
    graphql::schema();
    // `requestPhotoUpload` presigns into the photo bucket, as `request-photo-upload` does.
    shared::lambda::run_photo_http(graphql_function::handle).await
}
