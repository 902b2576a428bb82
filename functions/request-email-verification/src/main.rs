//! Lambda entry point of `POST /auth/verify-email/request`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(request_email_verification::handle).await
}
