//! Lambda entry point of `POST /bookings/{id}/payments`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(create_payment::handle).await
}
