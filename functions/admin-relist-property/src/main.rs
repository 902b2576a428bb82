//! Lambda entry point of `POST /admin/properties/{id}/relist`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(admin_relist_property::handle).await
}
