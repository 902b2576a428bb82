//! Lambda entry point of `GET /users/me/properties`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(list_my_properties::handle).await
}
