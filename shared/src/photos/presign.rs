//! Presigned S3 uploads without the S3 client. A presigned `PUT` is a SigV4 query signature
//! over the method, the object's URL and the headers the client must send; `aws-sigv4`
//! (which every SDK client links already) computes it. The S3 client's endpoint rules and
//! operation code are about 1.2 MB of each binary, so the functions that only issue upload
//! slots (`request-photo-upload`, `graphql`) sign here and never link it; only
//! `photo-events-consumer`, which reads and deletes files, keeps the client
//! ([`super::s3::S3PhotoStorage`], which presigns through this type too).
//!
//! The URLs are the ones the SDK presigns (`x-id=PutObject`, the same signed headers, the
//! session token inside the signature); a test compares both signatures exactly.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::storage::{PHOTO_CACHE_CONTROL, StorageError, UPLOAD_URL_MINUTES, UploadRequest, UploadSlot};
use crate::aws_http::EnvConfigError;

/// Signs upload slots for one bucket.
#[derive(Debug, Clone)]
pub struct S3UploadSigner {
    credentials: SharedCredentialsProvider,
    region: String,
    /// The bucket's URL, to which `/<key>` is appended: virtual-hosted on AWS
    /// (`https://<bucket>.s3.<region>.amazonaws.com`), path-style on an emulator's endpoint
    /// (`<endpoint>/<bucket>`), as the S3 client addresses them.
    bucket_url: String,
}

impl S3UploadSigner {
    /// The signer of `config` (its credentials and region) for `bucket`, at `endpoint` when
    /// given, else at the config's endpoint, else at AWS's. No network call.
    pub fn new(config: &SdkConfig, endpoint: Option<&str>, bucket: &str) -> Result<Self, EnvConfigError> {
        let credentials = config
            .credentials_provider()
            .ok_or(EnvConfigError::Missing("AWS credentials"))?;
        let region = config
            .region()
            .ok_or(EnvConfigError::Missing("AWS_REGION"))?
            .to_string();
        let bucket_url = match endpoint.or(config.endpoint_url()) {
            Some(endpoint) => format!("{}/{}", endpoint.trim_end_matches('/'), encode(bucket, false)),
            None => aws_bucket_url(bucket, &region),
        };
        Ok(Self {
            credentials,
            region,
            bucket_url,
        })
    }

    /// A URL the client may `PUT` exactly this file to, and the headers it must send with it.
    /// Reads the credentials (from the environment in Lambda: no network call).
    pub async fn upload_slot(&self, upload: &UploadRequest<'_>) -> Result<UploadSlot, StorageError> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|err| StorageError::Unavailable(format!("AWS credentials: {err}")))?;
        let identity = Identity::from(credentials);
        let mut settings = SigningSettings::default();
        // S3's own rules: keys are encoded once and never normalised.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(UPLOAD_URL_MINUTES.unsigned_abs() * 60));
        let issued: SystemTime = upload.issued_at.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(issued)
            .settings(settings)
            .build()
            .map_err(|err| StorageError::Unavailable(format!("signing parameters: {err}")))?
            .into();
        let mut url = String::with_capacity(self.bucket_url.len() + upload.key.len() + 512);
        url.push_str(&self.bucket_url);
        url.push('/');
        encode_into(&mut url, upload.key, true);
        url.push_str("?x-id=PutObject");
        let size = upload.size_bytes.to_string();
        let headers = [
            ("content-type", upload.content_type.as_mime()),
            ("content-length", size.as_str()),
            ("cache-control", PHOTO_CACHE_CONTROL),
        ];
        let request = SignableRequest::new("PUT", &url, headers.iter().copied(), SignableBody::UnsignedPayload)
            .map_err(|err| StorageError::Unavailable(format!("presigning PutObject: {err}")))?;
        let (instructions, _) = sign(request, &params)
            .map_err(|err| StorageError::Unavailable(format!("presigning PutObject: {err}")))?
            .into_parts();
        let (_, query) = instructions.into_parts();
        for (name, value) in query {
            url.push('&');
            url.push_str(name);
            url.push('=');
            encode_into(&mut url, &value, false);
        }
        Ok(UploadSlot {
            method: "PUT".to_owned(),
            url,
            headers: headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            expires_at: upload.expires_at(),
        })
    }
}

/// The bucket's virtual-hosted URL on AWS. A name with a dot would not match the wildcard
/// certificate as a host label, so it goes in the path instead (as the S3 client does).
fn aws_bucket_url(bucket: &str, region: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    if bucket.contains('.') {
        format!("https://s3.{region}.{domain}/{}", encode(bucket, false))
    } else {
        format!("https://{bucket}.s3.{region}.{domain}")
    }
}

/// `text` percent-encoded as SigV4 wants it: every byte but the unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`), and `/` too unless `keep_slashes` (an object key's path).
fn encode(text: &str, keep_slashes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    encode_into(&mut out, text, keep_slashes);
    out
}

/// [`encode`], appended to `out` (the URL being built, without a string per part).
fn encode_into(out: &mut String, text: &str, keep_slashes: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        let plain =
            byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') || (keep_slashes && byte == b'/');
        if plain {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_config::{BehaviorVersion, Region};
    use aws_credential_types::Credentials;
    use aws_sdk_s3::presigning::PresigningConfig;
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::photos::verify::PhotoType;

    fn config(region: &str, session_token: Option<&str>) -> SdkConfig {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            session_token.map(str::to_owned),
            None,
            "test",
        );
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .http_client(crate::aws_http::http_client().unwrap())
            .build()
    }

    fn upload(key: &str) -> UploadRequest<'_> {
        UploadRequest {
            key,
            content_type: PhotoType::Jpeg,
            size_bytes: 123_456,
            issued_at: Utc.with_ymd_and_hms(2026, 12, 2, 10, 30, 0).unwrap(),
        }
    }

    /// The SDK's own presigned `PutObject` for the same upload.
    async fn sdk_slot(
        config: &SdkConfig,
        endpoint: Option<&str>,
        bucket: &str,
        upload: &UploadRequest<'_>,
    ) -> UploadSlot {
        let client = super::super::s3::client(config, endpoint.map(str::to_owned));
        let presigning = PresigningConfig::builder()
            .start_time(upload.issued_at.into())
            .expires_in(Duration::from_secs(UPLOAD_URL_MINUTES as u64 * 60))
            .build()
            .unwrap();
        let presigned = client
            .put_object()
            .bucket(bucket)
            .key(upload.key)
            .content_type(upload.content_type.as_mime())
            .content_length(i64::try_from(upload.size_bytes).unwrap())
            .cache_control(PHOTO_CACHE_CONTROL)
            .presigned(presigning)
            .await
            .unwrap();
        UploadSlot {
            method: presigned.method().to_owned(),
            url: presigned.uri().to_owned(),
            headers: presigned
                .headers()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
                .collect(),
            expires_at: upload.expires_at(),
        }
    }

    #[tokio::test]
    async fn slots_are_signed_exactly_as_the_sdk_presigns_put_object() {
        // Object keys are ids today; the other one checks the encoding of anything else.
        let keys = [
            "properties/01JCXW4Y6Z5V1TESTPR0PERTY1/photos/01JCXW4Y6Z5V1TESTPH0T00001",
            "properties/a b+c=é~/photos/x",
        ];
        let cases = [
            ("us-east-1", None, Some("FQoGZXIvYXdzEJr//////////token+with/slashes=")),
            ("eu-west-1", None, None),
            ("cn-north-1", None, None),
            ("us-east-1", Some("http://127.0.0.1:5000"), Some("session")),
            ("eu-central-1", Some("http://127.0.0.1:5000/"), None),
        ];
        for (region, endpoint, token) in cases {
            let config = config(region, token);
            for bucket in ["roost-photos-1a2b3c", "photos.example.com"] {
                for key in keys {
                    let want = sdk_slot(&config, endpoint, bucket, &upload(key)).await;
                    let got = S3UploadSigner::new(&config, endpoint, bucket)
                        .unwrap()
                        .upload_slot(&upload(key))
                        .await
                        .unwrap();
                    // The same bytes: address, parameters in order, signature, headers.
                    assert_eq!(
                        got,
                        want,
                        "{region} {endpoint:?} {bucket} {key} token {}",
                        token.is_some()
                    );
                    assert!(got.url.contains("&X-Amz-Signature="), "{}", got.url);
                }
            }
        }
    }

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a-Z_0.9~", false), "a-Z_0.9~");
        assert_eq!(encode("a/b c+d=é", false), "a%2Fb%20c%2Bd%3D%C3%A9");
        assert_eq!(encode("properties/p/photos/q", true), "properties/p/photos/q");
    }
}
