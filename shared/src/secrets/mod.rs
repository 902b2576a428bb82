//! Secrets the functions read at run time (the JWT signing keys, Stripe's keys) instead of
//! carrying them in their configuration, where anyone who may read a function's settings
//! could see them.
//!
//! A [`Managed`] secret is read from its [`SecretSource`] on first use, never at init (no
//! network before the first request), then cached for the sandbox's life. Two things read it
//! again: age ([`MAX_AGE`], so that a retired key stops working everywhere within minutes of
//! its removal), and a caller telling it the cached value stopped working (a token signed by a
//! key it does not know yet, a `401` from Stripe), at most once per [`MIN_REFRESH_INTERVAL`] so
//! that forged requests cannot turn into a flood of reads.

pub mod manager;

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::error::ApiError;

/// How long a cached value is used before it is read again.
pub const MAX_AGE: Duration = Duration::minutes(5);
/// The least time between two reads asked for because a value stopped working.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::seconds(10);

/// Why a secret could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The service did not answer, or refused for now (retry later).
    #[error("secret {id} is unavailable: {cause}")]
    Unavailable { id: String, cause: String },
    /// The secret does not exist, or this function may not read it (a deployment error).
    #[error("secret {id} cannot be read: {cause}")]
    Denied { id: String, cause: String },
    /// The secret's value is not what the code expects (a deployment error).
    #[error("secret {id} is malformed: {cause}")]
    Malformed { id: String, cause: String },
}

impl From<SecretError> for ApiError {
    fn from(err: SecretError) -> Self {
        match err {
            SecretError::Unavailable { .. } => ApiError::unavailable(err.to_string()),
            SecretError::Denied { .. } | SecretError::Malformed { .. } => ApiError::internal(err.to_string()),
        }
    }
}

/// Where secret values live (AWS Secrets Manager in Lambda).
#[async_trait]
pub trait SecretSource: Send + Sync {
    /// The current text value of the secret `id` (a name or an ARN).
    async fn read(&self, id: &str) -> Result<String, SecretError>;
}

/// Turns a secret's text into what its users need (keys derived once per read).
pub type Parse<T> = Box<dyn Fn(&str) -> Result<T, String> + Send + Sync>;

/// A secret whose whole text is the value (a Stripe key), refused when blank.
pub fn text(what: &'static str) -> Parse<String> {
    Box::new(move |text| {
        let value = text.trim();
        if value.is_empty() {
            Err(format!("expected {what}, found an empty value"))
        } else {
            Ok(value.to_owned())
        }
    })
}

struct Cached<T> {
    value: Arc<T>,
    read_at: DateTime<Utc>,
}

/// One secret, read lazily and cached (see the module's documentation).
pub struct Managed<T> {
    source: Arc<dyn SecretSource>,
    id: String,
    parse: Parse<T>,
    clock: Arc<dyn Clock>,
    cached: RwLock<Option<Cached<T>>>,
    /// Held while reading, so concurrent first uses make one read.
    reading: Mutex<()>,
}

impl<T: Send + Sync> Managed<T> {
    /// The secret `id` of `source`, parsed by `parse`. Reads nothing yet.
    pub fn new(source: Arc<dyn SecretSource>, id: impl Into<String>, parse: Parse<T>, clock: Arc<dyn Clock>) -> Self {
        Self {
            source,
            id: id.into(),
            parse,
            clock,
            cached: RwLock::new(None),
            reading: Mutex::new(()),
        }
    }

    /// The secret's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The cached value, read first if there is none or it is older than [`MAX_AGE`]. When a
    /// read for age fails, the value cached keeps serving (an outage of the secret service
    /// must not sign everyone out); a first read that fails is an error.
    pub async fn get(&self) -> Result<Arc<T>, SecretError> {
        let now = self.clock.now();
        if let Some((value, read_at)) = self.snapshot()
            && now - read_at < MAX_AGE
        {
            return Ok(value);
        }
        self.read(|cached| cached.is_some_and(|(_, read_at)| now - read_at < MAX_AGE))
            .await
    }

    /// Reads the secret again because `stale` stopped working, unless another caller already
    /// replaced it or the last read is less than [`MIN_REFRESH_INTERVAL`] old; returns the
    /// value to try (the same one when no read was made).
    pub async fn refresh(&self, stale: &Arc<T>) -> Result<Arc<T>, SecretError> {
        let now = self.clock.now();
        self.read(|cached| {
            cached.is_some_and(|(value, read_at)| !Arc::ptr_eq(&value, stale) || now - read_at < MIN_REFRESH_INTERVAL)
        })
        .await
    }

    fn snapshot(&self) -> Option<(Arc<T>, DateTime<Utc>)> {
        let cached = self.cached.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        cached.as_ref().map(|cached| (cached.value.clone(), cached.read_at))
    }

    /// Reads and caches the secret unless `fresh_enough` says the cached value (looked at
    /// again once the read lock is held) will do.
    async fn read(
        &self,
        fresh_enough: impl Fn(Option<(Arc<T>, DateTime<Utc>)>) -> bool,
    ) -> Result<Arc<T>, SecretError> {
        let _reading = self.reading.lock().await;
        let cached = self.snapshot();
        if fresh_enough(cached.clone())
            && let Some((value, _)) = cached
        {
            return Ok(value);
        }
        let read_at = self.clock.now();
        let value = match self.source.read(&self.id).await {
            Ok(text) => (self.parse)(&text)
                .map(Arc::new)
                .map_err(|cause| SecretError::Malformed {
                    id: self.id.clone(),
                    cause,
                }),
            Err(err) => Err(err),
        };
        match (value, cached) {
            (Ok(value), _) => {
                let mut slot = self.cached.write().unwrap_or_else(|poisoned| poisoned.into_inner());
                *slot = Some(Cached {
                    value: value.clone(),
                    read_at,
                });
                Ok(value)
            }
            (Err(err), Some((value, _))) => {
                // Keep serving what worked; try again at the next use.
                tracing::warn!(secret = %self.id, error = %err, "reading a secret again failed; the cached value stays");
                Ok(value)
            }
            (Err(err), None) => Err(err),
        }
    }
}

/// A secret in the process's memory (the local API's generated keys, tests), or one read
/// through a [`Managed`] cache: what the app's users see, whichever it is.
pub enum Secret<T> {
    Fixed(Arc<T>),
    Managed(Managed<T>),
}

impl<T: Send + Sync> Secret<T> {
    /// A value known at start-up.
    pub fn fixed(value: T) -> Self {
        Self::Fixed(Arc::new(value))
    }

    /// The value, when it is fixed (known without a read): for tools and tests that sign in
    /// their own process.
    pub fn fixed_value(&self) -> Option<&T> {
        match self {
            Secret::Fixed(value) => Some(value),
            Secret::Managed(_) => None,
        }
    }

    /// The value to use now.
    pub async fn get(&self) -> Result<Arc<T>, SecretError> {
        match self {
            Secret::Fixed(value) => Ok(value.clone()),
            Secret::Managed(managed) => managed.get().await,
        }
    }

    /// The value to try after `stale` stopped working: a fresh read for a managed secret
    /// (see [`Managed::refresh`]), `None` for a fixed one (nothing newer exists).
    pub async fn refreshed(&self, stale: &Arc<T>) -> Result<Option<Arc<T>>, SecretError> {
        match self {
            Secret::Fixed(_) => Ok(None),
            Secret::Managed(managed) => {
                let value = managed.refresh(stale).await?;
                Ok((!Arc::ptr_eq(&value, stale)).then_some(value))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A source whose value tests change, counting reads; fails while `down` is set.
    struct Versions {
        value: std::sync::Mutex<String>,
        reads: AtomicUsize,
        down: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl SecretSource for Versions {
        async fn read(&self, id: &str) -> Result<String, SecretError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            if self.down.load(Ordering::SeqCst) {
                return Err(SecretError::Unavailable {
                    id: id.to_owned(),
                    cause: "down".into(),
                });
            }
            Ok(self.value.lock().unwrap().clone())
        }
    }

    fn setup(value: &str) -> (Arc<Versions>, Arc<ManualClock>, Managed<String>) {
        let source = Arc::new(Versions {
            value: std::sync::Mutex::new(value.to_owned()),
            reads: AtomicUsize::new(0),
            down: false.into(),
        });
        let clock = Arc::new(ManualClock::default());
        let parse: Parse<String> = Box::new(|text| {
            if text.is_empty() {
                Err("empty".into())
            } else {
                Ok(text.to_owned())
            }
        });
        let managed = Managed::new(source.clone(), "roost/test", parse, clock.clone());
        (source, clock, managed)
    }

    #[tokio::test]
    async fn reads_on_first_use_then_serves_the_cache_until_it_is_old() {
        let (source, clock, managed) = setup("one");
        assert_eq!(
            source.reads.load(Ordering::SeqCst),
            0,
            "nothing is read at construction"
        );
        assert_eq!(*managed.get().await.unwrap(), "one");
        *source.value.lock().unwrap() = "two".into();
        clock.advance(MAX_AGE - Duration::seconds(1));
        assert_eq!(*managed.get().await.unwrap(), "one");
        assert_eq!(source.reads.load(Ordering::SeqCst), 1);
        clock.advance(Duration::seconds(1));
        assert_eq!(*managed.get().await.unwrap(), "two");
        assert_eq!(source.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_value_that_stopped_working_is_read_again_at_most_every_interval() {
        let (source, clock, managed) = setup("one");
        let first = managed.get().await.unwrap();
        *source.value.lock().unwrap() = "two".into();
        // Just read: a refresh right away would be a forged request's doing.
        assert_eq!(*managed.refresh(&first).await.unwrap(), "one");
        assert_eq!(source.reads.load(Ordering::SeqCst), 1);
        clock.advance(MIN_REFRESH_INTERVAL);
        let second = managed.refresh(&first).await.unwrap();
        assert_eq!(*second, "two");
        // Another caller holding the old value gets the new one without a read.
        clock.advance(MIN_REFRESH_INTERVAL);
        assert_eq!(*managed.refresh(&first).await.unwrap(), "two");
        assert_eq!(source.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_outage_keeps_the_cached_value_but_a_first_read_fails() {
        let (source, clock, managed) = setup("one");
        source.down.store(true, Ordering::SeqCst);
        assert!(matches!(managed.get().await, Err(SecretError::Unavailable { .. })));
        source.down.store(false, Ordering::SeqCst);
        assert_eq!(*managed.get().await.unwrap(), "one");
        source.down.store(true, Ordering::SeqCst);
        clock.advance(MAX_AGE);
        assert_eq!(*managed.get().await.unwrap(), "one");
        let err: ApiError = SecretError::Unavailable {
            id: "x".into(),
            cause: "down".into(),
        }
        .into();
        assert_eq!(err.status(), 503);
    }

    #[tokio::test]
    async fn a_malformed_value_is_an_error_not_a_cached_value() {
        let (source, _clock, managed) = setup("");
        assert!(matches!(managed.get().await, Err(SecretError::Malformed { .. })));
        *source.value.lock().unwrap() = "ok".into();
        assert_eq!(*managed.get().await.unwrap(), "ok");
    }

    #[tokio::test]
    async fn concurrent_first_uses_make_one_read() {
        let (source, _clock, managed) = setup("one");
        let managed = Arc::new(managed);
        let reads: Vec<_> = (0..8)
            .map(|_| {
                let managed = managed.clone();
                tokio::spawn(async move { managed.get().await.unwrap() })
            })
            .collect();
        for read in reads {
            assert_eq!(*read.await.unwrap(), "one");
        }
        assert_eq!(source.reads.load(Ordering::SeqCst), 1);
    }
}
