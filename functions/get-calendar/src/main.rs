//! Lambda entry point of `GET /properties/{id}/calendar`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(get_calendar::handle).await
}
