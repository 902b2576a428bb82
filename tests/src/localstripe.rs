//! localstripe, the Stripe emulator that `scripts/test` starts (through
//! `scripts/localstripe_server.py`): its endpoint, a [`StripeProvider`] on it, webhooks, and
//! the objects tests set up there by hand.

use serde_json::Value;
use shared::payments::stripe::StripeProvider;

/// Environment variable holding localstripe's URL.
pub const ENDPOINT_ENV: &str = "ROOST_LOCALSTRIPE_URL";

/// The secret key tests use: localstripe takes any key that starts with `sk_`.
pub const SECRET_KEY: &str = "sk_test_roost";

/// The localstripe endpoint from `ROOST_LOCALSTRIPE_URL`.
///
/// # Panics
/// When the variable is unset: a test that needs localstripe must fail, never skip silently.
pub fn endpoint() -> String {
    match std::env::var(ENDPOINT_ENV) {
        Ok(endpoint) if !endpoint.trim().is_empty() => endpoint.trim_end_matches('/').to_owned(),
        _ => panic!("ROOST_LOCALSTRIPE_URL is not set: run ./scripts/test, which starts localstripe"),
    }
}

/// A [`StripeProvider`] talking to localstripe.
///
/// # Panics
/// When `ROOST_LOCALSTRIPE_URL` is unset.
pub fn provider() -> StripeProvider {
    StripeProvider::new(endpoint(), SECRET_KEY)
}

/// Has localstripe send every event to `url`, signed with `secret`, and returns the webhook's
/// id. localstripe keeps webhooks for its whole life and sends each event to all of them, so a
/// test's receiver also gets other tests' events: match on the objects it created.
///
/// # Panics
/// When localstripe refuses or cannot be reached: this is test setup.
pub async fn configure_webhook(url: &str, secret: &str) -> String {
    let id = format!("roost_{}", ulid::Ulid::new().to_string().to_lowercase());
    let response = client()
        .post(format!("{}/_config/webhooks/{id}", endpoint()))
        .form(&[("url", url), ("secret", secret)])
        .send()
        .await
        .unwrap_or_else(|err| panic!("configuring a webhook on localstripe: {err}"));
    let status = response.status();
    assert!(status.is_success(), "localstripe refused webhook {url}: {status}");
    id
}

/// A card PaymentMethod (4000 0000 0000 3220) whose charges need 3-D Secure: its id.
///
/// # Panics
/// When localstripe refuses or cannot be reached.
pub async fn three_d_secure_payment_method() -> String {
    let method = post(
        "/v1/payment_methods",
        &[
            ("type", "card"),
            ("card[number]", "4000000000003220"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2034"),
            ("card[cvc]", "123"),
        ],
    )
    .await;
    match method["id"].as_str() {
        Some(id) => id.to_owned(),
        None => panic!("localstripe's PaymentMethod has no id: {method}"),
    }
}

/// `GET path` (such as `/v1/charges/ch_...`) with the tests' key: the object as JSON.
///
/// # Panics
/// When localstripe answers other than 200 or cannot be reached.
pub async fn get(path: &str) -> Value {
    let request = client().get(format!("{}{path}", endpoint())).bearer_auth(SECRET_KEY);
    read(request, path).await
}

/// `POST path` with `form` and the tests' key: the object as JSON.
///
/// # Panics
/// When localstripe answers other than 200 or cannot be reached.
pub async fn post(path: &str, form: &[(&str, &str)]) -> Value {
    let request = client()
        .post(format!("{}{path}", endpoint()))
        .bearer_auth(SECRET_KEY)
        .form(form);
    read(request, path).await
}

async fn read(request: reqwest::RequestBuilder, path: &str) -> Value {
    let response = request
        .send()
        .await
        .unwrap_or_else(|err| panic!("localstripe {path}: {err}"));
    let status = response.status();
    let body = response
        .text()
        .await
        .unwrap_or_else(|err| panic!("localstripe {path}: reading the answer: {err}"));
    assert!(status.is_success(), "localstripe {path} answered {status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|err| panic!("localstripe {path}: not JSON ({err}): {body}"))
}

fn client() -> reqwest::Client {
    // No proxy: an HTTP(S)_PROXY from the environment must not intercept loopback.
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|err| panic!("building an HTTP client: {err}"))
}
