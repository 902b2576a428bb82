//! Lambda entry point of `GET /properties/{id}/reviews`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(list_property_reviews::handle).await
}
