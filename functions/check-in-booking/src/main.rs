//! Lambda entry point of `POST /bookings/{id}/check-in`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(check_in_booking::handle).await
}
