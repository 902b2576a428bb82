//! Lambda entry point of `GET /users/me/notifications`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(get_notification_preferences::handle).await
}
