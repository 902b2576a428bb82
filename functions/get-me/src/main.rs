//! Lambda entry point of `GET /users/me`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(get_me::handle).await
}
