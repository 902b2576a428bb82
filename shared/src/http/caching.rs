//! HTTP caching, decided once for every route in [`super::serve`]: anonymous `GET`s of public
//! resources get a strong `ETag` (a hash of the body) and `Cache-Control: public, max-age`, and
//! `If-None-Match` with the current tag is `304` with no body; everything else (a signed-in
//! request, an answer that differs by user, an error, a write) is `private, no-store`.
//!
//! The tag is computed from the answer, so a `304` still costs the handler's reads: for a
//! property or a search page the tag could only be known without them by keeping a version
//! per answer, and every write would have to know every page it changes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use lambda_http::Body;
use sha2::{Digest, Sha256};

use super::Response;

/// How long shared caches may keep answers that move with bookings (search, calendar, quote).
pub const VOLATILE_MAX_AGE_SECS: u32 = 60;
/// How long they may keep the other public answers (a property, reviews, a profile, schemas).
pub const STABLE_MAX_AGE_SECS: u32 = 300;

/// What the request says about caching, read before the handler takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    cacheable: Option<u32>,
    if_none_match: Option<String>,
}

impl Conditions {
    /// The caching rules for a request with `method`, `path` and `headers`.
    pub fn of(method: &Method, path: &str, headers: &HeaderMap) -> Self {
        let anonymous = !headers.contains_key(http::header::AUTHORIZATION);
        let readable = method == Method::GET || method == Method::HEAD;
        let cacheable = if anonymous && readable { max_age(path) } else { None };
        // Kept only where it can matter: most requests allocate nothing here.
        let if_none_match = cacheable.and_then(|_| {
            headers
                .get(IF_NONE_MATCH)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        });
        Self {
            cacheable,
            if_none_match,
        }
    }

    /// Adds the caching headers to `response`, or turns it into a `304`.
    pub fn apply(&self, mut response: Response) -> Response {
        let Some(max_age) = self.cacheable.filter(|_| response.status() == StatusCode::OK) else {
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            return response;
        };
        // A handler that knows its answer's tag and lifetime (a file compiled into the binary,
        // tagged once per process) keeps them; every other answer is hashed here.
        let own_tag = response
            .headers()
            .get(ETAG)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let own_cache_control = response
            .headers()
            .get(CACHE_CONTROL)
            .and_then(|value| value.to_str().ok())
            .filter(|value| value.starts_with("public"))
            .map(str::to_owned);
        let tag = own_tag.unwrap_or_else(|| entity_tag(response.body().as_ref()));
        let cache_control = own_cache_control.unwrap_or_else(|| format!("public, max-age={max_age}"));
        if self
            .if_none_match
            .as_deref()
            .is_some_and(|header| matches(header, &tag))
        {
            let mut not_modified = Response::new(Body::Empty);
            *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
            response = not_modified;
        }
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&tag) {
            headers.insert(ETAG, value);
        }
        if let Ok(value) = HeaderValue::from_str(&cache_control) {
            headers.insert(CACHE_CONTROL, value);
        }
        response
    }
}

/// The `max-age` of a public route, or `None` for one whose answer is private.
pub fn max_age(path: &str) -> Option<u32> {
    // Every public path has at most three segments: a fourth makes it private.
    let mut segments = path.trim_end_matches('/').split('/').skip(1);
    let parts = (segments.next(), segments.next(), segments.next(), segments.next());
    match parts {
        (Some("properties"), None, None, None) => Some(VOLATILE_MAX_AGE_SECS),
        (Some("properties"), Some(_), None | Some("reviews"), None) => Some(STABLE_MAX_AGE_SECS),
        (Some("properties"), Some(_), Some("calendar" | "quote"), None) => Some(VOLATILE_MAX_AGE_SECS),
        (Some("users"), Some(id), None | Some("reviews"), None) if id != "me" => Some(STABLE_MAX_AGE_SECS),
        (Some("openapi.json"), None, None, None)
        | (Some("graphql"), None | Some("schema.graphql"), None, None)
        | (Some("docs"), _, None, None)
        | (Some("graphiql"), Some(_), None, None) => Some(STABLE_MAX_AGE_SECS),
        _ => None,
    }
}

/// A strong tag of `body`: 128 bits of its SHA-256, quoted.
fn entity_tag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..16]))
}

/// Whether an `If-None-Match` header names `tag` (a list, weak forms and `*` included: the
/// comparison for `If-None-Match` is the weak one).
fn matches(header: &str, tag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> Response {
        let mut response = Response::new(Body::Text(body.to_owned()));
        *response.status_mut() = StatusCode::OK;
        response
    }

    fn conditions(method: Method, path: &str, headers: &[(&'static str, &str)]) -> Conditions {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        Conditions::of(&method, path, &map)
    }

    #[test]
    fn public_routes_and_their_lifetimes() {
        assert_eq!(max_age("/properties"), Some(60));
        assert_eq!(max_age("/properties/01H"), Some(300));
        assert_eq!(max_age("/properties/01H/calendar"), Some(60));
        assert_eq!(max_age("/properties/01H/quote"), Some(60));
        assert_eq!(max_age("/properties/01H/reviews"), Some(300));
        assert_eq!(max_age("/users/01H"), Some(300));
        assert_eq!(max_age("/users/01H/reviews"), Some(300));
        assert_eq!(max_age("/openapi.json"), Some(300));
        assert_eq!(max_age("/graphql/schema.graphql"), Some(300));
        for private in [
            "/users/me",
            "/users/me/properties",
            "/users/me/notifications",
            "/bookings",
            "/health",
            "/conversations",
            "/properties/01H/photos",
        ] {
            assert_eq!(max_age(private), None, "{private}");
        }
    }

    #[test]
    fn anonymous_reads_get_a_strong_tag_and_a_matching_one_is_304() {
        let first = conditions(Method::GET, "/properties/01H", &[]).apply(ok("{\"a\":1}"));
        let tag = first.headers()[ETAG].to_str().unwrap().to_owned();
        assert!(tag.starts_with('"') && !tag.starts_with("W/"));
        assert_eq!(first.headers()[CACHE_CONTROL], "public, max-age=300");
        let again = conditions(Method::GET, "/properties/01H", &[("if-none-match", &tag)]).apply(ok("{\"a\":1}"));
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(again.body().as_ref().is_empty());
        assert_eq!(again.headers()[ETAG], tag.as_str());
        let listed = format!("\"other\", W/{tag}");
        let weak = conditions(Method::GET, "/properties/01H", &[("if-none-match", &listed)]).apply(ok("{\"a\":1}"));
        assert_eq!(weak.status(), StatusCode::NOT_MODIFIED);
        let changed = conditions(Method::GET, "/properties/01H", &[("if-none-match", &tag)]).apply(ok("{\"a\":2}"));
        assert_eq!(changed.status(), StatusCode::OK);
        assert_ne!(changed.headers()[ETAG], tag.as_str());
    }

    #[test]
    fn signed_in_writes_and_errors_are_private() {
        let signed_in = conditions(Method::GET, "/properties/01H", &[("authorization", "Bearer x")]).apply(ok("{}"));
        assert_eq!(signed_in.headers()[CACHE_CONTROL], "private, no-store");
        assert!(!signed_in.headers().contains_key(ETAG));
        let write = conditions(Method::POST, "/properties", &[]).apply(ok("{}"));
        assert_eq!(write.headers()[CACHE_CONTROL], "private, no-store");
        let mut missing = ok("{}");
        *missing.status_mut() = StatusCode::NOT_FOUND;
        let missing = conditions(Method::GET, "/properties/01H", &[]).apply(missing);
        assert_eq!(missing.headers()[CACHE_CONTROL], "private, no-store");
    }
}
