//! Lambda entry point of `GET /conversations/{id}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(get_conversation::handle).await
}
