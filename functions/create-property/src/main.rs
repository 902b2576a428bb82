//! Lambda entry point of `POST /properties`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(create_property::handle).await
}
