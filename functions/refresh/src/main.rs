//! Lambda entry point of `POST /auth/refresh`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(refresh::handle).await
}
