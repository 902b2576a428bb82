//! Lambda entry point of `POST /auth/logout`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(logout::handle).await
}
