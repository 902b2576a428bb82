//! One suite of store behaviours, run against every adapter of the store port.
//!
//! Each case is an async function taking a fresh store and the [`ManualClock`] it reads; the
//! [`conformance!`] macro instantiates every case for one adapter as
//! `<adapter>_<case>` tests, so that the SQLite store the local API runs on and the DynamoDB
//! store production runs on are held to the same contract (see `shared::store`).
//!
//! Every case also builds its keys from a fresh ULID, so cases stay independent even if an
//! adapter factory ever hands out a shared table.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration};
use embedded::store::SqliteStore;
use serde_json::{Value, json};
use shared::clock::{Clock, ManualClock};
use shared::store::capacity::{Capacity, measure};
use shared::store::{
    Condition, Index, IndexKey, Item, Key, MAX_BATCH_GET_KEYS, MAX_TRANSACTION_ACTIONS, Page, Query, SortKeyRange,
    Store, StoreError, TxAction, Update,
};
use tests::moto::dynamo_store;
use tokio::sync::Barrier;

/// A fresh in-memory SQLite store.
async fn sqlite_store(clock: Arc<dyn Clock>) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open_temporary(clock).expect("opening a temporary SQLite store"))
}

/// Instantiates every case for one adapter: `conformance!(name, factory)` where `factory` is an
/// async `fn(Arc<dyn Clock>) -> Arc<dyn Store>` giving a fresh store.
macro_rules! conformance {
    ($adapter:ident, $factory:path) => {
        conformance!(@cases $adapter, $factory;
            get_of_missing_item_is_none,
            put_get_round_trips_every_field,
            put_get_round_trips_a_bare_item,
            put_replaces_the_whole_item,
            put_rejects_reserved_attributes,
            put_always_writes_whatever_is_there,
            put_absent_on_absent_item_succeeds,
            put_absent_on_live_item_fails,
            put_absent_on_expired_item_succeeds,
            put_exists_outcomes,
            put_version_equals_outcomes,
            put_attribute_equals_outcomes,
            attribute_absent_outcomes,
            below_outcomes,
            all_outcomes,
            batch_get_returns_live_items_in_key_order,
            batch_get_of_no_keys_is_empty,
            batch_get_invalid_requests,
            batch_get_of_max_keys_returns_them_all,
            update_bumps_version_and_applies_set_remove_add,
            update_moves_and_removes_gsi_keys,
            update_sets_and_removes_ttl,
            update_of_missing_item_fails,
            update_of_expired_item_fails,
            update_condition_outcomes,
            update_rejects_reserved_attributes,
            update_adds_to_and_deletes_from_string_sets,
            update_set_operations_without_values_only_bump_the_version,
            update_set_operations_naming_an_attribute_twice_are_invalid,
            set_operations_refuse_attributes_that_are_not_sets,
            transaction_set_operations_apply_all_or_nothing,
            delete_condition_outcomes,
            delete_of_expired_item,
            transaction_applies_every_action,
            transaction_rollback_names_first_failing_action,
            transaction_of_max_actions_rolls_back_on_the_last,
            transaction_of_max_actions_applies,
            transaction_invalid_requests_write_nothing,
            transaction_check_actions,
            transaction_conditions_treat_expired_items_as_absent,
            query_table_sort_key_ranges,
            query_gsi1_sort_key_ranges,
            query_gsi2_sort_key_ranges,
            query_pages_through_table_exactly_once,
            query_pages_through_gsi1_exactly_once,
            query_pages_through_gsi2_exactly_once,
            query_gsi_ties_order_by_table_key,
            query_resume_key_shape,
            query_limit_counts_expired_items,
            query_exclusion_leaves_out_items_whose_set_holds_a_value,
            query_records_hands_over_what_query_returns,
            gsis_are_sparse,
            ttl_hides_items_after_clock_advances,
            concurrent_conditional_puts_let_exactly_one_win,
            concurrent_adds_all_apply,
            concurrent_set_adds_all_apply,
            scan_pages_through_the_live_items_of_one_kind,
            small_items_cost_one_unit_per_call,
        );
    };
    (@cases $adapter:ident, $factory:path; $($case:ident),* $(,)?) => {
        paste::paste! {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn [<$adapter _ $case>]() {
                    let clock = Arc::new(ManualClock::default());
                    let store = $factory(clock.clone()).await;
                    $case(store, clock).await;
                }
            )*
        }
    };
}

conformance!(sqlite, sqlite_store);
conformance!(dynamo, dynamo_store);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A prefix no other case uses.
fn unique() -> String {
    ulid::Ulid::new().to_string()
}

fn item(pk: &str, sk: &str, attrs: Value) -> Item {
    Item::new(Key::new(pk, sk), "thing", &attrs).expect("attributes are a JSON object")
}

fn now(clock: &ManualClock) -> i64 {
    clock.now().timestamp()
}

/// Puts `item` unconditionally.
async fn seed(store: &Arc<dyn Store>, item: &Item) {
    store
        .put(item.clone(), Condition::Always)
        .await
        .expect("seeding an item");
}

/// An item whose ttl has passed: put while live, then the clock moves past it.
async fn seed_expired(store: &Arc<dyn Store>, clock: &ManualClock, item: Item) -> Item {
    let item = item.with_ttl(now(clock) + 60);
    seed(store, &item).await;
    clock.advance(Duration::seconds(61));
    assert_eq!(store.get(&item.key).await, Ok(None), "the item expired");
    item
}

async fn get(store: &Arc<dyn Store>, key: &Key) -> Option<Item> {
    store.get(key).await.expect("get")
}

/// Every page of `query`, checking that no page holds more than the limit.
async fn collect(store: &Arc<dyn Store>, query: Query) -> (Vec<Item>, usize) {
    let mut query = query;
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let Page { items: page, next } = store.query(query.clone()).await.expect("query");
        pages += 1;
        assert!(page.len() <= query.limit as usize, "a page holds at most `limit` items");
        items.extend(page);
        match next {
            Some(next) => query = query.start(Some(next)),
            None => return (items, pages),
        }
        assert!(pages < 10_000, "paging does not end");
    }
}

/// The sort key `item` has in `index`.
fn sort_key(index: Index, item: &Item) -> String {
    match index {
        Index::Table => item.key.sk.clone(),
        Index::Gsi1 => item.gsi1.as_ref().expect("item is in gsi1").sk.clone(),
        Index::Gsi2 => item.gsi2.as_ref().expect("item is in gsi2").sk.clone(),
    }
}

fn sort_keys(index: Index, items: &[Item]) -> Vec<String> {
    items.iter().map(|item| sort_key(index, item)).collect()
}

/// An item at sort key `sk` of partition `pk` of `index`; for a GSI its table key is unique.
fn placed(index: Index, pk: &str, sk: &str) -> Item {
    let attrs = json!({ "at": sk });
    match index {
        Index::Table => item(pk, sk, attrs),
        Index::Gsi1 => item(&format!("{pk}#T{}", unique()), "X", attrs).with_gsi1(IndexKey::new(pk, sk)),
        Index::Gsi2 => item(&format!("{pk}#T{}", unique()), "X", attrs).with_gsi2(IndexKey::new(pk, sk)),
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// get and put
// ---------------------------------------------------------------------------------------------

async fn get_of_missing_item_is_none(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    assert_eq!(store.get(&Key::new(format!("{p}#U"), "PROFILE")).await, Ok(None));
}

async fn put_get_round_trips_every_field(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let attrs = json!({
        "name": "Ada",
        "count": 3,
        "negative": -42,
        "price": 12.5,
        "active": true,
        "nothing": null,
        "empty": "",
        "tags": ["a", "b"],
        "nested": { "address": { "city": "Lisbon", "lines": ["1 Rua", 2, false] }, "list": [] },
        "empty_map": {},
    });
    let mut original = item(&format!("{p}#U"), "PROFILE", attrs)
        .with_gsi1(IndexKey::new(format!("{p}#G1"), "2030-01-01"))
        .with_gsi2(IndexKey::new(format!("{p}#G2"), "ada@example.com"))
        .with_ttl(now(&clock) + 3600);
    original.kind = "user".into();
    original.version = 7;
    store.put(original.clone(), Condition::Always).await.expect("put");
    assert_eq!(get(&store, &original.key).await, Some(original));
}

async fn put_get_round_trips_a_bare_item(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let original = item(&format!("{p}#U"), "PROFILE", json!({}));
    store.put(original.clone(), Condition::Always).await.expect("put");
    let found = get(&store, &original.key).await.expect("stored");
    assert_eq!(found, original);
    assert_eq!(
        (found.gsi1, found.gsi2, found.ttl, found.version),
        (None, None, None, 0)
    );
}

async fn put_replaces_the_whole_item(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let gsi = IndexKey::new(format!("{p}#G"), "1");
    let first = item(&format!("{p}#U"), "PROFILE", json!({ "a": 1, "b": 2 })).with_gsi1(gsi.clone());
    seed(&store, &first).await;
    let second = item(&format!("{p}#U"), "PROFILE", json!({ "a": 3 }));
    store.put(second.clone(), Condition::Always).await.expect("put");
    assert_eq!(get(&store, &second.key).await, Some(second));
    let page = store.query(Query::partition(Index::Gsi1, gsi.pk)).await.expect("query");
    assert!(page.items.is_empty(), "the replaced item left gsi1");
}

async fn put_rejects_reserved_attributes(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    for name in ["pk", "version", "ttl", "gsi1pk", "type"] {
        let mut attrs = serde_json::Map::new();
        attrs.insert(name.into(), json!("x"));
        let bad = item(&format!("{p}#U"), name, Value::Object(attrs));
        let result = store.put(bad.clone(), Condition::Always).await;
        assert!(
            matches!(result, Err(StoreError::InvalidRequest(_))),
            "{name}: {result:?}"
        );
        assert_eq!(get(&store, &bad.key).await, None, "{name}: nothing written");
    }
}

async fn put_always_writes_whatever_is_there(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let first = item(&format!("{p}#U"), "PROFILE", json!({ "n": 1 }));
    store
        .put(first.clone(), Condition::Always)
        .await
        .expect("put on absent");
    let second = item(&format!("{p}#U"), "PROFILE", json!({ "n": 2 }));
    store.put(second.clone(), Condition::Always).await.expect("put on live");
    assert_eq!(get(&store, &second.key).await, Some(second));
}

async fn put_absent_on_absent_item_succeeds(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let new = item(&format!("{p}#U"), "PROFILE", json!({ "n": 1 }));
    store.put(new.clone(), Condition::Absent).await.expect("put");
    assert_eq!(get(&store, &new.key).await, Some(new));
}

async fn put_absent_on_live_item_fails(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let existing = item(&format!("{p}#U"), "PROFILE", json!({ "n": 1 }));
    seed(&store, &existing).await;
    let other = item(&format!("{p}#U"), "PROFILE", json!({ "n": 2 }));
    assert_eq!(
        store.put(other, Condition::Absent).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(get(&store, &existing.key).await, Some(existing), "unchanged");
}

async fn put_absent_on_expired_item_succeeds(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let expired = seed_expired(&store, &clock, item(&format!("{p}#H"), "HOLD", json!({ "n": 1 }))).await;
    let new = item(&format!("{p}#H"), "HOLD", json!({ "n": 2 }));
    store
        .put(new.clone(), Condition::Absent)
        .await
        .expect("expired counts as absent");
    assert_eq!(get(&store, &expired.key).await, Some(new));
}

async fn put_exists_outcomes(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let live = item(&format!("{p}#L"), "X", json!({ "n": 1 }));
    seed(&store, &live).await;
    let replacement = item(&format!("{p}#L"), "X", json!({ "n": 2 }));
    store
        .put(replacement.clone(), Condition::Exists)
        .await
        .expect("exists on live");
    assert_eq!(get(&store, &live.key).await, Some(replacement));

    let missing = item(&format!("{p}#M"), "X", json!({ "n": 1 }));
    assert_eq!(
        store.put(missing.clone(), Condition::Exists).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(get(&store, &missing.key).await, None);

    let expired = seed_expired(&store, &clock, item(&format!("{p}#E"), "X", json!({ "n": 1 }))).await;
    let mut again = expired.clone();
    again.ttl = None;
    assert_eq!(
        store.put(again, Condition::Exists).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(get(&store, &expired.key).await, None);
}

async fn put_version_equals_outcomes(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let mut stored = item(&format!("{p}#U"), "X", json!({ "n": 1 }));
    stored.version = 3;
    seed(&store, &stored).await;

    let mut wrong = stored.clone();
    wrong.version = 5;
    wrong.attrs.insert("n".into(), json!(2));
    assert_eq!(
        store.put(wrong.clone(), Condition::VersionEquals(4)).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(get(&store, &stored.key).await, Some(stored.clone()), "unchanged");

    let mut next = wrong;
    next.version = 4;
    store
        .put(next.clone(), Condition::VersionEquals(3))
        .await
        .expect("right version");
    assert_eq!(
        get(&store, &stored.key).await,
        Some(next),
        "put writes the version it carries"
    );

    let missing = item(&format!("{p}#M"), "X", json!({}));
    assert_eq!(
        store.put(missing, Condition::VersionEquals(0)).await,
        Err(StoreError::ConditionFailed)
    );

    let expired = seed_expired(&store, &clock, item(&format!("{p}#E"), "X", json!({}))).await;
    assert_eq!(
        store
            .put(expired.clone(), Condition::VersionEquals(expired.version))
            .await,
        Err(StoreError::ConditionFailed)
    );
}

async fn attribute_absent_outcomes(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(&format!("{p}#U"), "X", json!({ "status": "open" }));
    seed(&store, &stored).await;
    let mut next = stored.clone();
    next.attrs.insert("deletedAt".into(), json!("2026-01-01T00:00:00Z"));

    // A present attribute, and no item at all, fail the condition.
    let missing = item(&format!("{p}#M"), "X", json!({}));
    assert_eq!(
        store
            .put(missing.clone(), Condition::AttributeAbsent("deletedAt".into()))
            .await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(get(&store, &missing.key).await, None);
    assert_eq!(
        store
            .put(next.clone(), Condition::AttributeAbsent("status".into()))
            .await,
        Err(StoreError::ConditionFailed)
    );
    store
        .update(
            &stored.key,
            Update::new().set("deletedAt", "2026-01-01T00:00:00Z"),
            Condition::AttributeAbsent("deletedAt".into()),
        )
        .await
        .expect("attribute absent");
    assert_eq!(
        store
            .update(
                &stored.key,
                Update::new().add("n", 1),
                Condition::AttributeAbsent("deletedAt".into())
            )
            .await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        store
            .put(next.clone(), Condition::AttributeAbsent("version".into()))
            .await
            .map_err(|err| matches!(err, StoreError::InvalidRequest(_))),
        Err(true),
        "a reserved name is refused"
    );

    let expired = seed_expired(&store, &clock, item(&format!("{p}#E"), "X", json!({}))).await;
    assert_eq!(
        store
            .put(expired.clone(), Condition::AttributeAbsent("deletedAt".into()))
            .await,
        Err(StoreError::ConditionFailed),
        "an expired item is absent, so it has no attributes to lack"
    );
}

async fn below_outcomes(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let counter = item(&format!("{p}#C"), "X", json!({ "slots": 1, "label": "x" }));
    seed(&store, &counter).await;
    let add = |by| Update::new().add("slots", by);
    // Concurrent adds under the cap: exactly `limit - start` of them land.
    let results =
        futures::future::join_all((0..4).map(|_| store.update(&counter.key, add(1), Condition::below("slots", 3))))
            .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|err| *err == StoreError::ConditionFailed)
    );
    assert_eq!(get(&store, &counter.key).await.unwrap().attrs["slots"], json!(3));

    // A missing attribute counts as 0 (the condition is for integer counters only).
    store
        .update(&counter.key, add(1), Condition::below("missing", 1))
        .await
        .expect("0 < 1");
    assert_eq!(
        store.update(&counter.key, add(1), Condition::below("missing", 0)).await,
        Err(StoreError::ConditionFailed)
    );
    // No item, or an expired one, holds nothing.
    let missing = item(&format!("{p}#M"), "X", json!({}));
    assert_eq!(
        store.put(missing.clone(), Condition::below("slots", 10)).await,
        Err(StoreError::ConditionFailed)
    );
    let expired = seed_expired(&store, &clock, item(&format!("{p}#E"), "X", json!({}))).await;
    assert_eq!(
        store.put(expired, Condition::below("slots", 10)).await,
        Err(StoreError::ConditionFailed)
    );
    assert!(matches!(
        store
            .update(&counter.key, add(1), Condition::below("version", 10))
            .await,
        Err(StoreError::InvalidRequest(_))
    ));
}

async fn all_outcomes(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(&format!("{p}#A"), "X", json!({ "slots": 2 }));
    seed(&store, &stored).await;
    let both = |limit| {
        Condition::All(vec![
            Condition::AttributeAbsent("deletedAt".into()),
            Condition::below("slots", limit),
        ])
    };
    store
        .update(&stored.key, Update::new().add("slots", 1), both(3))
        .await
        .expect("both hold");
    assert_eq!(
        store.update(&stored.key, Update::new().add("slots", 1), both(3)).await,
        Err(StoreError::ConditionFailed),
        "the second fails"
    );
    store
        .update(
            &stored.key,
            Update::new().set("deletedAt", "2026-01-01"),
            Condition::Always,
        )
        .await
        .unwrap();
    assert_eq!(
        store.update(&stored.key, Update::new().add("slots", 1), both(10)).await,
        Err(StoreError::ConditionFailed),
        "the first fails"
    );
    // In a transaction, a failed `All` names its action.
    let other = item(&format!("{p}#B"), "X", json!({}));
    assert_eq!(
        store
            .transact(vec![
                TxAction::Put {
                    item: other.clone(),
                    condition: Condition::Absent
                },
                TxAction::Update {
                    key: stored.key.clone(),
                    update: Update::new().add("slots", 1),
                    condition: both(10)
                },
            ])
            .await,
        Err(StoreError::TransactionConditionFailed { index: 1 })
    );
    assert_eq!(get(&store, &other.key).await, None);
    assert!(matches!(
        store
            .update(
                &stored.key,
                Update::new().add("slots", 1),
                Condition::All(vec![both(10)])
            )
            .await,
        Err(StoreError::InvalidRequest(_))
    ));
}

async fn put_attribute_equals_outcomes(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(
        &format!("{p}#U"),
        "X",
        json!({ "status": "open", "n": 5, "address": { "city": "Lisbon", "zip": ["1000", 1] } }),
    );
    seed(&store, &stored).await;
    let mut next = stored.clone();
    next.attrs.insert("status".into(), json!("closed"));

    for condition in [
        Condition::attribute_equals("status", "closed"),
        Condition::attribute_equals("n", 6),
        Condition::attribute_equals("n", "5"),
        Condition::attribute_equals("missing", "open"),
        Condition::attribute_equals("address", json!({ "city": "Porto", "zip": ["1000", 1] })),
    ] {
        assert_eq!(
            store.put(next.clone(), condition.clone()).await,
            Err(StoreError::ConditionFailed),
            "{condition:?}"
        );
        assert_eq!(
            get(&store, &stored.key).await,
            Some(stored.clone()),
            "unchanged after {condition:?}"
        );
    }
    for condition in [
        Condition::attribute_equals("status", "open"),
        Condition::attribute_equals("n", 5),
        Condition::attribute_equals("address", json!({ "city": "Lisbon", "zip": ["1000", 1] })),
    ] {
        store
            .put(stored.clone(), condition.clone())
            .await
            .unwrap_or_else(|err| panic!("{condition:?}: {err}"));
    }
    store
        .put(next.clone(), Condition::attribute_equals("status", "open"))
        .await
        .expect("equal attribute");
    assert_eq!(get(&store, &stored.key).await, Some(next));

    let expired = seed_expired(
        &store,
        &clock,
        item(&format!("{p}#E"), "X", json!({ "status": "open" })),
    )
    .await;
    assert_eq!(
        store.put(expired, Condition::attribute_equals("status", "open")).await,
        Err(StoreError::ConditionFailed)
    );
}

// ---------------------------------------------------------------------------------------------
// batch get
// ---------------------------------------------------------------------------------------------

async fn batch_get_returns_live_items_in_key_order(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let mut full = item(
        &format!("{p}#A"),
        "PROFILE",
        json!({ "name": "Ada", "n": 3, "tags": ["x"], "nested": { "a": [1, null] } }),
    )
    .with_gsi1(IndexKey::new(format!("{p}#G1"), "1"))
    .with_gsi2(IndexKey::new(format!("{p}#G2"), "2"))
    .with_ttl(now(&clock) + 3600);
    full.kind = "user".into();
    full.version = 7;
    // Same partition, and another one: a batch spans partitions.
    let bare = item(&format!("{p}#A"), "OTHER", json!({}));
    let elsewhere = item(&format!("{p}#B"), "X", json!({ "at": "b" }));
    for stored in [&full, &bare, &elsewhere] {
        seed(&store, stored).await;
    }
    let expired = seed_expired(&store, &clock, item(&format!("{p}#A"), "HOLD", json!({}))).await;
    let absent = Key::new(format!("{p}#C"), "X");

    let keys = [
        elsewhere.key.clone(),
        absent.clone(),
        full.key.clone(),
        expired.key.clone(),
        bare.key.clone(),
    ];
    let found = store.batch_get(&keys).await.expect("batch get");
    assert_eq!(
        found,
        vec![elsewhere.clone(), full.clone(), bare.clone()],
        "live items in key order, absent and expired ones left out"
    );
    for found in &found {
        assert_eq!(
            get(&store, &found.key).await.as_ref(),
            Some(found),
            "every field as get reads it"
        );
    }
    assert_eq!(
        store.batch_get(&[absent, expired.key]).await,
        Ok(vec![]),
        "nothing live"
    );
}

async fn batch_get_of_no_keys_is_empty(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    assert_eq!(store.batch_get(&[]).await, Ok(vec![]));
}

async fn batch_get_invalid_requests(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(&format!("{p}#P"), "000", json!({}));
    seed(&store, &stored).await;
    let too_many: Vec<Key> = (0..=MAX_BATCH_GET_KEYS)
        .map(|i| Key::new(format!("{p}#P"), format!("{i:03}")))
        .collect();
    let twice = vec![
        stored.key.clone(),
        Key::new(format!("{p}#P"), "001"),
        stored.key.clone(),
    ];
    for (what, keys) in [
        ("more than the maximum", too_many),
        ("one key twice", twice),
        (
            "an empty sort key",
            vec![stored.key.clone(), Key::new(format!("{p}#P"), "")],
        ),
        ("an empty partition key", vec![Key::new("", "000")]),
    ] {
        let result = store.batch_get(&keys).await;
        assert!(
            matches!(result, Err(StoreError::InvalidRequest(_))),
            "{what}: {result:?}"
        );
    }
}

/// A hundred items of 180 kB each: more than the 16 MB one BatchGetItem call returns, so the
/// DynamoDB adapter must fetch the keys it was told to retry.
async fn batch_get_of_max_keys_returns_them_all(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let filler = "x".repeat(180_000);
    let mut stored: Vec<Item> = Vec::with_capacity(MAX_BATCH_GET_KEYS);
    for i in 0..MAX_BATCH_GET_KEYS {
        let placed = item(
            &format!("{p}#P{}", i % 7),
            &format!("{i:03}"),
            json!({ "i": i, "filler": filler }),
        );
        seed(&store, &placed).await;
        stored.push(placed);
    }
    // Asked for in an order that is neither the table's nor the one they were written in
    // (37 is prime to 100, so this visits every item once).
    let wanted: Vec<Item> = (0..MAX_BATCH_GET_KEYS)
        .map(|i| stored[i * 37 % MAX_BATCH_GET_KEYS].clone())
        .collect();
    let keys: Vec<Key> = wanted.iter().map(|item| item.key.clone()).collect();
    let found = store.batch_get(&keys).await.expect("batch get");
    let found_keys: Vec<Key> = found.iter().map(|item| item.key.clone()).collect();
    assert_eq!(found_keys, keys, "every item, in key order");
    // Not assert_eq: a failure would print 36 MB of filler.
    assert!(found == wanted, "whole items");
}

// ---------------------------------------------------------------------------------------------
// update
// ---------------------------------------------------------------------------------------------

async fn update_bumps_version_and_applies_set_remove_add(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let ttl = now(&clock) + 3600;
    let mut stored = item(
        &format!("{p}#U"),
        "X",
        json!({ "name": "a", "gone": 1, "n": 10, "keep": [1] }),
    )
    .with_gsi1(IndexKey::new(format!("{p}#G1"), "1"))
    .with_gsi2(IndexKey::new(format!("{p}#G2"), "2"))
    .with_ttl(ttl);
    stored.version = 3;
    seed(&store, &stored).await;

    let update = Update::new()
        .set("name", "b")
        .set("tags", json!(["x", { "y": null }]))
        .remove("gone")
        .remove("never_there")
        .add("n", 5)
        .add("fresh", -2);
    let updated = store
        .update(&stored.key, update, Condition::Always)
        .await
        .expect("update");
    let mut expected = stored.clone();
    expected.version = 4;
    expected.attrs = json!({ "name": "b", "tags": ["x", { "y": null }], "n": 15, "keep": [1], "fresh": -2 })
        .as_object()
        .cloned()
        .expect("object");
    assert_eq!(updated, expected, "update returns the item as written");
    assert_eq!(get(&store, &stored.key).await, Some(expected.clone()));

    let again = store
        .update(&stored.key, Update::new(), Condition::Always)
        .await
        .expect("empty update");
    assert_eq!(again.version, 5, "even an empty update bumps the version");
    assert_eq!(again.attrs, expected.attrs);
}

async fn update_moves_and_removes_gsi_keys(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let (g1a, g1b, g2) = (format!("{p}#G1A"), format!("{p}#G1B"), format!("{p}#G2"));
    let stored = item(&format!("{p}#U"), "X", json!({}))
        .with_gsi1(IndexKey::new(&g1a, "a"))
        .with_gsi2(IndexKey::new(&g2, "x"));
    seed(&store, &stored).await;
    let in_index = |index: Index, pk: String| {
        let store = store.clone();
        async move { store.query(Query::partition(index, pk)).await.expect("query").items }
    };
    assert_eq!(in_index(Index::Gsi1, g1a.clone()).await.len(), 1);

    let moved = store
        .update(
            &stored.key,
            Update::new().gsi1(Some(IndexKey::new(&g1b, "b"))),
            Condition::Always,
        )
        .await
        .expect("move in gsi1");
    assert_eq!(moved.gsi1, Some(IndexKey::new(&g1b, "b")));
    assert_eq!(moved.gsi2, stored.gsi2, "gsi2 untouched");
    assert!(
        in_index(Index::Gsi1, g1a.clone()).await.is_empty(),
        "left its old gsi1 partition"
    );
    assert_eq!(in_index(Index::Gsi1, g1b.clone()).await, vec![moved.clone()]);

    let removed = store
        .update(&stored.key, Update::new().gsi2(None), Condition::Always)
        .await
        .expect("take out of gsi2");
    assert_eq!(removed.gsi2, None);
    assert!(in_index(Index::Gsi2, g2.clone()).await.is_empty(), "left gsi2");
    assert_eq!(get(&store, &stored.key).await.and_then(|item| item.gsi2), None);

    let back = store
        .update(
            &stored.key,
            Update::new().gsi2(Some(IndexKey::new(&g2, "y"))),
            Condition::Always,
        )
        .await
        .expect("back into gsi2");
    assert_eq!(in_index(Index::Gsi2, g2).await, vec![back.clone()]);
    assert_eq!(back.version, 3);
}

async fn update_sets_and_removes_ttl(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(&format!("{p}#H"), "X", json!({}));
    seed(&store, &stored).await;
    let ttl = now(&clock) + 600;

    let with_ttl = store
        .update(&stored.key, Update::new().ttl(Some(ttl)), Condition::Always)
        .await
        .expect("set ttl");
    assert_eq!(with_ttl.ttl, Some(ttl));
    assert_eq!(get(&store, &stored.key).await.and_then(|item| item.ttl), Some(ttl));

    let without = store
        .update(&stored.key, Update::new().ttl(None), Condition::Always)
        .await
        .expect("remove ttl");
    assert_eq!(without.ttl, None);
    clock.advance(Duration::seconds(601));
    assert_eq!(get(&store, &stored.key).await, Some(without), "no ttl, no expiry");

    store
        .update(&stored.key, Update::new().ttl(Some(now(&clock) - 1)), Condition::Always)
        .await
        .expect("set a past ttl");
    assert_eq!(
        get(&store, &stored.key).await,
        None,
        "a past ttl hides the item at once"
    );
}

async fn update_of_missing_item_fails(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let key = Key::new(format!("{p}#U"), "PROFILE");
    for condition in [Condition::Always, Condition::Absent, Condition::Exists] {
        assert_eq!(
            store.update(&key, Update::new().set("a", 1), condition.clone()).await,
            Err(StoreError::ConditionFailed),
            "{condition:?}"
        );
    }
    assert_eq!(get(&store, &key).await, None, "update never creates an item");
}

async fn update_of_expired_item_fails(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let expired = seed_expired(&store, &clock, item(&format!("{p}#H"), "X", json!({}))).await;
    for condition in [Condition::Always, Condition::Absent, Condition::Exists] {
        assert_eq!(
            store
                .update(&expired.key, Update::new().ttl(None), condition.clone())
                .await,
            Err(StoreError::ConditionFailed),
            "{condition:?}"
        );
    }
    assert_eq!(get(&store, &expired.key).await, None, "still expired");
}

async fn update_condition_outcomes(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let mut stored = item(&format!("{p}#U"), "X", json!({ "status": "open", "n": 5 }));
    stored.version = 2;
    seed(&store, &stored).await;
    let bump = || Update::new().add("bumps", 1);

    for condition in [
        Condition::Absent,
        Condition::VersionEquals(1),
        Condition::attribute_equals("status", "closed"),
        Condition::attribute_equals("missing", "open"),
        Condition::attribute_equals("n", "5"),
    ] {
        assert_eq!(
            store.update(&stored.key, bump(), condition.clone()).await,
            Err(StoreError::ConditionFailed),
            "{condition:?}"
        );
    }
    assert_eq!(
        get(&store, &stored.key).await,
        Some(stored.clone()),
        "failed updates change nothing"
    );

    let mut version = 2;
    for condition in [
        Condition::VersionEquals(2),
        Condition::Always,
        Condition::Exists,
        Condition::attribute_equals("status", "open"),
        Condition::attribute_equals("n", 5),
    ] {
        let updated = store
            .update(&stored.key, bump(), condition.clone())
            .await
            .unwrap_or_else(|err| panic!("{condition:?}: {err}"));
        version += 1;
        assert_eq!(updated.version, version, "{condition:?}");
    }
    let found = get(&store, &stored.key).await.expect("stored");
    assert_eq!(found.attrs.get("bumps"), Some(&json!(5)));
}

async fn update_rejects_reserved_attributes(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(&format!("{p}#U"), "X", json!({ "n": 1 }));
    seed(&store, &stored).await;
    for update in [
        Update::new().set("pk", "other"),
        Update::new().set("version", 9),
        Update::new().remove("ttl"),
        Update::new().add("version", 1),
        Update::new().set("n", 2).set("gsi1sk", "x"),
    ] {
        let result = store.update(&stored.key, update.clone(), Condition::Always).await;
        assert!(
            matches!(result, Err(StoreError::InvalidRequest(_))),
            "{update:?}: {result:?}"
        );
    }
    assert_eq!(get(&store, &stored.key).await, Some(stored), "nothing changed");
}

/// The attributes of `value`, which must be a JSON object.
fn attrs(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

async fn update_adds_to_and_deletes_from_string_sets(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(&format!("{p}#U"), "X", json!({ "name": "a" }));
    seed(&store, &stored).await;
    let update = |update: Update| {
        let store = store.clone();
        let key = stored.key.clone();
        async move {
            let updated = store.update(&key, update, Condition::Exists).await.expect("update");
            assert_eq!(get(&store, &key).await.as_ref(), Some(&updated), "returned as written");
            updated
        }
    };

    let created = update(Update::new().add_to_set("tags", ["b", "a", "b"])).await;
    assert_eq!(
        created.attrs,
        attrs(json!({ "name": "a", "tags": ["a", "b"] })),
        "created"
    );
    assert_eq!(created.version, 1);

    let added = update(Update::new().add_to_set("tags", ["c", "a", "B"])).await;
    assert_eq!(added.attrs["tags"], json!(["B", "a", "b", "c"]), "the union, ascending");

    let deleted = update(Update::new().delete_from_set("tags", ["b", "z", "B"])).await;
    assert_eq!(deleted.attrs["tags"], json!(["a", "c"]), "the difference");

    let emptied = update(Update::new().delete_from_set("tags", ["c", "a"])).await;
    assert_eq!(emptied.attrs, attrs(json!({ "name": "a" })), "no members, no attribute");

    let nothing = update(Update::new().delete_from_set("tags", ["a"])).await;
    assert_eq!(nothing.attrs, emptied.attrs, "deleting from a missing set does nothing");

    let both = update(
        Update::new()
            .add_to_set("one", [""])
            .add_to_set("two", ["x", "y"])
            .set("name", "b")
            .add("n", 2),
    )
    .await;
    assert_eq!(
        both.attrs,
        attrs(json!({ "name": "b", "n": 2, "one": [""], "two": ["x", "y"] })),
        "set operations mix with the others; an empty string is a member like any"
    );
    assert_eq!(both.version, 6, "every update bumps the version");
}

async fn update_set_operations_without_values_only_bump_the_version(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(&format!("{p}#U"), "X", json!({ "n": 1 }));
    seed(&store, &stored).await;
    let none = Vec::<String>::new;
    let with_set = store
        .update(&stored.key, Update::new().add_to_set("tags", ["a"]), Condition::Always)
        .await
        .expect("add");
    for (i, update) in [
        Update::new().add_to_set("tags", none()),
        Update::new().delete_from_set("tags", none()),
        Update::new().add_to_set("missing", none()),
        Update::new().delete_from_set("missing", none()),
        Update::new()
            .add_to_set("tags", none())
            .delete_from_set("missing", none()),
    ]
    .into_iter()
    .enumerate()
    {
        let updated = store
            .update(&stored.key, update.clone(), Condition::Always)
            .await
            .unwrap_or_else(|err| panic!("{update:?}: {err}"));
        assert_eq!(updated.attrs, with_set.attrs, "{update:?} changes no attribute");
        assert_eq!(
            updated.version,
            with_set.version + 1 + i as u64,
            "{update:?} bumps the version"
        );
    }
}

async fn update_set_operations_naming_an_attribute_twice_are_invalid(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(&format!("{p}#U"), "X", json!({ "n": 1 }));
    seed(&store, &stored).await;
    let stored = store
        .update(&stored.key, Update::new().add_to_set("tags", ["a"]), Condition::Always)
        .await
        .expect("add");
    for update in [
        Update::new().add_to_set("tags", ["b"]).delete_from_set("tags", ["a"]),
        Update::new().add_to_set("tags", ["b"]).add_to_set("tags", ["c"]),
        Update::new().delete_from_set("tags", ["a"]).remove("tags"),
        Update::new().set("tags", json!(["b"])).add_to_set("tags", ["c"]),
        Update::new().add("tags", 1).delete_from_set("tags", ["a"]),
        Update::new()
            .add_to_set("tags", Vec::<String>::new())
            .delete_from_set("tags", ["a"]),
        Update::new().add_to_set("version", ["a"]),
        Update::new().delete_from_set("gsi1pk", ["a"]),
        Update::new().add_to_set("type", Vec::<String>::new()),
    ] {
        let result = store.update(&stored.key, update.clone(), Condition::Always).await;
        assert!(
            matches!(result, Err(StoreError::InvalidRequest(_))),
            "{update:?}: {result:?}"
        );
    }
    assert_eq!(get(&store, &stored.key).await, Some(stored), "nothing changed");
}

async fn set_operations_refuse_attributes_that_are_not_sets(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(
        &format!("{p}#U"),
        "X",
        json!({ "list": ["a"], "s": "a", "n": 1, "map": { "a": 1 } }),
    );
    seed(&store, &stored).await;
    // moto applies an update's clauses one by one and keeps those before a failing one, so
    // only the error is checked here, not what the item holds afterwards.
    let refused = |update: Update| {
        let store = store.clone();
        let key = stored.key.clone();
        async move {
            let result = store.update(&key, update.clone(), Condition::Always).await;
            assert!(
                matches!(result, Err(StoreError::InvalidRequest(_))),
                "{update:?}: {result:?}"
            );
        }
    };
    for name in ["list", "s", "n", "map"] {
        refused(Update::new().add_to_set(name, ["b"])).await;
        refused(Update::new().delete_from_set(name, ["a"])).await;
    }

    let key = &stored.key;
    store
        .update(key, Update::new().add_to_set("tags", ["a", "b"]), Condition::Always)
        .await
        .expect("a new set");
    refused(Update::new().add("tags", 1)).await;
    assert_eq!(
        store
            .update(
                key,
                Update::new(),
                Condition::attribute_equals("tags", json!(["a", "b"]))
            )
            .await,
        Err(StoreError::ConditionFailed),
        "a set never equals a list"
    );

    // Read and put back, the set becomes a list.
    let read = get(&store, key).await.expect("stored");
    assert_eq!(read.attrs["tags"], json!(["a", "b"]));
    store.put(read.clone(), Condition::Always).await.expect("put back");
    refused(Update::new().add_to_set("tags", ["c"])).await;
    store
        .update(
            key,
            Update::new().add("n", 1),
            Condition::attribute_equals("tags", json!(["a", "b"])),
        )
        .await
        .expect("now a list, equal to an array");

    // And so does a set `set` over.
    store
        .update(
            key,
            Update::new().remove("tags").add_to_set("other", ["a"]),
            Condition::Always,
        )
        .await
        .expect("a second set");
    store
        .update(key, Update::new().set("other", json!(["a"])), Condition::Always)
        .await
        .expect("set over");
    refused(Update::new().delete_from_set("other", ["a"])).await;
}

async fn transaction_set_operations_apply_all_or_nothing(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let stored = item(&format!("{p}#A"), "X", json!({}));
    seed(&store, &stored).await;
    let stored = store
        .update(
            &stored.key,
            Update::new().add_to_set("tags", ["a"]).add_to_set("old", ["x"]),
            Condition::Always,
        )
        .await
        .expect("seed sets");
    let other = item(&format!("{p}#B"), "X", json!({ "status": "open" }));
    seed(&store, &other).await;
    let actions = |status: &str| {
        vec![
            TxAction::Update {
                key: stored.key.clone(),
                update: Update::new()
                    .add_to_set("tags", ["c", "b"])
                    .delete_from_set("old", ["x"])
                    .add_to_set("fresh", ["f"]),
                condition: Condition::VersionEquals(stored.version),
            },
            TxAction::Update {
                key: other.key.clone(),
                update: Update::new().add_to_set("tags", ["z"]),
                condition: Condition::attribute_equals("status", status),
            },
        ]
    };

    assert_eq!(
        store.transact(actions("closed")).await,
        Err(StoreError::TransactionConditionFailed { index: 1 })
    );
    assert_eq!(get(&store, &stored.key).await, Some(stored.clone()), "rolled back");
    assert_eq!(get(&store, &other.key).await, Some(other.clone()), "rolled back");

    store.transact(actions("open")).await.expect("conditions hold");
    let updated = get(&store, &stored.key).await.expect("kept");
    assert_eq!(updated.attrs, attrs(json!({ "tags": ["a", "b", "c"], "fresh": ["f"] })));
    assert_eq!(updated.version, stored.version + 1);
    let other_now = get(&store, &other.key).await.expect("kept");
    assert_eq!(other_now.attrs, attrs(json!({ "status": "open", "tags": ["z"] })));
    assert_eq!(other_now.version, 1);

    let invalid = vec![TxAction::Update {
        key: stored.key.clone(),
        update: Update::new().add_to_set("tags", ["d"]).delete_from_set("tags", ["a"]),
        condition: Condition::Always,
    }];
    assert!(matches!(
        store.transact(invalid).await,
        Err(StoreError::InvalidRequest(_))
    ));
    assert_eq!(get(&store, &stored.key).await, Some(updated), "nothing changed");
}

// ---------------------------------------------------------------------------------------------
// delete
// ---------------------------------------------------------------------------------------------

async fn delete_condition_outcomes(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let missing = Key::new(format!("{p}#M"), "X");
    store
        .delete(&missing, Condition::Always)
        .await
        .expect("deleting nothing is fine");
    store
        .delete(&missing, Condition::Absent)
        .await
        .expect("absent holds for nothing");
    for condition in [
        Condition::Exists,
        Condition::VersionEquals(0),
        Condition::attribute_equals("status", "open"),
    ] {
        assert_eq!(
            store.delete(&missing, condition.clone()).await,
            Err(StoreError::ConditionFailed),
            "{condition:?}"
        );
    }

    let mut stored = item(&format!("{p}#U"), "X", json!({ "status": "open", "n": 5 }));
    stored.version = 4;
    for condition in [
        Condition::Absent,
        Condition::VersionEquals(3),
        Condition::attribute_equals("status", "closed"),
        Condition::attribute_equals("missing", "open"),
    ] {
        seed(&store, &stored).await;
        assert_eq!(
            store.delete(&stored.key, condition.clone()).await,
            Err(StoreError::ConditionFailed),
            "{condition:?}"
        );
        assert_eq!(
            get(&store, &stored.key).await,
            Some(stored.clone()),
            "kept after {condition:?}"
        );
    }
    for condition in [
        Condition::Always,
        Condition::Exists,
        Condition::VersionEquals(4),
        Condition::attribute_equals("status", "open"),
        Condition::attribute_equals("n", 5),
    ] {
        seed(&store, &stored).await;
        store
            .delete(&stored.key, condition.clone())
            .await
            .unwrap_or_else(|err| panic!("{condition:?}: {err}"));
        assert_eq!(get(&store, &stored.key).await, None, "deleted with {condition:?}");
    }
}

async fn delete_of_expired_item(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let expired = seed_expired(
        &store,
        &clock,
        item(&format!("{p}#H"), "X", json!({ "status": "open" })),
    )
    .await;
    for condition in [
        Condition::Exists,
        Condition::VersionEquals(expired.version),
        Condition::attribute_equals("status", "open"),
    ] {
        assert_eq!(
            store.delete(&expired.key, condition.clone()).await,
            Err(StoreError::ConditionFailed),
            "{condition:?}"
        );
    }
    store
        .delete(&expired.key, Condition::Absent)
        .await
        .expect("expired counts as absent");
    store.delete(&expired.key, Condition::Always).await.expect("always");
    assert_eq!(get(&store, &expired.key).await, None);
}

// ---------------------------------------------------------------------------------------------
// transactions
// ---------------------------------------------------------------------------------------------

async fn transaction_applies_every_action(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let to_update = item(&format!("{p}#A"), "X", json!({ "n": 1 }));
    let to_delete = item(&format!("{p}#B"), "X", json!({}));
    let to_check = item(&format!("{p}#C"), "X", json!({ "status": "open" }));
    for existing in [&to_update, &to_delete, &to_check] {
        seed(&store, existing).await;
    }
    let new = item(&format!("{p}#D"), "X", json!({ "fresh": true })).with_gsi1(IndexKey::new(format!("{p}#G"), "1"));

    store
        .transact(vec![
            TxAction::Put {
                item: new.clone(),
                condition: Condition::Absent,
            },
            TxAction::Update {
                key: to_update.key.clone(),
                update: Update::new().add("n", 1).set("s", "x"),
                condition: Condition::VersionEquals(0),
            },
            TxAction::Delete {
                key: to_delete.key.clone(),
                condition: Condition::Exists,
            },
            TxAction::Check {
                key: to_check.key.clone(),
                condition: Condition::attribute_equals("status", "open"),
            },
        ])
        .await
        .expect("transaction");

    assert_eq!(get(&store, &new.key).await, Some(new));
    let updated = get(&store, &to_update.key).await.expect("kept");
    assert_eq!(updated.version, 1);
    assert_eq!(Value::Object(updated.attrs), json!({ "n": 2, "s": "x" }));
    assert_eq!(get(&store, &to_delete.key).await, None);
    assert_eq!(
        get(&store, &to_check.key).await,
        Some(to_check),
        "a check writes nothing"
    );
}

/// A four-action transaction (put, update, delete, check) over seeded items in which exactly
/// the actions in `failing` have a condition that does not hold.
fn four_actions(p: &str, failing: &[usize]) -> Vec<TxAction> {
    let condition = |index: usize, holds: Condition, fails: Condition| {
        if failing.contains(&index) { fails } else { holds }
    };
    vec![
        TxAction::Put {
            item: item(&format!("{p}#NEW"), "X", json!({})),
            condition: condition(0, Condition::Absent, Condition::Exists),
        },
        TxAction::Update {
            key: Key::new(format!("{p}#A"), "X"),
            update: Update::new().add("n", 1),
            condition: condition(1, Condition::VersionEquals(0), Condition::VersionEquals(9)),
        },
        TxAction::Delete {
            key: Key::new(format!("{p}#B"), "X"),
            condition: condition(2, Condition::Exists, Condition::Absent),
        },
        TxAction::Check {
            key: Key::new(format!("{p}#C"), "X"),
            condition: condition(
                3,
                Condition::attribute_equals("status", "open"),
                Condition::attribute_equals("status", "closed"),
            ),
        },
    ]
}

async fn transaction_rollback_names_first_failing_action(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let a = item(&format!("{p}#A"), "X", json!({ "n": 1 }));
    let b = item(&format!("{p}#B"), "X", json!({}));
    let c = item(&format!("{p}#C"), "X", json!({ "status": "open" }));
    for existing in [&a, &b, &c] {
        seed(&store, existing).await;
    }
    let unchanged = || async {
        assert_eq!(
            get(&store, &Key::new(format!("{p}#NEW"), "X")).await,
            None,
            "put rolled back"
        );
        assert_eq!(get(&store, &a.key).await, Some(a.clone()), "update rolled back");
        assert_eq!(get(&store, &b.key).await, Some(b.clone()), "delete rolled back");
        assert_eq!(get(&store, &c.key).await, Some(c.clone()));
    };

    for failing in [&[0][..], &[1], &[2], &[3], &[1, 3], &[2, 3], &[0, 1, 2, 3]] {
        let result = store.transact(four_actions(&p, failing)).await;
        assert_eq!(
            result,
            Err(StoreError::TransactionConditionFailed { index: failing[0] }),
            "failing {failing:?}"
        );
        unchanged().await;
    }
    store
        .transact(four_actions(&p, &[]))
        .await
        .expect("all conditions hold");
}

async fn transaction_of_max_actions_rolls_back_on_the_last(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let mut actions: Vec<TxAction> = (0..MAX_TRANSACTION_ACTIONS - 1)
        .map(|i| TxAction::Put {
            item: item(&format!("{p}#P"), &format!("{i:03}"), json!({ "i": i })),
            condition: Condition::Absent,
        })
        .collect();
    actions.push(TxAction::Check {
        key: Key::new(format!("{p}#MISSING"), "X"),
        condition: Condition::Exists,
    });
    assert_eq!(
        store.transact(actions).await,
        Err(StoreError::TransactionConditionFailed {
            index: MAX_TRANSACTION_ACTIONS - 1
        })
    );
    let page = store
        .query(Query::partition(Index::Table, format!("{p}#P")))
        .await
        .expect("query");
    assert!(page.items.is_empty(), "nothing written on rollback");
}

async fn transaction_of_max_actions_applies(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let actions: Vec<TxAction> = (0..MAX_TRANSACTION_ACTIONS)
        .map(|i| TxAction::Put {
            item: item(&format!("{p}#P"), &format!("{i:03}"), json!({ "i": i })),
            condition: Condition::Absent,
        })
        .collect();
    store.transact(actions).await.expect("100 actions");
    let (items, _) = collect(&store, Query::partition(Index::Table, format!("{p}#P")).limit(1000)).await;
    assert_eq!(items.len(), MAX_TRANSACTION_ACTIONS);
}

async fn transaction_invalid_requests_write_nothing(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let put = |sk: String| TxAction::Put {
        item: item(&format!("{p}#P"), &sk, json!({})),
        condition: Condition::Always,
    };
    let too_many: Vec<TxAction> = (0..=MAX_TRANSACTION_ACTIONS).map(|i| put(format!("{i:03}"))).collect();
    let duplicate = vec![
        put("001".into()),
        put("002".into()),
        TxAction::Check {
            key: Key::new(format!("{p}#P"), "001"),
            condition: Condition::Always,
        },
    ];
    let mut reserved_item = item(&format!("{p}#P"), "003", json!({}));
    reserved_item.attrs.insert("version".into(), json!(1));
    let reserved = vec![
        put("001".into()),
        TxAction::Put {
            item: reserved_item,
            condition: Condition::Always,
        },
    ];
    for (what, actions) in [
        ("none", Vec::new()),
        ("more than the maximum", too_many),
        ("one key twice", duplicate),
        ("a reserved attribute", reserved),
    ] {
        let result = store.transact(actions).await;
        assert!(
            matches!(result, Err(StoreError::InvalidRequest(_))),
            "{what}: {result:?}"
        );
    }
    let page = store
        .query(Query::partition(Index::Table, format!("{p}#P")))
        .await
        .expect("query");
    assert!(page.items.is_empty(), "nothing written");
}

async fn transaction_check_actions(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let mut checked = item(&format!("{p}#C"), "X", json!({ "status": "open" }));
    checked.version = 6;
    seed(&store, &checked).await;
    let missing = Key::new(format!("{p}#M"), "X");
    let target = Key::new(format!("{p}#T"), "X");
    let write = || TxAction::Put {
        item: item(&target.pk, &target.sk, json!({})),
        condition: Condition::Always,
    };
    let check = |key: &Key, condition: Condition| TxAction::Check {
        key: key.clone(),
        condition,
    };

    for (key, condition) in [
        (&checked.key, Condition::Absent),
        (&checked.key, Condition::VersionEquals(5)),
        (&checked.key, Condition::attribute_equals("status", "closed")),
        (&missing, Condition::Exists),
        (&missing, Condition::attribute_equals("status", "open")),
    ] {
        assert_eq!(
            store.transact(vec![write(), check(key, condition.clone())]).await,
            Err(StoreError::TransactionConditionFailed { index: 1 }),
            "{condition:?}"
        );
        assert_eq!(get(&store, &target).await, None);
    }
    for (key, condition) in [
        (&checked.key, Condition::Exists),
        (&checked.key, Condition::VersionEquals(6)),
        (&checked.key, Condition::attribute_equals("status", "open")),
        (&missing, Condition::Absent),
        (&missing, Condition::Always),
    ] {
        store
            .transact(vec![check(key, condition.clone()), write()])
            .await
            .unwrap_or_else(|err| panic!("{condition:?}: {err}"));
        store.delete(&target, Condition::Exists).await.expect("written");
    }
    assert_eq!(get(&store, &checked.key).await, Some(checked), "checks write nothing");
    assert_eq!(get(&store, &missing).await, None, "checks create nothing");
}

async fn transaction_conditions_treat_expired_items_as_absent(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let expired = seed_expired(&store, &clock, item(&format!("{p}#H"), "X", json!({}))).await;
    for action in [
        TxAction::Check {
            key: expired.key.clone(),
            condition: Condition::Exists,
        },
        TxAction::Update {
            key: expired.key.clone(),
            update: Update::new().ttl(None),
            condition: Condition::Always,
        },
        TxAction::Delete {
            key: expired.key.clone(),
            condition: Condition::VersionEquals(expired.version),
        },
    ] {
        assert_eq!(
            store.transact(vec![action.clone()]).await,
            Err(StoreError::TransactionConditionFailed { index: 0 }),
            "{action:?}"
        );
    }
    let new = item(&format!("{p}#H"), "X", json!({ "n": 2 }));
    store
        .transact(vec![TxAction::Put {
            item: new.clone(),
            condition: Condition::Absent,
        }])
        .await
        .expect("expired counts as absent");
    assert_eq!(get(&store, &new.key).await, Some(new));
}

// ---------------------------------------------------------------------------------------------
// query
// ---------------------------------------------------------------------------------------------

/// Sort keys in byte order, chosen so that lexical (not numeric) order and prefix edges matter.
const RANGE_KEYS: [&str; 8] = ["A", "A#1", "A#10", "A#2", "AB", "B#1", "B#2", "C"];

async fn sort_key_ranges(store: Arc<dyn Store>, index: Index) {
    let p = unique();
    let pk = format!("{p}#P");
    // Stored out of order, with a neighbouring partition holding the same sort keys.
    for sk in RANGE_KEYS.iter().rev() {
        seed(&store, &placed(index, &pk, sk)).await;
        seed(&store, &placed(index, &format!("{p}#Q"), sk)).await;
    }
    let cases: Vec<(SortKeyRange, bool, Vec<&str>)> = vec![
        (SortKeyRange::All, false, RANGE_KEYS.to_vec()),
        (SortKeyRange::All, true, RANGE_KEYS.iter().rev().copied().collect()),
        (SortKeyRange::Prefix("A#".into()), false, vec!["A#1", "A#10", "A#2"]),
        (SortKeyRange::Prefix("A#".into()), true, vec!["A#2", "A#10", "A#1"]),
        (
            SortKeyRange::Prefix("A".into()),
            false,
            vec!["A", "A#1", "A#10", "A#2", "AB"],
        ),
        (SortKeyRange::Prefix("Z".into()), false, vec![]),
        (
            SortKeyRange::Between("A#2".into(), "B#1".into()),
            false,
            vec!["A#2", "AB", "B#1"],
        ),
        (
            SortKeyRange::Between("A#2".into(), "B#1".into()),
            true,
            vec!["B#1", "AB", "A#2"],
        ),
        (SortKeyRange::Between("A#15".into(), "A#3".into()), false, vec!["A#2"]),
        (SortKeyRange::From("B#1".into()), false, vec!["B#1", "B#2", "C"]),
        (SortKeyRange::From("B".into()), true, vec!["C", "B#2", "B#1"]),
        (SortKeyRange::Until("A#1".into()), false, vec!["A", "A#1"]),
        (SortKeyRange::Until("A#3".into()), true, vec!["A#2", "A#10", "A#1", "A"]),
    ];
    for (range, descending, expected) in cases {
        let mut query = Query::partition(index, &pk).range(range.clone());
        query.descending = descending;
        let page = store.query(query).await.expect("query");
        assert_eq!(page.next, None, "{range:?}: everything fits in one page");
        assert_eq!(
            sort_keys(index, &page.items),
            strings(&expected),
            "{index:?} {range:?} descending={descending}"
        );
        assert!(
            page.items
                .iter()
                .all(|item| item.attrs.get("at") == Some(&json!(sort_key(index, item)))),
            "whole items come back"
        );
    }
}

async fn query_table_sort_key_ranges(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    sort_key_ranges(store, Index::Table).await;
}

async fn query_gsi1_sort_key_ranges(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    sort_key_ranges(store, Index::Gsi1).await;
}

async fn query_gsi2_sort_key_ranges(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    sort_key_ranges(store, Index::Gsi2).await;
}

/// Pages through 23 items (some sharing an index sort key) with several limits, both ways and
/// within a range: every item comes back exactly once, in order.
async fn pages_exactly_once(store: Arc<dyn Store>, index: Index) {
    let p = unique();
    let pk = format!("{p}#P");
    let mut expected: Vec<Item> = Vec::new();
    for i in 0..23 {
        // In a GSI, pairs of items share a sort key: paging must not lose or repeat a tie.
        let sk = match index {
            Index::Table => format!("S#{i:02}"),
            Index::Gsi1 | Index::Gsi2 => format!("S#{:02}", i / 2),
        };
        let placed = placed(index, &pk, &sk);
        seed(&store, &placed).await;
        expected.push(placed);
    }
    seed(&store, &placed(index, &format!("{p}#Q"), "S#00")).await;
    let by_table_key = |items: &[Item]| items.iter().map(|item| item.key.clone()).collect::<BTreeSet<_>>();

    for limit in [1, 4, 7, 23, 24] {
        for descending in [false, true] {
            let mut query = Query::partition(index, &pk).limit(limit);
            query.descending = descending;
            let (items, pages) = collect(&store, query).await;
            assert_eq!(
                items.len(),
                expected.len(),
                "limit {limit} descending={descending}: no repeats"
            );
            assert_eq!(
                by_table_key(&items),
                by_table_key(&expected),
                "limit {limit}: every item"
            );
            let mut keys = sort_keys(index, &items);
            if descending {
                keys.reverse();
            }
            assert!(
                keys.is_sorted(),
                "limit {limit} descending={descending}: in order, got {keys:?}"
            );
            assert!(
                pages >= expected.len().div_ceil(limit as usize),
                "limit {limit}: {pages} pages"
            );
        }
    }

    let (items, _) = collect(
        &store,
        Query::partition(index, &pk)
            .range(SortKeyRange::Between("S#03".into(), "S#08".into()))
            .limit(2),
    )
    .await;
    let in_range: Vec<&Item> = expected
        .iter()
        .filter(|item| ("S#03".to_owned()..="S#08".to_owned()).contains(&sort_key(index, item)))
        .collect();
    assert_eq!(items.len(), in_range.len(), "a range pages exactly once");
    assert!(sort_keys(index, &items).is_sorted());
}

async fn query_pages_through_table_exactly_once(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    pages_exactly_once(store, Index::Table).await;
}

async fn query_pages_through_gsi1_exactly_once(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    pages_exactly_once(store, Index::Gsi1).await;
}

async fn query_pages_through_gsi2_exactly_once(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    pages_exactly_once(store, Index::Gsi2).await;
}

async fn query_gsi_ties_order_by_table_key(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let g = format!("{p}#G");
    // Written out of table-key order; all share one gsi1 sort key but for the last.
    let keys = [("B", "2"), ("A", "9"), ("B", "1"), ("A", "1")];
    for (pk, sk) in keys {
        seed(
            &store,
            &item(&format!("{p}#{pk}"), sk, json!({})).with_gsi1(IndexKey::new(&g, "same")),
        )
        .await;
    }
    seed(
        &store,
        &item(&format!("{p}#0"), "0", json!({})).with_gsi1(IndexKey::new(&g, "z")),
    )
    .await;
    let expected: Vec<Key> = [("A", "1"), ("A", "9"), ("B", "1"), ("B", "2"), ("0", "0")]
        .iter()
        .map(|(pk, sk)| Key::new(format!("{p}#{pk}"), *sk))
        .collect();

    let (items, _) = collect(&store, Query::partition(Index::Gsi1, &g).limit(2)).await;
    let found: Vec<Key> = items.into_iter().map(|item| item.key).collect();
    assert_eq!(found, expected, "ties ordered by (pk, sk)");

    let (items, _) = collect(&store, Query::partition(Index::Gsi1, &g).limit(2).descending()).await;
    let found: Vec<Key> = items.into_iter().map(|item| item.key).collect();
    assert_eq!(
        found,
        expected.into_iter().rev().collect::<Vec<_>>(),
        "and reversed when descending"
    );
}

async fn query_resume_key_shape(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let pk = format!("{p}#P");
    let g = format!("{p}#G");
    for sk in ["1", "2"] {
        seed(
            &store,
            &item(&pk, sk, json!({}))
                .with_gsi1(IndexKey::new(&g, format!("g{sk}")))
                .with_gsi2(IndexKey::new(&g, format!("h{sk}"))),
        )
        .await;
    }
    let expect = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect::<BTreeMap<_, _>>()
    };
    let cases = [
        (Index::Table, pk.clone(), expect(&[("pk", &pk), ("sk", "1")])),
        (
            Index::Gsi1,
            g.clone(),
            expect(&[("gsi1pk", &g), ("gsi1sk", "g1"), ("pk", &pk), ("sk", "1")]),
        ),
        (
            Index::Gsi2,
            g.clone(),
            expect(&[("gsi2pk", &g), ("gsi2sk", "h1"), ("pk", &pk), ("sk", "1")]),
        ),
    ];
    for (index, partition, expected) in cases {
        let page = store
            .query(Query::partition(index, partition).limit(1))
            .await
            .expect("query");
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.next.map(|next| next.0), Some(expected), "{index:?}");
    }
}

async fn query_limit_counts_expired_items(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let pk = format!("{p}#P");
    let ttl = now(&clock) + 60;
    let first = item(&pk, "1", json!({}));
    let third = item(&pk, "3", json!({}));
    seed(&store, &first).await;
    seed(&store, &item(&pk, "2", json!({})).with_ttl(ttl)).await;
    seed(&store, &third).await;
    clock.advance(Duration::seconds(61));

    let page = store
        .query(Query::partition(Index::Table, &pk).limit(2))
        .await
        .expect("query");
    assert_eq!(
        page.items,
        vec![first.clone()],
        "the expired item was examined, not returned"
    );
    assert!(page.next.is_some(), "more may follow");
    let (items, _) = collect(&store, Query::partition(Index::Table, &pk).limit(2)).await;
    assert_eq!(items, vec![first, third]);
}

async fn query_exclusion_leaves_out_items_whose_set_holds_a_value(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let pk = format!("{}#G", unique());
    let mut placed_items = Vec::new();
    for (sk, nights) in [
        ("1", vec!["a"]),
        ("2", vec![]),
        ("3", vec!["b", "c"]),
        ("4", vec!["c"]),
        ("5", vec!["z"]),
        ("6", vec!["a", "z"]),
    ] {
        let item = placed(Index::Gsi1, &pk, sk);
        seed(&store, &item).await;
        let item = if nights.is_empty() {
            item
        } else {
            store
                .update(&item.key, Update::new().add_to_set("nights", nights), Condition::Always)
                .await
                .expect("set added")
        };
        placed_items.push(item);
    }
    let query = || Query::partition(Index::Gsi1, &pk).without("nights", strings(&["a", "c"]));

    let first = store.query(query().limit(2)).await.expect("query");
    assert_eq!(
        sort_keys(Index::Gsi1, &first.items),
        ["2"],
        "1 was examined and left out"
    );
    assert!(first.next.is_some());
    // The resume key may be an item that was left out.
    let third = store.query(query().limit(3)).await.expect("query");
    assert_eq!(sort_keys(Index::Gsi1, &third.items), ["2"]);
    assert_eq!(
        third.next.as_ref().and_then(|next| next.sort_key(Index::Gsi1)),
        Some("3")
    );
    let (items, _) = collect(&store, query().limit(2)).await;
    assert_eq!(sort_keys(Index::Gsi1, &items), ["2", "5"]);
    assert_eq!(items[1], placed_items[4], "kept items come back whole, sets included");
    let (all, _) = collect(&store, query().limit(100)).await;
    assert_eq!(sort_keys(Index::Gsi1, &all), ["2", "5"]);
    let descending = store.query(query().descending()).await.expect("query");
    assert_eq!(sort_keys(Index::Gsi1, &descending.items), ["5", "2"]);

    for values in [Vec::new(), (0..61).map(|n| n.to_string()).collect()] {
        let refused = store
            .query(Query::partition(Index::Gsi1, &pk).without("nights", values))
            .await;
        assert!(matches!(refused, Err(StoreError::InvalidRequest(_))), "{refused:?}");
    }
}

/// `query_records` is `query` with each item's attributes left to decode: the same items with
/// the same keys and attributes (sets as arrays), the same resume keys, the same exclusions
/// and expiries, whatever the attributes hold.
async fn query_records_hands_over_what_query_returns(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let pk = format!("{}#R", unique());
    let odd = json!({
        "title": "say \"hi\" \\ back\n",
        "name": "Zürich ☃ \u{1F600}",
        "nested": {"list": [1, 2.5, -3, null, true, {"x": []}], "empty": {}},
        "big": 12_345_678_901_i64,
    });
    for (sk, attrs, nights) in [
        ("1", json!({"n": 1}), vec!["a"]),
        ("2", odd.clone(), vec![]),
        ("3", json!({"n": 3}), vec!["b", "c"]),
        ("4", json!({}), vec![]),
        ("5", odd, vec!["z", "y"]),
        ("6", json!({"n": 6}), vec![]),
    ] {
        let mut placed = item(&format!("{pk}#T{sk}"), "X", attrs).with_gsi1(IndexKey::new(&pk, sk));
        if sk == "6" {
            placed = placed.with_gsi2(IndexKey::new(&pk, "six")).with_ttl(now(&clock) + 60);
        }
        seed(&store, &placed).await;
        if !nights.is_empty() {
            store
                .update(
                    &placed.key,
                    Update::new().add_to_set("nights", nights),
                    Condition::Always,
                )
                .await
                .expect("set added");
        }
    }
    let queries = || {
        let all = Query::partition(Index::Gsi1, &pk);
        [
            all.clone(),
            all.clone().limit(2),
            all.clone().descending().limit(4),
            all.clone().without("nights", strings(&["a", "c"])).limit(3),
            all.clone().range(SortKeyRange::Between("2".into(), "5".into())),
        ]
    };
    for moment in ["before the ttl", "after it"] {
        for query in queries() {
            let mut start = None;
            loop {
                let query = query.clone().start(start.take());
                let page = store.query(query.clone()).await.expect("query");
                let records = store.query_records(query.clone()).await.expect("query_records");
                assert_eq!(records.next, page.next, "{moment}: {query:?}");
                assert_eq!(records.items.len(), page.items.len(), "{moment}: {query:?}");
                for (record, item) in records.items.iter().zip(&page.items) {
                    assert_eq!(
                        (&record.key, &record.gsi1, &record.gsi2),
                        (&item.key, &item.gsi1, &item.gsi2),
                        "{moment}"
                    );
                    assert_eq!(
                        record.decode::<Value>().expect("decodes"),
                        Value::Object(item.attrs.clone()),
                        "{moment}: {:?}",
                        item.key
                    );
                }
                match page.next {
                    Some(next) => start = Some(next),
                    None => break,
                }
            }
        }
        clock.advance(Duration::seconds(61));
    }
}

async fn gsis_are_sparse(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let x = format!("{p}#X");
    let in_gsi1 = item(&x, "a", json!({})).with_gsi1(IndexKey::new(&x, "1"));
    let in_gsi2 = item(&x, "b", json!({})).with_gsi2(IndexKey::new(&x, "2"));
    let in_neither = item(&x, "c", json!({}));
    for placed in [&in_gsi1, &in_gsi2, &in_neither] {
        seed(&store, placed).await;
    }
    let query = |index: Index| {
        let store = store.clone();
        let x = x.clone();
        async move { store.query(Query::partition(index, x)).await.expect("query").items }
    };
    assert_eq!(
        query(Index::Table).await,
        vec![in_gsi1.clone(), in_gsi2.clone(), in_neither]
    );
    assert_eq!(query(Index::Gsi1).await, vec![in_gsi1]);
    assert_eq!(query(Index::Gsi2).await, vec![in_gsi2]);
}

// ---------------------------------------------------------------------------------------------
// time and concurrency
// ---------------------------------------------------------------------------------------------

async fn ttl_hides_items_after_clock_advances(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let p = unique();
    let pk = format!("{p}#P");
    let g = format!("{p}#G");
    let start = now(&clock);
    let hold = item(&pk, "hold", json!({ "status": "held" }))
        .with_gsi1(IndexKey::new(&g, "hold"))
        .with_gsi2(IndexKey::new(&g, "hold"))
        .with_ttl(start + 300);
    let lasting = item(&pk, "lasting", json!({}));
    seed(&store, &hold).await;
    seed(&store, &lasting).await;
    let partition = |index: Index, pk: &str| {
        let store = store.clone();
        let query = Query::partition(index, pk);
        async move { store.query(query).await.expect("query").items }
    };

    // Well before the ttl: the clock keeps ticking while the requests run.
    clock.advance(Duration::seconds(290));
    assert_eq!(
        get(&store, &hold.key).await,
        Some(hold.clone()),
        "live just before its ttl"
    );
    assert_eq!(partition(Index::Table, &pk).await, vec![hold.clone(), lasting.clone()]);
    assert_eq!(partition(Index::Gsi1, &g).await, vec![hold.clone()]);
    assert_eq!(partition(Index::Gsi2, &g).await, vec![hold.clone()]);
    assert_eq!(
        store.put(hold.clone(), Condition::Absent).await,
        Err(StoreError::ConditionFailed)
    );

    clock.set(DateTime::from_timestamp(start + 300, 0).expect("a valid instant"));
    assert_eq!(get(&store, &hold.key).await, None, "gone at its ttl");
    assert_eq!(partition(Index::Table, &pk).await, vec![lasting.clone()]);
    assert!(partition(Index::Gsi1, &g).await.is_empty());
    assert!(partition(Index::Gsi2, &g).await.is_empty());
    assert_eq!(
        store.put(hold.clone(), Condition::Exists).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        store
            .update(&hold.key, Update::new().set("status", "paid"), Condition::Always)
            .await,
        Err(StoreError::ConditionFailed)
    );

    // An item whose ttl is exactly now is already gone.
    let at_now = item(&pk, "now", json!({})).with_ttl(now(&clock));
    seed(&store, &at_now).await;
    assert_eq!(get(&store, &at_now.key).await, None);

    let renewed = hold.clone().with_ttl(now(&clock) + 300);
    store
        .put(renewed.clone(), Condition::Absent)
        .await
        .expect("an expired item counts as absent");
    assert_eq!(get(&store, &hold.key).await, Some(renewed));
}

async fn concurrent_conditional_puts_let_exactly_one_win(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    const TASKS: usize = 20;
    let p = unique();
    let key = Key::new(format!("{p}#NIGHT"), "2030-01-01");
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let store = store.clone();
            let barrier = barrier.clone();
            let claim = item(&key.pk, &key.sk, json!({ "by": i }));
            tokio::spawn(async move {
                barrier.wait().await;
                (i, store.put(claim, Condition::Absent).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut losers = 0;
    for task in futures::future::join_all(tasks).await {
        match task.expect("task") {
            (i, Ok(())) => winners.push(i),
            (_, Err(StoreError::ConditionFailed)) => losers += 1,
            (_, Err(other)) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!((winners.len(), losers), (1, TASKS - 1));
    let stored = get(&store, &key).await.expect("the winner's item");
    assert_eq!(stored.attrs.get("by"), Some(&json!(winners[0])));
}

async fn concurrent_adds_all_apply(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    const TASKS: usize = 20;
    let p = unique();
    let counter = item(&format!("{p}#COUNTER"), "X", json!({}));
    seed(&store, &counter).await;
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let store = store.clone();
            let barrier = barrier.clone();
            let key = counter.key.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store.update(&key, Update::new().add("n", 1), Condition::Exists).await
            })
        })
        .collect();
    let mut versions = BTreeSet::new();
    for task in futures::future::join_all(tasks).await {
        let updated = task.expect("task").expect("every add applies");
        versions.insert(updated.version);
    }
    assert_eq!(
        versions,
        (1..=TASKS as u64).collect(),
        "each update saw its own version"
    );
    let stored = get(&store, &counter.key).await.expect("counter");
    assert_eq!(stored.attrs.get("n"), Some(&json!(TASKS)));
    assert_eq!(stored.version, TASKS as u64);
}

async fn concurrent_set_adds_all_apply(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    const TASKS: usize = 20;
    let p = unique();
    let stored = item(&format!("{p}#SET"), "X", json!({}));
    seed(&store, &stored).await;
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let store = store.clone();
            let barrier = barrier.clone();
            let key = stored.key.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .update(
                        &key,
                        Update::new().add_to_set("members", [format!("m{i:02}")]),
                        Condition::Exists,
                    )
                    .await
            })
        })
        .collect();
    for task in futures::future::join_all(tasks).await {
        task.expect("task").expect("every add applies");
    }
    let found = get(&store, &stored.key).await.expect("stored");
    let expected: Vec<Value> = (0..TASKS).map(|i| json!(format!("m{i:02}"))).collect();
    assert_eq!(found.attrs.get("members"), Some(&Value::Array(expected)));
    assert_eq!(found.version, TASKS as u64);
}

/// The maintenance scan: every live item of the kind, across partitions, once, through pages;
/// other kinds and expired items left out.
async fn scan_pages_through_the_live_items_of_one_kind(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    // A kind of this case's own, so other cases' items (a shared table) never show.
    let kind = format!("scanned-{}", unique());
    let mut expected = BTreeSet::new();
    for n in 0..7 {
        let it = Item::new(Key::new(format!("{}#S{n}", unique()), "ONE"), &kind, &json!({"n": n})).unwrap();
        seed(&store, &it).await;
        expected.insert(it.key.clone());
    }
    seed(&store, &item(&format!("{}#S", unique()), "OTHER", json!({}))).await;
    let expired = Item::new(Key::new(format!("{}#S", unique()), "GONE"), &kind, &json!({})).unwrap();
    seed_expired(&store, &clock, expired).await;

    let mut seen = Vec::new();
    let mut start = None;
    for _ in 0..1000 {
        let page = store.scan(&kind, start.take(), 3).await.expect("a scan page");
        seen.extend(page.items.into_iter().map(|it| {
            assert_eq!(it.kind, kind);
            it.key
        }));
        match page.next {
            Some(next) => start = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), expected.len(), "each item once");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
    for limit in [0, 1001] {
        assert!(matches!(
            store.scan(&kind, None, limit).await,
            Err(StoreError::InvalidRequest(_))
        ));
    }
}

/// The capacity units of calls on items far below 1 KB, as DynamoDB bills them (one unit per
/// call, half for an eventually consistent read, one per key of a batch get).
///
/// moto reports fixed units rather than reckoning them, and only some of them match
/// DynamoDB: it reports 0.5 for every GetItem (a strongly consistent one costs 1), 0.5 for
/// every UpdateItem (1) and nothing for TransactWriteItems (2 per item), so those are checked
/// on the SQLite adapter only (`embedded::store` tests); what moto reports like DynamoDB is
/// checked here on both.
async fn small_items_cost_one_unit_per_call(store: Arc<dyn Store>, _clock: Arc<ManualClock>) {
    let p = unique();
    let pk = format!("{p}#P");
    let item = |sk: &str| Item::new(Key::new(&pk, sk), "thing", &json!({"name": "Ada", "n": 3})).unwrap();
    let (put, spent) = measure(store.put(item("A"), Condition::Always)).await;
    put.unwrap();
    assert_eq!(spent, Capacity::write(1.0), "put");
    store.put(item("B"), Condition::Absent).await.unwrap();
    let (read, spent) = measure(store.get_eventual(&Key::new(&pk, "A"))).await;
    assert!(read.unwrap().is_some());
    assert_eq!(spent, Capacity::read(0.5), "eventually consistent get");
    let (page, spent) = measure(store.query(Query::partition(Index::Table, &pk))).await;
    assert_eq!(page.unwrap().items.len(), 2);
    assert_eq!(spent, Capacity::read(1.0), "one query page of two small items");
    let (found, spent) = measure(store.batch_get(&[Key::new(&pk, "A"), Key::new(&pk, "B")])).await;
    assert_eq!(found.unwrap().len(), 2);
    assert_eq!(spent, Capacity::read(2.0), "a batch get of two keys");
    let (deleted, spent) = measure(store.delete(&Key::new(&pk, "B"), Condition::Always)).await;
    deleted.unwrap();
    assert_eq!(spent, Capacity::write(1.0), "delete");
}
