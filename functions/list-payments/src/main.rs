//! Lambda entry point of `GET /bookings/{id}/payments`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(list_payments::handle).await
}
