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
