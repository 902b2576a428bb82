//! The one error type every handler returns, and its mapping to the envelope of `API.md`.

use serde::Serialize;

/// One bad field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a request can fail with, as the client sees it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// `400`: malformed JSON, a value of the wrong type, an unknown field, a bad query, header or cursor.
    #[error("{message}")]
    BadRequest { message: String, details: Vec<FieldError> },
    /// `400` (code `invalid_token`): an email token that is used, expired or unknown.
    #[error("the token is invalid or has expired")]
    InvalidToken,
    /// `401`: no valid credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// `403`: signed in, but not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// `403` (code `account_suspended`): the account is suspended by an admin; it cannot sign
    /// in, refresh or act with a token issued before.
    #[error("this account is suspended")]
    AccountSuspended,
    /// `404`.
    #[error("{0}")]
    NotFound(&'static str),
    /// `405`: the route exists with another method (local API only; API Gateway answers itself).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// `409`: conflicts with the current state.
    #[error("{message}")]
    Conflict { message: String, details: Vec<FieldError> },
    /// `413`: body over the limit.
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// `415`: a body that is not JSON.
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// `422`: well-formed but invalid; names every bad field.
    #[error("request is invalid")]
    Validation(Vec<FieldError>),
    /// `429`: rate limited; retry after this many seconds.
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// `500`: the text is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// `503` (code `unavailable`): a dependency is throttled, timed out or unreachable, or the
    /// write collided with a concurrent one; retry after this many seconds. The cause is logged.
    #[error("the service is busy; try again shortly")]
    Unavailable { retry_after_secs: u64, cause: String },
}

impl ApiError {
    /// A `400` naming one field.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A `409` with a message and no details.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A `500` whose cause goes to the logs only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// HTTP status of this error.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest { .. } | ApiError::InvalidToken => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::Forbidden(_) | ApiError::AccountSuspended => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::Validation(_) => 422,
            ApiError::RateLimited { .. } => 429,
            ApiError::Internal(_) => 500,
            ApiError::Unavailable { .. } => 503,
        }
    }

    /// Machine-readable code of the envelope.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::InvalidToken => "invalid_token",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::AccountSuspended => "account_suspended",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Internal(_) => "internal",
            ApiError::Unavailable { .. } => "unavailable",
        }
    }

    /// The envelope body: `{"error": {"code", "message", "details"}}`. Internals never leave.
    pub fn envelope(&self) -> ErrorEnvelope<'_> {
        let (message, details): (String, &[FieldError]) = match self {
            ApiError::BadRequest { message, details } | ApiError::Conflict { message, details } => {
                (message.clone(), details)
            }
            ApiError::Validation(details) => ("request is invalid".to_owned(), details),
            ApiError::Internal(_) => ("something went wrong on our side".to_owned(), &[]),
            other => (other.to_string(), &[]),
        };
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code(),
                message,
                details,
            },
        }
    }
}

/// Serialised shape of an error response.
#[derive(Debug, Serialize)]
pub struct ErrorEnvelope<'a> {
    pub error: ErrorBody<'a>,
}

/// Inside the envelope.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub code: &'static str,
    pub message: String,
    pub details: &'a [FieldError],
}

/// How long a client should wait before retrying a request that met a transient failure.
pub const TRANSIENT_RETRY_AFTER_SECS: u64 = 1;

impl ApiError {
    /// The `Retry-After` of the answer, when it has one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_secs } | ApiError::Unavailable { retry_after_secs, .. } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }

    /// A `503` for a transient failure of a dependency (`cause` goes to the logs only).
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        ApiError::Unavailable {
            retry_after_secs: TRANSIENT_RETRY_AFTER_SECS,
            cause: cause.to_string(),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    /// A store that is throttled, unreachable or timed out, and a transaction that collided
    /// with a concurrent one, are transient: `503` with `Retry-After`, never a `500`. A failed
    /// condition or a refused request reaching here is a bug of the use case: `500`.
    fn from(err: crate::store::StoreError) -> Self {
        if err.is_transient() {
            ApiError::unavailable(err)
        } else {
            ApiError::Internal(err.to_string())
        }
    }
}

/// Collects field errors so a request names every bad field, not only the first.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` is wrong.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the value of a parse, or records its error under `field`.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Whether `field` was already recorded.
    pub fn names(&self, field: &str) -> bool {
        self.0.iter().any(|problem| problem.field == field)
    }

    /// Records `field` as missing when `value` is `None`.
    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, "is required");
        }
        value
    }

    /// `Ok` when nothing was recorded, else a `422` naming every field.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_out_of_the_body() {
        let err = ApiError::internal("ValidationException: table roost-prod");
        let body = serde_json::to_string(&err.envelope()).unwrap();
        assert!(!body.contains("roost-prod"));
        assert_eq!(err.status(), 500);
    }

    #[test]
    fn validation_names_every_field() {
        let mut problems = Problems::new();
        problems.add("email", "is required");
        problems.add("password", "must be 8..128 characters");
        let err = problems.finish().unwrap_err();
        let body = serde_json::to_value(err.envelope()).unwrap();
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(body["error"]["details"].as_array().unwrap().len(), 2);
    }
}
