//! `GET /health`: the process is up and answering.

use shared::http::{HandlerResult, Request, json};

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
}

/// Answers `200 {"status":"ok"}`.
pub async fn handle(_req: Request) -> HandlerResult {
    json(shared::http::StatusCode::OK, &Health { status: "ok" })
}
