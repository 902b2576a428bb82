//! The store port on one DynamoDB table (aws-sdk-dynamodb, record attributes via serde_dynamo).
//!
//! Item layout: `pk`, `sk`, `type`, `version` (N), `ttl` (N, epoch seconds) when set, the GSI key
//! attributes (`gsi1pk`, `gsi1sk`, `gsi2pk`, `gsi2sk`) only when the item belongs in that index
//! (the GSIs are sparse), and every record attribute as its own top-level attribute.
//!
//! DynamoDB deletes expired items lazily (up to days later), so the adapter reads the clock and
//! makes every read and every condition treat an item whose `ttl` is at or before now as absent.
//!
//! String sets are `SS` attributes, written only by an update's `ADD`/`DELETE`; DynamoDB keeps
//! no order in a set, so reads sort it into the ascending array the port promises.

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters as _;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, ConsumedCapacity, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put, ReturnConsumedCapacity, ReturnValue,
    ScalarAttributeType, TimeToLiveSpecification, TimeToLiveStatus, TransactWriteItem, Update as DynamoUpdate,
};
use serde_json::{Map, Value};

use super::capacity::{self, Capacity};
use super::{
    Condition, Consistency, Index, IndexKey, Item, Key, Page, Query, ResumeKey, SortKeyRange, Store, StoreError,
    TxAction, Update, string_set, validate_attributes, validate_batch_get, validate_transaction,
    validate_update_attributes,
};
use crate::clock::Clock;

/// Environment variable holding the table name (set by the stack on every function).
pub const TABLE_ENV: &str = "TABLE_NAME";

const PK: &str = "pk";
const SK: &str = "sk";
const TYPE: &str = "type";
const TTL: &str = "ttl";
const VERSION: &str = "version";
const GSI1: &str = "gsi1";
const GSI1_PK: &str = "gsi1pk";
const GSI1_SK: &str = "gsi1sk";
const GSI2: &str = "gsi2";
const GSI2_PK: &str = "gsi2pk";
const GSI2_SK: &str = "gsi2sk";

/// Most items one query may examine (the port's documented range is 1..=1000).
const MAX_QUERY_LIMIT: u32 = 1000;

/// How many BatchGetItem calls one `batch_get` makes before giving up on keys DynamoDB keeps
/// returning as unprocessed (it does so when throttled or past 16 MB of items per call).
const BATCH_GET_MAX_ATTEMPTS: u32 = 8;

/// The wait before the first retry of unprocessed keys; it doubles with each further one.
const BATCH_GET_FIRST_BACKOFF: Duration = Duration::from_millis(25);

/// The longest wait between two BatchGetItem calls of one `batch_get`.
const BATCH_GET_MAX_BACKOFF: Duration = Duration::from_millis(800);

/// How long [`create_table`] waits for a new table to become active.
const CREATE_TABLE_MAX_WAIT: Duration = Duration::from_secs(300);

/// The [`Store`] on a DynamoDB table laid out as production has it (see [`create_table`]).
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl DynamoStore {
    /// A store on `table`. Makes no request: the client connects on first use.
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            table: table.into(),
            clock,
        }
    }

    /// The clock's now in epoch seconds: the instant `ttl` is compared with.
    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        // Strongly consistent: callers read, decide, then write under a version condition, and
        // a stale read would only turn into a needless condition failure.
        self.get_item(key, Consistency::Strong).await
    }

    async fn get_eventual(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.get_item(key, Consistency::Eventual).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        // DynamoDB refuses the whole batch for one duplicate key; refusing here says why.
        validate_batch_get(keys)?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut found: HashMap<Key, Item> = HashMap::with_capacity(keys.len());
        let mut pending: Vec<HashMap<String, AttributeValue>> = keys.iter().map(key_map).collect();
        for attempt in 0..BATCH_GET_MAX_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(batch_get_backoff(attempt)).await;
            }
            // Rebuilt on every call rather than resending UnprocessedKeys as returned, so that
            // retried keys are read consistently too. Strongly consistent for the reason `get` is.
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(build_error)?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(map_sdk_error)?;
            record_consumed_all(output.consumed_capacity(), Spent::Read);
            let items = output
                .responses
                .and_then(|mut responses| responses.remove(&self.table))
                .unwrap_or_default();
            for attributes in items {
                let item = item_from_attributes(attributes)?;
                found.insert(item.key.clone(), item);
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .map(|unprocessed| unprocessed.keys)
                .unwrap_or_default();
            if pending.is_empty() {
                break;
            }
        }
        if !pending.is_empty() {
            return Err(StoreError::Unavailable(format!(
                "BatchGetItem left {} of {} keys unprocessed after {BATCH_GET_MAX_ATTEMPTS} calls",
                pending.len(),
                keys.len()
            )));
        }
        let now = self.now();
        Ok(keys
            .iter()
            .filter_map(|key| found.remove(key))
            .filter(|item| item.is_live(now))
            .collect())
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        let mut expr = Expr::new(self.now());
        let condition = expr.condition(&condition, false)?;
        let attributes = item_to_attributes(item)?;
        let output = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(attributes))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(map_sdk_error)?;
        record_consumed(output.consumed_capacity(), Spent::Write);
        Ok(())
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        validate_key(key)?;
        let mut expr = Expr::new(self.now());
        let update_expression = expr.update(update)?;
        let condition = expr.condition(&condition, true)?;
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .update_expression(update_expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values(ReturnValue::AllNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(map_sdk_error)?;
        record_consumed(output.consumed_capacity(), Spent::Write);
        match output.attributes {
            Some(attributes) => item_from_attributes(attributes),
            None => Err(StoreError::Unavailable(
                "UpdateItem with ALL_NEW returned no attributes".into(),
            )),
        }
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        validate_key(key)?;
        let mut expr = Expr::new(self.now());
        let condition = expr.condition(&condition, false)?;
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(map_sdk_error)?;
        record_consumed(output.consumed_capacity(), Spent::Write);
        Ok(())
    }

    async fn transact(&self, actions: Vec<TxAction>) -> Result<(), StoreError> {
        validate_transaction(&actions)?;
        let now = self.now();
        let mut items = Vec::with_capacity(actions.len());
        for action in actions {
            items.push(self.transact_item(action, now)?);
        }
        let output = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(map_transaction_error)?;
        record_consumed_all(output.consumed_capacity(), Spent::Write);
        Ok(())
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        if query.limit == 0 || query.limit > MAX_QUERY_LIMIT {
            return Err(StoreError::InvalidRequest(format!(
                "a query examines 1..={MAX_QUERY_LIMIT} items, not {}",
                query.limit
            )));
        }
        let consistency = query.read_consistency();
        let (index_name, pk_name, sk_name) = match query.index {
            Index::Table => (None, PK, SK),
            Index::Gsi1 => (Some(GSI1), GSI1_PK, GSI1_SK),
            Index::Gsi2 => (Some(GSI2), GSI2_PK, GSI2_SK),
        };
        let start = match query.start {
            Some(start) => Some(start_key(start, query.index, pk_name, &query.pk)?),
            None => None,
        };
        // DynamoDB refuses empty key strings, so no item has one: such partitions and ranges
        // are empty, and asking would only earn a ValidationException.
        let Some(range) = SortKeyBounds::of(query.range) else {
            return Ok(Page::default());
        };
        if query.pk.is_empty() {
            return Ok(Page::default());
        }

        let mut expr = Expr::new(self.now());
        let mut key_condition = String::with_capacity(64);
        let pk_placeholder = expr.name(pk_name);
        let pk_value = expr.value(AttributeValue::S(query.pk));
        // `write!` to a String cannot fail.
        let _ = write!(key_condition, "{pk_placeholder} = {pk_value}");
        if !matches!(range, SortKeyBounds::All) {
            let sk = expr.name(sk_name);
            let _ = match range {
                SortKeyBounds::All => Ok(()),
                SortKeyBounds::Prefix(prefix) => {
                    let prefix = expr.value(AttributeValue::S(prefix));
                    write!(key_condition, " AND begins_with({sk}, {prefix})")
                }
                SortKeyBounds::Between(low, high) => {
                    let low = expr.value(AttributeValue::S(low));
                    let high = expr.value(AttributeValue::S(high));
                    write!(key_condition, " AND {sk} BETWEEN {low} AND {high}")
                }
                SortKeyBounds::From(low) => {
                    let low = expr.value(AttributeValue::S(low));
                    write!(key_condition, " AND {sk} >= {low}")
                }
                SortKeyBounds::Until(high) => {
                    let high = expr.value(AttributeValue::S(high));
                    write!(key_condition, " AND {sk} <= {high}")
                }
            };
        }
        let mut filter = expr.live_filter();
        if let Some(exclusion) = &query.without {
            exclusion.check()?;
            let set = expr.name(&exclusion.attribute);
            let terms: Vec<String> = exclusion
                .values
                .iter()
                .map(|value| format!("contains({set}, {})", expr.value(AttributeValue::S(value.clone()))))
                .collect();
            filter = format!("({filter}) AND NOT ({})", terms.join(" OR "));
        }

        let output = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index_name.map(str::to_owned))
            .key_condition_expression(key_condition)
            .filter_expression(filter)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .scan_index_forward(!query.descending)
            .set_exclusive_start_key(start)
            // GSIs only offer eventual consistency (and refuse to be asked for more).
            .set_consistent_read((consistency == Consistency::Strong).then_some(true))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(map_sdk_error)?;
        record_consumed(output.consumed_capacity(), Spent::Read);
        page(output.items, output.last_evaluated_key)
    }

    async fn scan(&self, kind: &str, start: Option<ResumeKey>, limit: u32) -> Result<Page, StoreError> {
        if limit == 0 || limit > MAX_QUERY_LIMIT {
            return Err(StoreError::InvalidRequest(format!(
                "a scan examines 1..={MAX_QUERY_LIMIT} items, not {limit}"
            )));
        }
        let start = start.map(|start| {
            start
                .0
                .into_iter()
                .map(|(name, value)| (name, AttributeValue::S(value)))
                .collect::<HashMap<_, _>>()
        });
        let mut expr = Expr::new(self.now());
        let type_name = expr.name(TYPE);
        let type_value = expr.value(AttributeValue::S(kind.to_owned()));
        let live = expr.live_filter();
        let output = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(format!("{type_name} = {type_value} AND ({live})"))
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(map_sdk_error)?;
        record_consumed(output.consumed_capacity(), Spent::Read);
        page(output.items, output.last_evaluated_key)
    }
}

impl DynamoStore {
    /// The live item at `key`, read with `consistency`.
    async fn get_item(&self, key: &Key, consistency: Consistency) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(consistency == Consistency::Strong)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(map_sdk_error)?;
        record_consumed(output.consumed_capacity(), Spent::Read);
        let Some(attributes) = output.item else {
            return Ok(None);
        };
        let item = item_from_attributes(attributes)?;
        Ok(item.is_live(self.now()).then_some(item))
    }

    /// One action of a TransactWriteItems call, with its own expression maps.
    fn transact_item(&self, action: TxAction, now: i64) -> Result<TransactWriteItem, StoreError> {
        let mut expr = Expr::new(now);
        let item = match action {
            TxAction::Put { item, condition } => {
                let condition = expr.condition(&condition, false)?;
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item_to_attributes(item)?))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().put(put).build()
            }
            TxAction::Update { key, update, condition } => {
                validate_key(&key)?;
                let update_expression = expr.update(update)?;
                let condition = expr.condition(&condition, true)?;
                let update = DynamoUpdate::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(&key)))
                    .update_expression(update_expression)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().update(update).build()
            }
            TxAction::Delete { key, condition } => {
                validate_key(&key)?;
                let condition = expr.condition(&condition, false)?;
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(&key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().delete(delete).build()
            }
            TxAction::Check { key, condition } => {
                validate_key(&key)?;
                // A ConditionCheck must carry an expression. `Always` gets a tautology rather than
                // being dropped, so action positions (which errors report) stay those of the caller.
                let condition = match expr.condition(&condition, false)? {
                    Some(condition) => condition,
                    None => {
                        let pk = expr.name(PK);
                        format!("attribute_exists({pk}) OR attribute_not_exists({pk})")
                    }
                };
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(&key)))
                    .condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
        };
        Ok(item)
    }
}

/// Creates `table` as production has it: string keys `pk`/`sk`, sparse GSIs `gsi1`
/// (`gsi1pk`/`gsi1sk`) and `gsi2` (`gsi2pk`/`gsi2sk`) projecting everything, on-demand billing,
/// and TTL on `ttl`. An existing table of that name is kept as it is (its layout is not checked)
/// and only gets TTL turned on if it lacks it, so local tooling can call this on every start.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let mut definitions = Vec::with_capacity(6);
    for name in [PK, SK, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK] {
        definitions.push(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build_error)?,
        );
    }
    let created = client
        .create_table()
        .table_name(table)
        .set_attribute_definitions(Some(definitions))
        .set_key_schema(Some(key_schema(PK, SK)?))
        .global_secondary_indexes(global_index(GSI1, GSI1_PK, GSI1_SK)?)
        .global_secondary_indexes(global_index(GSI2, GSI2_PK, GSI2_SK)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(err) if err.code() == Some("ResourceInUseException") => {}
        Err(err) => return Err(unavailable(&err)),
    }

    // TTL can only be switched on once the table is active.
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(CREATE_TABLE_MAX_WAIT)
        .await
        .map_err(|err| unavailable(&err))?;

    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|err| unavailable(&err))?;
    let enabled = ttl.time_to_live_description.is_some_and(|description| {
        matches!(
            description.time_to_live_status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        ) && description.attribute_name.as_deref() == Some(TTL)
    });
    if !enabled {
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(TTL)
                    .enabled(true)
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(|err| unavailable(&err))?;
    }
    Ok(())
}

fn key_schema(hash: &str, range: &str) -> Result<Vec<KeySchemaElement>, StoreError> {
    Ok(vec![
        KeySchemaElement::builder()
            .attribute_name(hash)
            .key_type(KeyType::Hash)
            .build()
            .map_err(build_error)?,
        KeySchemaElement::builder()
            .attribute_name(range)
            .key_type(KeyType::Range)
            .build()
            .map_err(build_error)?,
    ])
}

fn global_index(name: &str, hash: &str, range: &str) -> Result<GlobalSecondaryIndex, StoreError> {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .set_key_schema(Some(key_schema(hash, range)?))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .map_err(build_error)
}

/// Expression attribute names and values shared by the expressions of one request.
///
/// Every attribute name goes through a placeholder: `ttl`, `type` and many plausible record
/// attribute names are DynamoDB reserved words.
struct Expr {
    now: i64,
    /// Placeholder `#nK` to attribute name; a name used twice reuses its placeholder.
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    /// Placeholder of `now`, once some expression used it.
    now_placeholder: Option<String>,
}

impl Expr {
    fn new(now: i64) -> Self {
        Self {
            now,
            names: HashMap::new(),
            values: HashMap::new(),
            now_placeholder: None,
        }
    }

    /// The placeholder of attribute `name`.
    fn name(&mut self, name: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, existing)| existing.as_str() == name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_owned());
        placeholder
    }

    /// The placeholder of a new value.
    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// The placeholder of the clock's now (epoch seconds).
    fn now(&mut self) -> String {
        if let Some(placeholder) = &self.now_placeholder {
            return placeholder.clone();
        }
        let placeholder = self.value(number(self.now));
        self.now_placeholder = Some(placeholder.clone());
        placeholder
    }

    /// True when the item has no ttl or one still ahead (for query filters).
    fn live_filter(&mut self) -> String {
        let ttl = self.name(TTL);
        let now = self.now();
        format!("attribute_not_exists({ttl}) OR {ttl} > {now}")
    }

    /// True when a live item is stored at the key.
    fn live(&mut self) -> String {
        let pk = self.name(PK);
        let ttl = self.name(TTL);
        let now = self.now();
        format!("attribute_exists({pk}) AND (attribute_not_exists({ttl}) OR {ttl} > {now})")
    }

    /// The condition expression for `condition`; `require_live` adds the liveness an update
    /// needs (an update must never create an item). `None` when nothing is to be checked.
    fn condition(&mut self, condition: &Condition, require_live: bool) -> Result<Option<String>, StoreError> {
        let expression = match condition {
            Condition::Always => require_live.then(|| self.live()),
            Condition::Absent => {
                let pk = self.name(PK);
                let ttl = self.name(TTL);
                let now = self.now();
                let absent = format!("attribute_not_exists({pk}) OR {ttl} <= {now}");
                // Never true together; kept so an update with `Absent` fails as a condition.
                Some(if require_live {
                    format!("({}) AND ({absent})", self.live())
                } else {
                    absent
                })
            }
            Condition::Exists => Some(self.live()),
            Condition::VersionEquals(version) => {
                let live = self.live();
                let name = self.name(VERSION);
                let value = self.value(number(*version));
                Some(format!("{live} AND {name} = {value}"))
            }
            Condition::AttributeEquals { name, value } => {
                validate_attributes([name])?;
                let live = self.live();
                let name = self.name(name);
                let value = self.value(to_attribute(value)?);
                Some(format!("{live} AND {name} = {value}"))
            }
            Condition::AttributeAbsent(name) => {
                validate_attributes([name])?;
                let live = self.live();
                let name = self.name(name);
                Some(format!("{live} AND attribute_not_exists({name})"))
            }
            Condition::Below { name, limit } => {
                validate_attributes([name])?;
                let live = self.live();
                let name = self.name(name);
                let limit_value = self.value(AttributeValue::N(limit.to_string()));
                // A missing attribute counts as 0, which is below only a positive limit.
                Some(if *limit > 0 {
                    format!("{live} AND (attribute_not_exists({name}) OR {name} < {limit_value})")
                } else {
                    format!("{live} AND {name} < {limit_value}")
                })
            }
            Condition::All(all) => {
                if all.iter().any(|c| matches!(c, Condition::All(_))) {
                    return Err(StoreError::InvalidRequest("conditions of an All are not All".into()));
                }
                let mut parts = Vec::with_capacity(all.len());
                for condition in all {
                    if let Some(part) = self.condition(condition, require_live)? {
                        parts.push(format!("({part})"));
                    }
                }
                if parts.is_empty() {
                    require_live.then(|| self.live())
                } else {
                    Some(parts.join(" AND "))
                }
            }
        };
        Ok(expression)
    }

    /// The update expression for `update`, which also adds one to `version`.
    fn update(&mut self, update: Update) -> Result<String, StoreError> {
        // DynamoDB refuses one path twice in an update ("overlapping paths"); say so up front.
        validate_update_attributes(&update)?;
        let Update {
            set,
            remove,
            add,
            add_to_set,
            delete_from_set,
            gsi1,
            gsi2,
            ttl,
        } = update;

        let mut set_clauses: Vec<String> = Vec::with_capacity(set.len() + 5);
        let mut remove_clauses: Vec<String> = Vec::with_capacity(remove.len() + 5);
        for (name, value) in set {
            let name = self.name(&name);
            let value = self.value(to_attribute(&value)?);
            set_clauses.push(format!("{name} = {value}"));
        }
        for name in &remove {
            remove_clauses.push(self.name(name));
        }
        for (index_key, pk_name, sk_name) in [(gsi1, GSI1_PK, GSI1_SK), (gsi2, GSI2_PK, GSI2_SK)] {
            match index_key {
                None => {}
                Some(Some(index_key)) => {
                    validate_index_key(&index_key)?;
                    for (name, value) in [(pk_name, index_key.pk), (sk_name, index_key.sk)] {
                        let name = self.name(name);
                        let value = self.value(AttributeValue::S(value));
                        set_clauses.push(format!("{name} = {value}"));
                    }
                }
                Some(None) => {
                    remove_clauses.push(self.name(pk_name));
                    remove_clauses.push(self.name(sk_name));
                }
            }
        }
        match ttl {
            None => {}
            Some(Some(ttl)) => {
                let name = self.name(TTL);
                let value = self.value(number(ttl));
                set_clauses.push(format!("{name} = {value}"));
            }
            Some(None) => remove_clauses.push(self.name(TTL)),
        }
        let version = self.name(VERSION);
        let one = self.value(number(1));
        let mut add_clauses = Vec::with_capacity(add.len() + add_to_set.len() + 1);
        add_clauses.push(format!("{version} {one}"));
        for (name, by) in add {
            let name = self.name(&name);
            let by = self.value(number(by));
            add_clauses.push(format!("{name} {by}"));
        }
        // DynamoDB refuses an empty set value, and an operation without members changes
        // nothing anyway: such operations are left out (the version is still added to).
        for (name, members) in add_to_set {
            let members = string_set(&members);
            if !members.is_empty() {
                let name = self.name(&name);
                let members = self.value(AttributeValue::Ss(members));
                add_clauses.push(format!("{name} {members}"));
            }
        }
        let mut delete_clauses = Vec::with_capacity(delete_from_set.len());
        for (name, members) in delete_from_set {
            let members = string_set(&members);
            if !members.is_empty() {
                let name = self.name(&name);
                let members = self.value(AttributeValue::Ss(members));
                delete_clauses.push(format!("{name} {members}"));
            }
        }

        let mut expression = String::with_capacity(128);
        if !set_clauses.is_empty() {
            expression.push_str("SET ");
            expression.push_str(&set_clauses.join(", "));
            expression.push(' ');
        }
        if !remove_clauses.is_empty() {
            expression.push_str("REMOVE ");
            expression.push_str(&remove_clauses.join(", "));
            expression.push(' ');
        }
        expression.push_str("ADD ");
        expression.push_str(&add_clauses.join(", "));
        if !delete_clauses.is_empty() {
            expression.push_str(" DELETE ");
            expression.push_str(&delete_clauses.join(", "));
        }
        Ok(expression)
    }

    /// The names map, or `None` when empty (DynamoDB refuses an empty map).
    fn names(&mut self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| std::mem::take(&mut self.names))
    }

    /// The values map, or `None` when empty (DynamoDB refuses an empty map).
    fn values(&mut self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| std::mem::take(&mut self.values))
    }
}

/// A sort-key range in the form DynamoDB accepts, or `None` when it can hold no key.
enum SortKeyBounds {
    All,
    Prefix(String),
    Between(String, String),
    From(String),
    Until(String),
}

impl SortKeyBounds {
    /// Rewrites ranges DynamoDB would refuse (empty strings, a low bound above the high one)
    /// into what they mean: every key string is non-empty, so `""` is below them all.
    fn of(range: SortKeyRange) -> Option<Self> {
        Some(match range {
            SortKeyRange::All => Self::All,
            SortKeyRange::Prefix(prefix) if prefix.is_empty() => Self::All,
            SortKeyRange::Prefix(prefix) => Self::Prefix(prefix),
            SortKeyRange::From(low) if low.is_empty() => Self::All,
            SortKeyRange::From(low) => Self::From(low),
            SortKeyRange::Until(high) if high.is_empty() => return None,
            SortKeyRange::Until(high) => Self::Until(high),
            SortKeyRange::Between(low, high) if high.is_empty() || low > high => return None,
            SortKeyRange::Between(low, high) if low.is_empty() => Self::Until(high),
            SortKeyRange::Between(low, high) => Self::Between(low, high),
        })
    }
}

/// The wait before BatchGetItem call `attempt` (1 for the first retry): doubling from
/// [`BATCH_GET_FIRST_BACKOFF`] up to [`BATCH_GET_MAX_BACKOFF`], of which a random half or more
/// is taken so that callers throttled together do not retry in step.
fn batch_get_backoff(attempt: u32) -> Duration {
    let ceiling = BATCH_GET_FIRST_BACKOFF
        .saturating_mul(2_u32.saturating_pow(attempt.saturating_sub(1)))
        .min(BATCH_GET_MAX_BACKOFF);
    ceiling.mul_f64(rand::random_range(0.5..=1.0))
}

/// DynamoDB refuses empty strings in key attributes; refusing them here gives a clear error.
fn validate_key(key: &Key) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::InvalidRequest("key attributes may not be empty".into()));
    }
    Ok(())
}

fn validate_index_key(key: &IndexKey) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::InvalidRequest(
            "index key attributes may not be empty".into(),
        ));
    }
    Ok(())
}

fn key_map(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn to_attribute(value: &Value) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|err| StoreError::InvalidItem(err.to_string()))
}

/// The DynamoDB attributes of `item`.
fn item_to_attributes(item: Item) -> Result<HashMap<String, AttributeValue>, StoreError> {
    validate_key(&item.key)?;
    validate_attributes(item.attrs.keys())?;
    let mut attributes = HashMap::with_capacity(item.attrs.len() + 9);
    for (name, value) in item.attrs {
        let value = to_attribute(&value)?;
        attributes.insert(name, value);
    }
    attributes.insert(PK.to_owned(), AttributeValue::S(item.key.pk));
    attributes.insert(SK.to_owned(), AttributeValue::S(item.key.sk));
    attributes.insert(TYPE.to_owned(), AttributeValue::S(item.kind));
    attributes.insert(VERSION.to_owned(), number(item.version));
    if let Some(ttl) = item.ttl {
        attributes.insert(TTL.to_owned(), number(ttl));
    }
    for (index_key, pk_name, sk_name) in [(item.gsi1, GSI1_PK, GSI1_SK), (item.gsi2, GSI2_PK, GSI2_SK)] {
        // Absent, not empty: the GSIs are sparse, and DynamoDB refuses empty index keys.
        if let Some(index_key) = index_key {
            validate_index_key(&index_key)?;
            attributes.insert(pk_name.to_owned(), AttributeValue::S(index_key.pk));
            attributes.insert(sk_name.to_owned(), AttributeValue::S(index_key.sk));
        }
    }
    Ok(attributes)
}

/// The item stored as `attributes`.
fn item_from_attributes(mut attributes: HashMap<String, AttributeValue>) -> Result<Item, StoreError> {
    let (Some(pk), Some(sk)) = (take_string(&mut attributes, PK)?, take_string(&mut attributes, SK)?) else {
        return Err(StoreError::InvalidItem("item without pk or sk".into()));
    };
    let invalid = |what: &str| StoreError::InvalidItem(format!("{pk} {sk}: {what}"));
    let kind = take_string(&mut attributes, TYPE)?.ok_or_else(|| invalid("no type"))?;
    let gsi1 = take_index_key(&mut attributes, GSI1_PK, GSI1_SK)?;
    let gsi2 = take_index_key(&mut attributes, GSI2_PK, GSI2_SK)?;
    let ttl = match attributes.remove(TTL) {
        None => None,
        Some(AttributeValue::N(n)) => Some(n.parse::<i64>().map_err(|_| invalid("ttl is not an integer"))?),
        Some(_) => return Err(invalid("ttl is not a number")),
    };
    // Items always get a version on put; a missing one (an item written by hand) reads as 0.
    let version = match attributes.remove(VERSION) {
        None => 0,
        Some(AttributeValue::N(n)) => n.parse::<u64>().map_err(|_| invalid("version is not a count"))?,
        Some(_) => return Err(invalid("version is not a number")),
    };
    let mut attrs = Map::new();
    for (name, value) in attributes {
        let value = match value {
            // serde_dynamo reads a set as an array in DynamoDB's (arbitrary) order; the port
            // promises ascending order. Sets are only ever top-level attributes (updates make
            // them), so nested ones are left as serde_dynamo reads them.
            AttributeValue::Ss(members) => Value::Array(string_set(&members).into_iter().map(Value::String).collect()),
            value => serde_dynamo::from_attribute_value(value)
                .map_err(|err| invalid(&format!("attribute `{name}`: {err}")))?,
        };
        attrs.insert(name, value);
    }
    Ok(Item {
        key: Key { pk, sk },
        kind,
        gsi1,
        gsi2,
        ttl,
        version,
        attrs,
    })
}

fn take_string(attributes: &mut HashMap<String, AttributeValue>, name: &str) -> Result<Option<String>, StoreError> {
    match attributes.remove(name) {
        None => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value)),
        Some(_) => Err(StoreError::InvalidItem(format!("attribute `{name}` is not a string"))),
    }
}

fn take_index_key(
    attributes: &mut HashMap<String, AttributeValue>,
    pk_name: &str,
    sk_name: &str,
) -> Result<Option<IndexKey>, StoreError> {
    let pk = take_string(attributes, pk_name)?;
    let sk = take_string(attributes, sk_name)?;
    // An item is in a GSI only with both of its key attributes.
    Ok(pk.zip(sk).map(|(pk, sk)| IndexKey { pk, sk }))
}

/// The ExclusiveStartKey of a query of partition `pk` of `index`, from a [`ResumeKey`].
fn start_key(
    start: ResumeKey,
    index: Index,
    pk_name: &str,
    pk: &str,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let expected: &[&str] = match index {
        Index::Table => &[PK, SK],
        Index::Gsi1 => &[GSI1_PK, GSI1_SK, PK, SK],
        Index::Gsi2 => &[GSI2_PK, GSI2_SK, PK, SK],
    };
    let invalid = || StoreError::InvalidRequest("the resume key does not belong to this query".into());
    if start.0.len() != expected.len()
        || expected
            .iter()
            .any(|name| start.0.get(*name).is_none_or(String::is_empty))
        || start.0.get(pk_name).map(String::as_str) != Some(pk)
    {
        return Err(invalid());
    }
    Ok(start
        .0
        .into_iter()
        .map(|(name, value)| (name, AttributeValue::S(value)))
        .collect())
}

/// A [`ResumeKey`] from a LastEvaluatedKey.
/// A page of a Query or Scan answer: its items, and where the next one starts.
fn page(
    items: Option<Vec<HashMap<String, AttributeValue>>>,
    last_evaluated_key: Option<HashMap<String, AttributeValue>>,
) -> Result<Page, StoreError> {
    let items = items
        .unwrap_or_default()
        .into_iter()
        .map(item_from_attributes)
        .collect::<Result<Vec<_>, _>>()?;
    let next = match last_evaluated_key {
        Some(last) if !last.is_empty() => Some(resume_key(last)?),
        _ => None,
    };
    Ok(Page { items, next })
}

fn resume_key(last: HashMap<String, AttributeValue>) -> Result<ResumeKey, StoreError> {
    last.into_iter()
        .map(|(name, value)| match value {
            AttributeValue::S(value) => Ok((name, value)),
            _ => Err(StoreError::Unavailable(format!(
                "LastEvaluatedKey attribute `{name}` is not a string"
            ))),
        })
        .collect::<Result<_, _>>()
        .map(ResumeKey)
}

/// What a call's `CapacityUnits` are when DynamoDB does not split them into read and write.
#[derive(Clone, Copy)]
enum Spent {
    Read,
    Write,
}

/// Adds what DynamoDB reports a call consumed to the request's tally. A failed call reports
/// nothing (the error carries no `ConsumedCapacity`), though DynamoDB bills a failed
/// conditional write: the tally misses those, which the embedded adapter counts.
fn record_consumed(consumed: Option<&ConsumedCapacity>, spent: Spent) {
    let Some(consumed) = consumed else { return };
    let split = (consumed.read_capacity_units(), consumed.write_capacity_units());
    let units = match (split, spent) {
        ((None, None), Spent::Read) => Capacity::read(consumed.capacity_units().unwrap_or_default()),
        ((None, None), Spent::Write) => Capacity::write(consumed.capacity_units().unwrap_or_default()),
        ((read, write), _) => Capacity {
            read: read.unwrap_or_default(),
            write: write.unwrap_or_default(),
        },
    };
    capacity::record(units);
}

/// [`record_consumed`] for a call that reports per table (BatchGetItem, TransactWriteItems).
fn record_consumed_all(consumed: &[ConsumedCapacity], spent: Spent) {
    for table in consumed {
        record_consumed(Some(table), spent);
    }
}

fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(format!("building a DynamoDB request: {err}"))
}

fn unavailable(err: &(dyn std::error::Error + 'static)) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(err).to_string())
}

/// Maps the error of a single-item call.
fn map_sdk_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    match err.code() {
        Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
        // The item is part of a transaction in flight; the port names that a conflict.
        Some("TransactionConflictException") => StoreError::Conflict,
        // What the adapter cannot check up front, such as a set operation on an attribute that
        // is not a set or an `add` to one that is not a number: the request, not the backend.
        Some("ValidationException") => StoreError::InvalidRequest(DisplayErrorContext(&err).to_string()),
        Some(code) if is_refusal(code) => StoreError::Refused(DisplayErrorContext(&err).to_string()),
        Some(code) if is_throttling(code) => StoreError::Throttled(DisplayErrorContext(&err).to_string()),
        // Throttling, 5xx, timeouts and connection failures (which the SDK has already
        // retried), and any code not known to be permanent: transient.
        _ => unavailable(&err),
    }
}

/// Error codes of a request DynamoDB turned away unapplied because of its rate (after the
/// SDK's own retries).
fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded"
    )
}

/// Error codes that no retry will change: the deployment is wrong (a missing table, a role
/// without the permission, bad credentials), so they are bugs to alarm on, not `503`s.
fn is_refusal(code: &str) -> bool {
    matches!(
        code,
        "ResourceNotFoundException"
            | "AccessDeniedException"
            | "UnrecognizedClientException"
            | "MissingAuthenticationTokenException"
            | "InvalidSignatureException"
            | "IncompleteSignatureException"
            | "ExpiredTokenException"
    )
}

/// Maps the error of TransactWriteItems, reading the cancellation reasons (one per action, in
/// order).
fn map_transaction_error<R>(err: SdkError<TransactWriteItemsError, R>) -> StoreError
where
    R: fmt::Debug + 'static,
{
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() else {
        return map_sdk_error(err);
    };
    let codes: Vec<Option<&str>> = if cancelled.cancellation_reasons().is_empty() {
        // Without structured reasons, the message still lists them:
        // "Transaction cancelled, please refer cancellation reasons for specific reasons [A, None]".
        cancelled.message().map(reasons_from_message).unwrap_or_default()
    } else {
        cancelled
            .cancellation_reasons()
            .iter()
            .map(|reason| reason.code())
            .collect()
    };
    if let Some(index) = codes.iter().position(|code| *code == Some("ConditionalCheckFailed")) {
        return StoreError::TransactionConditionFailed { index };
    }
    if codes.contains(&Some("TransactionConflict")) {
        return StoreError::Conflict;
    }
    // A cancelled transaction applied nothing, whatever the reason.
    if codes
        .iter()
        .any(|code| matches!(code, Some("ThrottlingError" | "ProvisionedThroughputExceeded")))
    {
        return StoreError::Throttled(DisplayErrorContext(&err).to_string());
    }
    // An action DynamoDB found invalid against the stored item (see `map_sdk_error`).
    if codes.contains(&Some("ValidationError")) {
        return StoreError::InvalidRequest(DisplayErrorContext(&err).to_string());
    }
    unavailable(&err)
}

/// The reason codes listed at the end of a TransactionCanceledException message.
fn reasons_from_message(message: &str) -> Vec<Option<&str>> {
    let Some(list) = message.rfind('[').and_then(|start| {
        message[start + 1..]
            .find(']')
            .map(|len| &message[start + 1..start + 1 + len])
    }) else {
        return Vec::new();
    };
    list.split(',')
        .map(str::trim)
        .map(|code| (code != "None" && !code.is_empty()).then_some(code))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_reasons_from_message() {
        let message = "Transaction cancelled, please refer cancellation reasons for specific reasons \
                       [None, ConditionalCheckFailed, TransactionConflict]";
        assert_eq!(
            reasons_from_message(message),
            vec![None, Some("ConditionalCheckFailed"), Some("TransactionConflict")]
        );
        assert!(reasons_from_message("no list").is_empty());
    }

    #[test]
    fn item_round_trips_through_attributes() {
        let item = Item::new(
            Key::new("USER#1", "USER"),
            "user",
            &serde_json::json!({"name": "Ann", "age": 31, "tags": ["a"], "meta": {"x": null}, "ok": true}),
        )
        .unwrap()
        .with_gsi1(IndexKey::new("G1", "S1"))
        .with_ttl(1_700_000_000);
        let attributes = item_to_attributes(item.clone()).unwrap();
        assert!(!attributes.contains_key(GSI2_PK));
        assert_eq!(attributes.get(TYPE), Some(&AttributeValue::S("user".into())));
        assert_eq!(item_from_attributes(attributes).unwrap(), item);
    }

    #[test]
    fn refuses_reserved_attributes() {
        let item = Item::new(Key::new("a", "b"), "x", &serde_json::json!({"ttl": 1})).unwrap();
        assert!(matches!(item_to_attributes(item), Err(StoreError::InvalidRequest(_))));
    }

    #[test]
    fn update_expression_uses_placeholders_only() {
        let mut expr = Expr::new(100);
        let update = Update::new()
            .set("type_", 1)
            .remove("old")
            .add("count", 2)
            .gsi1(None)
            .gsi2(Some(IndexKey::new("p", "s")))
            .ttl(Some(5));
        let expression = expr.update(update).unwrap();
        let condition = expr.condition(&Condition::VersionEquals(3), true).unwrap().unwrap();
        assert!(expression.starts_with("SET ") && expression.contains(" REMOVE ") && expression.contains(" ADD "));
        for word in ["ttl", "version", "gsi", "count", "old"] {
            assert!(!expression.contains(word), "{expression}");
            assert!(!condition.contains(word), "{condition}");
        }
        let names = expr.names().unwrap();
        assert_eq!(names.values().filter(|name| name.as_str() == TTL).count(), 1);
    }

    #[test]
    fn update_refuses_one_attribute_twice() {
        let mut expr = Expr::new(0);
        let update = Update::new().set("a", 1).remove("a");
        assert!(matches!(expr.update(update), Err(StoreError::InvalidRequest(_))));
    }

    #[test]
    fn set_operations_use_placeholders_and_drop_empty_ones() {
        let mut expr = Expr::new(0);
        let update = Update::new()
            .add("count", 2)
            .add_to_set("tags", ["b", "a", "b"])
            .delete_from_set("old", ["x"])
            .add_to_set("none", Vec::<String>::new())
            .delete_from_set("nothing", Vec::<String>::new());
        let expression = expr.update(update).unwrap();
        // Numeric and set ADDs share one section: version, count, tags.
        let (add, delete) = expression.split_once(" DELETE ").unwrap();
        assert!(add.starts_with("ADD ") && !add.contains("SET ") && !add.contains("REMOVE "));
        assert_eq!(add.matches(',').count(), 2, "{expression}");
        assert!(!delete.contains(','), "{expression}");
        for word in ["tags", "old", "none", "nothing", "count"] {
            assert!(!expression.contains(word), "{expression}");
        }
        let names = expr.names().unwrap();
        assert!(!names.values().any(|name| name == "none" || name == "nothing"));
        let values = expr.values().unwrap();
        let sets: Vec<&AttributeValue> = values.values().filter(|value| value.is_ss()).collect();
        assert_eq!(sets.len(), 2);
        assert!(
            sets.contains(&&AttributeValue::Ss(vec!["a".into(), "b".into()])),
            "deduplicated"
        );
        assert!(sets.contains(&&AttributeValue::Ss(vec!["x".into()])));
    }

    #[test]
    fn an_update_of_only_empty_set_operations_still_adds_to_the_version() {
        let mut expr = Expr::new(0);
        let update = Update::new()
            .add_to_set("a", Vec::<String>::new())
            .delete_from_set("b", Vec::<String>::new());
        assert_eq!(expr.update(update).unwrap(), "ADD #n0 :v0");
        assert_eq!(expr.names().unwrap()["#n0"], VERSION);
    }

    #[test]
    fn update_refuses_one_attribute_in_two_set_operations() {
        let mut expr = Expr::new(0);
        let update = Update::new().add_to_set("a", ["x"]).delete_from_set("a", ["y"]);
        assert!(matches!(expr.update(update), Err(StoreError::InvalidRequest(_))));
    }

    #[test]
    fn string_sets_read_back_ascending() {
        let mut attributes =
            item_to_attributes(Item::new(Key::new("p", "s"), "x", &serde_json::json!({})).unwrap()).unwrap();
        let members = ["b", "", "a", "B"].map(String::from).to_vec();
        attributes.insert("tags".into(), AttributeValue::Ss(members));
        let item = item_from_attributes(attributes).unwrap();
        assert_eq!(item.attrs["tags"], serde_json::json!(["", "B", "a", "b"]));
    }

    #[test]
    fn batch_get_backoff_grows_and_is_bounded() {
        for attempt in 1..BATCH_GET_MAX_ATTEMPTS + 4 {
            let ceiling = BATCH_GET_FIRST_BACKOFF
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(BATCH_GET_MAX_BACKOFF);
            let wait = batch_get_backoff(attempt);
            assert!(wait <= ceiling && wait >= ceiling / 2, "attempt {attempt}: {wait:?}");
        }
        assert!(batch_get_backoff(u32::MAX) <= BATCH_GET_MAX_BACKOFF, "no overflow");
    }

    #[test]
    fn rewrites_ranges_dynamodb_refuses() {
        assert!(matches!(
            SortKeyBounds::of(SortKeyRange::Prefix(String::new())),
            Some(SortKeyBounds::All)
        ));
        assert!(SortKeyBounds::of(SortKeyRange::Between("b".into(), "a".into())).is_none());
        assert!(SortKeyBounds::of(SortKeyRange::Until(String::new())).is_none());
    }
}
