//! Lambda entry point of `POST /conversations/{id}/messages`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(send_message::handle).await
}
