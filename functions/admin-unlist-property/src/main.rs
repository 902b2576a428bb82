//! Lambda entry point of `POST /admin/properties/{id}/unlist`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(admin_unlist_property::handle).await
}
