//! Lambda entry point of `GET /admin/audit`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(admin_list_audit::handle).await
}
