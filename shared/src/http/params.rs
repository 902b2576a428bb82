//! Path, query and header parameters.

use lambda_http::RequestExt;

use super::Request;
use crate::error::ApiError;

/// A path parameter the route guarantees (`/users/{id}`); its absence is a routing bug.
pub fn path_param<'a>(req: &'a Request, name: &str) -> Result<&'a str, ApiError> {
    req.path_parameters_ref()
        .and_then(|params| params.first(name))
        .ok_or_else(|| ApiError::Internal(format!("route has no path parameter `{name}`")))
}

/// A query parameter, if given (the first value when repeated).
pub fn query_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_string_parameters_ref().and_then(|params| params.first(name))
}

/// Refuses query parameters outside `allowed` (`400` naming them): a route whose inputs are
/// all server-computed or listed treats an unknown parameter (a `price`, say) like an
/// unknown JSON field.
pub fn only_query_params(req: &Request, allowed: &[&str]) -> Result<(), ApiError> {
    let Some(params) = req.query_string_parameters_ref() else {
        return Ok(());
    };
    let mut unknown: Vec<crate::error::FieldError> = params
        .iter()
        .map(|(name, _)| name)
        .filter(|name| !allowed.contains(name))
        .map(|name| crate::error::FieldError::new(name, "unknown query parameter"))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_by(|a, b| a.field.cmp(&b.field));
    unknown.dedup();
    Err(ApiError::BadRequest {
        message: "unknown query parameter".to_owned(),
        details: unknown,
    })
}

/// The token of an `Authorization: Bearer <token>` header; anything else is `401`.
pub fn bearer_token(req: &Request) -> Result<&str, ApiError> {
    let header = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized("missing bearer token"))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed authorization header"))?;
    let (scheme, token) = header
        .split_once(' ')
        .ok_or(ApiError::Unauthorized("malformed authorization header"))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::Unauthorized("malformed authorization header"));
    }
    Ok(token)
}

/// Default page size of list routes.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest page size of list routes.
pub const MAX_LIMIT: u32 = 100;

/// `?limit=` (1..=100, default 20: `400` when not a number, `422` out of range) and
/// `?cursor=` of a list route.
pub fn paging(req: &Request) -> Result<(u32, Option<&str>), ApiError> {
    let limit = match query_param(req, "limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => {
            let value: i64 = raw
                .parse()
                .map_err(|_| ApiError::bad_request("limit must be an integer"))?;
            if !(1..=i64::from(MAX_LIMIT)).contains(&value) {
                return Err(ApiError::Validation(vec![crate::error::FieldError::new(
                    "limit",
                    format!("must be 1..{MAX_LIMIT}"),
                )]));
            }
            value as u32
        }
    };
    let cursor = query_param(req, "cursor").filter(|c| !c.is_empty());
    Ok((limit, cursor))
}
