//! Files compiled into a function's binary (the API reference and GraphiQL pages and their
//! vendored scripts), answered with their media type, a strong `ETag`, their own
//! `Cache-Control` and the caller's `Content-Security-Policy`.

use std::sync::OnceLock;

use super::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderValue, header};
use lambda_http::Body;
use sha2::{Digest, Sha256};

/// For a file of a pinned package: a new version ships under the same name, so one day.
pub const VENDORED: &str = "public, max-age=86400";
/// For the pages and their scripts, which change with this repository.
pub const OWN: &str = "public, max-age=300";

/// A file served under `name`.
pub struct Asset {
    name: &'static str,
    content_type: &'static str,
    cache_control: &'static str,
    body: &'static str,
    /// Hashed on first use: once per process, not per request.
    tag: OnceLock<String>,
}

impl Asset {
    /// A file of `content_type` kept for `cache_control`.
    pub const fn new(
        name: &'static str,
        content_type: &'static str,
        cache_control: &'static str,
        body: &'static str,
    ) -> Self {
        Self {
            name,
            content_type,
            cache_control,
            body,
            tag: OnceLock::new(),
        }
    }

    /// `200` with the file, under `content_security_policy` (which matters for a page; on a
    /// script or a style sheet it is inert).
    pub fn response(&self, content_security_policy: &'static str) -> Response {
        // Text, not binary: a binary body would travel base64-encoded through API Gateway.
        let mut response = Response::new(Body::Text(self.body.to_owned()));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(self.cache_control));
        if let Ok(tag) = HeaderValue::from_str(self.tag()) {
            headers.insert(header::ETAG, tag);
        }
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(content_security_policy),
        );
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        response
    }

    /// 128 bits of the body's SHA-256, quoted: the tag [`super::caching`] gives a body.
    fn tag(&self) -> &str {
        self.tag.get_or_init(|| {
            let digest = Sha256::digest(self.body.as_bytes());
            format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..16]))
        })
    }
}

/// The file of `assets` served under `name`.
pub fn find<'a>(assets: &'a [Asset], name: &str) -> Option<&'a Asset> {
    assets.iter().find(|asset| asset.name == name)
}

/// The answer of a page route with files: `page` without an `{asset}` path parameter, else
/// the named file of `assets` (`404` for none), all under `content_security_policy`.
pub fn answer(
    req: &super::Request,
    page: &Asset,
    assets: &[Asset],
    content_security_policy: &'static str,
) -> super::HandlerResult {
    use lambda_http::RequestExt;
    match req.path_parameters_ref().and_then(|params| params.first("asset")) {
        None => Ok(page.response(content_security_policy)),
        Some(name) => find(assets, name)
            .map(|asset| asset.response(content_security_policy))
            .ok_or(crate::error::ApiError::NotFound("no such file")),
    }
}
