//! Lambda entry point of `GET /admin/users`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(admin_find_users::handle).await
}
