//! Lambda entry point of `POST /auth/password-reset/request`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(request_password_reset::handle).await
}
