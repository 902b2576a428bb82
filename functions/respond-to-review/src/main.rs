//! Lambda entry point of `POST /reviews/{id}/response`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(respond_to_review::handle).await
}
