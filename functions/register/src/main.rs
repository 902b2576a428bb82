//! Lambda entry point of `POST /auth/register`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(register::handle).await
}
