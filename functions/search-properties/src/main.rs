//! Lambda entry point of `GET /properties`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(search_properties::handle).await
}
