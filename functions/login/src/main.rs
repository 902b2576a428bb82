//! Lambda entry point of `POST /auth/login`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(login::handle).await
}
