//! Lambda entry point of `POST /admin/bookings/{id}/cancel`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(admin_cancel_booking::handle).await
}
