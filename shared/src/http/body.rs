//! Strict JSON bodies: size limit, content type, unknown fields and wrong types are `400`.

use serde::de::DeserializeOwned;

use super::Request;
use crate::error::{ApiError, FieldError};

/// Largest accepted body (`413` beyond).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parses the body as `T`. Request types use `deny_unknown_fields` and `Option` fields, so
/// serde only fails on syntax, types and unknown fields (`400`); missing and out-of-range
/// values are reported all at once by the type's own validation (`422`).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes = checked_bytes(req)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("request body must be a JSON object"));
    }
    parse(bytes)
}

/// Like [`json_body`], but an empty body gives `None` (action routes take an optional body).
pub fn optional_json_body<T: DeserializeOwned>(req: &Request) -> Result<Option<T>, ApiError> {
    let bytes = checked_bytes(req)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    parse(bytes).map(Some)
}

fn checked_bytes(req: &Request) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    if !bytes.is_empty()
        && let Some(content_type) = req.headers().get(http::header::CONTENT_TYPE)
    {
        let essence = content_type
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    Ok(bytes)
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every body of this API is an object; say so plainly rather than via serde's wording.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request("request body must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => value,
        // JSON Schema's `integer` (what the OpenAPI document says) includes `3.0`; serde's
        // integers do not. Only on this failure is the body read again with such numbers made
        // integers, so the common path pays nothing.
        Err(err) if err.inner().to_string().starts_with("invalid type: floating point") => {
            return parse_with_integral_floats(bytes);
        }
        Err(err) => return Err(refusal(err)),
    };
    deserializer
        .end()
        .map_err(|_| ApiError::bad_request("malformed JSON: trailing characters after the body"))?;
    Ok(value)
}

/// `bytes` as `T`, every number with no fractional part (`3.0`, `1e3`) taken as an integer.
fn parse_with_integral_floats<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| ApiError::bad_request("malformed JSON"))?;
    integral_floats_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(refusal)
}

fn integral_floats_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() < 9.0e15
            {
                // Exact: |float| < 2^53, so the cast keeps every digit.
                *value = Value::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// A deserialisation failure as the client sees it.
fn refusal(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = describe(&inner);
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest {
                message,
                details: Vec::new(),
            }
        } else {
            ApiError::BadRequest {
                message: "request body has a field of the wrong type or an unknown field".to_owned(),
                details: vec![FieldError::new(field_name(&path, &inner), message)],
            }
        }
    }
}

/// serde's message without its "at line 1 column 7" suffix, which means nothing to clients.
fn describe(err: &serde_json::Error) -> String {
    if err.is_syntax() || err.is_eof() {
        return "malformed JSON".to_owned();
    }
    let text = err.to_string();
    match text.find(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// serde_path_to_error already ends the path with an unknown field's name; only at the top
/// level (path `.`) is the name left in the message.
fn field_name(path: &str, err: &serde_json::Error) -> String {
    if path != "." && !path.is_empty() {
        return path.to_owned();
    }
    let text = err.to_string();
    text.strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Sample {
        first_name: Option<String>,
        nested: Option<Nested>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Nested {
        n: Option<u8>,
    }

    fn request(body: &str) -> Request {
        let mut req = Request::new(Body::from(body.to_owned()));
        req.headers_mut()
            .insert(http::header::CONTENT_TYPE, "application/json".parse().unwrap());
        req
    }

    fn status_and_field(body: &str) -> (u16, Option<String>) {
        let err = json_body::<Sample>(&request(body)).unwrap_err();
        let field = match &err {
            ApiError::BadRequest { details, .. } => details.first().map(|d| d.field.clone()),
            _ => None,
        };
        (err.status(), field)
    }

    #[test]
    fn rejects_what_is_not_strict_json() {
        assert_eq!(status_and_field("{"), (400, None));
        assert_eq!(status_and_field(""), (400, None));
        assert_eq!(status_and_field("[1]"), (400, None));
        assert_eq!(status_and_field("{} x"), (400, None));
        assert_eq!(status_and_field(r#"{"firstName": 3}"#), (400, Some("firstName".into())));
        assert_eq!(status_and_field(r#"{"admin": true}"#), (400, Some("admin".into())));
        assert_eq!(
            status_and_field(r#"{"nested": {"n": 300}}"#),
            (400, Some("nested.n".into()))
        );
        assert_eq!(
            status_and_field(r#"{"nested": {"x": 1}}"#),
            (400, Some("nested.x".into()))
        );
    }

    #[test]
    fn integral_floats_are_integers_as_json_schema_says() {
        let sample: Sample = json_body(&request(r#"{"nested": {"n": 3.0}}"#)).unwrap();
        assert_eq!(sample.nested.and_then(|n| n.n), Some(3));
        assert_eq!(
            status_and_field(r#"{"nested": {"n": 3.5}}"#),
            (400, Some("nested.n".into()))
        );
        assert_eq!(
            status_and_field(r#"{"nested": {"n": 300.0}}"#),
            (400, Some("nested.n".into()))
        );
        assert_eq!(
            status_and_field(r#"{"nested": {"n": 1.0}, "admin": 1}"#),
            (400, Some("admin".into()))
        );
    }

    #[test]
    fn limits_size_and_content_type() {
        let big = format!(r#"{{"firstName": "{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(json_body::<Sample>(&request(&big)).unwrap_err().status(), 413);
        let mut form = request("a=b");
        form.headers_mut().insert(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert_eq!(json_body::<Sample>(&form).unwrap_err().status(), 415);
    }

    #[test]
    fn accepts_good_bodies() {
        let sample: Sample = json_body(&request(r#"{"firstName": "Ada"}"#)).unwrap();
        assert_eq!(sample.first_name.as_deref(), Some("Ada"));
        assert!(optional_json_body::<Sample>(&request("")).unwrap().is_none());
    }
}
