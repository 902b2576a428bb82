//! `local-api admin grant|revoke EMAIL`, the only way to the admin role: on the embedded store
//! of a running local API, and with `ROOST_BACKEND=aws` on a DynamoDB table (moto). One test,
//! alone in its binary, because the command reads its configuration from the environment.

use std::sync::Arc;

use embedded::bus::LocalBus;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::App;
use shared::auth::Role;
use shared::clock::SystemClock;
use shared::store::dynamo::{DynamoStore, create_table};
use shared::store::keys;
use shared::users::register::RegisterRequest;

const PASSWORD: &str = "correct horse battery";

async fn login(client: &reqwest::Client, base: &str, email: &str) -> String {
    let answer: Value = client
        .post(format!("{base}/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["accessToken"].as_str().expect("signed in").to_owned()
}

async fn audit_status(client: &reqwest::Client, base: &str, token: &str) -> (StatusCode, Value) {
    let response = client
        .get(format!("{base}/admin/audit"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|word| (*word).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_command_grants_and_revokes_on_both_backends() {
    // Embedded: the command writes to the store of a local API while it runs.
    let data_dir = std::env::temp_dir().join(format!("roost-admin-command-{}", ulid::Ulid::new()));
    let running = local_api::start(local_api::Options {
        port: 0,
        data_dir: data_dir.clone(),
        backend: local_api::Backend::Embedded,
        payments: local_api::Payments::Sandbox,
    })
    .await
    .expect("local API started");
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let email = format!("ops-{}@example.com", ulid::Ulid::new().to_string().to_lowercase());
    let registered = client
        .post(format!("{base}/auth/register"))
        .json(&json!({"email": email, "password": PASSWORD, "firstName": "Olga", "lastName": "Ops"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let before = login(&client, &base, &email).await;
    assert_eq!(audit_status(&client, &base, &before).await.0, StatusCode::FORBIDDEN);

    // SAFETY: this binary runs this one test; nothing else reads the environment meanwhile.
    unsafe {
        std::env::set_var("DATA_DIR", &data_dir);
        std::env::remove_var("ROOST_BACKEND");
    }
    assert!(
        local_api::admin_command::run(&args(&["promote", &email]))
            .await
            .is_err()
    );
    assert!(local_api::admin_command::run(&args(&["grant"])).await.is_err());
    let unknown = local_api::admin_command::run(&args(&["grant", "nobody@example.com"])).await;
    assert!(unknown.unwrap_err().contains("no account"));
    // Any case of the address; granting twice changes nothing more.
    local_api::admin_command::run(&args(&["grant", &email.to_uppercase()]))
        .await
        .expect("granted");
    local_api::admin_command::run(&args(&["grant", &email]))
        .await
        .expect("no-op");
    // The role is in tokens issued after the grant, not in older ones.
    assert_eq!(audit_status(&client, &base, &before).await.0, StatusCode::FORBIDDEN);
    let admin = login(&client, &base, &email).await;
    let (status, audit) = audit_status(&client, &base, &admin).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one grant recorded: {audit}");
    assert_eq!(items[0]["action"], "grant_admin");
    assert_eq!(items[0]["adminId"], "operator");

    local_api::admin_command::run(&args(&["revoke", &email]))
        .await
        .expect("revoked");
    let revoked = login(&client, &base, &email).await;
    assert_eq!(audit_status(&client, &base, &revoked).await.0, StatusCode::FORBIDDEN);
    running.server.abort();

    // aws: the same command against a DynamoDB table, as against a deployed one.
    let endpoint = std::env::var("ROOST_MOTO_ENDPOINT").expect("ROOST_MOTO_ENDPOINT (scripts/test starts moto)");
    let table = format!("roost-admin-command-{}", ulid::Ulid::new().to_string().to_lowercase());
    let dynamo = tests::moto::dynamo_client().await;
    create_table(&dynamo, &table).await.expect("table on moto");
    let store = Arc::new(DynamoStore::new(dynamo, table.clone(), Arc::new(SystemClock)));
    let settings = tests::app::test_settings();
    let app = App::new(
        store.clone(),
        Arc::new(LocalBus::temporary().expect("bus")),
        Arc::new(SystemClock),
        &settings,
    )
    .expect("app");
    let user = shared::users::register::register(
        &app,
        RegisterRequest {
            email: Some(email.clone()),
            password: Some(PASSWORD.to_owned()),
            first_name: Some("Olga".to_owned()),
            last_name: Some("Ops".to_owned()),
            phone: None,
            role: None,
        },
    )
    .await
    .expect("registered on DynamoDB");
    // SAFETY: as above.
    unsafe {
        std::env::set_var("ROOST_BACKEND", "aws");
        std::env::set_var("TABLE_NAME", &table);
        std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
    }
    local_api::admin_command::run(&args(&["grant", &email]))
        .await
        .expect("granted on DynamoDB");
    let stored_roles = || async {
        let stored: shared::users::User = shared::store::Store::get(store.as_ref(), &keys::user(&user.id))
            .await
            .unwrap()
            .unwrap()
            .record()
            .unwrap();
        stored.roles
    };
    let roles = stored_roles().await;
    assert_eq!(roles, [Role::Guest, Role::Admin]);
    let admin = shared::auth::Principal {
        user_id: user.id.clone(),
        roles,
    };
    let (entries, _) = shared::admin::audit::list(
        &app,
        &admin,
        shared::admin::audit::AuditQuery {
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].subject_id, user.id);
    local_api::admin_command::run(&args(&["revoke", &email]))
        .await
        .expect("revoked");
    assert_eq!(stored_roles().await, [Role::Guest]);
    unsafe {
        std::env::remove_var("ROOST_BACKEND");
    }
}
