//! The dependencies every handler gets: built once per process (Lambda init, or the local
//! API's start-up), then shared read-only.

use std::sync::Arc;

use crate::auth::keys::{self, Keys, SigningKeys};
use crate::auth::suspensions::Suspensions;
use crate::auth::token::TokenConfigError;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::events::EventBus;
use crate::mail::{MailLinks, Mailer};
use crate::payments::provider::PaymentProvider;
use crate::payments::sandbox::NoProvider;
use crate::photos::storage::{NoStorage, PhotoStorage, PhotoUrls};
use crate::secrets::Secret;
use crate::store::Store;
use crate::store::retrying::RetryingStore;

/// Ports and settings of the running process.
pub struct App {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn EventBus>,
    pub clock: Arc<dyn Clock>,
    /// Sign and check access tokens and paging cursors (`auth::keys`).
    pub keys: Keys,
    /// The suspended accounts, as of at most a minute ago.
    pub suspensions: Suspensions,
    /// Takes payments and refunds them (functions that do neither get one that refuses).
    pub payments: Arc<dyn PaymentProvider>,
    /// Verifies `Stripe-Signature` on webhooks; `None` where webhooks are not received.
    pub webhook_secret: Option<Secret<WebhookSecret>>,
    /// Sends email; only the notifications consumer has one (requests never send mail).
    pub mailer: Option<Arc<dyn Mailer>>,
    /// The app links emails carry (`APP_BASE_URL`); set with the mailer.
    pub mail_links: Option<MailLinks>,
    /// Where photo files go and come from (functions that touch none refuse).
    pub photo_storage: Arc<dyn PhotoStorage>,
    /// The public address of photos, for every view that shows one.
    pub photo_urls: PhotoUrls,
}

/// The Stripe webhook endpoint secret. Never printed, even through `{:?}`.
#[derive(Clone)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// The environment variable holding the Stripe webhook secret (the local API's and tests' way).
pub const STRIPE_WEBHOOK_SECRET_ENV: &str = "STRIPE_WEBHOOK_SECRET";
/// The environment variable naming the Secrets Manager secret that holds it (Lambda's way; the
/// secret's text is the `whsec_...` value itself).
pub const STRIPE_WEBHOOK_SECRET_ARN_ENV: &str = "STRIPE_WEBHOOK_SECRET_ARN";

impl WebhookSecret {
    /// Reads a Secrets Manager value into the secret.
    pub fn parser() -> crate::secrets::Parse<Self> {
        let text = crate::secrets::text("a Stripe webhook signing secret");
        Box::new(move |value| text(value).map(Self::new))
    }
}

/// Settings read from the environment (`template.yaml` sets them in Lambda).
#[derive(Clone)]
pub struct Settings {
    /// The current signing key of access tokens.
    pub jwt_secret: Vec<u8>,
    /// During a key rotation, the previous key: tokens it signed still verify until it is
    /// removed (see `auth::token`).
    pub jwt_previous_secret: Option<Vec<u8>>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
}

impl std::fmt::Debug for Settings {
    // The secret never reaches a log line, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("jwt_secret", &"<redacted>")
            .field(
                "jwt_previous_secret",
                &self.jwt_previous_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .finish()
    }
}

/// Why the process cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error(transparent)]
    Token(#[from] TokenConfigError),
    #[error("{0}")]
    Invalid(String),
}

pub const JWT_SECRET_ENV: &str = "JWT_SECRET";
pub const JWT_PREVIOUS_SECRET_ENV: &str = "JWT_PREVIOUS_SECRET";
pub const JWT_ISSUER_ENV: &str = "JWT_ISSUER";
pub const JWT_AUDIENCE_ENV: &str = "JWT_AUDIENCE";

impl Settings {
    /// Reads `JWT_SECRET` (required), `JWT_PREVIOUS_SECRET` (optional: empty or unset is
    /// none), `JWT_ISSUER` and `JWT_AUDIENCE` (defaults `roost`, `roost-api`).
    pub fn from_env() -> Result<Self, ConfigError> {
        let secret = std::env::var(JWT_SECRET_ENV).map_err(|_| ConfigError::Missing(JWT_SECRET_ENV))?;
        Ok(Self {
            jwt_secret: secret.into_bytes(),
            jwt_previous_secret: previous_secret_from_env(),
            jwt_issuer: jwt_issuer_from_env(),
            jwt_audience: jwt_audience_from_env(),
        })
    }
}

/// `JWT_ISSUER`, `roost` when unset.
pub fn jwt_issuer_from_env() -> String {
    std::env::var(JWT_ISSUER_ENV).unwrap_or_else(|_| "roost".to_owned())
}

/// `JWT_AUDIENCE`, `roost-api` when unset.
pub fn jwt_audience_from_env() -> String {
    std::env::var(JWT_AUDIENCE_ENV).unwrap_or_else(|_| "roost-api".to_owned())
}

/// `JWT_PREVIOUS_SECRET`, when set and not empty.
pub fn previous_secret_from_env() -> Option<Vec<u8>> {
    std::env::var(JWT_PREVIOUS_SECRET_ENV)
        .ok()
        .filter(|secret| !secret.is_empty())
        .map(String::into_bytes)
}

impl App {
    /// Assembles the app from its ports and settings. Every write through the app's store
    /// that collides with a concurrent transaction is made again ([`RetryingStore`]).
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn EventBus>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Result<Self, ConfigError> {
        let keys = Secret::fixed(SigningKeys::from_settings(settings)?);
        Ok(Self::with_keys(store, bus, clock, keys))
    }

    /// [`App::new`] with signing keys from elsewhere (Lambda's: Secrets Manager).
    pub fn with_keys(store: Arc<dyn Store>, bus: Arc<dyn EventBus>, clock: Arc<dyn Clock>, keys: Keys) -> Self {
        Self {
            store: Arc::new(RetryingStore::new(store)),
            bus,
            clock,
            keys,
            suspensions: Suspensions::new(),
            payments: Arc::new(NoProvider),
            webhook_secret: None,
            mailer: None,
            mail_links: None,
            photo_storage: Arc::new(NoStorage),
            photo_urls: PhotoUrls::default(),
        }
    }

    /// The keys to sign tokens and cursors with now.
    pub async fn signing_keys(&self) -> Result<Arc<SigningKeys>, ApiError> {
        keys::current(&self.keys).await
    }

    /// The app sending email through `mailer`, with links to `links`.
    pub fn with_mail(mut self, mailer: Arc<dyn Mailer>, links: MailLinks) -> Self {
        self.mailer = Some(mailer);
        self.mail_links = Some(links);
        self
    }

    /// The app keeping photo files in `storage`, addressed publicly under `urls`.
    pub fn with_photos(mut self, storage: Arc<dyn PhotoStorage>, urls: PhotoUrls) -> Self {
        self.photo_storage = storage;
        self.photo_urls = urls;
        self
    }

    /// The app taking payments through `provider`.
    pub fn with_payments(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.payments = provider;
        self
    }

    /// The app verifying webhooks with `secret`.
    pub fn with_webhook_secret(mut self, secret: Secret<WebhookSecret>) -> Self {
        self.webhook_secret = Some(secret);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = "whsec_do_not_print_me";
        let printed = format!("{:?}", WebhookSecret::new(secret));
        assert!(!printed.contains(secret), "{printed}");
        let settings = Settings {
            jwt_secret: b"jwt-secret-do-not-print-me-please!".to_vec(),
            jwt_previous_secret: Some(b"previous-secret-do-not-print-me-pl".to_vec()),
            jwt_issuer: "roost".into(),
            jwt_audience: "roost-api".into(),
        };
        assert!(!format!("{settings:?}").contains("do-not-print"));
    }
}
