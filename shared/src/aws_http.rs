//! The HTTP client the AWS SDK uses in Lambda, and the SDK config built on it.
//!
//! The SDK's default client (rustls on aws-lc-rs) reads and parses the whole system CA bundle
//! when a client is built: on this project's perf harness that was most of the ~2.5x init cost
//! of an SDK function over a bare `lambda_http` one. Ours is rustls on `ring`, trusting only the
//! roots AWS service endpoints chain to, compiled in: nothing is read from disk at init and the
//! trust store is five certificates. See `docs/performance.md` for the measurements.

use crate::env::non_empty_var;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

mod connector;

pub use connector::AwsHttpClientError;

// Amazon Trust Services roots, the only CAs AWS service endpoints (DynamoDB, SQS, STS, ...)
// chain to: https://www.amazontrust.com/repository/ lists them. Starfield Services Root G2 is
// the cross-signing root older clients reach Amazon Root CA 1-4 through.
//
// Why compiled in: Lambda's `provided.al2023` image has a ~200 KB CA bundle, and parsing it
// dominated init (see the module docs). Why only these: every endpoint this code calls is an
// AWS endpoint (moto, in tests and local tools, is plain HTTP and needs no roots at all). A
// call to a non-AWS HTTPS host through this client fails certificate verification, loudly.
//
// Where the PEMs come from: the `webpki-root-certs` crate 1.0.11 (Mozilla's root program, via
// ccadb.org), DER re-encoded as PEM; each also matches byte for byte Debian's
// /etc/ssl/certs/ca-certificates.crt. Check with `openssl x509 -noout -subject -fingerprint
// -sha256`. They expire 2037-12-31 (Starfield G2), 2038-01-17 (Amazon Root CA 1) and 2040-05-26
// (Amazon Root CA 2-4).

/// "Amazon Root CA 1", SHA-256 fingerprint
/// `8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E`.
const AMAZON_ROOT_CA_1: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIDQTCCAimgAwIBAgITBmyfz5m/jAo54vB4ikPmljZbyjANBgkqhkiG9w0BAQsF\n\
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6\n\
b24gUm9vdCBDQSAxMB4XDTE1MDUyNjAwMDAwMFoXDTM4MDExNzAwMDAwMFowOTEL\n\
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJv\n\
b3QgQ0EgMTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBALJ4gHHKeNXj\n\
ca9HgFB0fW7Y14h29Jlo91ghYPl0hAEvrAIthtOgQ3pOsqTQNroBvo3bSMgHFzZM\n\
9O6II8c+6zf1tRn4SWiw3te5djgdYZ6k/oI2peVKVuRF4fn9tBb6dNqcmzU5L/qw\n\
IFAGbHrQgLKm+a/sRxmPUDgH3KKHOVj4utWp+UhnMJbulHheb4mjUcAwhmahRWa6\n\
VOujw5H5SNz/0egwLX0tdHA114gk957EWW67c4cX8jJGKLhD+rcdqsq08p8kDi1L\n\
93FcXmn/6pUCyziKrlA4b9v7LWIbxcceVOF34GfID5yHI9Y/QCB/IIDEgEw+OyQm\n\
jgSubJrIqg0CAwEAAaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMC\n\
AYYwHQYDVR0OBBYEFIQYzIU07LwMlJQuCFmcx7IQTgoIMA0GCSqGSIb3DQEBCwUA\n\
A4IBAQCY8jdaQZChGsV2USggNiMOruYou6r4lK5IpDB/G/wkjUu0yKGX9rbxenDI\n\
U5PMCCjjmCXPI6T53iHTfIUJrU6adTrCC2qJeHZERxhlbI1Bjjt/msv0tadQ1wUs\n\
N+gDS63pYaACbvXy8MWy7Vu33PqUXHeeE6V/Uq2V8viTO96LXFvKWlJbYK8U90vv\n\
o/ufQJVtMVT8QtPHRh8jrdkPSHCa2XV4cdFyQzR1bldZwgJcJmApzyMZFo6IQ6XU\n\
5MsI+yMRQ+hDKXJioaldXgjUkK642M4UwtBV8ob2xJNDd2ZhwLnoQdeXeGADbkpy\n\
rqXRfboQnoZsG4q5WTP468SQvvG5\n\
-----END CERTIFICATE-----\n";

/// "Amazon Root CA 2", SHA-256 fingerprint
/// `1B:A5:B2:AA:8C:65:40:1A:82:96:01:18:F8:0B:EC:4F:62:30:4D:83:CE:C4:71:3A:19:C3:9C:01:1E:A4:6D:B4`.
const AMAZON_ROOT_CA_2: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIFQTCCAymgAwIBAgITBmyf0pY1hp8KD+WGePhbJruKNzANBgkqhkiG9w0BAQwF\n\
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6\n\
b24gUm9vdCBDQSAyMB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTEL\n\
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJv\n\
b3QgQ0EgMjCCAiIwDQYJKoZIhvcNAQEBBQADggIPADCCAgoCggIBAK2Wny2cSkxK\n\
gXlRmeyKy2tgURO8TW0G/LAIjd0ZEGrHJgw12MBvIITplLGbhQPDW9tK6Mj4kHbZ\n\
W0/jTOgGNk3Mmqw9DJArktQGGWCsN0R5hYGCrVo34A3MnaZMUnbqQ523BNFQ9lXg\n\
1dKmSYXpN+nKfq5clU1Imj+uIFptiJXZNLhSGkOQsL9sBbm2eLfq0OQ6PBJTYv9K\n\
8nu+NQWpEjTj82R0Yiw9AElaKP4yRLuH3WUnAnE72kr3H9rN9yFVkE8P7K6C4Z9r\n\
2UXTu/Bfh+08LDmG2j/e7HJV63mjrdvdfLC6HM783k81ds8P+HgfajZRRidhW+me\n\
z/CiVX18JYpvL7TFz4QuK/0NURBs+18bvBt+xa47mAExkv8LV/SasrlX6avvDXbR\n\
8O70zoan4G7ptGmh32n2M8ZpLpcTnqWHsFcQgTfJU7O7f/aS0ZzQGPSSbtqDT6Zj\n\
mUyl+17vIWR6IF9sZIUVyzfpYgwLKhbcAS4y2j5L9Z469hdAlO+ekQiG+r5jqFoz\n\
7Mt0Q5X5bGlSNscpb/xVA1wf+5+9R+vnSUeVC06JIglJ4PVhHvG/LopyboBZ/1c6\n\
+XUyo05f7O0oYtlNc/LMgRdg7c3r3NunysV+Ar3yVAhU/bQtCSwXVEqY0VThUWcI\n\
0u1ufm8/0i2BWSlmy5A5lREedCf+3euvAgMBAAGjQjBAMA8GA1UdEwEB/wQFMAMB\n\
Af8wDgYDVR0PAQH/BAQDAgGGMB0GA1UdDgQWBBSwDPBMMPQFWAJI/TPlUq9LhONm\n\
UjANBgkqhkiG9w0BAQwFAAOCAgEAqqiAjw54o+Ci1M3m9Zh6O+oAA7CXDpO8Wqj2\n\
LIxyh6mx/H9z/WNxeKWHWc8w4Q0QshNabYL1auaAn6AFC2jkR2vHat+2/XcycuUY\n\
+gn0oJMsXdKMdYV2ZZAMA3m3MSNjrXiDCYZohMr/+c8mmpJ5581LxedhpxfL86kS\n\
k5Nrp+gvU5LEYFiwzAJRGFuFjWJZY7attN6a+yb3ACfAXVU3dJnJUH/jWS5E4ywl\n\
7uxMMne0nxrpS10gxdr9HIcWxkPo1LsmmkVwXqkLN1PiRnsn/eBG8om3zEK2yygm\n\
btmlyTrIQRNg91CMFa6ybRoVGld45pIq2WWQgj9sAq+uEjonljYE1x2igGOpm/Hl\n\
urR8FLBOybEfdF849lHqm/osohHUqS0nGkWxr7JOcQ3AWEbWaQbLU8uz/mtBzUF+\n\
fUwPfHJ5elnNXkoOrJupmHN5fLT0zLm4BwyydFy4x2+IoZCn9Kr5v2c69BoVYh63\n\
n749sSmvZ6ES8lgQGVMDMBu4Gon2nL2XA46jCfMdiyHxtN/kHNGfZQIG6lzWE7OE\n\
76KlXIx3KadowGuuQNKotOrN8I1LOJwZmhsoVLiJkO/KdYE+HvJkJMcYr07/R54H\n\
9jVlpNMKVv/1F2Rs76giJUmTtt8AF9pYfl3uxRuw0dFfIRDH+fO6AgonB8Xx1sfT\n\
4PsJYGw=\n\
-----END CERTIFICATE-----\n";

/// "Amazon Root CA 3", SHA-256 fingerprint
/// `18:CE:6C:FE:7B:F1:4E:60:B2:E3:47:B8:DF:E8:68:CB:31:D0:2E:BB:3A:DA:27:15:69:F5:03:43:B4:6D:B3:A4`.
const AMAZON_ROOT_CA_3: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBtjCCAVugAwIBAgITBmyf1XSXNmY/Owua2eiedgPySjAKBggqhkjOPQQDAjA5\n\
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6b24g\n\
Um9vdCBDQSAzMB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTELMAkG\n\
A1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJvb3Qg\n\
Q0EgMzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCmXp8ZBf8ANm+gBG1bG8lKl\n\
ui2yEujSLtf6ycXYqm0fc4E7O5hrOXwzpcVOho6AF2hiRVd9RFgdszflZwjrZt6j\n\
QjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgGGMB0GA1UdDgQWBBSr\n\
ttvXBp43rDCGB5Fwx5zEGbF4wDAKBggqhkjOPQQDAgNJADBGAiEA4IWSoxe3jfkr\n\
BqWTrBqYaGFy+uGh0PsceGCmQ5nFuMQCIQCcAu/xlJyzlvnrxir4tiz+OpAUFteM\n\
YyRIHN8wfdVoOw==\n\
-----END CERTIFICATE-----\n";

/// "Amazon Root CA 4", SHA-256 fingerprint
/// `E3:5D:28:41:9E:D0:20:25:CF:A6:90:38:CD:62:39:62:45:8D:A5:C6:95:FB:DE:A3:C2:2B:0B:FB:25:89:70:92`.
const AMAZON_ROOT_CA_4: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIB8jCCAXigAwIBAgITBmyf18G7EEwpQ+Vxe3ssyBrBDjAKBggqhkjOPQQDAzA5\n\
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6b24g\n\
Um9vdCBDQSA0MB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTELMAkG\n\
A1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJvb3Qg\n\
Q0EgNDB2MBAGByqGSM49AgEGBSuBBAAiA2IABNKrijdPo1MN/sGKe0uoe0ZLY7Bi\n\
9i0b2whxIdIA6GO9mif78DluXeo9pcmBqqNbIJhFXRbb/egQbeOc4OO9X4Ri83Bk\n\
M6DLJC9wuoihKqB1+IGuYgbEgds5bimwHvouXKNCMEAwDwYDVR0TAQH/BAUwAwEB\n\
/zAOBgNVHQ8BAf8EBAMCAYYwHQYDVR0OBBYEFNPsxzplbszh2naaVvuc84ZtV+WB\n\
MAoGCCqGSM49BAMDA2gAMGUCMDqLIfG9fhGt0O9Yli/W651+kI0rz2ZVwyzjKKlw\n\
CkcO8DdZEv8tmZQoTipPNU0zWgIxAOp1AE47xDqUEpHJWEadIRNyp4iciuRMStuW\n\
1KyLa2tJElMzrdfkviT8tQp21KW8EA==\n\
-----END CERTIFICATE-----\n";

/// "Starfield Services Root Certificate Authority - G2", SHA-256 fingerprint
/// `56:8D:69:05:A2:C8:87:08:A4:B3:02:51:90:ED:CF:ED:B1:97:4A:60:6A:13:C6:E5:29:0F:CB:2A:E6:3E:DA:B5`.
const STARFIELD_SERVICES_ROOT_G2: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIID7zCCAtegAwIBAgIBADANBgkqhkiG9w0BAQsFADCBmDELMAkGA1UEBhMCVVMx\n\
EDAOBgNVBAgTB0FyaXpvbmExEzARBgNVBAcTClNjb3R0c2RhbGUxJTAjBgNVBAoT\n\
HFN0YXJmaWVsZCBUZWNobm9sb2dpZXMsIEluYy4xOzA5BgNVBAMTMlN0YXJmaWVs\n\
ZCBTZXJ2aWNlcyBSb290IENlcnRpZmljYXRlIEF1dGhvcml0eSAtIEcyMB4XDTA5\n\
MDkwMTAwMDAwMFoXDTM3MTIzMTIzNTk1OVowgZgxCzAJBgNVBAYTAlVTMRAwDgYD\n\
VQQIEwdBcml6b25hMRMwEQYDVQQHEwpTY290dHNkYWxlMSUwIwYDVQQKExxTdGFy\n\
ZmllbGQgVGVjaG5vbG9naWVzLCBJbmMuMTswOQYDVQQDEzJTdGFyZmllbGQgU2Vy\n\
dmljZXMgUm9vdCBDZXJ0aWZpY2F0ZSBBdXRob3JpdHkgLSBHMjCCASIwDQYJKoZI\n\
hvcNAQEBBQADggEPADCCAQoCggEBANUMOsQq+U7i9b4Zl1+OiFOxHz/Lz58gE20p\n\
OsgPfTz3a3Y4Y9k2YKibXlwAgLIvWX/2h/klQ4bnaRtSmpDhcePYLQ1Ob/bISdm2\n\
8xpWriu2dBTrz/sm4xq6HZYuajtYlIlHVv8loJNwU4PahHQUw2eeBGg6345AWh1K\n\
Ts9DkTvnVtYAcMtS7nt9rjrnvDH5RfbCYM8TWQIrgMw0R9+53pBlbQLPLJGmpufe\n\
hRhJfGZOozptqbXuNC66DQO4M99H67FrjSXZm86B0UVGMpZwh94CDklDhbZsc7tk\n\
6mFBrMnUVN+HL8cisibMn1lUaJ/8viovxFUcdUBgF4UCVTmLfwUCAwEAAaNCMEAw\n\
DwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFJxfAN+q\n\
AdcwKziIorhtSpzyEZGDMA0GCSqGSIb3DQEBCwUAA4IBAQBLNqaEd2ndOxmfZyMI\n\
bw5hyf2E3F/YNoHN2BtBLZ9g3ccaaNnRbobhiCPPE95Dz+I0swSdHynVv/heyNXB\n\
ve6SbzJ08pGCL72CQnqtKrcgfU28elUSwhXqvfdqlS5sdJ/PHLTyxQGjhdByPq1z\n\
qwubdQxtRbeOlKyWN7Wg0I8VRw7j6IPdj/3vQQF3zCepYoUz8jcI73HPdwbeyBkd\n\
iEDPfUYd/x7H4c7/I9vG+o1VTqkC50cRRj70/b17KSa7qWFiNyi2LSr2EIZkyXCn\n\
0q23KXB56jzaYyWf/Wi3MOxw+3WKt21gZ7IeyLnp2KhvAotnDU0mV3HaIPzBSlCN\n\
sSi6\n\
-----END CERTIFICATE-----\n";

/// Every root [`http_client`] trusts, PEM encoded.
pub const AMAZON_TRUST_ROOTS: [&str; 5] = [
    AMAZON_ROOT_CA_1,
    AMAZON_ROOT_CA_2,
    AMAZON_ROOT_CA_3,
    AMAZON_ROOT_CA_4,
    STARFIELD_SERVICES_ROOT_G2,
];

/// The SDK's HTTP client for Lambda: HTTP/1.1 over `reqwest` and rustls with `ring`, trusting
/// [`AMAZON_TRUST_ROOTS`] only (no platform roots, so no CA file is read; see [`connector`]).
///
/// Plain `http://` endpoints work too (moto through `AWS_ENDPOINT_URL`). Nothing connects
/// here, and no connection pool is built: that happens on an SDK client's first call.
pub fn http_client() -> Result<SharedHttpClient, AwsHttpClientError> {
    connector::http_client(&AMAZON_TRUST_ROOTS)
}

/// The SDK config of a Lambda function: `aws_config`'s usual sources (region from
/// `AWS_REGION`, credentials from the variables Lambda sets, loaded on first use,
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` honoured for moto) over [`http_client`].
///
/// No network call: the region comes from the environment first, and credentials are resolved
/// lazily by the first request.
pub async fn sdk_config() -> Result<SdkConfig, AwsHttpClientError> {
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client()?)
        .load()
        .await)
}

/// The SDK config of a Lambda function built straight from the environment Lambda sets, over
/// [`http_client`], without `aws_config`'s loader (and so without linking its profile-file,
/// SSO, STS, web-identity, ECS and IMDS providers, none of which Lambda needs):
///
/// - region: `AWS_REGION` (Lambda always sets it);
/// - credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, the
///   execution role's, read by `aws_config`'s environment provider on first use (the same
///   provider the default chain tries first);
/// - `AWS_ENDPOINT_URL` (moto in tests and local tools; see [`service_endpoint`] for the
///   per-service form) and `AWS_MAX_ATTEMPTS`;
/// - retries and timeouts: [`retry_config`] and [`timeout_config`], chosen for a 10-second
///   function (the template's `Timeout`); everything else is the SDK's defaults for
///   [`BehaviorVersion::latest`] (identity cache, ...).
pub fn sdk_config_from_env() -> Result<SdkConfig, EnvConfigError> {
    let region = non_empty_var("AWS_REGION").ok_or(EnvConfigError::Missing("AWS_REGION"))?;
    let credentials = SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new());
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(credentials)
        .http_client(http_client()?)
        .timeout_config(timeout_config());
    if let Some(url) = non_empty_var("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(url);
    }
    let attempts = match non_empty_var("AWS_MAX_ATTEMPTS") {
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(EnvConfigError::Invalid("AWS_MAX_ATTEMPTS", raw))?,
        None => SDK_MAX_ATTEMPTS,
    };
    Ok(builder.retry_config(retry_config(attempts)).build())
}

/// Attempts per SDK call (the first and two retries) unless `AWS_MAX_ATTEMPTS` says otherwise.
pub const SDK_MAX_ATTEMPTS: u32 = 3;

/// The SDK's retries, on purpose rather than by default: standard mode (throttling, 5xx,
/// timeouts and connection errors are retried; a failed condition or a cancelled transaction
/// is not, the use cases decide those), `attempts` in all, with exponential backoff and full
/// jitter from 25 ms (DynamoDB answers in single-digit milliseconds; the SDK's 1 s start
/// would spend a tenth of the function's time on one retry) up to 500 ms.
pub fn retry_config(attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(25))
        .with_max_backoff(Duration::from_millis(500))
}

/// The SDK's timeouts, so that a call that hangs fails while the function can still answer:
/// 1 s to connect, 2 s per attempt and 6 s for a whole call with its retries, inside the
/// function's 10 s (which leaves time to answer `503` and to publish what was recorded). No
/// DynamoDB, SQS, S3 or SES call this code makes takes more than a few hundred milliseconds
/// when the service is healthy.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(6))
        .build()
}

/// `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `AWS_ENDPOINT_URL_DYNAMODB`), which takes precedence over
/// `AWS_ENDPOINT_URL` for that service's client, as in `aws_config`.
pub fn service_endpoint(service: &str) -> Option<String> {
    non_empty_var(&format!("AWS_ENDPOINT_URL_{service}"))
}

/// The DynamoDB and SQS clients of the environment: [`sdk_config_from_env`], each on its own
/// `AWS_ENDPOINT_URL_<SERVICE>` when set. No network call.
pub fn clients_from_env() -> Result<(aws_sdk_dynamodb::Client, aws_sdk_sqs::Client), EnvConfigError> {
    Ok(clients(&sdk_config_from_env()?))
}

/// The DynamoDB and SQS clients of `config`, each on its own `AWS_ENDPOINT_URL_<SERVICE>`
/// when set. No network call.
pub fn clients(config: &SdkConfig) -> (aws_sdk_dynamodb::Client, aws_sdk_sqs::Client) {
    let mut dynamo = aws_sdk_dynamodb::config::Builder::from(config);
    if let Some(url) = service_endpoint("DYNAMODB") {
        dynamo = dynamo.endpoint_url(url);
    }
    let mut sqs = aws_sdk_sqs::config::Builder::from(config);
    if let Some(url) = service_endpoint("SQS") {
        sqs = sqs.endpoint_url(url);
    }
    (
        aws_sdk_dynamodb::Client::from_conf(dynamo.build()),
        aws_sdk_sqs::Client::from_conf(sqs.build()),
    )
}

/// Why [`sdk_config_from_env`] failed.
#[derive(Debug, thiserror::Error)]
pub enum EnvConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {0} is invalid: {1:?}")]
    Invalid(&'static str, String),
    #[error(transparent)]
    HttpClient(#[from] AwsHttpClientError),
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::Credentials;

    use super::*;

    /// A config on [`http_client`] pointed at `endpoint`, with static dummy credentials.
    async fn config_for(endpoint: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client().expect("http client"))
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "roost-tests"))
            .load()
            .await
    }

    /// An SDK client builds on [`http_client`] without a network call (the roots themselves are
    /// checked as certificates by `connector`'s tests, and HTTPS under them end to end).
    #[tokio::test]
    async fn an_sdk_client_builds_on_the_compiled_in_roots() {
        let config = config_for("https://dynamodb.us-east-1.amazonaws.com").await;
        let _client = aws_sdk_dynamodb::Client::new(&config);
    }

    #[test]
    fn retries_and_timeouts_fit_the_function_timeout() {
        let retries = retry_config(SDK_MAX_ATTEMPTS);
        assert_eq!(retries.mode(), aws_config::retry::RetryMode::Standard);
        assert_eq!(retries.max_attempts(), 3);
        assert_eq!(retries.initial_backoff(), Duration::from_millis(25));
        let timeouts = timeout_config();
        let attempt = timeouts.operation_attempt_timeout().expect("an attempt timeout");
        let operation = timeouts.operation_timeout().expect("an operation timeout");
        assert!(attempt < operation && operation < Duration::from_secs(10));
        assert!(timeouts.connect_timeout().expect("a connect timeout") <= attempt);
    }

    // Plain HTTP (how moto is reached) is exercised by every DynamoDB and SQS test in `tests/`,
    // whose SDK configs use this client.
}
