//! Lambda entry point of `POST /auth/password-reset`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(reset_password::handle).await
}
