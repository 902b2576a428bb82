//! Lambda entry point of `GET /conversations/{id}/messages`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(list_messages::handle).await
}
