//! Roost's GraphQL schema: one schema over the use cases of `shared`, served by the
//! `graphql` function (`POST /graphql`) and the local API.
//!
//! The schema is built once per process and holds no app: the app, the caller and the
//! request's DataLoaders travel as request data, so one process may serve many apps (tests).

pub mod context;
pub mod error;
pub mod inputs;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod types;

use std::sync::OnceLock;

use async_graphql::{EmptySubscription, Schema};
use serde_json::{Value, json};
use shared::App;
use shared::auth::Principal;
use shared::error::ApiError;

pub use context::{Caller, Services};
pub use mutation::Mutation;
pub use query::Query;

/// The schema type.
pub type RoostSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema, built on first use.
pub fn schema() -> &'static RoostSchema {
    static SCHEMA: OnceLock<RoostSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::build(Query, Mutation, EmptySubscription)
            .limit_complexity(limits::MAX_COMPLEXITY)
            .finish()
    })
}

/// The schema in SDL, as committed in `graphql/schema.graphql`.
pub fn sdl() -> String {
    schema().sdl()
}

/// The committed SDL (what `GET /graphql/schema.graphql` serves; a test keeps it equal to
/// [`sdl`]).
pub const SCHEMA_FILE: &str = include_str!("../schema.graphql");

/// The outcome of one GraphQL request.
#[derive(Debug)]
pub struct Outcome {
    /// `{"data", "errors"?}`, or `{"errors"}` alone when nothing executed.
    pub body: Value,
    /// True when the request failed as a whole (not a document, invalid, over a limit).
    pub request_failed: bool,
}

impl Outcome {
    /// A failure of the whole request with one error.
    pub fn refused(code: &str, message: &str) -> Self {
        Self {
            body: json!({"errors": [{"message": message, "extensions": {"code": code}}]}),
            request_failed: true,
        }
    }
}

/// Executes the GraphQL-over-HTTP request `body` (`{"query", "variables"?, "operationName"?}`)
/// for `caller` (the principal, or why the request is not signed in: see [`context::Caller`]).
pub async fn execute(app: &'static App, caller: Result<Principal, ApiError>, body: &[u8]) -> Outcome {
    let mut request: async_graphql::Request = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(_) => {
            return Outcome::refused(
                "bad_request",
                "the body must be a JSON object {\"query\", \"variables\"?, \"operationName\"?}",
            );
        }
    };
    // Parsed once: the limits read the document, and the executor takes it as it is.
    let document = match async_graphql::parser::parse_query(&request.query) {
        Ok(document) => document,
        Err(err) => return Outcome::refused("bad_request", &err.to_string()),
    };
    if let Err(message) = limits::check(&document) {
        return Outcome::refused("query_too_complex", &message);
    }
    request.set_parsed_query(document);
    let request = request
        .data(Services { app })
        .data(Caller(caller))
        .data(loaders::Loaders::new(app));
    let response = schema().execute(request).await;
    render(response)
}

/// The response as JSON, every error with an `extensions.code`: those of resolvers carry the
/// use case's; async-graphql's own (validation, a value of the wrong type) are `bad_request`,
/// its complexity limit `query_too_complex`.
fn render(response: async_graphql::Response) -> Outcome {
    // Every root field is nullable, so an executed operation always has an object as data.
    let request_failed = matches!(response.data, async_graphql::Value::Null);
    let mut body = serde_json::to_value(&response).unwrap_or_else(
        |_| json!({"errors": [{"message": "something went wrong on our side", "extensions": {"code": "internal"}}]}),
    );
    if let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) {
        for error in errors {
            let too_complex = error["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("Query is too complex"));
            if too_complex {
                error["message"] = json!(format!(
                    "the query costs more than {} complexity points (a connection counts its selection `first` times)",
                    limits::MAX_COMPLEXITY
                ));
            }
            if error.get("extensions").is_none_or(|e| !e.is_object()) {
                error["extensions"] = json!({});
            }
            if error["extensions"].get("code").is_none() {
                let code = if too_complex {
                    "query_too_complex"
                } else {
                    "bad_request"
                };
                error["extensions"]["code"] = json!(code);
            }
        }
    }
    if request_failed && let Some(object) = body.as_object_mut() {
        object.remove("data");
    }
    Outcome { body, request_failed }
}

#[cfg(test)]
mod tests {
    /// Every schema change is reviewed: the code's SDL must be the committed file.
    #[test]
    fn the_committed_schema_is_the_schema_of_the_code() {
        let sdl = super::sdl();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
        if std::env::var_os("UPDATE_GRAPHQL_SCHEMA").is_some() {
            std::fs::write(path, &sdl).expect("schema.graphql written");
            return;
        }
        assert!(
            sdl == super::SCHEMA_FILE,
            "graphql/schema.graphql is not the schema of the code. Check that the change breaks no \
             client (a removed field or type, a nullable argument made required), then regenerate \
             it with `UPDATE_GRAPHQL_SCHEMA=1 cargo test -p graphql` and commit it."
        );
    }
}
