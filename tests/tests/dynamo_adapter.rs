//! Smoke test of the DynamoDB store adapter against moto_server (the full contract is checked by
//! `store_conformance.rs`): the item layout on the wire, conditions, transaction error positions,
//! query paging and ttl. Then what moto cannot show: BatchGetItem leaving keys unprocessed, against
//! a stand-in that answers as told.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;
use serde_json::{Value, json};
use shared::clock::{Clock, ManualClock};
use shared::store::dynamo::{DynamoStore, create_table};
use shared::store::{
    Condition, Index, IndexKey, Item, Key, MAX_BATCH_GET_KEYS, Query, SortKeyRange, Store, StoreError, TxAction, Update,
};
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
async fn string_sets_are_ss_on_the_wire() {
    let (client, table, store, _) = fresh().await;
    let key = Key::new("P#SET", "S");
    store.put(item("P#SET", "S"), Condition::Absent).await.unwrap();
    let raw = || async {
        client
            .get_item()
            .table_name(&table)
            .key("pk", AttributeValue::S(key.pk.clone()))
            .key("sk", AttributeValue::S(key.sk.clone()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap()
    };

    let updated = store
        .update(&key, Update::new().add_to_set("tags", ["b", "a"]), Condition::Exists)
        .await
        .unwrap();
    assert_eq!(updated.attrs["tags"], json!(["a", "b"]));
    let mut members = raw().await["tags"].as_ss().unwrap().clone();
    members.sort();
    assert_eq!(members, ["a", "b"]);

    store
        .update(
            &key,
            Update::new().delete_from_set("tags", ["a", "b"]),
            Condition::Exists,
        )
        .await
        .unwrap();
    assert!(!raw().await.contains_key("tags"), "no empty set is left behind");

    // What `put` writes from an array is a list, even an array read from a set.
    store
        .update(&key, Update::new().add_to_set("tags", ["a"]), Condition::Exists)
        .await
        .unwrap();
    let read = store.get(&key).await.unwrap().unwrap();
    store.put(read, Condition::Exists).await.unwrap();
    assert_eq!(
        raw().await["tags"],
        AttributeValue::L(vec![AttributeValue::S("a".into())])
    );
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

// ---------------------------------------------------------------------------------------------
// BatchGetItem against a stand-in
// ---------------------------------------------------------------------------------------------

/// The table the stand-in is asked about.
const FAKE_TABLE: &str = "fake-table";

/// A stand-in for DynamoDB on loopback: answers every request body with `answer(call, body)`
/// (calls counted from 0) and keeps the bodies. moto leaves keys unprocessed only past 16 MB of
/// items and never throttles, so it cannot show the adapter retrying or giving up.
///
/// The serving thread is left running until the test process ends.
fn fake_dynamo(answer: impl Fn(usize, &Value) -> Value + Send + 'static) -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding loopback");
    let endpoint = format!("http://{}", listener.local_addr().expect("a local address"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.expect("accepting a connection");
            let body = read_request_body(&stream);
            let call = {
                let mut recorded = recorded.lock().expect("requests lock");
                recorded.push(body.clone());
                recorded.len() - 1
            };
            let response = serde_json::to_vec(&answer(call, &body)).expect("a JSON answer");
            // One request per connection keeps the reading above simple.
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: fake\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                response.len()
            )
            .and_then(|()| stream.write_all(&response))
            .expect("writing the answer");
        }
    });
    (endpoint, requests)
}

/// The JSON body of the HTTP request on `stream`.
fn read_request_body(stream: &TcpStream) -> Value {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("reading a header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().expect("a content length");
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("reading the body");
    serde_json::from_slice(&body).expect("a JSON body")
}

/// A store on [`FAKE_TABLE`] of the stand-in at `endpoint`.
async fn fake_store(endpoint: &str) -> DynamoStore {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(shared::aws_http::http_client().expect("the compiled-in roots parse"))
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "roost-tests"))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    DynamoStore::new(client, FAKE_TABLE, Arc::new(ManualClock::default()))
}

/// The keys one BatchGetItem body asks the stand-in for.
fn requested(body: &Value) -> Vec<Value> {
    body["RequestItems"][FAKE_TABLE]["Keys"]
        .as_array()
        .expect("keys of the table")
        .clone()
}

/// The item the stand-in stores at `key` (a key as on the wire).
fn stored_at(key: &Value) -> Value {
    let mut attributes = key.clone();
    attributes["type"] = json!({ "S": "thing" });
    attributes["version"] = json!({ "N": "2" });
    attributes["name"] = json!({ "S": format!("at {}", key["sk"]["S"].as_str().expect("sk")) });
    attributes
}

fn fake_item(sk: &str) -> Item {
    let mut item = Item::new(Key::new("P", sk), "thing", &json!({ "name": format!("at {sk}") })).expect("an item");
    item.version = 2;
    item
}

#[tokio::test]
async fn batch_get_retries_unprocessed_keys_consistently() {
    let (endpoint, requests) = fake_dynamo(|call, body| {
        let keys = requested(body);
        let (mut done, later): (Vec<Value>, Vec<Value>) = match call {
            // Half now, the other half later (as DynamoDB does when throttled), answered in
            // reverse so the adapter has to restore the order.
            0 => keys
                .iter()
                .cloned()
                .enumerate()
                .fold((vec![], vec![]), |(mut done, mut later), (i, key)| {
                    if i % 2 == 0 {
                        done.push(key)
                    } else {
                        later.push(key)
                    }
                    (done, later)
                }),
            _ => (keys, vec![]),
        };
        done.reverse();
        // Key 3 does not exist: it is simply missing from the responses.
        let items: Vec<Value> = done.iter().filter(|key| key["sk"]["S"] != "3").map(stored_at).collect();
        json!({
            "Responses": { FAKE_TABLE: items },
            "UnprocessedKeys": if later.is_empty() { json!({}) } else { json!({ FAKE_TABLE: { "Keys": later } }) },
        })
    });
    let store = fake_store(&endpoint).await;
    let keys: Vec<Key> = ["5", "0", "3", "1", "4", "2"]
        .iter()
        .map(|sk| Key::new("P", *sk))
        .collect();

    let found = store.batch_get(&keys).await.expect("batch get");
    let expected: Vec<Item> = ["5", "0", "1", "4", "2"].into_iter().map(fake_item).collect();
    assert_eq!(found, expected, "in key order, the missing key left out");

    let requests = requests.lock().expect("requests lock").clone();
    assert_eq!(requests.len(), 2, "one retry");
    let sort_keys = |body: &Value| -> Vec<String> {
        requested(body)
            .iter()
            .map(|key| key["sk"]["S"].as_str().expect("sk").to_owned())
            .collect()
    };
    assert_eq!(sort_keys(&requests[0]), ["5", "0", "3", "1", "4", "2"]);
    assert_eq!(sort_keys(&requests[1]), ["0", "1", "2"], "only the unprocessed keys");
    for body in &requests {
        assert_eq!(
            body["RequestItems"][FAKE_TABLE]["ConsistentRead"],
            json!(true),
            "retries read consistently too"
        );
    }
}

#[tokio::test]
async fn batch_get_gives_up_on_keys_left_unprocessed() {
    let (endpoint, requests) = fake_dynamo(|_, body| {
        json!({
            "Responses": { FAKE_TABLE: [] },
            "UnprocessedKeys": { FAKE_TABLE: { "Keys": requested(body) } },
        })
    });
    let store = fake_store(&endpoint).await;
    let result = store.batch_get(&[Key::new("P", "1"), Key::new("P", "2")]).await;
    assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
    assert_eq!(
        requests.lock().expect("requests lock").len(),
        8,
        "a bounded number of calls"
    );
}

#[tokio::test]
async fn batch_get_refusals_and_no_keys_make_no_request() {
    let (endpoint, requests) = fake_dynamo(|_, _| json!({}));
    let store = fake_store(&endpoint).await;
    assert_eq!(store.batch_get(&[]).await, Ok(vec![]));
    let too_many: Vec<Key> = (0..=MAX_BATCH_GET_KEYS).map(|i| Key::new("P", i.to_string())).collect();
    for keys in [too_many, vec![Key::new("P", "1"), Key::new("P", "1")]] {
        assert!(matches!(
            store.batch_get(&keys).await,
            Err(StoreError::InvalidRequest(_))
        ));
    }
    assert!(requests.lock().expect("requests lock").is_empty());
}
