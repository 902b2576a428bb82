//! The S3 adapters of [`PhotoStorage`]: presigned `PUT`s bound to the declared type and size
//! ([`S3UploadSigner`], without the S3 client), ranged reads of an upload's head and deletes
//! (the S3 client). Built like the other SDK clients (`aws_http`): no network call at init,
//! and presigning itself makes none (it only signs).

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};

pub use super::presign::S3UploadSigner;
use super::storage::{PhotoStorage, StorageError, StoredHead, UploadRequest, UploadSlot};
use crate::aws_http::{EnvConfigError, sdk_config_from_env, service_endpoint};

/// The environment variable naming the photos bucket.
pub const PHOTOS_BUCKET_ENV: &str = "PHOTOS_BUCKET";

/// The bucket `PHOTOS_BUCKET` names.
fn bucket_from_env() -> Result<String, EnvConfigError> {
    std::env::var(PHOTOS_BUCKET_ENV)
        .ok()
        .filter(|b| !b.trim().is_empty())
        .ok_or(EnvConfigError::Missing(PHOTOS_BUCKET_ENV))
}

impl S3UploadSigner {
    /// The signer of a Lambda function that only issues upload slots: [`sdk_config_from_env`],
    /// on `AWS_ENDPOINT_URL_S3` when set (moto, path-style), for the bucket `PHOTOS_BUCKET`.
    pub fn from_env() -> Result<Self, EnvConfigError> {
        let config = sdk_config_from_env()?;
        Self::new(&config, service_endpoint("S3").as_deref(), &bucket_from_env()?)
    }
}

/// The photo storage of the functions that only issue upload slots: signing needs no S3
/// client, and their policy allows nothing but `s3:PutObject` on the bucket's photo prefix,
/// so reading or deleting files is not theirs to do (as with [`super::storage::NoStorage`]).
#[async_trait]
impl PhotoStorage for S3UploadSigner {
    async fn upload_slot(&self, upload: &UploadRequest<'_>) -> Result<UploadSlot, StorageError> {
        S3UploadSigner::upload_slot(self, upload).await
    }

    async fn head(&self, _key: &str, _max_bytes: usize) -> Result<Option<StoredHead>, StorageError> {
        Err(StorageError::NotConfigured)
    }

    async fn delete(&self, _key: &str) -> Result<(), StorageError> {
        Err(StorageError::NotConfigured)
    }
}

/// Photo files in one S3 bucket: slots signed by [`S3UploadSigner`], reads and deletes
/// through the S3 client.
#[derive(Debug, Clone)]
pub struct S3PhotoStorage {
    client: Client,
    signer: S3UploadSigner,
    bucket: String,
}

impl S3PhotoStorage {
    /// The storage of `config` in `bucket`, at `endpoint` when given (path-style, as
    /// emulators need). No network call.
    pub fn new(
        config: &aws_config::SdkConfig,
        endpoint: Option<String>,
        bucket: impl Into<String>,
    ) -> Result<Self, EnvConfigError> {
        let bucket = bucket.into();
        Ok(Self {
            signer: S3UploadSigner::new(config, endpoint.as_deref(), &bucket)?,
            client: client(config, endpoint),
            bucket,
        })
    }

    /// The storage of a Lambda function: [`sdk_config_from_env`], on `AWS_ENDPOINT_URL_S3`
    /// when set (moto, path-style addressing), in the bucket `PHOTOS_BUCKET`. No network call.
    pub fn from_env() -> Result<Self, EnvConfigError> {
        let config = sdk_config_from_env()?;
        Self::new(&config, service_endpoint("S3"), bucket_from_env()?)
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
        self.signer.upload_slot(upload).await
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
