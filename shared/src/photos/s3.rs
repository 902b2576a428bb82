//! The S3 adapter of [`PhotoStorage`]: presigned `PUT`s bound to the declared type and size,
//! ranged reads of an upload's head, deletes. Built like the other SDK clients (`aws_http`):
//! no network call at init, and presigning itself makes none (it only signs).

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::presigning::PresigningConfig;

use super::storage::{
    PHOTO_CACHE_CONTROL, PhotoStorage, StorageError, StoredHead, UPLOAD_URL_MINUTES, UploadRequest, UploadSlot,
};
use crate::aws_http::{EnvConfigError, sdk_config_from_env, service_endpoint};

/// The environment variable naming the photos bucket.
pub const PHOTOS_BUCKET_ENV: &str = "PHOTOS_BUCKET";

/// Photo files in one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3PhotoStorage {
    client: Client,
    bucket: String,
}

impl S3PhotoStorage {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The storage of a Lambda function: [`sdk_config_from_env`], on `AWS_ENDPOINT_URL_S3`
    /// when set (moto, path-style addressing), in the bucket `PHOTOS_BUCKET`. No network call.
    pub fn from_env() -> Result<Self, EnvConfigError> {
        let bucket = std::env::var(PHOTOS_BUCKET_ENV)
            .ok()
            .filter(|b| !b.trim().is_empty())
            .ok_or(EnvConfigError::Missing(PHOTOS_BUCKET_ENV))?;
        let config = sdk_config_from_env()?;
        Ok(Self::new(client(&config, service_endpoint("S3")), bucket))
    }

    /// The bucket (tests and provisioning create it on the emulator).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The S3 client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// An S3 client from `config`, pointed at `endpoint` when given (path-style, as emulators
/// need). Checksums only where S3 requires them: a presigned `PUT` must not carry a checksum
/// of an empty body the client will not send.
pub fn client(config: &aws_config::SdkConfig, endpoint: Option<String>) -> Client {
    let mut builder = aws_sdk_s3::config::Builder::from(config)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
    if let Some(url) = endpoint.or_else(|| config.endpoint_url().map(str::to_owned)) {
        builder = builder.endpoint_url(url).force_path_style(true);
    }
    Client::from_conf(builder.build())
}

fn unavailable<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    doing: &str,
    err: &aws_sdk_s3::error::SdkError<E, R>,
) -> StorageError {
    StorageError::Unavailable(format!("{doing}: {}", DisplayErrorContext(err)))
}

/// The total size in a `Content-Range: bytes 0-99/1234` header.
fn total_size(content_range: &str) -> Option<u64> {
    content_range.rsplit_once('/')?.1.trim().parse().ok()
}

#[async_trait]
impl PhotoStorage for S3PhotoStorage {
    async fn upload_slot(&self, upload: &UploadRequest<'_>) -> Result<UploadSlot, StorageError> {
        let issued: SystemTime = upload.issued_at.into();
        let presigning = PresigningConfig::builder()
            .start_time(issued)
            .expires_in(Duration::from_secs(UPLOAD_URL_MINUTES as u64 * 60))
            .build()
            .map_err(|err| StorageError::Unavailable(format!("presigning config: {err}")))?;
        let size =
            i64::try_from(upload.size_bytes).map_err(|_| StorageError::Unavailable("size out of range".into()))?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(upload.key)
            .content_type(upload.content_type.as_mime())
            .content_length(size)
            .cache_control(PHOTO_CACHE_CONTROL)
            .presigned(presigning)
            .await
            .map_err(|err| unavailable("presigning PutObject", &err))?;
        let headers = presigned
            .headers()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect();
        Ok(UploadSlot {
            method: presigned.method().to_owned(),
            url: presigned.uri().to_owned(),
            headers,
            expires_at: upload.expires_at(),
        })
    }

    async fn head(&self, key: &str, max_bytes: usize) -> Result<Option<StoredHead>, StorageError> {
        let last = max_bytes.max(1) - 1;
        let answer = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{last}"))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            // An empty object has no byte 0 to range over.
            Err(err) if err.code() == Some("InvalidRange") => {
                return Ok(Some(StoredHead {
                    bytes: Vec::new(),
                    size: 0,
                }));
            }
            Err(err) => return Err(unavailable("GetObject", &err)),
        };
        let size = output
            .content_range()
            .and_then(total_size)
            .or_else(|| output.content_length().and_then(|n| u64::try_from(n).ok()));
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|err| StorageError::Unavailable(format!("reading GetObject's body: {err}")))?
            .into_bytes();
        let mut bytes = bytes.to_vec();
        bytes.truncate(max_bytes);
        let size = size.unwrap_or(bytes.len() as u64);
        Ok(Some(StoredHead { bytes, size }))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(drop)
            .map_err(|err| unavailable("DeleteObject", &err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_comes_from_the_content_range() {
        assert_eq!(total_size("bytes 0-99/1234"), Some(1234));
        assert_eq!(total_size("bytes 0-0/1"), Some(1));
        assert_eq!(total_size("bytes */1234"), Some(1234));
        assert_eq!(total_size("garbage"), None);
    }
}
