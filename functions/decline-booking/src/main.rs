//! Lambda entry point of `POST /bookings/{id}/decline`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(decline_booking::handle).await
}
