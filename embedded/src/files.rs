//! The local API's photo files: the [`PhotoStorage`] port over a directory
//! (`DATA_DIR/uploads/<key>`). An upload slot is a URL of the local API itself,
//! `/_local/uploads/<token>`, whose token is signed (HMAC-SHA256) and names the key, the type,
//! the size and the expiry, as a presigned S3 URL does; `/_local/photos/<key>` serves the files.
//!
//! Like S3 behind a presigned URL, a `PUT` is refused once its URL expired or with another
//! `Content-Type`; its length is left to the verifier, which refuses a file larger or smaller
//! than declared.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use shared::photos::storage::{
    PhotoStorage, PhotoUrls, StorageError, StoredHead, UploadRequest, UploadSlot, parse_object_key,
};

/// The path the local API serves stored photos under.
pub const PHOTOS_PATH: &str = "/_local/photos";
/// The path the local API takes uploads under.
pub const UPLOADS_PATH: &str = "/_local/uploads";

/// Photo files in a directory.
pub struct LocalPhotoStorage {
    dir: PathBuf,
    /// `http://127.0.0.1:<port>`: where the local API listens.
    origin: String,
    key: Vec<u8>,
}

/// What an upload token grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Grant {
    /// The object key.
    k: String,
    /// The content type.
    t: String,
    /// Expiry, epoch seconds.
    e: i64,
}

/// Why an upload was refused (each one is `403` from S3 too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefused {
    #[error("the upload URL is not valid")]
    BadToken,
    #[error("the upload URL has expired")]
    Expired,
    #[error("Content-Type must be {0}, as declared")]
    WrongContentType(String),
}

/// A file just stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub key: String,
    pub size: u64,
}

impl LocalPhotoStorage {
    /// Files under `dir` (created if missing), served by the local API at `origin`, upload
    /// tokens signed with `secret`.
    pub fn open(dir: impl Into<PathBuf>, origin: impl Into<String>, secret: &[u8]) -> io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            origin: origin.into().trim_end_matches('/').to_owned(),
            key: secret.to_vec(),
        })
    }

    /// The public address of the stored photos.
    pub fn urls(&self) -> PhotoUrls {
        PhotoUrls::new(format!("{}{PHOTOS_PATH}", self.origin))
    }

    fn sign(&self, payload: &str) -> Result<String, StorageError> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).map_err(|err| StorageError::Unavailable(err.to_string()))?;
        mac.update(payload.as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    fn token(&self, grant: &Grant) -> Result<String, StorageError> {
        let json = serde_json::to_vec(grant).map_err(|err| StorageError::Unavailable(err.to_string()))?;
        let payload = URL_SAFE_NO_PAD.encode(json);
        let signature = self.sign(&payload)?;
        Ok(format!("{payload}.{signature}"))
    }

    fn grant(&self, token: &str) -> Result<Grant, UploadRefused> {
        let (payload, signature) = token.split_once('.').ok_or(UploadRefused::BadToken)?;
        // Constant time: the signature is the only secret-derived thing a caller can probe.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).map_err(|_| UploadRefused::BadToken)?;
        mac.update(payload.as_bytes());
        let given = URL_SAFE_NO_PAD.decode(signature).map_err(|_| UploadRefused::BadToken)?;
        mac.verify_slice(&given).map_err(|_| UploadRefused::BadToken)?;
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| UploadRefused::BadToken)?;
        serde_json::from_slice(&json).map_err(|_| UploadRefused::BadToken)
    }

    /// Where `key` lives on disk; `None` for a key that is not a photo's (so no path escapes).
    fn path(&self, key: &str) -> Option<PathBuf> {
        parse_object_key(key).map(|_| self.dir.join(key))
    }

    /// Stores the body of `PUT /_local/uploads/<token>` if the token and type allow it.
    pub fn accept(
        &self,
        token: &str,
        content_type: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Accepted, AcceptError> {
        let grant = self.grant(token)?;
        if now.timestamp() >= grant.e {
            return Err(UploadRefused::Expired.into());
        }
        if content_type.map(str::trim) != Some(grant.t.as_str()) {
            return Err(UploadRefused::WrongContentType(grant.t).into());
        }
        let path = self.path(&grant.k).ok_or(UploadRefused::BadToken)?;
        write_atomically(&path, body)?;
        write_atomically(&type_path(&path), grant.t.as_bytes())?;
        Ok(Accepted {
            key: grant.k,
            size: body.len() as u64,
        })
    }

    /// The stored file at `key` and its content type, for `GET /_local/photos/<key>`.
    pub fn read(&self, key: &str) -> io::Result<Option<(Vec<u8>, String)>> {
        let Some(path) = self.path(key) else {
            return Ok(None);
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        let content_type =
            std::fs::read_to_string(type_path(&path)).unwrap_or_else(|_| "application/octet-stream".to_owned());
        Ok(Some((bytes, content_type)))
    }

    /// Whether a file is stored at `key` (tests check nothing is left behind).
    pub fn contains(&self, key: &str) -> bool {
        self.path(key).is_some_and(|path| path.exists())
    }
}

/// Why `accept` stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error(transparent)]
    Refused(#[from] UploadRefused),
    #[error("storing the upload: {0}")]
    Io(#[from] io::Error),
}

fn type_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".content-type");
    PathBuf::from(name)
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", ulid::Ulid::new()));
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

fn io_error(err: io::Error) -> StorageError {
    StorageError::Unavailable(err.to_string())
}

#[async_trait]
impl PhotoStorage for LocalPhotoStorage {
    async fn upload_slot(&self, upload: &UploadRequest<'_>) -> Result<UploadSlot, StorageError> {
        let expires_at = upload.expires_at();
        let token = self.token(&Grant {
            k: upload.key.to_owned(),
            t: upload.content_type.as_mime().to_owned(),
            e: expires_at.timestamp(),
        })?;
        let mut headers = BTreeMap::new();
        headers.insert("content-type".to_owned(), upload.content_type.as_mime().to_owned());
        Ok(UploadSlot {
            method: "PUT".to_owned(),
            url: format!("{}{UPLOADS_PATH}/{token}", self.origin),
            headers,
            expires_at,
        })
    }

    async fn head(&self, key: &str, max_bytes: usize) -> Result<Option<StoredHead>, StorageError> {
        let Some(path) = self.path(key) else {
            return Ok(None);
        };
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(io_error(err)),
        };
        let size = file.metadata().map_err(io_error)?.len();
        let mut bytes = Vec::with_capacity(max_bytes.min(usize::try_from(size).unwrap_or(max_bytes)));
        use std::io::Read;
        file.take(max_bytes as u64).read_to_end(&mut bytes).map_err(io_error)?;
        Ok(Some(StoredHead { bytes, size }))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let Some(path) = self.path(key) else {
            return Ok(());
        };
        for path in [type_path(&path), path] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(io_error(err)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::photos::verify::PhotoType;

    const KEY: &str = "properties/01JCXW4Y6Z5V1TESTPR0PERTY1/photos/01JCXW4Y6Z5V1TESTPH0T00001";

    fn storage() -> LocalPhotoStorage {
        let dir = std::env::temp_dir().join(format!("roost-files-{}", ulid::Ulid::new()));
        LocalPhotoStorage::open(dir, "http://127.0.0.1:3000", b"secret").unwrap()
    }

    async fn slot(storage: &LocalPhotoStorage, issued_at: DateTime<Utc>) -> String {
        let slot = storage
            .upload_slot(&UploadRequest {
                key: KEY,
                content_type: PhotoType::Png,
                size_bytes: 5,
                issued_at,
            })
            .await
            .unwrap();
        assert_eq!(slot.headers["content-type"], "image/png");
        slot.url.rsplit('/').next().unwrap().to_owned()
    }

    #[tokio::test]
    async fn a_signed_upload_round_trips_and_deletes() {
        let storage = storage();
        let now = Utc::now();
        let token = slot(&storage, now).await;
        let accepted = storage.accept(&token, Some("image/png"), b"hello", now).unwrap();
        assert_eq!(
            accepted,
            Accepted {
                key: KEY.to_owned(),
                size: 5
            }
        );
        let head = storage.head(KEY, 3).await.unwrap().unwrap();
        assert_eq!(
            head,
            StoredHead {
                bytes: b"hel".to_vec(),
                size: 5
            }
        );
        assert_eq!(
            storage.read(KEY).unwrap().unwrap(),
            (b"hello".to_vec(), "image/png".to_owned())
        );
        storage.delete(KEY).await.unwrap();
        storage.delete(KEY).await.unwrap();
        assert_eq!(storage.head(KEY, 3).await.unwrap(), None);
        assert!(!storage.contains(KEY));
    }

    #[tokio::test]
    async fn expired_forged_and_mistyped_uploads_store_nothing() {
        let storage = storage();
        let now = Utc::now();
        let token = slot(&storage, now).await;
        let later = now + chrono::Duration::minutes(15);
        assert!(matches!(
            storage.accept(&token, Some("image/png"), b"x", later),
            Err(AcceptError::Refused(UploadRefused::Expired))
        ));
        assert!(matches!(
            storage.accept(&token, Some("image/jpeg"), b"x", now),
            Err(AcceptError::Refused(UploadRefused::WrongContentType(_)))
        ));
        assert!(matches!(
            storage.accept(&token, None, b"x", now),
            Err(AcceptError::Refused(UploadRefused::WrongContentType(_)))
        ));
        let (payload, _) = token.split_once('.').unwrap();
        let other = LocalPhotoStorage::open(std::env::temp_dir(), "http://x", b"other").unwrap();
        for forged in [
            format!("{payload}.AAAA"),
            other.token(&storage.grant(&token).unwrap()).unwrap(),
            "x".into(),
        ] {
            assert!(matches!(
                storage.accept(&forged, Some("image/png"), b"x", now),
                Err(AcceptError::Refused(UploadRefused::BadToken))
            ));
        }
        assert!(!storage.contains(KEY));
    }
}
