//! Lambda entry point of `POST /users/me/password`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(change_password::handle).await
}
