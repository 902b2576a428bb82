//! No input produces a 5xx: every route of the template gets a battery of hostile requests
//! (wrong types, wrong shapes, odd encodings, bad tokens) and must answer a 4xx envelope.

use local_api::template::{BUILT_IN, Trigger, functions};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::app::{Backend, spawn_app, spawn_app_on};

fn hostile_bodies() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = [
        "", " ", "null", "true", "0", "\"text\"", "[]", "[{}]", "{}", "{\"a\":", "{} {}", "\u{feff}{}",
        "{\"email\": null, \"password\": null}",
        "{\"email\": [], \"password\": {}, \"firstName\": 1e400, \"lastName\": -0, \"role\": false}",
        "{\"email\": \"a@b.co\", \"password\": \"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\", \"firstName\": \"\\ud800\", \"lastName\": \"x\"}",
        "{\"refreshToken\": 12345678901234567890123}",
        "{\"refreshToken\": \"\"}",
        "{\"phone\": \"+\", \"firstName\": \"\\t\"}",
        "{\"__proto__\": {}}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    bodies.push(format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes());
    bodies.push(vec![0xff, 0xfe, 0x00, 0x7b]);
    bodies.push(
        json!({"email": "é@例え.jp", "password": "ü".repeat(128), "firstName": "🙂", "lastName": "👩‍👩‍👧"})
            .to_string()
            .into_bytes(),
    );
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_input_is_a_5xx() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, access, _) = app.signed_in("host").await;
    let routes: Vec<(String, String)> = functions(BUILT_IN)
        .unwrap()
        .into_iter()
        .flat_map(|spec| spec.triggers)
        .filter_map(|trigger| match trigger {
            Trigger::Http { method, path } => Some((method, path.replace("{id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV"))),
            _ => None,
        })
        .collect();
    let tokens = [None, Some(access.as_str()), Some("x.y.z"), Some("")];
    let content_types = ["application/json", "text/plain", "application/json; charset=utf-8"];
    let mut checked = 0;
    for (method, path) in &routes {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for body in hostile_bodies() {
            for (i, token) in tokens.iter().enumerate() {
                let mut request = app
                    .client
                    .request(
                        method.clone(),
                        format!("http://{}{}?limit=-1&cursor=%00", app.addr, path),
                    )
                    .header("content-type", content_types[i % content_types.len()])
                    .body(body.clone());
                if let Some(token) = token {
                    request = request.header("authorization", format!("Bearer {token}"));
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                let text = response.text().await.unwrap();
                assert!(status.as_u16() < 500, "{method} {path} answered {status}: {text}");
                if status.is_client_error() {
                    let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
                    assert!(envelope["error"]["code"].is_string(), "{method} {path}: {text}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 300);
    let unknown = app.get("/nowhere", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.code(), "not_found");
}

/// A table that cannot be reached (throttled, timed out, down) is a transient failure:
/// `503` with `Retry-After` and code `unavailable`, in REST and GraphQL, never a `500`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_table_is_503_with_retry_after() {
    // Nothing listens on port 1 of loopback; one attempt, so the test does not wait on retries.
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:1")
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "tests"),
        ))
        .http_client(shared::aws_http::http_client().unwrap())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    let clock = std::sync::Arc::new(shared::clock::ManualClock::default());
    let store = shared::store::dynamo::DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), "gone", clock);
    let app = spawn_app_on(std::sync::Arc::new(store)).await;
    let register = app
        .post(
            "/auth/register",
            None,
            json!({"email": "ana@example.com", "password": "correct horse battery", "firstName": "Ana", "lastName": "Lima"}),
        )
        .await;
    let property = app.get("/properties/01JCXW4Y6Z5V1TESTPR0PERTY1", None).await;
    for answer in [&register, &property] {
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", answer.body);
        assert_eq!(answer.code(), "unavailable");
        assert_eq!(answer.headers["retry-after"], "1");
        let text = answer.body.to_string();
        assert!(
            !text.contains("127.0.0.1") && !text.contains("dispatch"),
            "no internals: {text}"
        );
    }
    let graphql = app
        .post(
            "/graphql",
            None,
            json!({"query": "{ property(id: \"01JCXW4Y6Z5V1TESTPR0PERTY1\") { id } }"}),
        )
        .await;
    assert_eq!(
        graphql.body["errors"][0]["extensions"]["code"], "unavailable",
        "{:?}",
        graphql.body
    );
    assert_eq!(graphql.body["errors"][0]["extensions"]["retryAfter"], 1);
}
