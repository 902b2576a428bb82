//! Lambda entry point of `POST /auth/verify-email`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(verify_email::handle).await
}
