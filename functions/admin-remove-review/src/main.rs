//! Lambda entry point of `POST /admin/reviews/{id}/remove`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(admin_remove_review::handle).await
}
