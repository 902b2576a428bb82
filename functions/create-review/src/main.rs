//! Lambda entry point of `POST /bookings/{id}/reviews`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(create_review::handle).await
}
