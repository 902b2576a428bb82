//! The store port: one table with `pk`/`sk`, two overloaded GSIs and a `ttl`.
//!
//! Every adapter (DynamoDB in [`dynamo`], SQLite in the `embedded` crate) gives these
//! operations the same meaning, which `tests/tests/store_conformance.rs` checks:
//! - an item whose `ttl` (epoch seconds) is at or before the clock's now is *not live*: reads never
//!   return it and conditions treat it as absent (DynamoDB deletes such items lazily);
//! - `version` is owned by the adapter on update: every update adds one to it; a put writes
//!   the version the item carries;
//! - `update` needs a live item (it never creates one): without one it fails like a condition;
//! - a transaction is all or nothing; when a condition fails the error names the position of
//!   the first failing action; two actions on one key in one transaction are invalid;
//! - `batch_get` returns the live items at its keys in the order of the keys, leaving out absent
//!   and expired ones (so the result may be shorter than the keys); no keys costs no request;
//! - an update's string-set operations (`add_to_set`, `delete_from_set`) treat the attribute as
//!   a set of strings: adding creates it when missing, adding a member already there or
//!   deleting one that is not is a no-op, deleting the last member removes the attribute (a
//!   set is never empty, as in DynamoDB), and deleting from a missing attribute does nothing.
//!   A value listed twice in one operation counts once; an operation with no values does
//!   nothing (DynamoDB refuses empty sets), though the update still bumps the version. A set
//!   reads back as a JSON array of distinct strings in ascending order;
//! - only these updates make sets: a record written with `put` (or an update's `set`) holds
//!   JSON arrays as lists, never as sets, even when they came from reading a set. So an item
//!   read and put back loses its sets, and a set operation on a list, or on any attribute
//!   that is not a set, is `InvalidRequest`, as is a numeric `add` to a set. A set never
//!   equals anything in an `AttributeEquals` (there is no way to write a set value);
//! - requests both adapters refuse as `InvalidRequest`: empty key strings, a reserved name in
//!   a record or an `AttributeEquals`, one attribute named twice in an update (across `set`,
//!   `remove`, `add`, `add_to_set` and `delete_from_set`), a query `limit` outside 1..=1000, a
//!   `batch_get` of more than [`MAX_BATCH_GET_KEYS`] keys or with one key twice; an inverted
//!   `Between` returns an empty page;
//! - every call adds the DynamoDB capacity units it consumed to the request's tally
//!   ([`capacity`]): the DynamoDB adapter what DynamoDB reports, the SQLite one what DynamoDB's
//!   rules make of the sizes of the items it touched; `get_eventual` and
//!   [`Query::eventually_consistent`] read for half the units where a stale read is harmless;
//! - GSI queries order equal index sort keys by `(pk, sk)` in the SQLite adapter; DynamoDB
//!   does not promise an order for ties, so callers make GSI sort keys unique (end them
//!   with the item id) rather than rely on it.

pub mod capacity;
pub mod counting;
pub mod dynamo;
pub mod keys;
pub mod record;
pub mod retrying;
pub mod window_counter;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

pub use capacity::{Capacity, Consistency};

/// Most actions one transaction may hold (DynamoDB's limit).
pub const MAX_TRANSACTION_ACTIONS: usize = 100;

/// Most keys one [`Store::batch_get`] may ask for (DynamoDB's BatchGetItem limit).
pub const MAX_BATCH_GET_KEYS: usize = 100;

/// Attribute names the store owns; records may not use them.
pub const RESERVED_ATTRIBUTES: [&str; 9] = [
    "pk", "sk", "type", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "ttl", "version",
];

/// Primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// Key of an item in a GSI (`gsi1pk`/`gsi1sk` or `gsi2pk`/`gsi2sk`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

impl IndexKey {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// One stored item: keys and bookkeeping, plus the record's own attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    /// The `type` attribute: what kind of record this is (`user`, `night`, ...).
    pub kind: String,
    /// Present only when the item belongs in `gsi1` (sparse index).
    pub gsi1: Option<IndexKey>,
    /// Present only when the item belongs in `gsi2` (sparse index).
    pub gsi2: Option<IndexKey>,
    /// Epoch seconds after which the item is gone.
    pub ttl: Option<i64>,
    /// Optimistic-concurrency counter.
    pub version: u64,
    /// The record's attributes (never one of [`RESERVED_ATTRIBUTES`]).
    pub attrs: Map<String, Value>,
}

/// `record` as a JSON object (what an item's attributes, or an entry inside one, are made of).
pub fn json_object<T: Serialize>(record: &T) -> Result<Map<String, Value>, StoreError> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(StoreError::InvalidItem("a record must be a JSON object".into())),
        Err(err) => Err(StoreError::InvalidItem(err.to_string())),
    }
}

impl Item {
    /// A new item of `kind` at `key`, version 0, holding `record`'s fields as attributes.
    pub fn new<T: Serialize>(key: Key, kind: &str, record: &T) -> Result<Self, StoreError> {
        Ok(Self::of_attrs(key, kind, json_object(record)?))
    }

    /// A new item of `kind` at `key`, version 0, holding `attrs` as they are (for a record
    /// that is JSON already).
    pub fn of_attrs(key: Key, kind: &str, attrs: Map<String, Value>) -> Self {
        Self {
            key,
            kind: kind.to_owned(),
            gsi1: None,
            gsi2: None,
            ttl: None,
            version: 0,
            attrs,
        }
    }

    /// Puts the item in `gsi1`.
    pub fn with_gsi1(mut self, key: IndexKey) -> Self {
        self.gsi1 = Some(key);
        self
    }

    /// Puts the item in `gsi2`.
    pub fn with_gsi2(mut self, key: IndexKey) -> Self {
        self.gsi2 = Some(key);
        self
    }

    /// Makes the item expire at `ttl` (epoch seconds).
    pub fn with_ttl(mut self, ttl: i64) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The record stored in this item.
    pub fn record<T: DeserializeOwned>(&self) -> Result<T, StoreError> {
        serde_json::from_value(Value::Object(self.attrs.clone()))
            .map_err(|err| StoreError::InvalidItem(format!("{} {}: {err}", self.key.pk, self.key.sk)))
    }

    /// The record stored in this item, taking its attributes (no copy).
    pub fn into_record<T: DeserializeOwned>(self) -> Result<T, StoreError> {
        let Item { key, attrs, .. } = self;
        serde_json::from_value(Value::Object(attrs))
            .map_err(|err| StoreError::InvalidItem(format!("{} {}: {err}", key.pk, key.sk)))
    }

    /// Whether the item is live at `now` (epoch seconds): no ttl, or a ttl still ahead.
    pub fn is_live(&self, now: i64) -> bool {
        self.ttl.is_none_or(|ttl| ttl > now)
    }
}

/// What must be true of the stored item for a write to go ahead.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// No condition.
    Always,
    /// No live item at the key (absent, or its `ttl` has passed).
    Absent,
    /// A live item at the key.
    Exists,
    /// A live item with exactly this version.
    VersionEquals(u64),
    /// A live item whose attribute `name` equals `value` (a missing attribute equals nothing).
    AttributeEquals { name: String, value: Value },
    /// A live item without attribute `name` (e.g. a property that has no `deletedAt`).
    AttributeAbsent(String),
    /// A live item whose integer attribute `name` is below `limit` (a missing one counts as 0):
    /// a capped counter (a property's photo slots) checked in the write that adds to it.
    Below { name: String, limit: i64 },
    /// Every one of these (none of them an `All`).
    All(Vec<Condition>),
}

impl Condition {
    /// Shorthand for [`Condition::AttributeEquals`].
    pub fn attribute_equals(name: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::AttributeEquals {
            name: name.into(),
            value: value.into(),
        }
    }

    /// Shorthand for [`Condition::Below`].
    pub fn below(name: impl Into<String>, limit: i64) -> Self {
        Self::Below {
            name: name.into(),
            limit,
        }
    }

    /// The record attributes the condition reads (for the reserved-name check).
    pub fn attributes(&self) -> Vec<&String> {
        match self {
            Self::AttributeEquals { name, .. } | Self::AttributeAbsent(name) | Self::Below { name, .. } => vec![name],
            Self::All(all) => all.iter().flat_map(Condition::attributes).collect(),
            _ => Vec::new(),
        }
    }
}

/// Changes to a live item; the adapter also adds one to its version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// Attributes to set (replacing whole values).
    pub set: Vec<(String, Value)>,
    /// Attributes to remove.
    pub remove: Vec<String>,
    /// Integer attributes to add to (a missing one counts as 0).
    pub add: Vec<(String, i64)>,
    /// String-set attributes to add members to (a missing one is created; see the module doc).
    pub add_to_set: Vec<(String, Vec<String>)>,
    /// String-set attributes to delete members from (the last one out removes the attribute).
    pub delete_from_set: Vec<(String, Vec<String>)>,
    /// `Some(Some(k))` moves the item to `k` in gsi1, `Some(None)` takes it out.
    pub gsi1: Option<Option<IndexKey>>,
    /// `Some(Some(k))` moves the item to `k` in gsi2, `Some(None)` takes it out.
    pub gsi2: Option<Option<IndexKey>>,
    /// `Some(Some(t))` sets the ttl, `Some(None)` removes it.
    pub ttl: Option<Option<i64>>,
}

impl Update {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set.push((name.into(), value.into()));
        self
    }

    pub fn remove(mut self, name: impl Into<String>) -> Self {
        self.remove.push(name.into());
        self
    }

    pub fn add(mut self, name: impl Into<String>, by: i64) -> Self {
        self.add.push((name.into(), by));
        self
    }

    /// Adds `values` to the string set `name`, creating it when missing.
    pub fn add_to_set(mut self, name: impl Into<String>, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.add_to_set
            .push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// Deletes `values` from the string set `name`, removing it when none are left.
    pub fn delete_from_set(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.delete_from_set
            .push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// Every record attribute the update names, once per operation naming it.
    fn attribute_names(&self) -> impl Iterator<Item = &String> {
        self.set
            .iter()
            .map(|(name, _)| name)
            .chain(&self.remove)
            .chain(self.add.iter().map(|(name, _)| name))
            .chain(self.add_to_set.iter().map(|(name, _)| name))
            .chain(self.delete_from_set.iter().map(|(name, _)| name))
    }

    pub fn gsi1(mut self, key: Option<IndexKey>) -> Self {
        self.gsi1 = Some(key);
        self
    }

    pub fn gsi2(mut self, key: Option<IndexKey>) -> Self {
        self.gsi2 = Some(key);
        self
    }

    pub fn ttl(mut self, ttl: Option<i64>) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

/// One action of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum TxAction {
    Put {
        item: Item,
        condition: Condition,
    },
    Update {
        key: Key,
        update: Update,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Writes nothing; only its condition must hold.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl TxAction {
    /// The key this action touches.
    pub fn key(&self) -> &Key {
        match self {
            TxAction::Put { item, .. } => &item.key,
            TxAction::Update { key, .. } | TxAction::Delete { key, .. } | TxAction::Check { key, .. } => key,
        }
    }
}

/// Which key a query walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
}

/// Which sort keys of the partition a query returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKeyRange {
    All,
    /// Sort keys starting with this.
    Prefix(String),
    /// Sort keys from `.0` to `.1`, both included.
    Between(String, String),
    /// Sort keys at or after this.
    From(String),
    /// Sort keys at or before this.
    Until(String),
}

/// Where a query resumes: the key attributes of the last item it returned. Opaque to callers;
/// the HTTP layer signs it before it leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeKey(pub BTreeMap<String, String>);

impl ResumeKey {
    /// The sort key on `index` of the item the query stopped at (both adapters name the key
    /// attributes `pk`/`sk`, `gsi1pk`/`gsi1sk`, `gsi2pk`/`gsi2sk`).
    pub fn sort_key(&self, index: Index) -> Option<&str> {
        let name = match index {
            Index::Table => "sk",
            Index::Gsi1 => "gsi1sk",
            Index::Gsi2 => "gsi2sk",
        };
        self.0.get(name).map(String::as_str)
    }
}

/// A query of one partition of the table or of a GSI.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub range: SortKeyRange,
    /// Most items to examine (1..=1000); expired ones are examined but not returned.
    pub limit: u32,
    pub start: Option<ResumeKey>,
    /// Descending sort-key order when true.
    pub descending: bool,
    /// Items to leave out after they were examined (they count against `limit`, and the
    /// resume key may be one of them), as DynamoDB's `FilterExpression` does.
    pub without: Option<SetExclusion>,
    /// How fresh the page must be on the table (a GSI is always eventually consistent).
    pub consistency: Consistency,
}

/// Leaves out the items whose string set `attribute` holds any of `values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetExclusion {
    pub attribute: String,
    /// 1..=[`MAX_EXCLUDED_VALUES`] values.
    pub values: Vec<String>,
}

/// Most values one [`SetExclusion`] names (each is a term of DynamoDB's filter expression,
/// which has a size limit).
pub const MAX_EXCLUDED_VALUES: usize = 60;

impl SetExclusion {
    /// Checks the number of values, as both adapters require.
    pub fn check(&self) -> Result<(), StoreError> {
        if (1..=MAX_EXCLUDED_VALUES).contains(&self.values.len()) {
            Ok(())
        } else {
            Err(StoreError::InvalidRequest(format!(
                "an exclusion names 1..={MAX_EXCLUDED_VALUES} values, not {}",
                self.values.len()
            )))
        }
    }
}

impl Query {
    /// Every item of partition `pk` of `index`, ascending, 100 at a time.
    pub fn partition(index: Index, pk: impl Into<String>) -> Self {
        Self {
            index,
            pk: pk.into(),
            range: SortKeyRange::All,
            limit: 100,
            start: None,
            descending: false,
            without: None,
            consistency: Consistency::Strong,
        }
    }

    /// Lets the page miss writes of the last second or so, for half the read units: for pages
    /// where a stale answer is harmless (public listings), never before a conditional write.
    pub fn eventually_consistent(mut self) -> Self {
        self.consistency = Consistency::Eventual;
        self
    }

    /// The consistency the page is read with: a GSI offers only eventual consistency.
    pub fn read_consistency(&self) -> Consistency {
        match self.index {
            Index::Table => self.consistency,
            Index::Gsi1 | Index::Gsi2 => Consistency::Eventual,
        }
    }

    /// Leaves out (after examining them) the items whose string set `attribute` holds any of
    /// `values`.
    pub fn without(mut self, attribute: impl Into<String>, values: Vec<String>) -> Self {
        self.without = Some(SetExclusion {
            attribute: attribute.into(),
            values,
        });
        self
    }

    pub fn range(mut self, range: SortKeyRange) -> Self {
        self.range = range;
        self
    }

    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    pub fn start(mut self, start: Option<ResumeKey>) -> Self {
        self.start = start;
        self
    }

    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }
}

/// One page of a query. `next` is set when more items may follow; pass it as `start`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<ResumeKey>,
}

/// Why a store operation failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum StoreError {
    /// The condition of a single-item write did not hold.
    #[error("condition failed")]
    ConditionFailed,
    /// A transaction was rolled back because the condition of action `index` did not hold.
    #[error("transaction cancelled: condition of action {index} failed")]
    TransactionConditionFailed { index: usize },
    /// Concurrent writes collided (DynamoDB `TransactionConflict`); retrying may succeed.
    #[error("write conflict")]
    Conflict,
    /// The request was invalid (too many actions, one key twice, a reserved attribute, ...).
    #[error("invalid store request: {0}")]
    InvalidRequest(String),
    /// A stored item could not be read as the expected record.
    #[error("invalid item: {0}")]
    InvalidItem(String),
    /// The backend refused the call for now (DynamoDB throttling: provisioned throughput or
    /// request rate exceeded): it applied nothing, and the same call may succeed later.
    #[error("store throttled: {0}")]
    Throttled(String),
    /// The backend failed transiently (timed out, unreachable, a 5xx, a busy disk): the call
    /// may succeed later, and a write may or may not have taken effect. Details are for logs
    /// only.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The backend refused the call for good (a missing table, a denied permission, bad
    /// credentials): the deployment is wrong, and retrying will not help.
    #[error("store refused the call: {0}")]
    Refused(String),
}

impl StoreError {
    /// Whether the same call may succeed if made again later: a throttled, timed-out or
    /// unreachable backend, or a transaction that collided with another (which applied
    /// nothing). Conditions, invalid requests, unreadable items and refusals are not.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Throttled(_) | StoreError::Unavailable(_) | StoreError::Conflict
        )
    }

    /// Whether the failed call certainly applied nothing, so that making it again cannot do
    /// anything twice: a throttled call or a collided transaction. (A timeout may have been
    /// applied; conditions and refusals will fail again.)
    pub fn applied_nothing(&self) -> bool {
        matches!(self, StoreError::Throttled(_) | StoreError::Conflict)
    }
}

/// The store port.
#[async_trait]
pub trait Store: Send + Sync {
    /// The live item at `key`, if any (strongly consistent: it sees every acknowledged write).
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// Like [`Store::get`], but it may miss writes of the last second or so, for half the read
    /// units: for views where a stale answer is harmless (a public property page), never to
    /// decide a write. Decorators must pass it on as such.
    async fn get_eventual(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// Writes the whole item if `condition` holds.
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError>;
    /// Changes the live item at `key` if `condition` holds; returns the item as written.
    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError>;
    /// Deletes the item at `key` if `condition` holds (deleting nothing is fine with `Always`).
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError>;
    /// The live items at `keys` (at most [`MAX_BATCH_GET_KEYS`], all distinct), in the order
    /// of `keys`, leaving out those absent or expired: one round trip where a page of links
    /// would otherwise cost a `get` each.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError>;
    /// Applies every action or none (at most [`MAX_TRANSACTION_ACTIONS`]).
    async fn transact(&self, actions: Vec<TxAction>) -> Result<(), StoreError>;
    /// One page of live items of a partition, in sort-key order.
    async fn query(&self, query: Query) -> Result<Page, StoreError>;
    /// [`Store::query`] for a hot read path that decodes each item into a record of its own
    /// ([`record`]): the same items, the same `next`. An adapter that keeps attributes as JSON
    /// text hands the text over undecoded; the others decode as `query` does. Decorators
    /// must pass it on as such.
    async fn query_records(&self, query: Query) -> Result<record::RecordPage, StoreError> {
        Ok(self.query(query).await?.into())
    }
    /// One page of the live items of `kind` anywhere in the table, examining at most `limit`
    /// (1..=1000) items, in no promised order; `next` resumes it. Maintenance only (data
    /// migrations such as the search-index backfill): a request path never scans.
    async fn scan(&self, kind: &str, start: Option<ResumeKey>, limit: u32) -> Result<Page, StoreError>;
}

/// Checks what both adapters refuse before touching storage.
pub fn validate_transaction(actions: &[TxAction]) -> Result<(), StoreError> {
    if actions.is_empty() || actions.len() > MAX_TRANSACTION_ACTIONS {
        return Err(StoreError::InvalidRequest(format!(
            "a transaction holds 1..={MAX_TRANSACTION_ACTIONS} actions, not {}",
            actions.len()
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(actions.len());
    for action in actions {
        if !seen.insert(action.key()) {
            return Err(StoreError::InvalidRequest(format!(
                "one transaction touches {} {} twice",
                action.key().pk,
                action.key().sk
            )));
        }
    }
    Ok(())
}

/// Checks what both adapters refuse in a batch get before touching storage: more than
/// [`MAX_BATCH_GET_KEYS`] keys, an empty key string, or one key twice (which DynamoDB refuses
/// for the whole batch).
pub fn validate_batch_get(keys: &[Key]) -> Result<(), StoreError> {
    if keys.len() > MAX_BATCH_GET_KEYS {
        return Err(StoreError::InvalidRequest(format!(
            "a batch get asks for at most {MAX_BATCH_GET_KEYS} keys, not {}",
            keys.len()
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    for key in keys {
        if key.pk.is_empty() || key.sk.is_empty() {
            return Err(StoreError::InvalidRequest("key attributes may not be empty".into()));
        }
        if !seen.insert(key) {
            return Err(StoreError::InvalidRequest(format!(
                "one batch get asks for {} {} twice",
                key.pk, key.sk
            )));
        }
    }
    Ok(())
}

/// Checks the attribute names of an update as both adapters must: none reserved, and none
/// named by two operations (DynamoDB refuses overlapping paths in one update expression).
pub fn validate_update_attributes(update: &Update) -> Result<(), StoreError> {
    let mut seen = std::collections::HashSet::new();
    for name in update.attribute_names() {
        validate_attributes([name])?;
        if !seen.insert(name) {
            return Err(StoreError::InvalidRequest(format!(
                "one update names attribute `{name}` twice"
            )));
        }
    }
    Ok(())
}

/// The members of one string-set operation as a set: distinct and ascending, the order in
/// which sets read back (DynamoDB refuses a set value listing a member twice).
pub fn string_set(values: &[String]) -> Vec<String> {
    let mut values = values.to_vec();
    values.sort_unstable();
    values.dedup();
    values
}

/// Checks that a record's attributes do not use a name the store owns.
pub fn validate_attributes<'a>(names: impl IntoIterator<Item = &'a String>) -> Result<(), StoreError> {
    for name in names {
        if RESERVED_ATTRIBUTES.contains(&name.as_str()) {
            return Err(StoreError::InvalidRequest(format!("attribute `{name}` is reserved")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<Key> {
        (0..n).map(|i| Key::new("P", format!("{i:03}"))).collect()
    }

    #[test]
    fn batch_get_bounds() {
        assert_eq!(validate_batch_get(&[]), Ok(()));
        assert_eq!(validate_batch_get(&keys(MAX_BATCH_GET_KEYS)), Ok(()));
        let invalid = |keys: &[Key]| matches!(validate_batch_get(keys), Err(StoreError::InvalidRequest(_)));
        assert!(invalid(&keys(MAX_BATCH_GET_KEYS + 1)));
        assert!(invalid(&[Key::new("P", "1"), Key::new("P", "2"), Key::new("P", "1")]));
        assert!(invalid(&[Key::new("P", "")]));
        assert!(invalid(&[Key::new("", "S")]));
    }

    #[test]
    fn update_names_each_attribute_once() {
        let invalid =
            |update: Update| matches!(validate_update_attributes(&update), Err(StoreError::InvalidRequest(_)));
        let ok = Update::new()
            .set("a", 1)
            .remove("b")
            .add("c", 1)
            .add_to_set("d", ["x"])
            .delete_from_set("e", ["y"]);
        assert_eq!(validate_update_attributes(&ok), Ok(()));
        assert!(invalid(
            Update::new().add_to_set("a", ["x"]).delete_from_set("a", ["y"])
        ));
        assert!(invalid(Update::new().set("a", 1).add_to_set("a", ["x"])));
        assert!(invalid(Update::new().remove("a").delete_from_set("a", ["x"])));
        assert!(invalid(Update::new().add_to_set("a", ["x"]).add_to_set("a", ["y"])));
        assert!(
            invalid(Update::new().add_to_set("a", Vec::<String>::new()).add("a", 1)),
            "an empty operation still names its attribute"
        );
        assert!(invalid(Update::new().add_to_set("version", ["x"])));
        assert!(invalid(Update::new().delete_from_set("ttl", ["x"])));
    }

    #[test]
    fn string_set_is_distinct_and_ascending() {
        let values: Vec<String> = ["b", "a", "b", "", "C"].map(String::from).to_vec();
        assert_eq!(string_set(&values), ["", "C", "a", "b"]);
        assert!(string_set(&[]).is_empty());
    }
}
