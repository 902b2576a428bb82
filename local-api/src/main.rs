//! `cargo run --release -p local-api`: the API on 127.0.0.1:3000 (`PORT`), data in `./.data`
//! (`DATA_DIR`).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    shared::telemetry::init();
    match local_api::run(local_api::Options::from_env()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("local-api: {err}");
            ExitCode::FAILURE
        }
    }
}
