//! Lambda entry point of `PUT /properties/{id}/calendar/blocks`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http(put_calendar_blocks::handle).await
}
