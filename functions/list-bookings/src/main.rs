//! Lambda entry point of `GET /bookings`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(list_bookings::handle).await
}
