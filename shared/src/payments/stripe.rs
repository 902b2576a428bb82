//! The Stripe adapter of the payment-provider port: PaymentIntents and Refunds over Stripe's
//! REST API (form-encoded requests, a Bearer secret key, JSON answers).
//!
//! Nothing happens at construction: the HTTP client (rustls on `ring`, webpki roots compiled in,
//! so no CA file is read) is built on the first call, and a connection opened then. The base URL
//! is configurable so tests and the local API can point it at localstripe over plain HTTP.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::clock::Clock;
use crate::env::non_empty_var;
use crate::money::Money;
use crate::payments::provider::{
    Charge, ChargeRequest, ChargeState, PaymentProvider, ProviderError, ProviderName, Refund,
};
use crate::secrets::{self, Managed, Secret, SecretError, SecretSource};

/// Stripe's API, where [`StripeProvider::from_env`] points when `STRIPE_API_BASE` is unset.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
/// Environment variable overriding the API's base URL (localstripe in tests).
pub const API_BASE_ENV: &str = "STRIPE_API_BASE";
/// Environment variable holding the secret API key (`sk_live_...`, `sk_test_...`): the local
/// API's and tests' way.
pub const SECRET_KEY_ENV: &str = "STRIPE_SECRET_KEY";
/// Environment variable naming the Secrets Manager secret that holds the API key (Lambda's
/// way; the secret's text is the key itself).
pub const SECRET_KEY_ARN_ENV: &str = "STRIPE_SECRET_KEY_ARN";

// API Gateway gives a request 29 s; a Stripe call must end (as `Unavailable`) well before, so
// the client gets an answer it can retry with the same idempotency key.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why [`StripeProvider::from_env`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeConfigError {
    #[error("environment variable {SECRET_KEY_ENV} is not set")]
    MissingSecretKey,
    #[error("environment variable {SECRET_KEY_ARN_ENV} is not set")]
    MissingSecretKeyArn,
    #[error("environment variable {API_BASE_ENV} must be an http:// or https:// URL, got {0:?}")]
    InvalidApiBase(String),
}

/// [`PaymentProvider`] over Stripe's API.
pub struct StripeProvider {
    /// Without a trailing slash.
    base_url: String,
    secret_key: Secret<String>,
    client: OnceCell<reqwest::Client>,
}

// By hand, so that the secret key can never reach a log line through `{:?}`.
impl fmt::Debug for StripeProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeProvider")
            .field("base_url", &self.base_url)
            .field("secret_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl StripeProvider {
    /// A provider calling the API at `base_url` (such as [`DEFAULT_API_BASE`]) with `secret_key`.
    /// Cheap: no client is built and nothing connects until the first call.
    pub fn new(base_url: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self::with_key(base_url, Secret::fixed(secret_key.into()))
    }

    /// A provider whose key is `secret_key`, fixed or read from Secrets Manager on first use
    /// (and again when Stripe answers `401`: the key was rotated).
    pub fn with_key(base_url: impl Into<String>, secret_key: Secret<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self {
            base_url,
            secret_key,
            client: OnceCell::new(),
        }
    }

    /// A provider configured by `STRIPE_SECRET_KEY` (required) and `STRIPE_API_BASE` (optional,
    /// [`DEFAULT_API_BASE`] when unset or blank).
    pub fn from_env() -> Result<Self, StripeConfigError> {
        let secret_key = non_empty_var(SECRET_KEY_ENV).ok_or(StripeConfigError::MissingSecretKey)?;
        Ok(Self::new(api_base_from_env()?, secret_key))
    }

    /// A provider whose key is the secret `STRIPE_SECRET_KEY_ARN` names, read through
    /// `source` on first use; `STRIPE_API_BASE` as in [`StripeProvider::from_env`].
    pub fn from_secret(source: Arc<dyn SecretSource>, clock: Arc<dyn Clock>) -> Result<Self, StripeConfigError> {
        let id = non_empty_var(SECRET_KEY_ARN_ENV).ok_or(StripeConfigError::MissingSecretKeyArn)?;
        let key = Managed::new(source, id, secrets::text("a Stripe secret key"), clock);
        Ok(Self::with_key(api_base_from_env()?, Secret::Managed(key)))
    }

    /// The API's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    async fn client(&self) -> Result<&reqwest::Client, ProviderError> {
        self.client
            .get_or_try_init(|| async {
                reqwest::Client::builder()
                    .use_rustls_tls()
                    // Lambda reaches Stripe directly; and a developer's HTTP(S)_PROXY must not
                    // swallow the loopback localstripe of the tests.
                    .no_proxy()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .timeout(REQUEST_TIMEOUT)
                    .build()
                    .map_err(|err| ProviderError::Unavailable(format!("building the HTTP client: {err}")))
            })
            .await
    }

    /// POSTs `form` to `path` under `idempotency_key` and reads the answer.
    async fn post(&self, path: &str, form: &[(&str, String)], idempotency_key: &str) -> Result<Answer, ProviderError> {
        let url = format!("{}{path}", self.base_url);
        self.authorized(|client, key| {
            client
                .post(&url)
                .bearer_auth(key)
                .header("Idempotency-Key", idempotency_key)
                .form(form)
        })
        .await
    }

    async fn get(&self, path: &str) -> Result<Answer, ProviderError> {
        let url = format!("{}{path}", self.base_url);
        self.authorized(|client, key| client.get(&url).bearer_auth(key)).await
    }

    /// Sends the request `build` makes with the secret key. A `401` means the key was
    /// revoked (a rotation): the key is read again and, if it changed, the request sent once
    /// more (safe: Stripe did nothing with the refused one, and POSTs carry their idempotency
    /// key).
    async fn authorized(
        &self,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<Answer, ProviderError> {
        let client = self.client().await?;
        let key = self.secret_key.get().await.map_err(key_unavailable)?;
        let (status, body) = send(build(client, &key)).await?;
        if status == 401
            && let Some(fresh) = self.secret_key.refreshed(&key).await.map_err(key_unavailable)?
        {
            let (status, body) = send(build(client, &fresh)).await?;
            return read_answer(status, body);
        }
        read_answer(status, body)
    }

    /// The PaymentIntent a declined charge `charge_id` belongs to, for a decline whose error
    /// did not name it (localstripe's never do).
    async fn intent_of_charge(&self, charge_id: &str) -> Result<String, ProviderError> {
        check_id(charge_id)?;
        match self.get(&format!("/v1/charges/{charge_id}")).await? {
            Answer::Object(charge) => match charge.get("payment_intent") {
                Some(Value::String(id)) => Ok(id.clone()),
                Some(Value::Object(intent)) => intent
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| malformed("a charge's payment_intent has no id")),
                _ => Err(malformed("a declined charge names no PaymentIntent")),
            },
            Answer::Declined(decline) => Err(ProviderError::Unavailable(decline.message)),
        }
    }
}

#[async_trait]
impl PaymentProvider for StripeProvider {
    fn name(&self) -> ProviderName {
        ProviderName::Stripe
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, ProviderError> {
        let form = [
            ("amount", request.amount.amount.to_string()),
            ("currency", request.amount.currency.code().to_ascii_lowercase()),
            ("payment_method", request.payment_method.clone()),
            // Cards only: with Stripe's default (automatic payment methods) a server-side
            // confirmation must carry a return_url for redirect-based methods.
            ("payment_method_types[0]", "card".to_owned()),
            ("confirm", "true".to_owned()),
            ("metadata[booking_id]", request.booking_id.clone()),
            ("metadata[payment_id]", request.payment_id.clone()),
        ];
        match self
            .post("/v1/payment_intents", &form, &request.idempotency_key)
            .await?
        {
            Answer::Object(intent) => charge_of_intent(&intent, &self.base_url),
            Answer::Declined(decline) => {
                // The decline is final, but the payment needs its intent as reference. Should the
                // look-up fail, `Unavailable` is safe: a retry under the same key replays the 402.
                let reference = match (decline.payment_intent, decline.charge) {
                    (Some(intent), _) => intent,
                    (None, Some(charge)) => self.intent_of_charge(&charge).await?,
                    (None, None) => return Err(malformed("a decline names neither PaymentIntent nor charge")),
                };
                Ok(Charge {
                    reference,
                    state: ChargeState::Failed {
                        reason: decline.message,
                    },
                })
            }
        }
    }

    async fn refund(&self, reference: &str, amount: Money, idempotency_key: &str) -> Result<Refund, ProviderError> {
        check_id(reference)?;
        let form = [
            ("payment_intent", reference.to_owned()),
            ("amount", amount.amount.to_string()),
        ];
        match self.post("/v1/refunds", &form, idempotency_key).await? {
            Answer::Object(refund) => refund_of(&refund),
            // A refund is not a card payment: a 402 here is a refusal, not a decline to record.
            Answer::Declined(decline) => Err(ProviderError::Invalid(decline.message)),
        }
    }

    async fn state(&self, reference: &str) -> Result<ChargeState, ProviderError> {
        check_id(reference)?;
        match self.get(&format!("/v1/payment_intents/{reference}")).await? {
            Answer::Object(intent) => state_of_intent(&intent, &self.base_url),
            Answer::Declined(decline) => Err(ProviderError::Unavailable(decline.message)),
        }
    }
}

fn key_unavailable(err: SecretError) -> ProviderError {
    ProviderError::Unavailable(err.to_string())
}

/// `STRIPE_API_BASE`, or [`DEFAULT_API_BASE`] when unset or blank.
fn api_base_from_env() -> Result<String, StripeConfigError> {
    let base_url = non_empty_var(API_BASE_ENV).unwrap_or_else(|| DEFAULT_API_BASE.to_owned());
    if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
        return Err(StripeConfigError::InvalidApiBase(base_url));
    }
    Ok(base_url)
}

/// Sends `request` and reads its status and JSON body; transport failures (including
/// timeouts) are `Unavailable`: the same idempotency key makes a retry safe.
async fn send(request: reqwest::RequestBuilder) -> Result<(u16, Value), ProviderError> {
    let response = request
        .send()
        .await
        .map_err(|err| ProviderError::Unavailable(format!("Stripe request failed: {err}")))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|err| ProviderError::Unavailable(format!("reading Stripe's answer ({status}): {err}")))?;
    // A proxy or load balancer in the way may answer HTML: that is an outage, whatever the status.
    let body: Value = serde_json::from_slice(&body)
        .map_err(|err| ProviderError::Unavailable(format!("Stripe answered {status} with non-JSON: {err}")))?;
    Ok((status, body))
}

/// A Stripe answer that is not an error of ours or Stripe's.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// A 2xx: the object asked for or created.
    Object(Value),
    /// A 402: the card was declined (or authentication failed).
    Declined(Decline),
}

/// A 402's `error` object, the parts the adapter uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decline {
    message: String,
    /// Stripe puts the whole PaymentIntent in `error.payment_intent`; localstripe leaves it out.
    payment_intent: Option<String>,
    charge: Option<String>,
}

/// Sorts an HTTP status and JSON body into an [`Answer`] or the port's error.
///
/// 402 is a decline (Stripe's `card_error`; localstripe calls it `invalid_request_error` but
/// keeps the status). 401, 403 (our key), 409 (a concurrent request with the same idempotency
/// key) and 429 (rate limit) are `Unavailable`: the client did nothing wrong and a retry may
/// pass. Other 4xx (a bad parameter, an unknown payment method) are `Invalid` with Stripe's
/// message; 5xx and anything else, `Unavailable`.
fn read_answer(status: u16, body: Value) -> Result<Answer, ProviderError> {
    let error = body.get("error");
    let message = error
        .and_then(|error| error.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("Stripe answered {status}"));
    match status {
        200..=299 => Ok(Answer::Object(body)),
        402 => {
            let field = |name: &str| error.and_then(|error| error.get(name));
            Ok(Answer::Declined(Decline {
                message,
                payment_intent: field("payment_intent").and_then(id_of),
                charge: field("charge").and_then(id_of),
            }))
        }
        401 | 403 | 409 | 429 => Err(ProviderError::Unavailable(format!(
            "Stripe answered {status}: {message}"
        ))),
        400..=499 => Err(ProviderError::Invalid(message)),
        _ => Err(ProviderError::Unavailable(format!(
            "Stripe answered {status}: {message}"
        ))),
    }
}

/// The id of an expandable field: Stripe sends either the id or the whole object.
fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(id) => Some(id.clone()),
        Value::Object(object) => object.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// A PaymentIntent as the port's [`Charge`].
fn charge_of_intent(intent: &Value, base_url: &str) -> Result<Charge, ProviderError> {
    let reference = intent
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("a PaymentIntent has no id"))?;
    Ok(Charge {
        reference: reference.to_owned(),
        state: state_of_intent(intent, base_url)?,
    })
}

/// Where a PaymentIntent stands, from its `status`.
///
/// Charges are created confirmed with automatic capture, so `requires_confirmation` and
/// `requires_capture` are passing states (`Processing`); `requires_payment_method` on such a
/// charge means the last attempt failed (a decline, failed 3-D Secure), and `canceled` is final.
fn state_of_intent(intent: &Value, base_url: &str) -> Result<ChargeState, ProviderError> {
    let status = intent
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("a PaymentIntent has no status"))?;
    match status {
        "succeeded" => Ok(ChargeState::Succeeded),
        "processing" | "requires_confirmation" | "requires_capture" => Ok(ChargeState::Processing),
        "requires_action" => Ok(ChargeState::RequiresAction {
            url: action_url(intent, base_url)?,
        }),
        "requires_payment_method" => {
            let reason = intent
                .get("last_payment_error")
                .and_then(|error| error.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("The payment method was declined.");
            Ok(ChargeState::Failed {
                reason: reason.to_owned(),
            })
        }
        "canceled" => Ok(ChargeState::Failed {
            reason: "The payment was canceled.".to_owned(),
        }),
        other => Err(malformed(&format!("unknown PaymentIntent status {other:?}"))),
    }
}

/// Where the customer authenticates: Stripe's redirect URL when the intent has one. A
/// `use_stripe_sdk` action (Stripe.js completes it with the client secret; localstripe's only
/// kind) has none, so the intent's own API URL stands in, naming it for the client.
fn action_url(intent: &Value, base_url: &str) -> Result<String, ProviderError> {
    let redirect = intent
        .get("next_action")
        .and_then(|action| action.get("redirect_to_url"))
        .and_then(|redirect| redirect.get("url"))
        .and_then(Value::as_str);
    if let Some(url) = redirect {
        return Ok(url.to_owned());
    }
    let id = intent
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("a PaymentIntent has no id"))?;
    Ok(format!("{base_url}/v1/payment_intents/{id}"))
}

/// A Stripe Refund as the port's [`Refund`].
fn refund_of(refund: &Value) -> Result<Refund, ProviderError> {
    let text = |name: &str| refund.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(Refund {
        reference: text("id").ok_or_else(|| malformed("a Refund has no id"))?,
        status: text("status").ok_or_else(|| malformed("a Refund has no status"))?,
    })
}

/// Refuses an id that would change the URL path it is put in (`pi_../..`).
fn check_id(id: &str) -> Result<(), ProviderError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(())
    } else {
        Err(ProviderError::Invalid(format!("not a Stripe id: {id:?}")))
    }
}

/// An answer that is not what Stripe documents: Stripe's fault (or a proxy's), never the client's.
fn malformed(what: &str) -> ProviderError {
    ProviderError::Unavailable(format!("unexpected Stripe answer: {what}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const BASE: &str = "https://api.stripe.com";

    fn state(intent: Value) -> ChargeState {
        state_of_intent(&intent, BASE).unwrap()
    }

    #[test]
    fn statuses_map_to_charge_states() {
        assert_eq!(
            state(json!({"id": "pi_1", "status": "succeeded"})),
            ChargeState::Succeeded
        );
        assert_eq!(
            state(json!({"id": "pi_1", "status": "processing"})),
            ChargeState::Processing
        );
        assert_eq!(
            state(json!({"id": "pi_1", "status": "requires_payment_method",
                "last_payment_error": {"message": "Your card was declined."}})),
            ChargeState::Failed {
                reason: "Your card was declined.".to_owned()
            }
        );
        assert!(matches!(
            state(json!({"id": "pi_1", "status": "canceled"})),
            ChargeState::Failed { .. }
        ));
        assert!(state_of_intent(&json!({"id": "pi_1", "status": "exploded"}), BASE).is_err());
        assert!(state_of_intent(&json!({"id": "pi_1"}), BASE).is_err());
    }

    #[test]
    fn requires_action_prefers_the_redirect_url() {
        let redirect = json!({"id": "pi_1", "status": "requires_action", "next_action": {
            "type": "redirect_to_url", "redirect_to_url": {"url": "https://hooks.stripe.com/3ds/x"}}});
        assert_eq!(
            state(redirect),
            ChargeState::RequiresAction {
                url: "https://hooks.stripe.com/3ds/x".to_owned()
            }
        );
        // localstripe's (and Stripe.js's) kind of action carries no URL.
        let sdk = json!({"id": "pi_1", "status": "requires_action", "next_action": {
            "type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}});
        assert_eq!(
            state(sdk),
            ChargeState::RequiresAction {
                url: format!("{BASE}/v1/payment_intents/pi_1")
            }
        );
    }

    #[test]
    fn a_2xx_is_the_object() {
        let body = json!({"id": "pi_1", "status": "succeeded"});
        assert_eq!(read_answer(200, body.clone()).unwrap(), Answer::Object(body.clone()));
        let charge = charge_of_intent(&body, BASE).unwrap();
        assert_eq!(charge.reference, "pi_1");
        assert!(charge_of_intent(&json!({"status": "succeeded"}), BASE).is_err());
    }

    #[test]
    fn a_stripe_card_error_names_its_payment_intent() {
        // As Stripe sends it: the whole PaymentIntent inside the error.
        let body = json!({"error": {"type": "card_error", "code": "card_declined",
            "message": "Your card was declined.", "charge": "ch_1",
            "payment_intent": {"id": "pi_1", "status": "requires_payment_method"}}});
        assert_eq!(
            read_answer(402, body).unwrap(),
            Answer::Declined(Decline {
                message: "Your card was declined.".to_owned(),
                payment_intent: Some("pi_1".to_owned()),
                charge: Some("ch_1".to_owned()),
            })
        );
    }

    #[test]
    fn a_localstripe_decline_names_only_its_charge() {
        let body = json!({"error": {"type": "invalid_request_error", "code": "card_declined",
            "message": "Your card was declined.", "charge": "ch_1"}});
        let Answer::Declined(decline) = read_answer(402, body).unwrap() else {
            panic!("a 402 is a decline");
        };
        assert_eq!(decline.payment_intent, None);
        assert_eq!(decline.charge.as_deref(), Some("ch_1"));
    }

    #[test]
    fn other_errors_are_invalid_or_unavailable() {
        let error = |message: &str| json!({"error": {"type": "invalid_request_error", "message": message}});
        assert_eq!(
            read_answer(400, error("No such PaymentMethod: 'pm_x'")),
            Err(ProviderError::Invalid("No such PaymentMethod: 'pm_x'".to_owned()))
        );
        assert_eq!(
            read_answer(404, error("Not Found")),
            Err(ProviderError::Invalid("Not Found".to_owned()))
        );
        for status in [401, 403, 409, 429, 500, 502, 503] {
            assert!(
                matches!(read_answer(status, error("x")), Err(ProviderError::Unavailable(_))),
                "{status}"
            );
        }
        // No message at all still says something.
        assert_eq!(
            read_answer(400, json!({})),
            Err(ProviderError::Invalid("Stripe answered 400".to_owned()))
        );
    }

    #[test]
    fn refunds_read_id_and_status() {
        let refund = refund_of(&json!({"id": "re_1", "status": "succeeded", "amount": 100})).unwrap();
        assert_eq!(refund.reference, "re_1");
        assert_eq!(refund.status, "succeeded");
        assert!(refund_of(&json!({"status": "succeeded"})).is_err());
    }

    #[test]
    fn ids_cannot_escape_their_path() {
        assert!(check_id("pi_3MtwBwLkdIwHu7ix28a3tqPa").is_ok());
        for bad in ["", "pi_1/../../v1/charges", "pi_1?expand=x", "pi 1"] {
            assert!(matches!(check_id(bad), Err(ProviderError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn the_secret_key_stays_out_of_debug_output() {
        let provider = StripeProvider::new("http://127.0.0.1:8420/", "sk_test_very_secret");
        let debug = format!("{provider:?}");
        assert!(!debug.contains("very_secret"), "{debug}");
        assert!(debug.contains("http://127.0.0.1:8420"), "{debug}");
        assert_eq!(provider.base_url(), "http://127.0.0.1:8420");
    }
}
