//! Lambda entry point of `POST /bookings/{id}/cancel`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(cancel_booking::handle).await
}
