//! Lambda entry point of `PATCH /users/me`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(update_me::handle).await
}
