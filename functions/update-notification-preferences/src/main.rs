//! Lambda entry point of `PATCH /users/me/notifications`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(update_notification_preferences::handle).await
}
