//! Lambda entry point of `PATCH /properties/{id}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(update_property::handle).await
}
