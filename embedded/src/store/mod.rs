//! SQLite store adapter: the local API's stand-in for the DynamoDB table.
//!
//! One SQLite table holds every item, with the same key columns as the DynamoDB table
//! (`pk`, `sk`, `type`, `gsi1pk`, `gsi1sk`, `gsi2pk`, `gsi2sk`, `ttl`, `version`) and the record's
//! own attributes as JSON text. The semantics are those of the store port
//! ([`shared::store`]), which `tests/tests/store_conformance.rs` runs against this adapter
//! and the DynamoDB one alike.
//!
//! Every call also reckons the capacity units DynamoDB would bill for it
//! ([`shared::store::capacity`]) from the sizes of the items it touched, when a request's
//! tally is open.
//!
//! JSON has no sets, so a string set is stored as its sorted array of members and the `sets`
//! column (a JSON array) names the attributes that are sets. Without it a set could not be
//! told from a list, and this adapter would accept set operations on lists (or a list equal
//! to a set) that DynamoDB refuses.
//!
//! One connection behind a mutex serves every caller: SQLite allows one writer at a time
//! anyway, and holding the mutex across "read the current item, check the condition, write"
//! is what makes conditional writes atomic between the tasks of one process. Each write also
//! runs in a `BEGIN IMMEDIATE` transaction so that a second process on the same file cannot
//! slip in between the read and the write.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

mod exclusion;

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};
use serde_json::{Map, Value};
use shared::clock::Clock;
use shared::store::capacity::{self, Capacity, Consistency, WriteCost, read_units};
use shared::store::record::{Record, RecordPage};
use shared::store::{
    Condition, Index, IndexKey, Item, Key, Page, Query, ResumeKey, SetExclusion, SortKeyRange, Store, StoreError,
    TxAction, Update, validate_attributes, validate_batch_get, validate_transaction, validate_update_attributes,
};

/// How long a write waits for another process's lock on the file before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Most items one query may examine (the port's documented bound).
const MAX_QUERY_LIMIT: u32 = 1000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    type TEXT NOT NULL,
    gsi1pk TEXT,
    gsi1sk TEXT,
    gsi2pk TEXT,
    gsi2sk TEXT,
    ttl INTEGER,
    version INTEGER NOT NULL,
    attrs TEXT NOT NULL,
    sets TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
-- pk and sk close each index so that a GSI query can walk ties in (pk, sk) order and
-- resume after a tie without sorting.
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk);
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk);
";

/// Every column of `items`, in the order [`read_row`] expects.
const COLUMNS: &str = "pk, sk, type, gsi1pk, gsi1sk, gsi2pk, gsi2sk, ttl, version, attrs, sets";

/// The store port on a SQLite database: a file for the local API, memory for tests.
///
/// Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// Extra connections for reads, on a database file (WAL lets them read while another
    /// connection writes); none for an in-memory database, which one connection owns.
    readers: Arc<Vec<Mutex<Connection>>>,
    clock: Arc<dyn Clock>,
}

/// Read connections beside the writing one: the local API serves requests on two threads.
const READERS: usize = 2;

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates, with its parent directories and schema) the database at `path`.
    /// Items expire by `clock`.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|err| StoreError::Unavailable(format!("creating {}: {err}", parent.display())))?;
        }
        let conn = Connection::open(path).map_err(unavailable)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;
        // WAL lets readers in other processes (a second local API, the sqlite3 shell) run
        // while a write is in progress.
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(unavailable)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!(
                "{} refused WAL mode (journal mode is {mode})",
                path.display()
            )));
        }
        // NORMAL is durable across application crashes in WAL mode; only a power cut can
        // lose the last commits, which is fine for a local stand-in.
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(unavailable)?;
        // Reads come from memory rather than a pread per page: a 64 MiB page cache and the
        // file mapped (SQLite's defaults are 2 MiB and no mapping).
        conn.pragma_update(None, "cache_size", -65_536).map_err(unavailable)?;
        conn.pragma_update(None, "mmap_size", 268_435_456)
            .map_err(unavailable)?;
        let mut store = Self::with_connection(conn, clock)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open(path).map_err(unavailable)?;
            stable_plans(&reader)?;
            reader.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;
            reader.pragma_update(None, "cache_size", -16_384).map_err(unavailable)?;
            reader
                .pragma_update(None, "mmap_size", 268_435_456)
                .map_err(unavailable)?;
            readers.push(Mutex::new(reader));
        }
        store.readers = Arc::new(readers);
        Ok(store)
    }

    /// A fresh, empty in-memory database, gone when the store is dropped: for tests.
    pub fn open_temporary(clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(unavailable)?;
        Self::with_connection(conn, clock)
    }

    fn with_connection(mut conn: Connection, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        stable_plans(&conn)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        add_sets_column(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Vec::new()),
            clock,
        })
    }

    /// Runs `op` on the connection off the async runtime, with the clock's now in epoch
    /// seconds read once the connection is ours (so a long wait for the lock cannot make
    /// an item look live after it expired).
    async fn run<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, i64) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let clock = Arc::clone(&self.clock);
        tokio::task::spawn_blocking(move || {
            // A panic while the lock was held unwound through rusqlite's transaction guard,
            // which rolled back, so the connection is still consistent.
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            let now = clock.now().timestamp();
            op(&mut conn, now)
        })
        .await
        .map_err(|err| StoreError::Unavailable(format!("store task failed: {err}")))?
    }

    /// Runs the read `op` right here when the connection is free, else like [`Self::run`].
    /// In WAL mode a read never waits for another process's lock, and one takes microseconds,
    /// so a hop to the blocking pool (two thread switches, and every row allocated on one
    /// thread and freed on another) would cost more than the read itself.
    async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, i64) -> Result<T, StoreError> + Send + 'static,
    {
        // The guard never lives across an await: when every connection is busy, `op` goes
        // on to wait for the writing one.
        let op = {
            let free = self
                .readers
                .iter()
                .chain(std::iter::once(self.conn.as_ref()))
                .find_map(|conn| match conn.try_lock() {
                    Ok(conn) => Some(conn),
                    Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                    Err(std::sync::TryLockError::WouldBlock) => None,
                });
            match free {
                Some(mut conn) => {
                    let now = self.clock.now().timestamp();
                    return op(&mut conn, now);
                }
                None => op,
            }
        };
        self.run(op).await
    }
}

/// Turns on SQLite's query planner stability guarantee. Without it a statement whose `LIMIT`
/// is a bound parameter is planned for that value, so every query (which binds its own limit)
/// re-parsed and re-planned its cached statement: about 15 µs a query. No table here has
/// planner statistics, so the plans are the same either way.
fn stable_plans(conn: &Connection) -> Result<(), StoreError> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(unavailable)?;
    Ok(())
}

/// Adds the `sets` column to a database file made before string sets existed (its items have
/// none). Under a write lock, so that two processes opening one old file cannot both add it.
fn add_sets_column(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    let present: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('items') WHERE name = 'sets')",
            [],
            |row| row.get(0),
        )
        .map_err(unavailable)?;
    if !present {
        tx.execute_batch("ALTER TABLE items ADD COLUMN sets TEXT NOT NULL DEFAULT '[]'")
            .map_err(unavailable)?;
    }
    tx.commit().map_err(unavailable)
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.get_item(key, Consistency::Strong).await
    }

    async fn get_eventual(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.get_item(key, Consistency::Eventual).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        validate_batch_get(keys)?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = keys.to_vec();
        let measure = capacity::measuring();
        let (items, spent) = self.read(move |conn, now| load_many(conn, &keys, now, measure)).await?;
        capacity::record(spent);
        Ok(items)
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        validate_item(&item)?;
        validate_condition(&condition)?;
        self.measured_write(move |tx, now, measure| {
            let current = load(tx, &item.key)?;
            // A put never makes sets (see the port's rules): its arrays are lists.
            let new = Stored::without_sets(item);
            let cost = write_cost(measure, current.as_ref(), Some(&new));
            if !holds(&condition, current.as_ref(), now) {
                return Ok((Err(StoreError::ConditionFailed), cost.refused()));
            }
            write(tx, &new)?;
            Ok((Ok(()), cost.applied()))
        })
        .await
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        validate_key(key)?;
        validate_update(&update)?;
        validate_condition(&condition)?;
        let key = key.clone();
        self.measured_write(move |tx, now, measure| {
            let current = load(tx, &key)?;
            // Kept before the condition takes it, so a failed update is billed as the item it
            // found.
            let before = measure.then(|| current.clone()).flatten();
            let Some(current) =
                current.filter(|stored| stored.item.is_live(now) && holds(&condition, Some(stored), now))
            else {
                let cost = write_cost(measure, before.as_ref(), None);
                return Ok((Err(StoreError::ConditionFailed), cost.refused()));
            };
            let updated = apply_update(current, &update)?;
            let cost = write_cost(measure, before.as_ref(), Some(&updated));
            write(tx, &updated)?;
            Ok((Ok(updated.item), cost.applied()))
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        validate_key(key)?;
        validate_condition(&condition)?;
        let key = key.clone();
        self.measured_write(move |tx, now, measure| {
            let current = load(tx, &key)?;
            let cost = write_cost(measure, current.as_ref(), None);
            if !holds(&condition, current.as_ref(), now) {
                return Ok((Err(StoreError::ConditionFailed), cost.refused()));
            }
            remove(tx, &key)?;
            Ok((Ok(()), cost.applied()))
        })
        .await
    }

    async fn transact(&self, actions: Vec<TxAction>) -> Result<(), StoreError> {
        // Refuse malformed requests before touching storage, as DynamoDB does.
        validate_transaction(&actions)?;
        for action in &actions {
            validate_key(action.key())?;
            match action {
                TxAction::Put { item, condition } => {
                    validate_item(item)?;
                    validate_condition(condition)?;
                }
                TxAction::Update { update, condition, .. } => {
                    validate_update(update)?;
                    validate_condition(condition)?;
                }
                TxAction::Delete { condition, .. } | TxAction::Check { condition, .. } => {
                    validate_condition(condition)?;
                }
            }
        }
        self.measured_write(move |tx, now, measure| {
            // Every action has its own key, so no action can change what another one's
            // condition sees: checking them all against the state before the transaction,
            // in order, finds the same first failure DynamoDB reports.
            let mut writes = Vec::with_capacity(actions.len());
            // A cancelled transaction is billed for the actions prepared up to the failing
            // one (DynamoDB's docs give no finer breakdown).
            let mut spent = Capacity::default();
            for (index, action) in actions.into_iter().enumerate() {
                let failed = StoreError::TransactionConditionFailed { index };
                let current = load(tx, action.key())?;
                match action {
                    TxAction::Put { item, condition } => {
                        let new = Stored::without_sets(item);
                        let cost = write_cost(measure, current.as_ref(), Some(&new));
                        if !holds(&condition, current.as_ref(), now) {
                            return Ok((Err(failed), spent + cost.refused().transactional()));
                        }
                        spent += cost.applied_in_transaction();
                        writes.push(Write::Put(new));
                    }
                    TxAction::Update { update, condition, .. } => {
                        let before = measure.then(|| current.clone()).flatten();
                        let Some(current) =
                            current.filter(|stored| stored.item.is_live(now) && holds(&condition, Some(stored), now))
                        else {
                            let cost = write_cost(measure, before.as_ref(), None);
                            return Ok((Err(failed), spent + cost.refused().transactional()));
                        };
                        let updated = apply_update(current, &update)?;
                        spent += write_cost(measure, before.as_ref(), Some(&updated)).applied_in_transaction();
                        writes.push(Write::Put(updated));
                    }
                    TxAction::Delete { key, condition } => {
                        let cost = write_cost(measure, current.as_ref(), None);
                        if !holds(&condition, current.as_ref(), now) {
                            return Ok((Err(failed), spent + cost.refused().transactional()));
                        }
                        spent += cost.applied_in_transaction();
                        writes.push(Write::Delete(key));
                    }
                    TxAction::Check { condition, .. } => {
                        if measure {
                            let size = current.as_ref().map(billed_size).unwrap_or_default();
                            spent += Capacity::read(read_units(size, Consistency::Strong)).transactional();
                        }
                        if !holds(&condition, current.as_ref(), now) {
                            return Ok((Err(failed), spent));
                        }
                    }
                }
            }
            for pending in &writes {
                match pending {
                    Write::Put(item) => write(tx, item)?,
                    Write::Delete(key) => remove(tx, key)?,
                }
            }
            Ok((Ok(()), spent))
        })
        .await
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        let consistency = query.read_consistency();
        let measure = capacity::measuring();
        let (page, examined) = self
            .read(move |conn, now| run_query(conn, &query, now, measure))
            .await?;
        if measure {
            capacity::record(Capacity::read(read_units(examined, consistency)));
        }
        Ok(page)
    }

    async fn query_records(&self, query: Query) -> Result<RecordPage, StoreError> {
        if capacity::measuring() {
            return Ok(self.query(query).await?.into());
        }
        self.read(move |conn, now| run_query_records(conn, &query, now)).await
    }

    async fn scan(&self, kind: &str, start: Option<ResumeKey>, limit: u32) -> Result<Page, StoreError> {
        if !(1..=MAX_QUERY_LIMIT).contains(&limit) {
            return Err(StoreError::InvalidRequest(format!(
                "a scan examines 1..={MAX_QUERY_LIMIT} items, not {limit}"
            )));
        }
        let kind = kind.to_owned();
        let measure = capacity::measuring();
        let (page, examined) = self
            .read(move |conn, now| run_scan(conn, &kind, start.as_ref(), limit, now, measure))
            .await?;
        if measure {
            capacity::record(Capacity::read(read_units(examined, Consistency::Strong)));
        }
        Ok(page)
    }
}

impl SqliteStore {
    /// Runs `work` in an immediate transaction, committed only when its outcome is `Ok` (an
    /// error or a failed condition rolls back), then adds the units it reckoned to the
    /// request's tally. `work` is told whether a tally is open (sizing items costs time).
    async fn measured_write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>, i64, bool) -> Result<(Result<T, StoreError>, Capacity), StoreError>
            + Send
            + 'static,
    {
        let measure = capacity::measuring();
        let (result, spent) = self
            .run(move |conn, now| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(unavailable)?;
                let (result, spent) = work(&tx, now, measure)?;
                if result.is_ok() {
                    tx.commit().map_err(unavailable)?;
                }
                Ok((result, spent))
            })
            .await?;
        capacity::record(spent);
        result
    }

    /// The live item at `key`, and the read units of reading it with `consistency`.
    async fn get_item(&self, key: &Key, consistency: Consistency) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        let key = key.clone();
        let measure = capacity::measuring();
        let (item, size) = self
            .read(move |conn, now| {
                let stored = load(conn, &key)?;
                // An expired item DynamoDB has not deleted yet is still read (and billed).
                let size = measure.then(|| stored.as_ref().map(billed_size)).flatten();
                Ok((stored.map(|stored| stored.item).filter(|item| item.is_live(now)), size))
            })
            .await?;
        if measure {
            capacity::record(Capacity::read(read_units(size.unwrap_or_default(), consistency)));
        }
        Ok(item)
    }
}

/// The bytes DynamoDB would bill for `stored` (its sets as sets).
fn billed_size(stored: &Stored) -> usize {
    capacity::item_size(&stored.item, |name| stored.sets.contains(name))
}

/// What replacing `before` with `after` (either may be absent) costs, as DynamoDB bills it;
/// nothing when no tally is open.
fn write_cost(measure: bool, before: Option<&Stored>, after: Option<&Stored>) -> WriteCost {
    if !measure {
        return WriteCost::default();
    }
    fn sized(stored: &Stored) -> (&Item, usize) {
        (&stored.item, billed_size(stored))
    }
    WriteCost::of(before.map(sized), after.map(sized))
}

/// One page of a scan for `kind`, in primary-key order, resuming after `start`.
fn run_scan(
    conn: &Connection,
    kind: &str,
    start: Option<&ResumeKey>,
    limit: u32,
    now: i64,
    measure: bool,
) -> Result<(Page, usize), StoreError> {
    let (pk, sk) = match start {
        Some(start) => match (start.0.get("pk"), start.0.get("sk")) {
            (Some(pk), Some(sk)) => (pk.clone(), sk.clone()),
            _ => return Err(StoreError::InvalidRequest("resume key lacks `pk` or `sk`".into())),
        },
        // Below every non-empty key.
        None => (String::new(), String::new()),
    };
    let sql = format!("SELECT {COLUMNS} FROM items WHERE type = ?1 AND (pk, sk) > (?2, ?3) ORDER BY pk, sk LIMIT ?4");
    let mut statement = conn.prepare_cached(&sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params![kind, pk, sk, i64::from(limit) + 1], read_row)
        .map_err(unavailable)?
        .collect::<Result<Vec<Row>, _>>()
        .map_err(unavailable)?;
    let more = rows.len() > limit as usize;
    let mut bytes = 0;
    let examined = rows
        .into_iter()
        .take(limit as usize)
        .map(|row| {
            into_stored(row).map(|stored| {
                if measure {
                    bytes += billed_size(&stored);
                }
                stored.item
            })
        })
        .collect::<Result<Vec<Item>, _>>()?;
    let next = if more {
        examined
            .last()
            .map(|item| resume_key(Index::Table, &item.key, None, None))
    } else {
        None
    };
    let items = examined.into_iter().filter(|item| item.is_live(now)).collect();
    Ok((Page { items, next }, bytes))
}

/// A write of a transaction, held back until every condition has been checked.
enum Write {
    Put(Stored),
    Delete(Key),
}

/// An item as this adapter stores it: the item, and which of its attributes are string sets.
#[derive(Debug, Clone, PartialEq)]
struct Stored {
    item: Item,
    sets: BTreeSet<String>,
}

impl Stored {
    /// An item written whole, whose arrays are all lists.
    fn without_sets(item: Item) -> Self {
        Self {
            item,
            sets: BTreeSet::new(),
        }
    }
}

fn unavailable(err: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {err}"))
}

/// The stored item at `key`, live or not.
fn load(conn: &Connection, key: &Key) -> Result<Option<Stored>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2"))
        .map_err(unavailable)?
        .query_row(params![key.pk, key.sk], read_row)
        .optional()
        .map_err(unavailable)?
        .map(into_stored)
        .transpose()
}

/// The live items at `keys` (distinct, at least one), in the order of `keys`, in one statement
/// that looks each key up on the primary key; and, when `measure`, the read units of reading
/// each key as its own strongly consistent get (what BatchGetItem bills).
fn load_many(conn: &Connection, keys: &[Key], now: i64, measure: bool) -> Result<(Vec<Item>, Capacity), StoreError> {
    // Not cached: the text differs with each number of keys, up to a hundred of them.
    let mut statement = conn.prepare(&load_many_sql(keys.len())).map_err(unavailable)?;
    let values = keys.iter().flat_map(|key| [&key.pk, &key.sk]);
    let mut found = statement
        .query_map(params_from_iter(values), read_row)
        .map_err(unavailable)?
        .map(|row| {
            let stored = into_stored(row.map_err(unavailable)?)?;
            let size = if measure { billed_size(&stored) } else { 0 };
            Ok((stored.item.key.clone(), (stored.item, size)))
        })
        .collect::<Result<HashMap<Key, (Item, usize)>, StoreError>>()?;
    let mut spent = Capacity::default();
    let mut items = Vec::with_capacity(found.len());
    for key in keys {
        let found = found.remove(key);
        if measure {
            let size = found.as_ref().map_or(0, |(_, size)| *size);
            spent += Capacity::read(read_units(size, Consistency::Strong));
        }
        if let Some((item, _)) = found.filter(|(item, _)| item.is_live(now)) {
            items.push(item);
        }
    }
    Ok((items, spent))
}

/// The statement of [`load_many`] for `count` keys, bound as `pk, sk` pairs.
fn load_many_sql(count: usize) -> String {
    let rows = vec!["(?, ?)"; count].join(", ");
    format!("SELECT {COLUMNS} FROM items WHERE (pk, sk) IN (VALUES {rows})")
}

/// The columns of one row, before the checks [`into_stored`] makes. The JSON columns are
/// decoded straight from SQLite's buffer (no copy of their text); a column that is not valid
/// JSON is kept as its error, which `into_stored` reports with the item's key. A query's rows
/// may keep their attributes as text instead (`A`, see [`run_query_records`]).
struct Row<A = ParsedAttrs> {
    pk: String,
    sk: String,
    kind: String,
    gsi1: (Option<String>, Option<String>),
    gsi2: (Option<String>, Option<String>),
    ttl: Option<i64>,
    version: i64,
    /// `None` for a row a query's exclusion left out: never decoded.
    attrs: Option<A>,
    sets: Result<BTreeSet<String>, serde_json::Error>,
}

/// Attributes decoded into the port's map.
type ParsedAttrs = Result<Map<String, Value>, serde_json::Error>;

/// Attributes kept as their JSON text (SQLite text is UTF-8, which this checks once more).
type TextAttrs = Result<String, std::str::Utf8Error>;

fn parsed_attrs(text: &[u8]) -> ParsedAttrs {
    serde_json::from_slice(text)
}

fn text_attrs(text: &[u8]) -> TextAttrs {
    std::str::from_utf8(text).map(str::to_owned)
}

/// Reads a row selected with [`COLUMNS`].
fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    read_row_with(row, parsed_attrs)
}

/// Reads a row selected with [`COLUMNS`], its attributes through `attrs`.
fn read_row_with<A>(row: &rusqlite::Row<'_>, attrs: fn(&[u8]) -> A) -> rusqlite::Result<Row<A>> {
    let sets = text(row, 10)?;
    Ok(Row {
        attrs: Some(attrs(text(row, 9)?)),
        // Most items have no sets.
        sets: if sets == b"[]" {
            Ok(BTreeSet::new())
        } else {
            serde_json::from_slice(sets)
        },
        ..read_keys(row)?
    })
}

/// Reads the keys and bookkeeping of a row selected with [`COLUMNS`], not its attributes.
fn read_keys<A>(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row<A>> {
    Ok(Row {
        pk: row.get(0)?,
        sk: row.get(1)?,
        kind: row.get(2)?,
        gsi1: (row.get(3)?, row.get(4)?),
        gsi2: (row.get(5)?, row.get(6)?),
        ttl: row.get(7)?,
        version: row.get(8)?,
        attrs: None,
        sets: Ok(BTreeSet::new()),
    })
}

/// The bytes of text column `index`, borrowed from the row (the JSON decoder checks their
/// UTF-8 as it reads the strings in them).
fn text<'a>(row: &'a rusqlite::Row<'_>, index: usize) -> rusqlite::Result<&'a [u8]> {
    match row.get_ref(index)? {
        rusqlite::types::ValueRef::Text(text) => Ok(text),
        _ => Err(rusqlite::types::FromSqlError::InvalidType.into()),
    }
}

fn into_stored(row: Row) -> Result<Stored, StoreError> {
    let invalid = |what: String| StoreError::InvalidItem(format!("{} {}: {what}", row.pk, row.sk));
    let version = u64::try_from(row.version).map_err(|_| invalid(format!("negative version {}", row.version)))?;
    let attrs = row
        .attrs
        .unwrap_or_else(|| Ok(Map::new()))
        .map_err(|err| invalid(format!("attributes are not a JSON object: {err}")))?;
    let sets = row
        .sets
        .map_err(|err| invalid(format!("`sets` is not a JSON array of names: {err}")))?;
    let item = Item {
        key: Key { pk: row.pk, sk: row.sk },
        kind: row.kind,
        gsi1: index_key(row.gsi1),
        gsi2: index_key(row.gsi2),
        ttl: row.ttl,
        version,
        attrs,
    };
    Ok(Stored { item, sets })
}

/// The index key of a row's two index columns, when it has both.
fn index_key((pk, sk): (Option<String>, Option<String>)) -> Option<IndexKey> {
    match (pk, sk) {
        (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
        _ => None,
    }
}

/// Stores `stored` whole, replacing whatever was at its key.
fn write(conn: &Connection, stored: &Stored) -> Result<(), StoreError> {
    let item = &stored.item;
    let version = i64::try_from(item.version)
        .map_err(|_| StoreError::InvalidRequest(format!("version {} is too large to store", item.version)))?;
    let attrs = serde_json::to_string(&item.attrs).map_err(|err| StoreError::InvalidItem(err.to_string()))?;
    let sets = serde_json::to_string(&stored.sets).map_err(|err| StoreError::InvalidItem(err.to_string()))?;
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO items ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))
    .map_err(unavailable)?
    .execute(params![
        item.key.pk,
        item.key.sk,
        item.kind,
        item.gsi1.as_ref().map(|k| &k.pk),
        item.gsi1.as_ref().map(|k| &k.sk),
        item.gsi2.as_ref().map(|k| &k.pk),
        item.gsi2.as_ref().map(|k| &k.sk),
        item.ttl,
        version,
        attrs,
        sets,
    ])
    .map_err(unavailable)?;
    Ok(())
}

fn remove(conn: &Connection, key: &Key) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
        .map_err(unavailable)?
        .execute(params![key.pk, key.sk])
        .map_err(unavailable)?;
    Ok(())
}

/// Whether `condition` holds for `current` (the stored item, live or not) at `now`.
fn holds(condition: &Condition, current: Option<&Stored>, now: i64) -> bool {
    let live = current.filter(|stored| stored.item.is_live(now));
    match condition {
        Condition::Always => true,
        Condition::Absent => live.is_none(),
        Condition::Exists => live.is_some(),
        Condition::VersionEquals(version) => live.is_some_and(|stored| stored.item.version == *version),
        // A condition's value is never a set (JSON has none), and DynamoDB never finds a set
        // equal to a list.
        Condition::AttributeEquals { name, value } => live
            .filter(|stored| !stored.sets.contains(name))
            .and_then(|stored| stored.item.attrs.get(name))
            .is_some_and(|stored| json_equal(stored, value)),
        Condition::AttributeAbsent(name) => live.is_some_and(|stored| !stored.item.attrs.contains_key(name)),
        Condition::Below { name, limit } => live.is_some_and(|stored| match stored.item.attrs.get(name) {
            None => 0 < *limit,
            Some(Value::Number(n)) => {
                n.as_i64().is_some_and(|n| n < *limit) || n.as_f64().is_some_and(|n| n < *limit as f64)
            }
            // DynamoDB's `<` between a non-number and a number is false.
            Some(_) => false,
        }),
        Condition::All(all) => all.iter().all(|condition| holds(condition, current, now)),
    }
}

/// Equality as DynamoDB sees it: numbers by value (`5` equals `5.0`), lists and maps
/// element by element.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => {
            if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
                a == b
            } else if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
                a == b
            } else {
                matches!((a.as_f64(), b.as_f64()), (Some(a), Some(b)) if a == b)
            }
        }
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| json_equal(a, b)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(name, a)| b.get(name).is_some_and(|b| json_equal(a, b)))
        }
        _ => a == b,
    }
}

/// Refuses empty key strings, which DynamoDB refuses in key attributes: accepting them here
/// would let the local API store what production cannot.
fn validate_key(key: &Key) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::InvalidRequest("key attributes may not be empty".into()));
    }
    Ok(())
}

/// Like [`validate_key`], for the key of an item in a GSI.
fn validate_index_key(key: &IndexKey) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::InvalidRequest(
            "index key attributes may not be empty".into(),
        ));
    }
    Ok(())
}

/// Refuses an item with an empty key or a reserved attribute name.
fn validate_item(item: &Item) -> Result<(), StoreError> {
    validate_key(&item.key)?;
    for index_key in [&item.gsi1, &item.gsi2].into_iter().flatten() {
        validate_index_key(index_key)?;
    }
    validate_attributes(item.attrs.keys())
}

/// Refuses a condition on a reserved attribute: records never hold one, so it could only
/// ever fail here while DynamoDB would compare the bookkeeping attribute of that name.
fn validate_condition(condition: &Condition) -> Result<(), StoreError> {
    if let Condition::All(all) = condition
        && all.iter().any(|c| matches!(c, Condition::All(_)))
    {
        return Err(StoreError::InvalidRequest("conditions of an All are not All".into()));
    }
    validate_attributes(condition.attributes())
}

/// Refuses what DynamoDB refuses in an update before it looks at the item: reserved names, one
/// attribute named twice (DynamoDB: "two document paths overlap"), empty index keys.
fn validate_update(update: &Update) -> Result<(), StoreError> {
    validate_update_attributes(update)?;
    for index_key in [&update.gsi1, &update.gsi2].into_iter().flatten().flatten() {
        validate_index_key(index_key)?;
    }
    Ok(())
}

/// `stored` with `update` applied and its version bumped. Every attribute is named once (see
/// [`validate_update`]), so the order the operations apply in does not matter.
fn apply_update(stored: Stored, update: &Update) -> Result<Stored, StoreError> {
    let Stored { mut item, mut sets } = stored;
    // Whatever `set` writes is a list or a scalar, never a set.
    for (name, value) in &update.set {
        item.attrs.insert(name.clone(), value.clone());
        sets.remove(name);
    }
    for name in &update.remove {
        item.attrs.remove(name);
        sets.remove(name);
    }
    for (name, by) in &update.add {
        let current = match item.attrs.get(name) {
            None => 0,
            Some(value) => value.as_i64().ok_or_else(|| {
                StoreError::InvalidRequest(format!("cannot add to `{name}`: {value} is not an integer"))
            })?,
        };
        let sum = current
            .checked_add(*by)
            .ok_or_else(|| StoreError::InvalidRequest(format!("adding {by} to `{name}` overflows")))?;
        item.attrs.insert(name.clone(), Value::from(sum));
    }
    // An operation without members changes nothing, as the DynamoDB adapter leaves it out.
    for (name, members) in update.add_to_set.iter().filter(|(_, members)| !members.is_empty()) {
        let mut set = current_set(&item, &sets, name)?.unwrap_or_default();
        set.extend(members.iter().cloned());
        item.attrs.insert(name.clone(), set_value(set));
        sets.insert(name.clone());
    }
    for (name, members) in update.delete_from_set.iter().filter(|(_, members)| !members.is_empty()) {
        // Deleting from a missing attribute is no error in DynamoDB.
        let Some(mut set) = current_set(&item, &sets, name)? else {
            continue;
        };
        for member in members {
            set.remove(member);
        }
        // DynamoDB has no empty sets: the last member out takes the attribute with it.
        if set.is_empty() {
            item.attrs.remove(name);
            sets.remove(name);
        } else {
            item.attrs.insert(name.clone(), set_value(set));
        }
    }
    if let Some(gsi1) = &update.gsi1 {
        item.gsi1 = gsi1.clone();
    }
    if let Some(gsi2) = &update.gsi2 {
        item.gsi2 = gsi2.clone();
    }
    if let Some(ttl) = update.ttl {
        item.ttl = ttl;
    }
    item.version = item
        .version
        .checked_add(1)
        .ok_or_else(|| StoreError::InvalidRequest("version overflows".into()))?;
    Ok(Stored { item, sets })
}

/// The members of string set `name` of `item`, `None` when it has no such attribute. An
/// attribute that is not a set is refused, as DynamoDB refuses a set operation on it.
fn current_set(item: &Item, sets: &BTreeSet<String>, name: &str) -> Result<Option<BTreeSet<String>>, StoreError> {
    let Some(value) = item.attrs.get(name) else {
        return Ok(None);
    };
    let not_a_set = || StoreError::InvalidRequest(format!("attribute `{name}` is not a string set"));
    if !sets.contains(name) {
        return Err(not_a_set());
    }
    let Value::Array(members) = value else {
        return Err(not_a_set());
    };
    members
        .iter()
        .map(|member| member.as_str().map(str::to_owned).ok_or_else(not_a_set))
        .collect::<Result<BTreeSet<String>, _>>()
        .map(Some)
}

/// A set as it reads back: its members in ascending order (a `BTreeSet` iterates so).
fn set_value(set: BTreeSet<String>) -> Value {
    Value::Array(set.into_iter().map(Value::String).collect())
}

/// The key and sort columns of an index.
fn index_columns(index: Index) -> (&'static str, &'static str) {
    match index {
        Index::Table => ("pk", "sk"),
        Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        Index::Gsi2 => ("gsi2pk", "gsi2sk"),
    }
}

/// One page of `query`, and (when `measure`) the bytes of the items it examined, which its
/// read units are reckoned from.
fn run_query(conn: &Connection, query: &Query, now: i64, measure: bool) -> Result<(Page, usize), StoreError> {
    let (rows, more) = select_rows(conn, query, parsed_attrs)?;
    let mut bytes = 0;
    let examined = rows
        .into_iter()
        .map(|(row, left_out_bytes)| {
            let kept = row.attrs.is_some();
            into_stored(row).map(|stored| {
                if measure {
                    bytes += billed_size(&stored) + left_out_bytes;
                }
                (stored.item, kept)
            })
        })
        .collect::<Result<Vec<(Item, bool)>, _>>()?;
    // The resume key is the last item examined even when it has expired or was left out, so
    // that the next page starts after it (DynamoDB's LastEvaluatedKey does the same).
    let next = if more {
        examined
            .last()
            .map(|(item, _)| resume_key(query.index, &item.key, item.gsi1.as_ref(), item.gsi2.as_ref()))
    } else {
        None
    };
    let items = examined
        .into_iter()
        .filter(|(item, kept)| *kept && item.is_live(now))
        .map(|(item, _)| item)
        .collect();
    Ok((Page { items, next }, bytes))
}

/// [`run_query`] handing each item's attributes over as their JSON text, undecoded (no
/// units reckoned: a tally needs the decoded items' sizes, so [`SqliteStore::query_records`]
/// runs `run_query` then).
fn run_query_records(conn: &Connection, query: &Query, now: i64) -> Result<RecordPage, StoreError> {
    let (rows, more) = select_rows(conn, query, text_attrs)?;
    let mut next = None;
    let mut items = Vec::with_capacity(rows.len());
    let last = rows.len().saturating_sub(1);
    for (position, (row, _)) in rows.into_iter().enumerate() {
        let key = Key { pk: row.pk, sk: row.sk };
        let (gsi1, gsi2) = (index_key(row.gsi1), index_key(row.gsi2));
        // As in `run_query`: the last row examined, whatever it holds.
        if more && position == last {
            next = Some(resume_key(query.index, &key, gsi1.as_ref(), gsi2.as_ref()));
        }
        let Some(attrs) = row.attrs else { continue };
        if row.ttl.is_some_and(|ttl| ttl <= now) {
            continue;
        }
        let attrs = attrs.map_err(|err| {
            StoreError::InvalidItem(format!("{} {}: attributes are not UTF-8: {err}", key.pk, key.sk))
        })?;
        items.push(Record::from_json(key, gsi1, gsi2, attrs));
    }
    Ok(RecordPage { items, next })
}

/// The rows a query examined, each with the bytes of attributes it left out, and whether
/// more rows follow.
type Examined<A> = (Vec<(Row<A>, usize)>, bool);

/// The rows a query examines (at most its limit), each with its attributes read through
/// `attrs` unless the query's exclusion left it out (then with the length of its attributes'
/// text, which DynamoDB bills as read), and whether more rows follow.
fn select_rows<A>(conn: &Connection, query: &Query, attrs: fn(&[u8]) -> A) -> Result<Examined<A>, StoreError> {
    if !(1..=MAX_QUERY_LIMIT).contains(&query.limit) {
        return Err(StoreError::InvalidRequest(format!(
            "a query examines 1..={MAX_QUERY_LIMIT} items, not {}",
            query.limit
        )));
    }
    let (pk_col, sk_col) = index_columns(query.index);
    let mut conditions = vec![format!("{pk_col} = ?")];
    let mut values: Vec<SqlValue> = vec![query.pk.clone().into()];
    let (mut lower, mut upper) = match &query.range {
        SortKeyRange::All => (None, None),
        // A range rather than LIKE/substr so that the walk stays on the index.
        SortKeyRange::Prefix(prefix) => (
            Some(Bound::inclusive(prefix)),
            prefix_end(prefix).map(|end| Bound::exclusive(&end)),
        ),
        // An inverted range matches nothing, as with the DynamoDB adapter (which never
        // sends DynamoDB the BETWEEN it would refuse).
        SortKeyRange::Between(low, high) => (Some(Bound::inclusive(low)), Some(Bound::inclusive(high))),
        SortKeyRange::From(low) => (Some(Bound::inclusive(low)), None),
        SortKeyRange::Until(high) => (None, Some(Bound::inclusive(high))),
    };
    let after = if query.descending { "<" } else { ">" };
    let direction = if query.descending { "DESC" } else { "ASC" };
    // On a GSI, ties of the index sort key are walked in (pk, sk) order, so the resume
    // condition compares all three.
    let mut resume = Vec::new();
    if let Some(start) = &query.start {
        let field = |name: &str| {
            start
                .0
                .get(name)
                .cloned()
                .ok_or_else(|| StoreError::InvalidRequest(format!("resume key lacks `{name}`")))
        };
        if field(pk_col)? != query.pk {
            return Err(StoreError::InvalidRequest(
                "resume key belongs to another partition".into(),
            ));
        }
        // The resume point also bounds the range, so that SQLite seeks to it: with the
        // range's bound alone it would walk (and look up in the table) every item of the
        // pages before.
        let from = field(sk_col)?;
        let from = if query.index == Index::Table {
            Bound::exclusive(&from)
        } else {
            resume = vec![field(sk_col)?, field("pk")?, field("sk")?];
            Bound::inclusive(&from)
        };
        if query.descending {
            upper = Some(Bound::tighter_upper(upper, from));
        } else {
            lower = Some(Bound::tighter_lower(lower, from));
        }
    }
    if let Some(lower) = lower {
        conditions.push(format!("{sk_col} {} ?", if lower.inclusive { ">=" } else { ">" }));
        values.push(lower.value.into());
    }
    if let Some(upper) = upper {
        conditions.push(format!("{sk_col} {} ?", if upper.inclusive { "<=" } else { "<" }));
        values.push(upper.value.into());
    }
    if !resume.is_empty() {
        conditions.push(format!("({sk_col}, pk, sk) {after} (?, ?, ?)"));
        values.extend(resume.into_iter().map(SqlValue::from));
    }
    let order = if query.index == Index::Table {
        format!("sk {direction}")
    } else {
        format!("{sk_col} {direction}, pk {direction}, sk {direction}")
    };
    // An exclusion is decided on each row's attribute text before it is decoded (see
    // [`exclusion`]), so a row it leaves out is never decoded; it still counts as examined,
    // as in DynamoDB.
    let exclusion = query.without.as_ref();
    if let Some(exclusion) = exclusion {
        exclusion.check()?;
    }
    // One row past the limit tells whether more may follow, so the last page carries no
    // resume key.
    values.push(SqlValue::Integer(i64::from(query.limit) + 1));
    let sql = format!(
        "SELECT {COLUMNS} FROM items WHERE {} ORDER BY {order} LIMIT ?",
        conditions.join(" AND ")
    );
    let mut statement = conn.prepare_cached(&sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params_from_iter(values), |row| read_query_row(row, exclusion, attrs))
        .map_err(unavailable)?
        .collect::<Result<Vec<(Row<A>, usize)>, _>>()
        .map_err(unavailable)?;
    let more = rows.len() > query.limit as usize;
    let mut rows = rows;
    rows.truncate(query.limit as usize);
    Ok((rows, more))
}

/// Reads a query row ([`COLUMNS`]), its attributes through `attrs` if the query's exclusion
/// keeps it. A row left out is read for its keys only, with the length of its attributes'
/// JSON text standing in for their size (DynamoDB bills filtered items as read).
fn read_query_row<A>(
    row: &rusqlite::Row<'_>,
    exclusion: Option<&SetExclusion>,
    attrs: fn(&[u8]) -> A,
) -> rusqlite::Result<(Row<A>, usize)> {
    let kept = exclusion.is_none_or(|exclusion| text(row, 9).is_ok_and(|attrs| exclusion::keeps(exclusion, attrs)));
    if kept {
        return Ok((read_row_with(row, attrs)?, 0));
    }
    Ok((read_keys(row)?, text(row, 9)?.len()))
}

/// One end of a sort-key range.
struct Bound {
    value: String,
    inclusive: bool,
}

impl Bound {
    fn inclusive(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            inclusive: true,
        }
    }

    fn exclusive(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            inclusive: false,
        }
    }

    /// The higher of two lower bounds (the exclusive one of two at one value). Rust and
    /// SQLite (BINARY collation) both compare text as UTF-8 bytes.
    fn tighter_lower(current: Option<Self>, other: Self) -> Self {
        match current {
            Some(current) if current.value > other.value || (current.value == other.value && !current.inclusive) => {
                current
            }
            _ => other,
        }
    }

    /// The lower of two upper bounds (the exclusive one of two at one value).
    fn tighter_upper(current: Option<Self>, other: Self) -> Self {
        match current {
            Some(current) if current.value < other.value || (current.value == other.value && !current.inclusive) => {
                current
            }
            _ => other,
        }
    }
}

/// The resume key after the item at `item_key` (in `gsi1` and `gsi2` at these keys) in
/// `index`: the attributes DynamoDB puts in LastEvaluatedKey.
fn resume_key(index: Index, item_key: &Key, gsi1: Option<&IndexKey>, gsi2: Option<&IndexKey>) -> ResumeKey {
    let mut key = std::collections::BTreeMap::new();
    key.insert("pk".to_owned(), item_key.pk.clone());
    key.insert("sk".to_owned(), item_key.sk.clone());
    let index_key = match index {
        Index::Table => None,
        Index::Gsi1 => gsi1,
        Index::Gsi2 => gsi2,
    };
    if let Some(index_key) = index_key {
        let (pk_col, sk_col) = index_columns(index);
        key.insert(pk_col.to_owned(), index_key.pk.clone());
        key.insert(sk_col.to_owned(), index_key.sk.clone());
    }
    ResumeKey(key)
}

/// The least string greater than every string starting with `prefix` (`None` when there is
/// none, or the prefix is empty): the prefix with its last character incremented, after
/// dropping trailing characters that cannot be. SQLite compares text as UTF-8 bytes, which
/// orders like code points, so this bound is exact.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            // Skip the surrogate gap, which `char` cannot hold.
            '\u{D7FF}' => Some('\u{E000}'),
            _ => char::from_u32(u32::from(last) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::clock::SystemClock;
    use shared::store::Store;

    fn clock() -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    fn item(pk: &str, sk: &str) -> Item {
        Item::new(Key::new(pk, sk), "thing", &serde_json::json!({ "n": 1 })).unwrap()
    }

    #[test]
    fn prefix_end_is_the_next_string() {
        assert_eq!(prefix_end("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_end("a#").as_deref(), Some("a$"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
    }

    /// What each call of `calls` on a fresh store costs, in capacity units.
    async fn spent<F, Fut>(store: &SqliteStore, call: F) -> Capacity
    where
        F: FnOnce(SqliteStore) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        capacity::measure(call(store.clone())).await.1
    }

    #[tokio::test]
    async fn calls_reckon_the_capacity_units_dynamodb_bills() {
        let store = SqliteStore::open_temporary(clock()).unwrap();
        let big = Item::new(
            Key::new("P", "big"),
            "thing",
            &serde_json::json!({ "text": "x".repeat(5000) }),
        )
        .unwrap();
        let write = |units| Capacity::write(units);
        let read = |units| Capacity::read(units);
        let put = |item: Item| move |s: SqliteStore| async move { s.put(item, Condition::Always).await.unwrap() };
        assert_eq!(spent(&store, put(item("P", "small"))).await, write(1.0));
        assert_eq!(spent(&store, put(big.clone())).await, write(5.0), "5,0xx bytes: 5 KB");
        let get = |sk: &'static str| {
            move |s: SqliteStore| async move { s.get(&Key::new("P", sk)).await.unwrap().map(drop).unwrap_or(()) }
        };
        assert_eq!(spent(&store, get("big")).await, read(2.0), "over 4 KB: 2 units");
        assert_eq!(spent(&store, get("none")).await, read(1.0), "a miss costs a unit");
        let eventual = spent(&store, |s| async move {
            s.get_eventual(&big.key).await.unwrap().map(drop).unwrap_or(())
        })
        .await;
        assert_eq!(eventual, read(1.0), "half of 2");
        // A query page rounds the sum of its items up once: 5,0xx + 2x bytes is 2 units.
        let query = spent(&store, |s| async move {
            s.query(Query::partition(Index::Table, "P")).await.unwrap();
        })
        .await;
        assert_eq!(query, read(2.0));
        let batch = spent(&store, |s| async move {
            s.batch_get(&[Key::new("P", "small"), Key::new("P", "big"), Key::new("P", "none")])
                .await
                .unwrap();
        })
        .await;
        assert_eq!(batch, read(1.0 + 2.0 + 1.0), "per key");
        // A failed condition still costs the write; an update costs the larger of before and after.
        let refused = spent(&store, |s| async move {
            let refused = s.put(item("P", "small"), Condition::Absent).await;
            assert_eq!(refused, Err(StoreError::ConditionFailed));
        })
        .await;
        assert_eq!(refused, write(1.0));
        let shrunk = spent(&store, |s| async move {
            s.update(&Key::new("P", "big"), Update::new().remove("text"), Condition::Always)
                .await
                .unwrap();
        })
        .await;
        assert_eq!(shrunk, write(5.0));
        // A transaction costs double: 2 per KB written, 2 per 4 KB checked.
        let transaction = spent(&store, |s| async move {
            s.transact(vec![
                TxAction::Put {
                    item: item("P", "new"),
                    condition: Condition::Absent,
                },
                TxAction::Delete {
                    key: Key::new("P", "big"),
                    condition: Condition::Exists,
                },
                TxAction::Check {
                    key: Key::new("P", "small"),
                    condition: Condition::Exists,
                },
            ])
            .await
            .unwrap();
        })
        .await;
        assert_eq!(transaction, Capacity { read: 2.0, write: 4.0 });
        // Outside a tally nothing is reckoned, and nothing fails.
        assert!(!capacity::measuring());
        store.get(&Key::new("P", "new")).await.unwrap();
    }

    #[tokio::test]
    async fn index_entries_are_billed_besides_the_table() {
        let store = SqliteStore::open_temporary(clock()).unwrap();
        let indexed = |gsi1: &str| item("P", "i").with_gsi1(IndexKey::new(gsi1, "1"));
        let first = indexed("A");
        let put = spent(
            &store,
            |s| async move { s.put(first, Condition::Absent).await.unwrap() },
        )
        .await;
        assert_eq!(put, Capacity::write(2.0), "the table and gsi1");
        let refused = indexed("A");
        let refused = spent(&store, |s| async move {
            assert_eq!(
                s.put(refused, Condition::Absent).await,
                Err(StoreError::ConditionFailed)
            );
        })
        .await;
        assert_eq!(refused, Capacity::write(1.0), "a refused write writes no index");
        let moved = spent(&store, |s| async move {
            s.update(
                &Key::new("P", "i"),
                Update::new().gsi1(Some(IndexKey::new("B", "1"))),
                Condition::Exists,
            )
            .await
            .unwrap();
        })
        .await;
        assert_eq!(moved, Capacity::write(3.0), "the old entry deleted, the new one put");
        let in_transaction = spent(&store, |s| async move {
            s.transact(vec![TxAction::Delete {
                key: Key::new("P", "i"),
                condition: Condition::Exists,
            }])
            .await
            .unwrap();
        })
        .await;
        assert_eq!(in_transaction, Capacity::write(3.0), "the table twice, the index once");
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_equal(&serde_json::json!(5), &serde_json::json!(5.0)));
        assert!(json_equal(
            &serde_json::json!({"a": [1, 2.0]}),
            &serde_json::json!({"a": [1.0, 2]})
        ));
        assert!(!json_equal(&serde_json::json!(5), &serde_json::json!("5")));
        assert!(!json_equal(&serde_json::json!(-1), &serde_json::json!(u64::MAX)));
    }

    /// Reads on the extra connections see every write the moment it returned, also while
    /// other writes and reads run on other threads.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_on_any_connection_see_each_committed_write() {
        let dir = std::env::temp_dir().join(format!("roost-sqlite-{}", ulid::Ulid::new()));
        let store = Arc::new(SqliteStore::open(&dir.join("store.db"), clock()).unwrap());
        assert_eq!(store.readers.len(), READERS);
        let writers = (0..4).map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 0..50 {
                    let key = Key::new(format!("p{w}"), format!("{n:03}"));
                    store.put(item(&key.pk, &key.sk), Condition::Absent).await.unwrap();
                    assert!(
                        store.get(&key).await.unwrap().is_some(),
                        "{key:?} written, then not found"
                    );
                    let page = store
                        .query(Query::partition(Index::Table, key.pk.clone()))
                        .await
                        .unwrap();
                    assert_eq!(page.items.len(), n + 1);
                }
            })
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.unwrap();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn data_survives_reopening() {
        let dir = std::env::temp_dir().join(format!("roost-sqlite-{}", ulid::Ulid::new()));
        let path = dir.join("nested").join("store.db");
        {
            let store = SqliteStore::open(&path, clock()).unwrap();
            store.put(item("p", "s"), Condition::Absent).await.unwrap();
        }
        let store = SqliteStore::open(&path, clock()).unwrap();
        let found = store.get(&Key::new("p", "s")).await.unwrap();
        assert_eq!(found, Some(item("p", "s")));
        let mode: String = store
            .conn
            .lock()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn update_refuses_one_attribute_twice() {
        let store = SqliteStore::open_temporary(clock()).unwrap();
        store.put(item("p", "s"), Condition::Always).await.unwrap();
        let update = Update::new().set("n", 2).add("n", 1);
        let err = store.update(&Key::new("p", "s"), update, Condition::Always).await;
        assert!(matches!(err, Err(StoreError::InvalidRequest(_))), "{err:?}");
    }

    #[tokio::test]
    async fn add_to_a_non_integer_is_invalid_and_writes_nothing() {
        let store = SqliteStore::open_temporary(clock()).unwrap();
        let mut thing = item("p", "s");
        thing.attrs.insert("name".into(), "x".into());
        store.put(thing.clone(), Condition::Always).await.unwrap();
        let err = store
            .update(&Key::new("p", "s"), Update::new().add("name", 1), Condition::Always)
            .await;
        assert!(matches!(err, Err(StoreError::InvalidRequest(_))), "{err:?}");
        assert_eq!(store.get(&Key::new("p", "s")).await.unwrap(), Some(thing));
    }

    #[test]
    fn batch_get_looks_keys_up_on_the_primary_key() {
        let store = SqliteStore::open_temporary(clock()).unwrap();
        let conn = store.conn.lock().unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", load_many_sql(3)))
            .unwrap()
            .query_map(params_from_iter(["a", "1", "a", "2", "b", "1"]), |row| {
                row.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("USING PRIMARY KEY (pk=? AND sk=?)")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|step| step.starts_with("SCAN items")), "{plan:?}");
    }

    #[tokio::test]
    async fn a_database_from_before_sets_gets_the_sets_column() {
        let dir = std::env::temp_dir().join(format!("roost-sqlite-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE items (pk TEXT NOT NULL, sk TEXT NOT NULL, type TEXT NOT NULL, gsi1pk TEXT,
                     gsi1sk TEXT, gsi2pk TEXT, gsi2sk TEXT, ttl INTEGER, version INTEGER NOT NULL,
                     attrs TEXT NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID;
                 INSERT INTO items VALUES ('p', 's', 'thing', NULL, NULL, NULL, NULL, NULL, 0, '{\"n\":1}');",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path, clock()).unwrap();
        let key = Key::new("p", "s");
        assert_eq!(store.get(&key).await.unwrap(), Some(item("p", "s")));
        let updated = store
            .update(&key, Update::new().add_to_set("tags", ["a"]), Condition::Always)
            .await
            .unwrap();
        assert_eq!(updated.attrs["tags"], serde_json::json!(["a"]));
        drop(store);
        // Opening again finds the column there and keeps the set.
        let store = SqliteStore::open(&path, clock()).unwrap();
        let updated = store
            .update(&key, Update::new().add_to_set("tags", ["b"]), Condition::Always)
            .await
            .unwrap();
        assert_eq!(updated.attrs["tags"], serde_json::json!(["a", "b"]));
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn query_limit_out_of_bounds_is_invalid() {
        let store = SqliteStore::open_temporary(clock()).unwrap();
        for limit in [0, MAX_QUERY_LIMIT + 1] {
            let err = store.query(Query::partition(Index::Table, "p").limit(limit)).await;
            assert!(matches!(err, Err(StoreError::InvalidRequest(_))), "{err:?}");
        }
    }
}
