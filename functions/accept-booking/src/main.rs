//! Lambda entry point of `POST /bookings/{id}/accept`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(accept_booking::handle).await
}
