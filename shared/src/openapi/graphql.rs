//! The GraphQL routes of the OpenAPI document (the schema itself is SDL, served by the second).

#![allow(dead_code)]

/// A GraphQL-over-HTTP request.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct GraphqlRequest {
    /// The GraphQL document.
    query: String,
    /// Values of the document's variables.
    variables: Option<serde_json::Value>,
    /// Which operation of the document to run.
    operation_name: Option<String>,
}

/// A GraphQL response: `data` when the operation ran, `errors` (each with `message`, `path`
/// for field errors, and `extensions.code`, plus `extensions.details` for validation).
#[derive(utoipa::ToSchema)]
pub(super) struct GraphqlResponse {
    data: Option<serde_json::Value>,
    errors: Option<Vec<serde_json::Value>>,
}

#[utoipa::path(post, path = "/graphql", tag = "graphql", request_body(content = Option<GraphqlRequest>, description = "A GraphQL request; without one, the answer is `200` with a `bad_request` error, as every GraphQL error is"),
    description = "Every query and action of this API in one GraphQL schema (see `GET /graphql/schema.graphql`), \
over the same rules, data and errors. A missing or invalid bearer token leaves the request anonymous. Limits, checked \
before anything runs: depth 10, 1,000 complexity points (a connection counts its selection `first` times), 50 aliases, \
20 root fields (code `query_too_complex`). `createProperty`, `createBooking`, `payBooking` and the five booking moves take an \
`idempotencyKey` with the `Idempotency-Key` semantics, in the same scope as the REST routes. Errors carry the REST codes in \
`extensions.code`; `unavailable` (a dependency throttled, timed out or collided; nothing half-written) also carries \
`extensions.retryAfter` in seconds.",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "An executed operation (`data`, and `errors` for fields that failed), or, unless \
the client accepts `application/graphql-response+json`, a request that failed as a whole (`errors` only)", body = GraphqlResponse),
        (status = 400, description = "A request that failed as a whole (not a GraphQL document, invalid, over a limit) from \
a client accepting `application/graphql-response+json`: `errors` only", body = GraphqlResponse),
        (status = 413, description = "Body over 64 KiB (the error envelope of every route)", body = super::ErrorResponse),
    ))]
fn graphql() {}

#[utoipa::path(get, path = "/graphql/schema.graphql", tag = "graphql",
    description = "The GraphQL schema in SDL, as committed in the repository (`graphql/schema.graphql`).",
    responses((status = 200, description = "The schema", content_type = "text/plain")))]
fn graphql_schema() {}
