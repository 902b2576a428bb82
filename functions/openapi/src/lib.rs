//! `GET /openapi.json`: the OpenAPI 3.1 document of every route, generated from the code.

use shared::http::{HandlerResult, Request, StatusCode, json_text};

/// Answers the document, rendered once per process.
pub async fn handle(_req: Request) -> HandlerResult {
    json_text(StatusCode::OK, shared::openapi::document_json())
}
