//! Lambda entry point of `GET /users/{id}/reviews`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(list_user_reviews::handle).await
}
