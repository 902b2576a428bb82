//! Lambda entry point of `POST /admin/users/{id}/reinstate`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(admin_reinstate_user::handle).await
}
