//! Secrets read from Secrets Manager (moto) on first use: the JWT keys' rotation seen by
//! running sandboxes, a Stripe key rolled while a sandbox holds the old one, a webhook
//! secret rolled, and what a request gets when the secret service is down.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use shared::App;
use shared::app::WebhookSecret;
use shared::auth::keys::SigningKeys;
use shared::clock::Clock;
use shared::payments::provider::{ChargeState, PaymentProvider};
use shared::payments::signature;
use shared::payments::stripe::StripeProvider;
use shared::secrets::manager::SecretsManager;
use shared::secrets::{self, MAX_AGE, MIN_REFRESH_INTERVAL, Managed, Secret, SecretSource};
use tests::app::{Backend, PASSWORD, TestApp, me_status, spawn_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY_A: &str = "first-signing-key-first-signing-key-0001";
const KEY_B: &str = "second-signing-key-second-signing-key-02";

/// A new secret on moto holding `value`; its name.
async fn create_secret(source: &SecretsManager, value: &str) -> String {
    let name = format!("roost/test/{}", shared::ids::new_id());
    source
        .client()
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("secret created");
    name
}

async fn put_value(source: &SecretsManager, name: &str, value: &str) {
    source
        .client()
        .put_secret_value()
        .secret_id(name)
        .secret_string(value)
        .send()
        .await
        .expect("new version");
}

fn jwt_value(current: &str, previous: Option<&str>) -> String {
    json!({"current": current, "previous": previous.unwrap_or("")}).to_string()
}

/// A sandbox of the deployment: `app`'s store, bus and clock, its own cache of the keys
/// secret `name` (nothing read yet), served on a port of its own; its base URL.
async fn sandbox(app: &TestApp, source: Arc<dyn SecretSource>, name: &str) -> String {
    let keys = Managed::new(
        source,
        name,
        SigningKeys::parser("roost".into(), "roost-api".into()),
        app.clock.clone(),
    );
    let sandbox = App::with_keys(
        app.app.store.clone(),
        app.app.bus.clone(),
        app.app.clock.clone(),
        Secret::Managed(keys),
    );
    app.serve_sibling(Box::leak(Box::new(sandbox))).await
}

async fn login(base: &str, email: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("sent")
}

async fn access_token(base: &str, email: &str) -> String {
    let answer: serde_json::Value = login(base, email).await.json().await.expect("json");
    answer["accessToken"].as_str().expect("signed in").to_owned()
}

fn kid(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn jwt_keys_rotate_through_secrets_manager_without_a_redeploy() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, user) = app.register("guest").await;
    let email = user["email"].as_str().unwrap().to_owned();
    let source = Arc::new(tests::moto::secrets_manager().await);
    let name = create_secret(&source, &jwt_value(KEY_A, None)).await;

    let old_sandbox = sandbox(&app, source.clone(), &name).await;
    let old_token = access_token(&old_sandbox, &email).await;
    assert_eq!(kid(&old_token), shared::auth::token::key_id(KEY_A.as_bytes()));
    assert_eq!(me_status(&old_sandbox, &old_token).await, StatusCode::OK);

    // Rotation, step 1: B signs, A still verifies. A new sandbox reads both.
    put_value(&source, &name, &jwt_value(KEY_B, Some(KEY_A))).await;
    let new_sandbox = sandbox(&app, source.clone(), &name).await;
    let new_token = access_token(&new_sandbox, &email).await;
    assert_eq!(kid(&new_token), shared::auth::token::key_id(KEY_B.as_bytes()));
    assert_eq!(
        me_status(&new_sandbox, &old_token).await,
        StatusCode::OK,
        "the previous key still works"
    );
    // The old sandbox has not seen B: it reads the secret again (once the rate limit
    // allows) instead of refusing a genuine token.
    app.clock.advance(MIN_REFRESH_INTERVAL);
    assert_eq!(me_status(&old_sandbox, &new_token).await, StatusCode::OK);
    assert_eq!(me_status(&old_sandbox, &old_token).await, StatusCode::OK);
    // A token naming a key nobody has is still 401 (after one more read at most).
    let forged = {
        let other =
            shared::auth::token::AccessTokens::new(b"a-key-that-was-never-deployed-at-all", "roost", "roost-api")
                .unwrap();
        other
            .issue("U1", &[shared::auth::Role::Guest], app.clock.now())
            .unwrap()
    };
    assert_eq!(me_status(&old_sandbox, &forged).await, StatusCode::UNAUTHORIZED);

    // Step 2: A is retired. Within MAX_AGE every sandbox reads the secret again and refuses it.
    put_value(&source, &name, &jwt_value(KEY_B, None)).await;
    app.clock.advance(MAX_AGE);
    for base in [&old_sandbox, &new_sandbox] {
        assert_eq!(
            me_status(base, &old_token).await,
            StatusCode::UNAUTHORIZED,
            "{base}: retired key"
        );
        assert_eq!(me_status(base, &new_token).await, StatusCode::OK, "{base}: current key");
    }
}

#[tokio::test]
async fn an_unreachable_secret_service_is_503_and_a_missing_secret_500_never_a_200() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, user) = app.register("guest").await;
    let email = user["email"].as_str().unwrap().to_owned();
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::SharedCredentialsProvider::new(
            aws_sdk_secretsmanager::config::Credentials::new("testing", "testing", None, None, "tests"),
        ))
        .http_client(shared::aws_http::http_client().unwrap())
        .retry_config(shared::aws_http::retry_config(1))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    let down = Arc::new(SecretsManager::new(aws_sdk_secretsmanager::Client::new(&config)));
    let base = sandbox(&app, down, "roost/jwt").await;
    let answer = login(&base, &email).await;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.headers().contains_key("retry-after"));
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");

    let moto = Arc::new(tests::moto::secrets_manager().await);
    let base = sandbox(&app, moto, "roost/test/no-such-secret").await;
    let answer = login(&base, &email).await;
    assert_eq!(
        answer.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "a deployment error, not the client's"
    );
}

/// A Stripe stand-in that knows one key: `401` for any other, a succeeded PaymentIntent for
/// it. Answers `requests` requests, then stops.
async fn stripe_knowing(key: &'static str, requests: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        for _ in 0..requests {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buffer).await.unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..n]);
            }
            let text = String::from_utf8_lossy(&request).to_lowercase();
            let (status, body) = if text.contains(&format!("authorization: bearer {key}")) {
                (
                    "200 OK",
                    json!({"id": "pi_1", "object": "payment_intent", "status": "succeeded"}),
                )
            } else {
                (
                    "401 Unauthorized",
                    json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}),
                )
            };
            let body = body.to_string();
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    base
}

#[tokio::test]
async fn a_rolled_stripe_key_is_read_again_on_401() {
    let source = Arc::new(tests::moto::secrets_manager().await);
    let name = create_secret(&source, "sk_test_old").await;
    let clock = Arc::new(shared::clock::ManualClock::default());
    let key = Managed::new(
        source.clone(),
        &name,
        secrets::text("a Stripe secret key"),
        clock.clone(),
    );
    let base = stripe_knowing("sk_test_new", 4).await;
    let provider = StripeProvider::with_key(base, Secret::Managed(key));

    // The key was rolled in Stripe before the secret: 401, and re-reading gives the same key.
    clock.advance(MIN_REFRESH_INTERVAL);
    assert!(provider.state("pi_1").await.is_err(), "the old key is refused");
    // The secret now holds the new key: the next 401 makes the provider read it and retry.
    put_value(&source, &name, "sk_test_new").await;
    clock.advance(MIN_REFRESH_INTERVAL);
    assert_eq!(provider.state("pi_1").await.unwrap(), ChargeState::Succeeded);
}

#[tokio::test]
async fn a_rolled_webhook_secret_is_read_again_on_a_mismatch() {
    let app = spawn_app(Backend::Sqlite).await;
    let source = Arc::new(tests::moto::secrets_manager().await);
    let name = create_secret(&source, "whsec_old").await;
    let secret = Managed::new(source.clone(), &name, WebhookSecret::parser(), app.clock.clone());
    let sandbox = App::new(
        app.app.store.clone(),
        app.app.bus.clone(),
        app.app.clock.clone(),
        &tests::app::test_settings(),
    )
    .unwrap()
    .with_webhook_secret(Secret::Managed(secret));
    let base = app.serve_sibling(Box::leak(Box::new(sandbox))).await;
    let send = |secret: &'static str| {
        let base = base.clone();
        let at = app.clock.now();
        async move {
            // An event type Roost does not act on: only the signature decides the answer.
            let event = json!({"id": format!("evt_{}", shared::ids::new_id()), "type": "customer.created", "data": {"object": {}}});
            let payload = serde_json::to_vec(&event).unwrap();
            reqwest::Client::new()
                .post(format!("{base}/webhooks/stripe"))
                .header("content-type", "application/json")
                .header("stripe-signature", signature::sign(secret, &payload, at))
                .body(payload)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(send("whsec_old").await, StatusCode::OK);
    put_value(&source, &name, "whsec_new").await;
    app.clock.advance(MIN_REFRESH_INTERVAL);
    assert_eq!(send("whsec_new").await, StatusCode::OK, "read again, then accepted");
    assert_eq!(send("whsec_forged").await, StatusCode::BAD_REQUEST);
}
