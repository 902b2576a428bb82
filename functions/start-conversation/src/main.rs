//! Lambda entry point of `POST /conversations`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(start_conversation::handle).await
}
