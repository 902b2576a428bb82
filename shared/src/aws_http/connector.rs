//! The AWS SDK's HTTP client over `reqwest`: HTTP/1.1 only, rustls on `ring`, trusting the
//! compiled-in Amazon roots alone.
//!
//! Why not the SDK's own `aws-smithy-http-client`: its pooled connector always links HTTP/2
//! (`h2`, about 0.3 MB of code in every function, and its bitcode in every function's LTO
//! link), although every AWS endpoint this code calls speaks HTTP/1.1. `reqwest`, with its
//! `http2` feature off, is already in every function for Stripe, so the SDK riding on it adds
//! only this adapter. docs/performance.md, "HTTP/1.1 for the AWS clients".
//!
//! What the SDK expects of a connector, and how it is met here:
//! - the connect and read timeouts of [`HttpConnectorSettings`] (the SDK config's 1 s connect
//!   timeout) are the `reqwest` client's own; the attempt and operation timeouts stay the
//!   SDK's, around the whole call;
//! - failures are classified as the SDK's connector does, so that its retry policy sees the
//!   same thing: a timeout as a timeout, a refused or reset connection as I/O (both retried),
//!   a request that cannot be built as the caller's error (never retried);
//! - response bodies stream through (S3 `GetObject` is not buffered here).
//!
//! The request is handed over as `http::Request`, whose URI `reqwest` re-parses as a URL: the
//! paths this code sends (`/` for DynamoDB, SQS, SES and Secrets Manager, the photo keys for
//! S3, all unreserved characters) come through unchanged, so the SDK's signature still holds.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;

/// A trust anchor that does not parse (a compiled-in PEM that is not a certificate).
#[derive(Debug, thiserror::Error)]
#[error("AWS SDK HTTP client: a trusted root does not parse: {0}")]
pub struct AwsHttpClientError(#[source] reqwest::Error);

/// The SDK's [`HttpClient`] over `reqwest`, trusting exactly `roots` (PEM). Parses them now;
/// builds a `reqwest` client on the first call for each distinct pair of timeouts (in practice
/// one per function), so nothing about it costs at init.
pub(super) fn http_client(roots: &[&str]) -> Result<SharedHttpClient, AwsHttpClientError> {
    let roots = roots
        .iter()
        .map(|pem| reqwest::Certificate::from_pem(pem.as_bytes()).map_err(AwsHttpClientError))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SharedHttpClient::new(ReqwestClient {
        roots: Arc::from(roots),
        connectors: Arc::default(),
    }))
}

/// The timeouts a connector is built for: `HttpConnectorSettings`' connect and read timeouts.
type Timeouts = (Option<Duration>, Option<Duration>);

#[derive(Clone)]
struct ReqwestClient {
    roots: Arc<[reqwest::Certificate]>,
    /// One connector (one connection pool) per distinct timeouts, built on first use.
    connectors: Arc<Mutex<Vec<(Timeouts, SharedHttpConnector)>>>,
}

impl fmt::Debug for ReqwestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestClient")
            .field("roots", &self.roots.len())
            .finish_non_exhaustive()
    }
}

impl HttpClient for ReqwestClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        // A poisoned lock only means another thread panicked while pushing: the list is whole.
        let mut connectors = self.connectors.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, connector)) = connectors.iter().find(|(built_for, _)| *built_for == timeouts) {
            return connector.clone();
        }
        let connector = match self.build(timeouts) {
            Ok(client) => SharedHttpConnector::new(ReqwestConnector { client }),
            // Nothing but the roots can fail here, and those parsed in `http_client`; should it
            // happen, every call fails with the reason instead of the function panicking.
            Err(err) => SharedHttpConnector::new(Unbuildable(Arc::new(err))),
        };
        connectors.push((timeouts, connector.clone()));
        connector
    }
}

impl ReqwestClient {
    fn build(&self, (connect, read): Timeouts) -> Result<reqwest::Client, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            // Only the Amazon roots: not webpki-roots' whole Mozilla list, not the host's.
            .tls_built_in_root_certs(false)
            // Lambda reaches AWS directly, and a developer's HTTP(S)_PROXY must not swallow the
            // loopback moto of the tests.
            .no_proxy()
            // The SDK asks for no redirects and follows none itself (as its own connector).
            .redirect(reqwest::redirect::Policy::none());
        for root in self.roots.iter() {
            builder = builder.add_root_certificate(root.clone());
        }
        if let Some(connect) = connect {
            builder = builder.connect_timeout(connect);
        }
        if let Some(read) = read {
            builder = builder.read_timeout(read);
        }
        builder.build()
    }
}

#[derive(Debug)]
struct ReqwestConnector {
    client: reqwest::Client,
}

impl HttpConnector for ReqwestConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request.map(request_body),
            Err(err) => return HttpConnectorFuture::ready(Err(ConnectorError::user(err.into()))),
        };
        let request = match reqwest::Request::try_from(request) {
            Ok(request) => request,
            Err(err) => return HttpConnectorFuture::ready(Err(ConnectorError::user(err.into()))),
        };
        let sent = self.client.execute(request);
        HttpConnectorFuture::new(async move {
            let response = sent.await.map_err(connector_error)?;
            let response = http::Response::<reqwest::Body>::from(response).map(SdkBody::from_body_1_x);
            HttpResponse::try_from(response).map_err(|err| ConnectorError::other(err.into(), None))
        })
    }
}

/// The request body as `reqwest` takes it: the bytes when the SDK holds them (every request
/// this code makes), otherwise the body itself, streamed.
fn request_body(body: SdkBody) -> reqwest::Body {
    match body.bytes() {
        Some(bytes) => reqwest::Body::from(bytes.to_vec()),
        None => reqwest::Body::wrap(body),
    }
}

/// How the SDK's retry policy should see a failed exchange, as its own connector decides:
/// timeouts and I/O (refused, reset, closed, DNS) are transient and retried; a request the
/// client refuses to send is the caller's; anything else is left to the SDK.
fn connector_error(err: reqwest::Error) -> ConnectorError {
    if err.is_timeout() {
        ConnectorError::timeout(err.into())
    } else if err.is_builder() {
        ConnectorError::user(err.into())
    } else if err.is_connect() || has_io_source(&err) {
        ConnectorError::io(err.into())
    } else if err.is_request() || err.is_body() {
        // A connection closed before the whole answer arrived (hyper's "incomplete message"),
        // which S3 and DynamoDB do now and then to pooled connections.
        ConnectorError::other(err.into(), Some(ErrorKind::TransientError))
    } else {
        ConnectorError::other(err.into(), None)
    }
}

fn has_io_source(err: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if cause.is::<std::io::Error>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// The connector of a client whose TLS setup failed: every call fails with why.
#[derive(Debug)]
struct Unbuildable(Arc<reqwest::Error>);

impl HttpConnector for Unbuildable {
    fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
        let reason = format!("building the AWS SDK HTTP client: {}", self.0);
        HttpConnectorFuture::ready(Err(ConnectorError::other(reason.into(), None)))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_dynamodb::error::SdkError;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    use super::*;
    use crate::aws_http::{AMAZON_TRUST_ROOTS, retry_config};

    const TEST_ROOT: &str = include_str!("../../testdata/tls/root.pem");
    const LOCALHOST_CERT: &str = include_str!("../../testdata/tls/localhost.pem");
    const LOCALHOST_KEY: &str = include_str!("../../testdata/tls/localhost.key");

    /// DynamoDB's answer to `ListTables`, as the fake endpoints below send it.
    const LIST_TABLES: &str = "{\"TableNames\":[\"roost\"]}";

    /// A DynamoDB client on `client`, pointed at `endpoint`, `attempts` tries a call.
    fn dynamo(client: SharedHttpClient, endpoint: &str, attempts: u32) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(client)
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "roost-tests"))
            .retry_config(retry_config(attempts))
            .timeout_config(crate::aws_http::timeout_config())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// Answers `ListTables` to a request already read whole ([`read_head`]).
    fn answer(out: &mut impl Write) -> std::io::Result<()> {
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{LIST_TABLES}",
            LIST_TABLES.len()
        );
        out.write_all(response.as_bytes())?;
        out.flush()
    }

    /// An HTTPS endpoint on loopback serving the `localhost` certificate under [`TEST_ROOT`].
    fn tls_endpoint() -> String {
        let certs = vec![CertificateDer::from_pem_slice(LOCALHOST_CERT.as_bytes()).expect("cert")];
        let key = PrivateKeyDer::from_pem_slice(LOCALHOST_KEY.as_bytes()).expect("key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let connection = rustls::ServerConnection::new(config.clone()).expect("connection");
                let mut tls = rustls::StreamOwned::new(connection, stream);
                // A client that refuses the certificate ends the handshake: nothing to answer.
                let mut request = Vec::new();
                if read_head(&mut tls, &mut request).is_ok() {
                    let _ = answer(&mut tls);
                }
            }
        });
        format!("https://localhost:{port}")
    }

    /// Reads a whole request (the tests' requests end with their `content-length` body).
    fn read_head(stream: &mut impl Read, into: &mut Vec<u8>) -> std::io::Result<()> {
        let mut buf = [0; 4096];
        loop {
            let read = stream.read(&mut buf)?;
            if read == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            into.extend_from_slice(&buf[..read]);
            if let Some(end) = into.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&into[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .map_or(0, |value| value.trim().parse().expect("a length"));
                if into.len() >= end + 4 + length {
                    return Ok(());
                }
            }
        }
    }

    #[tokio::test]
    async fn https_under_a_trusted_root_answers() {
        let endpoint = tls_endpoint();
        let client = http_client(&[TEST_ROOT]).expect("the test root parses");
        let tables = dynamo(client, &endpoint, 1)
            .list_tables()
            .send()
            .await
            .expect("ListTables over TLS");
        assert_eq!(tables.table_names(), ["roost"]);
    }

    #[tokio::test]
    async fn https_under_any_other_root_is_refused() {
        let endpoint = tls_endpoint();
        let client = http_client(&AMAZON_TRUST_ROOTS).expect("the Amazon roots parse");
        let err = dynamo(client, &endpoint, 1)
            .list_tables()
            .send()
            .await
            .expect_err("an untrusted certificate");
        match err {
            SdkError::DispatchFailure(failure) => assert!(failure.is_io(), "{failure:?}"),
            other => panic!("expected a dispatch failure, got {other:?}"),
        }
    }

    /// A plain-HTTP endpoint that drops its first `drops` connections without answering, then
    /// answers `ListTables`; counts the connections it accepted.
    fn flaky_endpoint(drops: usize) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let seen = counter.fetch_add(1, Ordering::SeqCst);
                let mut request = Vec::new();
                if read_head(&mut stream, &mut request).is_err() || seen < drops {
                    continue; // dropped: the client sees the connection close unanswered
                }
                let mut reply: &TcpStream = &stream;
                let _ = answer(&mut reply);
            }
        });
        (format!("http://127.0.0.1:{port}"), accepted)
    }

    #[tokio::test]
    async fn a_connection_closed_unanswered_is_retried() {
        let (endpoint, accepted) = flaky_endpoint(1);
        let client = http_client(&AMAZON_TRUST_ROOTS).expect("the Amazon roots parse");
        let tables = dynamo(client, &endpoint, 3)
            .list_tables()
            .send()
            .await
            .expect("the retry answers");
        assert_eq!(tables.table_names(), ["roost"]);
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn retries_stop_at_the_configured_attempts() {
        let (endpoint, accepted) = flaky_endpoint(usize::MAX);
        let client = http_client(&AMAZON_TRUST_ROOTS).expect("the Amazon roots parse");
        let err = dynamo(client, &endpoint, 3)
            .list_tables()
            .send()
            .await
            .expect_err("never answered");
        assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    const NOT_A_CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";

    /// Roots are parsed as certificates when a connector is built (the first call), as the
    /// SDK's own client did when an SDK client was built: this is the check that the
    /// compiled-in PEMs are sound.
    #[test]
    fn the_amazon_roots_are_certificates() {
        let roots = |pems: &[&str]| -> Arc<[reqwest::Certificate]> {
            pems.iter()
                .map(|pem| reqwest::Certificate::from_pem(pem.as_bytes()).expect("PEM"))
                .collect()
        };
        let client = |pems: &[&str]| ReqwestClient {
            roots: roots(pems),
            connectors: Arc::default(),
        };
        assert!(client(&AMAZON_TRUST_ROOTS).build((None, None)).is_ok());
        assert!(client(&[NOT_A_CERTIFICATE]).build((None, None)).is_err());
    }

    #[tokio::test]
    async fn a_client_whose_roots_do_not_parse_fails_each_call_with_why() {
        let (endpoint, accepted) = flaky_endpoint(0);
        let client = http_client(&[NOT_A_CERTIFICATE]).expect("PEM decodes");
        let err = dynamo(client, &endpoint, 3)
            .list_tables()
            .send()
            .await
            .expect_err("no connector");
        match err {
            SdkError::DispatchFailure(failure) => {
                assert!(failure.is_other(), "{failure:?}");
                assert!(
                    format!("{failure:?}").contains("building the AWS SDK HTTP client"),
                    "{failure:?}"
                );
            }
            other => panic!("expected a dispatch failure, got {other:?}"),
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "nothing is sent");
    }
}
