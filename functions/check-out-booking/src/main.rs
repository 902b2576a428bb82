//! Lambda entry point of `POST /bookings/{id}/check-out`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(check_out_booking::handle).await
}
