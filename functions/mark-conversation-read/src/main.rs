//! Lambda entry point of `POST /conversations/{id}/read`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(mark_conversation_read::handle).await
}
