//! `local-api --backfill-search`: the search-index backfill against the DynamoDB table named
//! by `TABLE_NAME`, with the AWS credentials, region and endpoint of the environment: a
//! deployed table as well as an emulator's. The local API runs the same backfill at start
//! by itself whenever its table has not had it.

use std::sync::Arc;

use shared::clock::{Clock, SystemClock};
use shared::properties::backfill;
use shared::store::dynamo::DynamoStore;

/// Runs the backfill (again, when `force`) and prints what it did.
pub async fn run_from_env(force: bool) -> Result<(), String> {
    let table = std::env::var("TABLE_NAME")
        .ok()
        .filter(|table| !table.is_empty())
        .ok_or("TABLE_NAME is not set: name the table to backfill")?;
    let (dynamo, _) = shared::aws_http::clients_from_env().map_err(|err| err.to_string())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = DynamoStore::new(dynamo, table.clone(), clock.clone());
    if !force && !backfill::needed(&store).await.map_err(|err| err.to_string())? {
        println!("table {table}: the search index backfill already ran (pass --force to run it again)");
        return Ok(());
    }
    let report = backfill::run(&store, clock.now())
        .await
        .map_err(|err| err.to_string())?;
    println!(
        "table {table}: {} properties examined, {} rewritten",
        report.examined, report.rewritten
    );
    Ok(())
}
