//! The HTTP layer every handler shares: strict JSON in, the `API.md` envelope out, bearer
//! tokens, request ids and the per-request log span.

pub mod assets;
mod body;
pub mod caching;
mod params;
mod respond;

pub use body::{MAX_BODY_BYTES, json_body, optional_json_body};
pub use http::StatusCode;
pub use params::{DEFAULT_LIMIT, MAX_LIMIT, bearer_token, only_query_params, paging, path_param, query_param};
pub use respond::{PageBody, accepted, error_response, json, json_text, no_content, request_id, serve, stored_answer};

/// What a handler receives: API Gateway HTTP API (payload 2.0) as `http::Request`.
pub type Request = lambda_http::Request;
/// What a handler answers.
pub type Response = lambda_http::Response<lambda_http::Body>;
/// What a handler returns; the error becomes the envelope in [`serve`].
pub type HandlerResult = Result<Response, crate::error::ApiError>;
