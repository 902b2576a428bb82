//! One-off: brings properties stored before search spanned countries and maps up to date.
//!
//! Those properties sit in gsi1 under `PLACE#<country>#<city>`, which no search reads any
//! more. The backfill walks every property item (a maintenance scan, never run by a
//! request), moves each listed one to its `CITY#<city>` key and writes its map entries, then
//! records that it ran. Every write is the one the property's current record calls for,
//! conditioned on the version read, so running it twice, or while hosts edit, changes
//! nothing a second time and never writes a stale key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::index;
use super::model::Property;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, ResumeKey, Store, StoreError, TxAction, Update};

/// The migration's name in its record.
pub const NAME: &str = "search-index-v2";

/// Items one scan page reads.
const SCAN_PAGE: u32 = 200;

/// Attempts per property whose version moved under the backfill.
const ATTEMPTS: usize = 5;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Property items read.
    pub examined: u64,
    /// Properties whose index keys or map entries were written.
    pub rewritten: u64,
}

/// The record of a finished run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Done {
    completed_at: DateTime<Utc>,
    #[serde(flatten)]
    report: Report,
}

/// Whether the backfill has not run on this table yet (one read).
pub async fn needed(store: &dyn Store) -> Result<bool, StoreError> {
    Ok(store.get(&keys::migration(NAME)).await?.is_none())
}

/// Runs the backfill over the whole table and records it.
pub async fn run(store: &dyn Store, now: DateTime<Utc>) -> Result<Report, StoreError> {
    let mut report = Report::default();
    let mut start: Option<ResumeKey> = None;
    loop {
        let page = store.scan(kind::PROPERTY, start.take(), SCAN_PAGE).await?;
        for item in page.items {
            report.examined += 1;
            if bring_up_to_date(store, item).await? {
                report.rewritten += 1;
            }
        }
        match page.next {
            Some(next) => start = Some(next),
            None => break,
        }
    }
    let done = Done {
        completed_at: now,
        report,
    };
    store
        .put(
            Item::new(keys::migration(NAME), kind::MIGRATION, &done)?,
            Condition::Always,
        )
        .await?;
    Ok(report)
}

/// Writes what `item`'s property needs, if anything; re-reads it when a host changed it
/// meanwhile. Answers whether it wrote.
async fn bring_up_to_date(store: &dyn Store, mut item: Item) -> Result<bool, StoreError> {
    for _ in 0..ATTEMPTS {
        let property: Property = item.record()?;
        let wanted = property.in_search().then(|| property.city_index());
        // Whatever wrote the current key (a create or patch since this change) wrote the
        // map entries with it.
        if item.gsi1 == wanted {
            return Ok(false);
        }
        let entries = index::moves(None, Some(&property))?;
        let mut actions = vec![TxAction::Update {
            key: item.key.clone(),
            update: Update::new().gsi1(wanted),
            condition: Condition::VersionEquals(item.version),
        }];
        actions.extend(entries);
        match store.transact(actions).await {
            Ok(()) => return Ok(true),
            Err(StoreError::TransactionConditionFailed { .. } | StoreError::Conflict) => {
                match store.get(&item.key).await? {
                    Some(fresh) => item = fresh,
                    None => return Ok(false),
                }
            }
            Err(err) => return Err(err),
        }
    }
    Err(StoreError::Unavailable(format!(
        "property {} kept changing during the backfill",
        item.key.pk
    )))
}
