//! Smoke test of the DynamoDB store adapter against moto_server (the full contract is checked by
//! `store_conformance.rs`): the item layout on the wire, conditions, transaction error positions,
//! query paging and ttl.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;
use serde_json::json;
use shared::clock::{Clock, ManualClock};
use shared::store::dynamo::{DynamoStore, create_table};
use shared::store::{Condition, Index, IndexKey, Item, Key, Query, SortKeyRange, Store, StoreError, TxAction, Update};
use tests::moto;

async fn fresh() -> (aws_sdk_dynamodb::Client, String, DynamoStore, Arc<ManualClock>) {
    let client = moto::dynamo_client().await;
    let table = format!("roost-smoke-{}", ulid::Ulid::new().to_string().to_lowercase());
    create_table(&client, &table).await.unwrap();
    let clock = Arc::new(ManualClock::default());
    let store = DynamoStore::new(client.clone(), table.clone(), clock.clone());
    (client, table, store, clock)
}

fn item(pk: &str, sk: &str) -> Item {
    Item::new(Key::new(pk, sk), "thing", &json!({"name": "n", "count": 1})).unwrap()
}

#[tokio::test]
async fn create_table_is_idempotent_and_sets_ttl() {
    let (client, table, _, _) = fresh().await;
    create_table(&client, &table).await.unwrap();
    let ttl = client.describe_time_to_live().table_name(&table).send().await.unwrap();
    let description = ttl.time_to_live_description.unwrap();
    assert_eq!(description.attribute_name.as_deref(), Some("ttl"));
    let described = client.describe_table().table_name(&table).send().await.unwrap();
    let mut indexes: Vec<_> = described
        .table
        .unwrap()
        .global_secondary_indexes
        .unwrap()
        .into_iter()
        .map(|index| index.index_name.unwrap())
        .collect();
    indexes.sort();
    assert_eq!(indexes, ["gsi1", "gsi2"]);
}

#[tokio::test]
async fn put_get_and_the_layout_on_the_wire() {
    let (client, table, store, clock) = fresh().await;
    let now = clock.now().timestamp();
    let written = item("P#1", "S")
        .with_gsi1(IndexKey::new("G1", "g"))
        .with_ttl(now + 3600);
    store.put(written.clone(), Condition::Absent).await.unwrap();
    assert_eq!(store.get(&written.key).await.unwrap(), Some(written.clone()));
    assert_eq!(store.get(&Key::new("P#1", "other")).await.unwrap(), None);

    let raw = client
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S("P#1".into()))
        .key("sk", AttributeValue::S("S".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let names: BTreeSet<_> = raw.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "pk", "sk", "type", "gsi1pk", "gsi1sk", "ttl", "version", "name", "count"
        ])
    );
    assert_eq!(raw["ttl"], AttributeValue::N((now + 3600).to_string()));
    assert_eq!(raw["count"], AttributeValue::N("1".into()));
    assert_eq!(raw["type"], AttributeValue::S("thing".into()));
}

#[tokio::test]
async fn conditions_and_updates() {
    let (_, _, store, clock) = fresh().await;
    let key = Key::new("P#2", "S");
    assert_eq!(
        store.update(&key, Update::new().set("a", 1), Condition::Always).await,
        Err(StoreError::ConditionFailed)
    );
    store.put(item("P#2", "S"), Condition::Absent).await.unwrap();
    assert_eq!(
        store.put(item("P#2", "S"), Condition::Absent).await,
        Err(StoreError::ConditionFailed)
    );

    let updated = store
        .update(
            &key,
            Update::new()
                .set("name", "m")
                .add("count", 2)
                .remove("missing")
                .gsi2(Some(IndexKey::new("G2", "x")))
                .ttl(Some(clock.now().timestamp() + 60)),
            Condition::VersionEquals(0),
        )
        .await
        .unwrap();
    assert_eq!(updated.version, 1);
    assert_eq!(updated.attrs["count"], json!(3));
    assert_eq!(updated.attrs["name"], json!("m"));
    assert_eq!(updated.gsi2, Some(IndexKey::new("G2", "x")));
    assert_eq!(
        store.update(&key, Update::new(), Condition::VersionEquals(0)).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        store.delete(&key, Condition::attribute_equals("name", "n")).await,
        Err(StoreError::ConditionFailed)
    );

    // Once the ttl passes the item is gone for reads and conditions alike.
    clock.advance(Duration::seconds(61));
    assert_eq!(store.get(&key).await.unwrap(), None);
    assert_eq!(
        store.delete(&key, Condition::Exists).await,
        Err(StoreError::ConditionFailed)
    );
    store.put(item("P#2", "S"), Condition::Absent).await.unwrap();
    let fresh = store
        .update(&key, Update::new().gsi2(None), Condition::Exists)
        .await
        .unwrap();
    assert_eq!((fresh.version, fresh.gsi2, fresh.ttl), (1, None, None));
}

#[tokio::test]
async fn transaction_reports_the_first_failing_action() {
    let (_, _, store, _) = fresh().await;
    store.put(item("T", "taken"), Condition::Always).await.unwrap();
    let actions = vec![
        TxAction::Put {
            item: item("T", "a"),
            condition: Condition::Absent,
        },
        TxAction::Check {
            key: Key::new("T", "b"),
            condition: Condition::Always,
        },
        TxAction::Put {
            item: item("T", "taken"),
            condition: Condition::Absent,
        },
        TxAction::Delete {
            key: Key::new("T", "missing"),
            condition: Condition::Exists,
        },
    ];
    assert_eq!(
        store.transact(actions).await,
        Err(StoreError::TransactionConditionFailed { index: 2 })
    );
    assert_eq!(store.get(&Key::new("T", "a")).await.unwrap(), None);

    store
        .transact(vec![
            TxAction::Put {
                item: item("T", "a"),
                condition: Condition::Absent,
            },
            TxAction::Update {
                key: Key::new("T", "taken"),
                update: Update::new().add("count", 5),
                condition: Condition::VersionEquals(0),
            },
            TxAction::Check {
                key: Key::new("T", "b"),
                condition: Condition::Always,
            },
        ])
        .await
        .unwrap();
    let taken = store.get(&Key::new("T", "taken")).await.unwrap().unwrap();
    assert_eq!((taken.version, taken.attrs["count"].clone()), (1, json!(6)));
}

#[tokio::test]
async fn query_pages_and_skips_expired_items() {
    let (_, _, store, clock) = fresh().await;
    let now = clock.now().timestamp();
    for n in 0..7 {
        let mut written = item("Q", &format!("S#{n}")).with_gsi1(IndexKey::new("QG", format!("g{}", 6 - n)));
        if n == 3 {
            written = written.with_ttl(now);
        }
        store.put(written, Condition::Always).await.unwrap();
    }

    for index in [Index::Table, Index::Gsi1] {
        let pk = if index == Index::Table { "Q" } else { "QG" };
        let mut seen = Vec::new();
        let mut start = None;
        let mut pages = 0;
        loop {
            let page = store
                .query(Query::partition(index, pk).limit(2).start(start))
                .await
                .unwrap();
            pages += 1;
            assert!(page.items.len() <= 2);
            seen.extend(page.items.into_iter().map(|item| item.key.sk));
            if let Some(next) = &page.next {
                let names: Vec<_> = next.0.keys().map(String::as_str).collect();
                match index {
                    Index::Table => assert_eq!(names, ["pk", "sk"]),
                    _ => assert_eq!(names, ["gsi1pk", "gsi1sk", "pk", "sk"]),
                }
            }
            start = page.next;
            if start.is_none() {
                break;
            }
        }
        assert!(pages >= 4, "{pages}");
        let mut expected: Vec<String> = [0, 1, 2, 4, 5, 6].iter().map(|n| format!("S#{n}")).collect();
        if index == Index::Gsi1 {
            expected.reverse();
        }
        assert_eq!(seen, expected);
    }

    let page = store
        .query(
            Query::partition(Index::Table, "Q")
                .range(SortKeyRange::Between("S#1".into(), "S#4".into()))
                .descending(),
        )
        .await
        .unwrap();
    let sks: Vec<_> = page.items.iter().map(|item| item.key.sk.as_str()).collect();
    assert_eq!(sks, ["S#4", "S#2", "S#1"]);
    let page = store
        .query(Query::partition(Index::Table, "Q").range(SortKeyRange::Prefix("S#5".into())))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(
        store
            .query(Query::partition(Index::Gsi2, "nothing"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
