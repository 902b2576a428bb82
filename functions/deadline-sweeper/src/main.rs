//! Lambda entry point of the scheduled deadline sweep.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_event(deadline_sweeper::handle).await
}
