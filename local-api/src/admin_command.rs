//! `local-api admin grant|revoke EMAIL`: gives or takes the admin role, the only way to get
//! it (no API route grants it). On the embedded store of `DATA_DIR` by default; with
//! `ROOST_BACKEND=aws`, on the DynamoDB table `TABLE_NAME` (default `roost`) with the AWS
//! credentials, region and endpoint of the environment: a deployed table as well as an
//! emulator's. The change and its audit entry (by `operator`) are one transaction; tokens
//! issued afterwards carry the new roles.

use std::sync::Arc;

use embedded::store::SqliteStore;
use shared::admin::roles::{self, RoleChange};
use shared::clock::{Clock, ManualClock, SystemClock};
use shared::store::Store;
use shared::store::dynamo::DynamoStore;

/// How the command is called.
pub const USAGE: &str = "usage: local-api admin grant|revoke EMAIL";

/// Runs the command named by `args` (what follows `admin`) and prints what it did.
pub async fn run(args: &[String]) -> Result<(), String> {
    let (change, email) = match args {
        [verb, email] if verb == "grant" => (RoleChange::Grant, email),
        [verb, email] if verb == "revoke" => (RoleChange::Revoke, email),
        _ => return Err(USAGE.to_owned()),
    };
    let (store, clock, place) = open_store().await?;
    let (user, changed) = roles::change(store.as_ref(), clock.as_ref(), email, change)
        .await
        .map_err(|err| err.to_string())?;
    let roles: Vec<String> = user
        .roles
        .iter()
        .filter_map(|role| serde_json::to_value(role).ok())
        .filter_map(|role| role.as_str().map(str::to_owned))
        .collect();
    let what = match (change, changed) {
        (RoleChange::Grant, true) => "granted the admin role to",
        (RoleChange::Revoke, true) => "revoked the admin role of",
        (RoleChange::Grant, false) => "already an admin:",
        (RoleChange::Revoke, false) => "not an admin:",
    };
    println!(
        "{place}: {what} {} (user {}, roles {}); tokens issued from now on carry these roles",
        user.email,
        user.id,
        roles.join(", ")
    );
    Ok(())
}

/// The store the local API would run on, and the clock it reads.
async fn open_store() -> Result<(Arc<dyn Store>, Arc<dyn Clock>, String), String> {
    match std::env::var("ROOST_BACKEND").unwrap_or_default().as_str() {
        "" | "embedded" => {
            let data_dir = crate::startup::data_dir_from_env();
            let path = data_dir.join("roost.sqlite");
            if !path.exists() {
                return Err(format!(
                    "{} does not exist: start the local API once (or set DATA_DIR)",
                    path.display()
                ));
            }
            // The local API's moved clock, so the audit entry sits in its timeline.
            let clock: Arc<dyn Clock> = Arc::new(ManualClock::with_offset(crate::startup::load_clock_offset(
                &data_dir.join("clock.json"),
            )));
            let store = SqliteStore::open(&path, clock.clone()).map_err(|err| err.to_string())?;
            Ok((Arc::new(store), clock, path.display().to_string()))
        }
        "aws" => {
            let table = crate::aws_backend::table_from_env();
            let (dynamo, _) = shared::aws_http::clients_from_env().map_err(|err| err.to_string())?;
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let store = DynamoStore::new(dynamo, table.clone(), clock.clone());
            Ok((Arc::new(store), clock, format!("table {table}")))
        }
        other => Err(format!("ROOST_BACKEND must be embedded or aws, not {other}")),
    }
}
