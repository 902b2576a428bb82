//! The photo-file port: where upload slots come from and where verified photos live. S3 in
//! AWS ([`super::s3`]), files under `DATA_DIR/uploads` in the local API. The API never carries
//! image bytes: a client sends them straight to the slot's URL.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::verify::PhotoType;

/// How long an upload slot's URL stays valid.
pub const UPLOAD_URL_MINUTES: i64 = 15;

/// The `Cache-Control` every stored photo carries: a photo's URL never changes its bytes (a new
/// upload is a new photo id), so browsers and the CDN may keep it for a year.
pub const PHOTO_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// What an upload slot is for.
#[derive(Debug, Clone, Copy)]
pub struct UploadRequest<'a> {
    /// Where the bytes go (see [`object_key`]).
    pub key: &'a str,
    pub content_type: PhotoType,
    pub size_bytes: u64,
    /// When the slot is issued; it expires [`UPLOAD_URL_MINUTES`] later.
    pub issued_at: DateTime<Utc>,
}

impl UploadRequest<'_> {
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.issued_at + chrono::Duration::minutes(UPLOAD_URL_MINUTES)
    }
}

/// How a client sends the bytes: the `upload` of `POST /properties/{id}/photos`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadSlot {
    /// Always `PUT`.
    pub method: String,
    pub url: String,
    /// Headers the request must carry exactly as given (they are part of the signature).
    pub headers: BTreeMap<String, String>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
}

/// The start of a stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHead {
    /// At most the bytes asked for.
    pub bytes: Vec<u8>,
    /// The whole file's size.
    pub size: u64,
}

/// Why the file store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The store could not be reached or refused the call (retry later); details for logs.
    #[error("photo storage unavailable: {0}")]
    Unavailable(String),
    /// This process has no photo storage (a function that never handles files).
    #[error("photo storage is not configured in this function")]
    NotConfigured,
}

/// The photo-file port.
#[async_trait]
pub trait PhotoStorage: Send + Sync {
    /// A URL the client may `PUT` exactly this file to until [`UploadRequest::expires_at`].
    /// Makes no network call.
    async fn upload_slot(&self, upload: &UploadRequest<'_>) -> Result<UploadSlot, StorageError>;
    /// The first `max_bytes` bytes of the file at `key` and its size; `None` if there is none.
    async fn head(&self, key: &str, max_bytes: usize) -> Result<Option<StoredHead>, StorageError>;
    /// Removes the file at `key` (nothing there is fine).
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
}

/// The storage of functions that never touch files.
pub struct NoStorage;

#[async_trait]
impl PhotoStorage for NoStorage {
    async fn upload_slot(&self, _upload: &UploadRequest<'_>) -> Result<UploadSlot, StorageError> {
        Err(StorageError::NotConfigured)
    }

    async fn head(&self, _key: &str, _max_bytes: usize) -> Result<Option<StoredHead>, StorageError> {
        Err(StorageError::NotConfigured)
    }

    async fn delete(&self, _key: &str) -> Result<(), StorageError> {
        Err(StorageError::NotConfigured)
    }
}

/// Where a photo's file is stored: `properties/<property id>/photos/<photo id>`. The prefix
/// is what the bucket notifies about and what the functions' policies are limited to.
pub fn object_key(property_id: &str, photo_id: &str) -> String {
    format!("properties/{property_id}/photos/{photo_id}")
}

/// The property and photo ids of an [`object_key`]; `None` for anything else.
pub fn parse_object_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("properties/")?;
    let (property_id, photo_id) = rest.split_once("/photos/")?;
    let valid = |id: &str| ulid::Ulid::from_string(id).is_ok() && id.len() == 26;
    (valid(property_id) && valid(photo_id)).then_some((property_id, photo_id))
}

/// The public address of stored photos: the CDN's origin in AWS (`PHOTOS_BASE_URL`), the
/// local API's `/_local/photos` locally.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhotoUrls {
    base: String,
}

/// The environment variable holding [`PhotoUrls`]' base.
pub const PHOTOS_BASE_URL_ENV: &str = "PHOTOS_BASE_URL";

impl PhotoUrls {
    pub fn new(base: impl Into<String>) -> Self {
        let base = base.into();
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `PHOTOS_BASE_URL`, or else relative URLs (`/properties/...`).
    pub fn from_env() -> Self {
        Self::new(std::env::var(PHOTOS_BASE_URL_ENV).unwrap_or_default())
    }

    /// The URL of the photo stored at `key`.
    pub fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_round_trip_and_nothing_else_parses() {
        let (property, photo) = ("01JCXW4Y6Z5V1TESTPR0PERTY1", "01JCXW4Y6Z5V1TESTPH0T00001");
        let key = object_key(property, photo);
        assert_eq!(key, format!("properties/{property}/photos/{photo}"));
        assert_eq!(parse_object_key(&key), Some((property, photo)));
        for other in [
            "properties/x/photos/y",
            "uploads/01JCXW4Y6Z5V1TESTPR0PERTY1/photos/01JCXW4Y6Z5V1TESTPH0T00001",
            "properties/01JCXW4Y6Z5V1TESTPR0PERTY1/photos/01JCXW4Y6Z5V1TESTPH0T00001/extra",
            "",
        ] {
            assert_eq!(parse_object_key(other), None, "{other}");
        }
    }

    #[test]
    fn urls_join_the_base_and_the_key_once() {
        assert_eq!(
            PhotoUrls::new("https://cdn.example/").url("properties/p/photos/q"),
            "https://cdn.example/properties/p/photos/q"
        );
        assert_eq!(PhotoUrls::default().url("k"), "/k");
    }
}
