//! Errors as GraphQL answers them: `extensions.code` from the same `ApiError` as REST, with
//! its `details` (the REST envelope's `[{field, message}]`); internals are logged, never sent.

use async_graphql::{Error, ErrorExtensions, Value};
use shared::error::ApiError;

/// The GraphQL error of a use case's failure.
pub fn to_error(err: ApiError) -> Error {
    match &err {
        ApiError::Internal(cause) => tracing::error!(error = %cause, "graphql resolver failed"),
        ApiError::Unavailable { cause, .. } => {
            tracing::warn!(error = %cause, "graphql resolver met a transient failure")
        }
        _ => {}
    }
    let body = err.envelope().error;
    let details = serde_json::to_value(body.details)
        .ok()
        .and_then(|details| Value::from_json(details).ok())
        .filter(|details| !matches!(details, Value::List(list) if list.is_empty()));
    let code = err.code();
    let retry_after = err.retry_after();
    Error::new(body.message).extend_with(move |_, extensions| {
        extensions.set("code", code);
        if let Some(details) = &details {
            extensions.set("details", details.clone());
        }
        if let Some(seconds) = retry_after {
            extensions.set("retryAfter", seconds);
        }
    })
}

/// `?` for use-case results inside resolvers.
pub trait OrGraphql<T> {
    fn gql(self) -> Result<T, Error>;
}

impl<T> OrGraphql<T> for Result<T, ApiError> {
    fn gql(self) -> Result<T, Error> {
        self.map_err(to_error)
    }
}
