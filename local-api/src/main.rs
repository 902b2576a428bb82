//! `cargo run --release -p local-api`: the API on 127.0.0.1:3000 (`PORT`), data in `./.data`
//! (`DATA_DIR`), on the embedded adapters or, with `ROOST_BACKEND=aws`, on DynamoDB and SQS.
//! `local-api --provision-aws` creates the table and queues on a local emulator instead;
//! `local-api --backfill-search [--force]` writes the search index keys of older data in the
//! DynamoDB table `TABLE_NAME` (a deployed one too); `local-api admin grant|revoke EMAIL`
//! gives or takes the admin role (on `DATA_DIR`'s store, or with `ROOST_BACKEND=aws` on the
//! table `TABLE_NAME`).

use std::process::ExitCode;

// The embedded store turns every item into JSON values and back: allocation-heavy work that
// mimalloc serves much faster than the system allocator (docs/performance.md, search).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    shared::telemetry::init();
    if std::env::args().nth(1).as_deref() == Some("--provision-aws") {
        return match local_api::provisioning::run_from_env().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("local-api --provision-aws: {err}");
                ExitCode::FAILURE
            }
        };
    }
    if std::env::args().nth(1).as_deref() == Some("redrive") {
        let args: Vec<String> = std::env::args().skip(2).collect();
        return match local_api::dead_letters::run(&args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("local-api redrive: {err}");
                ExitCode::FAILURE
            }
        };
    }
    if std::env::args().nth(1).as_deref() == Some("admin") {
        let args: Vec<String> = std::env::args().skip(2).collect();
        return match local_api::admin_command::run(&args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("local-api admin: {err}");
                ExitCode::FAILURE
            }
        };
    }
    if std::env::args().nth(1).as_deref() == Some("--backfill-search") {
        let force = std::env::args().nth(2).as_deref() == Some("--force");
        return match local_api::backfill::run_from_env(force).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("local-api --backfill-search: {err}");
                ExitCode::FAILURE
            }
        };
    }
    match local_api::run(local_api::Options::from_env()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("local-api: {err}");
            ExitCode::FAILURE
        }
    }
}
