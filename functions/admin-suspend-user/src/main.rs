//! Lambda entry point of `POST /admin/users/{id}/suspend`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(admin_suspend_user::handle).await
}
