//! `POST /webhooks/stripe`.

use shared::App;
use shared::http::{HandlerResult, Request, StatusCode, json};
use shared::payments::webhook;

/// Verifies `Stripe-Signature` over the raw body and applies the event once: `200`
/// (also for a replay or a type the project does not use), `400` for a bad or stale signature.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    webhook::receive(app, &req).await?;
    json(StatusCode::OK, &serde_json::json!({"received": true}))
}
